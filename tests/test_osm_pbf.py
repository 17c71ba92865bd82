"""
The core's PBF reader against pyosmium's, its oracle: the same ways, array for
array, and the same networks, on hand-made files written as PBF, the shipped
Helsinki extract and every real extract in ../shared/data/osm; broken files
raise OsmFileError.
"""

from __future__ import annotations

import contextlib
import functools
import random
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import ecoroute
from ecoroute import _pbf, osm

from .conftest import SHARED_DATA
from .osm_helpers import write_osm

osmium = pytest.importorskip("osmium")

HELSINKI = osm.Path(ecoroute.__file__).parent / "data" / "helsinki.osm.pbf"
REAL_PBF = sorted((SHARED_DATA / "osm").glob("*.osm.pbf")) if SHARED_DATA.exists() else []

ARRAYS = (
    "ref",
    "lat",
    "lon",
    "way_length",
    "way_id",
    "highway",
    "direction",
    "speed_forward",
    "speed_backward",
)


def to_pbf(source, path, options="pbf"):
    """Write ``source`` (any OSM file) as ``path`` with pyosmium, in the order read."""
    with osmium.SimpleWriter(osmium.io.File(str(path), options)) as writer:
        for obj in osmium.FileProcessor(str(source)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
            else:
                writer.add_relation(obj)
    return path


def assert_same_ways(path, network_type="drive"):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # both readers warn alike (test_osm checks the texts)
        old = osm._read_ways(path, network_type, None, reader="osmium")
        new = osm._read_ways(path, network_type, None, reader="pbf")
    for name in ARRAYS:
        a, b = np.asarray(getattr(old, name)), np.asarray(getattr(new, name))
        assert a.shape == b.shape, name
        if a.dtype.kind == "f":
            assert_array_equal(a, b, err_msg=name)  # NaN where NaN
        else:
            assert a.tolist() == b.tolist(), name
    assert old.countries == new.countries
    assert list(old.unreadable.items()) == list(new.unreadable.items())
    assert old.conditional == new.conditional
    assert list(old.legal) == list(new.legal)
    for table_old, table_new in ((old.legal, new.legal), (old.node_legal, new.node_legal)):
        assert list(table_old) == list(table_new)
        for key, record in table_old.items():
            for slot in record.__slots__:
                assert repr(getattr(record, slot)) == repr(getattr(table_new[key], slot)), slot
    return new


NODES = [
    (1, 60.0, 24.0),
    (2, 60.0, 24.001),
    (3, 60.001, 24.001),
    (4, 60.001, 24.0),
    (5, 60.002, 24.002),
    (6, 95.0, 24.0),  # off the globe: no location
    (7, 60.003, 24.003),
    (8, 60.0035, 24.0031),
]
WAYS = {
    10: ([1, 2, 3], {"highway": "residential", "maxspeed": "30", "name": "A"}),
    11: ([3, 4, 1], {"highway": "primary", "oneway": "-1", "maxspeed": "DE:urban"}),
    12: ([2, 5, 99], {"highway": "tertiary", "maxweight": "7.5", "hgv": "no"}),  # 99: missing
    13: ([5, 6, 7], {"highway": "secondary", "maxspeed": "5000", "maxspeed:hgv:wet": "60"}),
    14: ([7, 8], {"route": "ferry", "duration": "00:10", "motor_vehicle": "yes"}),
    15: ([8, 5], {"route": "shuttle_train"}),
    16: ([1, 5], {"highway": "footway"}),
    17: ([4, 5], {"highway": "service", "access": "private", "access:conditional": "yes @ x"}),
    18: ([3, 5], {"highway": "unclassified", "maxheight": "bad", "junction": "roundabout"}),
    19: ([1, 3, 5], {"highway": "residential", "maxspeed": "30", "name": "B"}),  # A's tags
}


@pytest.fixture
def handmade(tmp_path):
    xml = write_osm(tmp_path / "roads.osm", NODES, WAYS)
    # a barrier node: the helper writes no node tags, so add some
    text = xml.read_text().replace(
        '<node id="5" lat="60.002" lon="24.002" version="1"/>',
        '<node id="5" lat="60.002" lon="24.002" version="1">'
        '<tag k="barrier" v="gate"/><tag k="access" v="private"/></node>',
    )
    xml.write_text(text)
    return xml


@pytest.mark.parametrize(
    "options", ["pbf", "pbf,pbf_dense_nodes=false", "pbf,pbf_compression=none"]
)
@pytest.mark.parametrize("network_type", ["drive", "drive_service"])
def test_the_core_reads_hand_made_pbf_as_pyosmium_does(tmp_path, handmade, options, network_type):
    path = to_pbf(handmade, tmp_path / "roads.osm.pbf", options)
    ways = assert_same_ways(path, network_type)
    assert 99 in np.asarray(ways.ref).tolist()
    assert len(ways.node_legal) == 1
    assert ways.legal  # the hgv=no way


def test_ways_sharing_a_tag_set_share_the_rules_answer(tmp_path, handmade):
    """Tests that two ways with the same kept tags (names differ) read as one tag set."""
    scan = ecoroute._core.PbfScan(
        way_filter=["highway", "route"],
        way_keys=osm._PBF_WAY_KEYS,
        way_key_prefixes=osm._PBF_WAY_PREFIXES,
        node_filter=sorted(osm._LEGAL_NODE_KEYS),
        node_keys=sorted(osm.osm_rules.NODE_KEYS),
    )
    path = to_pbf(handmade, tmp_path / "roads.osm.pbf")
    decided: list[list[tuple[bytes, bytes]]] = []

    def decide(new):
        decided.extend(new)
        return [True] * len(new)

    _pbf.read(path, scan, decide)
    arrays = scan.take_ways()
    assert len(decided) == len(WAYS) - 1  # ways 10 and 19 share one
    sets = arrays["way_tag_set"].tolist()
    ids = arrays["way_id"].tolist()
    assert sets[ids.index(10)] == sets[ids.index(19)]
    assert all(b"name" not in dict(pairs) for pairs in decided)


def test_the_shipped_helsinki_extract_reads_the_same():
    assert_same_ways(HELSINKI)


@pytest.mark.parametrize("path", REAL_PBF, ids=[p.name for p in REAL_PBF])
def test_every_real_extract_reads_the_same(path):
    assert_same_ways(path)


@pytest.mark.filterwarnings("ignore::UserWarning")  # clipped extracts, alike in both
@pytest.mark.parametrize("path", [HELSINKI, *REAL_PBF], ids=lambda p: p.name)
def test_the_networks_are_the_same_array_for_array(tmp_path, monkeypatch, path):
    new = ecoroute.load_osm(path, progress=False).save(tmp_path / "new.ecoroute")
    monkeypatch.setattr(osm, "_read_ways", functools.partial(osm._read_ways, reader="osmium"))
    old = ecoroute.load_osm(path, progress=False).save(tmp_path / "old.ecoroute")
    # the saved file holds every array (nodes, arcs, lengths, speeds, geometry, legal, turns)
    assert old.read_bytes() == new.read_bytes()


def test_a_file_with_ways_before_nodes_is_left_to_libosmium(tmp_path):
    """
    Tests that the core's reader refuses an unsorted file (libosmium gives a
    way's nodes that come after it no location) and the loader falls back.
    """
    xml = tmp_path / "unsorted.osm"
    xml.write_text(
        '<?xml version="1.0"?><osm version="0.6">'
        '<node id="1" lat="60.0" lon="24.0"/>'
        '<way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/></way>'
        '<node id="2" lat="60.0" lon="24.001"/><node id="3" lat="60.001" lon="24.001"/>'
        "</osm>"
    )
    path = to_pbf(xml, tmp_path / "unsorted.osm.pbf")
    with pytest.raises(_pbf.Unsupported):
        osm._read_ways(path, "drive", None, reader="pbf")
    ways = osm._read_ways(path, "drive", None)  # auto: falls back to pyosmium
    assert np.isnan(np.asarray(ways.lat)[1:]).all()


@pytest.fixture(scope="module")
def helsinki_bytes():
    return HELSINKI.read_bytes()


@pytest.mark.parametrize("fraction", [0.0001, 0.01, 0.3, 0.5, 0.9, 0.9999])
def test_a_truncated_pbf_file_raises_osm_file_error(tmp_path, helsinki_bytes, fraction):
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(helsinki_bytes[: max(1, int(len(helsinki_bytes) * fraction))])
    with pytest.raises(ecoroute.OsmFileError, match=r"cut\.osm\.pbf could not be read as OSM"):
        osm._read_ways(path, "drive", None, reader="pbf")


@pytest.mark.parametrize("seed", range(8))
def test_corrupt_pbf_blocks_raise_osm_file_error_or_read_never_crash(tmp_path, seed):
    """
    Tests PBF files whose inflated blocks have bytes flipped (written raw, so
    the damage reaches the decoder rather than zlib's checksum).
    """
    raw = to_pbf(HELSINKI, tmp_path / "raw.osm.pbf", "pbf,pbf_compression=none").read_bytes()
    rng = random.Random(seed)
    data = bytearray(raw)
    for _ in range(20):
        at = rng.randrange(200, len(data))
        data[at] = rng.randrange(256)
    path = tmp_path / "flipped.osm.pbf"
    path.write_bytes(bytes(data))
    with contextlib.suppress(ecoroute.OsmFileError, _pbf.Unsupported):
        osm._read_ways(path, "drive", None, reader="pbf")


def test_a_blob_inflating_past_its_stated_size_is_refused(tmp_path, helsinki_bytes):
    """Tests the per-blob cap: a blob may not inflate to more than its raw_size says."""
    import zlib

    # An OSMData blob whose raw_size says 10 bytes, holding 1 MiB of zeros.
    def field(number, kind, payload):
        head = bytes([number << 3 | kind])
        if kind == 0:
            return head + _varint(payload)
        return head + _varint(len(payload)) + payload

    def _varint(value):
        out = b""
        while value >= 0x80:
            out += bytes([value & 0x7F | 0x80])
            value >>= 7
        return out + bytes([value])

    first = helsinki_bytes[: 4 + int.from_bytes(helsinki_bytes[:4], "big")]
    size = _pbf._fields(first[4:])
    header_size = dict(size)[3]
    osm_header = helsinki_bytes[: len(first) + header_size]
    blob = field(2, 0, 10) + field(3, 2, zlib.compress(b"\0" * (1 << 20)))
    header = field(1, 2, b"OSMData") + field(3, 0, len(blob))
    path = tmp_path / "bomb.osm.pbf"
    path.write_bytes(osm_header + len(header).to_bytes(4, "big") + header + blob)
    with pytest.raises(ecoroute.OsmFileError, match="another size than it states"):
        osm._read_ways(path, "drive", None, reader="pbf")
