"""A fleet plan and its ISO 14083 / GLEC-style report: per plan, per vehicle, per leg and per stop."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from .._geo import trim_path

if TYPE_CHECKING:
    import matplotlib.figure
    import pandas as pd

    from ..network import RoadNetwork

#: Quantities summed from legs to vehicles to plans, with their units in their names.
SUMMED = (
    "distance_m",
    "time_s",
    "fuel_l",
    "fuel_kg",
    "energy_kwh",
    "co2_g",
    "co2_ttw_g",
    "co2e_wtt_g",
    "co2e_wtw_g",
    "co2_biogenic_g",
    "tkm",
)

#: How the numbers were made, for the report's readers (ISO 14083:2023 / GLEC v3 vocabulary).
METHOD = {
    "standard": "ISO 14083:2023, GLEC Framework v3 vocabulary (modelled, not measured, data)",
    "data_quality": "modelled from planned routes with ecoroute's vehicle emission models",
    "boundary": "well-to-wheel (WTW) = tank-to-wheel (TTW) + well-to-tank (WTT)",
    "ttw": (
        "co2_ttw_g: CO2 from burning fuel on board (full oxidation, IPCC 2006 factors); "
        "0 for battery-electric vehicles"
    ),
    "wtt": (
        "co2e_wtt_g = co2e_wtw_g - co2_ttw_g: fuel supply (EU Directive 2015/652 life-cycle "
        "intensities) including the fuels' CH4 and N2O, or electricity generation for EVs"
    ),
    "biogenic": (
        "co2_biogenic_g: CO2 of biogenic origin from burning a biofuel or the bio share of a "
        "blend on board (the fuel's biogenic_co2_g_per_mj), reported separately and not part "
        "of co2_ttw_g or co2e_wtw_g; 0 for fossil fuels and battery-electric vehicles"
    ),
    "co2_g": (
        "what the 'co2' objective minimises: co2_ttw_g for combustion vehicles, CO2 of "
        "generating the charging electricity for EVs"
    ),
    "distance": "planned road distance of the routes (no distance adjustment factor)",
    "transport_activity": "tkm = payload on board (t) x km driven, summed over legs",
    "allocation": (
        "a vehicle's emissions are allocated to its stops in proportion to each stop's "
        "tonne-km on board (demand x road distance from the depot to the stop)"
    ),
    "payload": "each leg is evaluated at the payload on board: all deliveries still ahead",
    "gwp": "CO2e factors as given by the fuel and grid data (AR5/AR6 mix); not recomputed",
    "offsets": "none; savings against baselines are planning estimates, not offsets",
    "electricity": (
        "EVs: co2_g = battery energy / charging_efficiency x grid_g_per_kwh, co2e_wtw_g the "
        "same with grid_wtw_g_per_kwh; the factors used are in each vehicle's row and in "
        "grid_factors"
    ),
    "state_of_charge": (
        "battery charge replayed arc by arc at the payload on board, regeneration included, "
        "never above battery_kwh (recovered energy a full battery cannot take is lost)"
    ),
}


@dataclass(frozen=True)
class Leg:
    """
    One drive between two consecutive locations of a route, on its road path.

    Attributes
    ----------
    vehicle, vehicle_type
        Which vehicle drives it (e.g. ``"van_bev#2"``) and its type.
    index
        Position in the route (0 leaves the depot).
    origin, destination
        Depot or stop ids.
    payload_kg
        Mass on board while driving it.
    distance_m, time_s
        Road distance and free-flow driving time of the path.
    depart_s, arrive_s
        Leaving the origin and arriving at the destination, seconds after midnight.
    wait_s, late_s
        Waiting for the destination's window to open; how late service
        starts after the window closed (0 in a feasible plan).
    fuel_l, fuel_kg, energy_kwh
        Fuel (litres, or kg for a gas) or battery energy; None when not applicable.
    co2_g, co2_ttw_g, co2e_wtt_g, co2e_wtw_g
        Emissions (see :data:`METHOD`).
    co2_biogenic_g
        Biogenic CO2 from a biofuel burnt on board, reported apart (0 for
        fossil fuels and EVs).
    tkm
        Transport activity: payload (t) x distance (km).
    arcs
        The path's arc indices in the network.
    start_node
        Dense index of the node the path starts at.
    start_fraction, end_fraction
        Where the leg starts along its first arc and ends along its last
        (by length, 0 at the arc's tail): 0 and 1 but for a depot or stop
        snapped part-way along its road.
    soc_end_kwh
        Battery charge arriving at the destination (None without a battery).
    """

    vehicle: str
    vehicle_type: str
    index: int
    origin: str
    destination: str
    payload_kg: float
    distance_m: float
    time_s: float
    depart_s: float
    arrive_s: float
    wait_s: float
    late_s: float
    fuel_l: float | None
    fuel_kg: float | None
    energy_kwh: float | None
    co2_g: float
    co2_ttw_g: float
    co2e_wtt_g: float
    co2e_wtw_g: float
    tkm: float
    arcs: npt.NDArray[np.uint32] = field(repr=False)
    co2_biogenic_g: float = 0.0
    start_node: int = field(repr=False, default=0)
    soc_end_kwh: float | None = None
    start_fraction: float = field(repr=False, default=0.0)
    end_fraction: float = field(repr=False, default=1.0)

    @property
    def co2e_wtw_g_per_tkm(self) -> float:
        """Emission intensity of the leg (NaN without payload)."""
        return _ratio(self.co2e_wtw_g, self.tkm)

    def summary(self) -> dict[str, Any]:
        """Return the leg's scalar fields (what the tables and GeoJSON show)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _HIDDEN}
        out["co2e_wtw_g_per_tkm"] = self.co2e_wtw_g_per_tkm
        return out


@dataclass(frozen=True)
class Visit:
    """
    One stop served: when, by whom, and the emissions allocated to it (an ISO 14083 shipment).

    Attributes
    ----------
    stop, vehicle, vehicle_type
        The stop id and who serves it.
    position
        Position in the vehicle's route (1 is the first stop).
    arrive_s, service_start_s, depart_s, wait_s, late_s
        The schedule, seconds after midnight.
    demand_kg
        Mass delivered.
    snap_m
        Distance from the stop's coordinates to the point of the road its
        legs start and end at (part-way along the road; 0 for a stop given
        by node id).
    onboard_m
        Road distance the delivery travels on the vehicle (depot to stop).
    tkm
        Its transport activity: demand (t) x onboard distance (km).
    co2_ttw_g, co2e_wtw_g, co2_biogenic_g
        The vehicle's emissions allocated to this delivery by tonne-km.
    soc_kwh, soc_pct
        Battery charge arriving at the stop, kWh and percent of the battery
        (None without a battery).
    snap_lat, snap_lon
        The point of the road the stop's legs end and start at, ``snap_m``
        from its coordinates (the node's coordinates for a stop given by node).
    """

    stop: str
    vehicle: str
    vehicle_type: str
    position: int
    arrive_s: float
    service_start_s: float
    depart_s: float
    wait_s: float
    late_s: float
    demand_kg: float
    snap_m: float
    onboard_m: float
    tkm: float
    co2_ttw_g: float
    co2e_wtw_g: float
    soc_kwh: float | None = None
    soc_pct: float | None = None
    snap_lat: float | None = None
    snap_lon: float | None = None
    co2_biogenic_g: float = 0.0


class _LegSum:
    """A read-only attribute summing one quantity over a route's legs (None if no leg has it)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, route: Any, owner: type | None = None) -> Any:
        if route is None:
            return self
        return _sum_legs(route.legs, self.name)


@dataclass(frozen=True)
class VehicleRoute:
    """
    One vehicle's day: its legs, stops, totals and the ISO 14083 / GLEC fields.

    Sums over the legs are properties (``distance_m``, ``time_s``, ``co2e_wtw_g``, ...).

    Attributes
    ----------
    vehicle, vehicle_type
        Label (type name and number) and type name.
    model, energy_carrier
        The vehicle model's catalogue name and what it runs on.
    start_depot, end_depot
        Depot ids.
    stops
        Stop ids in visiting order.
    legs
        The drives between them.
    start_s, end_s
        Leaving the start depot and arriving at the end depot.
    capacity_kg, delivered_kg
        Capacity and the total mass delivered (the load leaving the depot).
    service_s
        Time spent serving stops.
    cost
        Money: fixed cost, per km, per hour on duty, energy and carbon price.
    max_duration_s, shift_end_s
        The type's limits, for the feasibility check.
    trip
        Which trip of the vehicle's day this is (1 unless the type has ``trips > 1``).
    earliest_start_s
        When the vehicle may leave at the earliest (shift start, depot opening).
    battery_kwh, reserve_kwh
        The type's battery and reserve (None without a battery).
    soc_start_kwh, soc_end_kwh, soc_min_kwh
        Battery charge leaving the depot, back at the depot, and the lowest
        anywhere on the route (replayed arc by arc; None without a battery).
    regeneration_lost_kwh
        Energy recovered while braking that the full battery could not take.
    charged_kwh, charge_s
        Energy the depot's charger put back before this trip, and how long that took.
    grid_g_per_kwh, grid_wtw_g_per_kwh, charging_efficiency
        The electricity factors an EV's emissions were computed with (None otherwise).
    legal_profile
        The vehicle's legal profile as its roads were chosen by (access class,
        mass, axle load, dimensions, limiter: ``Vehicle.legal_summary``), so a
        report says which vehicle the paths are legal for (docs/trucks.md).
    """

    vehicle: str
    vehicle_type: str
    model: str
    energy_carrier: str
    start_depot: str
    end_depot: str
    stops: tuple[str, ...]
    legs: tuple[Leg, ...]
    start_s: float
    end_s: float
    capacity_kg: float
    delivered_kg: float
    service_s: float
    cost: float
    max_duration_s: float = math.inf
    shift_end_s: float = math.inf
    trip: int = 1
    earliest_start_s: float = 0.0
    battery_kwh: float | None = None
    reserve_kwh: float | None = None
    soc_start_kwh: float | None = None
    soc_end_kwh: float | None = None
    soc_min_kwh: float | None = None
    regeneration_lost_kwh: float | None = None
    charged_kwh: float = 0.0
    charge_s: float = 0.0
    grid_g_per_kwh: float | None = None
    grid_wtw_g_per_kwh: float | None = None
    charging_efficiency: float | None = None
    legal_profile: str = ""

    distance_m = _LegSum()
    time_s = _LegSum()
    fuel_l = _LegSum()
    fuel_kg = _LegSum()
    energy_kwh = _LegSum()
    co2_g = _LegSum()
    co2_ttw_g = _LegSum()
    co2e_wtt_g = _LegSum()
    co2e_wtw_g = _LegSum()
    co2_biogenic_g = _LegSum()
    tkm = _LegSum()

    @property
    def duration_s(self) -> float:
        """Time on duty, depot to depot: driving, waiting and service."""
        return self.end_s - self.start_s

    @property
    def wait_s(self) -> float:
        """Time spent waiting for windows to open."""
        return float(sum(leg.wait_s for leg in self.legs))

    @property
    def late_s(self) -> float:
        """Total lateness beyond stop windows (0 in a feasible plan)."""
        return float(sum(leg.late_s for leg in self.legs))

    @property
    def overtime_s(self) -> float:
        """Time beyond the longest allowed route or after the shift or depot closes."""
        return max(0.0, self.duration_s - self.max_duration_s, self.end_s - self.shift_end_s)

    @property
    def loaded_distance_m(self) -> float:
        """Distance driven with payload on board."""
        return float(sum(leg.distance_m for leg in self.legs if leg.payload_kg > 0))

    @property
    def empty_distance_m(self) -> float:
        """Distance driven empty (GLEC's empty-running distance)."""
        return float(sum(leg.distance_m for leg in self.legs if leg.payload_kg <= 0))

    @property
    def load_factor(self) -> float:
        """Distance-weighted mean payload over capacity (tkm over capacity-km)."""
        return _ratio(self.tkm, self.capacity_kg / 1000.0 * self.distance_m / 1000.0)

    @property
    def co2e_wtw_g_per_tkm(self) -> float:
        """GLEC intensity: WTW CO2e per tonne-km."""
        return _ratio(self.co2e_wtw_g, self.tkm)

    @property
    def co2e_wtw_g_per_km(self) -> float:
        """WTW CO2e per km driven."""
        return _ratio(self.co2e_wtw_g, self.distance_m / 1000.0)

    @property
    def soc_end_pct(self) -> float | None:
        """Battery charge back at the depot, percent of the battery (None without one)."""
        if self.soc_end_kwh is None or not self.battery_kwh:
            return None
        return 100.0 * self.soc_end_kwh / self.battery_kwh

    @property
    def violations(self) -> tuple[Violation, ...]:
        """
        Every limit the route breaks, with the amount (empty for a feasible route).

        Capacity (kg over), each stop's time window (s late), the shift or
        depot hours (s before the earliest start or after the latest return),
        the longest duration (s over) and the battery (kWh below the reserve).
        """
        found: list[Violation] = []
        over_kg = self.delivered_kg - self.capacity_kg
        if over_kg > 1e-9:
            found.append(
                Violation(
                    self.vehicle, "capacity", over_kg, "kg", self.start_depot,
                    f"leaves the depot with {self.delivered_kg:g} kg, {over_kg:g} kg over its "
                    f"capacity of {self.capacity_kg:g} kg",
                )
            )  # fmt: skip
        for leg in self.legs:
            if leg.late_s > _TOLERANCE_S:
                found.append(
                    Violation(
                        self.vehicle, "time_window", leg.late_s, "s", leg.destination,
                        f"starts service at {leg.destination} {leg.late_s:.0f} s after its "
                        "window closes",
                    )
                )  # fmt: skip
        early = self.earliest_start_s - self.start_s
        if early > _TOLERANCE_S:
            found.append(
                Violation(
                    self.vehicle, "shift", early, "s", self.start_depot,
                    f"leaves {self.start_depot} {early:.0f} s before its shift starts or the "
                    "depot opens",
                )
            )  # fmt: skip
        late_home = self.end_s - self.shift_end_s
        if late_home > _TOLERANCE_S:
            found.append(
                Violation(
                    self.vehicle, "shift", late_home, "s", self.end_depot,
                    f"is back at {self.end_depot} {late_home:.0f} s after its shift ends or the "
                    "depot closes",
                )
            )  # fmt: skip
        long_s = self.duration_s - self.max_duration_s
        if long_s > _TOLERANCE_S:
            found.append(
                Violation(
                    self.vehicle, "duration", long_s, "s", self.end_depot,
                    f"is on duty {long_s:.0f} s longer than its longest route of "
                    f"{self.max_duration_s:.0f} s",
                )
            )  # fmt: skip
        if self.soc_min_kwh is not None and self.reserve_kwh is not None:
            short = self.reserve_kwh - self.soc_min_kwh
            if short > 1e-6:
                found.append(
                    Violation(
                        self.vehicle, "battery", short, "kWh", self.end_depot,
                        f"runs its battery down to {self.soc_min_kwh:.2f} kWh, {short:.2f} kWh "
                        f"below the reserve of {self.reserve_kwh:g} kWh",
                    )
                )  # fmt: skip
        return tuple(found)

    @property
    def feasible(self) -> bool:
        """Whether the route keeps every limit: capacity, windows, shift, depot hours, duration, battery."""
        return not self.violations

    def summary(self) -> dict[str, Any]:
        """Return the route's scalar fields and totals (one row of the vehicles table)."""
        out: dict[str, Any] = {
            "vehicle": self.vehicle,
            "vehicle_type": self.vehicle_type,
            "model": self.model,
            "energy_carrier": self.energy_carrier,
            "start_depot": self.start_depot,
            "end_depot": self.end_depot,
            "stops": len(self.stops),
            "start_s": self.start_s,
            "end_s": self.end_s,
            "duration_s": self.duration_s,
            "service_s": self.service_s,
            "wait_s": self.wait_s,
            "capacity_kg": self.capacity_kg,
            "delivered_kg": self.delivered_kg,
            "legal_profile": self.legal_profile,
        }
        for name in SUMMED:
            out[name] = getattr(self, name)
        out |= {
            "loaded_distance_m": self.loaded_distance_m,
            "empty_distance_m": self.empty_distance_m,
            "load_factor": self.load_factor,
            "co2e_wtw_g_per_tkm": self.co2e_wtw_g_per_tkm,
            "co2e_wtw_g_per_km": self.co2e_wtw_g_per_km,
            "cost": self.cost,
            "late_s": self.late_s,
            "overtime_s": self.overtime_s,
            "feasible": self.feasible,
            "trip": self.trip,
            "battery_kwh": self.battery_kwh,
            "reserve_kwh": self.reserve_kwh,
            "soc_start_kwh": self.soc_start_kwh,
            "soc_end_kwh": self.soc_end_kwh,
            "soc_end_pct": self.soc_end_pct,
            "soc_min_kwh": self.soc_min_kwh,
            "regeneration_lost_kwh": self.regeneration_lost_kwh,
            "charged_kwh": self.charged_kwh,
            "charge_s": self.charge_s,
            "grid_g_per_kwh": self.grid_g_per_kwh,
            "grid_wtw_g_per_kwh": self.grid_wtw_g_per_kwh,
            "charging_efficiency": self.charging_efficiency,
        }
        return out


#: Lateness or overtime below this many seconds is float noise, not a broken limit.
_TOLERANCE_S = 1e-3


@dataclass(frozen=True)
class Violation:
    """
    One limit a route breaks: which vehicle, which constraint, by how much.

    ``constraint`` is ``"capacity"`` (kg), ``"time_window"``, ``"shift"``
    (shift or depot hours), ``"duration"`` (s) or ``"battery"`` (kWh below
    the reserve); ``amount`` is in ``unit``; ``at`` is the stop or depot
    where it shows (the late stop; the depot for the others).
    """

    vehicle: str
    constraint: str
    amount: float
    unit: str
    at: str
    message: str


@dataclass(frozen=True)
class Unassigned:
    """
    A stop the plan does not serve, and why.

    ``reason`` is one of ``"over_capacity"`` (heavier than any vehicle that
    reaches it carries), ``"unreachable"`` (no road path from a depot and
    back), ``"range"`` (no battery vehicle that could carry it gets there
    and back on one charge; the message gives the energy needed against
    the usable battery), ``"time_window"`` (no vehicle can get there within its window and
    still return within its shift), ``"not_worth_prize"`` (optional, and
    serving it would add more to the objective than its prize),
    ``"no_room"`` (each vehicle could serve it alone, but the fleet cannot
    fit all required stops into its routes) or ``"not_planned"`` (not in the
    routes given to :func:`ecoroute.fleet.evaluate_routes`).
    """

    stop: str
    reason: str
    message: str


@dataclass(frozen=True)
class Savings:
    """
    How the plan compares with a baseline plan for the same fleet and stops.

    Positive ``*_saved_*`` values mean the plan emits less; positive
    ``extra_*`` values mean it takes longer or drives further.

    ``road_choice`` and ``vehicle_choice`` split each saving (grams, per
    quantity) into two parts that add up to it exactly. Let ``B`` be the
    baseline and ``P`` the plan; ``B~`` is the baseline's stop sequences and
    vehicles driven on the plan's paths (e.g. least-CO2 between each pair of
    consecutive stops), ``P~`` the plan's sequences driven on the baseline's
    paths. Road choice is what changing paths saves with the stops and
    vehicles held fixed, ``[(B - B~) + (P~ - P)] / 2``; vehicle choice is what
    changing which vehicle serves which stops, and in which order, saves
    with the path rule held fixed, ``[(B - P~) + (B~ - P)] / 2`` (the
    two-factor Shapley split: the average over both orders of making the
    two changes). ``orders`` keeps the one-sided values.

    ``routing`` and ``assignment`` split the same saving a second way, as a
    dispatcher would make the changes, one after the other: baseline ``B``
    -> ``R`` -> plan ``P``. ``R`` (``rerouted``) keeps the baseline's
    assignment, the same stops on a vehicle of the same type, and plans each
    vehicle's stops again as the plan is planned: ordered by the solver for
    that vehicle alone under the plan's objective and driven on the plan's
    paths (least-CO2 ones for ``"co2"``). Routing is ``B - R``, what keeping
    today's assignment and routing it for the objective saves; assignment
    (vehicle choice) is ``R - P``, what choosing which vehicle serves which
    stops saves on top. They add up to ``B - P`` exactly, per quantity. With
    a single vehicle there is nothing to assign: ``R`` is ``P`` and
    assignment is 0. Either part can be negative: routing where the solver's
    order, chosen on matrices at a constant payload, emits more at the
    payload really on board than the baseline's order; assignment where the
    full plan ends worse than the re-routed baseline (too few iterations).
    Where a vehicle's re-planned route would leave a stop out or break a
    limit (e.g. a window the slower least-CO2 paths miss), and always for
    plans with ``departure=`` and types with ``trips > 1`` (not re-planned
    yet), ``R`` keeps the baseline's order on the plan's paths.
    ``rerouted_routes`` lists ``R``'s routes as ``(vehicle type, stop ids in
    order)``, to score with :func:`ecoroute.fleet.evaluate_routes`;
    ``resequenced`` counts those whose order differs from the baseline's.

    ``baseline_unserved`` lists stops the plan serves but the baseline could
    not (e.g. a window met only on the plan's paths); when it is not empty
    the two plans do not deliver the same and the saving is understated or
    overstated accordingly.
    """

    baseline: str
    co2_saved_g: float
    co2e_wtw_saved_g: float
    co2e_wtw_saved_pct: float
    extra_duration_s: float
    extra_driving_s: float
    extra_distance_m: float
    road_choice: dict[str, float]
    vehicle_choice: dict[str, float]
    orders: dict[str, dict[str, float]]
    baseline_unserved: tuple[str, ...] = ()
    routing: dict[str, float] = field(default_factory=dict)
    assignment: dict[str, float] = field(default_factory=dict)
    rerouted: dict[str, float] = field(default_factory=dict)
    rerouted_routes: tuple[tuple[str, tuple[str, ...]], ...] = ()
    resequenced: int = 0

    def __repr__(self) -> str:
        return f"Savings({self._summary()})"

    def _summary(self) -> str:
        """The saving in one line: CO2e, its two steps, the extra time and distance."""
        parts = [
            (
                f"vs {self.baseline!r}: {_mass(self.co2e_wtw_saved_g)} CO2e WTW saved "
                f"({self.co2e_wtw_saved_pct:.1f} %)"
            )
        ]
        if self.routing:
            parts.append(
                f"routing {_mass(self.routing['co2e_wtw_g'])} + vehicle choice "
                f"{_mass(self.assignment['co2e_wtw_g'])}"
            )
        parts.append(
            f"{self.extra_duration_s / 60:+.1f} min on duty, {self.extra_distance_m / 1000:+.2f} km"
        )
        return ", ".join(parts)


@dataclass(frozen=True, eq=False)
class FleetPlan:
    """
    A fleet plan: routes on real roads, what they emit, and how that compares with baselines.

    Every number is computed by ecoroute's emission model on the legs' road
    paths at the payload on board (never the solver's objective).

    Attributes
    ----------
    objective
        What the plan minimises (``"co2"``, ``"co2e_wtw"``, ``"time"``, ``"distance"``, ``"cost"``).
    routes
        One :class:`VehicleRoute` per vehicle used.
    visits
        One :class:`Visit` per stop served.
    unassigned
        Stops left out, each with its reason.
    depots
        ``(id, lat, lon)`` of each depot, at the point of the road its routes
        start and end at (see :attr:`Visit.snap_m`).
    depot_snap_m
        Each depot's distance from its coordinates to that point, by id.
    baselines
        Plans for the same fleet and stops under other objectives, scored the same way.
    savings
        This plan against each baseline (see :class:`Savings`).
    solver
        Backend, iterations, run time, integer scale and status of each solve.
    timings
        Seconds spent on matrices, battery bounds (``battery_s``), solving and evaluation.
    carbon_price_per_t
        Money per tonne of WTW CO2e in ``cost``.
    """

    objective: str
    routes: tuple[VehicleRoute, ...]
    visits: tuple[Visit, ...]
    unassigned: tuple[Unassigned, ...]
    depots: tuple[tuple[str, float, float], ...]
    baselines: Mapping[str, FleetPlan] = field(default_factory=dict)
    savings: Mapping[str, Savings] = field(default_factory=dict)
    solver: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)
    carbon_price_per_t: float = 0.0
    depot_snap_m: Mapping[str, float] = field(default_factory=dict)
    _network: RoadNetwork | None = field(default=None, repr=False)
    _stop_points: Mapping[str, tuple[float, float]] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        totals = self.totals
        types = ", ".join(dict.fromkeys(route.vehicle_type for route in self.routes))
        parts = [
            f"objective={self.objective!r}",
            _count(totals["vehicles_used"], "vehicle") + (f" ({types})" if types else ""),
            f"{totals['stops_served']} stops served, {totals['stops_unassigned']} unassigned",
            f"{totals['distance_m'] / 1000:.2f} km",
            f"{totals['duration_s'] / 3600:.2f} h on duty",
            f"{_mass(totals['co2e_wtw_g'])} CO2e WTW",
        ]
        if totals["violations"]:
            parts.append(f"{totals['violations']} limits broken")
        parts += [saving._summary() for saving in self.savings.values()]
        return f"FleetPlan({'; '.join(parts)})"

    # ------------------------------------------------------------------ totals

    @property
    def totals(self) -> dict[str, Any]:
        """Plan totals: the summed quantities, intensities, cost, counts and feasibility."""
        out: dict[str, Any] = {name: _sum_routes(self.routes, name) for name in SUMMED}
        out["duration_s"] = float(sum(r.duration_s for r in self.routes))
        out["wait_s"] = float(sum(r.wait_s for r in self.routes))
        out["co2e_wtw_g_per_tkm"] = _ratio(out["co2e_wtw_g"], out["tkm"])
        out["co2e_wtw_g_per_km"] = _ratio(out["co2e_wtw_g"], out["distance_m"] / 1000.0)
        out["cost"] = float(sum(r.cost for r in self.routes))
        out["vehicles_used"] = len(self.routes)
        out["stops_served"] = len(self.visits)
        out["stops_unassigned"] = len(self.unassigned)
        out["delivered_kg"] = float(sum(r.delivered_kg for r in self.routes))
        out["feasible"] = all(r.feasible for r in self.routes)
        out["violations"] = len(self.violations)
        return out

    @property
    def violations(self) -> tuple[Violation, ...]:
        """Every limit any route breaks (see :attr:`VehicleRoute.violations`)."""
        return tuple(v for route in self.routes for v in route.violations)

    @property
    def grid_factors(self) -> dict[str, dict[str, float | None]]:
        """The electricity factors each electric vehicle type's emissions were computed with."""
        return {
            route.vehicle_type: {
                "grid_g_per_kwh": route.grid_g_per_kwh,
                "grid_wtw_g_per_kwh": route.grid_wtw_g_per_kwh,
                "charging_efficiency": route.charging_efficiency,
            }
            for route in self.routes
            if route.grid_g_per_kwh is not None
        }

    # ------------------------------------------------------------------ tables

    def to_dataframe(
        self, level: Literal["legs", "vehicles", "stops", "unassigned", "violations"] = "legs"
    ) -> pd.DataFrame:
        """
        Return one table of the plan.

        Parameters
        ----------
        level
            ``"legs"`` (default; one row per leg), ``"vehicles"`` (one row per
            vehicle used), ``"stops"`` (one row per stop served, with the
            allocated emissions), ``"unassigned"`` or ``"violations"`` (every
            limit a route breaks, with the amount).
        """
        import pandas as pd

        if level == "legs":
            rows = [leg.summary() for route in self.routes for leg in route.legs]
            columns = [f.name for f in fields(Leg) if f.name not in _HIDDEN]
            columns.append("co2e_wtw_g_per_tkm")
        elif level == "vehicles":
            rows = [route.summary() for route in self.routes]
            columns = list(rows[0]) if rows else ["vehicle"]
        elif level == "stops":
            rows = [asdict(visit) for visit in self.visits]
            columns = [f.name for f in fields(Visit)]
        elif level == "unassigned":
            rows = [asdict(u) for u in self.unassigned]
            columns = [f.name for f in fields(Unassigned)]
        elif level == "violations":
            rows = [asdict(v) for v in self.violations]
            columns = [f.name for f in fields(Violation)]
        else:
            msg = f"level must be legs, vehicles, stops, unassigned or violations, not {level!r}."
            raise ValueError(msg)
        return pd.DataFrame(rows, columns=columns)

    # ------------------------------------------------------------------ JSON

    def report(self) -> dict[str, Any]:
        """Return the whole report as plain data (what :meth:`to_json` writes)."""
        out: dict[str, Any] = {
            "method": METHOD,
            "objective": self.objective,
            "carbon_price_per_t": self.carbon_price_per_t,
            "totals": self.totals,
            "vehicles": [
                route.summary()
                | {"stop_ids": list(route.stops), "legs": [leg.summary() for leg in route.legs]}
                for route in self.routes
            ],
            "stops": [asdict(v) for v in self.visits],
            "unassigned": [asdict(u) for u in self.unassigned],
            "violations": [asdict(v) for v in self.violations],
            "grid_factors": self.grid_factors,
            "depots": [
                {"id": d, "lat": lat, "lon": lon, "snap_m": self.depot_snap_m.get(d)}
                for d, lat, lon in self.depots
            ],
            "baselines": {
                name: {
                    "totals": plan.totals,
                    "vehicles": [route.summary() for route in plan.routes],
                }
                for name, plan in self.baselines.items()
            },
            "savings": {name: asdict(s) for name, s in self.savings.items()},
            "solver": dict(self.solver),
            "timings": dict(self.timings),
        }
        return _json_safe(out)

    def to_json(self, path: str | Path | None = None, *, indent: int | None = 1) -> str:
        """
        Return the report as JSON, and write it to ``path`` if given.

        Infinite and NaN numbers (e.g. an intensity without payload) become ``null``.
        """
        text = json.dumps(self.report(), indent=indent, allow_nan=False)
        if path is not None:
            Path(path).write_text(text)
        return text

    # ------------------------------------------------------------------ maps

    def to_geojson(self) -> dict[str, Any]:
        """
        Return the plan as a GeoJSON FeatureCollection (a dict; ``json.dumps`` it to save).

        Features: one LineString per leg (its road path, properties as in the
        legs table plus ``kind="leg"``), one Point per stop served
        (``kind="stop"``), unassigned stop (``kind="unassigned"`` with the
        reason) and depot (``kind="depot"``). Coordinates are lon, lat.
        """
        network = self._require_network()
        features: list[dict[str, Any]] = []
        legs = [leg for route in self.routes for leg in route.legs]
        if legs:
            offsets = np.zeros(len(legs) + 1, dtype=np.int64)
            np.cumsum([leg.arcs.size for leg in legs], out=offsets[1:])
            arcs = np.concatenate([leg.arcs for leg in legs]).astype(np.int64)
            starts = np.array([leg.start_node for leg in legs], dtype=np.int64)
            coords, coord_offsets = network.paths_coordinates(starts, offsets, arcs)
            for i, leg in enumerate(legs):
                line = coords[coord_offsets[i] : coord_offsets[i + 1]]
                # From and to the snapped points, part-way along the first and last arcs.
                line = trim_path(network, line, leg.arcs, leg.start_fraction, leg.end_fraction)
                line = line.tolist()
                features.append(_feature("LineString", line, {"kind": "leg"} | leg.summary()))
        for visit in self.visits:
            lat, lon = self._stop_points[visit.stop]
            features.append(_feature("Point", [lon, lat], {"kind": "stop"} | asdict(visit)))
        for item in self.unassigned:
            lat, lon = self._stop_points[item.stop]
            properties = {"kind": "unassigned"} | asdict(item)
            features.append(_feature("Point", [lon, lat], properties))
        for depot, lat, lon in self.depots:
            properties = {"kind": "depot", "id": depot, "snap_m": self.depot_snap_m.get(depot)}
            features.append(_feature("Point", [lon, lat], properties))
        return _json_safe({"type": "FeatureCollection", "features": features})

    def plot(
        self, path: str | Path | None = None, *, title: str | None = None
    ) -> matplotlib.figure.Figure:
        """
        Draw the plan on its road network and return the figure; save a PNG if ``path`` is given.

        Each vehicle's route has its own colour (the legend gives its CO2e),
        depots are black squares, stops dots, unassigned stops red crosses.
        """
        from .mapping import plot_plan

        return plot_plan(self, path, title=title)

    def _require_network(self) -> RoadNetwork:
        if self._network is None:
            msg = "This FleetPlan is not attached to a road network."
            raise ValueError(msg)
        return self._network


_HIDDEN = {"arcs", "start_node", "start_fraction", "end_fraction"}


def _sum_legs(legs: tuple[Leg, ...], name: str) -> float | None:
    values = [getattr(leg, name) for leg in legs]
    if values and all(v is None for v in values):
        return None
    return float(sum(v for v in values if v is not None))


def _sum_routes(routes: tuple[VehicleRoute, ...], name: str) -> float | None:
    values = [getattr(route, name) for route in routes]
    present = [v for v in values if v is not None]
    if values and not present:
        return None
    return float(sum(present))


def _count(n: int, noun: str) -> str:
    """``1 vehicle``, ``2 vehicles``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _mass(grams: float) -> str:
    """Grams as text with their unit: kg from a kilogram on, else g."""
    if abs(grams) >= 1000.0:
        return f"{grams / 1000.0:.2f} kg"
    return f"{grams:.1f} g"


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.nan


def _feature(kind: str, coordinates: Any, properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": properties,
    }


def _json_safe(value: Any) -> Any:
    """Turn NumPy scalars into Python ones and NaN or infinity into None, recursively."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
