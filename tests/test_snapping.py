"""Snapping to arcs: against a brute-force search over every segment, and part-way routes."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

import ecoroute
from ecoroute import snapping as S
from ecoroute import turns as T
from ecoroute._errors import SnapError

from .conftest import shared_file
from .test_turns import junction_network

M_PER_DEG = math.radians(1.0) * 6_371_008.8


def brute_force_nearest(network: ecoroute.RoadNetwork, arcs: np.ndarray, lat: float, lon: float):  # type: ignore[no-untyped-def]
    """Distance to the nearest segment of any of ``arcs``, every segment tried (flat-earth metres)."""
    best = (math.inf, -1)
    kx = M_PER_DEG * math.cos(math.radians(lat))
    for a in arcs.tolist():
        points = network.path_coordinates([a], int(network.tail[a]))
        x = (points[:, 0] - lon) * kx
        y = (points[:, 1] - lat) * M_PER_DEG
        for i in range(len(points) - 1):
            dx, dy = x[i + 1] - x[i], y[i + 1] - y[i]
            den = dx * dx + dy * dy
            t = 0.0 if den == 0 else min(1.0, max(0.0, -(x[i] * dx + y[i] * dy) / den))
            d = math.hypot(x[i] + t * dx, y[i] + t * dy)
            best = min(best, (d, a))
    return best


def strongly_connected_arcs(network: ecoroute.RoadNetwork) -> np.ndarray:
    g = nx.DiGraph()
    g.add_edges_from(zip(network.tail.tolist(), network.head.tolist(), strict=True))
    big = max(nx.strongly_connected_components(g), key=len)
    return np.flatnonzero(np.isin(network.tail, list(big)) & np.isin(network.head, list(big)))


def test_snap_matches_brute_force_on_a_real_extract() -> None:
    """Tests 60 random points against every segment of every arc of the strongly connected part."""
    network = ecoroute.load_osm(
        shared_file("osm/aguascalientes.osm.pbf"), largest_component=False, turn_restrictions=False
    )
    snapper = S.ArcSnapper(network)
    usable = strongly_connected_arcs(network)
    assert usable.size < network.arc_count  # the extract has arcs outside the strong part
    np.testing.assert_array_equal(np.sort(snapper.usable_arcs), usable)
    rng = np.random.default_rng(5)
    lat = rng.uniform(network.lat.min() - 0.002, network.lat.max() + 0.002, 60)
    lon = rng.uniform(network.lon.min() - 0.002, network.lon.max() + 0.002, 60)
    snap = snapper.snap(lat, lon, max_snap_m=math.inf)
    for i in range(lat.size):
        distance, _ = brute_force_nearest(network, usable, lat[i], lon[i])
        assert snap.distance_m[i] == pytest.approx(distance, rel=1e-3, abs=0.05)
        assert snap.arc[i] in set(usable.tolist())


def test_snap_hand_worked_point_beside_a_road() -> None:
    """A point 100 m north of the middle of a 1 km east-west road at the equator."""
    dlon = 1000.0 / M_PER_DEG
    network = ecoroute.RoadNetwork.from_arrays(
        [0, 1], [1, 0], [1000.0, 1000.0], [50.0, 50.0], [0.0, 0.0], [0.0, dlon]
    )
    snap = S.ArcSnapper(network).snap([100.0 / M_PER_DEG], [dlon / 2])
    assert snap.distance_m[0] == pytest.approx(100.0, rel=1e-6)
    assert snap.fraction[0] == pytest.approx(0.5, abs=1e-9)
    assert snap.lat[0] == pytest.approx(0.0, abs=1e-12)
    assert snap.reverse_arc[0] == 1 - snap.arc[0]


def stub_network() -> ecoroute.RoadNetwork:
    """A two-way square 0-1-2-3 (100 m sides) and a one-way stub 1 -> 4 that cannot be left."""
    d = 100.0 / M_PER_DEG
    lat = [0.0, 0.0, d, d, -d]
    lon = [0.0, d, d, 0.0, d]
    tail = [0, 1, 1, 2, 2, 3, 3, 0, 1]
    head = [1, 0, 2, 1, 3, 2, 0, 3, 4]
    return ecoroute.RoadNetwork.from_arrays(
        tail, head, np.full(9, 100.0), np.full(9, 36.0), lat, lon
    )


def test_one_way_stub_is_not_a_snap_candidate_and_the_depot_is_served() -> None:
    """Tests that a point at the end of a one-way stub snaps to the road it can leave by."""
    network = stub_network()
    d = 100.0 / M_PER_DEG
    depot = (-0.9 * d, d)  # 10 m from the stub's dead end, 90 m from the square
    stub = int(np.flatnonzero((network.tail == 1) & (network.head == 4))[0])
    assert S.ArcSnapper(network, usable="all").snap([depot[0]], [depot[1]]).arc[0] == stub
    snap = S.ArcSnapper(network).snap([depot[0]], [depot[1]])
    assert snap.arc[0] != stub
    assert snap.distance_m[0] == pytest.approx(90.0, rel=1e-4)
    router = ecoroute.Router(network, "car_petrol", "distance")
    there = S.route_partway(router, depot, (d, 0.5 * d))
    back = S.route_partway(router, (d, 0.5 * d), depot)
    assert math.isfinite(there.route.cost)
    assert math.isfinite(back.route.cost)


def test_nearest_usable_nodes_avoid_the_stub() -> None:
    """Tests the nearest_nodes drop-in: the stub's dead end is nearest, a square node is used."""
    network = stub_network()
    d = 100.0 / M_PER_DEG
    plain, _ = network.nearest_nodes([-0.9 * d], [d])
    assert plain[0] == 4  # the dead end of the one-way stub: unreachable from it
    node, distance = S.nearest_usable_nodes(network, [-0.9 * d], [d])
    assert node[0] == 1  # the square's corner where the stub starts
    assert distance[0] == pytest.approx(90.0, rel=1e-4)
    with pytest.raises(SnapError, match="stop S1"):
        S.nearest_usable_nodes(network, [1.0], [1.0], name="stop", labels=["S1"])


