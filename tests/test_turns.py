"""
Turn restrictions and intersection costs: every algorithm against oracles the code did not compute.

Small graphs are checked against a brute-force walk enumeration with the
rules written out again here; real extracts (Malta, Aguascalientes) against
networkx on the line graph minus the forbidden turns, and the OSM reading
against the relations' way ids on an unsimplified network.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import ecoroute
from ecoroute import turns as T
from ecoroute._errors import NetworkError

from .conftest import shared_file

ALGORITHMS = [
    "dijkstra",
    "bidirectional",
    "astar",
    "bidirectional_astar",
    "cch",
    "cch_nested_dissection",
    "cch_lifted",
]


def turn_router(
    network: ecoroute.RoadNetwork, turns: T.TurnRestrictions, algorithm: str, objective: str
) -> ecoroute.Router:
    """
    A turn-aware router.

    ``cch`` is the CCH on the default order (arc cuts of the network);
    ``cch_nested_dissection`` and ``cch_lifted`` are the CCH on the other orders
    of :meth:`TurnGraph.prepare`.
    """
    if algorithm in ("cch_nested_dissection", "cch_lifted"):
        graph = T.TurnGraph(network, turns)
        graph.prepare(order=algorithm.removeprefix("cch_"))  # type: ignore[arg-type]
        return ecoroute.Router(network, "car_petrol", objective, algorithm="cch", turns=graph)
    return ecoroute.Router(network, "car_petrol", objective, algorithm=algorithm, turns=turns)  # type: ignore[arg-type]


# A junction C with arms N, E, S, W, a detour N-NE-E and a dead end D beyond W.
#        N ---- NE
#        |      |
#  D --- W -- C -- E
#             |
#             S
NODES = {"C": (0.0, 0.0), "N": (1.0, 0.0), "E": (0.0, 1.0), "S": (-1.0, 0.0), "W": (0.0, -1.0)}
NODES |= {"NE": (1.0, 1.0), "D": (0.0, -2.0)}
NAMES = list(NODES)
ROADS = [("C", "N"), ("C", "E"), ("C", "S"), ("C", "W"), ("N", "NE"), ("NE", "E"), ("W", "D")]
LENGTH_M = {("N", "NE"): 150.0, ("NE", "E"): 400.0}


def junction_network() -> ecoroute.RoadNetwork:
    tail, head, length = [], [], []
    for u, v in ROADS:
        for x, y in ((u, v), (v, u)):
            tail.append(NAMES.index(x))
            head.append(NAMES.index(y))
            length.append(LENGTH_M.get((u, v), 100.0))
    lat = [NODES[n][0] * 1e-3 for n in NAMES]
    lon = [NODES[n][1] * 1e-3 for n in NAMES]
    return ecoroute.RoadNetwork.from_arrays(tail, head, length, np.full(len(tail), 36.0), lat, lon)


def arc(network: ecoroute.RoadNetwork, u: str, v: str) -> int:
    found = np.flatnonzero((network.tail == NAMES.index(u)) & (network.head == NAMES.index(v)))
    assert found.size == 1
    return int(found[0])


def brute_force_cost(
    network: ecoroute.RoadNetwork,
    weight: np.ndarray,
    source: int,
    target: int,
    forbidden: set[tuple[int, int]],
    sequences: list[tuple[list[int], bool]],
    *,
    u_turns_everywhere: bool = False,
    max_arcs: int = 9,
) -> float:
    """Cheapest walk by enumeration, the turn rules written out independently."""
    if source == target:
        return 0.0
    tail, head = network.tail.tolist(), network.head.tolist()
    out = {x: [a for a in range(len(tail)) if tail[a] == x] for x in range(network.node_count)}

    def allowed(a: int, b: int) -> bool:
        if (a, b) in forbidden:
            return False
        if head[b] == tail[a] and tail[b] == head[a] and not u_turns_everywhere:
            return all(head[c] == tail[a] for c in out[head[a]])  # a dead end
        return True

    def valid(walk: list[int]) -> bool:
        for seq, only in sequences:
            k = len(seq)
            for i in range(len(walk)):
                if not only and walk[i : i + k] == seq:
                    return False
                if (
                    only
                    and walk[i : i + k - 1] == seq[:-1]
                    and i + k - 1 < len(walk)
                    and walk[i + k - 1] != seq[-1]
                ):
                    return False
        return True

    best = math.inf
    stack = [[a] for a in out[source]]
    while stack:
        walk = stack.pop()
        cost = float(sum(weight[a] for a in walk))
        if cost >= best:
            continue
        if head[walk[-1]] == target and valid(walk):
            best = cost
        if len(walk) < max_arcs:
            stack.extend([*walk, b] for b in out[head[walk[-1]]] if allowed(walk[-1], b))
    return best


def all_pair_costs(router: ecoroute.Router, n: int) -> np.ndarray:
    s, t = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    return router.route_indices(s.ravel(), t.ravel()).cost.reshape(n, n)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize(
    "case", ["none", "forbidden", "only", "via_way_no", "via_way_only", "u_turns"]
)
def test_small_junction_matches_brute_force(algorithm: str, case: str) -> None:
    """Tests that every algorithm equals a brute-force walk enumeration, for every pair."""
    network = junction_network()
    a = lambda u, v: arc(network, u, v)
    forbidden: set[tuple[int, int]] = set()
    sequences: list[tuple[list[int], bool]] = []
    everywhere = False
    if case == "forbidden":  # no right turn S->C->E, no straight on S->C->N
        forbidden = {(a("S", "C"), a("C", "E")), (a("S", "C"), a("C", "N"))}
    elif case == "only":  # only_left_turn from S at C: everything but C->W is forbidden
        forbidden = {(a("S", "C"), b) for b in (a("C", "N"), a("C", "E"), a("C", "S"))}
    elif case == "via_way_no":
        sequences = [([a("S", "C"), a("C", "N"), a("N", "NE")], False)]
    elif case == "via_way_only":
        sequences = [([a("W", "C"), a("C", "N"), a("N", "NE")], True)]
    elif case == "u_turns":
        everywhere = True
    turns = T.TurnRestrictions.from_arc_pairs(
        network,
        sorted(forbidden),
        sequences=[s for s, _ in sequences],
        only=[o for _, o in sequences],
        u_turns="everywhere" if everywhere else "dead_ends",
    )
    router = turn_router(network, turns, algorithm, "distance")
    got = all_pair_costs(router, network.node_count)
    for s in range(network.node_count):  # one-to-all answers the same
        np.testing.assert_allclose(router.costs_from(s).to_numpy(), got[s])
    weight = network.length_m
    for s, t in itertools.product(range(network.node_count), repeat=2):
        expected = brute_force_cost(
            network, weight, s, t, forbidden, sequences, u_turns_everywhere=everywhere
        )
        assert got[s, t] == pytest.approx(expected), (NAMES[s], NAMES[t])


def test_hand_worked_detours() -> None:
    """Tests three routes worked out by hand on the junction, with their arcs."""
    network = junction_network()
    a = lambda u, v: arc(network, u, v)
    forbidden = [(a("S", "C"), a("C", "E")), (a("S", "C"), a("C", "N"))]
    router = ecoroute.Router(
        network,
        "car_petrol",
        "distance",
        turns=T.TurnRestrictions.from_arc_pairs(network, forbidden),
    )
    node = {name: i for i, name in enumerate(NAMES)}
    # S -> N: straight on and right are forbidden, U-turns at C and W are not allowed
    # (neither is a dead end), so: S C W D, U-turn at the dead end D, D W C N = 600 m.
    route = router.route(node["S"], node["N"])
    assert route.distance_m == pytest.approx(600.0)
    assert list(route.arcs) == [
        a("S", "C"),
        a("C", "W"),
        a("W", "D"),
        a("D", "W"),
        a("W", "C"),
        a("C", "N"),
    ]
    # S -> E: right turn forbidden; the same loop then C -> E.
    assert router.route(node["S"], node["E"]).distance_m == pytest.approx(600.0)
    # Without restrictions S -> N is 200 m; a plain router agrees.
    plain = ecoroute.Router(network, "car_petrol", "distance")
    assert plain.route(node["S"], node["N"]).distance_m == pytest.approx(200.0)


def test_from_arc_pairs_refuses_turns_that_do_not_meet() -> None:
    network = junction_network()
    a = lambda u, v: arc(network, u, v)
    with pytest.raises(NetworkError, match=r"forbidden row 0: arc .* does not end where"):
        T.TurnRestrictions.from_arc_pairs(network, [(a("S", "C"), a("N", "NE"))])
    with pytest.raises(NetworkError, match="outside"):
        T.TurnRestrictions.from_arc_pairs(network, [(0, 999)])
    other = ecoroute.RoadNetwork.from_arrays([0], [1], [1.0], [10.0], [0, 0], [0, 1e-3])
    turns = T.TurnRestrictions.from_arc_pairs(network)
    with pytest.raises(NetworkError, match="belong to a network"):
        ecoroute.Router(other, "car_petrol", turns=turns)


def test_turn_penalty_matches_osrm_car_profile_values() -> None:
    """Tests the angle penalty against values of OSRM's formula worked by hand."""
    # By hand: 90 degrees right, exponent -(13/1.075 * 0.5 - 6.5 * 1.075) = 0.941,
    # 7.5 / (1 + e^0.941) = 2.105 s; 90 degrees left, exponent -0.941, 7.5 / 1.390 = 5.395 s.
    got = T.turn_penalty_s([0.0, 90.0, -90.0, 180.0])
    assert got[1] == pytest.approx(2.105, abs=1e-3)
    assert got[2] == pytest.approx(5.395, abs=1e-3)
    assert got[0] < 0.02
    assert got[1] < got[2] < got[3] < 7.5


