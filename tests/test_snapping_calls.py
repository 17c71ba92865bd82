"""Part-way snapping in every call: route, route_many, matrix against a split-arc networkx oracle."""

from __future__ import annotations

import math
from collections.abc import Callable

import networkx as nx
import numpy as np
import pytest

import ecoroute
from ecoroute import snapping as S

from .conftest import shared_file
from .test_snapping import M_PER_DEG, strongly_connected_arcs, stub_network


@pytest.fixture(scope="module")
def malta() -> ecoroute.RoadNetwork:
    return ecoroute.load_osm(shared_file("osm/malta.osm.pbf"), turn_restrictions=False)


class BruteSnap:
    """Nearest point over every segment of the given arcs (default: the strong part), no index."""

    def __init__(self, network: ecoroute.RoadNetwork, usable: np.ndarray | None = None) -> None:
        self.network = network
        arcs, a, b, before, length = [], [], [], [], []
        usable = strongly_connected_arcs(network) if usable is None else usable
        for arc in usable.tolist():
            points = network.path_coordinates([arc], int(network.tail[arc]))
            seg = [
                _haversine(points[i, 1], points[i, 0], points[i + 1, 1], points[i + 1, 0])
                for i in range(len(points) - 1)
            ]
            total = sum(seg)
            done = 0.0
            for i, s in enumerate(seg):
                arcs.append(arc)
                a.append(points[i])
                b.append(points[i + 1])
                before.append(done)
                length.append((s, total))
                done += s
        self.arc = np.array(arcs)
        self.a, self.b = np.array(a), np.array(b)
        self.before = np.array(before)
        self.seg_m = np.array([x[0] for x in length])
        self.arc_m = np.array([x[1] for x in length])

    def snap(self, lat: float, lon: float) -> tuple[int, float, float]:
        """(arc, fraction along it by length, distance in metres) of the nearest point."""
        kx = M_PER_DEG * math.cos(math.radians(lat))
        ax, ay = (self.a[:, 0] - lon) * kx, (self.a[:, 1] - lat) * M_PER_DEG
        bx, by = (self.b[:, 0] - lon) * kx, (self.b[:, 1] - lat) * M_PER_DEG
        dx, dy = bx - ax, by - ay
        den = dx * dx + dy * dy
        t = np.clip(np.where(den > 0, -(ax * dx + ay * dy) / np.where(den > 0, den, 1), 0), 0, 1)
        d = np.hypot(ax + t * dx, ay + t * dy)
        i = int(np.argmin(d))
        along = self.before[i] + t[i] * self.seg_m[i]
        fraction = along / self.arc_m[i] if self.arc_m[i] > 0 else 0.0
        return int(self.arc[i]), float(fraction), float(d[i])


def _haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_008.8 * math.asin(math.sqrt(min(1.0, h)))


def reverse_of(network: ecoroute.RoadNetwork, arc: int) -> int:
    """The arc driving the same road backwards (same shape reversed), by a plain scan."""
    tail, head = int(network.tail[arc]), int(network.head[arc])
    mine = network.path_coordinates([arc], tail)[::-1]
    for b in np.flatnonzero((network.tail == head) & (network.head == tail)).tolist():
        if np.array_equal(network.path_coordinates([b], head), mine):
            return b
    return -1


def split_oracle(
    network: ecoroute.RoadNetwork, weight: np.ndarray, points: dict[str, tuple[int, float]]
) -> nx.MultiDiGraph:
    """
    The network with every snapped arc split at its points (a node per point, in order
    along the arc), on both arcs of a two-way road.
    """
    on_arc: dict[int, list[tuple[float, str]]] = {}
    for name, (arc, f) in points.items():
        on_arc.setdefault(arc, []).append((f, name))
        back = reverse_of(network, arc)
        if back >= 0:
            on_arc.setdefault(back, []).append((1.0 - f, name))
    g = nx.MultiDiGraph()
    for a in range(network.arc_count):
        u, v, w = int(network.tail[a]), int(network.head[a]), float(weight[a])
        if a not in on_arc:
            g.add_edge(u, v, weight=w)
            continue
        chain = sorted(on_arc[a])
        previous, at = u, 0.0
        for f, name in chain:
            g.add_edge(previous, name, weight=(f - at) * w)
            previous, at = name, f
        g.add_edge(previous, v, weight=(1.0 - at) * w)
    return g


