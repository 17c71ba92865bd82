"""
OSM readers under hostile input (issue 29): linear time, flat memory, a cap on
decompressed size, and no value changed without a word.

Each test writes its hostile file into ``tmp_path``. Memory is Python's peak as
tracemalloc sees it (the pre-scan's buffers; the old scan copied its whole
unfinished tail, 5.7 GB for 2.3 KB of bzip2).
"""

from __future__ import annotations

import bz2
import gzip
import time
import tracemalloc
import warnings

import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute import osm
from ecoroute._osm_files import MAX_XML_TAG_BYTES, prescan_osm_file
from ecoroute.speeds import FALLBACK_SPEED_KPH, below_floor, parse_maxspeed

from .osm_helpers import write_osm

HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="test">\n'
ROAD = (
    b'<node id="1" lat="60.0" lon="24.0" version="1"/>\n'
    b'<node id="2" lat="60.0" lon="24.001" version="1"/>\n'
    b'<node id="3" lat="60.001" lon="24.001" version="1"/>\n'
    b'<way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>'
    b'<tag k="highway" v="residential"/></way>\n'
)
TAIL = b"</osm>\n"
MIB = 1 << 20
TRIANGLE = [(1, 60.0, 24.0), (2, 60.0, 24.001), (3, 60.001, 24.001)]


def _write(path, *pieces, filler=b"", filler_mib=0):
    """Write ``pieces`` with ``filler_mib`` MiB of ``filler`` after the first; bz2/gz by name."""
    opener = {".bz2": bz2.open, ".gz": gzip.open}.get(path.suffix, open)
    with opener(path, "wb") as f:
        f.write(pieces[0])
        chunk = (filler * (MIB // len(filler) + 1))[:MIB] if filler else b""
        for _ in range(filler_mib):
            f.write(chunk)
        for piece in pieces[1:]:
            f.write(piece)
    return path


def _load(path, **options):
    return ecoroute.load_osm(path, simplify=False, largest_component=False, **options)


def _peak_mib(call):
    """Run ``call`` and return (its seconds, Python's peak memory during it in MiB, its error)."""
    tracemalloc.start()
    started = time.perf_counter()
    error = None
    try:
        call()
    except ecoroute.OsmFileError as caught:
        error = caught
    finally:
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    return seconds, peak, error


# ------------------------------------------------------------------ linear time, flat memory


def test_whitespace_inside_osm_in_bzip2_is_refused_at_once_by_the_ratio_cap(tmp_path):
    """
    Tests the bomb of the issue, scaled down: 24 MiB of whitespace in about 1 KB
    of bzip2 is refused after reading 1000 times the file's size, not all of it.
    """
    path = _write(tmp_path / "bomb.osm.bz2", HEAD, ROAD + TAIL, filler=b" ", filler_mib=24)
    assert path.stat().st_size < 4096
    seconds, peak, error = _peak_mib(lambda: _load(path))
    assert error is not None
    text = str(error)
    assert "bomb.osm.bz2" in text
    assert f"1,000 times the file's {path.stat().st_size:,} bytes" in text
    assert "MAX_COMPRESSION_RATIO" in text
    assert "max_decompressed_bytes=" in text  # how to read it anyway
    assert seconds < 2.0
    assert peak < 8


def test_whitespace_inside_osm_in_bzip2_loads_in_flat_memory_when_allowed(tmp_path):
    path = _write(tmp_path / "spaces.osm.bz2", HEAD, ROAD + TAIL, filler=b" \n", filler_mib=12)
    result = []
    seconds, peak, error = _peak_mib(
        lambda: result.append(_load(path, max_decompressed_bytes=64 * MIB))
    )
    assert error is None
    assert result[0].node_count == 3
    assert peak < 8  # the old scan held the 12 MiB twice
    assert seconds < 10.0


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("osm-tag.osm", b'<osm version="0.6"'),  # whitespace between two attributes
        ("node-tag.osm.bz2", b'<osm version="0.6">\n<node id="7"'),
        ("value.osm", b'<osm version="0.6">\n<node id="7" user="'),  # inside a quoted value
    ],
)
def test_a_tag_without_its_closing_bracket_is_refused_in_bounded_time(tmp_path, name, where):
    """
    Tests runs without ">" (and a quoted value full of ">", which does not
    close a tag): libosmium's parser takes quadratic time on them, so the
    pre-scan refuses a tag longer than MAX_XML_TAG_BYTES, after reading about
    that much, whatever the file's size.
    """
    filler = b"a>" if name == "value.osm" else b" "
    rest = b'" lat="60.0" lon="24.0"/>\n' if name == "value.osm" else b">\n"
    path = _write(
        tmp_path / name, HEAD.split(b"<osm")[0] + where, rest + ROAD + TAIL,
        filler=filler, filler_mib=24,
    )  # fmt: skip
    seconds, peak, error = _peak_mib(lambda: _load(path, max_decompressed_bytes=64 * MIB))
    assert error is not None
    assert f"longer than {MAX_XML_TAG_BYTES:,} bytes" in str(error)
    assert name in str(error)
    assert seconds < 2.0
    assert peak < 8


