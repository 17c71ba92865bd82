"""From resolved inputs and matrices to the solver's integer problem, and back to routes."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import battery
from .evaluate import PlannedRoute
from .matrices import Profile, finite_max
from .model import FleetInputs
from .plan import Unassigned
from .scaling import ceil_seconds, choose_scale, to_units, window_end, window_start
from .solver import HORIZON_S, VrpProblem, VrpSolution, VrpVehicleType

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Finest integer resolution per objective: mg CO2, mm, whole seconds, micro money units.
BASE_SCALE = {"co2": 1000.0, "co2e_wtw": 1000.0, "distance": 1000.0, "time": 1.0, "cost": 1e6}

#: Solver unit per objective at the base scale (for the report).
UNIT = {"co2": "mg CO2", "co2e_wtw": "mg CO2e", "distance": "mm", "time": "s", "cost": "1e-6 money"}


@dataclass(frozen=True)
class BatteryLimit:
    """
    What the solver needs to hold one vehicle type to its battery.

    Attributes
    ----------
    upper_kwh
        Upper bound on every leg's battery energy over all locations, kWh
        (:meth:`ecoroute.fleet.battery.LegEnergy.upper_kwh`); NaN: no path.
    limit_kwh
        Most energy a route may use in the solver (the usable battery, less
        any tightening after a replay found a route short of charge).
    price_per_kwh
        What a kWh adds to the objective, in its own units (0: energy is free
        and only limited).
    """

    upper_kwh: FloatArray
    limit_kwh: float
    price_per_kwh: float


@dataclass(frozen=True)
class RangeCheck:
    """A battery type's exact replay of the round trip to each stop alone: the deepest draw, kWh."""

    need_kwh: FloatArray
    usable_kwh: float
    bound_kwh: FloatArray


@dataclass(frozen=True)
class Screened:
    """Stops each vehicle type could serve alone, and those no type can serve, with reasons."""

    keep: tuple[int, ...]
    unassigned: tuple[Unassigned, ...]


@dataclass(frozen=True)
class Built:
    """The integer problem for a set of stops, and what its numbers mean."""

    problem: VrpProblem
    stops: tuple[int, ...]
    scale: float
    reachable: tuple[npt.NDArray[np.bool_], ...]
    info: dict[str, Any] = field(default_factory=dict)
    slots: tuple[tuple[int, int], ...] = ()

    def slot(self, solver_type: int) -> tuple[int, int]:
        """The (vehicle type, trip) a solver vehicle type stands for."""
        return self.slots[solver_type] if self.slots else (solver_type, 0)


def solver_durations(profile: Profile) -> IntArray:
    """Leg durations as the solver sees them: whole seconds rounded up, 0 where unreachable."""
    return ceil_seconds(np.where(profile.reachable, profile.time_s, 0.0))