def fallback_cost(
    cost: Callable[[str, str], float], moved: dict[str, bool], source: str, target: str
) -> float:
    """
    The cost between two points by OSRM's rule (issue 24), on an oracle's costs.

    ``cost(a, b)`` between named points; a point named ``N<i>`` is at its
    nearest snap and ``L<i>`` at its largest part's, ``moved[name]`` says
    whether the two differ. The nearest snaps first, then the source moved,
    the target moved, both moved: the first finite cost.
    """
    s, t = source[1:], target[1:]
    tries = [(f"N{s}", f"N{t}")]
    if moved[f"N{s}"]:
        tries.append((f"L{s}", f"N{t}"))
    if moved[f"N{t}"]:
        tries.append((f"N{s}", f"L{t}"))
    if moved[f"N{s}"] and moved[f"N{t}"]:
        tries.append((f"L{s}", f"L{t}"))
    for a, b in tries:
        value = cost(a, b)
        if math.isfinite(value):
            return value
    return math.inf


def oracle_cost(g: nx.MultiDiGraph, source: str, target: str) -> float:
    if source == target:
        return 0.0
    try:
        return float(nx.dijkstra_path_length(g, source, target))
    except nx.NetworkXNoPath:
        return math.inf


def random_points(network: ecoroute.RoadNetwork, count: int, seed: int) -> np.ndarray:
    """Points up to ~60 m beside random arcs (so all are within the snapping limit)."""
    rng = np.random.default_rng(seed)
    arcs = rng.integers(0, network.arc_count, count)
    f = rng.uniform(0, 1, count)
    tail, head = network.tail[arcs], network.head[arcs]
    lat = network.lat[tail] + f * (network.lat[head] - network.lat[tail])
    lon = network.lon[tail] + f * (network.lon[head] - network.lon[tail])
    lat = lat + rng.uniform(-5e-4, 5e-4, count)
    lon = lon + rng.uniform(-5e-4, 5e-4, count)
    return np.column_stack([lat, lon])


def same_arc_points(
    network: ecoroute.RoadNetwork, two_way: bool, allowed: np.ndarray | None = None
) -> np.ndarray:
    """Two points 3 m beside one long straight arc (among ``allowed``), at 30 % and 70 % of it."""
    offsets = network.geometry_offsets
    straight = np.diff(offsets) == 0
    long = network.length_m > 150
    rev = S._reverse_arcs(network)
    usable = np.zeros(network.arc_count, dtype=bool)
    usable[S.snapper_for(network).usable_arcs] = True
    if allowed is not None:
        usable &= allowed & np.where(rev >= 0, allowed[np.maximum(rev, 0)], True)
    pick = np.flatnonzero(straight & long & usable & ((rev >= 0) == two_way))[0]
    u, v = network.tail[pick], network.head[pick]
    out = []
    for f in (0.3, 0.7):
        lat = network.lat[u] + f * (network.lat[v] - network.lat[u])
        lon = network.lon[u] + f * (network.lon[v] - network.lon[u])
        out.append((lat + 3.0 / M_PER_DEG, lon))
    return np.array(out)


