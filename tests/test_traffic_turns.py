"""
Departures on turn-aware routers: traffic (issue 12) and turn restrictions (issue 11) together.

Oracles: a pure-Python time-dependent Dijkstra over the arcs (the line graph
minus the forbidden turns) written here, and static turn-aware routers on
networks whose speeds are the profile's speeds for one hour.
"""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute import turns as T
from ecoroute.traffic import HOURS_PER_WEEK, SpeedProfiles

from .helpers import random_network
from .test_traffic import hour_network, short_profiles, slow_profiles


def random_turns(network: ecoroute.RoadNetwork, seed: int) -> T.TurnRestrictions:
    """A quarter of all turns forbidden, U-turns allowed everywhere, no intersection costs."""
    rng = np.random.default_rng(seed)
    pairs = [
        (a, b)
        for a in range(network.arc_count)
        for b in range(
            int(network.first_out[network.head[a]]), int(network.first_out[network.head[a] + 1])
        )
    ]
    chosen = rng.random(len(pairs)) < 0.25
    forbidden = [p for p, c in zip(pairs, chosen, strict=True) if c]
    turns = T.TurnRestrictions.from_arc_pairs(network, forbidden, u_turns="everywhere")
    return turns.with_options(intersection_costs=False)


def line_graph_arrivals(
    network: ecoroute.RoadNetwork,
    profiles: SpeedProfiles,
    forbidden: set[tuple[int, int]],
    source: int,
    departure: float,
) -> np.ndarray:
    """
    Earliest arrival at every node, by a time-dependent Dijkstra over arcs in Python.

    A state is an arc just driven; from it the vehicle may enter every arc
    leaving the arc's head except the forbidden ones. Each arc is driven
    metre by metre through the hours at the speed in force.
    """
    row_of = {int(a): r for r, a in enumerate(profiles.arcs.tolist())}

    def drive(arc: int, t: float) -> float:
        if arc not in row_of:
            return t + float(network.travel_time_s[arc])
        metres = float(network.length_m[arc])
        while True:
            hour = math.floor(t / 3600.0)
            v = float(profiles.speed_kph[row_of[arc], hour % HOURS_PER_WEEK]) / 3.6
            hour_end = (hour + 1) * 3600.0
            if metres <= v * (hour_end - t):
                return t + metres / v
            metres -= v * (hour_end - t)
            t = hour_end

    first_out = network.first_out
    best_arc = np.full(network.arc_count, np.inf)
    queue: list[tuple[float, int]] = []
    for b in range(int(first_out[source]), int(first_out[source + 1])):
        t = drive(b, departure)
        if t < best_arc[b]:
            best_arc[b] = t
            heapq.heappush(queue, (t, b))
    done = np.zeros(network.arc_count, dtype=bool)
    while queue:
        t, a = heapq.heappop(queue)
        if done[a]:
            continue
        done[a] = True
        x = int(network.head[a])
        for b in range(int(first_out[x]), int(first_out[x + 1])):
            if (a, b) in forbidden:
                continue
            arrival = drive(b, t)
            if arrival < best_arc[b]:
                best_arc[b] = arrival
                heapq.heappush(queue, (arrival, b))
    best = np.full(network.node_count, np.inf)
    np.minimum.at(best, network.head.astype(np.intp), best_arc)
    best[source] = departure
    return best


@pytest.mark.parametrize("algorithm", ["dijkstra", "bidirectional_astar"])
@pytest.mark.parametrize("seed", range(3))
def test_earliest_arrival_with_forbidden_turns_equals_the_line_graph_oracle(
    seed: int, algorithm: str
) -> None:
    network = random_network(seed)
    profiles = slow_profiles(network, seed)
    turns = random_turns(network, seed)
    forbidden = {(int(a), int(b)) for a, b in turns.forbidden.tolist()}
    router = ecoroute.Router(
        network, objective="time", algorithm=algorithm, speeds=profiles, turns=turns
    )
    free = ecoroute.Router(network, objective="time", algorithm=algorithm, speeds=profiles)
    departure = 2 * 86400 + 7 * 3600 + 3000.0  # Wednesday 07:50
    expected = line_graph_arrivals(network, profiles, forbidden, 0, departure)
    checked = differs = 0
    for target in range(1, network.node_count):
        s, t = int(network.node_id[0]), int(network.node_id[target])
        if not np.isfinite(expected[target]):
            with pytest.raises(ecoroute.NoRouteError):
                router.route(s, t, departure=departure)
            continue
        route = router.route(s, t, departure=departure)
        assert_allclose(route.time_s, expected[target] - departure, rtol=1e-6, atol=1e-6)
        arcs = route.arcs.tolist()
        assert not any((a, b) in forbidden for a, b in itertools.pairwise(arcs))
        differs += not math.isclose(free.route(s, t, departure=departure).time_s, route.time_s)
        checked += 1
    assert checked > 20
    assert differs > 0  # the restrictions changed some routes: the test can fail


