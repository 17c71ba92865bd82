"""
Destination-only roads by phase copies (ecoroute.destination): the exact legal optimum.

Oracle: networkx's Dijkstra on a three-phase state graph written here, from
this file's own list of ways, tags and haversine lengths (``(node, phase)``
with phases start, middle and end; destination-only segments keep start and
end and lead middle -> end, open ones lead start -> middle and keep
middle). The maps are the cases where the earlier transition prices
(fewest exits, then fewest entries, then cost) gave a worse route than the
legal optimum, plus random grids; the router runs on every algorithm, one
route at a time, in matrices and one-to-all, from nodes and from points
part-way along destination-only arcs.
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import networkx as nx
import numpy as np
import pytest

import ecoroute
from ecoroute._errors import NoRouteError

TRUCK = "truck_40t_diesel"
EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius, as the loader's haversine
#: One step of 0.001 degrees of latitude along a meridian: 111.195 m.
STEP_M = EARTH_RADIUS_M * math.radians(0.001)
DEST = {"highway": "residential", "hgv": "destination"}
OPEN = {"highway": "residential"}
ALGORITHMS = ["dijkstra", "bidirectional_astar", "cch"]

Point = tuple[float, float]
Way = tuple[list[int], dict[str, str]]


def haversine_m(p: Point, q: Point) -> float:
    (lat1, lon1), (lat2, lon2) = (tuple(map(math.radians, x)) for x in (p, q))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def write_osm(path: Path, nodes: dict[int, Point], ways: list[Way]) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node, (lat, lon) in sorted(nodes.items()):
        lines.append(f'<node id="{node}" lat="{lat:.7f}" lon="{lon:.7f}" version="1"/>')
    for way, (refs, tags) in enumerate(ways, start=1000):
        body = "".join(f'<nd ref="{r}"/>' for r in refs)
        body += "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        lines.append(f'<way id="{way}" version="1">{body}</way>')
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load(path: Path, *, prepared: bool = False) -> ecoroute.RoadNetwork:
    """One arc per OSM segment and no turn data: routes are those of the node graph."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        network = ecoroute.load_osm(
            path, largest_component=False, simplify=False, turn_restrictions=False
        )
    return network.prepared() if prepared else network


# ------------------------------------------------------------------------------ the oracle

Segment = tuple[object, object, float, bool]  # tail, head, length in m, destination-only


def segments_of(nodes: dict[int, Point], ways: list[Way]) -> list[Segment]:
    """Directed segments of ``ways`` (both directions unless ``oneway=yes``), by this file's rules."""
    out: list[Segment] = []
    for refs, tags in ways:
        dest = tags.get("hgv") == "destination"
        for p, q in itertools.pairwise(refs):
            length = haversine_m(nodes[p], nodes[q])
            out.append((p, q, length, dest))
            if tags.get("oneway") != "yes":
                out.append((q, p, length, dest))
    return out


def split(segments: list[Segment], u: int, v: int, point: object, fraction: float) -> None:
    """Put ``point`` at ``fraction`` of the way from ``u`` to ``v`` on both directions of u-v."""
    for i, (a, b, length, dest) in enumerate(list(segments)):
        if {a, b} == {u, v}:
            at = fraction if a == u else 1.0 - fraction
            segments[i] = (a, point, at * length, dest)
            segments.append((point, b, (1.0 - at) * length, dest))


def phase_graph(segments: list[Segment]) -> nx.DiGraph:
    """The legal routes D* O* D* as paths from ``(s, "start")`` to ``("sink", t)``."""
    graph = nx.DiGraph()
    edges: dict[tuple[object, object], float] = {}

    def add(x: object, y: object, w: float) -> None:
        edges[(x, y)] = min(w, edges.get((x, y), math.inf))

    for a, b, w, dest in segments:
        if dest:
            add((a, "start"), (b, "start"), w)
            add((a, "middle"), (b, "end"), w)
            add((a, "end"), (b, "end"), w)
        else:
            add((a, "start"), (b, "middle"), w)
            add((a, "middle"), (b, "middle"), w)
    graph.add_weighted_edges_from((x, y, w) for (x, y), w in edges.items())
    for node in {s[0] for s in segments} | {s[1] for s in segments}:
        for phase in ("start", "middle", "end"):
            graph.add_edge((node, phase), ("sink", node), weight=0.0)
    return graph


