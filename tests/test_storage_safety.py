"""
Saved files under attack: hand-edited headers (hypothesis), damaged entries, and a
saver and a loader working on one path at once.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import tempfile
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

import ecoroute

from .conftest import TEST_DATA
from .helpers import random_network

PREAMBLE = struct.Struct("<8sIII12x")
FIELDS = ("first_out", "head", "node_id", "lat", "lon", "length_m", "geometry_lonlat")


def _split(data: bytes) -> tuple[dict, int]:
    """The header of a saved file as JSON, and the room it has before the first array."""
    _, _, length, _ = PREAMBLE.unpack(data[: PREAMBLE.size])
    header = json.loads(data[PREAMBLE.size : PREAMBLE.size + length])
    room = min(e["offset"] for e in header["arrays"].values()) - PREAMBLE.size
    return header, room


def _with_header(data: bytes, header: object) -> bytes:
    """The file with ``header`` in place of its own, under a valid CRC (a careful hand edit)."""
    text = json.dumps(header).encode()
    _, room = _split(data)
    preamble = PREAMBLE.pack(b"ECORTNET", 1, len(text), zlib.crc32(text))
    body = bytearray(data)
    if len(text) > room:  # a longer header runs into the arrays (the loader must notice)
        body[PREAMBLE.size :] = text + bytes(data[PREAMBLE.size + len(text) :])
    else:
        body[PREAMBLE.size : PREAMBLE.size + room] = text + b" " * (room - len(text))
    body[: PREAMBLE.size] = preamble
    return bytes(body)


_NETWORK = ecoroute.load_osm(TEST_DATA / "tiny.osm")
with tempfile.TemporaryDirectory() as _folder:
    _ORIGINAL = _NETWORK.save(Path(_folder) / "tiny.ecoroute").read_bytes()
_HEADER, _ = _split(_ORIGINAL)
_NAMES = sorted(_HEADER["arrays"])


def _load(data: bytes, *, verify: bool = True) -> ecoroute.RoadNetwork:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "edited.ecoroute"
        path.write_bytes(data)
        return ecoroute.RoadNetwork.load(path, verify=verify)


# ---------------------------------------------------------------------- fixed edits


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        # The defects of issue 14: nbytes 0 loaded uninitialised memory; the rest crashed.
        (lambda h: h["arrays"]["length_m"].update(nbytes=0), r"'length_m'\]\.nbytes"),
        (lambda h: h["arrays"]["lat"].update(shape=["3"]), r"'lat'\]\.shape"),
        (lambda h: h["arrays"]["lat"].update(shape=None), r"'lat'\]\.shape"),
        (lambda h: h["arrays"]["lat"].update(dtype=7), r"'lat'\]\.dtype"),
        (lambda h: h["arrays"]["lat"].update(dtype="O"), r"'lat'\]\.dtype"),
        (lambda h: h["arrays"]["lat"].update(dtype="<c16"), r"'lat'\]\.dtype"),
        (lambda h: h["arrays"]["lat"].update(dtype=">f8"), r"'lat'\]\.dtype"),
        (lambda h: h["arrays"]["lat"].pop("crc32"), r"'lat'\]\.crc32"),
        (lambda h: h["arrays"]["lat"].update(crc32="x"), r"'lat'\]\.crc32"),
        (lambda h: h["arrays"]["lat"].update(offset=2**70), r"'lat'\]\.offset"),
        (lambda h: h["arrays"]["lat"].update(offset=-64), r"'lat'\]\.offset"),
        (lambda h: h["arrays"]["lat"].update(offset=1.5), r"'lat'\]\.offset"),
        (lambda h: h["arrays"]["lat"].update(shape=[2**62], nbytes=2**65), r"'lat'\]\.shape"),
        (lambda h: h["arrays"]["lat"].update(shape=[0, 2**62], nbytes=0), r"'lat'\]\.shape"),
        (lambda h: h["arrays"].update(lat=[1, 2]), r"arrays\['lat'\]"),
        (lambda h: h.update(arrays=[]), "field arrays"),
        (lambda h: h.update(meta=3), "field meta"),
        (lambda h: h.update(file_size="big"), "field file_size"),
        (lambda h: h.update(file_size=True), "field file_size"),
        (lambda h: h["meta"].update(highway_names=[1, 2]), "meta.highway_names"),
        (lambda h: h["meta"].update(node_count=-1), "meta.node_count"),
        (lambda h: h["arrays"].pop("head"), "lacks the array"),
        (lambda h: h["arrays"].update(surprise=h["arrays"].pop("grade")), "unknown array"),
        (
            lambda h: h["arrays"]["lon"].update(
                {k: h["arrays"]["lat"][k] for k in ("offset", "crc32")}
            ),
            "overlap",
        ),
        (lambda h: h["arrays"]["lat"].update(dtype="<i8"), "'lat' is <i8"),
    ],
)
def test_hand_edited_header_names_the_field(edit, match):
    """Tests edits with a valid header CRC: each one a NetworkFileError naming the field."""
    header = json.loads(json.dumps(_HEADER))
    edit(header)
    with pytest.raises(ecoroute.NetworkFileError, match=match):
        _load(_with_header(_ORIGINAL, header))


def test_header_that_is_not_json_or_too_deep():
    for text in ([1, 2], "x", None):
        with pytest.raises(ecoroute.NetworkFileError, match="header"):
            _load(_with_header(_ORIGINAL, text))
    deep = bytearray(_ORIGINAL)
    nested = b"[" * 100_000 + b"]" * 100_000
    deep[: PREAMBLE.size] = PREAMBLE.pack(b"ECORTNET", 1, len(nested), zlib.crc32(nested))
    deep[PREAMBLE.size : PREAMBLE.size + len(nested)] = nested
    with pytest.raises(ecoroute.NetworkFileError):
        _load(bytes(deep))


def test_huge_header_length_is_truncation_not_memory_error():
    data = bytearray(_ORIGINAL)
    data[12:16] = struct.pack("<I", 2**32 - 1)
    with pytest.raises(ecoroute.NetworkFileError, match="ends inside its header"):
        _load(bytes(data))


def test_paths_that_are_not_files(tmp_path):
    with pytest.raises(ecoroute.NetworkFileError, match=r"not a regular file|cannot be opened"):
        ecoroute.RoadNetwork.load(tmp_path)
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(ecoroute.NetworkFileError, match="not an ecoroute network file"):
        ecoroute.RoadNetwork.load(tmp_path / "empty")


# ---------------------------------------------------------------------- fuzzing

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
_DTYPES = st.sampled_from(
    [
        "<f8",
        "<i8",
        "<u4",
        "<i2",
        "|u1",
        "|b1",
        "<f4",
        ">f8",
        "O",
        "<c16",
        "V8",
        "S3",
        "(2,)<f8",
        "<M8[s]",
        "<u8",
        "f8",
        "float64",
        "",
        "<f16",
    ]
)
_ENTRY_FIELDS = st.sampled_from(["dtype", "shape", "offset", "nbytes", "crc32", "extra"])


@st.composite
def _edits(draw: st.DrawFn) -> dict:
    """A header with one to three edits of the kinds a hand (or a bug) would make."""
    header = json.loads(json.dumps(_HEADER))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["entry", "drop", "top", "meta", "near", "rename"]))
        entries = header["arrays"] if isinstance(header.get("arrays"), dict) else None
        names = sorted(entries) if entries else []
        if kind in {"entry", "drop", "near", "rename"} and not names:
            continue
        if kind == "entry":
            entry = entries[draw(st.sampled_from(names))]
            if isinstance(entry, dict):
                key = draw(_ENTRY_FIELDS)
                value = draw(
                    _DTYPES
                    if key == "dtype"
                    else st.lists(st.integers(-2, 2**40), max_size=3) | _JSON
                    if key == "shape"
                    else _JSON
                )
                entry[key] = value
        elif kind == "drop":
            entry = entries[draw(st.sampled_from(names))]
            if isinstance(entry, dict) and entry:
                entry.pop(draw(st.sampled_from(sorted(entry))))
        elif kind == "near":  # plausible numbers: another entry's, or off by a little
            entry = entries[draw(st.sampled_from(names))]
            other = entries[draw(st.sampled_from(names))]
            key = draw(st.sampled_from(["offset", "nbytes", "crc32", "shape"]))
            if isinstance(entry, dict) and isinstance(other, dict) and key in other:
                value = other[key]
                if isinstance(value, int) and not isinstance(value, bool):
                    value += draw(st.sampled_from([0, 1, -1, 8, -8, 64, -64]))
                entry[key] = value
        elif kind == "rename":
            old = draw(st.sampled_from(names))
            new = draw(st.sampled_from([*names, "attachment/x", "hierarchy/order", "", "zzz"]))
            entries[new] = entries.pop(old)
        elif kind == "top":
            header[draw(st.sampled_from(["arrays", "meta", "file_size", "other"]))] = draw(_JSON)
        elif kind == "meta" and isinstance(header.get("meta"), dict):
            key = draw(st.sampled_from(["highway_names", "node_count", "arc_count", "x"]))
            header["meta"][key] = draw(_JSON)
    return header


@settings(
    derandomize=True,
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(header=_edits(), verify=st.booleans())
def test_fuzzed_headers_load_or_raise_network_file_error(header, verify):
    """
    Tests that any header edit (with a valid CRC) either loads the same network
    or raises NetworkFileError: never TypeError, KeyError, OverflowError,
    MemoryError or a network built from bytes that were not its arrays.
    """
    try:
        loaded = _load(_with_header(_ORIGINAL, header), verify=verify)
    except ecoroute.NetworkFileError:
        return
    if verify:
        for field in FIELDS:
            assert_array_equal(getattr(loaded, field), getattr(_NETWORK, field), err_msg=field)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(
    position=st.integers(0, len(_ORIGINAL) - 1),
    value=st.integers(0, 255),
    cut=st.none() | st.integers(0, len(_ORIGINAL)),
)
def test_fuzzed_bytes_load_or_raise_network_file_error(position, value, cut):
    """Tests single-byte damage and truncation anywhere in the file (the CRCs catch it)."""
    data = bytearray(_ORIGINAL)
    data[position] = value
    if cut is not None:
        data = data[:cut]
    try:
        loaded = _load(bytes(data))
    except ecoroute.NetworkFileError:
        return
    for field in FIELDS:  # loaded despite the edit: only a no-op edit may do that
        assert_array_equal(getattr(loaded, field), getattr(_NETWORK, field), err_msg=field)


# ---------------------------------------------------------------------- save atomically

SAVER = """
import sys, time
import ecoroute
networks = [ecoroute.RoadNetwork.load(sys.argv[1]), ecoroute.RoadNetwork.load(sys.argv[2])]
target, seconds = sys.argv[3], float(sys.argv[4])
saves = 0
stop = time.monotonic() + seconds
while time.monotonic() < stop:
    networks[saves % 2].save(target)
    saves += 1
