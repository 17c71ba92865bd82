"""
Saved networks: one versioned file with checksums, read through one descriptor and one memory map.

The file is a preamble, a JSON header and the arrays::

    magic "ECORTNET" | format version | header length | header CRC-32 | 12 reserved bytes
    header: {"arrays": {name: {"dtype", "shape", "offset", "nbytes", "crc32"}},
             "meta": {...}, "file_size": ...}
    arrays, each at a multiple of ALIGNMENT bytes, little-endian

Saving writes a new temporary file in the target's folder and renames it
into place (never in place), so a reader holding the old file keeps a valid
mapping of it and a new reader sees either the old or the new network.
Loading opens the file once and maps it once, so every array comes from the
same version of the file. Overwriting a loaded file in place (``cp new old``)
is not safe: the loader's mapping then changes under it (and reading past a
shortened file kills the process with SIGBUS); replace files with ``mv`` or
:func:`save`.

Every header field is checked before it is used, so a damaged or hand-edited
header gives a :class:`~ecoroute.NetworkFileError` naming the field. Checksums
only prove that the arrays are the ones saved, so :meth:`ecoroute.RoadNetwork.load`
also range-checks them (the network's constructor and :mod:`ecoroute._checks`):
an index or code out of range gives one too, naming the array and the value.
"""

from __future__ import annotations

import itertools
import json
import mmap
import os
import re
import secrets
import stat
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import numpy.typing as npt

from ._errors import NetworkFileError
from ._version import __version__

if TYPE_CHECKING:
    from .network import RoadNetwork

__all__ = [
    "ALIGNMENT",
    "FORMAT_VERSION",
    "MAGIC",
    "NETWORK_ARRAYS",
    "NetworkFileError",
    "SavedNetwork",
    "read",
    "read_network",
    "save",
    "write",
]

#: First 8 bytes of every saved network.
MAGIC = b"ECORTNET"
#: Version of the layout below; files of other versions are refused, not guessed at.
FORMAT_VERSION = 1
#: Arrays start at multiples of this many bytes (cache lines, SIMD loads).
ALIGNMENT = 64

# Preamble: magic (8 bytes), format version, header length, header CRC-32
# (three little-endian uint32), 12 reserved bytes.
_PREAMBLE = struct.Struct("<8sIII12x")
#: Fields of every array entry in the header.
_ENTRY_FIELDS = frozenset({"dtype", "shape", "offset", "nbytes", "crc32"})
#: dtypes a saved array may have: little-endian (or single-byte) bool, integers and floats.
_DTYPE = re.compile(r"(<[iuf][248]|\|[biu]1)")
#: Arrays have at most this many dimensions (networks use one or two).
_MAX_NDIM = 2

#: Arrays of a saved network: name -> (dtype, dimensions). elevation_m is optional.
NETWORK_ARRAYS: Mapping[str, tuple[str, int]] = {
    "first_out": ("<u4", 1),
    "head": ("<u4", 1),
    "node_id": ("<i8", 1),
    "lat": ("<f8", 1),
    "lon": ("<f8", 1),
    "elevation_m": ("<f8", 1),
    "length_m": ("<f8", 1),
    "speed_kph": ("<f8", 1),
    "travel_time_s": ("<f8", 1),
    "grade": ("<f8", 1),
    "highway_code": ("<i2", 1),
    "osm_way_id": ("<i8", 1),
    "geometry_offsets": ("<i8", 1),
    "geometry_lonlat": ("<f8", 2),
}
_OPTIONAL = frozenset({"elevation_m"})
_ATTACHMENT = "attachment/"
_HIERARCHY = "hierarchy/"


# ---------------------------------------------------------------------- networks


@dataclass(frozen=True)
class SavedNetwork:
    """The validated contents of a saved network, before it becomes a RoadNetwork."""

    #: Keyword arguments of ``RoadNetwork(...)``: the arrays of :data:`NETWORK_ARRAYS`.
    arrays: dict[str, npt.NDArray[Any]]
    highway_names: tuple[str, ...]
    attachments: dict[str, npt.NDArray[Any]] = field(default_factory=dict)
    #: ``Hierarchy.to_arrays()`` of a prepared network, or None.
    hierarchy: dict[str, npt.NDArray[Any]] | None = None


