"""Score routes with the full emission model: every leg on its road path, at the payload on board."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..traffic import HOURS_PER_WEEK, SECONDS_PER_HOUR, timed_arc_quantities
from .battery import arc_values, state_of_charge, with_turns
from .plan import Leg, VehicleRoute, Visit
from .timing import ReplayedLeg, replay

if TYPE_CHECKING:
    from ..network import RoadNetwork
    from ..traffic import SpeedProfiles
    from ..turns import TurnGraph
    from .matrices import Profiles
    from .model import FleetInputs, ResolvedType

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PlannedRoute:
    """A route to score: vehicle type, stop indices in order, when it leaves, which trip (0: first)."""

    type_index: int
    stops: tuple[int, ...]
    start_s: float
    trip: int = 0


@dataclass(frozen=True)
class Evaluation:
    """Scored routes and the stops they serve."""

    routes: tuple[VehicleRoute, ...]
    visits: tuple[Visit, ...]


def evaluate(
    network: RoadNetwork,
    inputs: FleetInputs,
    profiles: Profiles,
    routes: Sequence[PlannedRoute],
    paths: str,
) -> Evaluation:
    """
    Expand every leg to its road path and score it at the payload it carries.

    Parameters
    ----------
    network, inputs, profiles
        The network, the resolved inputs and the shared routers.
    routes
        Routes to score (empty routes are skipped).
    paths
        Which objective's paths the legs follow (``"co2"``, ``"time"``, ...),
        as chosen for each vehicle type by :class:`Profiles`.

    Returns
    -------
    Evaluation
        One :class:`VehicleRoute` per non-empty route (legs, schedule,
        emissions, tonne-km, cost) and one :class:`Visit` per stop served.
        The payload leaving the depot is the sum of the route's demands; after
        each stop it drops by that stop's demand. Times are recomputed in
        fractional seconds from ``start_s``; a vehicle early at a stop waits
        for its window.
    """
    routes = [route for route in routes if route.stops]
    depots = len(inputs.depots)
    # Expand all legs of each vehicle type in one call.
    # Per route: CSR offsets and arcs of its type's legs, the share of each arc driven
    # (< 1 on arcs left or entered part-way), and the route's first leg in them.
    expanded: dict[int, tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], FloatArray, int]] = {}
    by_type: dict[int, list[int]] = {}
    for r, route in enumerate(routes):
        by_type.setdefault(route.type_index, []).append(r)
    first_leg: dict[int, int] = {}
    timed: list[list[ReplayedLeg] | None] = [None] * len(routes)
    if profiles.clock is not None:
        # A plan with a departure: every leg driven from its real start (issue 12).
        timed = list(replay(inputs, profiles, routes, paths))
        by_type = {}
        for r, legs in enumerate(timed):
            assert legs is not None
            sizes = [leg.arcs.size for leg in legs]
            offsets = np.zeros(len(legs) + 1, dtype=np.uint64)
            np.cumsum(sizes, out=offsets[1:])
            arcs = np.concatenate([leg.arcs for leg in legs]) if legs else np.empty(0, np.uint32)
            # Replayed legs start and end part-way, as the planning matrices' legs.
            shares = np.concatenate([leg.shares for leg in legs]) if legs else np.empty(0)
            expanded[r] = (offsets, arcs.astype(np.uint32), shares, 0)
    for k, members in by_type.items():
        rtype = inputs.types[k]
        origins: list[int] = []
        destinations: list[int] = []
        for r in members:
            locations = _locations(routes[r], rtype, depots)
            first_leg[r] = len(origins)
            origins.extend(locations[:-1])
            destinations.extend(locations[1:])
        offsets, arcs, cost, share = profiles.paths(
            k, paths, np.array(origins, dtype=np.intp), np.array(destinations, dtype=np.intp)
        )
        if not np.isfinite(cost).all():
            bad = int(np.flatnonzero(~np.isfinite(cost))[0])
            msg = (
                f"Leg {_location_id(inputs, origins[bad])} -> "
                f"{_location_id(inputs, destinations[bad])} has no road path for "
                f"{rtype.name}; the plan cannot be driven."
            )
            raise RuntimeError(msg)
        for r in members:
            expanded[r] = (offsets, arcs, share, first_leg[r])

    # The n-th route of a type in each trip slot is driven by that type's n-th vehicle.
    number: list[int] = []
    counters: dict[tuple[int, int], int] = {}
    for route in routes:
        slot = (route.type_index, route.trip)
        counters[slot] = counters.get(slot, 0) + 1
        number.append(counters[slot])
    # Score each vehicle's trips in order: a trip starts with the charge the last one left,
    # topped up by the depot's charger in between.
    order = sorted(range(len(routes)), key=lambda r: (number[r], routes[r].trip))
    scored: list[VehicleRoute | None] = [None] * len(routes)
    visits: list[list[Visit]] = [[] for _ in routes]
    last: dict[tuple[int, int], VehicleRoute] = {}
    # Turn-aware plans: what each turn adds (seconds, pulling away) is scored with its leg.
    turn_graphs = {
        k: profiles.metric(k, paths).router.turns for k in {r.type_index for r in routes}
    }
    for r in order:
        route = routes[r]
        rtype = inputs.types[route.type_index]
        label = f"{rtype.name}#{number[r]}"
        charge = _charge_before(rtype, last.get((route.type_index, number[r])), route.start_s)
        vehicle_route, route_visits = _score_route(
            network,
            inputs,
            route,
            label,
            expanded[r],
            depots,
            charge,
            timed[r],
            profiles,
            turn_graphs[route.type_index],
        )
        last[(route.type_index, number[r])] = vehicle_route
        scored[r] = vehicle_route
        visits[r] = route_visits
    done = tuple(v for v in scored if v is not None)
    return Evaluation(routes=done, visits=tuple(v for group in visits for v in group))


def _charge_before(
    rtype: ResolvedType, previous: VehicleRoute | None, start_s: float
) -> tuple[float, float, float]:
    """
    Return (charge leaving the depot, kWh, energy put in, kWh, charging time, s) for a trip.

    A first trip leaves with ``start_soc x battery_kwh``. A later one leaves
    with what the previous trip left plus what the depot's charger delivers
    between the two (``charger_kw`` x time), up to that same start level.
    """
    start = rtype.start_kwh
    if previous is None or previous.soc_end_kwh is None or rtype.charger_kw is None:
        return start, 0.0, 0.0
    left = previous.soc_end_kwh
    if left >= start:
        return left, 0.0, 0.0
    gap_h = max(0.0, start_s - previous.end_s) / 3600.0
    added = min(start - left, rtype.charger_kw * gap_h)
    return left + added, added, added / rtype.charger_kw * 3600.0


def _score_route(
    network: RoadNetwork,
    inputs: FleetInputs,
    route: PlannedRoute,
    label: str,
    paths: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], FloatArray, int],
    depots: int,
    charge: tuple[float, float, float],
    timed: Sequence[ReplayedLeg] | None = None,
    profiles: Profiles | None = None,
    turns: TurnGraph | None = None,
) -> tuple[VehicleRoute, list[Visit]]:
    rtype = inputs.types[route.type_index]
    vehicle = rtype.vehicle
    offsets, all_arcs, all_shares, first = paths
    locations = _locations(route, rtype, depots)
    stops = list(route.stops)
    demand = inputs.demand_kg[stops]
    # Payload on leg k: every delivery still ahead (the last leg carries exactly 0).
    remaining = [float(demand[k:].sum()) for k in range(len(stops))] + [0.0]
    energy_name = rtype.fuel_quantity
    nodes = inputs.location_node

    leg_sums: list[dict[str, float]] = []
    leg_energy: list[FloatArray] = []
    for k in range(len(locations) - 1):
        arcs = all_arcs[offsets[first + k] : offsets[first + k + 1]]
        values = arc_values(vehicle, network, arcs, remaining[k])
        # The first arc from the source's point on, the last up to the target's (part-way).
        shares = all_shares[offsets[first + k] : offsets[first + k + 1]]
        values = {name: np.asarray(v, dtype=np.float64) * shares for name, v in values.items()}
        if timed is not None:
            # Each arc at the hours it is driven in, at the payload on board (issue 12).
            assert profiles is not None
            assert profiles.speeds is not None
            leg = timed[k]
            values = timed_arc_quantities(
                vehicle,
                network,
                profiles.speeds,
                arcs,
                leg.entry_s,
                leg.arrival_week_s,
                values,
                payload_kg=remaining[k],
                shares=shares,
            )
        if turns is not None and arcs.size:
            speed = None
            if timed is not None:
                assert profiles is not None
                assert profiles.speeds is not None
                speed = _entry_speeds(network, profiles.speeds, arcs, timed[k].entry_s)
            # A replayed leg's times already hold the turns' seconds (entry times).
            values = with_turns(
                values, turns, arcs, vehicle, remaining[k], speed_kph=speed, timed=timed is not None
            )
        leg_sums.append({name: float(np.sum(v)) for name, v in values.items()})
        if timed is not None:
            leg_sums[-1]["time_s"] = timed[k].arrive_s - timed[k].depart_s
        if rtype.battery_kwh is not None:
            leg_energy.append(np.asarray(values["energy_kwh"], dtype=np.float64))
    trace = None
    if rtype.battery_kwh is not None:
        trace = state_of_charge(leg_energy, charge[0], rtype.battery_kwh)

    legs: list[Leg] = []
    clock = route.start_s
    onboard_m = 0.0
    visit_rows: list[dict[str, float]] = []
    for k in range(len(locations) - 1):
        arcs = all_arcs[offsets[first + k] : offsets[first + k + 1]]
        payload = remaining[k]
        sums = leg_sums[k]
        soc = None if trace is None else trace.leg_end_kwh[k]
        destination = locations[k + 1]
        arrive = clock + sums["time_s"]
        wait = late = 0.0
        if destination >= depots:
            i = destination - depots
            start_service = max(arrive, inputs.tw_start_s[i])
            wait = start_service - arrive
            late = max(0.0, start_service - inputs.tw_end_s[i])
            onboard_m += sums["distance_m"]
            visit_rows.append(
                {
                    "stop": i,
                    "arrive": arrive,
                    "service_start": start_service,
                    "wait": wait,
                    "late": late,
                    "onboard_m": onboard_m,
                    "soc": math.nan if soc is None else soc,
                }
            )
            next_clock = start_service + inputs.service_s[i]
        else:
            next_clock = arrive
        co2 = sums.get("co2_g", 0.0)
        wtw = sums.get("co2e_wtw_g", co2)
        ttw = 0.0 if rtype.is_electric else co2
        legs.append(
            Leg(
                vehicle=label,
                vehicle_type=rtype.name,
                index=k,
                origin=_location_id(inputs, locations[k]),
                destination=_location_id(inputs, destination),
                payload_kg=payload,
                distance_m=sums["distance_m"],
                time_s=sums["time_s"],
                depart_s=clock,
                arrive_s=arrive,
                wait_s=wait,
                late_s=late,
                fuel_l=sums.get("fuel_l") if energy_name == "fuel_l" else None,
                fuel_kg=sums.get("fuel_kg") if energy_name == "fuel_kg" else None,
                energy_kwh=sums.get("energy_kwh") if energy_name == "energy_kwh" else None,
                co2_g=co2,
                co2_ttw_g=ttw,
                co2e_wtt_g=wtw - ttw,
                co2e_wtw_g=wtw,
                co2_biogenic_g=_biogenic_co2_g(vehicle, sums),
                tkm=payload / 1000.0 * sums["distance_m"] / 1000.0,
                arcs=np.asarray(arcs, dtype=np.uint32),
                start_node=int(network.tail[arcs[0]]) if arcs.size else int(nodes[locations[k]]),
                soc_end_kwh=soc,
                start_fraction=_along(inputs, arcs, locations[k], first=True),
                end_fraction=_along(inputs, arcs, destination, first=False),
            )
        )
        clock = next_clock

    spec = rtype.spec
    distance_km = sum(leg.distance_m for leg in legs) / 1000.0
    duration_h = (clock - route.start_s) / 3600.0
    energy = sum(getattr(leg, energy_name) or 0.0 for leg in legs) if energy_name else 0.0
    wtw_t = sum(leg.co2e_wtw_g for leg in legs) / 1e6
    cost = (
        spec.fixed_cost
        + spec.cost_per_km * distance_km
        + spec.cost_per_hour * duration_h
        + spec.energy_price * energy
        + inputs.carbon_price_per_t * wtw_t
    )
    end_close = inputs.depots[rtype.end_depot].close_s
    vehicle_route = VehicleRoute(
        vehicle=label,
        vehicle_type=rtype.name,
        model=vehicle.name,
        energy_carrier=vehicle.energy_carrier,
        start_depot=inputs.depots[rtype.start_depot].id,
        end_depot=inputs.depots[rtype.end_depot].id,
        stops=tuple(inputs.stops[i].id for i in stops),
        legs=tuple(legs),
        start_s=route.start_s,
        end_s=clock,
        capacity_kg=rtype.capacity_kg,
        delivered_kg=float(demand.sum()),
        service_s=float(inputs.service_s[stops].sum()),
        cost=float(cost),
        legal_profile=vehicle.legal_summary() if hasattr(vehicle, "legal_summary") else "",
        max_duration_s=rtype.max_duration_s,
        shift_end_s=min(rtype.shift_end_s, end_close),
        trip=route.trip + 1,
        earliest_start_s=earliest_start(inputs, route.type_index),
        battery_kwh=rtype.battery_kwh,
        reserve_kwh=rtype.reserve_kwh if trace is not None else None,
        soc_start_kwh=charge[0] if trace is not None else None,
        soc_end_kwh=trace.leg_end_kwh[-1] if trace and trace.leg_end_kwh else None,
        soc_min_kwh=trace.min_kwh if trace is not None else None,
        regeneration_lost_kwh=trace.lost_kwh if trace is not None else None,
        charged_kwh=charge[1],
        charge_s=charge[2],
        grid_g_per_kwh=getattr(vehicle, "grid_g_per_kwh", None),
        grid_wtw_g_per_kwh=_wtw_grid(vehicle),
        charging_efficiency=getattr(vehicle, "charging_efficiency", None),
    )
    visits = _allocate(inputs, vehicle_route, visit_rows)
    return vehicle_route, visits


def _entry_speeds(
    network: RoadNetwork, speeds: SpeedProfiles, arcs: npt.NDArray[np.uint32], entry_s: FloatArray
) -> FloatArray:
    """Each arc's speed at the hour it is entered (free flow where it has no profile)."""
    index = np.asarray(arcs, dtype=np.intp)
    speed = np.asarray(network.speed_kph, dtype=np.float64)[index]
    known = speeds.arcs
    if not known.size:
        return speed
    row = np.minimum(np.searchsorted(known, index), known.size - 1)
    hit = known[row] == index
    hour = np.floor(np.asarray(entry_s, dtype=np.float64) / SECONDS_PER_HOUR).astype(np.int64)
    speed[hit] = speeds.speed_kph[row[hit], hour[hit] % HOURS_PER_WEEK]
    return speed


