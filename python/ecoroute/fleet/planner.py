"""plan_fleet: least-CO2 (or time, distance, cost) plans for a heterogeneous fleet, with baselines."""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._errors import FleetInputError, FleetPlanWarning
from . import battery, timing
from . import problem as vrp
from .battery import LegEnergy
from .evaluate import Evaluation, PlannedRoute, earliest_start, evaluate
from .matrices import BUDGETED_OBJECTIVES, OBJECTIVES, Profile, Profiles
from .model import Depot, FleetInputs, Stop, VehicleType, resolve_inputs
from .plan import FleetPlan, Savings, Unassigned
from .solver import solution_units_check, solve

if TYPE_CHECKING:
    import pandas as pd

    from ..network import RoadNetwork
    from ..traffic import SpeedProfiles
    from ..turns import TurnGraph, TurnRestrictions

FloatArray = npt.NDArray[np.float64]

#: Iterations of the solver's search when neither a limit nor a time is given.
DEFAULT_MAX_ITERATIONS = 5000

#: Solves per plan at most while a replayed route runs a battery below its reserve.
BATTERY_ROUNDS = 6

#: The baselines a plan is compared with by default.
DEFAULT_BASELINES = ("distance", "time")


@dataclass(frozen=True)
class _Outcome:
    """One objective solved: routes, stops left out, the solver's account."""

    routes: list[PlannedRoute]
    unassigned: list[Unassigned]
    solver: dict[str, Any]


#: Bounds of the solver's stop rule: a run at these limits already takes days.
MAX_ITERATIONS = 100_000_000
MAX_TIME_LIMIT_S = 7 * 86_400.0


def _check_stop_rule(max_iterations: Any, time_limit_s: Any, seed: Any) -> None:
    """Refuse a stop rule that would never stop, or that the solver cannot take."""
    if max_iterations is not None and (
        isinstance(max_iterations, bool)
        or not isinstance(max_iterations, int | np.integer)
        or not 1 <= max_iterations <= MAX_ITERATIONS
    ):
        msg = f"max_iterations must be a whole number from 1 to {MAX_ITERATIONS:,}, got {max_iterations!r}."
        raise FleetInputError(msg)
    if time_limit_s is not None:
        try:
            limit = float(time_limit_s)
        except (TypeError, ValueError):
            limit = math.nan
        if not 0 < limit <= MAX_TIME_LIMIT_S:  # NaN fails too
            msg = (
                f"time_limit_s must be a number of seconds above 0 and at most "
                f"{MAX_TIME_LIMIT_S:,.0f} (a week), got {time_limit_s!r}."
            )
            raise FleetInputError(msg)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        msg = f"seed must be a whole number from 0 to {2**32 - 1:,}, got {seed!r}."
        raise FleetInputError(msg)


