"""What an OSM file may be called, and the checks every reader of one makes first."""

from __future__ import annotations

import codecs
import io
import math
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from ._errors import OsmFileError

#: OSM file names ecoroute reads (pyosmium: XML, compressed XML, PBF).
SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".osm.xml")

#: Most OSM data a file may hold, in bytes after decompression (64 GiB): the XML text of
#: .osm, .osm.bz2 and .osm.gz files, the raw size of a .pbf file's blobs. Reading that much
#: takes minutes per pass, and the loader makes several; ``load_osm(...,
#: max_decompressed_bytes=...)`` sets another cap.
MAX_OSM_BYTES = 64 << 30

#: Most a compressed XML file may grow when decompressed (1000 times its size). OSM XML
#: compresses about 11:1 with bzip2 and 9:1 with gzip; a decompression bomb (2.3 KB of
#: bzip2 holding 3 GB of whitespace) is refused after reading a thousand times its size
#: instead of all of it. An explicit ``max_decompressed_bytes`` replaces this cap too.
MAX_COMPRESSION_RATIO = 1000

#: Longest XML tag, from ``<`` to ``>``, that the pre-scan lets through (1 MiB). OSM tags
#: are short (the OSM API keeps keys and values to 255 characters); libosmium's XML parser
#: (expat) holds a whole start tag in memory and takes quadratic time on it: 4 s for
#: 100 MB of whitespace between two attributes, 13 s for 200 MB.
MAX_XML_TAG_BYTES = 1 << 20

#: Largest coordinate libosmium can hold: it stores degrees times 10^7 in 32 bits. Larger
#: values are refused by its parser or, written with an exponent (1e308), read as 0.0.
_LARGEST_COORDINATE = (2**31 - 1) / 10**7

_BLOCK_BYTES = 1 << 20  # never more than MAX_XML_TAG_BYTES: see _complete_tags
_PBF_MAX_HEADER_BYTES = 64 << 10  # libosmium's limit for a BlobHeader


def check_osm_file(path: Path) -> None:
    """Raise :class:`OsmFileError` unless ``path`` is a non-empty file with an OSM name."""
    if not path.exists():
        msg = f"{path}: no such file."
        raise OsmFileError(msg)
    if path.is_dir():
        msg = f"{path} is a directory, not an OSM file."
        raise OsmFileError(msg)
    if path.stat().st_size == 0:
        msg = f"{path} is empty."
        raise OsmFileError(msg)
    name = path.name.lower()
    if not name.endswith(SUFFIXES):
        msg = f"{path}: unknown OSM file type; expected one of {', '.join(SUFFIXES)}."
        raise OsmFileError(msg)


def prescan_osm_file(path: Path, max_bytes: int | None = None) -> None:
    """
    Refuse, before libosmium reads it, a file it would read wrongly or at an unbounded cost.

    One pass over the file in blocks of 1 MiB, linear in time, with memory
    flat but for 8 bytes per XML node id:

    * more than ``max_bytes`` of OSM data after decompression (default:
      :data:`MAX_OSM_BYTES`, and :data:`MAX_COMPRESSION_RATIO` times the size
      of a compressed XML file). A .pbf file's blob headers state their raw
      sizes, so only those are read; libosmium checks each blob against its
      header and limits blobs to 32 MiB.
    * in XML, a tag longer than :data:`MAX_XML_TAG_BYTES`;
    * in XML, a node coordinate that is not a finite number, or that lies
      beyond what libosmium holds (see :func:`coordinate_problem`);
    * in XML, a node id given twice: which location a way would get is
      unspecified. PBF files are trusted to hold each id once, as every PBF
      writer guarantees.

    Raises
    ------
    OsmFileError
        Naming the file, and the node, the cap and how to raise it.
    """
    size = path.stat().st_size
    name = path.name.lower()
    pbf = name.endswith(".pbf")
    compressed = name.endswith((".gz", ".bz2"))
    cap, why = _cap(size, compressed, max_bytes)
    if pbf:
        _check_pbf_size(path, cap, why)
        return
    if not compressed and size > cap:
        _refuse_size(path, cap, why)
    _XmlScan(path, cap, why).run()


