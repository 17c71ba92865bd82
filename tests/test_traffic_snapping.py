"""
Departures from coordinates (issues 11 x 12): routes start and end part-way along the snapped roads.

Oracles: the static part-way route (already checked against networkx on split
arcs) under traffic that never changes, and a pure-Python time-dependent
Dijkstra over arcs written here (the line graph minus the forbidden turns,
the two snapped roads split at the points), which drives each arc metre by
metre through the hours independently of the C++ kernel and of
``TrafficRouting.drive``.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import ecoroute
from ecoroute import snapping as S
from ecoroute import turns as T
from ecoroute.traffic import HOURS_PER_WEEK, SpeedProfiles

from .conftest import shared_file
from .test_snapping_calls import random_points, same_arc_points
from .test_traffic import hour_network


@pytest.fixture(scope="module")
def malta() -> ecoroute.RoadNetwork:
    return ecoroute.load_osm(shared_file("osm/malta.osm.pbf"), turn_restrictions=True)


def steady_profiles(network: ecoroute.RoadNetwork) -> SpeedProfiles:
    """Every arc at its free-flow (static) speed at every hour."""
    speed = np.repeat(network.speed_kph[:, None], HOURS_PER_WEEK, axis=1).astype(np.float32)
    return SpeedProfiles(
        arcs=np.arange(network.arc_count),
        speed_kph=speed,
        arc_count=network.arc_count,
        congestion=False,
    )


def changing_profiles(network: ecoroute.RoadNetwork, seed: int) -> SpeedProfiles:
    """Random hourly speeds of 3-60 km/h on half the arcs: long arcs cross hour boundaries."""
    rng = np.random.default_rng(seed)
    arcs = np.sort(rng.choice(network.arc_count, network.arc_count // 2, replace=False))
    speed = rng.uniform(3.0, 60.0, size=(arcs.size, HOURS_PER_WEEK)).astype(np.float32)
    return SpeedProfiles(arcs=arcs, speed_kph=speed, arc_count=network.arc_count)


def trip_points(network: ecoroute.RoadNetwork, seed: int) -> np.ndarray:
    """Random points beside arcs, then two on a two-way and two on a one-way arc (30 %, 70 %)."""
    return np.vstack(
        [
            random_points(network, 10, seed=seed),
            same_arc_points(network, two_way=True),
            same_arc_points(network, two_way=False),
        ]
    )


@pytest.mark.parametrize("turn_aware", [False, True])
@pytest.mark.parametrize("objective", ["time", "co2"])
def test_steady_traffic_equals_the_static_partway_route(
    malta: ecoroute.RoadNetwork, objective: str, turn_aware: bool
) -> None:
    """
    Tests that speeds that never change give the static part-way route (path, time, CO2).

    Turn-aware: Malta's own OSM restrictions and intersection costs, so the
    first and last arcs are the expanded graph's arc nodes; the points behind
    each other on a one-way arc need the way round back onto the same arc.
    """
    network = malta if turn_aware else T.detach(malta)  # Malta carries its OSM turns
    router = ecoroute.Router(
        network, "car_petrol", objective, algorithm="dijkstra", speeds=steady_profiles(network)
    )
    if turn_aware:  # without them the router may still search a plain turn graph
        assert router.turns is not None  # (Malta's destination-only roads are priced on one)
    points = trip_points(network, seed=5)
    pairs = [(i, i + 1) for i in range(0, 10, 2)] + [(10, 11), (11, 10), (12, 13), (13, 12)]
    for i, j in pairs:
        a, b = tuple(points[i]), tuple(points[j])
        static = router.route(a, b)
        timed = router.route(a, b, departure=2 * 86400 + 8 * 3600.0)
        assert timed.departure_s == 2 * 86400 + 8 * 3600.0
        assert_array_equal(timed.arcs, static.arcs)
        for name in ("cost", "time_s", "co2_g", "fuel_l", "distance_m"):
            assert_allclose(getattr(timed, name), getattr(static, name), rtol=1e-6, atol=1e-9)
        for name in ("source_lat", "source_lon", "target_lat", "target_lon"):
            assert getattr(timed, name) == getattr(static, name)
        for name in ("source_snap_m", "target_snap_m", "source_arc", "target_arc"):
            assert getattr(timed, name) == getattr(static, name)
        assert_allclose(timed.coordinates, static.coordinates)
    # ahead on the one-way arc: the direct drive; behind it: round and back onto it
    assert router.route(tuple(points[12]), tuple(points[13]), departure=0.0).arcs.size == 1
    assert router.route(tuple(points[13]), tuple(points[12]), departure=0.0).arcs.size > 2


def drive(
    network: ecoroute.RoadNetwork, row_of: dict[int, int], speed, arc: int, t: float, share: float
) -> float:  # type: ignore[no-untyped-def]
    """Arrival after driving ``share`` of ``arc`` from ``t``, metre by metre through the hours."""
    if arc not in row_of:
        return t + share * float(network.travel_time_s[arc])
    metres = share * float(network.length_m[arc])
    while True:
        hour = math.floor(t / 3600.0)
        v = float(speed[row_of[arc], hour % HOURS_PER_WEEK]) / 3.6
        hour_end = (hour + 1) * 3600.0
        if metres <= v * (hour_end - t):
            return t + metres / v
        metres -= v * (hour_end - t)
        t = hour_end


def split_arc_arrival(
    network: ecoroute.RoadNetwork,
    profiles: SpeedProfiles,
    forbidden: set[tuple[int, int]],
    source: list[tuple[int, float]],
    target: list[tuple[int, float]],
    departure: float,
) -> float:
    """
    Earliest arrival at the target point: a time-dependent Dijkstra over arcs, in Python.

    ``source``/``target``: (arc, fraction) of each way the point lies on (the
    snapped arc and, on a two-way road, the reverse arc at 1 - fraction). A
    state is an arc driven to its head; the source's states are its arcs'
    rests, driven from the departure; the target is reached by the allowed
    turn into one of its arcs and that arc's first fraction, or straight
    along the source's arc when it lies ahead.
    """
    row_of = {int(a): r for r, a in enumerate(profiles.arcs.tolist())}
    speed = profiles.speed_kph

    def go(arc: int, t: float, share: float) -> float:
        return drive(network, row_of, speed, arc, t, share)

    first_out, head = network.first_out, network.head
    best = dict[int, float]()
    queue: list[tuple[float, int]] = []
    for a, f in source:
        t = go(a, departure, 1.0 - f)
        if t < best.get(a, math.inf):
            best[a] = t
            heapq.heappush(queue, (t, a))
    done: set[int] = set()
    while queue:
        t, a = heapq.heappop(queue)
        if a in done:
            continue
        done.add(a)
        x = int(head[a])
        for b in range(int(first_out[x]), int(first_out[x + 1])):
            if (a, b) in forbidden:
                continue
            arrival = go(b, t, 1.0)
            if arrival < best.get(b, math.inf):
                best[b] = arrival
                heapq.heappush(queue, (arrival, b))
    answer = math.inf
    for b, g in target:
        tail_b = int(network.tail[b])
        for p, t in best.items():
            if int(head[p]) == tail_b and (p, b) not in forbidden:
                answer = min(answer, go(b, t, g))
        for a, f in source:
            if a == b and f <= g:
                answer = min(answer, go(a, departure, g - f))
    return answer


def ways(snap: S.Snap, i: int) -> list[tuple[int, float]]:
    out = [(int(snap.arc[i]), float(snap.fraction[i]))]
    if snap.reverse_arc[i] >= 0:
        out.append((int(snap.reverse_arc[i]), 1.0 - float(snap.fraction[i])))
    return out


@pytest.mark.parametrize("turn_aware", [False, True])
def test_changing_traffic_matches_a_split_arc_time_dependent_dijkstra(
    malta: ecoroute.RoadNetwork, turn_aware: bool
) -> None:
    """Tests the earliest arrival between random coordinates against the split-arc oracle."""
    network = T.detach(malta)
    profiles = changing_profiles(network, 7)
    forbidden: set[tuple[int, int]] = set()
    turns = None
    if turn_aware:  # a tenth of all turns forbidden, U-turns allowed, no turn costs
        rng = np.random.default_rng(7)
        tail_b = network.first_out[network.head]
        count = network.first_out[network.head + 1] - tail_b
        a = np.repeat(np.arange(network.arc_count), count)
        b = tail_b[a] + (np.arange(a.size) - np.repeat(np.cumsum(count) - count, count))
        pick = rng.random(a.size) < 0.1
        forbidden = set(zip(a[pick].tolist(), b[pick].tolist(), strict=True))
        turns = T.TurnRestrictions.from_arc_pairs(
            network, np.column_stack([a[pick], b[pick]]), u_turns="everywhere"
        ).with_options(intersection_costs=False)
    router = ecoroute.Router(
        network, "car_petrol", "time", algorithm="dijkstra", speeds=profiles, turns=turns
    )
    points = trip_points(network, seed=11)
    snap = S.snapper_for(network).snap(points[:, 0], points[:, 1])
    departure = 2 * 86400 + 7 * 3600 + 3300.0  # Wednesday 07:55
    pairs = [(i, i + 1) for i in range(0, 10, 2)] + [(10, 11), (11, 10), (12, 13), (13, 12)]
    checked = 0
    for i, j in pairs:
        expected = split_arc_arrival(
            network, profiles, forbidden, ways(snap, i), ways(snap, j), departure
        )
        a, b = tuple(points[i]), tuple(points[j])
        if not math.isfinite(expected):
            with pytest.raises(ecoroute.NoRouteError):
                router.route(a, b, departure=departure)
            continue
        route = router.route(a, b, departure=departure)
        assert_allclose(route.time_s, expected - departure, rtol=1e-6, atol=1e-6)
        assert route.source_lat == snap.lat[i]
        assert route.target_lon == snap.lon[j]
        arcs = route.arcs.tolist()
        assert all(network.head[x] == network.tail[y] for x, y in itertools.pairwise(arcs))
        assert not any((x, y) in forbidden for x, y in itertools.pairwise(arcs))
        checked += 1
    assert checked >= 7


def test_far_coordinates_with_a_departure_raise_the_same_snap_error(
    malta: ecoroute.RoadNetwork,
) -> None:
    """Tests that a point beyond max_snap_m is refused alike with and without a departure."""
    router = ecoroute.Router(malta, "car_petrol", "time", speeds=steady_profiles(malta))
    near = (float(malta.lat[10]), float(malta.lon[10]))
    far = (near[0] + 0.004, near[1] + 0.004)
    snap_m = S.snapper_for(malta).snap([far[0]], [far[1]]).distance_m[0]
    messages = []
    for departure in (None, 8 * 3600.0):
        with pytest.raises(ecoroute.SnapError, match="max_snap_m") as error:
            router.route(far, near, departure=departure, max_snap_m=snap_m / 2)
        messages.append(str(error.value))
    assert messages[0] == messages[1]


@pytest.mark.parametrize("turn_aware", [False, True])
def test_departure_matrices_and_batches_are_the_static_partway_ones_of_that_hour(
    malta: ecoroute.RoadNetwork, turn_aware: bool
) -> None:
    """
    Tests matrix and route_many with departures from coordinates against static part-way routers.

    The static router runs on the same roads at the speeds of the departure
    hour (its part-way matrices are checked against networkx on split arcs
    in test_snapping_calls); pairs of two hours are grouped by hour.
    """
    network = T.detach(malta)
    profiles = changing_profiles(network, 3).replace(congestion=False)
    rng = np.random.default_rng(3)
    forbidden = np.empty((0, 2), dtype=np.int64)
    if turn_aware:
        a = rng.integers(0, network.arc_count, 4000)
        x = network.head[a]
        b = network.first_out[x] + rng.integers(0, 8, a.size) % np.maximum(
            network.first_out[x + 1] - network.first_out[x], 1
        )
        keep = network.first_out[x + 1] > network.first_out[x]
        forbidden = np.unique(np.column_stack([a[keep], b[keep]]), axis=0)

    def router_on(net: ecoroute.RoadNetwork, **options):  # type: ignore[no-untyped-def]
        turns = None
        if turn_aware:
            turns = T.TurnRestrictions.from_arc_pairs(net, forbidden, u_turns="everywhere")
        return ecoroute.Router(
            net, "car_petrol", "co2", algorithm="dijkstra", turns=turns, **options
        )

    timed = router_on(network, speeds=profiles)
    points = trip_points(network, seed=21)
    departures = {8: 8 * 3600.0 + 600.0, 30: 30 * 3600.0 + 1200.0}
    plain = {hour: router_on(hour_network(network, profiles, hour)) for hour in departures}
    for hour, departure in departures.items():
        got = timed.matrix(points, points, departure=departure)
        expected = plain[hour].matrix(points, points)
        assert_allclose(got.cost, expected.cost, rtol=1e-9)
        for name in ("co2_g", "time_s", "distance_m"):
            assert_allclose(got.quantities[name], expected.quantities[name], rtol=1e-9)
        assert_allclose(got.source_lat, expected.source_lat)
        assert_allclose(got.target_snap_m, expected.target_snap_m)
        assert not np.allclose(got.time_s, timed.matrix(points, points).time_s)  # not free flow
    i, j = np.meshgrid(np.arange(len(points)), np.arange(len(points)), indexing="ij")
    hours = np.where((i + j).ravel() % 2 == 0, 8, 30)
    frame = timed.route_many(
        points[i.ravel()],
        points[j.ravel()],
        departure=np.array([departures[h] for h in hours]),
        return_paths=True,
    )
    for hour in departures:
        rows = hours == hour
        expected_frame = plain[hour].route_many(
            points[i.ravel()[rows]], points[j.ravel()[rows]], return_paths=True
        )
        for name in ("cost", "co2_g", "time_s", "source_lat", "target_snap_m"):
            assert_allclose(
                frame[name].to_numpy()[rows], expected_frame[name].to_numpy(), rtol=1e-9
            )
        for got_nodes, want in zip(frame["nodes"][rows], expected_frame["nodes"], strict=True):
            assert_array_equal(got_nodes, want)


@pytest.mark.parametrize("turn_aware", [False, True])
def test_time_dependent_batches_equal_single_routes(
    malta: ecoroute.RoadNetwork, turn_aware: bool
) -> None:
    """Tests route_many(time_dependent=True) from coordinates against Router.route, pair by pair."""
    network = malta if turn_aware else T.detach(malta)
    profiles = changing_profiles(network, 4)
    router = ecoroute.Router(network, "van_diesel", "co2", algorithm="dijkstra", speeds=profiles)
    points = trip_points(network, seed=8)
    sources, targets = points[:-1], points[1:]
    departures = 7 * 3600.0 + 900.0 * np.arange(len(sources))
    frame = router.route_many(
        sources, targets, departure=departures, time_dependent=True, return_paths=True
    )
    for k in range(len(sources)):
        route = router.route(tuple(sources[k]), tuple(targets[k]), departure=departures[k])
        for name in ("cost", "co2_g", "time_s", "distance_m", "fuel_l"):
            assert frame[name][k] == pytest.approx(getattr(route, name), rel=1e-9)
        assert_array_equal(frame["nodes"][k], route.nodes)
        assert frame["source_lat"][k] == route.source_lat


def test_batch_departure_rows_route_partway_on_their_hour(malta: ecoroute.RoadNetwork) -> None:
    """
    Tests batch rows from coordinates with a departure column against static part-way routers.

    Each timed row equals the route_many of a static router on the same roads
    at its hour's speeds (part-way, snapped points reported); a row without a
    departure drives free flow, part-way too.
    """
    import pandas as pd

    from ecoroute import batch

    network = T.detach(malta)
    profiles = changing_profiles(network, 9).replace(congestion=False)
    carrying = network.with_speeds(profiles)
    points = trip_points(network, seed=13)[:8]
    departures = [8 * 3600.0 + 60, 17 * 3600.0 + 600, None, 8 * 3600.0 + 3000]
    trips = pd.DataFrame(
        {
            "trip_id": [f"t{i}" for i in range(4)],
            "origin_lat": points[0::2, 0],
            "origin_lon": points[0::2, 1],
            "destination_lat": points[1::2, 0],
            "destination_lon": points[1::2, 1],
            "departure": departures,
        }
    )
    result = batch.process_chunk(carrying, trips, objective="co2", geometry="geojson")
    assert (result["status"] == "ok").all()
    for i, departure in enumerate(departures):
        net = (
            network
            if departure is None
            else hour_network(network, profiles, int(departure // 3600))
        )
        static = ecoroute.Router(net, "car_petrol", "co2")
        fastest = ecoroute.Router(net, "car_petrol", "time")
        a, b = points[2 * i : 2 * i + 1], points[2 * i + 1 : 2 * i + 2]
        want = static.route_many(a, b)
        assert result["co2_g"][i] == pytest.approx(want["co2_g"][0], rel=1e-9)
        assert result["time_s"][i] == pytest.approx(want["time_s"][0], rel=1e-9)
        assert result["fastest_time_s"][i] == pytest.approx(fastest.route_many(a, b)["time_s"][0])
        assert result["origin_snap_lat"][i] == pytest.approx(want["source_lat"][0], abs=1e-12)
        assert result["destination_snap_m"][i] == pytest.approx(want["target_snap_m"][0])
        line = np.array(json.loads(result["geometry"][i])["coordinates"])
        assert line[0] == pytest.approx([want["source_lon"][0], want["source_lat"][0]], abs=1e-9)
        assert line[-1] == pytest.approx([want["target_lon"][0], want["target_lat"][0]], abs=1e-9)


@pytest.mark.parametrize("turn_aware", [False, True])
def test_steady_traffic_electric_van_on_hills_equals_the_static_partway_route(
    turn_aware: bool,
) -> None:
    """
    Tests an EV whose arc weights go negative downhill (the search runs on potential-shifted
    weights): with steady traffic a departure from coordinates gives the static part-way route.
    """
    from .fleet_helpers import grid_town

    network = grid_town(41, side=6)
    turns = T.TurnRestrictions.from_arc_pairs(network, u_turns="everywhere") if turn_aware else None
    router = ecoroute.Router(
        network, "van_bev", "co2", payload_kg=0.0, speeds=steady_profiles(network), turns=turns
    )
    assert router.node_potential is not None
    rng = np.random.default_rng(1)
    for _ in range(20):
        arcs, f = rng.integers(0, network.arc_count, 2), rng.uniform(0.05, 0.95, 2)
        tail, head = network.tail[arcs], network.head[arcs]
        lat = network.lat[tail] + f * (network.lat[head] - network.lat[tail])
        lon = network.lon[tail] + f * (network.lon[head] - network.lon[tail])
        a, b = (float(lat[0]), float(lon[0])), (float(lat[1]), float(lon[1]))
        static = router.route(a, b)
        timed = router.route(a, b, departure=7200.0)
        assert_array_equal(timed.arcs, static.arcs)
        for name in ("cost", "co2_g", "energy_kwh", "time_s"):
            assert_allclose(getattr(timed, name), getattr(static, name), rtol=1e-6, atol=1e-9)