def plan_fleet(
    network: RoadNetwork,
    depots: Sequence[Depot] | Depot,
    stops: Sequence[Stop] | pd.DataFrame,
    fleet: Sequence[VehicleType] | VehicleType,
    *,
    objective: str = "co2",
    carbon_price_per_t: float = 0.0,
    max_iterations: int | None = None,
    time_limit_s: float | None = None,
    seed: int = 0,
    baselines: Sequence[str] = DEFAULT_BASELINES,
    prepare: bool = True,
    num_threads: int = 0,
    max_extra_time: float | None = None,
    turns: TurnRestrictions | TurnGraph | None = None,
    departure: Any = None,
    speeds: SpeedProfiles | None = None,
    max_snap_m: float | None = None,
    progress: bool | None = None,
) -> FleetPlan:
    """
    Plan routes for a heterogeneous fleet that minimise CO2 (or time, distance, cost).

    Every vehicle type gets matrices from ecoroute's router (least-CO2 paths
    for its own emission model, with travel times of those same paths); PyVRP
    assigns stops to vehicles and orders them under capacities, time windows
    and shifts. Every leg is then expanded to its road path and scored by the
    full emission model at the payload on board, which drops after each
    delivery. The same fleet is planned for each baseline objective and
    scored the same way, and the saving is split into routing (the
    baseline's assignment re-routed for the objective) and vehicle choice
    (the rest), and by the Shapley rule into road choice and vehicle choice
    (see :class:`ecoroute.fleet.Savings`). Each baseline costs one solve,
    plus one per route of it for the re-routed assignment.

    Parameters
    ----------
    network
        The road network.
    depots
        Where vehicles start and end (:class:`Depot`).
    stops
        Deliveries (:class:`Stop`, or a table with the columns of
        :func:`ecoroute.fleet.stops_from_frame`).
    fleet
        Vehicle types (:class:`VehicleType`) with counts and limits.
    objective
        ``"co2"`` (grams CO2: tank-to-wheel, or electricity generation for an
        EV; the default), ``"co2e_wtw"`` (well-to-wheel CO2e), ``"time"``
        (seconds on duty), ``"distance"`` (metres) or ``"cost"`` (money:
        energy, carbon price, per km, per hour and fixed costs of each type).
    carbon_price_per_t
        Money per tonne of WTW CO2e, in ``"cost"`` and in every plan's reported cost.
    max_iterations, time_limit_s
        Stop each solver run after this many iterations and/or seconds
        (default: :data:`DEFAULT_MAX_ITERATIONS` iterations). Iterations give
        the same plan on every run with the same seed; a time limit does not.
    seed
        Seed of the solver's search.
    baselines
        Objectives to compare the plan with, planned for the same fleet and
        the stops this plan serves (the plan's own objective is skipped).
    prepare
        Plan on the network with its contraction hierarchy
        (:meth:`RoadNetwork.prepared`) if it has none: matrices then take
        milliseconds instead of one search per pair. The routes and costs are
        the same either way; ``network`` itself is unchanged (prepare it once
        yourself to reuse the hierarchy across plans).
    num_threads
        Routing threads for the matrices; 0 uses every core.
    max_extra_time
        With ``objective="co2"`` or ``"co2e_wtw"``: every leg takes the
        least-emission road path within this fraction of extra time over the
        fastest path between its two locations (0.05 = 5 %), as
        ``Router(max_extra_time=...)`` does; None (the default) takes the
        least-emission path whatever its time. Baselines keep their own paths.
        :func:`ecoroute.fleet.leg_tradeoff` shows a plan's curve over budgets.
    turns
        Turn restrictions and intersection costs
        (:func:`ecoroute.turns.read_turns`; default: those the network
        carries): every leg's path obeys them, and the matrices and every
        leg's reported time and emissions include their seconds and the
        energy of pulling away again.
    progress
        A progress bar over the steps (matrices, the plan, each baseline):
        None (the default) on a terminal only, True always, False never.
    departure
        Plan in traffic (issue 12; needs hour-of-week speed profiles on the
        network, :meth:`RoadNetwork.with_speeds`, or ``speeds=``): the plan
        day and the earliest time any route leaves, as
        :meth:`ecoroute.Router.route` takes it (a ``datetime``, an ISO string
        such as ``"2024-03-04T08:00"``, or seconds since Monday 00:00).
        Shifts, windows and opening hours still count seconds from midnight
        of that day; shifts that start earlier start at the departure's time.
        Each type is planned on the matrices of the hour its routes leave
        in; every leg is then replayed from its real start with the
        time-dependent search, arcs driven at the speed of each moment, and
        the reported times, emissions and schedule come from that replay. The
        plan is then solved again on the slowest of the hours it covered (if
        the replay broke a window, shift or duration) or on the hours it
        drove in, and the best plan that keeps its time limits in its replay
        is kept (``plan.solver["departure"]``; see docs/fleet.md). None (the
        default): no traffic, as before.
    speeds
        Speed profiles for ``departure`` (default: those the network carries).
    max_snap_m
        Depots and stops given by coordinates snap part-way onto the nearest
        usable road within this many metres (default 1,000; see
        docs/turns.md); a farther one is a ``FleetInputError`` naming it.

    Returns
    -------
    FleetPlan
        Routes, schedules, emissions (TTW, WTT, WTW), tonne-km and
        intensities, unassigned stops with reasons, baselines and savings.

    Raises
    ------
    FleetInputError
        (a ``ValueError``) for inputs that cannot make a plan: no depot, a
        duplicate id, a capacity above the vehicle model's maximum payload,
        negative demand, a window that ends before it starts, ...
    UnknownVehicleError
        (a ``KeyError``) for a vehicle name not in the catalogue.
    OverflowError
        For numbers no integer resolution can hold (a prize of 1e40).

    Warns
    -----
    FleetPlanWarning
        If the solver ends on a plan that breaks a limit even after leaving
        stops out (too few iterations for a tightly constrained instance).

    Notes
    -----
    Stops no vehicle can serve (no road to them, heavier than every vehicle
    that reaches them, windows that cannot be met) are not errors: they come
    back in :attr:`FleetPlan.unassigned` with their reason, and so do stops
    the fleet as a whole has no room for.
    """
    started = time.perf_counter()
    clock = _departure_clock(network, departure, speeds, max_extra_time)
    if objective not in OBJECTIVES:
        msg = f"Unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}."
        raise FleetInputError(msg)
    unknown = [b for b in baselines if b not in OBJECTIVES]
    if unknown:
        msg = f"Unknown baseline {unknown[0]!r}; choose from {', '.join(OBJECTIVES)}."
        raise FleetInputError(msg)
    _check_stop_rule(max_iterations, time_limit_s, seed)
    if max_iterations is None and time_limit_s is None:
        max_iterations = DEFAULT_MAX_ITERATIONS
    stop_rule = {"max_iterations": max_iterations, "time_limit_s": time_limit_s, "seed": seed}

    if max_extra_time is not None:
        if objective not in BUDGETED_OBJECTIVES:
            msg = (
                f"max_extra_time bounds the paths of an emission objective "
                f"({' or '.join(BUDGETED_OBJECTIVES)}), not objective={objective!r}."
            )
            raise FleetInputError(msg)
        if (
            isinstance(max_extra_time, bool)
            or not isinstance(max_extra_time, int | float)
            or not 0 <= max_extra_time <= 10
        ):
            msg = f"max_extra_time must be a fraction from 0 to 10 (0.05 = 5 %), not {max_extra_time!r}."
            raise FleetInputError(msg)
    inputs = resolve_inputs(
        network,
        depots,
        stops,
        fleet,
        carbon_price_per_t=carbon_price_per_t,
        max_snap_m=max_snap_m,
    )
    if clock is not None:
        inputs = timing.with_departure(inputs, clock)
    from tqdm.auto import tqdm

    from .._progress import disable

    others = [b for b in dict.fromkeys(baselines) if b != objective]
    bar = tqdm(
        total=2 + len(others),
        desc="fleet: matrices",
        unit="step",
        disable=disable(progress),
    )
    try:
        return _plan_steps(
            network, inputs, objective, others, prepare, num_threads, max_extra_time, turns,
            clock, speeds, stop_rule, started, bar,
        )  # fmt: skip
    finally:
        bar.close()