def _cap(size: int, compressed: bool, max_bytes: int | None) -> tuple[int, str]:
    """The cap on a file's OSM data, and what sets it (for the message)."""
    if max_bytes is not None:
        return max_bytes, "max_decompressed_bytes"
    if compressed and MAX_COMPRESSION_RATIO * size < MAX_OSM_BYTES:
        return MAX_COMPRESSION_RATIO * size, (
            f"{MAX_COMPRESSION_RATIO:,} times the file's {size:,} bytes, "
            "ecoroute.osm.MAX_COMPRESSION_RATIO"
        )
    return MAX_OSM_BYTES, "ecoroute.osm.MAX_OSM_BYTES"


def _refuse_size(path: Path, cap: int, why: str) -> None:
    msg = (
        f"{path} holds more than {cap:,} bytes of OSM data after decompression (the cap: {why}); "
        "a decompression bomb, or a larger extract than expected? To read it anyway, pass "
        "max_decompressed_bytes=<bytes> to ecoroute.load_osm."
    )
    raise OsmFileError(msg)


def coordinate_problem(value: str) -> str | None:
    """
    Say why libosmium would not read a node coordinate (already unescaped) as written, or None.

    Refused: anything that is not a number libosmium's grammar accepts
    (``abc``, ``+60``, ``nan``), numbers that are not finite (``1e400``), and
    numbers beyond ±214.7483647, the most libosmium's 32-bit coordinates hold
    (``1e308`` used to be read as 0.0). Values it holds but that are off the
    globe (``lat="95"``, ``lon="200"``) are not refused here: libosmium gives
    such a node no location, and the loader counts it in a warning.

    Examples
    --------
    >>> coordinate_problem("1e308"), coordinate_problem("60.1"), coordinate_problem("95")
    ('far outside the globe (libosmium holds at most ±214.7483647 degrees)', None, None)
    """
    if not _COORDINATE.fullmatch(value):
        return "not a number"
    number = float(value)
    if not math.isfinite(number):
        return "not a finite number"
    if abs(number) > _LARGEST_COORDINATE:
        return "far outside the globe (libosmium holds at most ±214.7483647 degrees)"
    return None


