"""Score routes with the full emission model: every leg on its road path, at the payload on board."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .plan import Leg, VehicleRoute, Visit

if TYPE_CHECKING:
    from ..network import RoadNetwork
    from ..vehicles import Vehicle
    from .matrices import Profiles
    from .model import FleetInputs, ResolvedType

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PlannedRoute:
    """A route to score: vehicle type, stop indices in order, and when it leaves the depot."""

    type_index: int
    stops: tuple[int, ...]
    start_s: float


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
    expanded: dict[int, tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], int]] = {}
    by_type: dict[int, list[int]] = {}
    for r, route in enumerate(routes):
        by_type.setdefault(route.type_index, []).append(r)
    first_leg: dict[int, int] = {}
    for k, members in by_type.items():
        rtype = inputs.types[k]
        origins: list[int] = []
        destinations: list[int] = []
        for r in members:
            locations = _locations(routes[r], rtype, depots)
            first_leg[r] = len(origins)
            origins.extend(locations[:-1])
            destinations.extend(locations[1:])
        offsets, arcs, cost = profiles.paths(
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
            expanded[r] = (offsets, arcs, first_leg[r])

    scored: list[VehicleRoute] = []
    visits: list[Visit] = []
    counters: dict[int, int] = {}
    for r, route in enumerate(routes):
        counters[route.type_index] = counters.get(route.type_index, 0) + 1
        label = f"{inputs.types[route.type_index].name}#{counters[route.type_index]}"
        vehicle_route, route_visits = _score_route(
            network, inputs, route, label, expanded[r], depots
        )
        scored.append(vehicle_route)
        visits.extend(route_visits)
    return Evaluation(routes=tuple(scored), visits=tuple(visits))


def _score_route(
    network: RoadNetwork,
    inputs: FleetInputs,
    route: PlannedRoute,
    label: str,
    paths: tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], int],
    depots: int,
) -> tuple[VehicleRoute, list[Visit]]:
    rtype = inputs.types[route.type_index]
    vehicle = rtype.vehicle
    offsets, all_arcs, first = paths
    locations = _locations(route, rtype, depots)
    stops = list(route.stops)
    demand = inputs.demand_kg[stops]
    # Payload on leg k: every delivery still ahead (the last leg carries exactly 0).
    remaining = [float(demand[k:].sum()) for k in range(len(stops))] + [0.0]
    energy_name = rtype.fuel_quantity
    nodes = inputs.location_node

    legs: list[Leg] = []
    clock = route.start_s
    onboard_m = 0.0
    visit_rows: list[dict[str, float]] = []
    for k in range(len(locations) - 1):
        arcs = all_arcs[offsets[first + k] : offsets[first + k + 1]]
        payload = remaining[k]
        sums = _leg_sums(vehicle, network, arcs, payload)
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
                tkm=payload / 1000.0 * sums["distance_m"] / 1000.0,
                arcs=np.asarray(arcs, dtype=np.uint32),
                start_node=int(nodes[locations[k]]),
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
        max_duration_s=rtype.max_duration_s,
        shift_end_s=min(rtype.shift_end_s, end_close),
    )
    visits = _allocate(inputs, vehicle_route, visit_rows)
    return vehicle_route, visits


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
                onboard_m=row["onboard_m"],
                tkm=share_tkm,
                co2_ttw_g=share * route.co2_ttw_g,
                co2e_wtw_g=share * route.co2e_wtw_g,
            )
        )
    return visits


def _leg_sums(
    vehicle: Vehicle, network: RoadNetwork, arcs: npt.NDArray[np.uint32], payload_kg: float
) -> dict[str, float]:
    """Sum the vehicle's quantities over a path's arcs at ``payload_kg``."""
    if _takes_arcs(vehicle):
        values = vehicle.arc_quantities(network, payload_kg, arcs=arcs)
    else:  # a user's Vehicle subclass with the older signature: evaluate all arcs, pick the path
        index = np.asarray(arcs, dtype=np.intp)
        values = {k: v[index] for k, v in vehicle.arc_quantities(network, payload_kg).items()}
    return {name: float(np.sum(v)) for name, v in values.items()}


def _takes_arcs(vehicle: Vehicle) -> bool:
    try:
        return "arcs" in inspect.signature(vehicle.arc_quantities).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
        return False


def _locations(route: PlannedRoute, rtype: ResolvedType, depots: int) -> list[int]:
    return [rtype.start_depot, *(depots + i for i in route.stops), rtype.end_depot]


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
