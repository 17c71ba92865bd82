"""
Fleet plans on tiny instances against brute force: every assignment and order enumerated.

The oracle never uses ecoroute's matrices: path costs and times come from
networkx (Bellman-Ford on the vehicle model's per-arc weights), and the
optimal plan from enumerating every split of the stops among the vehicles
and every visiting order. What the oracle takes from the specification is
the solver's time rounding (leg and service times rounded up to whole
seconds) and the matrix payload (half the capacity).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.fleet import Stop, VehicleType, od_matrices, plan_fleet
from ecoroute.fleet.matrices import Profiles
from ecoroute.fleet.model import resolve_inputs

from .fleet_helpers import depot_at, grid_town, node_point, oracle_paths
from .helpers import path_cost

QUANTITY = {"co2": "co2_g", "distance": "distance_m"}


@pytest.mark.parametrize(
    ("seed", "vehicle"), [(0, "van_diesel"), (1, "van_bev"), (2, "truck_18t_diesel")]
)
@pytest.mark.parametrize("prepared", [False, True], ids=["pairwise", "cch"])
def test_od_matrices_match_networkx(seed, vehicle, prepared):
    """
    Tests that the all-pairs CO2 matrix equals networkx's least-CO2 path costs (Bellman-Ford,
    EV recuperation included), and that time and distance beside it belong to one least-CO2
    path: a connected walk between the two nodes whose CO2 is the optimum. (Paths may tie:
    a truck rolling downhill in overrun burns nothing, so the oracle's path can differ.)
    """
    network = grid_town(seed)
    if prepared:
        network = network.prepared()
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.node_count, 7, replace=False)
    model = ecoroute.vehicle(vehicle)
    router = ecoroute.Router(network, model, "co2", payload_kg=300.0)
    cost, quantities = od_matrices(router, nodes)

    weight = model.arc_quantities(network, 300.0)["co2_g"]
    expected, _ = oracle_paths(network, weight, nodes.tolist())
    assert_allclose(cost, expected, rtol=1e-9, atol=1e-9)
    assert_allclose(quantities["co2_g"], expected, rtol=1e-9, atol=1e-9)

    pairs = router.route_indices(np.repeat(nodes, 7), np.tile(nodes, 7), with_paths=True)
    for p, (i, j) in enumerate(itertools.product(range(7), repeat=2)):
        arcs = pairs.path_arcs[pairs.path_offsets[p] : pairs.path_offsets[p + 1]]
        assert path_cost(network, weight, int(nodes[i]), arcs) == pytest.approx(
            expected[i, j], rel=1e-9, abs=1e-9
        )
        end = int(network.head[arcs[-1]]) if arcs.size else int(nodes[i])
        assert end == nodes[j]
        assert quantities["time_s"][i, j] == pytest.approx(network.travel_time_s[arcs].sum())
        assert quantities["distance_m"][i, j] == pytest.approx(network.length_m[arcs].sum())


def _instance(seed: int, *, priced: bool = False):
    """
    Six stops (one optional), three vehicle types; seed 3 has a second depot, downhill.

    ``priced`` adds money: energy prices, per-km and fixed costs, a prize in money.
    """
    network = grid_town(10 + seed)
    rng = np.random.default_rng(seed)
    depot_node = int(rng.integers(network.node_count))
    low = int(np.argmin(network.elevation_m))
    nodes = rng.choice(
        np.setdiff1d(np.arange(network.node_count), [depot_node, low]), 6, replace=False
    )
    stops = []
    for i, x in enumerate(nodes):
        window = (8 * 3600.0, 8 * 3600.0 + 900.0 + 300.0 * i) if i in (1, 3) else None
        stops.append(
            Stop(
                f"S{i}",
                **node_point(network, int(x)),
                demand_kg=float(rng.integers(100, 450)),
                service_s=120.0 + 10.7 * i,
                time_window=window,
                optional=i == 5,
                prize=(0.9 if priced else 250.0) if i == 5 else 0.0,
            )
        )
    depots = [depot_at(network, depot_node)]
    ends = {}
    if seed == 3:  # the EV ends at a depot in the valley: its potential does not telescope
        depots.append(depot_at(network, low, "valley"))
        ends = {"end_depot": "valley"}
    prices: dict[str, dict[str, float]] = {"van_bev": {}, "van_diesel": {}, "truck": {}}
    if priced:
        prices = {
            "van_bev": {"energy_price": 0.25, "fixed_cost": 4.0},
            "van_diesel": {"energy_price": 1.8, "cost_per_km": 0.1, "fixed_cost": 2.5},
            "truck": {"energy_price": 1.8, "cost_per_km": 0.3, "fixed_cost": 1.0},
        }
    fleet = [
        VehicleType("van_bev", count=1, capacity_kg=700.0, shift=(8 * 3600.0, 12 * 3600.0),
                    **ends, **prices["van_bev"]),
        VehicleType("van_diesel", count=2, capacity_kg=900.0, shift=(7.5 * 3600.0, 18 * 3600.0),
                    **prices["van_diesel"]),
        VehicleType("truck_18t_diesel", count=1, shift=(7 * 3600.0, 18 * 3600.0),
                    **prices["truck"]),
    ]  # fmt: skip
    return network, depots, stops, fleet


def _oracle_matrices(network, inputs, objective):
    nodes = inputs.location_node.tolist()
    cost, time = [], []
    for rtype in inputs.types:
        q = rtype.vehicle.arc_quantities(network, rtype.matrix_payload_kg)
        if objective == "cost":  # money per arc: energy, carbon, per km (no hourly cost here)
            spec = rtype.spec
            energy = q["energy_kwh"] if "energy_kwh" in q else q["fuel_l"]
            weight = (
                spec.energy_price * energy
                + inputs.carbon_price_per_t / 1e6 * q["co2e_wtw_g"]
                + spec.cost_per_km / 1000.0 * q["distance_m"]
            )
        else:
            weight = q[QUANTITY[objective]]
        c, arcs = oracle_paths(network, weight, nodes)
        t = np.array([[network.travel_time_s[a].sum() for a in row] for row in arcs])
        cost.append(c)
        time.append(np.ceil(t - 1e-6).astype(int))  # the documented rounding: up to whole seconds
    return cost, time


def _route_cost(inputs, cost, time, k, sequence, priced=False):
    """Objective of one route (None if infeasible), earliest departure; fixed cost if priced."""
    rtype = inputs.types[k]
    depots = len(inputs.depots)
    if sum(inputs.demand_kg[i] for i in sequence) > rtype.capacity_kg:
        return None
    clock = max(rtype.shift_start_s, inputs.depots[rtype.start_depot].open_s)
    at, total = rtype.start_depot, 0.0
    for i in sequence:
        clock += time[k][at, depots + i]
        total += cost[k][at, depots + i]
        clock = max(clock, inputs.tw_start_s[i])
        if clock > inputs.tw_end_s[i]:
            return None
        clock += math.ceil(inputs.service_s[i])
        at = depots + i
    clock += time[k][at, rtype.end_depot]
    total += cost[k][at, rtype.end_depot]
    if clock > rtype.shift_end_s:
        return None
    return total + (rtype.spec.fixed_cost if priced else 0.0)


def _brute_force(inputs, cost, time, priced=False):
    n = len(inputs.stops)
    vehicles = [k for k, t in enumerate(inputs.types) for _ in range(t.count)]
    best_route = {}
    for k in set(vehicles):
        for size in range(1, n + 1):
            for subset in itertools.combinations(range(n), size):
                values = [
                    c
                    for order in itertools.permutations(subset)
                    if (c := _route_cost(inputs, cost, time, k, order, priced)) is not None
                ]
                if values:
                    best_route[k, frozenset(subset)] = min(values)

    optional = {i for i in range(n) if inputs.optional[i]}

    def solve(v: int, left: frozenset) -> float:
        if v == len(vehicles):
            if left - optional:
                return math.inf
            return sum(inputs.prize[i] for i in left)
        best = solve(v + 1, left)  # vehicle v stays at the depot
        for size in range(1, len(left) + 1):
            for subset in itertools.combinations(sorted(left), size):
                route = best_route.get((vehicles[v], frozenset(subset)))
                if route is not None:
                    best = min(best, route + solve(v + 1, left - frozenset(subset)))
        return best

    return solve(0, frozenset(range(n)))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("objective", ["co2", "distance", "cost"])
@pytest.mark.parametrize("prepare", [True, False], ids=["cch", "pairwise"])
def test_plan_is_brute_force_optimal(seed, objective, prepare):
    """
    Tests that plan_fleet finds the optimal plan of tiny heterogeneous instances (capacities,
    time windows, shifts, an optional stop with a prize, an EV ending at another depot) for
    the CO2, distance and cost objectives (energy prices, a carbon price, per-km and fixed
    costs): the plan's cost under the oracle's matrices equals the brute-force optimum.
    """
    priced = objective == "cost"
    network, depots, stops, fleet = _instance(seed, priced=priced)
    carbon = 100.0 if priced else 0.0
    plan = plan_fleet(
        network, depots, stops, fleet, objective=objective, max_iterations=3000, baselines=(),
        carbon_price_per_t=carbon, prepare=prepare,
    )  # fmt: skip
    assert network.hierarchy is None  # plan_fleet plans on a prepared copy; the network stays
    assert (plan._network is not None and plan._network.hierarchy is not None) == prepare
    inputs = resolve_inputs(network, depots, stops, fleet, carbon_price_per_t=carbon)
    cost, time = _oracle_matrices(network, inputs, objective)
    optimum = _brute_force(inputs, cost, time, priced)
    assert math.isfinite(optimum)

    types = {t.name: k for k, t in enumerate(inputs.types)}
    total = 0.0
    for route in plan.routes:
        k = types[route.vehicle_type]
        sequence = [inputs.stop_index[s] for s in route.stops]
        value = _route_cost(inputs, cost, time, k, sequence, priced)
        assert value is not None, f"{route.vehicle} is infeasible for the oracle"
        total += value
    total += sum(inputs.prize[inputs.stop_index[u.stop]] for u in plan.unassigned)
    assert {u.reason for u in plan.unassigned} <= {"not_worth_prize"}
    assert total == pytest.approx(optimum, rel=1e-9, abs=0.01)


def test_matrix_costs_reach_the_solver_unrounded():
    """
    Tests that the solver's objective equals the oracle's cost of the plan in milligrams:
    integer scaling loses at most half a milligram per leg (nothing truncated to grams).
    """
    network, depots, stops, fleet = _instance(0)
    required = [Stop(s.id, lat=s.lat, lon=s.lon, demand_kg=s.demand_kg) for s in stops]
    plan = plan_fleet(network, depots, required, fleet, max_iterations=1000, baselines=())
    inputs = resolve_inputs(network, depots, required, fleet)
    cost, _ = _oracle_matrices(network, inputs, "co2")
    types = {t.name: k for k, t in enumerate(inputs.types)}
    depots = len(inputs.depots)
    legs = 0
    total = 0.0
    for route in plan.routes:
        k = types[route.vehicle_type]
        locations = [0, *(depots + inputs.stop_index[s] for s in route.stops), 0]
        total += sum(cost[k][a, b] for a, b in itertools.pairwise(locations))
        legs += len(locations) - 1
    assert plan.solver["scale"] == 1000.0
    assert abs(plan.solver["solver_cost_units"] - total * 1000.0) <= 0.5 * legs + 1e-6


def test_profiles_share_matrices_between_types_of_one_vehicle():
    """Tests that two types of the same vehicle and payload are planned on one matrix set."""
    network = grid_town(3)
    depots = [depot_at(network, 0, "A"), depot_at(network, 35, "B")]
    fleet = [
        VehicleType("van_diesel", name="north", capacity_kg=800, start_depot="A"),
        VehicleType("van_diesel", name="south", capacity_kg=800, start_depot="B"),
    ]
    inputs = resolve_inputs(network, depots, [Stop("S", **node_point(network, 7))], fleet)
    profiles = Profiles(network, inputs)
    assert profiles.profile(0, "co2") is profiles.profile(1, "co2")