def screen(
    inputs: FleetInputs,
    profiles: Sequence[Profile],
    candidates: Sequence[int],
    ranges: Mapping[int, RangeCheck] | None = None,
) -> Screened:
    """
    Keep the stops that at least one vehicle type can serve on a route of its own.

    A type can serve stop ``i`` if a road leads from its start depot to the
    stop and on to its end depot, the demand fits its capacity, and leaving
    as early as its shift and depot allow it can start service before the
    window closes and still return before its shift ends and the depot closes,
    within its longest route duration. A type with a battery must also get
    there and back on one charge: ``ranges`` holds the exact replay of that
    round trip and the solver's bound of it, and both must fit the usable
    battery. Times use the solver's whole seconds, so a stop kept here is one
    the solver can serve. Every other stop is returned with the reason that
    rules out the most promising type.
    """
    depots = len(inputs.depots)
    durations = [solver_durations(p) for p in profiles]
    ranges = ranges or {}
    keep: list[int] = []
    unassigned: list[Unassigned] = []
    for i in candidates:
        reached, carried, ranged, timed = [], [], [], []
        failure = ""
        for k, rtype in enumerate(inputs.types):
            p, t = profiles[k], durations[k]
            s, e, x = rtype.start_depot, rtype.end_depot, depots + i
            if not (p.reachable[s, x] and p.reachable[x, e]):
                continue
            reached.append(k)
            if _grams_up(inputs.demand_kg[i]) > _grams_down(rtype.capacity_kg):
                continue
            carried.append(k)
            check = ranges.get(k)
            if check is not None and not (
                check.need_kwh[i] <= check.usable_kwh and check.bound_kwh[i] <= check.usable_kwh
            ):
                continue
            ranged.append(k)
            ok, why = False, ""
            for slot in _slot_windows(inputs, k):  # the shift, or each trip's part of it
                ok, reason = _fits_in_time(inputs, k, i, int(t[s, x]), int(t[x, e]), slot)
                why = why or reason
                if ok:
                    break
            if ok:
                timed.append(k)
                break
            failure = failure or why
        stop = inputs.stops[i]
        if timed:
            keep.append(i)
        elif not reached:
            unassigned.append(
                Unassigned(
                    stop.id,
                    "unreachable",
                    f"no road leads from a vehicle's start depot to the stop and back to its end "
                    f"depot (the stop snaps onto a road next to node {_node_label(inputs, i)}, "
                    f"{inputs.stop_snap_m[i]:.0f} m from its coordinates); check the location",
                )
            )
        elif not carried:
            largest = max(inputs.types[k].capacity_kg for k in reached)
            unassigned.append(
                Unassigned(
                    stop.id,
                    "over_capacity",
                    f"demand {inputs.demand_kg[i]:g} kg is more than any vehicle that reaches the "
                    f"stop can carry (largest capacity {largest:g} kg); split the delivery",
                )
            )
        elif not ranged:
            unassigned.append(
                Unassigned(stop.id, "range", _range_message(inputs, ranges, carried, i))
            )
        else:
            unassigned.append(Unassigned(stop.id, "time_window", failure))
    return Screened(keep=tuple(keep), unassigned=tuple(unassigned))