def _plan_steps(
    network: RoadNetwork,
    inputs: Any,
    objective: str,
    baselines: Sequence[str],
    prepare: bool,
    num_threads: int,
    max_extra_time: float | None,
    turns: Any,
    clock: Any,
    speeds: Any,
    stop_rule: dict[str, Any],
    started: float,
    bar: Any,
) -> FleetPlan:
    """The steps of :func:`plan_fleet` after its checks, each reported on ``bar``."""
    prepare_s = 0.0
    if prepare and network.hierarchy is None:
        began = time.perf_counter()
        network = network.prepared(num_threads=num_threads)
        prepare_s = time.perf_counter() - began
    profiles = Profiles(
        network,
        inputs,
        num_threads=num_threads,
        max_extra_time=max_extra_time,
        turns=turns,
        clock=clock,
        speeds=speeds,
    )

    energy_cache: dict[tuple[int, str], LegEnergy] = {}
    bar.update(1)
    bar.set_description(f"fleet: least-{objective} plan")
    main = _solve(
        network,
        inputs,
        profiles,
        objective,
        range(len(inputs.stops)),
        True,
        stop_rule,
        energy_cache,
    )
    evaluate_started = time.perf_counter()
    scored = evaluate(network, inputs, profiles, main.routes, objective)
    evaluate_s = time.perf_counter() - evaluate_started

    served = sorted(inputs.stop_index[v.stop] for v in scored.visits)
    baseline_plans: dict[str, FleetPlan] = {}
    savings: dict[str, Savings] = {}
    bar.update(1)
    for name in baselines:
        bar.set_description(f"fleet: {name} baseline")
        outcome = _solve(network, inputs, profiles, name, served, False, stop_rule, energy_cache)
        began = time.perf_counter()
        base_scored = evaluate(network, inputs, profiles, outcome.routes, name)
        baseline_plans[name] = _plan(
            network, inputs, name, base_scored, outcome.unassigned, outcome.solver, {}
        )
        bar.set_description(f"fleet: {name} baseline re-routed for {objective}")
        rerouted, resequenced = _rerouted(
            network, inputs, profiles, objective, outcome.routes, stop_rule, clock is not None
        )
        savings[name] = _savings(
            name,
            plan=scored,
            base=base_scored,
            base_on_plan_paths=evaluate(network, inputs, profiles, outcome.routes, objective),
            plan_on_base_paths=evaluate(network, inputs, profiles, main.routes, name),
            rerouted=rerouted,
            resequenced=resequenced,
            unserved=tuple(u.stop for u in outcome.unassigned),
        )
        evaluate_s += time.perf_counter() - began
        bar.update(1)

    solve_s = main.solver["runtime_s"] + sum(
        p.solver.get("runtime_s", 0.0) for p in baseline_plans.values()
    )
    battery_s = main.solver.get("battery_s", 0.0) + sum(
        p.solver.get("battery_s", 0.0) for p in baseline_plans.values()
    )
    timings = {
        "prepare_s": prepare_s,
        "matrix_s": profiles.matrix_seconds,
        "battery_s": battery_s,
        "solve_s": solve_s,
        "evaluate_s": evaluate_s,
        "total_s": time.perf_counter() - started,
    }
    return _plan(
        network,
        inputs,
        objective,
        scored,
        main.unassigned,
        main.solver,
        timings,
        baselines=baseline_plans,
        savings=savings,
    )


