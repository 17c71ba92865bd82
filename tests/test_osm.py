"""The OSM loader against osmnx on the same ways, hand-written files and broken input."""

from __future__ import annotations

import bz2
import math
import warnings
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute import osm

from .conftest import TEST_DATA, shared_file
from .osm_helpers import write_osm


def _drivable_xml(src, dst):
    """
    Write the ways ecoroute keeps (and every node) to .osm, for osmnx to read the same ways.

    Access and limit tags are left out (of nodes too): both libraries then see
    one plain road network, so the comparison is of simplification alone
    (ecoroute also keeps the nodes where a destination-only stretch begins).
    """
    osmium = pytest.importorskip("osmium")
    legal = osm._LEGAL_WAY_KEYS | osm._LEGAL_NODE_KEYS
    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            if obj.is_node():
                writer.add_node(obj.replace(tags={}))
            elif obj.is_way():
                tags = dict(obj.tags)
                if "highway" in tags and osm.drivable(tags):
                    if tags["highway"] in osm.ROAD_CLASSES:  # others are roads by their access
                        tags = {k: v for k, v in tags.items() if k not in legal}
                    if osm.oneway(tags) == 1 and tags.get("oneway") not in osm.ONEWAY_VALUES:
                        tags["oneway"] = (
                            "yes"  # motorways: implied one-way, made explicit for osmnx
                        )
                    writer.add_way(obj.replace(tags=tags))


@pytest.mark.parametrize("name", ["aguascalientes.osm.bz2", "andorra.osm.pbf"])
def test_simplified_network_matches_osmnx_on_the_same_ways(tmp_path, name):
    """
    Tests that nodes, arcs and lengths equal osmnx.graph_from_xml (which
    simplifies) on an .osm file holding exactly the ways our filter keeps.
    Tolerance: counts and node sets exact; lengths within 1 mm (osmnx sums
    great-circle steps with a 0.2 m larger Earth radius).
    """
    ox = pytest.importorskip("osmnx")
    src = shared_file(f"osm/{name}")
    xml = tmp_path / "drivable.osm"
    _drivable_xml(src, xml)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = ox.graph_from_xml(xml, simplify=True)
    network = ecoroute.load_osm(xml)
    assert network.node_count == graph.number_of_nodes()
    assert network.arc_count == graph.number_of_edges()
    assert set(network.node_id.tolist()) == set(graph.nodes)
    osmnx_lengths = np.sort([d["length"] for _, _, d in graph.edges(data=True)])
    assert_allclose(np.sort(network.length_m), osmnx_lengths, atol=1e-3)

    # A route on our network equals networkx's on osmnx's graph (length), once the map's
    # rules, which osmnx does not read (a gate closes the road), are set aside.
    router = ecoroute.Router(network.without_attachments("legal."), objective="distance")
    rng = np.random.default_rng(0)
    checked = 0
    for s, t in rng.choice(network.node_id, (60, 2)):
        try:
            expected = nx.shortest_path_length(graph, int(s), int(t), weight="length")
        except nx.NetworkXNoPath:
            with pytest.raises(ecoroute.NoRouteError):
                router.route(int(s), int(t))
            continue
        assert router.route(int(s), int(t)).distance_m == pytest.approx(expected, abs=1e-2)
        checked += 1
    assert checked > 20


def test_xml_and_pbf_copies_give_identical_networks():
    a = ecoroute.load_osm(shared_file("osm/aguascalientes.osm.bz2"))
    b = ecoroute.load_osm(shared_file("osm/aguascalientes.osm.pbf"))
    for field in (
        "node_id",
        "lat",
        "lon",
        "first_out",
        "head",
        "length_m",
        "speed_kph",
        "osm_way_id",
        "geometry_offsets",
        "geometry_lonlat",
        "highway_code",
    ):
        assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)


def test_geometry_runs_through_the_merged_osm_nodes():
    """Tests that a merged arc's length is the sum of the great-circle steps along its geometry."""
    network = ecoroute.load_osm(shared_file("osm/aguascalientes.osm.pbf"))
    for a in np.flatnonzero(np.diff(network.geometry_offsets) > 0)[:50]:
        xy = network.path_coordinates([a], int(network.tail[a]))
        steps = ecoroute._geo.haversine_m(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0])
        assert steps.sum() == pytest.approx(network.length_m[a], rel=1e-9)