def build(
    inputs: FleetInputs,
    profiles_by_type: Sequence[Profile],
    objective: str,
    stops: Sequence[int],
    *,
    respect_optional: bool,
    fallback: bool,
    batteries: Mapping[int, BatteryLimit] | None = None,
) -> Built:
    """
    Assemble the integer problem for ``stops`` (indices into the inputs' stops).

    Parameters
    ----------
    inputs, profiles_by_type
        Resolved inputs and each vehicle type's matrices for ``objective``.
    objective
        The plan objective (sets the integer resolution, :data:`BASE_SCALE`).
    stops
        Stops to plan, all served by some vehicle type on its own (see :func:`screen`).
    respect_optional
        Whether optional stops may be skipped for their prize (False: all required).
    fallback
        Make required stops skippable at a prize higher than any plan's cost,
        so that the solver serves as many as the fleet can and leaves out the
        rest instead of returning an infeasible plan.
    batteries
        Vehicle types held to a battery (see :class:`BatteryLimit`). Each gets
        a solver profile of its own whose distance matrix holds the legs'
        energy bounds, so that PyVRP's ``max_distance`` is the battery limit
        (see "Battery" below).

    Battery. A type's distance entries are its legs' energy bounds, rounded
    up, in units of ``1 / w`` kWh: ``w`` is the objective's price of a kWh
    times ``scale`` when the objective prices energy (``co2``, ``co2e_wtw``,
    ``cost``: one entry unit is one objective unit, ``unit_distance_cost =
    1``), and 10**6 (mWh) otherwise (``time``: ``unit_distance_cost = 0``).
    The objective's per-metre part (``distance``, ``cost_per_km``) cannot
    share the dimension; it is priced per kWh at the type's mean metres per
    kWh (``price_per_kwh``). Regenerating legs are negative; they are shifted
    by an integer potential (:func:`ecoroute.fleet.battery.potential`) to
    non-negative reduced legs, which changes every route from ``s`` to ``e``
    by the same ``phi[s] - phi[e]``: ``max_distance`` and the fixed cost take
    it back, so the limit is the same exact integer limit.

    Trips. A type with ``trips > 1`` becomes one solver type per trip slot
    (see :class:`ecoroute.fleet.VehicleType`); ``Built.slot`` maps back.

    Scaling. Leg costs are in the objective's unit times ``scale`` (e.g. mg),
    rounded to the nearest integer; durations are seconds rounded up, time
    windows and shift ends rounded inwards, loads in grams (demand up,
    capacity down), so that what the solver accepts is feasible in real
    numbers. ``scale`` is the finest power of ten, at most the base, that keeps
    any plan (including a forbidden leg's penalty) below 2**52 units.
    """
    depots = len(inputs.depots)
    locations = np.concatenate([np.arange(depots), depots + np.asarray(stops, dtype=np.intp)])
    grid = np.ix_(locations, locations)
    n = len(stops)
    vehicles = sum(t.count * t.trips for t in inputs.types)

    batteries = batteries or {}

    # One solver profile per distinct matrix set; one per battery-limited type.
    unique: dict[Any, int] = {}
    profile_of_type: list[int] = []
    for k, p in enumerate(profiles_by_type):
        key: Any = ("battery", k) if k in batteries else id(p)
        profile_of_type.append(unique.setdefault(key, len(unique)))
    distinct = [profiles_by_type[profile_of_type.index(j)] for j in range(len(unique))]
    battery_of_profile = {profile_of_type[k]: k for k in batteries}

    legs: list[FloatArray] = []
    durations: list[IntArray] = []
    reachable: list[npt.NDArray[np.bool_]] = []
    shift = np.zeros(len(inputs.types))
    for j, p in enumerate(distinct):
        reach = np.array(p.reachable[grid])
        # Staying put is always possible (and a stop on a road closed to this type is not
        # served by it: its legs in and out are unreachable, so the diagonal alone is 0).
        np.fill_diagonal(reach, True)
        leg = np.array(p.leg_cost[grid], dtype=np.float64)
        if j in battery_of_profile:
            limit = batteries[battery_of_profile[j]]
            leg = np.abs(limit.upper_kwh[grid]) * limit.price_per_kwh  # for the bounds only
        elif p.potential is not None:
            # Reduced costs c(i, j) + phi(i) - phi(j) >= 0 for EV recuperation; they sum to the
            # true cost of a closed route (the potential telescopes); see fixed costs below.
            phi = p.potential[locations]
            leg = leg + phi[:, None] - phi[None, :]
            leg[reach & (leg < 0)] = 0.0  # rounding residue of the router's reduced costs
        leg[~reach] = np.nan
        np.fill_diagonal(leg, 0.0)
        legs.append(leg)
        durations.append(solver_durations(p)[grid])
        reachable.append(reach)

    per_vehicle = np.zeros(len(inputs.types))
    per_second = np.zeros(len(inputs.types))
    for k, rtype in enumerate(inputs.types):
        p = profiles_by_type[k]
        per_vehicle[k] = p.metric.per_vehicle
        per_second[k] = p.metric.per_second
        if k in batteries:
            continue
        if p.potential is not None and rtype.start_depot != rtype.end_depot:
            shift[k] = p.potential[rtype.end_depot] - p.potential[rtype.start_depot]
    # A route's reduced cost is its true cost + phi(start) - phi(end): the per-vehicle cost takes
    # phi(end) - phi(start) back (negative for an EV ending downhill; PyVRP sums it as given).
    per_vehicle_shifted = per_vehicle + shift

    optional = inputs.optional[list(stops)] if respect_optional else np.zeros(n, dtype=bool)
    prizes = np.where(optional, inputs.prize[list(stops)], 0.0)

    # Bound on any plan without forbidden legs, in objective units.
    max_leg = max((finite_max(leg) for leg in legs), default=0.0)
    max_time = max((float(d.max()) if d.size else 0.0 for d in durations), default=0.0)
    finite_ends = inputs.tw_end_s[list(stops)]
    latest = float(finite_ends[np.isfinite(finite_ends)].max(initial=0.0))
    route_time = max_time * (n + 1) + float(inputs.service_s[list(stops)].sum()) + latest
    duration_cost = sum(
        t.count * t.trips * per_second[k] * min(route_time, t.max_duration_s)
        for k, t in enumerate(inputs.types)
    )
    fixed = float(
        sum(t.count * t.trips * abs(per_vehicle_shifted[k]) for k, t in enumerate(inputs.types))
    )
    plan_bound = max_leg * (n + vehicles) + fixed + duration_cost + float(prizes.sum()) + 1.0
    required_prize = plan_bound if fallback else 0.0
    with_prizes = plan_bound + required_prize * int((~optional).sum())
    forbidden = with_prizes
    scale = choose_scale(BASE_SCALE[objective], forbidden * (n + vehicles + 2))
    if objective == "time" and scale < 1.0:
        msg = "The plan's durations do not fit the solver's integers; is a time window absurd?"
        raise OverflowError(msg)

    forbidden_units = math.ceil(forbidden * scale)
    # Long enough to break any window; small enough that penalties times it stay far from int64.
    forbidden_seconds = 10 * max(86_400, int(max_time) * (n + vehicles + 1))
    distance = []
    energy: dict[int, _EnergyDimension] = {}
    for j, leg in enumerate(legs):
        if j in battery_of_profile:
            k = battery_of_profile[j]
            rtype = inputs.types[k]
            dim = _energy_dimension(
                batteries[k], grid, reachable[j], scale, rtype.start_depot, rtype.end_depot
            )
            energy[k] = dim
            units = dim.distance
            units[~reachable[j]] = max(forbidden_units, 2 * abs(dim.max_distance) + 1)
        else:
            units = to_units(np.where(np.isnan(leg), 0.0, leg), scale, "leg costs")
            units[~reachable[j]] = forbidden_units
        np.fill_diagonal(units, 0)
        distance.append(units)
        durations[j][~reachable[j]] = forbidden_seconds
    unit_cost = [energy[k].unit_cost if k in energy else 1 for k in range(len(inputs.types))]
    typical = _typical_leg_cost(
        distance, durations, reachable, profile_of_type, per_second, scale, unit_cost
    )

    stop_list = list(stops)
    required = ~optional
    prize_units = to_units(np.where(optional, prizes, required_prize), scale, "prizes")
    problem = VrpProblem(
        depot_open=np.array([window_start(d.open_s) for d in inputs.depots], dtype=np.int64),
        depot_close=np.array(
            [window_end(d.close_s, HORIZON_S) for d in inputs.depots], dtype=np.int64
        ),
        demand=np.array([_grams_up(inputs.demand_kg[i]) for i in stop_list], dtype=np.int64),
        service=ceil_seconds(inputs.service_s[stop_list]),
        tw_start=np.array([window_start(inputs.tw_start_s[i]) for i in stop_list], np.int64),
        tw_end=np.array([window_end(inputs.tw_end_s[i], HORIZON_S) for i in stop_list], np.int64),
        required=required & (not fallback),
        prize=np.where(required & (not fallback), 0, prize_units).astype(np.int64),
        vehicle_types=tuple(
            VrpVehicleType(
                count=t.count,
                capacity=_grams_down(t.capacity_kg),
                start_depot=t.start_depot,
                end_depot=t.end_depot,
                profile=profile_of_type[k],
                fixed_cost=int(np.rint(per_vehicle_shifted[k] * scale))
                + (energy[k].fixed_shift if k in energy else 0),
                shift_start=window_start(begin),
                shift_end=window_end(end, HORIZON_S),
                max_duration=window_end(t.max_duration_s, HORIZON_S),
                unit_duration_cost=int(np.rint(per_second[k] * scale)),
                name=t.name if t.trips == 1 else f"{t.name} trip {trip + 1}",
                unit_distance_cost=energy[k].unit_cost if k in energy else 1,
                max_distance=energy[k].max_distance if k in energy else None,
            )
            for k, t, trip, begin, end in _slots(inputs)
        ),
        distance=tuple(distance),
        duration=tuple(durations),
        coordinates=_coordinates(inputs, locations),
        typical_leg_cost=typical,
    )
    info = {
        "scale": scale,
        "unit": _unit(objective, scale),
        "forbidden_leg_units": forbidden_units,
        "fallback": fallback,
        "unit_duration_cost_rounding": [
            abs(round(per_second[k] * scale) - per_second[k] * scale)
            for k in range(len(inputs.types))
        ],
    }
    if energy:
        info["battery"] = {
            inputs.types[k].name: {
                "limit_kwh": batteries[k].limit_kwh,
                "price_per_kwh": batteries[k].price_per_kwh,
                "energy_unit_kwh": 1.0 / dim.units_per_kwh,
                "regeneration_potential": dim.potential_ok,
            }
            for k, dim in energy.items()
        }
    slots = tuple((k, trip) for k, _, trip, _, _ in _slots(inputs))
    return Built(problem, tuple(stop_list), scale, tuple(reachable), info, slots)


