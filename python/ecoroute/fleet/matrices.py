"""Travel matrices per vehicle type from the routing engine: cost, time and emissions on one path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._errors import FleetInputError
from ..routing import Router
from ..snapping import Endpoints, partway_pairs

if TYPE_CHECKING:
    from ..network import RoadNetwork
    from ..traffic import SpeedProfiles, TimedPaths
    from ..turns import TurnGraph, TurnRestrictions
    from .model import FleetInputs, ResolvedType
    from .timing import PlanClock

FloatArray = npt.NDArray[np.float64]

#: What each plan objective minimises, and the unit of its value.
OBJECTIVES: dict[str, str] = {
    "co2": "g CO2 (tank-to-wheel; electricity generation for EVs)",
    "co2e_wtw": "g CO2e well-to-wheel",
    "time": "s on duty (driving, waiting, service)",
    "distance": "m driven",
    "cost": "money (energy, carbon, km, hours, fixed)",
}


def od_matrices(
    router: Router,
    nodes: npt.NDArray[np.intp] | Endpoints,
    *,
    num_threads: int | None = None,
    departure: float | None = None,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """
    Return the all-pairs cost and every reported quantity between ``nodes``.

    ``nodes`` are dense node indices, or resolved locations
    (:class:`~ecoroute.snapping.Endpoints`: legs start and end part-way along
    the snapped roads, with ``departure`` or a time budget too, as
    :meth:`Router.matrix`).

    Entry ``[i, j]`` is the least-cost route from ``nodes[i]`` to ``nodes[j]``;
    every quantity (``time_s``, ``distance_m``, ``co2_g``, ...) is summed along
    that same route, so times match the path the cost was chosen on.
    Unreachable pairs are ``inf``.

    This is the only place fleet planning builds matrices: one
    :meth:`Router.matrix` call, the contraction hierarchy's many-to-many
    search on a prepared network (milliseconds), one search per pair in the
    threaded C++ core otherwise. With ``departure`` (seconds since Monday
    00:00) every arc is driven at the speed of that hour (the router's
    per-hour metric, see docs/traffic.md).
    """
    if isinstance(nodes, Endpoints):
        points: Any = nodes
    else:
        points = router.network.node_id[np.asarray(nodes, dtype=np.intp)]
    matrix = router.matrix(points, points, num_threads=num_threads, departure=departure)
    return np.asarray(matrix.cost), dict(matrix.quantities)


@dataclass(frozen=True)
class PathMetric:
    """
    How one vehicle type chooses its paths for one plan objective.

    ``router`` picks the path between two locations. What the solver pays for
    a leg is ``cost - per_second * time_s`` of that path; ``per_second`` is
    charged on the whole route duration instead (waiting and service too).
    """

    router: Router
    per_second: float
    per_vehicle: float


@dataclass(frozen=True)
class Profile:
    """Matrices of one (vehicle model, payload, objective): what the solver sees for a type."""

    metric: PathMetric
    leg_cost: FloatArray
    time_s: FloatArray
    quantities: dict[str, FloatArray]
    potential: FloatArray | None

    @property
    def reachable(self) -> npt.NDArray[np.bool_]:
        """Which location pairs have a path."""
        return np.isfinite(self.time_s)


class Profiles:
    """
    The matrices and routers of every vehicle type and objective, built on demand and shared.

    Vehicle types that share the vehicle model, the matrix payload and the
    path choice share one set of matrices (one C++ call); fastest and shortest
    paths are shared by every vehicle type (their weights are the network's
    free-flow times and lengths, whatever the vehicle).

    With a ``clock`` (a plan with ``departure=``, issue 12) every vehicle
    type's matrices and paths are those of the hour its routes leave in at
    the earliest (the router's metric of that hour, customized on the
    hierarchy); :meth:`use_slowest_hours` makes a type's leg times the
    slowest of a range of hours instead, :meth:`use_hour_mix` its leg costs
    and times a weighted mean of hours, and :meth:`timed_paths` routes legs
    exactly from their real departures for the replay.
    """

    def __init__(
        self,
        network: RoadNetwork,
        inputs: FleetInputs,
        *,
        num_threads: int = 0,
        max_extra_time: float | None = None,
        turns: TurnRestrictions | TurnGraph | None = None,
        clock: PlanClock | None = None,
        speeds: SpeedProfiles | None = None,
    ) -> None:
        self.network = network
        self.inputs = inputs
        self.num_threads = num_threads
        self.max_extra_time = max_extra_time
        self.turns = turns
        self.clock = clock
        self.speeds = speeds
        if clock is not None and speeds is None:
            from ..traffic import attached_speeds

            self.speeds = attached_speeds(network)
        self.nodes = inputs.location_node
        ends = inputs.location_ends
        if ends is None:
            ends = Endpoints.at_nodes(network, self.nodes)
        self.ends = ends
        self._routers: dict[Any, Router] = {}
        self._profiles: dict[Any, Profile] = {}
        self._slowest: dict[int, tuple[float, int]] = {}
        self._mix: dict[int, tuple[tuple[float, float], ...]] = {}
        self._cautious: set[int] = set()
        self.matrix_seconds = 0.0

    def sharing(self, inputs: FleetInputs) -> Profiles:
        """
        Profiles for ``inputs`` that reuse these routers and matrices.

        ``inputs`` must have the same depots and stops and differ in their
        vehicle types only (a subset, other counts): routers and matrices are
        keyed by vehicle model, payload and path choice, never by type index,
        so nothing is computed twice. Not for plans with a departure clock
        (its hour state is kept per type index).
        """
        if self.clock is not None:
            msg = "Profiles.sharing does not carry a departure clock's per-type hours."
            raise ValueError(msg)
        other = Profiles(
            self.network,
            inputs,
            num_threads=self.num_threads,
            max_extra_time=self.max_extra_time,
            turns=self.turns,
            speeds=self.speeds,
        )
        other._routers = self._routers
        other._profiles = self._profiles
        return other

    def metric(self, type_index: int, objective: str) -> PathMetric:
        """Return how vehicle type ``type_index`` picks paths and pays for ``objective``."""
        rtype = self.inputs.types[type_index]
        router_objective, per_second, per_vehicle = _path_objective(
            objective, rtype, self.inputs.carbon_price_per_t
        )
        if router_objective in _VEHICLE_FREE:
            # Fastest and shortest paths are the same for every vehicle: one router, one matrix.
            key: Any = router_objective
        else:
            key = (_vehicle_key(rtype), rtype.matrix_payload_kg, _freeze(router_objective))
        router = self._routers.get(key)
        if router is None:
            # A time budget bounds the paths of the emission objectives; fastest and
            # shortest paths need none, and cost mixes (refused up front) cannot take one.
            budget = self.max_extra_time if router_objective in BUDGETED_OBJECTIVES else None
            router = Router(
                self.network,
                rtype.vehicle,
                router_objective,
                payload_kg=rtype.matrix_payload_kg,
                num_threads=self.num_threads,
                max_extra_time=budget,
                turns=self.turns,
                speeds=self.speeds,
            )
            self._routers[key] = router
        return PathMetric(router=router, per_second=per_second, per_vehicle=per_vehicle)

    def profile(self, type_index: int, objective: str) -> Profile:
        """Return the matrices vehicle type ``type_index`` is planned with under ``objective``."""
        import time

        metric = self.metric(type_index, objective)
        start = self.start_hour_s(type_index)
        slowest = self._slowest.get(type_index)
        mix = self._mix.get(type_index)
        cautious = type_index in self._cautious
        key = (id(metric.router), metric.per_second, start, slowest, mix, cautious)
        found = self._profiles.get(key)
        if found is not None:
            return found
        started = time.perf_counter()
        if mix is None:
            cost, quantities = od_matrices(
                metric.router,
                self.points(metric.router),
                num_threads=self.num_threads,
                departure=start,
            )
        else:
            # Every leg's cost and quantities: the weighted mean over the hours.
            cost = self._zeros()
            quantities = {}
            for hour_s, share in mix:
                part, values = od_matrices(
                    metric.router,
                    self.points(metric.router),
                    num_threads=self.num_threads,
                    departure=hour_s,
                )
                cost = cost + share * part
                for name, matrix in values.items():
                    before = quantities.get(name)
                    quantities[name] = share * matrix if before is None else before + share * matrix
            if cautious:
                # The mix's costs, but no leg quicker than at the start hour.
                _, at_start = od_matrices(
                    metric.router,
                    self.points(metric.router),
                    num_threads=self.num_threads,
                    departure=start,
                )
                quantities["time_s"] = np.fmax(quantities["time_s"], at_start["time_s"])
        if slowest is not None:
            # Leg times of the slowest of these hours (each leg its own slowest hour).
            quantities = dict(quantities)
            first, hours = slowest
            for h in range(1, hours):
                _, later = od_matrices(
                    metric.router,
                    self.points(metric.router),
                    num_threads=self.num_threads,
                    departure=(first + h * 3600.0) % (168 * 3600.0),
                )
                quantities["time_s"] = np.fmax(quantities["time_s"], later["time_s"])
        self.matrix_seconds += time.perf_counter() - started
        time_s = quantities["time_s"]
        leg_cost = cost - metric.per_second * np.where(np.isfinite(time_s), time_s, 0.0)
        potential = None
        if metric.router.node_potential is not None:
            potential = point_potential(metric.router, self.points(metric.router))
        profile = Profile(
            metric=metric,
            leg_cost=leg_cost,
            time_s=time_s,
            quantities=quantities,
            potential=potential,
        )
        self._profiles[key] = profile
        return profile

    def points(self, router: Router) -> Endpoints:
        """
        The locations as ``router`` routes them: part-way along their roads.

        Every router does so, with a time budget (``max_extra_time``) too, as
        :meth:`Router.matrix` does.
        """
        return self.ends

    def paths(
        self,
        type_index: int,
        objective: str,
        origins: npt.NDArray[np.intp],
        destinations: npt.NDArray[np.intp],
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], FloatArray, FloatArray]:
        """
        Return the road paths of legs between locations, as the matrices chose them.

        Parameters
        ----------
        type_index, objective
            Whose paths: the vehicle type and the objective it was planned for.
        origins, destinations
            Location indices (depots first, then stops) of each leg.

        Returns
        -------
        tuple
            CSR offsets and arc indices of every leg's path, its cost, and
            the share of each path arc the leg drives (1 but for a first arc
            left, or a last arc entered, part-way; see :func:`driven_shares`):
            a quantity of a leg is the sum of its arcs' values times these.
        """
        router = self.metric(type_index, objective).router
        points = self.points(router)
        src = points.take(np.asarray(origins, dtype=np.intp))
        dst = points.take(np.asarray(destinations, dtype=np.intp))
        start = self.start_hour_s(type_index)
        partway = bool(src.partway.any() or dst.partway.any())
        if partway and start is None and router.budget is not None:  # each price part-way
            result = router._bounded_partway_pairs(
                src, dst, with_paths=True, threads=router.num_threads
            )
        elif partway and start is None:
            result = partway_pairs(router, src, dst, with_paths=True, num_threads=self.num_threads)
        elif partway:  # on the start hour's metric
            result = router._traffic_for(start).partway_departures(
                src,
                dst,
                start,
                with_paths=True,
                num_threads=self.num_threads,
                progress=False,
                time_dependent=False,
            )
        else:
            result = router.route_indices(src.node, dst.node, with_paths=True, departure=start)
        assert result.path_offsets is not None
        assert result.path_arcs is not None
        offsets, arcs = result.path_offsets, result.path_arcs
        share = driven_shares(
            offsets,
            result.source_arc,
            result.source_fraction,
            result.target_arc,
            result.target_fraction,
        )
        if (share <= 0.0).any():
            # Two locations at one point (a stop at the depot): the direct drive along
            # their arc is empty; the leg has no arc rather than one it does not drive.
            keep = share > 0.0
            kept = np.concatenate([[0], np.cumsum(keep)])
            offsets = kept[np.asarray(offsets, dtype=np.int64)].astype(np.uint64)
            arcs, share = arcs[keep], share[keep]
        return offsets, arcs, np.asarray(result.cost), share

    # -- departure-time-aware plans (issue 12)

    def start_hour_s(self, type_index: int) -> float | None:
        """
        Week seconds of the hour a type's routes leave in at the earliest (None: no clock).

        The hour of the later of the type's shift start (raised to the
        plan's departure) and its depot's opening: the matrices of this hour
        are what the solver plans the type on.
        """
        if self.clock is None:
            return None
        rtype = self.inputs.types[type_index]
        leaves = max(rtype.shift_start_s, self.inputs.depots[rtype.start_depot].open_s)
        return self.clock.hour_start_s(leaves)

    def reset_hours(self) -> None:
        """Plan every type on its start hour's matrices again (no slowest hours, no mix)."""
        self._slowest.clear()
        self._mix.clear()
        self._cautious.clear()

    def use_slowest_hours(self, type_index: int, hours: int) -> None:
        """From now on, plan a type's leg times on the slowest of ``hours`` hours from its start hour."""
        start = self.start_hour_s(type_index)
        if start is None or hours <= 1:
            return
        self._slowest[type_index] = (start, min(int(hours), 168))

    def use_hour_mix(
        self, type_index: int, seconds_by_hour: dict[float, float], *, cautious: bool = False
    ) -> None:
        """
        From now on, plan a type on the mean of hours' matrices weighted by driving time.

        ``seconds_by_hour`` maps the week seconds of an hour's start to the
        seconds the type's replayed routes drove in it. ``cautious``: leg
        times no shorter than at the start hour (the mix's costs only).
        """
        total = sum(seconds_by_hour.values())
        if self.clock is None or total <= 0:
            return
        self._slowest.pop(type_index, None)
        if cautious:
            self._cautious.add(type_index)
        else:
            self._cautious.discard(type_index)
        self._mix[type_index] = tuple(
            (hour % (168 * 3600.0), seconds / total)
            for hour, seconds in sorted(seconds_by_hour.items())
            if seconds > 0
        )

    def hour_mix(self, type_index: int) -> dict[int, float]:
        """The hours of week (0..167) a type is planned on and their weights ({} if one hour)."""
        found = self._mix.get(type_index, ())
        return {int(hour // 3600.0): share for hour, share in found}

    def _zeros(self) -> FloatArray:
        size = self.nodes.size
        return np.zeros((size, size))

    def slowest_hours(self, type_index: int) -> int:
        """How many hours a type's leg times are the slowest of (1: its start hour's)."""
        found = self._slowest.get(type_index)
        return 1 if found is None else found[1]

    def timed_paths(
        self,
        type_index: int,
        objective: str,
        origins: npt.NDArray[np.intp],
        destinations: npt.NDArray[np.intp],
        departures_s: FloatArray,
    ) -> TimedPaths:
        """
        Route legs between locations each from its departure (week seconds), exactly.

        Legs between snapped locations start and end part-way along their
        roads, as the planning matrices' legs do (``shares`` of the result).
        """
        from ..traffic import timed_paths

        router = self.metric(type_index, objective).router
        points = self.points(router)
        src = points.take(np.asarray(origins, dtype=np.intp))
        dst = points.take(np.asarray(destinations, dtype=np.intp))
        return timed_paths(router, src, dst, departures_s, num_threads=self.num_threads)


def driven_shares(
    offsets: npt.NDArray[np.uint64],
    source_arc: npt.NDArray[np.integer[Any]] | None,
    source_fraction: FloatArray | None,
    target_arc: npt.NDArray[np.integer[Any]] | None,
    target_fraction: FloatArray | None,
) -> FloatArray:
    """
    Share of each path arc a leg drives: its first arc from the source's fraction on.

    A leg from a point at fraction ``f`` of its first arc drives ``1 - f`` of
    it; a leg to a point at fraction ``g`` of its last arc drives ``g`` of it;
    a leg along one arc from ``f`` to ``g`` drives ``g - f`` of it. Every other
    arc counts whole. Quantities are linear in the driven length at the arc's
    speed and grade, so a part of an arc costs that part of its value
    (docs/turns.md, "Routes start and end part-way along the road").
    """
    bounds = np.asarray(offsets, dtype=np.int64)
    share = np.ones(int(bounds[-1]) if bounds.size else 0)
    legs = bounds.size - 1
    if legs <= 0:
        return share
    nonempty = bounds[1:] > bounds[:-1]
    if source_arc is not None and source_fraction is not None:
        leave = nonempty & (np.asarray(source_arc) >= 0)
        share[bounds[:-1][leave]] -= np.asarray(source_fraction)[leave]
    if target_arc is not None and target_fraction is not None:
        enter = nonempty & (np.asarray(target_arc) >= 0)
        share[bounds[1:][enter] - 1] -= 1.0 - np.asarray(target_fraction)[enter]
    return share


def point_potential(router: Router, points: Endpoints) -> FloatArray:
    """
    The router's node potential at every point, interpolated along its arc by fraction.

    A point at fraction ``f`` of arc ``u -> v`` gets ``(1 - f) phi(u) + f phi(v)``.
    Each part of a leg then has a reduced cost ``>= 0``: from ``u`` to the point
    it is ``f (w + phi(u) - phi(v))``, from the point to ``v`` ``(1 - f)`` of the
    same, and on the reverse arc (``v -> u``, the point at ``1 - f`` of it) the
    same shares of that arc's reduced cost; the direct drive from ``f`` to
    ``g`` on one arc is ``(g - f)`` of it. A leg is a sum of such parts and of
    whole arcs, so its reduced cost ``c + phi(i) - phi(j)`` is ``>= 0`` as for
    nodes (up to floating-point rounding, which the solver's problem clips).
    """
    phi = np.asarray(router.node_potential, dtype=np.float64)
    value = phi[np.asarray(points.node, dtype=np.intp)]
    on_arc = points.partway
    if on_arc.any():
        arc = np.asarray(points.arc, dtype=np.intp)[on_arc]
        f = np.asarray(points.fraction)[on_arc]
        network = router.network
        value[on_arc] = (1.0 - f) * phi[network.tail[arc]] + f * phi[network.head[arc]]
    return np.asarray(value, dtype=np.float64)


#: Router objectives whose arc weights do not depend on the vehicle (free-flow time, length).
_VEHICLE_FREE = ("time", "distance")


#: Plan objectives whose leg paths a ``max_extra_time`` budget bounds.
BUDGETED_OBJECTIVES = ("co2", "co2e_wtw")


def _path_objective(
    objective: str, rtype: ResolvedType, carbon_price_per_t: float
) -> tuple[Any, float, float]:
    """Return (Router objective, cost per second on duty, cost per vehicle used) for a type."""
    if objective in ("co2", "co2e_wtw", "distance"):
        return objective, 0.0, 0.0
    if objective == "time":
        return "time", 1.0, 0.0
    if objective != "cost":
        msg = f"Unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}."
        raise FleetInputError(msg)
    spec = rtype.spec
    per_second = spec.cost_per_hour / 3600.0
    weights: dict[str, float] = {}
    if carbon_price_per_t > 0:
        weights["co2e_wtw"] = carbon_price_per_t / 1e6
    if spec.cost_per_km > 0:
        weights["distance"] = spec.cost_per_km / 1000.0
    if per_second > 0:
        weights["time"] = per_second
    if spec.energy_price > 0:
        energy = rtype.fuel_quantity
        if energy == "fuel_kg":
            msg = (
                f"vehicle type {rtype.name!r}: energy_price is per litre or kWh, and this "
                "vehicle's fuel is a gas measured in kg; put its fuel cost in cost_per_km."
            )
            raise FleetInputError(msg)
        weights["energy" if energy == "energy_kwh" else "fuel"] = spec.energy_price
    if not weights:
        # Nothing on the road costs money: any path is as good; take the fastest.
        return "time", 0.0, spec.fixed_cost
    return weights, per_second, spec.fixed_cost


def _vehicle_key(rtype: ResolvedType) -> Any:
    """Types given by the same catalogue name share matrices; Vehicle objects by identity."""
    spec = rtype.spec.vehicle
    return ("name", spec) if isinstance(spec, str) else ("object", id(rtype.vehicle))


def _freeze(objective: str | dict[str, float]) -> Any:
    return objective if isinstance(objective, str) else tuple(sorted(objective.items()))


def finite_max(values: FloatArray) -> float:
    """Largest finite absolute value (0 for none)."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 0.0


__all__ = ["OBJECTIVES", "Profile", "Profiles", "driven_shares", "od_matrices", "point_potential"]