# ---------------------------------------------------------------------- real extracts


def _line_graph_oracle(
    network: ecoroute.RoadNetwork, weight: np.ndarray, turns: T.TurnRestrictions
) -> nx.DiGraph:
    """The line graph (a node per arc) minus forbidden turns and non-dead-end U-turns."""
    tail, head = network.tail, network.head
    offsets, shape = network.geometry_offsets, network.geometry_lonlat
    banned = {(int(a), int(b)) for a, b in turns.forbidden}
    graph = nx.DiGraph()
    first_out = network.first_out

    def reverse_of(a: int, b: int) -> bool:  # b drives a's road backwards
        return head[b] == tail[a] and np.array_equal(
            shape[offsets[b] : offsets[b + 1]], shape[offsets[a] : offsets[a + 1]][::-1]
        )

    for a in range(network.arc_count):
        x = int(head[a])
        leaving = range(int(first_out[x]), int(first_out[x + 1]))
        u_turns = {b for b in leaving if reverse_of(a, b)}
        dead_end = len(u_turns) == len(leaving)
        for b in leaving:
            if (a, b) in banned or (b in u_turns and not dead_end):
                continue
            graph.add_edge(a, b, weight=float(weight[b]))
    return graph


def _oracle_cost(graph: nx.DiGraph, network, weight, s: int, t: int) -> float:  # type: ignore[no-untyped-def]
    if s == t:
        return 0.0
    first_out = network.first_out
    starts = [(("s", b), float(weight[b])) for b in range(int(first_out[s]), int(first_out[s + 1]))]
    ends = [((a, "t"), 0.0) for a in np.flatnonzero(network.head == t).tolist()]
    for (u, v), w in starts + ends:
        graph.add_edge(u, v, weight=w)
    try:
        return float(nx.dijkstra_path_length(graph, "s", "t"))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return math.inf
    finally:
        graph.remove_nodes_from(["s", "t"])