def legal_m(graph: nx.DiGraph, source: object, target: object) -> float:
    if source == target:
        return 0.0
    try:
        return float(nx.dijkstra_path_length(graph, (source, "start"), ("sink", target)))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return math.inf


def legal_from(graph: nx.DiGraph, source: object) -> dict[object, float]:
    """Least legal length from ``source`` to every node."""
    reached = nx.single_source_dijkstra_path_length(graph, (source, "start"))
    return {key[1]: w for key, w in reached.items() if key[0] == "sink"}


def same(got: float, expected: float) -> bool:
    return (math.isinf(got) and math.isinf(expected)) or math.isclose(got, expected, rel_tol=1e-9)


def route_m(router: ecoroute.Router, source: object, target: object) -> float:
    try:
        return float(router.route(source, target).distance_m)
    except NoRouteError:
        return math.inf


# ------------------------------------------------------------------------------ by hand
#
#   U 5 (49.004)       way R-U: hgv=destination          all at lon 8.400 except K, K2:
#   |                                                    a step of 0.001 degrees of latitude
#   R 4 (49.003) ------------------ K2 7 (49.003, 8.403)     is 111.195 m (STEP_M)
#   |                               |
#   Q 3 (49.002)   way Q-R: open    |   the open detour J-K-K2-R:
#   |                               |   218.9 + 333.6 + 218.9 = 771.3 m
#   P 2 (49.001)   way J-P-Q:       |
#   |              hgv=destination  |
#   J 1 (49.000) ------------------ K 6 (49.000, 8.403)
#
# J touches the destination-only way J-P-Q and the open detour. The legal optimum from J to
# U is J-P-Q (destination, the start) Q-R (open) R-U (destination, the end): 4 steps,
# 444.78 m. The transition prices preferred the detour with no exit, J-K-K2-R-U: 882.5 m.

JUNCTION_NODES = {
    1: (49.000, 8.400),
    2: (49.001, 8.400),
    3: (49.002, 8.400),
    4: (49.003, 8.400),
    5: (49.004, 8.400),
    6: (49.000, 8.403),
    7: (49.003, 8.403),
}
JUNCTION_WAYS: list[Way] = [
    ([1, 2, 3], DEST),
    ([3, 4], OPEN),
    ([4, 5], DEST),
    ([1, 6, 7, 4], OPEN),
]
J, P, Q, R, U, K, K2 = 1, 2, 3, 4, 5, 6, 7


@pytest.fixture
def junction(tmp_path: Path) -> Path:
    return write_osm(tmp_path / "junction.osm", JUNCTION_NODES, JUNCTION_WAYS)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_from_a_junction_the_route_starts_along_the_destination_street(junction, algorithm):
    """J to U: out of the start stretch at Q, into the end stretch at R (444.78 m)."""
    router = ecoroute.Router(load(junction), TRUCK, "distance", algorithm=algorithm)
    found = router.route(J, U)
    assert found.distance_m == pytest.approx(4 * STEP_M, rel=1e-9)
    assert found.distance_m == pytest.approx(444.78, abs=0.01)
    assert [int(n) for n in found.nodes] == [J, P, Q, R, U]
    at = JUNCTION_NODES
    detour = haversine_m(at[J], at[K]) + 3 * STEP_M + haversine_m(at[K2], at[R]) + STEP_M
    assert detour == pytest.approx(882.5, abs=0.1)  # what the prices chose
    back = router.route(U, J)  # and the same way back: out at R, in at Q
    assert back.distance_m == pytest.approx(4 * STEP_M, rel=1e-9)