def save(network: RoadNetwork, path: str | Path) -> Path:
    """
    Save ``network`` to ``path`` atomically; return the path.

    Every array, the attachments, the contraction hierarchy of a prepared
    network and a versioned header go into one file, written as a new
    temporary file in the same folder and renamed into place.
    """
    arrays: dict[str, npt.NDArray[Any]] = {
        "first_out": np.asarray(network.first_out),
        "head": np.asarray(network.head),
        "node_id": network.node_id,
        "lat": network.lat,
        "lon": network.lon,
        "length_m": network.length_m,
        "speed_kph": network.speed_kph,
        "travel_time_s": network.travel_time_s,
        "grade": network.grade,
        "highway_code": network.highway_code,
        "osm_way_id": network.osm_way_id,
        "geometry_offsets": network.geometry_offsets,
        "geometry_lonlat": network.geometry_lonlat,
    }
    if network.elevation_m is not None:
        arrays["elevation_m"] = network.elevation_m
    for name, array in network.attachments.items():
        arrays[_ATTACHMENT + name] = array
    if network.hierarchy is not None:
        for name, array in network.hierarchy.to_arrays().items():
            arrays[_HIERARCHY + name] = np.asarray(array)
    meta = {
        "highway_names": list(network.highway_names),
        "node_count": network.node_count,
        "arc_count": network.arc_count,
        "ecoroute_version": __version__,
    }
    return write(path, arrays, meta)


def read_network(path: str | Path, *, verify: bool = True) -> SavedNetwork:
    """
    Read and check a file written by :func:`save`: every network array there, with its dtype.

    Raises
    ------
    NetworkFileError
        As :func:`read`, and if an array of :data:`NETWORK_ARRAYS` is missing
        or has the wrong dtype or dimensions, an array name is unknown, or the
        metadata (highway names, counts) does not fit the arrays.
    """
    arrays, meta = read(path, verify=verify)
    network: dict[str, npt.NDArray[Any]] = {}
    attachments: dict[str, npt.NDArray[Any]] = {}
    hierarchy: dict[str, npt.NDArray[Any]] = {}
    for name, array in arrays.items():
        if name.startswith(_ATTACHMENT) and len(name) > len(_ATTACHMENT):
            attachments[name[len(_ATTACHMENT) :]] = array
        elif name.startswith(_HIERARCHY) and len(name) > len(_HIERARCHY):
            hierarchy[name[len(_HIERARCHY) :]] = array
        elif name in NETWORK_ARRAYS:
            dtype, ndim = NETWORK_ARRAYS[name]
            if array.dtype.str != dtype or array.ndim != ndim:
                msg = (
                    f"{path} is corrupted: array {name!r} is {array.dtype.str} with "
                    f"{array.ndim} dimension(s); a network's is {dtype} with {ndim}."
                )
                raise NetworkFileError(msg)
            network[name] = array
        else:
            msg = f"{path} holds an unknown array {name!r}; it is not an ecoroute network."
            raise NetworkFileError(msg)
    missing = [name for name in NETWORK_ARRAYS if name not in network and name not in _OPTIONAL]
    if missing:
        msg = f"{path} lacks the array(s) {', '.join(missing)}; it is not a complete network."
        raise NetworkFileError(msg)
    if network["geometry_lonlat"].shape[1] != 2:
        msg = f"{path} is corrupted: array 'geometry_lonlat' must have 2 columns (lon, lat)."
        raise NetworkFileError(msg)

    names = meta.get("highway_names", [])
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        msg = f"{path} is corrupted: header field meta.highway_names must be a list of strings."
        raise NetworkFileError(msg)
    counts = {"node_count": network["first_out"].size - 1, "arc_count": network["head"].size}
    for key, actual in counts.items():
        if key in meta and not (_is_int(meta[key]) and meta[key] == actual):
            msg = f"{path} is corrupted: header field meta.{key} is {meta[key]!r}, not {actual}."
            raise NetworkFileError(msg)
    return SavedNetwork(network, tuple(names), attachments, hierarchy or None)


# ---------------------------------------------------------------------- the file format


