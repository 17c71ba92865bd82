"""
Electric fleets held to their batteries (issue 17), checked against oracles of their own.

The oracles never use ecoroute's fleet code: energies are summed from the
vehicle model's per-arc values along networkx paths, the state of charge is
replayed by a plain loop, and optimal plans come from enumerating every split
of the stops and every order.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

import ecoroute
from ecoroute._errors import FleetInputError
from ecoroute.fleet import Depot, Stop, VehicleType, evaluate_routes, plan_fleet
from ecoroute.fleet.battery import potential, state_of_charge
from ecoroute.fleet.model import resolve_inputs

from .conftest import shared_file
from .fleet_helpers import depot_at, grid_town, node_point, oracle_paths, random_stops


def _replay(energies: list[float], start: float, battery: float) -> tuple[float, float]:
    """Charge after the last arc and the lowest charge, one arc at a time (the oracle)."""
    soc = lowest = start
    for e in energies:
        soc = min(battery, soc - e)
        lowest = min(lowest, soc)
    return soc, lowest


# ---------------------------------------------------------------------- building blocks


@pytest.mark.parametrize("seed", range(5))
def test_state_of_charge_matches_a_step_by_step_replay(seed):
    """Tests the closed form of the clamped charge against a loop, regeneration included."""
    rng = np.random.default_rng(seed)
    legs = [rng.normal(0.05, 0.3, rng.integers(0, 30)) for _ in range(6)]
    start, battery = 4.0 + rng.random(), 5.0
    trace = state_of_charge(legs, start, battery)
    flat = [float(e) for leg in legs for e in leg]
    end, lowest = _replay(flat, start, battery)
    assert trace.leg_end_kwh[-1] == pytest.approx(end)
    assert trace.min_kwh == pytest.approx(lowest)
    at = 0
    for k, leg in enumerate(legs):
        at += leg.size
        assert trace.leg_end_kwh[k] == pytest.approx(_replay(flat[:at], start, battery)[0])
    # Energy is conserved except what a full battery could not take.
    assert start - sum(flat) - trace.lost_kwh == pytest.approx(end)


def test_potential_makes_regenerating_legs_non_negative_and_telescopes():
    """
    Tests that the integer potential turns legs with negative (regenerating) entries into
    non-negative ones, and that every route's sum changes by phi[start] - phi[end] only.
    """
    rng = np.random.default_rng(3)
    height = rng.integers(0, 500, 7)
    # Energy-like legs: a positive cost plus a height term that pays back < 100 % downhill.
    base = rng.integers(50, 300, (7, 7))
    climb = height[None, :] - height[:, None]
    legs = base + np.where(climb > 0, climb, (climb * 7) // 10)
    np.fill_diagonal(legs, 0)
    assert (legs < 0).any()
    reach = np.ones((7, 7), dtype=bool)
    phi = potential(legs, reach)
    assert phi is not None
    reduced = legs + phi[:, None] - phi[None, :]
    assert (reduced >= 0).all()
    for route in ([0, 3, 5, 1], [2, 6, 4, 0, 1], [4, 4]):
        original = sum(legs[a, b] for a, b in itertools.pairwise(route))
        shifted = sum(reduced[a, b] for a, b in itertools.pairwise(route))
        assert shifted - original == phi[route[0]] - phi[route[-1]]


def test_potential_reports_a_loop_that_gains_energy():
    """Tests that a negative cycle (no valid potential) is reported as None."""
    legs = np.array([[0, -5], [3, 0]], dtype=np.int64)
    assert potential(legs, np.ones((2, 2), dtype=bool)) is None


# ---------------------------------------------------------------------- inputs


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"vehicle": "van_diesel", "battery_kwh": 50.0}, "electric"),
        ({"vehicle": "van_bev", "battery_kwh": 0.0}, "battery_kwh must be > 0"),
        ({"vehicle": "van_bev", "battery_kwh": 10.0, "reserve_kwh": 10.0}, "nothing to drive"),
        ({"vehicle": "van_bev", "battery_kwh": 10.0, "start_soc": 1.2}, "start_soc"),
        ({"vehicle": "van_bev", "reserve_kwh": 1.0}, "need battery_kwh"),
        ({"vehicle": "van_bev", "trips": 2}, "needs a shift"),
        ({"vehicle": "van_bev", "trips": 0}, "trips must be"),
        (
            {"vehicle": "van_bev", "trips": 2, "battery_kwh": 40.0, "shift": (0.0, 36000.0)},
            "needs a charger",
        ),
    ],
)
def test_battery_inputs_are_checked(options, match):
    network = grid_town(0, side=4)
    spec = VehicleType(options.pop("vehicle"), **options)
    with pytest.raises(FleetInputError, match=match):
        resolve_inputs(network, depot_at(network, 0), [], [spec])


@pytest.mark.parametrize(
    ("depot_options", "type_options", "match"),
    [
        ({"charger_kw": -3.0}, {}, "charger_kw must be >= 0"),
        ({"charger_kw": 0.0}, {}, "charger_kw must be > 0"),
        ({"charger_kw": "fast"}, {}, "charger_kw must be a number"),
        ({}, {"battery_kwh": "big"}, "battery_kwh must be a number"),
        ({}, {"battery_kwh": float("nan")}, "battery_kwh must be a finite number"),
        ({}, {"battery_kwh": 10.0, "reserve_kwh": -1.0}, "reserve_kwh must be >= 0"),
        ({}, {"trips": 1.5}, "trips must be a whole number"),
    ],
)
def test_bad_battery_and_charger_values_name_the_field(depot_options, type_options, match):
    network = grid_town(0, side=4)
    depot = Depot("D", **node_point(network, 0), **depot_options)
    with pytest.raises(FleetInputError, match=match):
        resolve_inputs(network, depot, [], [VehicleType("van_bev", **type_options)])


def test_a_charger_too_slow_for_the_trips_is_refused():
    network = grid_town(0, side=4)
    depot = Depot("D", **node_point(network, 0), charger_kw=1.0)
    spec = VehicleType("van_bev", battery_kwh=60.0, trips=3, shift=(0.0, 9 * 3600.0))
    with pytest.raises(FleetInputError, match="faster charger"):
        resolve_inputs(network, depot, [], [spec])


# ---------------------------------------------------------------------- brute force


def _energy_instance(seed: int):
    """Five stops without payload (the energy of a leg is then exact), one depot."""
    network = grid_town(20 + seed)
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.node_count, 6, replace=False)
    stops = [Stop(f"S{i}", **node_point(network, int(x))) for i, x in enumerate(nodes[1:])]
    return network, depot_at(network, int(nodes[0])), stops


def _oracle(network, depot, stops, vehicle):
    """Per-pair CO2 and arc energies along networkx's least-CO2 paths (payload 0)."""
    q = vehicle.arc_quantities(network, 0.0)
    nodes = [int(network.nearest_nodes([s.lat], [s.lon])[0][0]) for s in [depot, *stops]]
    co2, arcs = oracle_paths(network, q["co2_g"], nodes)
    energy = [[q["energy_kwh"][a].tolist() for a in row] for row in arcs]
    return co2, energy


