"""Saved networks: one versioned file with checksums, arrays loaded by memory map."""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ._errors import NetworkError

#: First 8 bytes of every saved network.
MAGIC = b"ECORTNET"
#: Version of the layout below; files of other versions are refused, not guessed at.
FORMAT_VERSION = 1
#: Arrays start at multiples of this many bytes (cache lines, SIMD loads).
ALIGNMENT = 64

# Preamble: magic (8 bytes), format version, header length, header CRC-32
# (three little-endian uint32), 12 reserved bytes. The header is UTF-8 JSON
# describing every array (dtype, shape, offset, byte count, CRC-32) and the
# metadata; the arrays follow, each aligned to ALIGNMENT bytes.
_PREAMBLE = struct.Struct("<8sIII12x")


class NetworkFileError(NetworkError):
    """A saved network file that cannot be loaded: wrong type, wrong version, truncated or corrupted."""


def write(
    path: str | Path, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]
) -> Path:
    """
    Write arrays and metadata to ``path`` atomically (a temporary file renamed into place).

    An interrupted save leaves any earlier file at ``path`` intact.
    """
    path = Path(path)
    entries: dict[str, dict[str, Any]] = {}
    offset = 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array)
        if data.dtype.hasobject:
            msg = f"array {name!r} holds Python objects and cannot be saved."
            raise TypeError(msg)
        offset = _align(offset)
        entries[name] = {
            "dtype": data.dtype.str,
            "shape": list(data.shape),
            "offset": offset,
            "nbytes": int(data.nbytes),
            "crc32": zlib.crc32(_raw(data)),
        }
        offset += data.nbytes
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

    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(_PREAMBLE.pack(MAGIC, FORMAT_VERSION, len(header), zlib.crc32(header)))
            f.write(header)
            for name, array in arrays.items():
                entry = entries[name]
                f.seek(entry["offset"])
                f.write(_raw(array))
            f.truncate(total)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read(
    path: str | Path, *, verify: bool = True
) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """
    Return the arrays (read-only memory maps) and metadata saved at ``path``.

    Raises
    ------
    NetworkFileError
        If the file is not an ecoroute network, was written by another format
        version, is truncated, or fails a checksum (``verify``) -- the message
        names the problem and, for a checksum, the damaged array.
    """
    path = Path(path)
    if not path.is_file():
        msg = f"{path}: no such file."
        raise NetworkFileError(msg)
    size = path.stat().st_size
    with path.open("rb") as f:
        preamble = f.read(_PREAMBLE.size)
        if len(preamble) < _PREAMBLE.size or not preamble.startswith(MAGIC):
            msg = f"{path} is not an ecoroute network file (it does not start with {MAGIC!r})."
            raise NetworkFileError(msg)
        _, version, header_length, header_crc = _PREAMBLE.unpack(preamble)
        if version != FORMAT_VERSION:
            msg = (
                f"{path} uses network file format version {version}; this ecoroute reads version "
                f"{FORMAT_VERSION}. Rebuild the network (ecoroute build) with this version."
            )
            raise NetworkFileError(msg)
        header = f.read(header_length)
    if len(header) < header_length:
        msg = f"{path} is truncated: it ends inside its header ({size} bytes)."
        raise NetworkFileError(msg)
    if zlib.crc32(header) != header_crc:
        msg = f"{path} is corrupted: its header fails its checksum."
        raise NetworkFileError(msg)
    try:
        info = json.loads(header)
        entries: dict[str, dict[str, Any]] = info["arrays"]
        expected_size = int(info["file_size"])
    except (ValueError, KeyError, TypeError) as error:
        msg = f"{path} is corrupted: its header cannot be parsed ({error})."
        raise NetworkFileError(msg) from error
    if size < expected_size:
        msg = f"{path} is truncated: {size:,} bytes of the {expected_size:,} it was written with."
        raise NetworkFileError(msg)
    if size > expected_size:
        msg = f"{path} has {size - expected_size:,} unexpected bytes after its data."
        raise NetworkFileError(msg)

    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, entry in entries.items():
        dtype = np.dtype(entry["dtype"])
        shape = tuple(entry["shape"])
        if entry["nbytes"] == 0:
            arrays[name] = np.empty(shape, dtype=dtype)
            continue
        array = np.memmap(path, dtype=dtype, mode="r", offset=entry["offset"], shape=shape)
        if verify and zlib.crc32(_raw(array)) != entry["crc32"]:
            msg = f"{path} is corrupted: array {name!r} fails its checksum."
            raise NetworkFileError(msg)
        arrays[name] = array
    return arrays, dict(info.get("meta", {}))


def _raw(array: npt.NDArray[Any]) -> memoryview:
    """The bytes of an array, without copying when it is contiguous."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).data


def _align(offset: int) -> int:
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _header_bytes(entries: Mapping[str, Any], meta: Mapping[str, Any], file_size: int) -> bytes:
    return json.dumps({"arrays": entries, "meta": dict(meta), "file_size": file_size}).encode()
