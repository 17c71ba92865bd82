"""
Random instances: the returned plans checked directly against every constraint.

The checks re-derive everything from the inputs and the network: each leg's
arcs must form a connected path between the right nodes; times come from the
arcs' free-flow travel times, replayed from the route's departure; loads from
the stops' demands. Nothing is taken from the plan's own schedule or totals.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ecoroute.fleet import Depot, VehicleType, plan_fleet

from .fleet_helpers import depot_at, grid_town, random_stops

TOLERANCE_S = 1e-6


def _fleet():
    return [
        VehicleType("van_bev", count=2, capacity_kg=800.0, max_duration_s=4 * 3600.0,
                    shift=(7 * 3600.0, 15 * 3600.0)),
        VehicleType("van_diesel", count=2, capacity_kg=1000.0, shift=(6 * 3600.0, 18 * 3600.0),
                    end_depot="E"),
        VehicleType("truck_18t_diesel", count=1, capacity_kg=3000.0,
                    shift=(6 * 3600.0, 18 * 3600.0)),
    ]  # fmt: skip


def _check_plan(network, depots, stops, fleet, plan):
    by_id = {s.id: s for s in stops}
    depot_node = {d.id: int(network.nearest_nodes(d.lat, d.lon)[0][0]) for d in depots}
    depot_hours = {d.id: (d.open_s, d.close_s) for d in depots}
    types = {t.name or str(t.vehicle): t for t in fleet}

    served = [s for route in plan.routes for s in route.stops]
    assert len(served) == len(set(served)), "a stop is served twice"
    assert set(served) | {u.stop for u in plan.unassigned} == set(by_id)
    assert not set(served) & {u.stop for u in plan.unassigned}
    used = {}
    for route in plan.routes:
        used[route.vehicle_type] = used.get(route.vehicle_type, 0) + 1
    for name, count in used.items():
        assert count <= types[name].count

    for route in plan.routes:
        vt = types[route.vehicle_type]
        start_depot = vt.start_depot or depots[0].id
        end_depot = vt.end_depot or start_depot
        demand = [by_id[s].demand_kg for s in route.stops]
        assert sum(demand) <= vt.capacity_kg + 1e-9
        nodes = [depot_node[start_depot]]
        nodes += [int(network.nearest_nodes(by_id[s].lat, by_id[s].lon)[0][0]) for s in route.stops]
        nodes.append(depot_node[end_depot])
        assert len(route.legs) == len(nodes) - 1

        shift = vt.shift or (0.0, math.inf)
        clock = route.start_s
        assert clock >= max(shift[0], depot_hours[start_depot][0]) - TOLERANCE_S
        for k, leg in enumerate(route.legs):
            at = nodes[k]
            for arc in leg.arcs.astype(int):
                assert network.tail[arc] == at, "leg path is not connected"
                at = int(network.head[arc])
            assert at == nodes[k + 1], "leg path does not end at the next location"
            assert leg.payload_kg == pytest.approx(sum(demand[k:]))
            clock += float(network.travel_time_s[leg.arcs.astype(int)].sum())
            if k < len(route.stops):
                stop = by_id[route.stops[k]]
                if stop.time_window is not None:
                    clock = max(clock, stop.time_window[0])
                    assert clock <= stop.time_window[1] + TOLERANCE_S, f"{stop.id} served late"
                clock += stop.service_s
        assert clock == pytest.approx(route.end_s)
        assert clock <= min(shift[1], depot_hours[end_depot][1]) + TOLERANCE_S
        if vt.max_duration_s is not None:
            assert clock - route.start_s <= vt.max_duration_s + TOLERANCE_S
        assert route.feasible


@pytest.mark.parametrize("seed", range(4))
def test_random_plans_keep_capacities_windows_and_shifts(seed):
    network = grid_town(20 + seed, side=8)
    rng = np.random.default_rng(seed)
    depots = [depot_at(network, int(rng.integers(64)), "D"), depot_at(network, 63, "E")]
    depots[0] = Depot(
        "D", lat=depots[0].lat, lon=depots[0].lon, open_s=6.5 * 3600, close_s=17 * 3600
    )
    stops = random_stops(network, rng, 22, avoid=-1)
    fleet = _fleet()
    plan = plan_fleet(network, depots, stops, fleet, max_iterations=800, seed=seed)
    _check_plan(network, depots, stops, fleet, plan)
    assert plan.totals["feasible"]
    assert {u.reason for u in plan.unassigned} <= {"time_window", "no_room"}
    for baseline in plan.baselines.values():
        _check_plan(network, depots, stops, fleet, baseline)


def test_a_fleet_too_small_leaves_stops_out_with_a_reason():
    """
    Tests the fallback: one small van for stops that need two leaves some out as 'no_room',
    and the routes it does return keep every limit.
    """
    network = grid_town(30)
    rng = np.random.default_rng(30)
    depots = [depot_at(network, 0)]
    stops = random_stops(network, rng, 10, windows=False)
    fleet = [VehicleType("van_diesel", count=1, capacity_kg=900.0)]
    plan = plan_fleet(network, depots, stops, fleet, max_iterations=500, baselines=())
    _check_plan(network, depots, stops, fleet, plan)
    assert plan.unassigned
    assert {u.reason for u in plan.unassigned} == {"no_room"}
    assert plan.solver["fallback"]
    delivered = sum(s.demand_kg for s in stops if s.id in plan.routes[0].stops)
    left = [s.demand_kg for s in stops if s.id in {u.stop for u in plan.unassigned}]
    assert delivered + min(left) > 900.0  # the van is as full as the stops allow... or close
    assert math.isfinite(plan.totals["co2e_wtw_g"])