def _best_plan(co2, energy, n, vehicles, start, battery, reserve):
    """Least-CO2 split of stops 1..n among ``vehicles`` routes whose replay keeps the reserve."""
    best_route: dict[frozenset[int], float] = {}
    for size in range(1, n + 1):
        for subset in itertools.combinations(range(1, n + 1), size):
            values = []
            for order in itertools.permutations(subset):
                path = [0, *order, 0]
                flat = [e for a, b in itertools.pairwise(path) for e in energy[a][b]]
                if _replay(flat, start, battery)[1] >= reserve - 1e-9:
                    values.append(sum(co2[a, b] for a, b in itertools.pairwise(path)))
            if values:
                best_route[frozenset(subset)] = min(values)

    def solve(v: int, left: frozenset[int]) -> float:
        if not left:
            return 0.0
        if v == vehicles:
            return math.inf
        best = math.inf
        for size in range(1, len(left) + 1):
            for subset in itertools.combinations(sorted(left), size):
                route = best_route.get(frozenset(subset))
                if route is not None:
                    best = min(best, route + solve(v + 1, left - frozenset(subset)))
        return best

    return solve(0, frozenset(range(1, n + 1)))


@pytest.mark.parametrize("seed", range(3))
def test_plan_is_brute_force_optimal_when_the_battery_binds(seed):
    """
    Tests that plan_fleet finds the least-CO2 plan of a tiny e-van instance whose battery
    binds (the unconstrained optimum runs a battery flat): its CO2 under the oracle equals the
    brute-force optimum over every split and order whose arc-by-arc replay keeps the reserve.
    """
    network, depot, stops = _energy_instance(seed)
    vehicle = ecoroute.vehicle("van_bev")
    co2, energy = _oracle(network, depot, stops, vehicle)
    n, reserve = len(stops), 0.05

    def need(route):
        flat = [e for a, b in itertools.pairwise([0, *route, 0]) for e in energy[a][b]]
        return 100.0 - _replay(flat, 100.0, 100.0)[1]

    single = max(need([i]) for i in range(1, n + 1))
    free = _best_plan(co2, energy, n, 2, 100.0, 100.0, 0.0)
    # The battery: halfway between the farthest single stop and the whole tour.
    whole = min(need(order) for order in itertools.permutations(range(1, n + 1)))
    assert single < whole
    battery = reserve + (single + whole) / 2.0
    optimum = _best_plan(co2, energy, n, 2, battery, battery, reserve)
    assert math.isfinite(optimum)
    assert optimum > free + 1e-6  # the battery binds: the free optimum breaks it

    fleet = VehicleType(
        "van_bev", count=2, battery_kwh=battery, reserve_kwh=reserve, matrix_payload_kg=0.0
    )
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=2000, baselines=())
    assert not plan.unassigned
    index = {s.id: i + 1 for i, s in enumerate(stops)}
    total = 0.0
    for route in plan.routes:
        path = [0, *(index[s] for s in route.stops), 0]
        flat = [e for a, b in itertools.pairwise(path) for e in energy[a][b]]
        assert _replay(flat, battery, battery)[1] >= reserve - 1e-9
        assert route.soc_min_kwh == pytest.approx(_replay(flat, battery, battery)[1], abs=1e-9)
        total += sum(co2[a, b] for a, b in itertools.pairwise(path))
    assert total == pytest.approx(optimum, rel=1e-9, abs=0.01)
    assert plan.totals["feasible"]