def test_the_junction_map_equals_the_oracle_everywhere(junction):
    """Every node to every node, one route at a time, in a matrix and one-to-all, on CCH."""
    network = load(junction, prepared=True)
    oracle = phase_graph(segments_of(JUNCTION_NODES, JUNCTION_WAYS))
    router = ecoroute.Router(network, TRUCK, "distance", algorithm="cch")
    ids = sorted(JUNCTION_NODES)
    matrix = np.asarray(router.matrix(ids, ids).quantities["distance_m"])
    for (i, s), (j, t) in itertools.product(enumerate(ids), repeat=2):
        expected = legal_m(oracle, s, t)
        assert same(route_m(router, s, t), expected), (s, t)
        assert same(float(matrix[i, j]), expected), (s, t)
    for s in ids:
        costs = router.costs_from(s)
        reached = legal_from(oracle, s)
        for t in ids:
            assert same(float(costs[t]), reached.get(t, math.inf)), (s, t)


# A zone of destination-only streets with an open road through it:
#
#   T 4 (49.003, 8.400) ---- W2 6 (49.003, 8.402)     S-A and B-T: hgv=destination,
#   |                        |                        A-B: open; S-W1-W2-T: hgv=destination.
#   B 3 (49.002)             |                        S to T legally: S-A (start) A-B (open)
#   |                        |                        B-T (end), 3 steps: 333.59 m. Keeping
#   A 2 (49.001)             |                        to the zone, S-W1-W2-T: 625.4 m, the
#   |                        |                        route the prices chose (no exit).
#   S 1 (49.000, 8.400) ---- W1 5 (49.000, 8.402)

ZONE_NODES = {
    1: (49.000, 8.400),
    2: (49.001, 8.400),
    3: (49.002, 8.400),
    4: (49.003, 8.400),
    5: (49.000, 8.402),
    6: (49.003, 8.402),
}
ZONE_WAYS: list[Way] = [([1, 2], DEST), ([2, 3], OPEN), ([3, 4], DEST), ([1, 5, 6, 4], DEST)]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_inside_a_zone_out_and_back_in_beats_the_long_way_round(tmp_path, algorithm):
    """S to T: D O D (333.59 m) rather than the destination-only way round (625.4 m)."""
    path = write_osm(tmp_path / "zone.osm", ZONE_NODES, ZONE_WAYS)
    router = ecoroute.Router(load(path), TRUCK, "distance", algorithm=algorithm)
    found = router.route(1, 4)
    assert found.distance_m == pytest.approx(3 * STEP_M, rel=1e-9)
    assert found.distance_m == pytest.approx(333.59, abs=0.01)
    round_m = 2 * haversine_m(ZONE_NODES[1], ZONE_NODES[5]) + 3 * STEP_M
    assert round_m == pytest.approx(625.4, abs=0.1)
    # Part-way: half-way along S-A to half-way along B-T, out and in again: 2 steps.
    part = router.route((49.0005, 8.400), (49.0025, 8.400))
    assert part.distance_m == pytest.approx(2 * STEP_M, rel=1e-9)


def test_through_traffic_is_still_refused_naming_the_tag(tmp_path):
    """A destination-only way between two open ones: no route through, and the error says why."""
    nodes = {1: (49.000, 8.4), 2: (49.001, 8.4), 3: (49.002, 8.4), 4: (49.003, 8.4)}
    ways: list[Way] = [([1, 2], OPEN), ([2, 3], DEST), ([3, 4], OPEN)]
    router = ecoroute.Router(load(write_osm(tmp_path / "through.osm", nodes, ways)), TRUCK)
    with pytest.raises(NoRouteError, match="hgv=destination"):
        router.route(1, 4)
    assert math.isinf(float(np.asarray(router.matrix([1], [4]).cost)[0, 0]))
    assert math.isinf(float(router.costs_from(1)[4]))
    on_it = (49.0015, 8.4)  # half-way along the destination-only way: in, or out, is legal
    assert route_m(router, 1, on_it) == pytest.approx(1.5 * STEP_M, rel=1e-9)
    assert route_m(router, on_it, 4) == pytest.approx(1.5 * STEP_M, rel=1e-9)
    assert math.isinf(route_m(router, 1, (49.0025, 8.4)))  # beyond it: through again