print(saves)
"""

LOADER = """
import json, sys, time
import numpy as np
import ecoroute
target, seconds = sys.argv[1], float(sys.argv[2])
expected = {float(x) for x in sys.argv[3:]}
first = None
loads, failures, errors = 0, 0, []
stop = time.monotonic() + seconds
while time.monotonic() < stop:
    try:
        network = ecoroute.RoadNetwork.load(target)
        total = float(np.sum(network.length_m))
        if total not in expected:
            raise ValueError(f"a network that was never saved: {total}")
        first = first or (network, total)
        loads += 1
    except Exception as error:
        failures += 1
        errors.append(f"{type(error).__name__}: {error}")
kept = float(np.sum(first[0].length_m)) == first[1] if first else False
print(json.dumps({"loads": loads, "failures": failures, "errors": errors[:5], "kept": kept}))
"""


def test_concurrent_saver_and_loader_never_see_a_half_written_file(tmp_path):
    """
    Tests issue 14's race: one process saves two networks in turn to one path
    (atomically) while another loads it in a loop, for about three seconds.
    Every load must give one of the two networks, and a network loaded early
    must stay intact while the file is replaced under it.
    """
    a = random_network(1, node_count=3000, edge_count=9000)
    b = random_network(2, node_count=3000, edge_count=9000)
    a.save(tmp_path / "a.ecoroute")
    b.save(tmp_path / "b.ecoroute")
    target = tmp_path / "shared.ecoroute"
    a.save(target)
    sums = [repr(float(np.sum(n.length_m))) for n in (a, b)]
    saver = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(SAVER),
            str(tmp_path / "a.ecoroute"),
            str(tmp_path / "b.ecoroute"),
            str(target),
            "3.5",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    loader = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(LOADER), str(target), "3.0", *sums],
        stdout=subprocess.PIPE,
        text=True,
    )
    loaded = json.loads(loader.communicate(timeout=120)[0])
    saves = int(saver.communicate(timeout=120)[0])
    print(f"{saves} saves, {loaded['loads']} loads, {loaded['failures']} failed")
    assert saver.returncode == 0
    assert loader.returncode == 0
    assert loaded["failures"] == 0, loaded["errors"]
    assert loaded["kept"]
    assert loaded["loads"] >= 10
    assert saves >= 10
    assert not list(tmp_path.glob(".*.tmp"))