@pytest.fixture(scope="module", params=["osm/malta.osm.pbf", "osm/aguascalientes.osm.pbf"])
def extract(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    path = shared_file(request.param)
    network = ecoroute.load_osm(path, turn_restrictions=False)  # turns passed explicitly
    turns = T.read_turns(path, network, intersection_costs=False)
    return path, network, turns


def test_real_extract_every_algorithm_equals_line_graph_oracle(extract) -> None:  # type: ignore[no-untyped-def]
    """
    Tests, on a real extract, every algorithm against networkx on the line graph.

    Pairs: for each forbidden turn (a, b), tail(a) -> head(b) (routes that
    would take it without restrictions), plus random pairs. No returned path
    takes a forbidden turn.
    """
    _, network, turns = extract
    assert len(turns.forbidden) > 0
    # Via-way sequences are checked in their own test; here only via-node turns count.
    via_node = T.TurnRestrictions(
        arc_count=turns.arc_count, node_count=turns.node_count, forbidden=turns.forbidden
    )
    routers = {
        algorithm: turn_router(network, via_node, algorithm, "time") for algorithm in ALGORITHMS
    }
    weight = routers["dijkstra"].arc_quantities["time_s"]
    oracle = _line_graph_oracle(network, weight, via_node)
    rng = np.random.default_rng(11)
    pairs = turns.forbidden[rng.permutation(len(turns.forbidden))[:25]]
    s = np.concatenate([network.tail[pairs[:, 0]], rng.integers(network.node_count, size=15)])
    t = np.concatenate([network.head[pairs[:, 1]], rng.integers(network.node_count, size=15)])
    expected = np.array(
        [_oracle_cost(oracle, network, weight, int(a), int(b)) for a, b in zip(s, t, strict=False)]
    )
    full = np.array(
        [[_oracle_cost(oracle, network, weight, int(a), int(b)) for b in t[:6]] for a in s[:6]]
    )
    plain = ecoroute.Router(network, "car_petrol", "time").route_indices(s, t).cost
    assert (expected > plain + 1e-6).any(), "no pair needed a detour: the test is too weak"
    banned = T.forbidden_turn_pairs(via_node)
    for algorithm, router in routers.items():
        result = router.route_indices(s, t, with_paths=True)
        np.testing.assert_allclose(result.cost, expected, rtol=1e-9, err_msg=algorithm)
        assert result.path_offsets is not None
        assert result.path_arcs is not None
        for i in range(s.size):
            path = result.path_arcs[result.path_offsets[i] : result.path_offsets[i + 1]].tolist()
            assert not [p for p in itertools.pairwise(path) if p in banned], algorithm
            if path:
                assert network.tail[path[0]] == s[i]
                assert network.head[path[-1]] == t[i]
        matrix = router.matrix(network.node_id[s[:6]], network.node_id[t[:6]])
        np.testing.assert_allclose(matrix.cost, full, rtol=1e-9, err_msg=algorithm)


def test_real_extract_via_way_restrictions_are_obeyed(extract) -> None:  # type: ignore[no-untyped-def]
    """
    Tests via-way restrictions: the route from the from arc's tail to the to arc's head
    equals the cheapest line-graph path (networkx, in cost order) that obeys every sequence.
    """
    _, network, turns = extract
    offsets = turns.via_way_offsets
    if not len(turns.via_way_only):
        pytest.skip("no via-way restriction in this extract")
    sequences = [
        (turns.via_way_arcs[offsets[r] : offsets[r + 1]].tolist(), bool(only))
        for r, only in enumerate(turns.via_way_only)
    ]
    router = ecoroute.Router(network, "car_petrol", "time", algorithm="dijkstra", turns=turns)
    cch = ecoroute.Router(network, "car_petrol", "time", algorithm="cch", turns=turns)
    weight = router.arc_quantities["time_s"]
    oracle = _line_graph_oracle(network, weight, turns)

    def obeys(path: list[int]) -> bool:
        for seq, only in sequences:
            k = len(seq)
            for i in range(len(path) - k + 2):
                if not only and path[i : i + k] == seq:
                    return False
                if (
                    only
                    and path[i : i + k - 1] == seq[:-1]
                    and i + k - 1 < len(path)
                    and path[i + k - 1] != seq[-1]
                ):
                    return False
        return True

    checked = 0
    for seq, _ in sequences:
        s = int(network.tail[seq[0]])
        end = int(network.head[seq[-1]])
        beyond = network.head[network.first_out[end] : network.first_out[end + 1]].tolist()
        for t in {end, *beyond} - {s}:
            starts = [
                (("s", b), float(weight[b]))
                for b in range(int(network.first_out[s]), int(network.first_out[s + 1]))
            ]
            ends = [((a, "t"), 0.0) for a in np.flatnonzero(network.head == t).tolist()]
            for (u, v), w in starts + ends:
                oracle.add_edge(u, v, weight=w)
            expected = math.inf
            paths = nx.shortest_simple_paths(oracle, "s", "t", weight="weight")
            for path in itertools.islice(paths, 200):
                if obeys(path[1:-1]):
                    expected = float(sum(weight[a] for a in path[1:-1]))
                    break
            oracle.remove_nodes_from(["s", "t"])
            result = router.route_indices([s], [t], with_paths=True)
            assert result.path_arcs is not None
            assert obeys(result.path_arcs.tolist())
            assert result.cost[0] == pytest.approx(expected, rel=1e-9)
            assert cch.route_indices([s], [t]).cost[0] == pytest.approx(expected, rel=1e-9)
            checked += 1
    assert checked


def test_reading_matches_relation_way_ids_on_unsimplified_network() -> None:
    """
    Tests the reader's point matching against way ids: on an unsimplified
    network every arc carries the exact OSM way it comes from, so the turns a
    via-node relation forbids can be listed from its member ids alone.
    """
    import osmium

    path = shared_file("osm/malta.osm.pbf")
    network = ecoroute.load_osm(path, simplify=False, largest_component=False)
    turns = T.read_turns(path, network, intersection_costs=False)
    got = T.forbidden_turn_pairs(turns)
    expected: set[tuple[int, int]] = set()
    way = network.osm_way_id
    for relation in osmium.FileProcessor(str(path)).with_filter(
        osmium.filter.EntityFilter(osmium.osm.RELATION)
    ):
        tags = dict(relation.tags)
        value = tags.get("restriction", "")
        members = [(m.role, m.type, m.ref) for m in relation.members]
        via = [ref for role, kind, ref in members if role == "via" and kind == "n"]
        frm = [ref for role, kind, ref in members if role == "from" and kind == "w"]
        to = [ref for role, kind, ref in members if role == "to" and kind == "w"]
        if tags.get("type") != "restriction" or len(via) != 1 or not frm or not to:
            continue
        index, found = network.find_nodes(via)
        if not found[0]:
            continue
        x = int(index[0])
        into = np.flatnonzero((network.head == x) & np.isin(way, frm)).tolist()
        leaving = np.flatnonzero(network.tail == x).tolist()
        onto = [b for b in leaving if way[b] in to]
        if not into or not onto:
            continue
        if value.startswith("no_"):
            expected |= {(a, b) for a in into for b in onto}
        elif value.startswith("only_"):
            expected |= {(a, b) for a in into for b in leaving if b not in onto}
    assert len(expected) > 200
    assert got == expected


def test_read_turns_refuses_a_missing_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    network = junction_network()
    with pytest.raises(ValueError, match="no such file"):
        T.read_turns(tmp_path / "missing.osm.pbf", network)


# ---------------------------------------------------------------------- penalties and costs


def test_turn_penalty_csv(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Tests OSRM's CSV: a 100 s penalty on S->C->N makes the route detour, hand-computed."""
    network = junction_network()
    node = {name: i for i, name in enumerate(NAMES)}
    csv = tmp_path / "penalties.csv"
    csv.write_text(f"{node['S']},{node['C']},{node['N']},100\n")
    pairs, seconds = T.read_turn_penalties(csv, network)
    assert pairs.tolist() == [[arc(network, "S", "C"), arc(network, "C", "N")]]
    turns = T.TurnRestrictions.from_arc_pairs(network).with_penalties(pairs, seconds)
    router = ecoroute.Router(network, "car_petrol", "time", turns=turns)
    route = router.route(node["S"], node["N"])
    # 10 m/s everywhere; straight on S C N costs 20 s + 100 s; the other ways round
    # cost more distance but also turn penalties: compare with the hand sum of the chosen arcs.
    driven = float(network.travel_time_s[route.arcs].sum())
    assert route.time_s > driven  # turns cost time
    assert route.time_s <= 20.0 + 100.0 + 1e-9
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,x,4\n")
    with pytest.raises(NetworkError, match=r"bad.csv, row 1"):
        T.read_turn_penalties(bad, network)
    bad.write_text(f"{node['S']},{node['N']},{node['E']},4\n")
    with pytest.raises(NetworkError, match="has no turn"):
        T.read_turn_penalties(bad, network)


def straight_road(signals: int) -> tuple[ecoroute.RoadNetwork, T.TurnRestrictions]:
    """Eleven nodes in a straight line, 200 m apart, 50 km/h; signals at the first ones."""
    n = 11
    lat = np.zeros(n)
    lon = np.arange(n) * (200.0 / 111_195.0)
    tail = np.arange(n - 1)
    head = tail + 1
    network = ecoroute.RoadNetwork.from_arrays(
        tail, head, np.full(n - 1, 200.0), np.full(n - 1, 50.0), lat, lon
    )
    control = np.zeros(n, np.int8)
    control[1 : 1 + signals] = T.SIGNALS
    turns = T.TurnRestrictions(
        arc_count=network.arc_count,
        node_count=n,
        node_control=control,
        intersection_costs=True,
    )
    return network, turns


@pytest.mark.parametrize("vehicle", ["car_petrol", "truck_40t_diesel", "car_bev"])
def test_signals_on_a_straight_road_cost_what_the_hand_calculation_says(vehicle: str) -> None:
    """
    Tests a straight 2 km road with and without five traffic signals, worked by hand.

    Each signal: 2 s (OSRM's car profile) and, half the time, a stop: pulling
    away to 50 km/h takes 1.05 * m * (13.89 m/s)^2 / 2 of wheel work, through
    the engine (eta_dt eta_m) or the battery (1/eta_prop - eta_regen), plus
    idling for the 2 s.
    """
    from ecoroute.vehicles import resolve_vehicle

    model = resolve_vehicle(vehicle)
    free, free_turns = straight_road(0)
    lights, light_turns = straight_road(5)
    a = ecoroute.Router(free, model, "co2", turns=free_turns).route(0, 10)
    b = ecoroute.Router(lights, model, "co2", turns=light_turns).route(0, 10)
    assert a.time_s == pytest.approx(2000.0 / (50 / 3.6))
    assert b.time_s - a.time_s == pytest.approx(5 * 2.0)
    v = 50 / 3.6
    work_j = 5 * 0.5 * 1.05 * 0.5 * model.mass_kg() * v * v
    aux_w = model.auxiliary_power_kw * 1000
    if model.quantities[-1] == "energy_kwh":
        lost = 1 / model.propulsion_efficiency - model.regeneration_efficiency
        kwh = (work_j * lost + aux_w * 10.0) / 3.6e6
        assert b.quantities["energy_kwh"] - a.quantities["energy_kwh"] == pytest.approx(kwh)
        assert b.co2_g - a.co2_g == pytest.approx(
            kwh * model.grid_g_per_kwh / model.charging_efficiency
        )
    else:
        idle_w = model.zero_load_fuel_power_kw * 1000 + aux_w / model.engine_efficiency
        mj = (work_j / (model.driveline_efficiency * model.engine_efficiency) + idle_w * 10.0) / 1e6
        assert b.co2_g - a.co2_g == pytest.approx(mj * model.fuel_spec.co2_g_per_mj)
    assert b.co2_g > a.co2_g


def test_a_truck_pays_more_for_signals_than_a_car() -> None:
    free, free_turns = straight_road(0)
    lights, light_turns = straight_road(5)
    extra = {}
    for vehicle in ("car_petrol", "truck_40t_diesel", "car_bev"):
        a = ecoroute.Router(free, vehicle, "co2", turns=free_turns).route(0, 10)
        b = ecoroute.Router(lights, vehicle, "co2", turns=light_turns).route(0, 10)
        extra[vehicle] = b.co2_g - a.co2_g
    assert extra["truck_40t_diesel"] > 10 * extra["car_petrol"] > 10 * extra["car_bev"] > 0


@pytest.mark.parametrize("algorithm", ["dijkstra", "bidirectional_astar", "cch"])
def test_ev_recuperation_with_turns_matches_bellman_ford_on_the_line_graph(algorithm: str) -> None:
    """
    Tests negative arc weights (an EV recovering energy downhill) on the expanded graph:
    the lifted height potential keeps every search exact, against Bellman-Ford on the
    line graph minus forbidden turns.
    """
    from .test_ev_potentials import hilly_network

    network = hilly_network(3)
    rng = np.random.default_rng(4)
    tail, head = network.tail, network.head
    candidates = [
        (a, b)
        for a in range(network.arc_count)
        for b in range(int(network.first_out[head[a]]), int(network.first_out[head[a] + 1]))
        if head[b] != tail[a]
    ]
    chosen = rng.choice(len(candidates), size=25, replace=False)
    turns = T.TurnRestrictions.from_arc_pairs(network, [candidates[i] for i in chosen])
    router = ecoroute.Router(network, "car_bev", "energy", algorithm=algorithm, turns=turns)
    weight = np.asarray(router.arc_quantities["energy_kwh"])
    assert (weight < 0).any(), "no arc recovers energy: the test is too weak"
    oracle = _line_graph_oracle(network, weight, turns)
    s, t = rng.integers(network.node_count, size=(2, 30))
    got = router.route_indices(s, t).cost
    assert np.isfinite(got).sum() >= 20
    for i in range(s.size):
        if s[i] == t[i]:
            assert got[i] == 0.0
            continue
        first_out = network.first_out
        for b in range(int(first_out[s[i]]), int(first_out[s[i] + 1])):
            oracle.add_edge("s", b, weight=float(weight[b]))
        for a in np.flatnonzero(head == t[i]).tolist():
            oracle.add_edge(a, "t", weight=0.0)
        try:
            expected = nx.bellman_ford_path_length(oracle, "s", "t")
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            expected = math.inf
        oracle.remove_nodes_from(["s", "t"])
        assert got[i] == pytest.approx(expected, abs=1e-9), i


TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="0.0" lon="0.0"><tag k="highway" v="traffic_signals"/></node>
  <node id="2" lat="0.001" lon="0.0"/>
  <node id="3" lat="0.0" lon="0.001"/>
  <node id="4" lat="-0.001" lon="0.0"/>
  <node id="5" lat="0.0" lon="-0.001"/>
  <way id="20"><nd ref="4"/><nd ref="1"/><tag k="highway" v="residential"/></way>
  <way id="21"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
  <way id="22"><nd ref="1"/><nd ref="3"/><tag k="highway" v="residential"/></way>
  <way id="23"><nd ref="5"/><nd ref="1"/><tag k="highway" v="residential"/></way>
  {relations}
</osm>
"""


def relation(rid: int, tags: dict[str, str], frm: int, to: int) -> str:
    members = (
        f'<member type="way" ref="{frm}" role="from"/><member type="node" ref="1" role="via"/>'
        f'<member type="way" ref="{to}" role="to"/>'
    )
    tag_xml = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in {"type": "restriction", **tags}.items())
    return f'<relation id="{rid}">{members}{tag_xml}</relation>'


def test_vehicle_classes_except_and_conditional_on_a_hand_written_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """
    Tests which relations apply to a car and to a truck, on a hand-written junction.

    Ways S (20), N (21), E (22), W (23) meet at node 1, which carries a signal.
    """
    relations = [
        relation(100, {"restriction": "no_left_turn", "except": "motorcar"}, 20, 23),
        relation(101, {"restriction:hgv": "no_right_turn"}, 20, 22),
        relation(102, {"restriction:conditional": "no_straight_on @ (Mo-Fr 07:00-09:00)"}, 23, 22),
        relation(103, {"restriction": "only_straight_on"}, 21, 20),
        relation(104, {"restriction": "no_u_turn", "except": "hgv"}, 22, 22),
    ]
    path = tmp_path / "junction.osm"
    path.write_text(TINY_OSM.format(relations="\n  ".join(relations)))
    network = ecoroute.load_osm(path, simplify=False)
    index = {int(osm): i for i, osm in enumerate(network.node_id)}

    def arc_of(u: int, v: int) -> int:
        found = np.flatnonzero((network.tail == index[u]) & (network.head == index[v]))
        return int(found[0])

    s_in, n_in, e_in = arc_of(4, 1), arc_of(2, 1), arc_of(3, 1)
    to_n, to_e, to_s, to_w = arc_of(1, 2), arc_of(1, 3), arc_of(1, 4), arc_of(1, 5)
    only_straight = {(n_in, to_e), (n_in, to_w), (n_in, to_n)}
    car = T.read_turns(path, network)
    hgv = T.read_turns(path, network, vehicle_class="hgv")
    assert T.forbidden_turn_pairs(car) == only_straight | {(e_in, to_e)}
    assert T.forbidden_turn_pairs(hgv) == only_straight | {(s_in, to_w), (s_in, to_e)}
    assert to_s not in {b for _, b in T.forbidden_turn_pairs(car)}
    assert car.node_control is not None
    assert car.node_control[index[1]] == T.SIGNALS
    assert car.skipped == ()
    # The conditional one is kept apart, with its hours (Tuesday 08:00 is hour 32).
    w_in = arc_of(5, 1)
    assert car.conditional_arcs.tolist() == [w_in, to_e]
    assert car.conditional_hours[0, :, 32].all()
    assert not car.conditional_hours[0, :, 34].any()


def test_turns_saved_with_the_network_give_the_same_routes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Tests attach/attached through RoadNetwork.save/load, the hierarchy's order included."""
    network = junction_network()
    a = lambda u, v: arc(network, u, v)
    turns = T.TurnRestrictions.from_arc_pairs(
        network,
        [(a("S", "C"), a("C", "E"))],
        sequences=[[a("W", "C"), a("C", "N"), a("N", "NE")]],
        only=[True],
    ).with_penalties([(a("E", "C"), a("C", "N"))], [30.0])
    graph = turns.expanded(network)
    graph.prepare()
    path = T.attach(network, graph).save(tmp_path / "junction.ecoroute")
    loaded = ecoroute.RoadNetwork.load(path)
    again = T.attached(loaded)
    assert again is not None
    assert again.cch_order is not None
    np.testing.assert_array_equal(again.cch_order, graph.order)
    assert T.attached(junction_network()) is None
    n = network.node_count
    for algorithm in ("dijkstra", "cch"):
        before = all_pair_costs(
            ecoroute.Router(network, "car_petrol", "time", algorithm=algorithm, turns=turns), n
        )  # type: ignore[arg-type]
        after = all_pair_costs(
            ecoroute.Router(loaded, "car_petrol", "time", algorithm=algorithm, turns=again), n
        )  # type: ignore[arg-type]
        np.testing.assert_array_equal(after, before)


def test_batch_jobs_and_fleet_plans_obey_the_restrictions(tmp_path) -> None:
    """
    Tests turns= in batch jobs and fleet plans: every batch row costs what the turn-aware
    Router says, and no fleet leg drives a forbidden turn (brute force: every consecutive
    arc pair of every leg's path against the forbidden pairs).
    """
    import pandas as pd

    from ecoroute import batch
    from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet

    network = junction_network()
    a = lambda u, v: arc(network, u, v)
    forbidden = [(a("S", "C"), a("C", "E")), (a("S", "C"), a("C", "N"))]
    rules = T.TurnRestrictions.from_arc_pairs(network, forbidden)
    node = {name: int(network.node_id[i]) for i, name in enumerate(NAMES)}
    pairs = [("S", "N"), ("S", "E"), ("W", "N"), ("N", "S"), ("E", "W")]
    trips = pd.DataFrame(
        {
            "trip_id": [f"{s}-{t}" for s, t in pairs],
            "origin_node": [node[s] for s, _ in pairs],
            "destination_node": [node[t] for _, t in pairs],
        }
    )
    batch.run(network, trips, tmp_path / "out.parquet", objective="distance", turns=rules)
    result = pd.read_parquet(tmp_path / "out.parquet")
    router = ecoroute.Router(network, "car_petrol", "distance", turns=rules)
    for row, (s, t) in zip(result.itertuples(), pairs, strict=True):
        assert row.status == "ok"
        assert row.distance_m == pytest.approx(router.route(node[s], node[t]).distance_m)
    assert result["distance_m"].iloc[0] == pytest.approx(600.0)  # S -> N, worked by hand above

    def point(name: str) -> dict[str, float]:
        i = NAMES.index(name)
        return {"lat": float(network.lat[i]), "lon": float(network.lon[i])}

    stops = [Stop(name, **point(name), demand_kg=10.0) for name in ("N", "E", "W", "D")]
    plan = plan_fleet(
        network, [Depot("S", **point("S"))], stops, [VehicleType("van_diesel", count=2)],
        objective="distance", max_iterations=200, baselines=(), turns=rules,
    )  # fmt: skip
    banned = set(forbidden)
    legs = [leg for route in plan.routes for leg in route.legs]
    assert legs
    for leg in legs:
        path = [int(x) for x in leg.arcs]
        assert not banned & set(itertools.pairwise(path)), leg


def test_load_osm_with_turn_restrictions_and_the_build_command(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """
    Tests load_osm(turn_restrictions=True): the network carries the file's restrictions and
    every Router on it obeys them without being told (the only_straight_on from the north
    arm: N -> E is a U-turn-free detour, checked against the Router given the rules
    explicitly); `ecoroute build --turns` saves them, and a Router on the loaded file obeys
    them too, its turn-aware hierarchy rebuilt from the saved order.
    """
    from ecoroute.cli import main

    path = tmp_path / "junction.osm"
    path.write_text(
        TINY_OSM.format(relations=relation(103, {"restriction": "only_straight_on"}, 21, 20))
    )
    plain = ecoroute.load_osm(
        path, simplify=False, largest_component=False, turn_restrictions=False
    )
    network = ecoroute.load_osm(path, simplify=False, largest_component=False)  # the default
    rules = T.read_turns(path, plain)
    north, east = 2, 3  # OSM node ids
    explicit = ecoroute.Router(plain, "car_petrol", "distance", algorithm="dijkstra", turns=rules)
    carried = ecoroute.Router(network, "car_petrol", "distance", algorithm="dijkstra")
    ignored = ecoroute.Router(plain, "car_petrol", "distance", algorithm="dijkstra")
    assert carried.turns is not None
    assert ignored.turns is None
    with_rules = carried.route(north, east)
    assert with_rules.distance_m == pytest.approx(explicit.route(north, east).distance_m)
    assert with_rules.distance_m > ignored.route(north, east).distance_m + 100  # the detour
    saved = tmp_path / "junction.ecoroute"
    assert main(["build", str(path), "-o", str(saved), "--turns", "--no-simplify",
                 "--component", "all"]) == 0  # fmt: skip
    loaded = ecoroute.RoadNetwork.load(saved)
    assert T.attached(loaded) is not None
    assert T.attached(loaded).cch_order is not None
    again = ecoroute.Router(loaded, "car_petrol", "distance")
    assert again.algorithm == "cch"
    assert again.route(north, east).distance_m == pytest.approx(with_rules.distance_m)


def test_from_arrays_takes_forbidden_turns_in_the_given_arc_order() -> None:
    """
    Tests ``RoadNetwork.from_arrays(..., forbidden_turns=...)``: pairs name arcs by
    their position in the arrays as given (here shuffled, so that the network's
    reordering by tail matters), routes equal the brute-force enumeration and the
    two-step ``attach(from_arc_pairs)``, and bad pairs are refused by row.
    """
    tail, head, length = [], [], []
    for u, v in ROADS:
        for x, y in ((u, v), (v, u)):
            tail.append(NAMES.index(x))
            head.append(NAMES.index(y))
            length.append(LENGTH_M.get((u, v), 100.0))
    shuffle = np.random.default_rng(3).permutation(len(tail))
    tail_in, head_in = np.asarray(tail)[shuffle], np.asarray(head)[shuffle]
    length_in = np.asarray(length)[shuffle]
    lat = [NODES[n][0] * 1e-3 for n in NAMES]
    lon = [NODES[n][1] * 1e-3 for n in NAMES]

    def given(u: str, v: str) -> int:  # position of arc u -> v in the arrays as given
        return int(np.flatnonzero((tail_in == NAMES.index(u)) & (head_in == NAMES.index(v)))[0])

    speed = np.full(len(tail), 36.0)
    banned_given = [(given("N", "C"), given("C", "E")), (given("E", "C"), given("C", "W"))]
    network = ecoroute.RoadNetwork.from_arrays(
        tail_in, head_in, length_in, speed, lat, lon, forbidden_turns=banned_given
    )
    banned = {(arc(network, "N", "C"), arc(network, "C", "E")),
              (arc(network, "E", "C"), arc(network, "C", "W"))}  # fmt: skip
    assert T.forbidden_turn_pairs(T.attached(network)) == banned  # type: ignore[arg-type]
    plain = ecoroute.RoadNetwork.from_arrays(tail_in, head_in, length_in, speed, lat, lon)
    two_step = T.attach(plain, T.TurnRestrictions.from_arc_pairs(plain, sorted(banned)))
    weight = network.length_m
    n = network.node_count
    s, t = np.divmod(np.arange(n * n), n)
    expected = [
        brute_force_cost(network, weight, int(a), int(b), banned, [])
        for a, b in zip(s, t, strict=True)
    ]
    for algorithm in ("dijkstra", "bidirectional_astar", "cch"):
        for net in (network, two_step):
            router = ecoroute.Router(net, "car_petrol", "distance", algorithm=algorithm)
            assert router.turns is not None
            np.testing.assert_allclose(router.route_indices(s, t).cost, expected, err_msg=algorithm)
    # N -> E may not turn left at C: on to the dead end S, back and right (400 m, not 200 m).
    assert ecoroute.Router(network, "car_petrol", "distance").route(
        NAMES.index("N"), NAMES.index("E")
    ).distance_m == pytest.approx(400.0)
    # Empty: turn-aware all the same (U-turns only at dead ends); None: node-based.
    empty = ecoroute.RoadNetwork.from_arrays(
        tail_in, head_in, length_in, speed, lat, lon, forbidden_turns=[]
    )
    assert ecoroute.Router(empty, "car_petrol", "distance").turns is not None
    assert ecoroute.Router(plain, "car_petrol", "distance").turns is None

    m = len(tail)
    bad = [
        ([(0, m)], f"row 0 (0, {m}): arc {m} does not exist"),
        ([banned_given[0], (-1, 2)], "row 1 (-1, 2): arc -1 does not exist"),
        ([(given("N", "C"), given("E", "C"))], "a turn goes from an arc to one leaving"),
        ([(0, 1, 2)], "must be (from_arc, to_arc) pairs"),
        ([(0.5, 1.0)], "must be (from_arc, to_arc) pairs"),
    ]
    for pairs, message in bad:
        with pytest.raises(NetworkError, match=re.escape(message)):
            ecoroute.RoadNetwork.from_arrays(
                tail_in, head_in, length_in, speed, lat, lon, forbidden_turns=pairs
            )


def test_cli_turns_flags_on_route_and_batch(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    """
    Tests ``--turns/--no-turns`` of ``ecoroute route`` and ``batch`` on a junction whose
    only_straight_on forces a detour: on the OSM file and on saved networks (built with
    turns by default, or ``--no-turns``), against the Router on the same network.
    """
    from ecoroute.cli import main

    osm = tmp_path / "junction.osm"
    osm.write_text(
        TINY_OSM.format(relations=relation(103, {"restriction": "only_straight_on"}, 21, 20))
    )
    north, east = 2, 3  # OSM node ids
    plain = ecoroute.load_osm(osm, turn_restrictions=False)
    turned = ecoroute.load_osm(osm)
    short = ecoroute.Router(plain, "car_petrol", "distance").route(north, east).distance_m
    detour = ecoroute.Router(turned, "car_petrol", "distance").route(north, east).distance_m
    assert detour > short + 100

    with_turns = tmp_path / "with.ecoroute"
    without = tmp_path / "without.ecoroute"
    assert main(["build", str(osm), "-o", str(with_turns)]) == 0  # turns by default
    assert main(["build", str(osm), "-o", str(without), "--no-turns"]) == 0
    capsys.readouterr()

    def route(network: Path, *flags: str) -> float:
        code = main(["route", "--network", str(network), "--from", "0.001,0.0",
                     "--to", "0.0,0.001", "--objective", "distance", *flags])  # fmt: skip
        printed = capsys.readouterr().out
        assert code == 0, printed
        return float(re.search(r"least distance: ([0-9.]+) km", printed).group(1)) * 1000  # type: ignore[union-attr]

    for network, flags, expected in [
        (osm, (), detour),
        (osm, ("--turns",), detour),
        (osm, ("--no-turns",), short),
        (with_turns, (), detour),
        (with_turns, ("--no-turns",), short),
        (without, (), short),
    ]:
        assert route(network, *flags) == pytest.approx(expected, abs=5.0), (network.name, flags)
    code = main(["route", "--network", str(without), "--from", "0.001,0.0",
                 "--to", "0.0,0.001", "--turns"])  # fmt: skip
    assert code != 0
    assert "saved without turn restrictions" in capsys.readouterr().err

    trips = tmp_path / "trips.csv"
    trips.write_text(f"trip_id,origin_node,destination_node\na,{north},{east}\n")
    for network, flags, expected in [
        (osm, (), detour),
        (osm, ("--no-turns",), short),
        (with_turns, ("--no-turns",), short),
        (without, (), short),
    ]:
        out = tmp_path / f"out-{network.stem}-{len(flags)}.csv"
        code = main(["batch", "--network", str(network), "--trips", str(trips), "--out",
                     str(out), "--objective", "distance", *flags])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        row = pd.read_csv(out).iloc[0]
        assert row["distance_m"] == pytest.approx(expected, rel=1e-9), (network.name, flags)
    code = main(["batch", "--network", str(osm), "--trips", str(trips), "--out",
                 str(tmp_path / "dask.csv"), "--no-turns", "--dask", "local"])  # fmt: skip
    assert code != 0
    assert "cannot be combined with --dask" in capsys.readouterr().err


def test_arc_cut_order_lifts_to_a_smaller_hierarchy_on_malta() -> None:
    """
    Tests the default order of the expanded graph on Malta (via-way copies included):
    a permutation with the start and end nodes lowest, every copy right above its
    arc, arc nodes ranked as the C++ arc order ranks their arcs, and a smaller
    hierarchy than dissecting the expanded graph itself (fewer CCH arcs and
    triangles: what customization and queries pay for).
    """
    path = shared_file("osm/malta.osm.pbf")
    network = ecoroute.load_osm(path, turn_restrictions=False)
    turns = T.read_turns(path, network, intersection_costs=False)
    graph = T.TurnGraph(network, turns)
    cut = graph.prepare()
    order = graph.order
    assert order is not None
    k = graph.out_offset  # arc nodes and copies
    assert k > network.arc_count, "no via-way copy: the test is too weak"
    assert sorted(order.tolist()) == list(range(graph.node_count))
    ends = graph.node_count - k
    assert (order[:ends] >= k).all()
    arc_nodes = order[ends:].astype(np.int64)
    originals = arc_nodes[arc_nodes < network.arc_count]
    x, y, z = ecoroute._geo.unit_vectors(network.lat, network.lon)
    arcs = ecoroute._core.arc_nested_dissection_order(network.graph, x, y, z)
    np.testing.assert_array_equal(originals, arcs)
    position = np.empty(graph.node_count, dtype=np.int64)
    position[order] = np.arange(graph.node_count)
    for copy in range(network.arc_count, k):
        arc_of_copy = int(graph.node_arc[copy])
        between = order[position[arc_of_copy] + 1 : position[copy]]
        assert (graph.node_arc[between] == arc_of_copy).all(), copy  # only its arc's copies
    direct = T.TurnGraph(network, turns).prepare(order="nested_dissection")
    assert cut.arc_count < direct.arc_count
    assert cut.triangle_count < direct.triangle_count


def test_turns_added_along_many_paths_at_once_equal_each_path_alone() -> None:
    """
    Tests ``TurnGraph.added_along`` on several paths in CSR form (what the fleet's battery
    bounds score in one call): equal to each path alone, each path's first arc entered from
    its tail even where the previous path ends on an arc it could not turn from; and each
    path's arcs plus its turns give the turn-aware router's own time and CO2 for it.
    """
    from .fleet_helpers import forbid_some_turns, grid_town

    network = grid_town(3)
    rng = np.random.default_rng(3)
    turns, banned = forbid_some_turns(network, rng)
    vehicle = ecoroute.vehicle("van_bev")
    router = ecoroute.Router(network, vehicle, "co2", payload_kg=100.0, turns=turns)
    graph = router.turns
    assert graph is not None
    routes = [router.route(int(network.node_id[s]), int(network.node_id[t])) for s, t in
              rng.integers(0, network.node_count, (12, 2)) if s != t]  # fmt: skip
    paths = [np.asarray(r.arcs, dtype=np.uint32) for r in routes]
    offsets = np.concatenate([[0], np.cumsum([p.size for p in paths])]).astype(np.uint64)
    together = graph.added_along(np.concatenate(paths), vehicle, 100.0, offsets=offsets)
    arc_values = vehicle.arc_quantities(network, 100.0)
    for i, (route, path) in enumerate(zip(routes, paths, strict=True)):
        alone = graph.added_along(path, vehicle, 100.0)
        part = slice(int(offsets[i]), int(offsets[i + 1]))
        for name in ("time_s", "energy_kwh", "co2_g"):
            np.testing.assert_array_equal(together[name][part], alone[name])
        time_s = network.travel_time_s[path].sum() + alone["time_s"].sum()
        assert time_s == pytest.approx(route.time_s, rel=1e-9)
        co2_g = arc_values["co2_g"][path].sum() + alone["co2_g"].sum()
        assert co2_g == pytest.approx(route.co2_g, rel=1e-9)
    # A forbidden turn between two paths is no turn at all; inside one path it is refused.
    a, b = next(iter(banned))
    two = np.array([a, b], dtype=np.uint32)
    graph.added_along(two, vehicle, 0.0, offsets=np.array([0, 1, 2], dtype=np.uint64))
    with pytest.raises(ValueError, match=f"the turn {a} -> {b}"):
        graph.added_along(two, vehicle, 0.0, offsets=np.array([0, 2], dtype=np.uint64))