# ------------------------------------------------------------------------------ random grids

SIDE = 6
LAT_STEP, LON_STEP = 0.001, 0.0015


def grid(seed: int) -> tuple[dict[int, Point], list[Way]]:
    """A SIDE x SIDE grid of two-way streets, one way per segment, about a third destination-only."""
    rng = np.random.default_rng(seed)
    nodes = {
        1 + i * SIDE + j: (49.0 + i * LAT_STEP, 8.4 + j * LON_STEP)
        for i in range(SIDE)
        for j in range(SIDE)
    }
    ways: list[Way] = []
    for i, j in itertools.product(range(SIDE), repeat=2):
        here = 1 + i * SIDE + j
        for there in ([here + 1] if j + 1 < SIDE else []) + ([here + SIDE] if i + 1 < SIDE else []):
            ways.append(([here, there], DEST if rng.random() < 0.35 else OPEN))
    return nodes, ways


def grid_points(
    nodes: dict[int, Point], ways: list[Way], seed: int, count: int
) -> tuple[list[Point], list[tuple[int, int, float]]]:
    """Points part-way along distinct north-south segments, most of them destination-only."""
    rng = np.random.default_rng(seed + 100)
    north = [(refs, tags) for refs, tags in ways if refs[1] - refs[0] == SIDE]
    dest = [w for w in north if w[1] is DEST]
    open_ = [w for w in north if w[1] is not DEST]
    chosen = [dest[i] for i in rng.choice(len(dest), size=count - 2, replace=False)]
    chosen += [open_[i] for i in rng.choice(len(open_), size=2, replace=False)]
    points, where = [], []
    for (u, v), _ in chosen:
        f = float(rng.uniform(0.2, 0.8))
        (lat_u, lon), (lat_v, _) = nodes[u], nodes[v]
        points.append((lat_u + f * (lat_v - lat_u), lon))
        where.append((u, v, f))
    return points, where


@pytest.mark.parametrize("seed", [5, 6])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_grid_node_matrix_and_costs_from_equal_the_oracle(tmp_path, seed, algorithm):
    nodes, ways = grid(seed)
    network = load(write_osm(tmp_path / "grid.osm", nodes, ways), prepared=algorithm == "cch")
    oracle = phase_graph(segments_of(nodes, ways))
    router = ecoroute.Router(network, TRUCK, "distance", algorithm=algorithm)
    ids = sorted(nodes)
    matrix = np.asarray(router.matrix(ids, ids).quantities["distance_m"])
    reachable = 0
    for (i, s), (j, t) in itertools.product(enumerate(ids), repeat=2):
        assert same(float(matrix[i, j]), legal_m(oracle, s, t)), (s, t)
    for s in ids[::5]:
        costs = router.costs_from(s)
        reached = legal_from(oracle, s)
        for t in ids:
            assert same(float(costs[t]), reached.get(t, math.inf)), (s, t)
        reachable += sum(reached.get(t, math.inf) < math.inf for t in ids)
    assert reachable > len(ids)