@pytest.mark.parametrize("vehicle", ["car_petrol", "truck_40t_diesel"])
def test_every_call_matches_the_split_arc_oracle(malta: ecoroute.RoadNetwork, vehicle: str) -> None:
    """Tests route, route_many and matrix from coordinates against networkx on split arcs."""
    network = malta
    router = ecoroute.Router(network, vehicle, "co2")
    brute = BruteSnap(network)
    # Points on roads the vehicle may drive through (closed and destination-only roads,
    # which split oracles cannot judge, are tested in test_trucks and test_destination);
    # for the car that is every road.
    shut = router.rules.closed | router.rules.destination
    near = random_points(network, 60, seed=1)
    ours = router.snapper.snap(near[:, 0], near[:, 1])
    clear = [
        i
        for i, (lat, lon) in enumerate(near)
        if not shut[brute.snap(lat, lon)[0]]
        and int(ours.arc[i])
        in (brute.snap(lat, lon)[0], reverse_of(network, brute.snap(lat, lon)[0]))
    ]
    points = np.vstack(
        [
            near[clear[:12]],
            same_arc_points(network, two_way=True, allowed=~shut),
            same_arc_points(network, two_way=False, allowed=~shut),
        ]
    )
    snaps = {f"P{i}": brute.snap(lat, lon) for i, (lat, lon) in enumerate(points)}
    mine = S.snapper_for(network).snap(points[:, 0], points[:, 1])
    for i, (arc, _, distance) in enumerate(snaps.values()):
        assert mine.distance_m[i] == pytest.approx(distance, rel=1e-3, abs=0.05)
        assert int(mine.arc[i]) in (arc, reverse_of(network, arc))
    weight = np.where(shut, np.inf, router.weight)  # no point lies on them: never driven
    g = split_oracle(network, weight, {k: (a, f) for k, (a, f, _) in snaps.items()})
    names = list(snaps)
    expected = np.array([[oracle_cost(g, s, t) for t in names] for s in names])
    assert np.isfinite(expected).all()

    matrix = router.matrix(points, points)
    np.testing.assert_allclose(matrix.cost, expected, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(matrix.source_snap_m, mine.distance_m)
    np.testing.assert_allclose(matrix.source_lat, mine.lat)

    i, j = np.meshgrid(np.arange(len(names)), np.arange(len(names)), indexing="ij")
    frame = router.route_many(points[i.ravel()], points[j.ravel()])
    np.testing.assert_allclose(frame["cost"], expected.ravel(), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(frame["co2_g"], matrix.co2_g.ravel(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(frame["time_s"], matrix.time_s.ravel(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(frame["target_lon"], mine.lon[j.ravel()])

    # The same-arc cases: ahead on the arc is the direct drive; behind it is a detour
    # (a one-way road) or a drive back along the reverse arc (a two-way road).
    for a, b in ((12, 13), (13, 12), (14, 15), (15, 14)):
        route = router.route(tuple(points[a]), tuple(points[b]))
        assert route.cost == pytest.approx(expected[a, b], rel=1e-5, abs=1e-3)
        assert route.source_snap_m == pytest.approx(mine.distance_m[a])
        line = route.coordinates
        assert (line[0, 1], line[0, 0]) == pytest.approx((mine.lat[a], mine.lon[a]), abs=1e-9)
        assert (line[-1, 1], line[-1, 0]) == pytest.approx((mine.lat[b], mine.lon[b]), abs=1e-9)
        # the geometry's length is the route's driven length
        seg = [
            _haversine(line[k, 1], line[k, 0], line[k + 1, 1], line[k + 1, 0])
            for k in range(len(line) - 1)
        ]
        assert sum(seg) == pytest.approx(route.distance_m, rel=2e-3)
    direct = router.route(tuple(points[14]), tuple(points[15]))
    assert direct.arcs.size == 1  # ahead on a one-way arc: just drive there
    assert direct.cost == pytest.approx(0.4 * router.weight[direct.arcs[0]], rel=1e-3)


def test_stub_depot_is_served_by_every_call() -> None:
    """
    Tests a depot beside a one-way stub: route, route_many and matrix all serve it.

    The depot lies on the stub 1 -> 4 (whose end cannot be left), 10 m before
    its end and 90 m from the square. As OSRM does (issue 24), routes to it end on the
    stub, the road it is beside; routes from it cannot start there, so they
    fall back to the square, the largest strongly connected part, and say so.
    """
    network = stub_network()
    d = 100.0 / M_PER_DEG
    depot, stop = (-0.9 * d, d), (d, 0.5 * d)
    router = ecoroute.Router(network, "car_petrol", "distance")
    there = router.route(depot, stop)
    back = router.route(stop, depot)
    # From the depot: snapped 90 m away onto side 0-1 at its corner 1 (fraction 1); the
    # stop onto the middle of side 2-3: 100 m + 50 m either way round.
    assert there.distance_m == pytest.approx(150.0, rel=1e-6)
    assert there.source_snap_m == pytest.approx(90.0, rel=1e-4)
    assert (there.source_snap_kind, there.target_snap_kind) == ("largest_part", "nearest")
    # To the depot: 150 m to corner 1, then 90 m down the stub, on which the depot lies.
    assert back.distance_m == pytest.approx(240.0, rel=1e-6)
    assert back.target_snap_m == pytest.approx(0.0, abs=1e-6)
    assert (back.source_snap_kind, back.target_snap_kind) == ("nearest", "nearest")
    frame = router.route_many([depot, stop], [stop, depot])
    assert frame["reachable"].all()
    np.testing.assert_allclose(frame["distance_m"], [150.0, 240.0], rtol=1e-6)
    assert frame["source_snap_kind"].tolist() == ["largest_part", "nearest"]
    assert frame["target_snap_kind"].tolist() == ["nearest", "nearest"]
    matrix = router.matrix([depot, stop], [depot, stop])
    np.testing.assert_allclose(matrix.distance_m, [[0.0, 150.0], [240.0, 0.0]], atol=1e-6)
    np.testing.assert_array_equal(matrix.snap_fallback, [[0, 1], [0, 0]])
    assert matrix.source_moved.tolist() == [True, False]
    assert matrix.target_moved.tolist() == [False, False]


def test_node_ids_stay_exact_and_limits_apply_per_call(malta: ecoroute.RoadNetwork) -> None:
    """Tests that node ids route node to node as before, and max_snap_m per call."""
    router = ecoroute.Router(malta, "car_petrol", "distance")
    ids = malta.node_id[[10, 2000, 5000]]
    frame = router.route_many(ids, ids[::-1])
    assert (frame["source_snap_m"] == 0).all()
    np.testing.assert_allclose(frame["source_lat"], malta.lat[[10, 2000, 5000]])
    route = router.route(int(ids[0]), int(ids[2]))
    assert route.source_arc == -1
    assert route.target_arc == -1
    assert route.cost == pytest.approx(float(frame["cost"][0]))
    far = (float(malta.lat[10]) + 0.004, float(malta.lon[10]) + 0.004)  # ~500 m off
    snap_m = S.snapper_for(malta).snap([far[0]], [far[1]]).distance_m[0]
    assert 10 < snap_m < 1000
    with pytest.raises(ecoroute.SnapError, match="max_snap_m"):
        router.route(far, int(ids[1]), max_snap_m=snap_m / 2)
    with pytest.raises(ecoroute.SnapError, match="sources"):
        router.route_many([far], [int(ids[1])], max_snap_m=snap_m / 2)
    with pytest.raises(ecoroute.SnapError, match="targets"):
        router.matrix(ids, [far], max_snap_m=snap_m / 2)
    assert router.matrix(ids, [far], max_snap_m=snap_m * 2).target_snap_m[0] == pytest.approx(
        snap_m
    )


@pytest.mark.parametrize("turn_aware", [False, True])
def test_matrix_and_pairs_match_the_oracle_with_turns(turn_aware: bool) -> None:
    """Tests matrix and route_many on a node-based and a turn-aware router against networkx."""
    from ecoroute import turns as T

    from .test_snapping import partway_oracle
    from .test_turns import junction_network

    network = junction_network()
    turns = T.TurnRestrictions.from_arc_pairs(network, u_turns="everywhere") if turn_aware else None
    router = ecoroute.Router(network, "car_petrol", "distance", turns=turns)
    rng = np.random.default_rng(11)
    points = np.column_stack([rng.uniform(-1.2e-3, 1.2e-3, 14), rng.uniform(-2.2e-3, 1.2e-3, 14)])
    snap = S.ArcSnapper(network).snap(points[:, 0], points[:, 1])
    matrix = router.matrix(points, points)
    i, j = np.meshgrid(np.arange(14), np.arange(14), indexing="ij")
    frame = router.route_many(points[i.ravel()], points[j.ravel()])
    np.testing.assert_allclose(frame["cost"], matrix.cost.ravel(), rtol=1e-9, atol=1e-9)
    for a in range(14):
        for b in range(14):
            expected = partway_oracle(network, router.weight, S._pick(snap, a), S._pick(snap, b))
            assert matrix.cost[a, b] == pytest.approx(expected, abs=1e-6)


def test_electric_vehicle_with_negative_weights() -> None:
    """Tests an EV (downhill arcs recover energy; the search runs on a potential) against Bellman-Ford."""
    from .test_ev_potentials import hilly_network

    network = hilly_network(5, node_count=120, edge_count=400)
    router = ecoroute.Router(network, "car_bev", "energy")
    assert (router.weight < 0).any()
    assert router.node_potential is not None
    points = random_points(network, 6, seed=4)
    # Every point at its nearest road (any arc) and its largest part's (issue 24).
    nearest = BruteSnap(network, np.arange(network.arc_count))
    largest = BruteSnap(network)
    snaps = {f"N{i}": nearest.snap(lat, lon) for i, (lat, lon) in enumerate(points)}
    snaps |= {f"L{i}": largest.snap(lat, lon) for i, (lat, lon) in enumerate(points)}
    moved = {f"N{i}": snaps[f"N{i}"][:2] != snaps[f"L{i}"][:2] for i in range(6)}
    assert any(moved.values())  # the seed puts a point beside an arc outside the strong part
    g = split_oracle(network, router.weight, {k: (a, f) for k, (a, f, _) in snaps.items()})
    lengths = {k: nx.single_source_bellman_ford_path_length(g, k) for k in snaps}

    def cost(a: str, b: str) -> float:
        return 0.0 if a == b else lengths[a].get(b, math.inf)

    matrix = router.matrix(points, points)
    frame = router.route_many(points, points[::-1])
    for a in range(6):
        expected = [fallback_cost(cost, moved, f"N{a}", f"N{b}") for b in range(6)]
        np.testing.assert_allclose(matrix.cost[a], expected, rtol=1e-6, atol=1e-9)
        assert frame["cost"][a] == pytest.approx(expected[5 - a], rel=1e-6, abs=1e-9)
        route = router.route(tuple(points[a]), tuple(points[(a + 1) % 6]))
        assert route.cost == pytest.approx(expected[(a + 1) % 6], rel=1e-6, abs=1e-9)


def test_same_point_paths_and_resolved_endpoints() -> None:
    """Tests a route to the same point (0), route_many's node paths, and Endpoints as input."""
    network = stub_network()
    d = 100.0 / M_PER_DEG
    router = ecoroute.Router(network, "car_petrol", "distance")
    here = (d + 2.0 / M_PER_DEG, 0.3 * d)  # 2 m beside side 2-3 (x from 100 to 0 m), at 30 m
    same = router.route(here, here)
    assert same.cost == 0.0
    assert same.distance_m == 0.0
    frame = router.route_many([here], [(d, 0.8 * d)], return_paths=True)
    # From 30 m to 80 m along the top side: 50 m, by the arc 3 -> 2 (drawn from x=0 to x=100).
    assert frame["distance_m"][0] == pytest.approx(50.0, rel=1e-6)
    assert frame["nodes"][0].tolist() == [3, 2]
    ends = S.resolve_points(network, [here[0]], [here[1]])
    assert ends.distance_m[0] == pytest.approx(2.0, rel=1e-4)
    matrix = router.matrix(ends, [(d, 0.8 * d)])
    assert matrix.cost[0, 0] == pytest.approx(50.0, rel=1e-6)


@pytest.mark.parametrize("turn_aware", [False, True])
def test_target_behind_on_a_one_way_arc_goes_round_the_block(turn_aware: bool) -> None:
    """Tests a one-way ring of four 100 m sides: from 70 m to 30 m along one side is 360 m."""
    from ecoroute import turns as T

    d = 100.0 / M_PER_DEG
    network = ecoroute.RoadNetwork.from_arrays(
        [0, 1, 2, 3], [1, 2, 3, 0], np.full(4, 100.0), np.full(4, 36.0),
        [0.0, 0.0, d, d], [0.0, d, d, 0.0],
    )  # fmt: skip
    turns = T.TurnRestrictions.from_arc_pairs(network) if turn_aware else None
    router = ecoroute.Router(network, "car_petrol", "distance", turns=turns)
    source, target = (-1e-6, 0.7 * d), (-1e-6, 0.3 * d)  # beside side 0 -> 1
    route = router.route(source, target)
    assert route.distance_m == pytest.approx(360.0, rel=1e-6)
    assert route.arcs.tolist() == [0, 1, 2, 3, 0]
    line = route.coordinates
    assert line[0].tolist() == pytest.approx([0.7 * d, 0.0], abs=1e-12)
    assert line[-1].tolist() == pytest.approx([0.3 * d, 0.0], abs=1e-12)
    matrix = router.matrix([source, target], [source, target])
    np.testing.assert_allclose(matrix.distance_m, [[0.0, 360.0], [40.0, 0.0]], rtol=1e-6)


def test_turn_aware_part_way_routes_end_on_their_target_arc() -> None:
    """
    Tests, on Malta as load_osm reads it (turns on), that a part-way route's arcs end with
    the arc its target snapped to, and that its geometry (from the snapped source to the
    snapped target) is as long as its driven distance.
    """
    network = ecoroute.load_osm(shared_file("osm/malta.osm.pbf"))
    router = ecoroute.Router(network, "car_petrol", "co2")
    assert router.turns is not None
    points = random_points(network, 16, seed=5)
    checked = 0
    for a, b in zip(points[:8], points[8:], strict=True):
        route = router.route(tuple(a), tuple(b))
        if route.target_arc >= 0:
            assert int(route.arcs[-1]) == route.target_arc
        if route.source_arc >= 0:
            assert int(route.arcs[0]) == route.source_arc
        line = route.coordinates
        assert (line[-1, 1], line[-1, 0]) == pytest.approx((route.target_lat, route.target_lon))
        seg = [
            _haversine(line[k, 1], line[k, 0], line[k + 1, 1], line[k + 1, 0])
            for k in range(len(line) - 1)
        ]
        assert sum(seg) == pytest.approx(route.distance_m, rel=2e-3)
        checked += route.target_arc >= 0
    assert checked >= 4