# ---------------------------------------------------------------------- regeneration


def _hill(top_m: float = 60.0):
    """Depot on a hill top (node 0), a stop at its foot (node 2): 2 km down, 2 km back up."""
    length = np.array([1000.0, 1000.0, 1000.0, 1000.0])
    tail, head = np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1])
    elevation = np.array([top_m, top_m / 2, 0.0])
    grade = (elevation[head] - elevation[tail]) / length
    network = ecoroute.RoadNetwork.from_arrays(
        tail, head, length, np.full(4, 50.0), np.array([43.0, 43.01, 43.02]),
        np.array([7.0, 7.0, 7.0]), grade=grade, elevation_m=elevation, node_id=np.arange(3),
    )  # fmt: skip
    return network, Depot("top", node=0), [Stop("foot", node=2, demand_kg=300.0)]


def _arcs(network: ecoroute.RoadNetwork, *nodes: int) -> list[int]:
    """Arc indices of the walk through ``nodes`` (by tail and head, whatever the CSR order)."""
    arc = {
        (int(a), int(b)): k
        for k, (a, b) in enumerate(zip(network.tail, network.head, strict=False))
    }
    return [arc[a, b] for a, b in itertools.pairwise(nodes)]


def test_regenerating_legs_are_replayed_with_a_full_battery_clamp():
    """
    Tests the charge on a route that starts downhill: with a full battery the energy
    recovered on the way down is lost (reported), with a half-full one it is banked;
    both against the arcs' energies from the vehicle model and a hand replay.
    """
    network, depot, stops = _hill()
    vehicle = ecoroute.vehicle("van_bev")
    down = vehicle.arc_quantities(network, 300.0)["energy_kwh"][_arcs(network, 0, 1, 2)]
    up = vehicle.arc_quantities(network, 0.0)["energy_kwh"][_arcs(network, 2, 1, 0)]
    assert (down < 0).all()
    assert (up > 0).all()
    for soc in (1.0, 0.5):
        battery = 10.0
        fleet = VehicleType("van_bev", battery_kwh=battery, reserve_kwh=1.0, start_soc=soc)
        plan = evaluate_routes(network, depot, stops, fleet, [("van_bev", ["foot"])])
        (route,) = plan.routes
        end, lowest = _replay([*down, *up], soc * battery, battery)
        assert route.soc_end_kwh == pytest.approx(end, abs=1e-12)
        assert route.soc_min_kwh == pytest.approx(lowest, abs=1e-12)
        lost = -float(down.sum()) if soc == 1.0 else 0.0
        assert route.regeneration_lost_kwh == pytest.approx(lost, abs=1e-12)
        assert plan.visits[0].soc_kwh == pytest.approx(min(battery, soc * battery - down.sum()))