def test_clipped_extract_keeps_ways_and_counts_dropped_references():
    """
    Tests the clipped West Oakland file (osmnx raises on it): the warning's
    count equals the references to missing nodes counted with a plain XML parse.
    """
    path = shared_file("osm/west-oakland-clipped.osm.bz2")
    root = ET.fromstring(bz2.decompress(path.read_bytes()))
    present = {n.get("id") for n in root.iter("node")}
    missing = 0
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if "highway" in tags and osm.drivable(tags):
            missing += sum(nd.get("ref") not in present for nd in way.iter("nd"))
    assert missing > 0
    with pytest.warns(UserWarning, match=f"{missing:,} way node references point outside the file"):
        network = ecoroute.load_osm(path)
    assert network.node_count > 100
    assert set(network.node_id.tolist()) <= {int(x) for x in present}


def test_tiny_hand_written_file_unsimplified():
    """
    Tests tests/data/tiny.osm by hand: the service road is not in "drive",
    leaving 6 nodes and 11 arcs (1-2-3 two-way: 4; 4->5: 1; 2-4: 2; 2-6-3: 4);
    with "drive_service" the one-way=-1 service road adds 3->5.
    """
    drive = ecoroute.load_osm(TEST_DATA / "tiny.osm", simplify=False, largest_component=False)
    assert drive.node_count == 6
    assert drive.arc_count == 11
    service = ecoroute.load_osm(
        TEST_DATA / "tiny.osm",
        simplify=False,
        largest_component=False,
        network_type="drive_service",
    )
    assert service.arc_count == 12
    arc = np.flatnonzero(service.highway == "service")
    assert service.node_id[service.tail[arc]].tolist() == [3]
    assert service.node_id[service.head[arc]].tolist() == [5]
    # maxspeed: residential 30 and tertiary 50 as tagged; service has no tag and no other
    # service road in the file, so it takes the fallback table's 20 km/h.
    assert_allclose(service.speed_kph[service.highway == "residential"], 30.0)
    assert_allclose(service.speed_kph[service.highway == "tertiary"], 50.0)
    assert_allclose(service.speed_kph[arc], ecoroute.speeds.FALLBACK_SPEED_KPH["service"])


def test_tiny_hand_written_file_simplified(tmp_path):
    """
    Tests simplification by hand on tiny.osm ("drive", no service road): node 3
    then has two neighbours (2 and 6) and degree 4, node 6 likewise, so by
    osmnx's rules both are chain middles and 2-3-6-2 becomes a loop at node 2,
    once in each direction. Left: nodes 1, 2, 4, 5; arcs 1<->2, 2<->4, 4->5
    and the two loops: 7. osmnx on the same ways agrees.
    """
    network = ecoroute.load_osm(TEST_DATA / "tiny.osm", largest_component=False)
    assert sorted(network.node_id.tolist()) == [1, 2, 4, 5]
    assert network.arc_count == 7
    loops = np.flatnonzero(network.tail == network.head)
    assert network.node_id[network.tail[loops]].tolist() == [2, 2]
    assert (np.diff(network.geometry_offsets)[loops] == 2).all()  # through 3 and 6

    ox = pytest.importorskip("osmnx")
    xml = tmp_path / "tiny-drive.osm"
    _drivable_xml(TEST_DATA / "tiny.osm", xml)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = ox.graph_from_xml(xml, simplify=True, retain_all=True)
    assert sorted(graph.nodes) == [1, 2, 4, 5]
    assert graph.number_of_edges() == 7


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "service"}, False),
        ({"highway": "residential", "access": "private"}, True),  # destination-only
        ({"highway": "residential", "access": "no"}, False),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "residential", "access": "private", "motorcar": "yes"}, True),
        ({"highway": "residential", "access": "destination"}, True),
        ({"highway": "residential", "motorcar": "no"}, True),  # vans, trucks, buses
        ({"highway": "residential", "motor_vehicle": "no"}, False),
        ({"highway": "residential", "access": "no", "bus": "yes"}, True),
        ({"highway": "residential", "motor_vehicle": "no", "hgv": "designated"}, True),
        ({"highway": "runway"}, False),
        ({"highway": "some_new_class"}, False),
        ({"highway": "primary", "area": "yes"}, False),
        ({"highway": "tertiary", "service": "driveway"}, False),
        ({"highway": "primary", "oneway": "reversible"}, False),
        ({"highway": "primary", "oneway": "alternating"}, True),
        ({"highway": "primary", "smoothness": "impassable"}, False),
        ({"highway": "construction"}, False),
    ],
)
def test_drive_filter(tags, expected):
    assert osm.drivable(tags) is expected