def _allocate(
    inputs: FleetInputs, route: VehicleRoute, rows: list[dict[str, float]]
) -> list[Visit]:
    """Share the route's emissions among its stops by tonne-km on board (ISO 14083 allocation)."""
    tkm = [inputs.demand_kg[int(row["stop"])] / 1000.0 * row["onboard_m"] / 1000.0 for row in rows]
    total = sum(tkm)
    visits = []
    for position, (row, share_tkm) in enumerate(zip(rows, tkm, strict=True), start=1):
        i = int(row["stop"])
        share = share_tkm / total if total > 0 else 1.0 / len(rows)
        visits.append(
            Visit(
                stop=inputs.stops[i].id,
                vehicle=route.vehicle,
                vehicle_type=route.vehicle_type,
                position=position,
                arrive_s=row["arrive"],
                service_start_s=row["service_start"],
                depart_s=row["service_start"] + float(inputs.service_s[i]),
                wait_s=row["wait"],
                late_s=row["late"],
                demand_kg=float(inputs.demand_kg[i]),
                snap_m=float(inputs.stop_snap_m[i]),
                snap_lat=float(inputs.location_lonlat[len(inputs.depots) + i, 1]),
                snap_lon=float(inputs.location_lonlat[len(inputs.depots) + i, 0]),
                onboard_m=row["onboard_m"],
                tkm=share_tkm,
                co2_ttw_g=share * route.co2_ttw_g,
                co2e_wtw_g=share * route.co2e_wtw_g,
                co2_biogenic_g=share * route.co2_biogenic_g,
                soc_kwh=None if math.isnan(row["soc"]) else row["soc"],
                soc_pct=None
                if math.isnan(row["soc"]) or not route.battery_kwh
                else 100.0 * row["soc"] / route.battery_kwh,
            )
        )
    return visits