def test_regenerating_route_is_planned_on_net_energy_or_refused_for_range():
    """
    Tests both sides of the battery limit on the hill: a battery half full (start_soc 0.5)
    banks the descent, so the round trip needs only the net energy and the stop is served;
    a full battery cannot bank it, needs the whole climb, and is refused with reason
    ``range`` quoting that energy and the usable battery.
    """
    network, depot, stops = _hill()
    vehicle = ecoroute.vehicle("van_bev")
    down = float(
        vehicle.arc_quantities(network, 300.0)["energy_kwh"][_arcs(network, 0, 1, 2)].sum()
    )
    up = float(vehicle.arc_quantities(network, 0.0)["energy_kwh"][_arcs(network, 2, 1, 0)].sum())
    net = down + up
    # Usable energy between the net round trip and the climb alone.
    usable = (net + up) / 2.0
    banked = VehicleType("van_bev", battery_kwh=10.0, start_soc=0.5, reserve_kwh=5.0 - usable)
    plan = plan_fleet(network, depot, stops, banked, max_iterations=100, baselines=())
    assert [r.stops for r in plan.routes] == [("foot",)]
    assert plan.routes[0].soc_end_kwh == pytest.approx(5.0 - net, abs=1e-9)
    assert plan.solver["battery"]["van_bev"]["regeneration_potential"]

    full = VehicleType("van_bev", battery_kwh=10.0, reserve_kwh=10.0 - usable)
    plan = plan_fleet(network, depot, stops, full, max_iterations=100, baselines=())
    assert not plan.routes
    (refused,) = plan.unassigned
    assert refused.reason == "range"
    assert f"needs {up:.2f} kWh" in refused.message
    assert f"against {usable:.2f} kWh usable" in refused.message


# ---------------------------------------------------------------------- recharging


def test_trips_recharge_at_the_depot_charger_between_them():
    """
    Tests a one-van day in two trips: the second trip leaves with what the first left plus
    what the charger put in during the gap (charger_kw x time, up to the start level), the
    charging time is energy / power, and it fits between the trips.
    """
    network, depot, stops = _energy_instance(1)
    charger = 7.0
    depot = Depot(depot.id, lat=depot.lat, lon=depot.lon, charger_kw=charger)
    vehicle = ecoroute.vehicle("van_bev")
    _co2, energy = _oracle(network, depot, stops, vehicle)

    def need(route):
        flat = [e for a, b in itertools.pairwise([0, *route, 0]) for e in energy[a][b]]
        return 100.0 - _replay(flat, 100.0, 100.0)[1]

    whole = min(need(order) for order in itertools.permutations(range(1, len(stops) + 1)))
    single = max(need([i]) for i in range(1, len(stops) + 1))
    battery = (single + whole) / 2.0  # one trip cannot serve every stop; each fits alone
    assert single < battery < whole
    shift = (8 * 3600.0, 16 * 3600.0)
    fleet = VehicleType("van_bev", battery_kwh=battery, trips=2, shift=shift)
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=2000, baselines=())
    assert not plan.unassigned
    first, second = sorted(plan.routes, key=lambda r: r.trip)
    assert (first.vehicle, first.trip, second.vehicle, second.trip) == (
        "van_bev#1", 1, "van_bev#1", 2,
    )  # fmt: skip
    assert first.soc_start_kwh == pytest.approx(battery)
    gap_s = second.start_s - first.end_s
    expected = min(battery, first.soc_end_kwh + charger * gap_s / 3600.0)
    assert second.soc_start_kwh == pytest.approx(expected)
    assert second.charged_kwh == pytest.approx(expected - first.soc_end_kwh)
    assert second.charge_s == pytest.approx(second.charged_kwh / charger * 3600.0)
    assert second.charge_s <= gap_s + 1e-6
    # The slots leave time to refill the whole usable battery: every trip starts full.
    assert second.soc_start_kwh == pytest.approx(battery)
    assert first.end_s <= shift[0] + 4 * 3600.0 - battery / charger * 3600.0 + 1e-6
    assert plan.totals["feasible"]


# ---------------------------------------------------------------------- a real town


