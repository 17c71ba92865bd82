"""Fleet plans under a time budget, and a plan's time-CO2 curve (issue 13)."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import ecoroute
from ecoroute.fleet import VehicleType, leg_tradeoff, plan_fleet

from .fleet_helpers import depot_at, grid_town, random_stops
from .helpers import to_networkx


def _plan(max_extra_time, seed=3):
    network = grid_town(seed, side=7)
    rng = np.random.default_rng(seed)
    stops = random_stops(network, rng, 10, windows=False)
    fleet = [VehicleType("van_diesel", count=3, capacity_kg=1200.0)]
    plan = plan_fleet(
        network, depot_at(network, 0), stops, fleet, max_iterations=500, baselines=(),
        max_extra_time=max_extra_time,
    )  # fmt: skip
    return network, fleet, plan


@pytest.mark.parametrize("budget", [0.0, 0.1])
def test_every_leg_keeps_to_the_budget(budget):
    """
    Tests plan_fleet(max_extra_time=...): each leg's free-flow time is within
    the budget over the fastest path between its two ends (networkx on the
    network's travel times).
    """
    network, _, plan = _plan(budget)
    graph = to_networkx(network, network.travel_time_s)
    legs = [leg for route in plan.routes for leg in route.legs]
    assert legs
    for leg in legs:
        end = int(network.head[leg.arcs[-1]]) if len(leg.arcs) else leg.start_node
        fastest = nx.dijkstra_path_length(graph, leg.start_node, end)
        assert leg.time_s <= (1 + budget) * fastest * (1 + 1e-9) + 1e-9


def test_leg_tradeoff_curve_matches_router_tradeoff():
    """Tests leg_tradeoff: the same totals as Router.tradeoff on the plan's leg ends."""
    _, fleet, plan = _plan(None)
    budgets = (0.0, 0.05, 0.2)
    curve = leg_tradeoff(plan, fleet, budgets)
    assert list(curve["max_extra_time"]) == list(budgets)
    assert curve["saving"].iloc[0] == 0.0
    assert (curve["saving"].diff().dropna() >= -1e-12).all()
    net = plan._network
    sources, targets = [], []
    for route in plan.routes:
        for leg in route.legs:
            end = int(net.head[leg.arcs[-1]]) if len(leg.arcs) else leg.start_node
            sources.append(int(net.node_id[leg.start_node]))
            targets.append(int(net.node_id[end]))
    router = ecoroute.Router(net, "van_diesel", payload_kg=600.0)  # half the capacity
    table = router.tradeoff(sources, targets, budgets)
    np.testing.assert_allclose(curve["co2_g"], table["co2_g"], rtol=1e-9)
    np.testing.assert_allclose(curve["time_s"], table["time_s"], rtol=1e-9)


def test_budget_needs_an_emission_objective():
    network = grid_town(1, side=4)
    fleet = [VehicleType("van_diesel", count=1, capacity_kg=1200.0)]
    stops = random_stops(network, np.random.default_rng(1), 2, windows=False)
    with pytest.raises(ecoroute.FleetInputError, match="emission objective"):
        plan_fleet(network, depot_at(network, 0), stops, fleet, objective="time",
                   max_extra_time=0.1)  # fmt: skip
    with pytest.raises(ecoroute.FleetInputError, match="fraction"):
        plan_fleet(network, depot_at(network, 0), stops, fleet, max_extra_time=-1)