def test_the_pre_scan_of_hostile_xml_takes_linear_time(tmp_path):
    """
    Tests that checking a file with 8 and 64 MiB of whitespace inside <osm>
    (no ">" for many blocks) takes time in proportion (8 times, allowed 12):
    the old scan copied its unfinished tail once per block, 17 times longer.
    """
    seconds = {}
    for size in (8, 64):
        path = _write(tmp_path / f"pad{size}.osm", HEAD, ROAD + TAIL, filler=b" ", filler_mib=size)
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            prescan_osm_file(path)
            runs.append(time.perf_counter() - started)
        seconds[size] = min(runs)
        assert _load(path, turn_restrictions=False).node_count == 3
    assert seconds[64] < 12 * seconds[8] + 0.02, seconds


# --------------------------------------------------------------------- the decompressed cap


@pytest.mark.parametrize("suffix", [".osm", ".osm.bz2", ".osm.gz", ".osm.pbf"])
def test_the_cap_on_decompressed_size_names_the_file_the_cap_and_the_way_out(tmp_path, suffix):
    xml = write_osm(tmp_path / "road.osm", TRIANGLE, {10: ([1, 2, 3], {"highway": "residential"})})
    path = tmp_path / f"road{suffix}"
    if suffix == ".osm.pbf":
        osmium = pytest.importorskip("osmium")
        with osmium.SimpleWriter(str(path)) as writer:
            for obj in osmium.FileProcessor(str(xml)):
                writer.add_node(obj) if obj.is_node() else writer.add_way(obj)
    elif suffix != ".osm":
        _write(path, xml.read_bytes())
    assert _load(path).node_count == 3  # the default caps let it through
    with pytest.raises(ecoroute.OsmFileError) as info:
        _load(path, max_decompressed_bytes=100)
    text = str(info.value)
    assert path.name in text
    assert "more than 100 bytes of OSM data after decompression" in text
    assert "max_decompressed_bytes" in text


def test_the_default_caps_are_documented_constants():
    assert osm.MAX_OSM_BYTES == 64 << 30
    assert osm.MAX_COMPRESSION_RATIO == 1000
    assert osm.MAX_XML_TAG_BYTES == MIB


# ------------------------------------------------------------------------------ coordinates


@pytest.mark.parametrize("value", ["1e308", "-1e308", "1e400", "nan", "NaN", "inf", "1e3", "215"])
@pytest.mark.parametrize("key", ["lat", "lon"])
def test_a_coordinate_off_the_globe_or_not_finite_is_refused_naming_the_node(tmp_path, key, value):
    """
    Tests coordinates libosmium would misread or refuse without naming the
    node: it read 1e308 as 0.0 (a 596 km arc, no warning) and refuses 215 and
    nan with "wrong format".
    """
    bad = (4, value, 24.002) if key == "lat" else (4, 60.0, value)
    path = write_osm(
        tmp_path / "far.osm", [*TRIANGLE, bad], {10: ([1, 2, 3, 4], {"highway": "residential"})}
    )
    with pytest.raises(ecoroute.OsmFileError, match=rf"far\.osm: node 4 has {key}='{value}', "):
        _load(path)


def test_a_coordinate_with_an_exponent_within_range_is_read(tmp_path):
    nodes = [*TRIANGLE, (4, "6.0e1", "2.4002E1")]
    path = write_osm(tmp_path / "exp.osm", nodes, {10: ([1, 2, 3, 4], {"highway": "residential"})})
    network = _load(path)
    i = network.node_index([4])[0]
    assert (network.lat[i], network.lon[i]) == (60.0, 24.002)