def test_drive_service_keeps_service_roads():
    assert osm.drivable({"highway": "service"}, "drive_service")
    assert not osm.drivable({"highway": "service", "service": "parking_aisle"}, "drive_service")


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"highway": "residential"}, 0),
        ({"highway": "residential", "oneway": "yes"}, 1),
        ({"highway": "residential", "oneway": "1"}, 1),
        ({"highway": "residential", "oneway": "true"}, 1),
        ({"highway": "residential", "oneway": "-1"}, -1),
        ({"highway": "residential", "oneway": "reverse"}, -1),
        ({"highway": "residential", "junction": "roundabout"}, 1),
        ({"highway": "motorway"}, 1),
        ({"highway": "motorway_link"}, 1),
        ({"highway": "motorway", "oneway": "no"}, 0),
        ({"highway": "primary", "oneway": "no"}, 0),
    ],
)
def test_oneway_rules(tags, expected):
    assert osm.oneway(tags) == expected


def test_largest_component_strong_removes_one_way_traps():
    """Tests that with "strong" every node reaches every other (networkx's oracle)."""
    network = ecoroute.load_osm(shared_file("osm/monaco.osm.pbf"), largest_component="strong")
    graph = nx.DiGraph(zip(network.tail.tolist(), network.head.tolist(), strict=True))
    assert nx.is_strongly_connected(graph)
    assert graph.number_of_nodes() == network.node_count


def test_nodes_are_ordered_for_locality():
    """Tests the Hilbert renumbering: consecutive node indices are close in space."""
    network = ecoroute.load_osm(shared_file("osm/monaco.osm.pbf"))
    gaps = ecoroute._geo.haversine_m(
        network.lat[:-1], network.lon[:-1], network.lat[1:], network.lon[1:]
    )
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(network.node_count)
    random_gaps = ecoroute._geo.haversine_m(
        network.lat[shuffled[:-1]],
        network.lon[shuffled[:-1]],
        network.lat[shuffled[1:]],
        network.lon[shuffled[1:]],
    )
    assert np.median(gaps) < 0.2 * np.median(random_gaps)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.osm.pbf"
    path.write_bytes(b"")
    with pytest.raises(ecoroute.OsmFileError, match="is empty"):
        ecoroute.load_osm(path)


def test_missing_file(tmp_path):
    with pytest.raises(ecoroute.OsmFileError, match="no such file"):
        ecoroute.load_osm(tmp_path / "nothing.osm.pbf")


def test_not_an_osm_file(tmp_path):
    path = tmp_path / "notes.osm"
    path.write_text("these are not the roads you are looking for\n")
    with pytest.raises(ecoroute.OsmFileError, match="could not be read as OSM data"):
        ecoroute.load_osm(path)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "roads.csv"
    path.write_text("a,b\n")
    with pytest.raises(ecoroute.OsmFileError, match="unknown OSM file type"):
        ecoroute.load_osm(path)


def test_truncated_pbf(tmp_path):
    data = shared_file("osm/monaco.osm.pbf").read_bytes()
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ecoroute.OsmFileError, match="truncated or not an OSM file"):
        ecoroute.load_osm(path)


def test_no_drivable_road(tmp_path):
    path = tmp_path / "paths.osm"
    path.write_text(
        '<osm version="0.6"><node id="1" lat="60.0" lon="24.0"/><node id="2" lat="60.001" lon="24.0"/>'
        '<way id="5"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way></osm>'
    )
    with pytest.raises(ecoroute.OsmFileError, match="no drivable road"):
        ecoroute.load_osm(path)