def write(
    path: str | Path, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]
) -> Path:
    """
    Write arrays and metadata to ``path`` atomically (a new temporary file renamed into place).

    An interrupted save leaves any earlier file at ``path`` intact, and a
    process that has the earlier file loaded keeps reading the earlier file.
    """
    from ._outputs import output_file

    # Never rename over a device, a folder or a pipe (as root, /dev/null would become a file).
    path = output_file(path, what="the saved network")
    data: dict[str, npt.NDArray[Any]] = {}
    entries: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in arrays.items():
        values = np.ascontiguousarray(array)
        if values.dtype.hasobject:
            msg = f"array {name!r} holds Python objects and cannot be saved."
            raise TypeError(msg)
        if not _DTYPE.fullmatch(values.dtype.newbyteorder("<").str):
            msg = f"array {name!r} has dtype {values.dtype}; only bool, integers and floats save."
            raise TypeError(msg)
        if values.ndim > _MAX_NDIM:
            msg = f"array {name!r} has {values.ndim} dimensions; at most {_MAX_NDIM} save."
            raise ValueError(msg)
        values = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
        data[name] = values
        offset = _align(offset)
        entries[name] = {
            "dtype": values.dtype.str,
            "shape": list(values.shape),
            "offset": offset,
            "nbytes": int(values.nbytes),
            "crc32": zlib.crc32(_raw(values)),
        }
        offset += values.nbytes
    # The header records absolute offsets, so its own size must be fixed first:
    # lay the arrays out after a header padded to a whole number of alignments.
    header = _header_bytes(entries, meta, 0)
    # Room for the offsets and the file size to grow by up to 20 digits each.
    base = _align(_PREAMBLE.size + len(header) + 20 * (len(entries) + 1))
    for entry in entries.values():
        entry["offset"] += base
    total = base + offset
    header = _header_bytes(entries, meta, total)
    if _PREAMBLE.size + len(header) > base:  # pragma: no cover - the slack above always suffices
        msg = "internal error: header outgrew its reserved space."
        raise RuntimeError(msg)

    # A fresh name (O_EXCL) in the same folder: rename is atomic only within a file system,
    # and two savers (processes or threads) never share a temporary file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(header), zlib.crc32(header)))
            f.write(header)
            for name, values in data.items():
                f.seek(entries[name]["offset"])
                f.write(_raw(values))
            f.truncate(total)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
        _sync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read(
    path: str | Path, *, verify: bool = True
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """
    Return the arrays (read-only views of one memory map) and metadata saved at ``path``.

    The file is opened once and mapped once; every header field is checked
    before use (types, sizes, dtypes, shapes against byte counts, offsets
    inside the file and past the header, no two arrays overlapping).

    Raises
    ------
    NetworkFileError
        If the file is missing or unreadable, is not an ecoroute network, was
        written by another format version, is truncated, has an inconsistent
        header (the message names the field), or fails a checksum
        (``verify``; the message names the damaged array).
    """
    path = Path(path)
    buffer = _map(path)
    size = len(buffer)
    if size < _PREAMBLE.size or buffer[: len(MAGIC)] != MAGIC:
        msg = f"{path} is not an ecoroute network file (it does not start with {MAGIC!r})."
        raise NetworkFileError(msg)
    _, version, header_length, header_crc = _PREAMBLE.unpack(buffer[: _PREAMBLE.size])
    if version != FORMAT_VERSION:
        msg = (
            f"{path} uses network file format version {version}; this ecoroute reads version "
            f"{FORMAT_VERSION}. Rebuild the network (ecoroute build) with this version."
        )
        raise NetworkFileError(msg)
    data_start = _PREAMBLE.size + header_length
    if data_start > size:
        msg = f"{path} is truncated: it ends inside its header ({size:,} bytes)."
        raise NetworkFileError(msg)
    header = buffer[_PREAMBLE.size : data_start]
    if zlib.crc32(header) != header_crc:
        msg = f"{path} is corrupted: its header fails its checksum."
        raise NetworkFileError(msg)
    try:
        info = json.loads(header)
    except (ValueError, RecursionError) as error:
        msg = f"{path} is corrupted: its header is not valid JSON ({error})."
        raise NetworkFileError(msg) from error

    entries, meta = _check_header(path, info, size, data_start)
    arrays: dict[str, npt.NDArray[Any]] = {}
    view = memoryview(buffer)
    for name, (dtype, shape, offset, nbytes, crc) in entries.items():
        if nbytes == 0:
            array = np.zeros(shape, dtype=dtype)
            array.flags.writeable = False
        else:
            if verify and zlib.crc32(view[offset : offset + nbytes]) != crc:
                msg = f"{path} is corrupted: array {name!r} fails its checksum."
                raise NetworkFileError(msg)
            count = nbytes // dtype.itemsize
            array = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset).reshape(shape)
        arrays[name] = array
    return arrays, meta


_Entry = tuple[np.dtype[Any], tuple[int, ...], int, int, int]