def constant_profiles(network: ecoroute.RoadNetwork, factor: float) -> SpeedProfiles:
    """Every arc at ``factor`` times its free-flow speed, at every hour."""
    arcs = np.arange(network.arc_count)
    speed = np.repeat((network.speed_kph * factor)[:, None], HOURS_PER_WEEK, axis=1)
    return SpeedProfiles(
        arcs=arcs, speed_kph=speed.astype(np.float32), arc_count=network.arc_count, congestion=False
    )


@pytest.mark.parametrize("objective", ["time", "co2"])
def test_steady_traffic_with_turn_costs_equals_the_static_turn_aware_route(objective: str) -> None:
    """
    Speeds that never change: a departure gives the static route of the same speeds.

    With intersection costs on (angles of a random network, U-turns at dead
    ends), so the turn seconds and the energy of pulling away must be in the
    time-dependent search's weights and in the reported quantities.
    """
    network = random_network(21, zero_lengths=False)
    profiles = constant_profiles(network, 0.5)
    slow = hour_network(network, profiles, 0)
    turns = random_turns(network, 21).with_options(u_turns="dead_ends", intersection_costs=True)
    turns_slow = T.TurnRestrictions.from_arc_pairs(slow, turns.forbidden).with_options(
        intersection_costs=True
    )
    timed = ecoroute.Router(
        network, "van_diesel", objective, algorithm="dijkstra", speeds=profiles, turns=turns
    )
    plain = ecoroute.Router(slow, "van_diesel", objective, algorithm="dijkstra", turns=turns_slow)
    compared = 0
    for target in network.node_id[1:40].tolist():
        source = int(network.node_id[0])
        try:
            expected = plain.route(source, target)
        except ecoroute.NoRouteError:
            continue
        got = timed.route(source, target, departure=3 * 86400 + 3600.0)
        assert_array_equal(got.arcs, expected.arcs)
        for name in ("cost", "time_s", "co2_g", "fuel_l", "distance_m"):
            assert_allclose(getattr(got, name), getattr(expected, name), rtol=1e-6)
        compared += 1
    assert compared > 10


@pytest.mark.parametrize("algorithm", ["dijkstra", "cch"])
def test_departure_matrix_with_turns_is_the_static_turn_aware_matrix_of_that_hour(
    algorithm: str,
) -> None:
    network = random_network(22)
    profiles = short_profiles(network, 22)
    hour = 8
    static = hour_network(network, profiles, hour)
    turns = random_turns(network, 22).with_options(intersection_costs=True)
    static_turns = T.TurnRestrictions.from_arc_pairs(
        static, turns.forbidden, u_turns="everywhere"
    ).with_options(intersection_costs=True)
    timed = ecoroute.Router(
        network, "car_petrol", "co2", algorithm=algorithm, speeds=profiles, turns=turns
    )
    plain = ecoroute.Router(static, "car_petrol", "co2", algorithm=algorithm, turns=static_turns)
    node_based = ecoroute.Router(static, "car_petrol", "co2", algorithm="dijkstra")
    ids = network.node_id[:20]
    got = timed.matrix(ids, ids, departure=hour * 3600.0 + 600.0)
    expected = plain.matrix(ids, ids)
    assert_allclose(got.cost, expected.cost, rtol=1e-9)
    for name in ("co2_g", "fuel_l", "time_s", "distance_m"):
        assert_allclose(got.quantities[name], expected.quantities[name], rtol=1e-9)
    # The restrictions matter on this network: some pairs cost more than without them.
    assert (got.cost > node_based.matrix(ids, ids).cost * (1 + 1e-9)).any()
