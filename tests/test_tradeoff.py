"""Bounded eco-routes and time-CO2 trade-offs against an exact multi-criteria search written here."""

from __future__ import annotations

import itertools
import warnings
from collections import deque

import numpy as np
import pytest

import ecoroute
from tests.conftest import shared_file
from tests.helpers import random_network

TOL = 1e-6


def pareto_labels(network, time_s, objective, source):
    """
    Every non-dominated (time, objective) label at every node, from ``source``.

    A label-correcting multi-criteria search (FIFO queue): a new label is kept
    at a node unless an existing one is no worse in both criteria, and it
    evicts the labels it dominates. Exact for any weights without a cycle of
    negative objective and zero time, which positive times rule out.
    """
    first_out, head = network.first_out, network.head
    labels: list[list[tuple[float, float]]] = [[] for _ in range(network.node_count)]
    labels[source] = [(0.0, 0.0)]
    queue = deque([(source, 0.0, 0.0)])
    while queue:
        x, t, c = queue.popleft()
        if (t, c) not in labels[x]:
            continue  # evicted since it was queued
        for a in range(first_out[x], first_out[x + 1]):
            if not np.isfinite(time_s[a]):
                continue
            y, nt, nc = int(head[a]), t + time_s[a], c + objective[a]
            here = labels[y]
            if any(lt <= nt + 1e-9 and lc <= nc + 1e-9 for lt, lc in here):
                continue
            labels[y] = [(lt, lc) for lt, lc in here if not (nt <= lt and nc <= lc)]
            labels[y].append((nt, nc))
            queue.append((y, nt, nc))
    return labels


def exact_bounded(front, limit_s):
    """Least objective among the Pareto labels within the time limit."""
    return min(c for t, c in front if t <= limit_s + TOL * max(1.0, limit_s))


def check_router(router, pairs, fronts, extra):
    fastest_router = ecoroute.Router(router.network, router.vehicle, "time", algorithm="dijkstra")
    greenest_router = ecoroute.Router(router.network, router.vehicle, "co2", algorithm="dijkstra")
    optimal = 0
    for (s, t), front in zip(pairs, fronts, strict=True):
        route = router.route(s, t)
        fastest = fastest_router.route(s, t)
        greenest = greenest_router.route(s, t)
        limit = (1 + extra) * fastest.time_s
        exact = exact_bounded(front, limit)
        scale = max(1.0, abs(exact))
        assert route.time_s <= limit + TOL * max(1.0, limit)
        assert route.fastest_time_s == pytest.approx(fastest.time_s, rel=1e-9)
        assert route.co2_g <= route.fastest_co2_g + TOL * scale
        assert route.co2_g >= greenest.co2_g - TOL * scale
        # Never better than the exact optimum; never worse than it plus the reported gap
        # (so the reported lower bound really is one).
        assert route.co2_g >= exact - TOL * scale
        assert route.objective_gap is not None
        assert route.objective_gap >= 0
        assert route.co2_g - route.objective_gap <= exact + TOL * scale
        optimal += route.co2_g <= exact + TOL * scale
    return optimal


def pairs_and_fronts(network, router, count, seed):
    rng = np.random.default_rng(seed)
    time_s = router.arc_quantities["time_s"]
    co2 = router.arc_quantities["co2_g"]
    pairs, fronts = [], []
    cache = {}
    reachable = ecoroute.Router(network, router.vehicle, "time", algorithm="dijkstra")
    while len(pairs) < count:
        s, t = (int(v) for v in rng.integers(0, network.node_count, 2))
        if s == t or not np.isfinite(reachable.costs_from(network.node_id[s]).iloc[t]):
            continue
        if s not in cache:
            cache[s] = pareto_labels(network, time_s, co2, s)
        pairs.append((int(network.node_id[s]), int(network.node_id[t])))
        fronts.append(cache[s][t])
    return pairs, fronts


@pytest.mark.parametrize("extra", [0.0, 0.05, 0.2])
def test_bounded_routes_against_exact_search_on_random_networks(extra):
    """Tests budget, order and gap of bounded eco-routes against the exact optimum (random graphs)."""
    optimal = total = 0
    for seed in range(4):
        network = random_network(seed, zero_lengths=False)
        router = ecoroute.Router(network, "car_petrol", max_extra_time=extra, algorithm="dijkstra")
        pairs, fronts = pairs_and_fronts(network, router, 12, seed)
        optimal += check_router(router, pairs, fronts, extra)
        total += len(pairs)
    assert total == 48