@pytest.fixture(scope="module")
def andorra() -> ecoroute.RoadNetwork:
    path = shared_file("osm/andorra.osm.pbf")
    dem = shared_file("dem/N42E001.hgt.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one node on an SRTM void
        # The replay oracle below sums the vehicle model's per-arc energy; turn costs
        # (scored with each leg on turn-aware networks) are tested in test_fleet_time.py.
        return ecoroute.load_osm(path, dem=dem, largest_component="strong", turn_restrictions=False)


def _andorra_inputs(network: ecoroute.RoadNetwork):
    rng = np.random.default_rng(0)
    nodes = rng.choice(network.node_count, 31, replace=False)
    depot = Depot("D", node=int(network.node_id[nodes[0]]))
    stops = [
        Stop(f"S{i}", node=int(network.node_id[x]), demand_kg=float(rng.integers(20, 120)),
             service_s=300.0)
        for i, x in enumerate(nodes[1:])
    ]  # fmt: skip
    return depot, stops


@pytest.mark.parametrize("battery", [20.0, 8.0])
def test_real_town_routes_keep_their_battery(andorra, battery):
    """
    Tests e-vans in Andorra (SRTM heights, 850-2450 m: regeneration matters) with a mixed
    fleet: every route's replayed charge, recomputed here from the vehicle model's per-arc
    energy at each leg's payload, stays above the reserve, and a small battery refuses
    stops for range.
    """
    depot, stops = _andorra_inputs(andorra)
    reserve = 1.0
    fleet = [
        VehicleType("van_bev", name="e-van", count=4, battery_kwh=battery, reserve_kwh=reserve),
    ]
    plan = plan_fleet(andorra, depot, stops, fleet, max_iterations=1000, baselines=())
    vehicle = ecoroute.vehicle("van_bev")
    for route in plan.routes:
        flat = []
        for leg in route.legs:
            q = vehicle.arc_quantities(andorra, leg.payload_kg, arcs=leg.arcs)["energy_kwh"]
            flat.extend(q.tolist())
        end, lowest = _replay(flat, battery, battery)
        assert lowest >= reserve - 1e-9
        assert route.soc_min_kwh == pytest.approx(lowest, abs=1e-9)
        assert route.soc_end_kwh == pytest.approx(end, abs=1e-9)
        assert battery - end <= battery - reserve + 1e-9
    assert plan.totals["feasible"]
    refused = [u for u in plan.unassigned if u.reason == "range"]
    if battery == 8.0:
        assert refused
        assert all("kWh usable" in u.message for u in refused)
    else:
        assert not plan.unassigned


def test_real_town_mixed_fleet_sends_diesel_where_batteries_cannot_go(andorra):
    """
    Tests a mixed diesel/electric fleet on the same stops: nothing is refused for range
    (the diesel van has none to run out of), and the e-vans keep their reserve.
    """
    depot, stops = _andorra_inputs(andorra)
    fleet = [
        VehicleType("van_bev", name="e-van", count=3, battery_kwh=8.0, reserve_kwh=1.0),
        VehicleType("van_diesel", count=2),
    ]
    plan = plan_fleet(andorra, depot, stops, fleet, max_iterations=1000, baselines=())
    assert not plan.unassigned
    for route in plan.routes:
        if route.vehicle_type == "e-van":
            assert route.soc_min_kwh >= 1.0 - 1e-9
        else:
            assert route.soc_min_kwh is None
    assert plan.totals["feasible"]


def _two_hills(height_m: float = 80.0):
    """
    Depot (0) 200 m from a valley junction (1) between two hill tops (2, 3) 1 km away,
    and a low stop (4) 100 m from the junction.
    """
    pairs = [(0, 1, 200.0), (1, 2, 1000.0), (1, 3, 1000.0), (1, 4, 100.0)]
    elevation = np.array([0.0, 0.0, height_m, height_m, 0.0])
    tail = np.array([p for a, b, _ in pairs for p in (a, b)])
    head = np.array([p for a, b, _ in pairs for p in (b, a)])
    length = np.array([m for _, _, m in pairs for _ in range(2)])
    grade = (elevation[head] - elevation[tail]) / length
    network = ecoroute.RoadNetwork.from_arrays(
        tail, head, length, np.full(tail.size, 40.0),
        np.array([43.0, 43.002, 43.01, 42.99, 43.0021]), np.array([7.0, 7.0, 7.01, 7.01, 7.001]),
        grade=grade, elevation_m=elevation, node_id=np.arange(5),
    )  # fmt: skip
    stops = [Stop("H1", node=2), Stop("H2", node=3), Stop("L", node=4)]
    return network, Depot("D", node=0), stops


def _hill_energies(network):
    q = ecoroute.vehicle("van_bev").arc_quantities(network, 0.0)["energy_kwh"]

    def walk(*nodes):
        return float(sum(q[a] for a in _arcs(network, *nodes)))

    return walk


def test_the_way_home_is_not_credited_before_the_vehicle_is_home():
    """
    Tests that the solver's limit holds at the last stop, not only at the end: the route
    over both hill tops uses less energy in total than the battery allows (the descent home
    pays back) but runs below the reserve on the second top. The solver refuses it by itself
    (one solve), serving each top on its own route; the hand replay agrees.
    """
    network, depot, stops = _two_hills()
    walk = _hill_energies(network)
    assert walk(2, 1) < -walk(0, 1)  # the descent pays back more than the drive to the valley
    joint_total, joint_peak = walk(0, 1, 2, 1, 3, 1, 0), walk(0, 1, 2, 1, 3)
    alone_peak = walk(0, 1, 2)
    usable = (max(alone_peak, joint_total) + joint_peak) / 2.0
    assert joint_total < usable < joint_peak
    battery = 10.0
    fleet = VehicleType(
        "van_bev", count=2, battery_kwh=battery, reserve_kwh=battery - usable,
        matrix_payload_kg=0.0,
    )  # fmt: skip
    plan = plan_fleet(network, depot, stops[:2], fleet, max_iterations=500, baselines=())
    assert sorted(r.stops for r in plan.routes) == [("H1",), ("H2",)]
    assert plan.solver["battery_rounds"] == 1
    for route in plan.routes:
        assert route.soc_min_kwh == pytest.approx(battery - alone_peak, abs=1e-9)
    joint = evaluate_routes(network, depot, stops[:2], fleet, [("van_bev", ["H1", "H2"])])
    (violation,) = joint.violations
    assert violation.constraint == "battery"
    assert violation.amount == pytest.approx(joint_peak - usable, abs=1e-9)


def test_a_route_that_dips_below_the_reserve_half_way_is_replanned():
    """
    Tests the re-check after the solver: H1 -> H2 -> L (the low stop on the way home) uses
    less energy up to L and home than the battery allows, so the solver accepts it, but the
    battery is below the reserve on top of H2. The replay catches it, the limit is tightened
    and the plan solved again until every route keeps its reserve (checked by hand replay).
    """
    network, depot, stops = _two_hills()
    walk = _hill_energies(network)
    peak = walk(0, 1, 2, 1, 3)
    to_low = walk(0, 1, 2, 1, 3, 1, 4)
    solver_sum = to_low + max(0.0, walk(4, 1, 0))
    usable = (solver_sum + peak) / 2.0
    assert solver_sum < usable < peak
    battery = 10.0
    fleet = VehicleType(
        "van_bev", count=3, battery_kwh=battery, reserve_kwh=battery - usable,
        matrix_payload_kg=0.0,
    )  # fmt: skip
    joint = evaluate_routes(network, depot, stops, fleet, [("van_bev", ["H1", "H2", "L"])])
    assert [v.constraint for v in joint.violations] == ["battery"]
    assert joint.violations[0].amount == pytest.approx(peak - usable, abs=1e-9)

    plan = plan_fleet(network, depot, stops, fleet, max_iterations=500, baselines=())
    assert plan.solver["battery_rounds"] >= 2
    assert plan.solver["battery_limits_kwh"]["van_bev"] < usable
    assert not plan.unassigned
    for route in plan.routes:
        nodes = [0, *(int(s.node) for stop in route.stops for s in stops if s.id == stop), 0]
        flat = [
            e
            for a, b in itertools.pairwise(nodes)
            for e in ecoroute.vehicle("van_bev")
            .arc_quantities(network, 0.0)["energy_kwh"][_walk_arcs(network, a, b)]
            .tolist()
        ]
        assert _replay(flat, battery, battery)[1] >= battery - usable - 1e-9
    assert plan.totals["feasible"]


def _walk_arcs(network, a: int, b: int) -> list[int]:
    """Arcs from node a to node b in the two-hill town (every path passes the junction 1)."""
    if a == b:
        return []
    if 1 in (a, b):
        return _arcs(network, a, b)
    return _arcs(network, a, 1, b)


@pytest.mark.parametrize("objective", ["co2", "co2e_wtw", "time", "distance", "cost"])
def test_every_objective_and_baseline_keeps_the_batteries(objective):
    """
    Tests a mixed fleet (the diesel type listed first, so the shared fastest and shortest
    path matrices belong to a vehicle without a battery) under every objective and both
    baselines: every e-van route of the plan and of the baselines keeps its reserve when
    replayed, and the solver's energy unit prices what the objective prices.
    """
    network = grid_town(5, side=8)
    stops = random_stops(network, np.random.default_rng(2), 12)
    fleet = [
        VehicleType("van_diesel", count=1, energy_price=1.8, cost_per_km=0.1),
        VehicleType("van_bev", count=3, battery_kwh=2.5, reserve_kwh=0.2, energy_price=0.3,
                    cost_per_km=0.2, fixed_cost=5.0),
    ]  # fmt: skip
    plan = plan_fleet(network, depot_at(network, 0), stops, fleet, objective=objective,
                      max_iterations=300, carbon_price_per_t=100.0)  # fmt: skip
    plans = [plan, *plan.baselines.values()]
    assert len(plans) == (3 if objective in ("co2", "co2e_wtw", "cost") else 2)
    for each in plans:
        for route in each.routes:
            if route.vehicle_type == "van_bev":
                assert route.soc_min_kwh >= 0.2 - 1e-9
        assert each.totals["feasible"]
    price = plan.solver["battery"]["van_bev"]["price_per_kwh"]
    vehicle = ecoroute.vehicle("van_bev")
    expected = {
        "co2": vehicle.co2_g_per_battery_kwh,
        "co2e_wtw": vehicle.co2e_wtw_g_per_battery_kwh,
        "time": 0.0,
    }
    if objective in expected:
        assert price == pytest.approx(expected[objective])
    else:  # a stand-in for the per-metre part, on top of the per-kWh part
        per_kwh = 0.3 + 100.0 * vehicle.co2e_wtw_g_per_battery_kwh / 1e6
        assert price > (per_kwh if objective == "cost" else 0.0)


def test_a_stop_that_fits_the_shift_but_no_trip_slot_is_refused_for_its_window():
    """
    Tests that the screen checks each trip's slot, not the whole shift: two trips in
    08:00-16:00 with an hour to recharge 7 kWh at 7 kW leave slots 08:00-11:00 and
    12:00-16:00, so a window of 11:30-11:40 (well inside the shift) cannot be met.
    """
    network = grid_town(4, side=5)
    depot = Depot("D", **node_point(network, 0), charger_kw=7.0)
    stops = [
        Stop("late", **node_point(network, 6), time_window=(11.5 * 3600, 11.5 * 3600 + 600)),
        Stop("free", **node_point(network, 7)),
    ]
    fleet = VehicleType("van_bev", battery_kwh=7.0, trips=2, shift=(8 * 3600.0, 16 * 3600.0))
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=200, baselines=())
    assert [(u.stop, u.reason) for u in plan.unassigned] == [("late", "time_window")]
    assert [r.stops for r in plan.routes] == [("free",)]