# ---------------------------------------------------------------------- issue 14 regressions

RESIDENTIAL = {"highway": "residential"}
TRIANGLE = [(1, 60.0, 24.0), (2, 60.0, 24.001), (3, 60.001, 24.001)]


def _triangle_length_m():
    lat = np.array([60.0, 60.0, 60.001, 60.0])
    lon = np.array([24.0, 24.001, 24.001, 24.0])
    return float(ecoroute._geo.haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:]).sum())


@pytest.mark.parametrize("largest_component", [False, True])
def test_an_isolated_closed_ring_is_kept(tmp_path, largest_component):
    """
    Tests a closed two-way way alone in the file: one node (the smallest id)
    with a loop arc each way around the whole ring (hand-computed length),
    not the old "no drivable arcs ... after keeping the largest component".
    """
    path = write_osm(tmp_path / "ring.osm", TRIANGLE, {10: ([1, 2, 3, 1], RESIDENTIAL)})
    network = ecoroute.load_osm(path, largest_component=largest_component)
    assert network.node_id.tolist() == [1]
    assert network.arc_count == 2
    assert_allclose(network.length_m, _triangle_length_m(), rtol=1e-12)
    assert network.geometry_offsets[-1] == 4  # the two other corners, once per direction


def test_a_ring_beside_a_road_is_kept_without_largest_component(tmp_path):
    road = [(4, 60.01, 24.0), (5, 60.01, 24.001), (6, 60.01, 24.002), (7, 60.01, 24.003)]
    ways = {10: ([1, 2, 3, 1], RESIDENTIAL), 11: ([4, 5, 6, 7], RESIDENTIAL)}
    nodes = [*TRIANGLE, *road]
    path = write_osm(tmp_path / "two.osm", nodes, ways)
    network = ecoroute.load_osm(path, largest_component=False)
    assert sorted(network.node_id.tolist()) == [1, 4, 7]
    unsimplified = ecoroute.load_osm(path, largest_component=False, simplify=False)
    assert sorted(unsimplified.node_id.tolist()) == [1, 2, 3, 4, 5, 6, 7]
    assert sorted(ecoroute.load_osm(path).node_id.tolist()) == [4, 7]  # the road is larger


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_negative_node_ids_from_josm_are_accepted(tmp_path, suffix):
    """Tests nodes with negative ids (JOSM's new objects): found, with their coordinates."""
    nodes = [(-1, 60.0, 24.0), (-2, 60.0, 24.001), (5, 60.001, 24.001)]
    xml = write_osm(tmp_path / "josm.osm", nodes, {-7: ([-1, -2, 5], RESIDENTIAL)})
    path = xml
    if suffix == ".osm.pbf":
        osmium = pytest.importorskip("osmium")
        path = tmp_path / "josm.osm.pbf"
        with osmium.SimpleWriter(str(path)) as writer:
            for obj in osmium.FileProcessor(str(xml)):
                writer.add_node(obj) if obj.is_node() else writer.add_way(obj)
    network = ecoroute.load_osm(path, simplify=False)
    assert sorted(network.node_id.tolist()) == [-2, -1, 5]
    i = network.node_index([-1])[0]
    assert (network.lat[i], network.lon[i]) == (60.0, 24.0)
    expected = ecoroute._geo.haversine_m(60.0, 24.0, 60.0, 24.001)
    assert ecoroute.Router(network, objective="distance").route(-1, -2).distance_m == (
        pytest.approx(float(expected))
    )


def test_a_coordinate_that_is_not_a_number_names_the_node(tmp_path):
    nodes = [(1, 60.0, 24.0), (2, "abc", 24.001), (3, 60.001, 24.001)]
    path = write_osm(tmp_path / "bad.osm", nodes, {10: ([1, 2, 3], RESIDENTIAL)})
    with pytest.raises(ecoroute.OsmFileError, match=r"bad\.osm: node 2 has lat='abc'"):
        ecoroute.load_osm(path)