def _biogenic_co2_g(vehicle: object, sums: dict[str, float]) -> float:
    """Biogenic CO2 of a leg's fuel (litres or kg), by the fuel's factor; 0 for fossil fuels and EVs."""
    spec = getattr(vehicle, "fuel_spec", None)
    if spec is None or spec.biogenic_co2_g_per_mj == 0.0:
        return 0.0
    kg = sums.get("fuel_kg")
    if kg is None:
        kg = sums.get("fuel_l", 0.0) * (spec.density_kg_per_l or 0.0)
    return float(kg * spec.lower_heating_value_mj_per_kg * spec.biogenic_co2_g_per_mj)


def _wtw_grid(vehicle: object) -> float | None:
    """The well-to-wheel grid factor an EV's co2e_wtw_g uses (None for other vehicles)."""
    grid = getattr(vehicle, "grid_g_per_kwh", None)
    if grid is None:
        return None
    wtw = getattr(vehicle, "grid_wtw_g_per_kwh", None)
    return float(grid if wtw is None else wtw)


def _locations(route: PlannedRoute, rtype: ResolvedType, depots: int) -> list[int]:
    return [rtype.start_depot, *(depots + i for i in route.stops), rtype.end_depot]


def _along(
    inputs: FleetInputs, arcs: npt.NDArray[np.uint32], location: int, *, first: bool
) -> float:
    """Where a leg leaves (``first``) or reaches a location along its first (last) arc."""
    ends = inputs.location_ends
    default = 0.0 if first else 1.0
    if ends is None or not arcs.size or ends.arc[location] < 0:
        return default
    arc = int(arcs[0] if first else arcs[-1])
    if arc == ends.arc[location]:
        return float(ends.fraction[location])
    if arc == ends.reverse_arc[location]:
        return 1.0 - float(ends.fraction[location])
    return default


def _location_id(inputs: FleetInputs, location: int) -> str:
    depots = len(inputs.depots)
    if location < depots:
        return inputs.depots[location].id
    return inputs.stops[location - depots].id


def earliest_start(inputs: FleetInputs, type_index: int) -> float:
    """When a vehicle of this type can leave its depot at the earliest."""
    rtype = inputs.types[type_index]
    return max(rtype.shift_start_s, inputs.depots[rtype.start_depot].open_s)


__all__ = ["Evaluation", "PlannedRoute", "earliest_start", "evaluate"]