# ---------------------------------------------------------------------- turns


def _signalled_road():
    """
    A straight two-way road of ten 200 m arcs at 50 km/h (nodes 0..10), signals on nodes 3-7;
    the depot at node 0, one stop of 300 kg at node 10, as much as the e-van carries.
    """
    from ecoroute import turns as T

    n = 11
    lon = np.arange(n) * (200.0 / 111_195.0)
    tail = np.concatenate([np.arange(n - 1), np.arange(1, n)])
    head = np.concatenate([np.arange(1, n), np.arange(n - 1)])
    network = ecoroute.RoadNetwork.from_arrays(
        tail, head, np.full(tail.size, 200.0), np.full(tail.size, 50.0), np.zeros(n), lon,
        node_id=np.arange(n),
    )  # fmt: skip
    control = np.zeros(n, np.int8)
    control[3:8] = T.SIGNALS
    turns = T.TurnRestrictions(
        arc_count=network.arc_count, node_count=n, node_control=control, intersection_costs=True
    )
    return network, turns, Depot("D", node=0), [Stop("end", node=10, demand_kg=300.0)]


def _signals_kwh(vehicle, payload_kg: float, signals: int = 5) -> float:
    """
    Battery energy of passing ``signals`` traffic signals at 50 km/h, by hand (docs/turns.md
    section 2): half the vehicles stop (s = 0.5) and pull away again, wheel work
    W = s * 1.05 * m * v^2 / 2, drawn as W (1/eta_prop - eta_regen); the auxiliaries run
    for each signal's 2 s.
    """
    v = 50.0 / 3.6
    work_j = signals * 0.5 * 1.05 * 0.5 * vehicle.mass_kg(payload_kg) * v * v
    lost = 1.0 / vehicle.propulsion_efficiency - vehicle.regeneration_efficiency
    return (work_j * lost + vehicle.auxiliary_power_kw * 1000.0 * signals * 2.0) / 3.6e6


