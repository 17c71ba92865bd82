"""Saved networks: round trips, memory maps, and every way a file can be damaged."""

from __future__ import annotations

import mmap
import struct

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import ecoroute
from ecoroute import storage

from .conftest import TEST_DATA
from .helpers import random_network

FIELDS = (
    "node_id",
    "lat",
    "lon",
    "first_out",
    "head",
    "length_m",
    "speed_kph",
    "travel_time_s",
    "grade",
    "highway_code",
    "osm_way_id",
    "geometry_offsets",
    "geometry_lonlat",
)


@pytest.fixture
def saved(tmp_path):
    network = ecoroute.load_osm(TEST_DATA / "tiny.osm")
    path = tmp_path / "tiny.ecoroute"
    network.save(path)
    return network, path


def test_round_trip_keeps_every_array_and_route(saved):
    network, path = saved
    loaded = ecoroute.RoadNetwork.load(path)
    for field in FIELDS:
        assert_array_equal(getattr(loaded, field), getattr(network, field), err_msg=field)
    assert loaded.highway_names == network.highway_names
    a = ecoroute.Router(network).route(1, 5)
    b = ecoroute.Router(loaded).route(1, 5)
    assert a.co2_g == b.co2_g
    assert_array_equal(a.nodes, b.nodes)


def test_round_trip_with_elevation_and_attachments(tmp_path):
    network = random_network(3).replace(elevation_m=np.linspace(0, 50, 60))
    network = network.with_attachments(extra=np.arange(7, dtype=np.int32))
    network.save(tmp_path / "n")
    loaded = ecoroute.RoadNetwork.load(tmp_path / "n")
    assert_array_equal(loaded.elevation_m, network.elevation_m)
    assert_array_equal(loaded.attachments["extra"], np.arange(7))


def test_arrays_are_memory_mapped_and_read_only(saved):
    _, path = saved
    loaded = ecoroute.RoadNetwork.load(path)
    for field in ("length_m", "lat", "node_id", "highway_code"):
        array = getattr(loaded, field)
        assert not array.flags.writeable
        base = array
        while isinstance(base, np.ndarray):
            base = base.base
        assert isinstance(base, memoryview), field  # a view of the file's one memory map
        assert isinstance(base.obj, mmap.mmap), field


def test_not_an_ecoroute_file(tmp_path):
    path = tmp_path / "x.ecoroute"
    path.write_bytes(b"PK\x03\x04 some zip file")
    with pytest.raises(ecoroute.NetworkFileError, match="not an ecoroute network file"):
        ecoroute.RoadNetwork.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(ecoroute.NetworkFileError, match="no such file"):
        ecoroute.RoadNetwork.load(tmp_path / "nope")


def test_wrong_version(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[8:12] = struct.pack("<I", 99)
    path.write_bytes(bytes(data))
    with pytest.raises(ecoroute.NetworkFileError, match="format version 99"):
        ecoroute.RoadNetwork.load(path)


@pytest.mark.parametrize("keep", [10, 40, 200, -1])
def test_truncated_files(saved, keep):
    _, path = saved
    data = path.read_bytes()
    path.write_bytes(data[:keep])
    with pytest.raises(ecoroute.NetworkFileError, match=r"truncated|not an ecoroute"):
        ecoroute.RoadNetwork.load(path)


def test_flipped_byte_in_an_array_names_the_array(saved):
    _, path = saved
    offset = _offset_of(path, "length_m")
    data = bytearray(path.read_bytes())
    data[offset + 3] ^= 0x40
    path.write_bytes(bytes(data))
    with pytest.raises(ecoroute.NetworkFileError, match="array 'length_m' fails its checksum"):
        ecoroute.RoadNetwork.load(path)


def test_flipped_byte_in_the_header(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[40] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ecoroute.NetworkFileError, match="header fails its checksum"):
        ecoroute.RoadNetwork.load(path)


def test_extra_bytes(saved):
    _, path = saved
    path.write_bytes(path.read_bytes() + b"\x00" * 10)
    with pytest.raises(ecoroute.NetworkFileError, match="10 unexpected bytes"):
        ecoroute.RoadNetwork.load(path)


def test_a_failed_save_leaves_the_old_file_intact(saved):
    """Tests atomic saving: an array that cannot be written aborts before the rename."""
    _, path = saved
    before = path.read_bytes()
    with pytest.raises(TypeError, match="Python objects"):
        storage.write(path, {"bad": np.array([object()], dtype=object)}, {})
    assert path.read_bytes() == before
    assert not list(path.parent.glob(".*.tmp"))


def _offset_of(path, name):
    import json

    header_length = struct.unpack("<I", path.read_bytes()[12:16])[0]
    header = json.loads(path.read_bytes()[32 : 32 + header_length])
    return header["arrays"][name]["offset"]


def test_prepared_network_round_trip_keeps_the_hierarchy(tmp_path):
    """Tests that a saved prepared network loads prepared, with the same routes (plain Dijkstra oracle)."""
    network = random_network(4, node_count=120, edge_count=400).prepared()
    network.save(tmp_path / "p")
    loaded = ecoroute.RoadNetwork.load(tmp_path / "p")
    assert loaded.hierarchy is not None
    router = ecoroute.Router(loaded, objective="time")
    assert router.algorithm == "cch"
    reference = ecoroute.Router(network, objective="time", algorithm="dijkstra")
    ids = network.node_id
    # Sums in a different order: equal to rounding, not bit for bit.
    np.testing.assert_allclose(
        router.route_many(ids, ids[::-1])["cost"],
        reference.route_many(ids, ids[::-1])["cost"],
        rtol=1e-12,
    )


def test_invalid_hierarchy_in_a_file_is_reported(tmp_path):
    """Tests a file whose checksums pass but whose hierarchy is not one of this graph."""
    network = random_network(4, node_count=120, edge_count=400).prepared()
    network.save(tmp_path / "p")
    arrays, meta = storage.read(tmp_path / "p")
    arrays = {k: np.array(v) for k, v in arrays.items()}
    arrays["hierarchy/order"] = arrays["hierarchy/order"][::-1].copy()
    storage.write(tmp_path / "bad", arrays, meta)
    with pytest.raises(ecoroute.NetworkFileError, match="invalid contraction hierarchy"):
        ecoroute.RoadNetwork.load(tmp_path / "bad")