@pytest.mark.slow
@pytest.mark.parametrize("vehicle", ["car_petrol", "truck_40t_diesel", "car_bev"])
def test_bounded_routes_against_exact_search_on_monaco_with_hills(vehicle):
    """Tests bounded eco-routes on Monaco with SRTM grades (EVs recover energy downhill)."""
    path = shared_file("osm/monaco.osm.pbf")
    dem = shared_file("dem/N43E007.hgt.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = ecoroute.load_osm(path, dem=dem, turn_restrictions=False)  # node-based oracle
    router = ecoroute.Router(network, vehicle, max_extra_time=0.05, algorithm="bidirectional")
    pairs, fronts = pairs_and_fronts(network, router, 25, 7)
    check_router(router, pairs, fronts, 0.05)


def test_route_many_and_matrix_agree_with_route_under_a_budget():
    """Tests that every query shape picks the same bounded route."""
    network = random_network(3, zero_lengths=False).prepared()
    router = ecoroute.Router(network, "van_diesel", max_extra_time=0.1)
    assert router.algorithm == "cch"
    ids = network.node_id[:40]
    frame = router.route_many(ids[:20], ids[20:40], return_paths=True)
    matrix = router.matrix(ids[:20], ids[20:40])
    for i in range(20):
        row = frame.iloc[i]
        if not row["reachable"]:
            assert not np.isfinite(matrix.cost[i, i])
            continue
        route = router.route(int(ids[i]), int(ids[20 + i]))
        assert row["co2_g"] == pytest.approx(route.co2_g, rel=1e-9)
        assert row["fastest_time_s"] == pytest.approx(route.fastest_time_s, rel=1e-9)
        assert row["co2_gap_g"] == pytest.approx(route.objective_gap, rel=1e-9, abs=1e-9)
        assert list(row["nodes"]) == list(route.nodes)
        assert matrix["co2_g"][i, i] == pytest.approx(route.co2_g, rel=1e-9)
        assert matrix["fastest_co2_g"][i, i] == pytest.approx(route.fastest_co2_g, rel=1e-9)


def test_pareto_routes_are_on_the_exact_front():
    """Tests pareto(): sorted by time, ends at the fastest and least-CO2 routes, none dominated."""
    checked = 0
    for seed in range(3):
        network = random_network(10 + seed, zero_lengths=False)
        router = ecoroute.Router(network, "car_petrol", algorithm="dijkstra")
        pairs, fronts = pairs_and_fronts(network, router, 8, seed)
        for (s, t), front in zip(pairs, fronts, strict=True):
            pareto = router.pareto(s, t)
            times = [r.time_s for r in pareto.routes]
            co2 = [r.co2_g for r in pareto.routes]
            assert times == sorted(times)
            assert all(a > b for a, b in itertools.pairwise(co2))
            assert times[0] == pytest.approx(min(ft for ft, _ in front), rel=1e-9)
            assert co2[-1] == pytest.approx(min(fc for _, fc in front), rel=1e-9, abs=1e-9)
            for rt, rc in zip(times, co2, strict=True):
                assert not any(
                    ft < rt - TOL * rt and fc < rc - TOL * max(1, abs(rc)) for ft, fc in front
                )
            frame = pareto.to_frame()
            assert frame["extra_time"].iloc[0] == 0.0
            assert (frame["saving"].diff().dropna() > 0).all()
            features = pareto.to_geojson()["features"]
            assert len(features) == len(pareto.routes)
            assert features[0]["geometry"]["type"] == "LineString"
            checked += 1
    assert checked == 24


def test_tradeoff_table_totals():
    """Tests Router.tradeoff: savings grow with the budget and match bounded route_many totals."""
    network = random_network(5, zero_lengths=False)
    router = ecoroute.Router(network, "car_petrol", algorithm="dijkstra")
    ids = network.node_id[:50]
    sources, targets = ids[:25], ids[25:50]
    table = router.tradeoff(sources, targets, budgets=[0.0, 0.05, 0.2])
    assert list(table["max_extra_time"]) == [0.0, 0.05, 0.2]
    assert (table["saving"].diff().dropna() >= -1e-12).all()
    assert table["saving"].iloc[0] >= -1e-12
    bounded = ecoroute.Router(network, "car_petrol", algorithm="dijkstra", max_extra_time=0.05)
    frame = bounded.route_many(sources, targets)
    reachable = frame["reachable"]
    assert table["co2_g"].iloc[1] == pytest.approx(frame["co2_g"][reachable].sum(), rel=1e-9)
    assert table["pairs"].iloc[1] == reachable.sum()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"max_extra_time": -0.1}, ValueError, ">= 0"),
        ({"max_extra_time": float("nan")}, ValueError, "finite"),
        ({"max_extra_time": 5.0 * 10}, ValueError, "percentage"),
        ({"max_extra_time": "5%"}, TypeError, "number"),
        ({"max_extra_time_s": -1}, ValueError, ">= 0"),
        ({"max_extra_time": 0.1, "objective": "time"}, ValueError, "other than time"),
        ({"max_extra_time": 0.1, "objective": {"co2": 1, "time": 1}}, ValueError, "single"),
        ({"tradeoff_points": 1}, ValueError, "tradeoff_points"),
    ],
)
def test_bad_budgets_are_refused(kwargs, error, match):
    network = random_network(1)
    with pytest.raises(error, match=match):
        ecoroute.Router(network, "car_petrol", **kwargs)


def test_pareto_needs_one_objective_other_than_time():
    network = random_network(1)
    router = ecoroute.Router(network, "car_petrol", "time")
    with pytest.raises(ValueError, match="other than time"):
        router.pareto(int(network.node_id[0]), int(network.node_id[1]))


def test_absolute_budget():
    """Tests max_extra_time_s: at most that many seconds over the fastest route."""
    network = random_network(2, zero_lengths=False)
    router = ecoroute.Router(network, "car_petrol", max_extra_time_s=30.0, algorithm="dijkstra")
    pairs, fronts = pairs_and_fronts(network, router, 10, 2)
    for (s, t), front in zip(pairs, fronts, strict=True):
        route = router.route(s, t)
        assert route.time_s <= route.fastest_time_s + 30.0 + 1e-6
        exact = exact_bounded(front, route.fastest_time_s + 30.0)
        assert exact - 1e-6 <= route.co2_g <= exact + route.objective_gap + 1e-6