def test_a_coordinate_out_of_range_is_a_missing_node_with_a_warning(tmp_path):
    """Tests lat=95: the node is treated as absent (counted in the warning), its way split."""
    nodes = [(1, 60.0, 24.0), (2, 60.0, 24.001), (3, 95.0, 24.001), (4, 60.0, 24.002)]
    path = write_osm(tmp_path / "bad.osm", nodes, {10: ([1, 2, 3, 4], RESIDENTIAL)})
    with pytest.warns(UserWarning, match="1 way node references .* without a valid location"):
        network = ecoroute.load_osm(path)
    assert sorted(network.node_id.tolist()) == [1, 2]


def test_duplicate_node_ids_are_refused(tmp_path):
    """Tests a node id given twice with different places (which one a way gets is unspecified)."""
    nodes = [*TRIANGLE, (2, 61.0, 25.0)]
    path = write_osm(tmp_path / "dup.osm", nodes, {10: ([1, 2, 3], RESIDENTIAL)})
    with pytest.raises(ecoroute.OsmFileError, match="node 2 appears more than once"):
        ecoroute.load_osm(path)


@pytest.mark.parametrize("value", ["999999", "301", "50;999999", "400 mph"])
def test_maxspeed_above_the_ceiling_is_ignored_counted_and_imputed(tmp_path, value):
    """
    Tests that an absurd maxspeed is not used: the way's speed is imputed from
    the other residential way (30 km/h), and a warning counts it.
    """
    nodes = [*TRIANGLE, (4, 60.002, 24.001)]
    ways = {10: ([1, 2, 3], {"highway": "residential", "maxspeed": value}),
            11: ([3, 4], {"highway": "residential", "maxspeed": "30"})}  # fmt: skip
    path = write_osm(tmp_path / "fast.osm", nodes, ways)
    with pytest.warns(UserWarning, match=r"1 ways have a maxspeed above 300 km/h \(e\.g\. way 10"):
        network = ecoroute.load_osm(path, simplify=False)
    assert_allclose(network.speed_kph, 30.0)
    assert network.speed_kph.max() <= ecoroute.speeds.MAX_SPEED_KPH


def test_maxspeed_at_the_ceiling_is_used(tmp_path):
    ways = {10: ([1, 2, 3], {"highway": "motorway", "maxspeed": "300", "oneway": "no"})}
    path = write_osm(tmp_path / "fast.osm", TRIANGLE, ways)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        network = ecoroute.load_osm(path, simplify=False)
    assert_allclose(network.speed_kph, 300.0)


@pytest.mark.parametrize(
    ("value", "kph", "above"),
    [("300", 300.0, False), ("301", math.nan, True), ("999999", math.nan, True),
     ("187 mph", 187 * 1.609344, True), ("50;999999", math.nan, True), ("none", 130.0, False),
     ("1" + "0" * 400, math.nan, True), (None, math.nan, False)],
)  # fmt: skip
def test_parse_maxspeed_ignores_speeds_above_the_ceiling(value, kph, above):
    """Tests the ceiling of 300 km/h on hand-computed values (187 mph = 300.95 km/h)."""
    parsed = ecoroute.speeds.parse_maxspeed(value)
    assert ecoroute.speeds.above_ceiling(value) is above
    if math.isnan(kph) or above:
        assert math.isnan(parsed)
    else:
        assert parsed == pytest.approx(kph)


def test_xml_duplicate_scan_reads_ids_wherever_the_attribute_stands(tmp_path):
    """Tests the raw-text scan on JOSM-style tags (single quotes, id after other attributes)."""
    path = tmp_path / "josm.osm"
    path.write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version='0.6' generator='JOSM'>\n"
        "<node id='-1' action='modify' lat='60.0' lon='24.0' />\n"
        "<node visible='true' uid='-1' id='-2' lat='60.0' lon='24.001' />\n"
        "<node action='modify' id='-1' lat='60.5' lon='24.5' />\n"
        "<way id='-3'><nd ref='-1' /><nd ref='-2' /><tag k='highway' v='residential' /></way>\n"
        "</osm>\n"
    )
    with pytest.raises(ecoroute.OsmFileError, match="node -1 appears more than once"):
        ecoroute.load_osm(path)
