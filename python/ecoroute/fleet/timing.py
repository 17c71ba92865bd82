"""Departure-time-aware fleet plans (issue 12): the plan day on the week, legs replayed hour by hour."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._errors import FleetInputError
from ..traffic import SECONDS_PER_HOUR, SECONDS_PER_WEEK, departure_seconds

if TYPE_CHECKING:
    from .evaluate import PlannedRoute
    from .matrices import Profiles
    from .model import FleetInputs

FloatArray = npt.NDArray[np.float64]

#: Solves per plan with a departure at most: on the start hour's matrices; then on the
#: slowest hours' leg times (if the replay broke a time limit) or on the driving-time mix of
#: the hours driven in, and the mix's costs with cautious times (see ``planner._solve``).
TIME_ROUNDS = 3

#: Seconds in a day: fleet times count from midnight of the plan day.
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class PlanClock:
    """
    Where a plan's day sits in the week of the speed profiles.

    Fleet times (shifts, windows, opening hours) count seconds from midnight
    of the plan day; the profiles count hours from Monday 00:00. A fleet
    time ``t`` is the week time ``day_s + t``.

    Attributes
    ----------
    day_s
        Seconds from Monday 00:00 to midnight of the plan day (0, 86400, ...).
    earliest_s
        The departure's time of day (seconds after midnight): no route
        leaves before it.
    """

    day_s: float
    earliest_s: float

    def week_s(self, clock_s: npt.ArrayLike) -> FloatArray:
        """Week seconds (since Monday 00:00, taken modulo a week) of fleet times."""
        return np.asarray((self.day_s + np.asarray(clock_s, dtype=np.float64)) % SECONDS_PER_WEEK)

    def hour_start_s(self, clock_s: float) -> float:
        """Week seconds of the start of the hour that fleet time ``clock_s`` falls in."""
        week = float(self.week_s(clock_s))
        return math.floor(week / SECONDS_PER_HOUR) * SECONDS_PER_HOUR


def plan_clock(departure: Any) -> PlanClock:
    """
    Read a plan's ``departure=`` (datetime, ISO string, seconds since Monday 00:00).

    Raises
    ------
    FleetInputError
        For a value :func:`ecoroute.traffic.departure_seconds` cannot read.
    """
    try:
        seconds = departure_seconds(departure)
    except (TypeError, ValueError) as error:
        msg = f"departure: {error}"
        raise FleetInputError(msg) from None
    earliest = seconds % SECONDS_PER_DAY
    return PlanClock(day_s=seconds - earliest, earliest_s=earliest)


def with_departure(inputs: FleetInputs, clock: PlanClock) -> FleetInputs:
    """
    Return the inputs with no shift starting before the departure's time of day.

    Raises
    ------
    FleetInputError
        If a vehicle type's shift ends before the departure.
    """
    types = []
    for rtype in inputs.types:
        start = max(rtype.shift_start_s, clock.earliest_s)
        if start >= rtype.shift_end_s:
            msg = (
                f"vehicle type {rtype.name!r}: its shift ends at {rtype.shift_end_s:g} s after "
                f"midnight, before the plan's departure at {clock.earliest_s:g} s; give a "
                "departure inside the shift."
            )
            raise FleetInputError(msg)
        types.append(dataclasses.replace(rtype, shift_start_s=start))
    return dataclasses.replace(inputs, types=tuple(types))


@dataclass(frozen=True)
class ReplayedLeg:
    """
    One leg driven from its real start: its path, when each arc is entered, when it arrives.

    ``shares``: the fraction of each arc driven (1 but for a first arc left,
    or a last arc entered, part-way: legs between snapped locations).
    """

    arcs: npt.NDArray[np.uint32]
    entry_s: FloatArray
    depart_s: float
    arrive_s: float
    arrival_week_s: float
    shares: FloatArray


def replay(
    inputs: FleetInputs,
    profiles: Profiles,
    routes: Sequence[PlannedRoute],
    objective: str,
) -> list[list[ReplayedLeg]]:
    """
    Drive every route leg by leg from its start, each leg leaving when the previous one ends.

    Each leg is routed by the type's router for ``objective`` with the
    time-dependent search from its real departure (the arrival of the leg
    before, plus waiting for the stop's window and its service), all routes'
    ``n``-th legs in one threaded call. Times are fleet times (seconds after
    midnight of the plan day); entry times are week seconds.

    Raises
    ------
    RuntimeError
        If a leg has no road path at its departure.
    """
    clock = profiles.clock
    assert clock is not None
    depots = len(inputs.depots)
    locations = [_route_locations(inputs, r) for r in routes]
    now = [float(r.start_s) for r in routes]
    legs: list[list[ReplayedLeg]] = [[] for _ in routes]
    step = 0
    while True:
        active = [r for r in range(len(routes)) if len(locations[r]) - 1 > step]
        if not active:
            return legs
        by_type: dict[int, list[int]] = {}
        for r in active:
            by_type.setdefault(routes[r].type_index, []).append(r)
        for k, members in by_type.items():
            origins = np.array([locations[r][step] for r in members], dtype=np.intp)
            targets = np.array([locations[r][step + 1] for r in members], dtype=np.intp)
            leave = np.array([now[r] for r in members])
            week = clock.week_s(leave)
            paths = profiles.timed_paths(k, objective, origins, targets, week)
            for j, r in enumerate(members):
                arrival = float(paths.arrival_s[j])
                if not math.isfinite(arrival):
                    msg = (
                        f"Leg {_location_name(inputs, int(origins[j]))} -> "
                        f"{_location_name(inputs, int(targets[j]))} has no road path for "
                        f"{inputs.types[k].name}; the plan cannot be driven."
                    )
                    raise RuntimeError(msg)
                lo, hi = int(paths.offsets[j]), int(paths.offsets[j + 1])
                arrive = now[r] + (arrival - float(week[j]))
                legs[r].append(
                    ReplayedLeg(
                        arcs=paths.arcs[lo:hi],
                        entry_s=paths.entry_s[lo:hi],
                        depart_s=now[r],
                        arrive_s=arrive,
                        arrival_week_s=arrival,
                        shares=np.ones(hi - lo) if paths.shares is None else paths.shares[lo:hi],
                    )
                )
                destination = int(targets[j])
                if destination >= depots:
                    i = destination - depots
                    now[r] = max(arrive, float(inputs.tw_start_s[i])) + float(inputs.service_s[i])
                else:
                    now[r] = arrive
        step += 1


def leg_gaps(
    inputs: FleetInputs,
    profiles: Profiles,
    routes: Sequence[PlannedRoute],
    replayed: Sequence[Any],
    objective: str,
) -> dict[str, float]:
    """
    Compare the replayed legs' times with the planning matrices' times of the same legs.

    ``replayed`` holds the scored :class:`ecoroute.fleet.VehicleRoute` of each
    non-empty route of ``routes``, in the same order. Returns the number of
    legs, the median, 95th percentile and largest relative gap
    ``replayed / planned - 1`` (signed: positive when the replay is slower),
    and both totals in seconds.
    """
    planned: list[float] = []
    driven: list[float] = []
    for route, scored in zip([r for r in routes if r.stops], replayed, strict=True):
        time_s = profiles.profile(route.type_index, objective).time_s
        locations = _route_locations(inputs, route)
        for k, leg in enumerate(scored.legs):
            planned.append(float(time_s[locations[k], locations[k + 1]]))
            driven.append(float(leg.time_s))
    plan_a, drive_a = np.array(planned), np.array(driven)
    positive = plan_a > 0
    gap = drive_a[positive] / plan_a[positive] - 1.0
    if not gap.size:
        gap = np.zeros(1)
    return {
        "legs": float(plan_a.size),
        "time_gap_median": float(np.median(gap)),
        "time_gap_p95": float(np.percentile(gap, 95)),
        "time_gap_max": float(gap[np.argmax(np.abs(gap))]),
        "planned_time_s": float(plan_a.sum()),
        "replayed_time_s": float(drive_a.sum()),
    }


def driving_by_hour(
    inputs: FleetInputs, clock: PlanClock, scored: Sequence[Any]
) -> dict[int, dict[float, float]]:
    """
    Seconds each vehicle type drove in each hour, from replayed routes.

    Returns ``{type index: {week seconds of the hour's start: seconds}}``;
    every leg's driving time is shared among the hours between its
    departure and its arrival.
    """
    index = {t.name: k for k, t in enumerate(inputs.types)}
    out: dict[int, dict[float, float]] = {}
    for route in scored:
        hours = out.setdefault(index[route.vehicle_type], {})
        for leg in route.legs:
            t = float(clock.day_s + leg.depart_s)
            end = float(clock.day_s + leg.arrive_s)
            while t < end:
                start = math.floor(t / SECONDS_PER_HOUR) * SECONDS_PER_HOUR
                upto = min(end, start + SECONDS_PER_HOUR)
                hours[start] = hours.get(start, 0.0) + (upto - t)
                t = upto
    return out


def objective_value(scored: Sequence[Any], objective: str) -> float:
    """What ``objective`` adds up to over replayed routes (the solver's objective, replayed)."""
    name = {
        "co2": "co2_g",
        "co2e_wtw": "co2e_wtw_g",
        "time": "duration_s",
        "distance": "distance_m",
        "cost": "cost",
    }[objective]
    return float(sum(getattr(route, name) for route in scored))


def _route_locations(inputs: FleetInputs, route: PlannedRoute) -> list[int]:
    """Location indices a route visits: its start depot, its stops, its end depot."""
    rtype = inputs.types[route.type_index]
    depots = len(inputs.depots)
    return [rtype.start_depot, *(depots + i for i in route.stops), rtype.end_depot]


def _location_name(inputs: FleetInputs, location: int) -> str:
    depots = len(inputs.depots)
    if location < depots:
        return inputs.depots[location].id
    return inputs.stops[location - depots].id


__all__ = [
    "TIME_ROUNDS",
    "PlanClock",
    "ReplayedLeg",
    "driving_by_hour",
    "objective_value",
    "plan_clock",
    "replay",
    "with_departure",
]
