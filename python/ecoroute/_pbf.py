"""Frame and inflate the blobs of an .osm.pbf file for the core's PBF reader (``_core.PbfScan``)."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from ._osm_files import _varint_at

#: libosmium's limits, kept so that this reader refuses what libosmium refuses: a
#: BlobHeader of at most 64 KiB, a blob of at most 32 MiB before and after inflating.
MAX_HEADER_BYTES = 64 << 10
MAX_BLOB_BYTES = 32 << 20

#: Header features this reader reads as libosmium does. Others (history files, features it
#: does not know) are left to libosmium, which reads or refuses them.
_KNOWN_FEATURES = frozenset({"OsmSchema-V0.6", "DenseNodes"})

#: Blobs inflated ahead of the one being parsed: zlib and the core both release the GIL,
#: so inflating the next blob overlaps with parsing this one.
_AHEAD = 4


class Unsupported(Exception):
    """The file uses something this reader leaves to libosmium (the loader falls back)."""


class BrokenPbf(Exception):
    """The file breaks the PBF format; the message says where."""


def _varint(data: bytes | memoryview, i: int) -> tuple[int, int]:
    """The varint at ``i`` and the position after it (the pre-scan's reader, raising)."""
    value, end = _varint_at(data, i)
    if value is None:
        msg = "truncated varint" if end >= len(data) else "varint longer than 10 bytes"
        raise BrokenPbf(msg)
    return value, end


def _fields(data: bytes | memoryview) -> Iterator[tuple[int, int | memoryview]]:
    """The (field, value) pairs of a small protobuf message: ints and byte views."""
    view = memoryview(data)
    i = 0
    while i < len(view):
        key, i = _varint(view, i)
        field, kind = key >> 3, key & 7
        if kind == 0:
            value, i = _varint(view, i)
            yield field, value
        elif kind == 2:
            size, i = _varint(view, i)
            if i + size > len(view):
                msg = f"field {field} runs past the end of its message"
                raise BrokenPbf(msg)
            yield field, view[i : i + size]
            i += size
        elif kind in (1, 5):
            i += 8 if kind == 1 else 4
        else:
            msg = f"unknown protobuf wire type {kind}"
            raise BrokenPbf(msg)


def _frames(f: BinaryIO) -> Iterator[tuple[int, str, bytes]]:
    """Each blob's file offset, type and (still compressed) Blob message."""
    while True:
        offset = f.tell()
        head = f.read(4)
        if not head:
            return
        if len(head) < 4:
            msg = f"the file ends inside a blob header at byte {offset:,}"
            raise BrokenPbf(msg)
        header_size = int.from_bytes(head, "big")
        if header_size > MAX_HEADER_BYTES:
            msg = f"a blob header of {header_size:,} bytes at byte {offset:,} (at most 64 KiB)"
            raise BrokenPbf(msg)
        header = f.read(header_size)
        kind, data_size = "", -1
        for field, value in _fields(header):
            if field == 1 and isinstance(value, memoryview):
                kind = bytes(value).decode("utf-8", "replace")
            elif field == 3 and isinstance(value, int):
                data_size = value
        if data_size < 0 or data_size > MAX_BLOB_BYTES:
            msg = f"the blob at byte {offset:,} has no size or one over 32 MiB"
            raise BrokenPbf(msg)
        blob = f.read(data_size)
        if len(blob) < data_size:
            msg = f"the file ends inside the blob at byte {offset:,} (truncated)"
            raise BrokenPbf(msg)
        yield offset, kind, blob


def _inflate(offset: int, blob: bytes) -> bytes:
    """A Blob's data, raw or inflated, checked against its stated raw size."""
    raw_size = -1
    for field, value in _fields(blob):
        if field == 1 and isinstance(value, memoryview):
            if len(value) > MAX_BLOB_BYTES:
                break
            return bytes(value)
        if field == 2 and isinstance(value, int):
            raw_size = value
        elif field == 3 and isinstance(value, memoryview):
            if not 0 < raw_size <= MAX_BLOB_BYTES:
                msg = f"the blob at byte {offset:,} states no raw size or one over 32 MiB"
                raise BrokenPbf(msg)
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(value, raw_size)
            except zlib.error as error:
                msg = f"the blob at byte {offset:,} does not inflate ({error})"
                raise BrokenPbf(msg) from error
            if len(data) != raw_size or inflater.unconsumed_tail:
                msg = f"the blob at byte {offset:,} inflates to another size than it states"
                raise BrokenPbf(msg)
            return data
        elif field in (4, 5, 6, 7):  # lzma, bzip2 (obsolete), lz4, zstd
            msg = "a blob compressed with another method than zlib"
            raise Unsupported(msg)
    msg = f"the blob at byte {offset:,} holds no data"
    raise BrokenPbf(msg)


def _check_header(offset: int, block: bytes) -> None:
    for field, value in _fields(block):
        if field == 4 and isinstance(value, memoryview):  # required_features
            feature = bytes(value).decode("utf-8", "replace")
            if feature not in _KNOWN_FEATURES:
                msg = f"the file requires the feature {feature!r}"
                raise Unsupported(msg)


def _blocks(path: Path, offsets: list[int] | None = None) -> Iterator[tuple[int, bytes]]:
    """
    The OSMData blocks of the file (at ``offsets`` only, when given), inflated.

    Blobs are inflated a few ahead in a thread: zlib releases the GIL, so it
    runs while the core parses the block before.
    """
    with path.open("rb") as f, ThreadPoolExecutor(1) as pool:
        ahead: list[tuple[int, str, Future[bytes]]] = []
        frames = _frames(f) if offsets is None else _frames_at(f, offsets)
        first = offsets is None
        for offset, kind, blob in frames:
            if first and kind != "OSMHeader":
                msg = f"the first blob is {kind!r}, not 'OSMHeader': not a PBF file?"
                raise BrokenPbf(msg)
            first = False
            ahead.append((offset, kind, pool.submit(_inflate, offset, blob)))
            if len(ahead) > _AHEAD:
                yield from _ready(ahead.pop(0))
        for item in ahead:
            yield from _ready(item)


def _ready(item: tuple[int, str, Future[bytes]]) -> Iterator[tuple[int, bytes]]:
    offset, kind, future = item
    block = future.result()
    if kind == "OSMHeader":
        _check_header(offset, block)
    elif kind == "OSMData":
        yield offset, block
    # other blob types: the format says to skip them


def _frames_at(f: BinaryIO, offsets: list[int]) -> Iterator[tuple[int, str, bytes]]:
    for offset in offsets:
        f.seek(offset)
        yield next(_frames(f))


def read(
    path: Path,
    scan: Any,
    decide: Callable[[list[list[tuple[bytes, bytes]]]], list[bool]],
    progress: Callable[[int], None] | None = None,
) -> None:
    """
    Run ``scan`` (a ``_core.PbfScan``) over the file: ways and tagged nodes, then locations.

    ``decide`` says, for each tag set new in a block, whether its ways are
    kept; ``progress`` gets the file offset reached after each block.

    Raises
    ------
    Unsupported
        When the file needs libosmium's reading (see ``PbfScan``'s flags).
    BrokenPbf
        When the file breaks the format (truncated, corrupt).
    """
    node_blocks: list[int] = []
    offset = 0
    try:
        for offset, block in _blocks(path):
            if scan.read_block(block):
                node_blocks.append(offset)
            new = scan.new_way_tag_sets()
            if new:
                scan.decide(decide(new))
            if progress is not None:
                progress(offset)
        if scan.nodes_after_ways or scan.locations_on_ways:
            msg = "nodes after ways, or locations on ways"
            raise Unsupported(msg)
        scan.start_locations()
        for at, block in _blocks(path, node_blocks):
            offset = at
            scan.read_locations(block)
    except RuntimeError as error:  # the core's FormatError
        msg = f"{error} (the block at byte {offset:,})"
        raise BrokenPbf(msg) from error
    if scan.duplicate_nodes:
        msg = "a node referenced by a way is given twice"
        raise Unsupported(msg)