@dataclass(frozen=True)
class _EnergyDimension:
    """One battery type's distance matrix, limit and cost terms, in solver units."""

    distance: IntArray
    max_distance: int
    unit_cost: int
    fixed_shift: int
    units_per_kwh: float
    potential_ok: bool


def _energy_dimension(
    limit: BatteryLimit,
    grid: tuple[npt.NDArray[Any], ...],
    reach: npt.NDArray[np.bool_],
    scale: float,
    start: int,
    end: int,
) -> _EnergyDimension:
    """Energy bounds in integer units, reduced to >= 0 by a potential, with the exact limit."""
    priced = limit.price_per_kwh > 0.0
    per_kwh = limit.price_per_kwh * scale if priced else 1e6
    upper = np.where(reach, limit.upper_kwh[grid], 0.0)
    # Round each leg up: a route the solver accepts uses no more than it believes.
    raw = np.ceil(upper * per_kwh - 1e-9)
    to_units(raw, 1.0, "battery energy bounds")  # overflow check
    units = raw.astype(np.int64)
    phi = battery.potential(units, reach)
    potential_ok = phi is not None
    if phi is None:  # pragma: no cover - a loop gaining energy; drop regeneration instead
        units = np.maximum(units, 0)
        phi = np.zeros(units.shape[0], dtype=np.int64)
    reduced = units + phi[:, None] - phi[None, :]
    limit_units = math.floor(limit.limit_kwh * per_kwh + 1e-9)
    unit_cost = 1 if priced else 0
    return _EnergyDimension(
        distance=np.where(reach, reduced, 0).astype(np.int64),
        max_distance=int(limit_units + phi[start] - phi[end]),
        unit_cost=unit_cost,
        fixed_shift=int(unit_cost * (phi[end] - phi[start])),
        units_per_kwh=per_kwh,
        potential_ok=potential_ok,
    )