def evaluate_routes(
    network: RoadNetwork,
    depots: Sequence[Depot] | Depot,
    stops: Sequence[Stop] | pd.DataFrame,
    fleet: Sequence[VehicleType] | VehicleType,
    routes: Sequence[tuple[str, Sequence[str]]],
    *,
    paths: str = "co2",
    carbon_price_per_t: float = 0.0,
    start_s: Sequence[float] | None = None,
    departure: Any = None,
    speeds: SpeedProfiles | None = None,
    max_snap_m: float | None = None,
) -> FleetPlan:
    """
    Score routes you already have (today's manual plan) exactly as ``plan_fleet`` scores its own.

    Parameters
    ----------
    network, depots, stops, fleet
        As for :func:`plan_fleet`.
    routes
        ``(vehicle type name, [stop ids in visiting order])`` per vehicle.
    paths
        Which paths the legs follow between stops: the least-``"co2"``
        (default), ``"co2e_wtw"``, ``"time"``, ``"distance"`` or ``"cost"`` path
        of each vehicle type.
    carbon_price_per_t
        Money per tonne of WTW CO2e in the reported cost.
    start_s
        When each route leaves its depot (default: as early as the type's
        shift and the depot allow).
    departure, speeds
        As for :func:`plan_fleet`: drive every leg from its real start in
        traffic (paths at the matrices of the type's start hour are not
        used; every leg is routed from its departure).
    max_snap_m
        As for :func:`plan_fleet`.

    Returns
    -------
    FleetPlan
        The scored routes; stops not in any route are listed as unassigned
        (reason ``"not_planned"``). Every limit a route breaks is flagged,
        not enforced: :attr:`FleetPlan.violations` (and each route's
        ``violations``) names the route, the constraint (capacity, time
        window, shift or depot hours, duration, battery) and the amount;
        ``feasible`` is False for such a route.

    Raises
    ------
    FleetInputError
        If a route names an unknown vehicle type or stop, visits a stop
        twice, uses more vehicles of a type than its count, or carries more
        than its vehicle model's maximum payload (the emission model has no
        numbers for that; the route is named).
    """
    if paths not in OBJECTIVES:
        msg = f"Unknown paths {paths!r}; choose one of {', '.join(OBJECTIVES)}."
        raise FleetInputError(msg)
    clock = _departure_clock(network, departure, speeds, None)
    inputs = resolve_inputs(
        network,
        depots,
        stops,
        fleet,
        carbon_price_per_t=carbon_price_per_t,
        max_snap_m=max_snap_m,
    )
    if clock is not None:  # legs part-way along the roads, as plan_fleet's
        inputs = timing.with_departure(inputs, clock)
    type_index = {t.name: k for k, t in enumerate(inputs.types)}
    planned: list[PlannedRoute] = []
    seen: set[str] = set()
    used: dict[int, int] = {}
    for r, (name, stop_ids) in enumerate(routes):
        if name not in type_index:
            msg = f"routes[{r}] names vehicle type {name!r}; the fleet has {', '.join(type_index)}."
            raise FleetInputError(msg)
        k = type_index[name]
        used[k] = used.get(k, 0) + 1
        if used[k] > inputs.types[k].count:
            msg = f"routes use {used[k]} vehicles of type {name!r}, but the fleet has {inputs.types[k].count}."
            raise FleetInputError(msg)
        indices = []
        for stop_id in stop_ids:
            if stop_id not in inputs.stop_index:
                msg = f"routes[{r}] visits {stop_id!r}, which is not a stop."
                raise FleetInputError(msg)
            if stop_id in seen:
                msg = f"stop {stop_id!r} is visited twice."
                raise FleetInputError(msg)
            seen.add(stop_id)
            indices.append(inputs.stop_index[stop_id])
        _check_payload(inputs, k, r, indices)
        start = earliest_start(inputs, k) if start_s is None else float(start_s[r])
        planned.append(PlannedRoute(k, tuple(indices), start))
    profiles = Profiles(network, inputs, clock=clock, speeds=speeds)
    scored = evaluate(network, inputs, profiles, planned, paths)
    missing = [
        Unassigned(s.id, "not_planned", "not in any of the given routes")
        for s in inputs.stops
        if s.id not in seen
    ]
    return _plan(network, inputs, f"given ({paths} paths)", scored, missing, {}, {})


# ---------------------------------------------------------------------- internals