@pytest.mark.parametrize("point", [(14.5, 35.9), (0.0, 0.0)])
def test_far_off_and_swapped_coordinates_are_refused(point: tuple[float, float]) -> None:
    network = ecoroute.load_osm(shared_file("osm/malta.osm.pbf"), turn_restrictions=False)
    snapper = S.ArcSnapper(network)
    with pytest.raises(
        SnapError, match=r"depot D7 at .* m from the nearest road.*limit is 1,000 m"
    ):
        snapper.snap([point[0]], [point[1]], name="depot", labels=["D7"])
    if point == (14.5, 35.9):
        with pytest.raises(SnapError, match="swapped"):
            snapper.snap([point[0]], [point[1]])
    far = snapper.snap([point[0]], [point[1]], max_snap_m=math.inf)
    assert far.distance_m[0] > 1_000_000


def partway_oracle(network, weight, src: S.Snap, dst: S.Snap) -> float:  # type: ignore[no-untyped-def]
    """Split the snapped arcs at the snapped points (networkx) and search."""
    g = nx.DiGraph()

    def add(u, v, w):  # type: ignore[no-untyped-def]
        if not g.has_edge(u, v) or g[u][v]["weight"] > w:
            g.add_edge(u, v, weight=w)

    for a in range(network.arc_count):
        add(int(network.tail[a]), int(network.head[a]), float(weight[a]))
    pieces = []
    for snap, name in ((src, "S"), (dst, "T")):
        arc, f = int(snap.arc[0]), float(snap.fraction[0])
        pieces.append((name, arc, f))
        if snap.reverse_arc[0] >= 0:
            pieces.append((name, int(snap.reverse_arc[0]), 1.0 - f))
    for name, arc, f in pieces:
        if name == "S":
            add("S", int(network.head[arc]), (1 - f) * float(weight[arc]))
        else:
            add(int(network.tail[arc]), "T", f * float(weight[arc]))
    for _, a, f in (p for p in pieces if p[0] == "S"):
        for _, b, g_ in (p for p in pieces if p[0] == "T"):
            if a == b and f <= g_:
                add("S", "T", (g_ - f) * float(weight[a]))
    try:
        return float(nx.dijkstra_path_length(g, "S", "T"))
    except nx.NetworkXNoPath:
        return math.inf


@pytest.mark.parametrize("turn_aware", [False, True])
def test_partway_routes_match_split_arc_oracle(turn_aware: bool) -> None:
    """Tests part-way routes between random points on the junction graph against networkx."""
    network = junction_network()
    turns = T.TurnRestrictions.from_arc_pairs(network, u_turns="everywhere") if turn_aware else None
    router = ecoroute.Router(network, "car_petrol", "distance", turns=turns)
    snapper = S.ArcSnapper(network)
    rng = np.random.default_rng(3)
    for _ in range(40):
        a = (rng.uniform(-1.2e-3, 1.2e-3), rng.uniform(-2.2e-3, 1.2e-3))
        b = (rng.uniform(-1.2e-3, 1.2e-3), rng.uniform(-2.2e-3, 1.2e-3))
        result = S.route_partway(router, a, b, snapper=snapper)
        expected = partway_oracle(network, router.weight, result.source, result.target)
        assert result.route.cost == pytest.approx(expected, abs=1e-6)
        assert result.route.distance_m == pytest.approx(expected, abs=1e-6)


def test_a_point_at_a_node_routes_as_the_node() -> None:
    """
    Tests coordinates that snap onto a node (a stop given at a junction's
    coordinates) on turn-aware Malta: the route is the route from and to the
    node id (the oracle, itself checked against networkx's line graph in
    tests/test_turns.py), reported as that node (no arc, snap 0 m). Before,
    such a point sat at the end of one arc: it paid the turn (or stop sign)
    out of that arc, and a target paid the turn into an arc it never drove,
    so fleet matrices and their replays disagreed by a few seconds.
    """
    network = ecoroute.load_osm(shared_file("osm/malta.osm.pbf"))
    router = ecoroute.Router(network, "van_diesel", "time")
    # Nodes on roads the van may drive (its snapper's): a node whose roads are closed to
    # it (a 3.5 t van at a maxweight=3 bridge) snaps to another road, as it should.
    usable = np.unique(network.tail[router.snapper.usable_arcs])
    # Coordinates cannot tell apart two nodes at one location (Malta has such pairs, e.g. a
    # bridge's node above a road's): leave those out.
    where = np.column_stack([network.lat, network.lon])
    _, first, counts = np.unique(where, axis=0, return_index=True, return_counts=True)
    alone = np.zeros(network.node_count, dtype=bool)
    alone[first[counts == 1]] = True
    usable = usable[alone[usable]]
    rng = np.random.default_rng(11)
    for s, t in rng.choice(usable, size=(25, 2)):
        by_id = router.route(int(network.node_id[s]), int(network.node_id[t]))
        by_point = router.route(
            (float(network.lat[s]), float(network.lon[s])),
            (float(network.lat[t]), float(network.lon[t])),
        )
        assert by_point.cost == pytest.approx(by_id.cost, rel=1e-12, abs=1e-9)
        assert list(by_point.arcs) == list(by_id.arcs)
        assert by_point.source_arc == -1
        assert by_point.target_arc == -1
        assert by_point.source_snap_m == pytest.approx(0.0, abs=1e-6)
