"""A fleet plan's time-CO2 curve: its legs re-routed within growing time budgets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import FleetInputError
from ..routing import Router
from ..tradeoff import Budget, Tradeoff, pick_raw
from ..vehicles import resolve_vehicle

if TYPE_CHECKING:
    from .model import VehicleType
    from .plan import FleetPlan

#: The budgets a curve reports by default (fractions of extra time).
DEFAULT_BUDGETS = (0.0, 0.02, 0.05, 0.1, 0.2)


def leg_tradeoff(
    plan: FleetPlan,
    fleet: Sequence[VehicleType] | VehicleType,
    budgets: Sequence[float] = DEFAULT_BUDGETS,
    *,
    num_threads: int = 0,
) -> pd.DataFrame:
    """
    Return how much CO2 a plan's legs save for how much extra driving time, per budget.

    The plan's stops and their order stay as they are; each leg (consecutive
    locations of a route) is re-routed, for each budget, on the least-CO2
    road path within that fraction of extra time over the fastest path
    between its two ends, with the leg's vehicle model at its type's matrix
    payload (the payload :func:`plan_fleet` chooses paths with). Budget 0 is
    the all-fastest plan; the saving of each row is measured against it.

    Parameters
    ----------
    plan
        A plan from :func:`ecoroute.plan_fleet`.
    fleet
        The vehicle types the plan was made with (their vehicle models).
    budgets
        Fractions of extra time (0.05 = 5 %).

    Returns
    -------
    pandas.DataFrame
        One row per budget: ``max_extra_time``, ``legs``, ``co2_g`` and
        ``time_s`` summed over the legs, ``saving`` and ``extra_time``
        against the fastest legs (fractions), and ``gap`` (grams: how far the
        summed CO2 can be above the exact optimum within each budget).
    """
    network = plan._network
    if network is None:
        msg = "this plan carries no network; make it with ecoroute.plan_fleet."
        raise FleetInputError(msg)
    types = {}
    for spec in (fleet,) if not isinstance(fleet, Sequence) else fleet:
        vehicle = resolve_vehicle(spec.vehicle)
        capacity = spec.capacity_kg
        if capacity is None:
            capacity = float(getattr(vehicle, "max_payload_kg", 0.0))
        # The payload plan_fleet picks paths with (see VehicleType.matrix_payload_kg).
        payload = spec.matrix_payload_kg if spec.matrix_payload_kg is not None else capacity / 2
        types[spec.name if spec.name is not None else vehicle.name] = (vehicle, payload)
    pairs: dict[str, tuple[list[int], list[int]]] = {}
    for route in plan.routes:
        if route.vehicle_type not in types:
            msg = f"the plan uses vehicle type {route.vehicle_type!r}, which fleet does not list."
            raise FleetInputError(msg)
        sources, targets = pairs.setdefault(route.vehicle_type, ([], []))
        for leg in route.legs:
            end = int(network.head[leg.arcs[-1]]) if len(leg.arcs) else leg.start_node
            sources.append(leg.start_node)
            targets.append(end)
    columns = ("co2", "time", "gap")
    totals = {b: dict.fromkeys(columns, 0.0) for b in budgets}
    legs = 0
    for name, (sources, targets) in pairs.items():
        vehicle, payload = types[name]
        router = Router(network, vehicle, "co2", payload_kg=payload, num_threads=num_threads)
        tradeoff = Tradeoff(router)
        s = np.asarray(sources, dtype=np.uint32)
        t = np.asarray(targets, dtype=np.uint32)
        sums = tradeoff.pairs(s, t, router.num_threads)
        objective, time_s = tradeoff.split(sums)
        legs += int(np.isfinite(time_s[-1]).sum())
        for budget in budgets:
            choice = tradeoff.choose(objective, time_s, Budget(relative=float(budget)))
            value = pick_raw(objective, choice)
            pick_time = np.take_along_axis(time_s, choice.chosen[None], axis=0)[0]
            ok = np.isfinite(value)
            totals[budget]["co2"] += float(value[ok].sum())
            totals[budget]["time"] += float(pick_time[ok].sum())
            totals[budget]["gap"] += float(choice.gap(value)[ok].sum())
    fastest = totals[budgets[0]] if budgets and budgets[0] == 0 else None
    rows = []
    for budget in budgets:
        row = totals[budget]
        base = fastest or row
        rows.append(
            {
                "max_extra_time": float(budget),
                "legs": legs,
                "co2_g": row["co2"],
                "time_s": row["time"],
                "saving": 1 - row["co2"] / base["co2"] if base["co2"] else 0.0,
                "extra_time": row["time"] / base["time"] - 1 if base["time"] else 0.0,
                "gap": row["gap"],
            }
        )
    return pd.DataFrame(rows)