@pytest.mark.parametrize("seed", [5, 6])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_grid_points_on_destination_arcs_equal_the_oracle(tmp_path, seed, algorithm):
    """Sources and targets part-way along (mostly destination-only) arcs: matrix and routes."""
    nodes, ways = grid(seed)
    network = load(write_osm(tmp_path / "grid.osm", nodes, ways), prepared=algorithm == "cch")
    points, where = grid_points(nodes, ways, seed, count=8)
    segments = segments_of(nodes, ways)
    for k, (u, v, f) in enumerate(where):
        split(segments, u, v, ("point", k), f)
    oracle = phase_graph(segments)
    labels = [("point", k) for k in range(len(points))]
    router = ecoroute.Router(network, TRUCK, "distance", algorithm=algorithm)
    matrix = router.matrix(points, points)
    assert np.allclose(matrix.source_snap_m, 0.0, atol=1e-3)
    got = np.asarray(matrix.quantities["distance_m"])
    corners = [1, SIDE * SIDE]
    for (i, s), (j, t) in itertools.product(enumerate(labels), repeat=2):
        if i != j:
            assert same(float(got[i, j]), legal_m(oracle, s, t)), (s, t)
    for i, s in enumerate(labels):
        for j, t in enumerate(labels[: i + 2]):
            if i != j:
                assert same(route_m(router, points[i], points[j]), legal_m(oracle, s, t)), (s, t)
        for corner in corners:  # to and from a node
            assert same(route_m(router, points[i], corner), legal_m(oracle, s, corner))
            assert same(route_m(router, corner, points[i]), legal_m(oracle, corner, s))


def test_a_loop_back_onto_the_same_destination_arc(tmp_path):
    """
    From a point on a one-way destination-only arc to a point behind it on that arc: round.

    X-Y (one way north, hgv=destination) and the open way back Y-Z-W-X. From 0.7 of X-Y to
    0.3 of it: 0.3 steps to Y, round by the open way, 0.3 steps in again (D O D).
    """
    nodes = {1: (49.000, 8.4), 2: (49.001, 8.4), 3: (49.001, 8.401), 4: (49.000, 8.401)}
    ways: list[Way] = [([1, 2], {**DEST, "oneway": "yes"}), ([2, 3, 4, 1], OPEN)]
    router = ecoroute.Router(load(write_osm(tmp_path / "loop.osm", nodes, ways)), TRUCK, "distance")
    ahead, behind = (49.0007, 8.400), (49.0003, 8.400)
    assert route_m(router, behind, ahead) == pytest.approx(0.4 * STEP_M, rel=1e-6)
    round_m = haversine_m(nodes[2], nodes[3]) + STEP_M + haversine_m(nodes[4], nodes[1])
    assert route_m(router, ahead, behind) == pytest.approx(0.6 * STEP_M + round_m, rel=1e-6)
    matrix = router.matrix([ahead, behind], [ahead, behind]).quantities["distance_m"]
    assert np.asarray(matrix)[0, 1] == pytest.approx(0.6 * STEP_M + round_m, rel=1e-6)


# ------------------------------------------------------------------------------ departures


def test_a_departure_reaches_a_destination_street_as_the_static_route_does(junction):
    """With hour-of-week speeds (free flow), J to U departs and arrives as the static route."""
    from ecoroute.traffic import SpeedProfiles

    network = load(junction)
    arcs = np.arange(network.arc_count, dtype=np.int64)
    speed = np.repeat(network.speed_kph[:, None], 168, axis=1).astype(np.float32)
    profiles = SpeedProfiles(
        arcs=arcs, speed_kph=speed, arc_count=network.arc_count, congestion=False
    )
    router = ecoroute.Router(network, TRUCK, "time", speeds=profiles)
    static = router.route(J, U)
    timed = router.route(J, U, departure=3600.0)
    assert timed.distance_m == pytest.approx(4 * STEP_M, rel=1e-9)
    assert timed.time_s == pytest.approx(static.time_s, rel=1e-6)  # float32 hourly times
    part = router.route((49.0005, 8.4), (49.0035, 8.4), departure=3600.0)
    assert part.distance_m == pytest.approx(3 * STEP_M, rel=1e-6)
    cell = router.matrix([J], [U], departure=3600.0)
    assert float(np.asarray(cell.quantities["distance_m"])[0, 0]) == pytest.approx(4 * STEP_M)