def _road_energies(network, vehicle):
    """(arcs out at 300 kg, arcs back empty, turns out, turns back), kWh, the oracle's."""
    out = float(
        vehicle.arc_quantities(network, 300.0)["energy_kwh"][_arcs(network, *range(11))].sum()
    )
    back_arcs = _arcs(network, *range(10, -1, -1))
    back = float(vehicle.arc_quantities(network, 0.0)["energy_kwh"][back_arcs].sum())
    return out, back, _signals_kwh(vehicle, 300.0), _signals_kwh(vehicle, 0.0)


def test_battery_bounds_include_the_turns_of_each_leg():
    """
    Tests the solver's leg energy bounds on a turn-aware network: each leg's bound is its arcs'
    energy plus the energy of the five signals it passes, worked by hand, at the payload on
    board (300 kg out, nothing back); without the turns the bounds are the arcs' alone.
    """
    from ecoroute.fleet.battery import leg_energy
    from ecoroute.fleet.matrices import Profiles

    network, turns, depot, stops = _signalled_road()
    vehicle = ecoroute.vehicle("van_bev")
    out, back, turns_out, turns_back = _road_energies(network, vehicle)
    fleet = VehicleType("van_bev", capacity_kg=300.0, battery_kwh=10.0, reserve_kwh=1.0)
    inputs = resolve_inputs(network, depot, stops, fleet)
    expected = {None: (out, back), turns: (out + turns_out, back + turns_back)}
    for given, (to_stop, home) in expected.items():
        profiles = Profiles(network, inputs, turns=given)
        upper = leg_energy(network, inputs, profiles, 0, "co2").upper_kwh(inputs.demand_kg, 1)
        assert upper[0, 1] == pytest.approx(to_stop, rel=1e-9)
        assert upper[1, 0] == pytest.approx(home, rel=1e-9)
    assert turns_out > turns_back > 0.0