def _check_header(
    path: Path, info: Any, size: int, data_start: int
) -> tuple[dict[str, _Entry], dict[str, Any]]:
    """Check every header field; return the entries (dtype, shape, offset, nbytes, crc32)."""

    def bad(field: str, problem: str) -> NoReturn:
        msg = f"{path} is corrupted: header field {field} {problem}."
        raise NetworkFileError(msg)

    if not isinstance(info, dict):
        bad("(the whole header)", "is not a JSON object")
    unknown = sorted(set(info) - {"arrays", "meta", "file_size"})
    if unknown:
        bad(repr(unknown[0]), "is not a field of this format")
    file_size: Any = info.get("file_size")
    if not _is_int(file_size) or file_size < 0:
        bad("file_size", f"must be a byte count, not {file_size!r}")
    if size < file_size:
        msg = f"{path} is truncated: {size:,} bytes of the {file_size:,} it was written with."
        raise NetworkFileError(msg)
    if size > file_size:
        msg = f"{path} has {size - file_size:,} unexpected bytes after its data."
        raise NetworkFileError(msg)
    meta = info.get("meta", {})
    if not isinstance(meta, dict):
        bad("meta", "must be a JSON object")
    raw_entries = info.get("arrays")
    if not isinstance(raw_entries, dict):
        bad("arrays", "must be a JSON object of array entries")

    entries: dict[str, _Entry] = {}
    for name, entry in raw_entries.items():
        where = f"arrays[{name!r}]"
        if not name:
            bad(where, "has an empty array name")
        if not isinstance(entry, dict):
            bad(where, "must be a JSON object")
        if set(entry) != _ENTRY_FIELDS:
            wrong = sorted(set(entry) ^ _ENTRY_FIELDS)
            bad(f"{where}.{wrong[0]}", "is missing or not a field of an array entry")
        dtype_text = entry["dtype"]
        if not isinstance(dtype_text, str) or not _DTYPE.fullmatch(dtype_text):
            bad(f"{where}.dtype", f"must name a little-endian number type, not {dtype_text!r}")
        dtype = np.dtype(dtype_text)
        shape = entry["shape"]
        if (
            not isinstance(shape, list)
            or not 1 <= len(shape) <= _MAX_NDIM
            or not all(_is_int(d) and 0 <= d <= size for d in shape)
        ):
            bad(
                f"{where}.shape",
                f"must list 1 to {_MAX_NDIM} sizes from 0 to the file size, not {shape!r}",
            )
        count = 1
        for d in shape:
            count *= d
        nbytes, offset, crc = entry["nbytes"], entry["offset"], entry["crc32"]
        if not _is_int(nbytes) or nbytes != count * dtype.itemsize:
            bad(
                f"{where}.nbytes",
                f"is {nbytes!r}, but shape {shape} of {dtype_text} holds {count * dtype.itemsize}",
            )
        if not _is_int(offset) or offset % ALIGNMENT or not data_start <= offset <= size:
            bad(
                f"{where}.offset",
                f"must be a multiple of {ALIGNMENT} between the header's end ({data_start}) and "
                f"the file's ({size}), not {offset!r}",
            )
        if offset + nbytes > size:
            bad(f"{where}.nbytes", f"runs past the end of the file ({offset} + {nbytes})")
        if not _is_int(crc) or not 0 <= crc < 2**32:
            bad(f"{where}.crc32", f"must be a CRC-32 (0 .. 2**32-1), not {crc!r}")
        entries[name] = (dtype, tuple(shape), offset, nbytes, crc)

    spans = sorted((e[2], e[2] + e[3], name) for name, e in entries.items() if e[3])
    for (_, end, first), (begin, _, second) in itertools.pairwise(spans):
        if begin < end:
            bad(f"arrays[{second!r}].offset", f"makes it overlap array {first!r}")
    return entries, meta


def _map(path: Path) -> mmap.mmap:
    """Open ``path`` once and map all of it read-only (the descriptor is closed after)."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    flags |= getattr(os, "O_NONBLOCK", 0)  # never block on a FIFO
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as error:
        msg = f"{path}: no such file."
        raise NetworkFileError(msg) from error
    except OSError as error:
        msg = f"{path} cannot be opened: {error.strerror}."
        raise NetworkFileError(msg) from error
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            msg = f"{path} is not a regular file."
            raise NetworkFileError(msg)
        if status.st_size < _PREAMBLE.size:
            msg = f"{path} is not an ecoroute network file ({status.st_size} bytes)."
            raise NetworkFileError(msg)
        try:
            return mmap.mmap(fd, status.st_size, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            msg = f"{path} cannot be memory-mapped: {error}."
            raise NetworkFileError(msg) from error
    finally:
        os.close(fd)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _raw(array: npt.NDArray[Any]) -> memoryview:
    """The bytes of an array, without copying when it is contiguous."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).data


def _align(offset: int) -> int:
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _header_bytes(entries: Mapping[str, Any], meta: Mapping[str, Any], file_size: int) -> bytes:
    return json.dumps({"arrays": entries, "meta": dict(meta), "file_size": file_size}).encode()