#: Numbers as libosmium's coordinate parser reads them: no "+", no spaces, at most ten
#: digits before the decimal point, an optional exponent.
_COORDINATE = re.compile(r"-?(?:\d{1,10}(?:\.\d*)?|\.\d+)(?:[eE]-?\d+)?")
#: A tag from "<" to its ">", a ">" inside a quoted attribute value included (possessive:
#: no backtracking). "<" may not appear in a tag, so a tag never runs past the next one.
_TAG = re.compile(rb"""<[^"'<>]*+(?:(?:"[^"<]*+"|'[^'<]*+')[^"'<>]*+)*+>""")
#: A node's id, wherever the attribute stands (JOSM writes it after others). Quoted values
#: before it are skipped whole, so a ">" in one does not hide the id.
_NODE_ID = re.compile(rb"""<node\b(?:[^"'<>]|"[^"<]*"|'[^'<]*')*?\sid\s*=\s*["']([^"'<]*)["']""")
#: A lat or lon value other than a plain decimal below 214 in size: the few that need a
#: closer look (coordinate_problem). "l" first keeps the search fast.
_ODD_COORDINATE = re.compile(
    rb"""l(?:at|on)\s*=\s*(["'])(?!-?(?:1?\d?\d|20\d|21[0-3])(?:\.\d*)?\1)"""
)
_NODE_START = re.compile(rb"<node[\s/>]")
_ATTRIBUTE = re.compile(rb"""([^\s=<>"'/]+)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')""")
_REFERENCE = re.compile(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


class _XmlScan:
    """
    One streaming pass over an XML file's text (see :func:`prescan_osm_file`).

    Why regular expressions over the raw text, and not pyosmium: libosmium
    keeps one location per node id without a word, and it has already turned
    ``1e308`` into 0.0 by the time Python sees the node; and pyosmium hands
    nodes to Python one at a time, about 2 µs each, where these
    searches run in C over 1 MiB blocks (0.42 s for a 159 MB extract, which
    libosmium reads in 1.0 s). Memory stays flat because only one unfinished
    tag is carried between blocks, at most :data:`MAX_XML_TAG_BYTES` long.
    """

    def __init__(self, path: Path, cap: int, why: str) -> None:
        self.path = path
        self.cap = cap
        self.why = why
        self.ids: list[npt.NDArray[np.int64]] = []

    def run(self) -> None:
        try:
            with _open_xml(self.path) as f:
                for data, end in self._complete_tags(f):
                    self._scan(data, end)
        except (OSError, EOFError, zlib.error):
            return  # unreadable: libosmium reports it next, with its own message
        self._check_unique()

    def _complete_tags(self, f: io.BufferedIOBase) -> Iterator[tuple[bytes, int]]:
        """
        Yield the text in pieces ``data[:end]`` that end between two tags.

        An unfinished last tag is carried into the next piece; it is never
        longer than :data:`MAX_XML_TAG_BYTES`, so each block is copied once
        and the scan stays linear. A tag longer than a block began in an
        earlier one; it is measured when it closes.
        """
        carry = b""
        total = 0
        offset = 0  # of data[0] in the text
        for size, block in _utf8_blocks(f):
            total += size
            if total > self.cap:
                _refuse_size(self.path, self.cap, self.why)
            data = carry + block if carry else block
            if carry:
                length = _tag_end(data, 0)
                if length is None:  # still open (or broken by a "<": libosmium will say)
                    following = data.find(b"<", 1)
                    length = following if following >= 0 else len(data)
                if length > MAX_XML_TAG_BYTES:
                    self._refuse_tag(offset)
            last = data.rfind(b"<")
            end = last if last >= 0 and _tag_end(data, last) is None else len(data)
            yield data, end
            carry = data[end:]
            offset += end
        if carry:
            yield carry, len(carry)  # a truncated file: libosmium reports it

    def _refuse_tag(self, offset: int) -> None:
        msg = (
            f"{self.path}: the XML tag at byte {offset:,} is longer than {MAX_XML_TAG_BYTES:,} "
            "bytes (ecoroute.osm.MAX_XML_TAG_BYTES); OSM tags are a few hundred bytes, and "
            "libosmium's parser takes quadratic time on long ones. Is this an OSM file?"
        )
        raise OsmFileError(msg)

    def _scan(self, data: bytes, end: int) -> None:
        found = _NODE_ID.findall(data, 0, end)
        if found:
            self.ids.append(_as_ids(found))
        for match in _ODD_COORDINATE.finditer(data, 0, end):
            self._check_node(data, data.rfind(b"<", 0, match.start()))

    def _check_node(self, data: bytes, start: int) -> None:
        """Refuse the node whose tag starts at ``data[start]`` if a coordinate is unreadable."""
        if start < 0 or not _NODE_START.match(data, start):
            return  # "lat=" in another tag (<bounds minlat=...>) or in text
        stop = _tag_end(data, start)
        if stop is None:
            following = data.find(b"<", start + 1)
            stop = following if following >= 0 else len(data)
        attributes = {
            key.decode("utf-8", "replace"): _xml_text(double or single)
            for key, double, single in _ATTRIBUTE.findall(data, start, stop)
        }
        for key in ("lat", "lon"):
            value = attributes.get(key)
            problem = None if value is None else coordinate_problem(value)
            if problem is not None:
                msg = (
                    f"{self.path}: node {attributes.get('id', '?')} has {key}={value!r}, "
                    f"{problem}; fix or delete the node."
                )
                raise OsmFileError(msg)

    def _check_unique(self) -> None:
        if not self.ids:
            return
        ids = np.concatenate(self.ids)
        self.ids = []
        if ids.size < 2 or bool((ids[1:] > ids[:-1]).all()):
            return  # strictly increasing, as osmium and the planet dumps write: nothing repeats
        ids.sort()
        repeated = ids[1:][ids[1:] == ids[:-1]]
        if repeated.size:
            distinct = np.unique(repeated)
            more = f" (and {distinct.size - 1:,} other ids)" if distinct.size > 1 else ""
            msg = (
                f"{self.path}: node {int(distinct[0])} appears more than once{more}; OSM node "
                "ids must be unique. Keep one <node> per id (its ways would otherwise get an "
                "arbitrary one)."
            )
            raise OsmFileError(msg)


def _open_xml(path: Path) -> io.BufferedIOBase:
    import bz2
    import gzip

    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return path.open("rb")


def _utf8_blocks(f: io.BufferedIOBase) -> Iterator[tuple[int, bytes]]:
    """
    Yield each block's size and its text in UTF-8.

    OSM XML is UTF-8 (ISO-8859-1 and ASCII read the same for the scan), but
    libosmium's parser (expat) reads UTF-16 files too: those are re-encoded,
    or the scan would see none of their tags.
    """
    block = f.read(_BLOCK_BYTES)
    encoding = None
    if block.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif block.startswith(b"<\x00"):
        encoding = "utf-16-le"
    elif block.startswith(b"\x00<"):
        encoding = "utf-16-be"
    decode = None if encoding is None else codecs.getincrementaldecoder(encoding)("replace").decode
    while block:
        yield len(block), block if decode is None else decode(block).encode("utf-8")
        block = f.read(_BLOCK_BYTES)


def _tag_end(data: bytes, start: int) -> int | None:
    """Where the tag that starts at ``data[start]`` ends (after its ">"), or None if open."""
    if data.startswith(b"<!--", start):
        close = data.find(b"-->", start + 4)
        return None if close < 0 else close + 3
    match = _TAG.match(data, start)
    return None if match is None else match.end()


def _as_ids(found: list[bytes]) -> npt.NDArray[np.int64]:
    """Node ids as int64; ones libosmium would refuse (not integers) are left out."""
    try:
        return np.array(found, dtype=np.int64)
    except (ValueError, OverflowError):  # a character reference (id="&#53;") or garbage
        ids = []
        for raw in found:
            try:
                ids.append(int(_xml_text(raw)))
            except ValueError:
                continue
        return np.array([i for i in ids if -(2**63) <= i < 2**63], dtype=np.int64)


def _xml_text(raw: bytes) -> str:
    """An attribute value as the XML parser hands it on: whitespace normalized, references read."""
    text = raw.decode("utf-8", "replace").translate({9: 32, 10: 32, 13: 32})
    return _REFERENCE.sub(_reference, text) if "&" in text else text


def _reference(match: re.Match[str]) -> str:
    name = match[1]
    if name[0] != "#":
        return _ENTITIES[name]
    code = int("0" + name[1:], 0) if name[1] in "xX" else int(name[1:])
    return chr(code) if code < 0x110000 else "\ufffd"


def _check_pbf_size(path: Path, cap: int, why: str) -> None:
    """Refuse a .pbf file whose blobs' raw sizes add up to more than ``cap`` bytes."""
    size = path.stat().st_size
    total = 0
    with path.open("rb") as f:
        while (head := f.read(4)) and len(head) == 4:
            header_size = int.from_bytes(head, "big")
            if header_size > _PBF_MAX_HEADER_BYTES:
                return  # not a PBF file: libosmium says so
            data_size = _protobuf_varint(f.read(header_size), 3)
            if data_size is None:
                return
            blob = f.tell()
            raw = _blob_raw_size(f, data_size)
            if raw is None:
                return
            total += raw
            if total > cap:
                _refuse_size(path, cap, why)
            f.seek(blob + data_size)
            if f.tell() > size:
                return  # truncated


def _blob_raw_size(f: BinaryIO, data_size: int) -> int | None:
    """The ``raw_size`` (field 2) of the Blob at the file position, or its raw data's length."""
    start = f.tell()
    while f.tell() < start + data_size:
        key = _read_varint(f)
        if key is None:
            return None
        field, kind = key >> 3, key & 7
        value = _read_varint(f)
        if value is None:
            return None
        if field == 2 and kind == 0:  # raw_size
            return value
        if kind == 2:  # bytes: raw (field 1, uncompressed) or compressed data
            if field == 1:
                return value
            f.seek(value, 1)
        elif kind != 0:
            return None
    return None


def _read_varint(f: BinaryIO) -> int | None:
    value = shift = 0
    while shift < 64:
        byte = f.read(1)
        if not byte:
            return None
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7
    return None


def _protobuf_varint(message: bytes, wanted: int) -> int | None:
    """The varint field ``wanted`` of a small protobuf message, or None."""
    i = 0
    while i < len(message):
        key, i = _varint_at(message, i)
        if key is None:
            return None
        value, i = _varint_at(message, i)
        if value is None:
            return None
        field, kind = key >> 3, key & 7
        if field == wanted and kind == 0:
            return value
        if kind == 2:
            i += value
        elif kind != 0:
            return None
    return None


def _varint_at(data: bytes | memoryview, i: int) -> tuple[int | None, int]:
    """A protobuf varint at ``i`` and the position after it; None if truncated or over 10 bytes."""
    value = shift = 0
    while i < len(data) and shift < 64:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7
    return None, i