def test_a_battery_enough_for_the_arcs_but_not_the_turns_is_refused_for_range():
    """
    Tests an e-van whose usable energy covers the round trip's arcs and half its signals: the
    stop is refused for range before the solve, quoting the energy worked by hand with the
    turns (the solver is never handed a route the replay would find below the reserve). With
    a little more than arcs and turns together, the stop is served in one solve and the
    replayed charge at the end is the start less that energy.
    """
    network, turns, depot, stops = _signalled_road()
    vehicle = ecoroute.vehicle("van_bev")
    out, back, turns_out, turns_back = _road_energies(network, vehicle)
    arcs_only, with_turns = out + back, out + back + turns_out + turns_back

    usable = arcs_only + (turns_out + turns_back) / 2.0
    short = VehicleType("van_bev", capacity_kg=300.0, battery_kwh=10.0, reserve_kwh=10.0 - usable)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no FleetPlanWarning: nothing left for the re-check
        plan = plan_fleet(network, depot, stops, short, turns=turns, max_iterations=100,
                          baselines=())  # fmt: skip
    assert not plan.routes
    (refused,) = plan.unassigned
    assert refused.reason == "range"
    assert f"needs {with_turns:.2f} kWh" in refused.message
    assert f"against {usable:.2f} kWh usable" in refused.message

    usable = with_turns + 0.01
    enough = VehicleType("van_bev", capacity_kg=300.0, battery_kwh=10.0, reserve_kwh=10.0 - usable)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = plan_fleet(network, depot, stops, enough, turns=turns, max_iterations=100,
                          baselines=())  # fmt: skip
    assert [r.stops for r in plan.routes] == [("end",)]
    assert plan.solver["battery_rounds"] == 1
    assert plan.routes[0].soc_end_kwh == pytest.approx(10.0 - with_turns, rel=1e-9)
    assert plan.routes[0].soc_min_kwh >= plan.routes[0].reserve_kwh