def _slots(inputs: FleetInputs) -> list[tuple[int, Any, int, float, float]]:
    """(type, resolved type, trip, earliest start, latest return) of every solver vehicle type."""
    out = []
    for k, t in enumerate(inputs.types):
        if t.trips == 1:
            out.append((k, t, 0, t.shift_start_s, t.shift_end_s))
            continue
        length = (t.shift_end_s - t.shift_start_s) / t.trips
        for trip in range(t.trips):
            begin = t.shift_start_s + trip * length
            end = begin + length - (t.recharge_s if trip < t.trips - 1 else 0.0)
            out.append((k, t, trip, begin, end))
    return out


def routes_from(built: Built, solution: VrpSolution) -> list[PlannedRoute]:
    """Turn solver routes into routes over the inputs' stop indices (and trips)."""
    return [
        PlannedRoute(
            type_index=built.slot(route.vehicle_type)[0],
            stops=tuple(built.stops[c] for c in route.clients),
            start_s=float(route.start_time),
            trip=built.slot(route.vehicle_type)[1],
        )
        for route in solution.routes
    ]


def uses_forbidden_leg(built: Built, solution: VrpSolution) -> bool:
    """Whether any route drives a leg that has no road path (priced, not impossible, in the solver)."""
    problem = built.problem
    depots = problem.num_depots
    for route in solution.routes:
        vt = problem.vehicle_types[route.vehicle_type]
        reach = built.reachable[vt.profile]
        stops = [vt.start_depot, *(depots + c for c in route.clients), vt.end_depot]
        if not all(reach[a, b] for a, b in itertools.pairwise(stops)):
            return True
    return False


def _range_message(
    inputs: FleetInputs, ranges: Mapping[int, RangeCheck], types: Sequence[int], i: int
) -> str:
    """Say why no battery type that could carry stop ``i`` can get there and back."""
    k = min(types, key=lambda t: ranges[t].need_kwh[i] / ranges[t].usable_kwh)
    check, rtype = ranges[k], inputs.types[k]
    need, bound = float(check.need_kwh[i]), float(check.bound_kwh[i])
    text = (
        f"the round trip from {inputs.depots[rtype.start_depot].id} needs {need:.2f} kWh of "
        f"{rtype.name}'s battery (deepest draw, replayed at the payload on board), against "
        f"{check.usable_kwh:.2f} kWh usable (battery {rtype.battery_kwh:g} kWh x start_soc "
        f"{rtype.start_soc:g} - reserve {rtype.reserve_kwh:g} kWh)"
    )
    if need <= check.usable_kwh:
        text += (
            f"; the solver's safe bound for it, with up to {rtype.capacity_kg:g} kg on board, "
            f"is {bound:.2f} kWh"
        )
    return text + "; use a bigger battery, a vehicle with more range, or a closer depot"