def test_an_odd_coordinate_on_a_block_boundary_is_found(tmp_path):
    """Tests the carry between blocks: the node's tag starts in one MiB and ends in the next."""
    tag = b'<node id="4" lat="60.0" lon="1e308" version="1"/>\n'
    pad = MIB - len(HEAD) - 20  # the tag crosses the first block's end
    path = tmp_path / "split.osm"
    path.write_bytes(HEAD + b" " * pad + tag + ROAD + TAIL)
    with pytest.raises(ecoroute.OsmFileError, match="node 4 has lon='1e308'"):
        _load(path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_utf16_file_is_scanned_too(tmp_path, encoding):
    """Tests that libosmium's UTF-16 reading does not hide a node from the scan."""
    text = (HEAD + ROAD + b'<node id="4" lat="60.0" lon="1e308"/>\n' + TAIL).decode()
    path = tmp_path / "wide.osm"
    path.write_bytes(text.replace("UTF-8", "UTF-16").encode(encoding))
    with pytest.raises(ecoroute.OsmFileError, match="node 4 has lon='1e308'"):
        _load(path)


# ---------------------------------------------------------------------- duplicate node ids


@pytest.mark.parametrize(
    "second",
    [
        b'<node id="2" lat="61.0" lon="25.0"/>',
        b'<node user="a > b" id="2" lat="61.0" lon="25.0"/>',  # a ">" in a value before the id
        b'<node id = "2" lat="61.0" lon="25.0"/>',  # spaces around "="
        b'<node id="&#50;" lat="61.0" lon="25.0"/>',  # a character reference
    ],
)
def test_a_node_id_given_twice_is_found_however_it_is_written(tmp_path, second):
    path = tmp_path / "dup.osm"
    path.write_bytes(HEAD + ROAD + second + b"\n" + TAIL)
    with pytest.raises(ecoroute.OsmFileError, match="node 2 appears more than once"):
        _load(path)


def test_a_node_id_on_a_block_boundary_is_found(tmp_path):
    second = b'<node id="2" lat="61.0" lon="25.0"/>\n'
    pad = MIB - len(HEAD) - len(ROAD) - 8  # the second node 2 crosses the first block's end
    path = tmp_path / "dup.osm"
    path.write_bytes(HEAD + ROAD + b" " * pad + second + TAIL)
    with pytest.raises(ecoroute.OsmFileError, match="node 2 appears more than once"):
        prescan_osm_file(path)


# ----------------------------------------------------------------------------------- speeds


@pytest.mark.parametrize("value", ["0.0001", "0", "0.5 mph", "50;0.0001"])
def test_a_maxspeed_below_the_floor_is_ignored_counted_and_imputed(tmp_path, value):
    """Tests maxspeed=0.0001 (4.9 million s for 137 m): the highway default instead, counted."""
    ways = {10: ([1, 2, 3], {"highway": "residential", "maxspeed": value})}
    path = write_osm(tmp_path / "slow.osm", TRIANGLE, ways)
    with pytest.warns(UserWarning, match=r"1 ways have a maxspeed below 1 km/h \(e\.g\. way 10"):
        network = _load(path)
    assert_allclose(network.speed_kph, FALLBACK_SPEED_KPH["residential"])
    assert network.travel_time_s.max() < 20


def test_maxspeeds_above_the_ceiling_and_below_the_floor_share_one_warning(tmp_path):
    nodes = [*TRIANGLE, (4, 60.002, 24.001)]
    ways = {10: ([1, 2, 3], {"highway": "residential", "maxspeed": "0.0001"}),
            11: ([3, 4], {"highway": "residential", "maxspeed": "999999"})}  # fmt: skip
    path = write_osm(tmp_path / "both.osm", nodes, ways)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _load(path)
    texts = [str(w.message) for w in caught]
    assert len(texts) == 1
    assert "2 ways have a maxspeed above 300 km/h or below 1 km/h" in texts[0]
    assert "MAX_SPEED_KPH, MIN_SPEED_KPH" in texts[0]


def test_a_maxspeed_at_the_floor_is_used(tmp_path):
    ways = {10: ([1, 2, 3], {"highway": "residential", "maxspeed": "1"})}
    path = write_osm(tmp_path / "crawl.osm", TRIANGLE, ways)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network = _load(path)
    assert_allclose(network.speed_kph, 1.0)


@pytest.mark.parametrize(
    ("value", "below"),
    [("0.0001", True), ("0", True), ("0.99", True), ("1", False), ("walk", False),
     ("fast", False), (None, False), ("0.5 mph", True), ("50;0", True), ("999999", False)],
)  # fmt: skip
def test_below_floor_and_parse_maxspeed_agree(value, below):
    assert below_floor(value) is below
    if below:
        assert parse_maxspeed(value) != parse_maxspeed(value)  # NaN