def _solve(
    network: RoadNetwork,
    inputs: FleetInputs,
    profiles: Profiles,
    objective: str,
    candidates: Sequence[int],
    respect_optional: bool,
    stop_rule: dict[str, Any],
    energy_cache: dict[tuple[int, str], LegEnergy],
) -> _Outcome:
    """
    Solve; with a departure, re-solve on other hours' matrices and keep the best replayed plan.

    A plan with a departure is first solved on the matrices of each type's
    start hour; its legs are then replayed from their real starts
    (:func:`ecoroute.fleet.timing.replay`). If the replay breaks a window,
    shift or longest duration (legs ran into slower hours), every type's leg
    times become the slowest of the hours from its start hour to the hour
    the last replayed route ended in, and the plan is solved again. If it
    keeps every limit, the plan is solved again on the mean of the matrices
    of the hours its routes drove in, weighted by driving time, and, if
    that plan's replay breaks a limit, once more with the mix's costs and
    leg times no shorter than the start hour's. Of the plans that keep every
    time limit in their replay, the one that serves the most stops and then
    scores best is kept (at most :data:`ecoroute.fleet.timing.TIME_ROUNDS`
    solves; ``plan.solver["departure"]`` has each). What still breaks a
    limit is returned with a ``FleetPlanWarning`` and its ``violations``.
    """
    clock = profiles.clock
    args = (network, inputs, profiles, objective, candidates, respect_optional, stop_rule)
    if clock is None:
        return _solve_battery(*args, energy_cache)
    profiles.reset_hours()  # each objective starts from its start hours

    def attempt(basis: str) -> tuple[_Outcome, Evaluation, list[Any], dict[str, Any]]:
        outcome = _solve_battery(*args, energy_cache)
        scored = evaluate(network, inputs, profiles, outcome.routes, objective)
        late = [
            v
            for route in scored.routes
            for v in route.violations
            if v.constraint in ("time_window", "shift", "duration")
        ]
        gaps = timing.leg_gaps(inputs, profiles, outcome.routes, scored.routes, objective)
        record = {
            "basis": basis,
            "runtime_s": outcome.solver["runtime_s"],
            "iterations": outcome.solver["iterations"],
            "time_violations": len(late),
            "stops_served": len(scored.visits),
            "objective": timing.objective_value(scored.routes, objective),
            **gaps,
        }
        return outcome, scored, late, record

    outcome, scored, late, record = attempt("start hour")
    records = [record]
    chosen = 0
    if late and scored.routes:
        # Too optimistic: plan every leg on the slowest of the hours the replay covered.
        end = max(route.end_s for route in scored.routes)
        for k in range(len(inputs.types)):
            start = profiles.start_hour_s(k)
            assert start is not None
            covered = float(clock.day_s + end) - start
            profiles.use_slowest_hours(k, math.floor(covered / 3600.0) + 1)
        outcome, scored, late, record = attempt("slowest hours")
        records.append(record)
        chosen = 1
    elif scored.routes:
        # Feasible, but planned as if every leg ran in the start hour. Try the hours the
        # routes really drove in, weighted by driving time; if that plan breaks a limit in
        # its replay, try the mix's costs with times no shorter than the start hour's.
        # Keep whichever plan serves more stops, then scores better, in its replay.
        driving = timing.driving_by_hour(inputs, clock, scored.routes)
        if any(len(hours) > 1 for hours in driving.values()):
            for cautious in (False, True):
                for k, hours in driving.items():
                    profiles.use_hour_mix(k, hours, cautious=cautious)
                basis = "mix costs, start-hour times" if cautious else "driving-time mix of hours"
                candidate = attempt(basis)
                records.append(candidate[3])
                better = (candidate[3]["stops_served"], -candidate[3]["objective"]) > (
                    record["stops_served"],
                    -record["objective"],
                )
                if not candidate[2] and better:
                    outcome, scored, late, record = candidate
                    chosen = len(records) - 1
                if not candidate[2]:
                    break
    outcome.solver["runtime_s"] = sum(r["runtime_s"] for r in records)
    outcome.solver["iterations"] = sum(r["iterations"] for r in records)
    outcome.solver["departure"] = {
        "day_s": clock.day_s,
        "earliest_s": clock.earliest_s,
        "start_hours": [
            int((profiles.start_hour_s(k) or 0.0) // 3600) for k in range(len(inputs.types))
        ],
        "rounds": len(records),
        "chosen": chosen,
        "basis": record["basis"],
        "hour_mix": {
            inputs.types[k].name: profiles.hour_mix(k) if "mix" in record["basis"] else {}
            for k in range(len(inputs.types))
        },
        "slowest_of_hours": [profiles.slowest_hours(k) for k in range(len(inputs.types))],
        "time_violations": len(late),
        "solves": records,
        "first_round": records[0],
    }
    if late:
        message = (
            f"The {objective} plan's replayed legs still break {len(late)} time window, shift or "
            f"duration limit(s) after {len(records)} solves (the last on the slowest hours' leg "
            "times); it is returned for inspection (FleetPlan.violations)."
        )
        warnings.warn(message, FleetPlanWarning, stacklevel=3)
    return outcome


def _departure_clock(
    network: RoadNetwork,
    departure: Any,
    speeds: SpeedProfiles | None,
    max_extra_time: float | None,
) -> timing.PlanClock | None:
    """Read ``departure=``; refuse it without speed profiles or with what it cannot combine with."""
    if departure is None:
        return None
    from ..traffic import attached_speeds

    if speeds is None and attached_speeds(network) is None:
        msg = (
            f"departure={departure!r} needs hour-of-week speeds: plan on "
            "network.with_speeds(ecoroute.read_speeds(path)) or pass speeds=; "
            "profiles are never made up (see docs/traffic.md)."
        )
        raise FleetInputError(msg)
    if max_extra_time is not None:
        msg = "departure= and max_extra_time= cannot be combined yet (as in Router.route)."
        raise FleetInputError(msg)
    return timing.plan_clock(departure)


def _solve_battery(
    network: RoadNetwork,
    inputs: FleetInputs,
    profiles: Profiles,
    objective: str,
    candidates: Sequence[int],
    respect_optional: bool,
    stop_rule: dict[str, Any],
    energy_cache: dict[tuple[int, str], LegEnergy],
) -> _Outcome:
    """
    Screen, build, solve; hold battery types to their battery, re-checked by replay.

    The solver caps each battery type's sum of leg energy bounds (see
    :func:`ecoroute.fleet.problem.build`). Every route is then replayed arc by
    arc (:func:`ecoroute.fleet.battery.state_of_charge`): a route can still
    dip below the reserve half-way and recover downhill, or lose energy a full
    battery could not take. If one does, that type's limit is lowered by 1.5
    times the shortfall (and 1 % of the usable battery) and the plan solved
    again, up to :data:`BATTERY_ROUNDS` times.
    """
    by_type = [profiles.profile(k, objective) for k in range(len(inputs.types))]
    depots = len(inputs.depots)
    uppers: dict[int, FloatArray] = {}
    prices: dict[int, float] = {}
    ranges: dict[int, vrp.RangeCheck] = {}
    began = time.perf_counter()
    for k, rtype in enumerate(inputs.types):
        if not rtype.has_battery:
            continue
        key = (k, objective)
        if key not in energy_cache:
            energy_cache[key] = battery.leg_energy(network, inputs, profiles, k, objective)
        uppers[k] = energy_cache[key].upper_kwh(inputs.demand_kg, depots)
        prices[k] = _battery_price(inputs, profiles, k, objective, uppers[k])
        ranges[k] = _range_check(network, inputs, profiles, k, objective, uppers[k])
    battery_s = time.perf_counter() - began
    screened = vrp.screen(inputs, by_type, list(candidates), ranges)
    limits = {k: inputs.types[k].usable_kwh for k in uppers}
    rounds, runtime, iterations = 0, 0.0, 0
    while True:
        batteries = {k: vrp.BatteryLimit(uppers[k], limits[k], prices[k]) for k in uppers}
        outcome = _solve_screened(
            inputs, by_type, objective, screened, respect_optional, stop_rule, batteries
        )
        rounds += 1
        runtime += outcome.solver["runtime_s"]
        iterations += outcome.solver["iterations"]
        short = _battery_shortfalls(network, inputs, profiles, outcome.routes, objective)
        if not short or rounds >= BATTERY_ROUNDS:
            break
        for k, kwh in short.items():
            limits[k] -= 1.5 * kwh + 0.01 * inputs.types[k].usable_kwh
    outcome.solver["runtime_s"] = runtime  # every round's solves
    outcome.solver["iterations"] = iterations
    if uppers:
        outcome.solver["battery_s"] = battery_s
        outcome.solver["battery_rounds"] = rounds
        outcome.solver["battery_limits_kwh"] = {inputs.types[k].name: v for k, v in limits.items()}
    if short:
        message = (
            f"The {objective} plan still runs a battery below its reserve after {rounds} solves "
            "with tightened limits; it is returned for inspection (VehicleRoute.violations)."
        )
        warnings.warn(message, FleetPlanWarning, stacklevel=3)
    return outcome


def _battery_price(
    inputs: FleetInputs, profiles: Profiles, k: int, objective: str, upper_kwh: FloatArray
) -> float:
    """What a battery kWh of type ``k`` costs in the solver's objective (see ``problem.build``)."""
    price = battery.price_per_kwh(inputs, k, objective)
    if battery.has_distance_price(inputs, k, objective):
        per_metre = 1.0 if objective == "distance" else inputs.types[k].spec.cost_per_km / 1000.0
        price += per_metre * battery.metres_per_kwh(profiles, k, objective, upper_kwh)
    return price


def _range_check(
    network: RoadNetwork,
    inputs: FleetInputs,
    profiles: Profiles,
    k: int,
    objective: str,
    upper_kwh: FloatArray,
) -> vrp.RangeCheck:
    """
    Replay the round trip to every stop alone for battery type ``k``: its deepest draw.

    Each leg is scored as the plan's replay scores it (the share of each arc
    driven, and on a turn-aware network the turns' energy:
    :func:`ecoroute.fleet.battery.driven_energy_kwh`).
    """
    rtype = inputs.types[k]
    turns = profiles.metric(k, objective).router.turns
    depots = len(inputs.depots)
    n = len(inputs.stops)
    s, e = rtype.start_depot, rtype.end_depot
    x = depots + np.arange(n)
    reach = profiles.profile(k, objective).reachable
    ok = reach[s, x] & reach[x, e]
    need = np.full(n, np.inf)
    bound = np.full(n, np.inf)
    bound[ok] = upper_kwh[s, x[ok]] + upper_kwh[x[ok], e]
    stops = np.flatnonzero(ok)
    if stops.size:
        origins = np.concatenate([np.full(stops.size, s), depots + stops])
        destinations = np.concatenate([depots + stops, np.full(stops.size, e)])
        offsets, arcs, _, share = profiles.paths(k, objective, origins, destinations)
        back_all = battery.arc_values(rtype.vehicle, network, None, 0.0)["energy_kwh"]
        for j, i in enumerate(stops):
            out_part = slice(int(offsets[j]), int(offsets[j + 1]))
            back_part = slice(int(offsets[stops.size + j]), int(offsets[stops.size + j + 1]))
            out_arcs, back_arcs = arcs[out_part], arcs[back_part]
            demand = float(inputs.demand_kg[i])
            out = battery.driven_energy_kwh(
                battery.arc_values(rtype.vehicle, network, out_arcs, demand)["energy_kwh"],
                out_arcs, share[out_part], turns, rtype.vehicle, demand,
            )  # fmt: skip
            back = battery.driven_energy_kwh(
                back_all[np.asarray(back_arcs, dtype=np.intp)],
                back_arcs, share[back_part], turns, rtype.vehicle, 0.0,
            )  # fmt: skip
            trace = battery.state_of_charge(
                [out, back],
                rtype.start_kwh,
                float(rtype.battery_kwh or 0.0),
            )
            need[i] = rtype.start_kwh - trace.min_kwh
    return vrp.RangeCheck(need_kwh=need, usable_kwh=rtype.usable_kwh, bound_kwh=bound)


def _battery_shortfalls(
    network: RoadNetwork,
    inputs: FleetInputs,
    profiles: Profiles,
    routes: Sequence[PlannedRoute],
    objective: str,
) -> dict[int, float]:
    """Replay the battery routes; return, per type, the largest kWh any route falls below its reserve."""
    index = {t.name: k for k, t in enumerate(inputs.types)}
    battery_routes = [r for r in routes if inputs.types[r.type_index].has_battery]
    if not battery_routes:
        return {}
    short: dict[int, float] = {}
    for route in evaluate(network, inputs, profiles, battery_routes, objective).routes:
        for violation in route.violations:
            if violation.constraint == "battery":
                k = index[route.vehicle_type]
                short[k] = max(short.get(k, 0.0), violation.amount)
    return short


def _solve_screened(
    inputs: FleetInputs,
    by_type: Sequence[Profile],
    objective: str,
    screened: vrp.Screened,
    respect_optional: bool,
    stop_rule: dict[str, Any],
    batteries: dict[int, vrp.BatteryLimit],
) -> _Outcome:
    """Build and solve the screened stops (falling back to skippable stops when the fleet is too small)."""
    unassigned = list(screened.unassigned)
    info: dict[str, Any] = {"objective": objective, "runtime_s": 0.0, "iterations": 0}
    if not screened.keep:
        info |= {"feasible": True, "stops_planned": 0}
        return _Outcome([], unassigned, info)

    built = vrp.build(
        inputs, by_type, objective, screened.keep, respect_optional=respect_optional,
        fallback=False, batteries=batteries,
    )  # fmt: skip
    # PyVRP's own penalties first; if that ends infeasible, strict penalties; if that ends
    # infeasible too, the fleet cannot take every stop: make them skippable at a high prize.
    attempts = 0
    runtime, iterations = 0.0, 0
    for fallback, strict in ((False, False), (False, True), (True, True)):
        if fallback:
            built = vrp.build(
                inputs, by_type, objective, screened.keep, respect_optional=respect_optional,
                fallback=True, batteries=batteries,
            )  # fmt: skip
        solution = solve(built.problem, strict=strict, **stop_rule)
        attempts += 1
        runtime += solution.runtime_s
        iterations += solution.iterations
        if solution.feasible and not vrp.uses_forbidden_leg(built, solution):
            break
    solution_units_check(built.problem, solution)
    if not solution.feasible:
        message = (
            f"The {objective} plan still breaks a capacity, time window, shift or battery limit after "
            "leaving stops out; it is returned for inspection (VehicleRoute.feasible, late_s, "
            "overtime_s). Give the solver more iterations or time."
        )
        warnings.warn(message, FleetPlanWarning, stacklevel=3)
    routes = vrp.routes_from(built, solution)
    if vrp.uses_forbidden_leg(built, solution):  # pragma: no cover - prizes make this unreachable
        unassigned.extend(
            Unassigned(
                inputs.stops[i].id, "no_room", "its route would need a road that does not exist"
            )
            for route in routes
            for i in route.stops
        )
        routes = []
    for c in solution.unplanned:
        i = built.stops[c]
        stop = inputs.stops[i]
        if respect_optional and inputs.optional[i]:
            unassigned.append(
                Unassigned(
                    stop.id,
                    "not_worth_prize",
                    f"optional: serving it adds more to the {objective} objective than its "
                    f"prize of {inputs.prize[i]:g}",
                )
            )
        else:
            unassigned.append(
                Unassigned(
                    stop.id,
                    "no_room",
                    "a vehicle could serve it alone, but the fleet has no room for it beside "
                    "the other stops (capacity, windows or shifts); add vehicles or relax limits",
                )
            )
    info |= built.info | {
        "backend": solution.backend,
        "runtime_s": runtime,
        "iterations": iterations,
        "feasible": solution.feasible,
        "attempts": attempts,
        "strict_penalties": strict,
        "solver_cost_units": solution.cost,
        "stops_planned": len(built.stops),
        **dict(stop_rule.items()),
    }
    return _Outcome(routes, unassigned, info)


def _rerouted(
    network: RoadNetwork,
    inputs: FleetInputs,
    profiles: Profiles,
    objective: str,
    base_routes: Sequence[PlannedRoute],
    stop_rule: dict[str, Any],
    timed: bool,
) -> tuple[Evaluation, int]:
    """
    The baseline's assignment routed for ``objective``: ``R`` of :class:`Savings`.

    Each baseline route keeps its vehicle type and its stops; the planner
    orders them again for that one vehicle under ``objective``, as it plans
    the full plan (a fleet of one vehicle of the type, the same stop rule; a
    time limit is shared out over the routes). So with a single vehicle the
    re-routed baseline is the plan itself. Where that solve leaves a stop
    out or its route breaks a limit, and for timed plans (``departure=``)
    and multi-trip types, the baseline's own order stays, driven on the
    objective's paths. Returns the scored routes and how many were
    re-sequenced.
    """
    rule = dict(stop_rule)
    if rule.get("time_limit_s") is not None:
        rule["time_limit_s"] = rule["time_limit_s"] / max(1, len(base_routes))
    shared: dict[int, tuple[FleetInputs, Profiles, dict[tuple[int, str], LegEnergy]]] = {}
    chosen: list[PlannedRoute] = []
    resequenced = 0
    for route in base_routes:
        k = route.type_index
        keep = route
        if not timed and inputs.types[k].trips == 1 and len(route.stops) > 1:
            if k not in shared:
                alone = replace(inputs, types=(replace(inputs.types[k], count=1),))
                shared[k] = (alone, profiles.sharing(alone), {})
            alone, alone_profiles, cache = shared[k]
            with warnings.catch_warnings():  # an infeasible re-sequence is dropped below
                warnings.simplefilter("ignore", FleetPlanWarning)
                outcome = _solve_battery(
                    network,
                    alone,
                    alone_profiles,
                    objective,
                    sorted(route.stops),
                    False,
                    rule,
                    cache,
                )
            if not outcome.unassigned and len(outcome.routes) == 1:
                found = outcome.routes[0]
                candidate = PlannedRoute(k, found.stops, found.start_s, route.trip)
                new = evaluate(network, inputs, profiles, [candidate], objective).routes
                if sorted(found.stops) == sorted(route.stops) and all(r.feasible for r in new):
                    keep = candidate
                    resequenced += keep.stops != route.stops
        chosen.append(keep)
    return evaluate(network, inputs, profiles, chosen, objective), resequenced


def _check_payload(inputs: FleetInputs, k: int, r: int, stops: Sequence[int]) -> None:
    """Refuse a given route whose load is beyond what its vehicle model can evaluate."""
    rtype = inputs.types[k]
    load = float(inputs.demand_kg[list(stops)].sum()) if stops else 0.0
    most = float(getattr(rtype.vehicle, "max_payload_kg", np.inf))
    if load > most:
        msg = (
            f"routes[{r}] ({rtype.name}) leaves the depot with {load:g} kg, above the "
            f"{rtype.vehicle.name} model's maximum payload of {most:g} kg; the emission model "
            "cannot evaluate that load. Split the route or give it a bigger vehicle."
        )
        raise FleetInputError(msg)


def _plan(
    network: RoadNetwork,
    inputs: FleetInputs,
    objective: str,
    scored: Evaluation,
    unassigned: Sequence[Unassigned],
    solver: dict[str, Any],
    timings: dict[str, float],
    *,
    baselines: dict[str, FleetPlan] | None = None,
    savings: dict[str, Savings] | None = None,
) -> FleetPlan:
    order = {s.id: i for i, s in enumerate(inputs.stops)}
    lonlat = inputs.location_lonlat
    depots = len(inputs.depots)
    points = {
        s.id: (float(lonlat[depots + i, 1]), float(lonlat[depots + i, 0]))
        for i, s in enumerate(inputs.stops)
    }
    return FleetPlan(
        objective=objective,
        routes=scored.routes,
        visits=scored.visits,
        unassigned=tuple(sorted(unassigned, key=lambda u: order.get(u.stop, 0))),
        depots=tuple(
            (d.id, float(lonlat[j, 1]), float(lonlat[j, 0])) for j, d in enumerate(inputs.depots)
        ),
        baselines=baselines or {},
        savings=savings or {},
        solver=solver,
        timings=timings,
        carbon_price_per_t=inputs.carbon_price_per_t,
        depot_snap_m={d.id: float(inputs.depot_snap_m[j]) for j, d in enumerate(inputs.depots)},
        _network=network,
        _stop_points=points,
    )


def _savings(
    name: str,
    *,
    plan: Evaluation,
    base: Evaluation,
    base_on_plan_paths: Evaluation,
    plan_on_base_paths: Evaluation,
    rerouted: Evaluation,
    resequenced: int,
    unserved: tuple[str, ...] = (),
) -> Savings:
    """
    The saving against one baseline, split two ways (see :class:`Savings`).

    Road choice and vehicle choice by the two-factor Shapley rule; routing
    (``B - R``) and assignment (``R - P``) along the chain baseline, the
    baseline's assignment re-routed (``rerouted``), the plan.
    """

    def total(evaluation: Evaluation, quantity: str) -> float:
        return float(sum(getattr(route, quantity) for route in evaluation.routes))

    road: dict[str, float] = {}
    vehicle: dict[str, float] = {}
    orders: dict[str, dict[str, float]] = {}
    for quantity in ("co2_g", "co2e_wtw_g"):
        b, p = total(base, quantity), total(plan, quantity)
        b_tilde, p_tilde = total(base_on_plan_paths, quantity), total(plan_on_base_paths, quantity)
        road[quantity] = ((b - b_tilde) + (p_tilde - p)) / 2.0
        vehicle[quantity] = ((b - p_tilde) + (b_tilde - p)) / 2.0
        orders[quantity] = {
            "road_first_road": b - b_tilde,
            "road_first_vehicle": b_tilde - p,
            "vehicle_first_vehicle": b - p_tilde,
            "vehicle_first_road": p_tilde - p,
        }
    routing: dict[str, float] = {}
    assignment: dict[str, float] = {}
    for quantity in ("co2_g", "co2e_wtw_g"):
        b, r, p = total(base, quantity), total(rerouted, quantity), total(plan, quantity)
        routing[quantity] = b - r
        assignment[quantity] = r - p
    base_wtw, plan_wtw = total(base, "co2e_wtw_g"), total(plan, "co2e_wtw_g")

    def duration(evaluation: Evaluation) -> float:
        return float(sum(route.duration_s for route in evaluation.routes))

    return Savings(
        baseline=name,
        co2_saved_g=total(base, "co2_g") - total(plan, "co2_g"),
        co2e_wtw_saved_g=base_wtw - plan_wtw,
        co2e_wtw_saved_pct=100.0 * (base_wtw - plan_wtw) / base_wtw if base_wtw > 0 else 0.0,
        extra_duration_s=duration(plan) - duration(base),
        extra_driving_s=total(plan, "time_s") - total(base, "time_s"),
        extra_distance_m=total(plan, "distance_m") - total(base, "distance_m"),
        road_choice=road,
        vehicle_choice=vehicle,
        orders=orders,
        baseline_unserved=unserved,
        routing=routing,
        assignment=assignment,
        rerouted={
            quantity: total(rerouted, quantity)
            for quantity in ("co2_g", "co2e_wtw_g", "distance_m", "time_s")
        }
        | {"duration_s": duration(rerouted)},
        rerouted_routes=tuple((r.vehicle_type, tuple(r.stops)) for r in rerouted.routes),
        resequenced=resequenced,
    )