def _slot_windows(inputs: FleetInputs, k: int) -> list[tuple[float, float]]:
    """(earliest start, latest return) of each trip slot of type ``k`` (its shift if one trip)."""
    return [(begin, end) for j, _, _, begin, end in _slots(inputs) if j == k]


def _fits_in_time(
    inputs: FleetInputs, k: int, i: int, to_stop: int, back: int, shift: tuple[float, float]
) -> tuple[bool, str]:
    """Whether type ``k`` alone can serve stop ``i`` in time, and if not a sentence saying why."""
    rtype = inputs.types[k]
    start_depot = inputs.depots[rtype.start_depot]
    end_depot = inputs.depots[rtype.end_depot]
    shift_start_s, shift_end_s = shift
    leave = max(window_start(shift_start_s), window_start(start_depot.open_s))
    latest_leave = min(
        window_end(shift_end_s, HORIZON_S), window_end(start_depot.close_s, HORIZON_S)
    )
    tw_start = window_start(inputs.tw_start_s[i])
    tw_end = window_end(inputs.tw_end_s[i], HORIZON_S)
    service = int(ceil_seconds(inputs.service_s[i]))
    arrive = leave + to_stop
    stop = inputs.stops[i]
    if arrive > tw_end:
        return False, (
            f"the earliest arrival, {_clock(arrive)} ({rtype.name} leaving "
            f"{start_depot.id} at {_clock(leave)}), is after the window closes at "
            f"{_clock(tw_end)}"
        )
    begin = max(arrive, tw_start)
    home = begin + service + back
    closes = min(window_end(shift_end_s, HORIZON_S), window_end(end_depot.close_s, HORIZON_S))
    if home > closes:
        return False, (
            f"serving {stop.id} at {_clock(begin)} at the earliest, {rtype.name} is back at "
            f"{end_depot.id} at {_clock(home)}, after its shift ends or the depot closes "
            f"({_clock(closes)})"
        )
    depart = min(latest_leave, max(leave, tw_start - to_stop))
    shortest = (max(depart + to_stop, tw_start) - depart) + service + back
    limit = window_end(rtype.max_duration_s, HORIZON_S)
    if shortest > limit:
        return False, (
            f"the shortest round trip serving it takes {shortest / 3600:.2f} h, longer than "
            f"{rtype.name}'s longest route of {limit / 3600:.2f} h"
        )
    return True, ""


def _typical_leg_cost(
    distance: list[IntArray],
    durations: list[IntArray],
    reachable: list[npt.NDArray[np.bool_]],
    profile_of_type: list[int],
    per_second: FloatArray,
    scale: float,
    unit_cost: list[int],
) -> float:
    """Mean cost of a leg between distinct locations, in solver units (at least 1)."""
    values = []
    for k, j in enumerate(profile_of_type):
        off = reachable[j] & ~np.eye(len(reachable[j]), dtype=bool)
        cost = unit_cost[k] * distance[j][off] + round(per_second[k] * scale) * durations[j][off]
        if cost.size:
            values.append(float(cost.mean()))
    return max(1.0, float(np.mean(values))) if values else 1.0


def _grams_up(kg: float) -> int:
    return math.ceil(float(kg) * 1000.0 - 1e-6)


def _grams_down(kg: float) -> int:
    return math.floor(float(kg) * 1000.0 + 1e-6)


def _clock(seconds: float) -> str:
    if seconds >= HORIZON_S:
        return "never"
    day, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    text = f"{hours:02d}:{rest // 60:02d}:{rest % 60:02d}"
    return text if day == 0 else f"day {day + 1} {text}"


def _node_label(inputs: FleetInputs, i: int) -> str:
    return str(int(inputs.stop_node_id[i]))


def _coordinates(inputs: FleetInputs, locations: npt.NDArray[np.intp]) -> FloatArray:
    return np.asarray(inputs.location_lonlat[locations], dtype=np.float64)


def _unit(objective: str, scale: float) -> str:
    base = BASE_SCALE[objective]
    if scale == base:
        return UNIT[objective]
    return f"{base / scale:g} x {UNIT[objective]}"


__all__ = [
    "BASE_SCALE",
    "BatteryLimit",
    "Built",
    "RangeCheck",
    "Screened",
    "build",
    "routes_from",
    "screen",
    "solver_durations",
]
