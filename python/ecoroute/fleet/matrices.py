"""Travel matrices per vehicle type from the routing engine: cost, time and emissions on one path."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._errors import FleetInputError
from ..routing import Router

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
    nodes: npt.NDArray[np.intp],
    *,
    num_threads: int | None = None,
    departure: float | None = None,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """
    Return the all-pairs cost and every reported quantity between ``nodes`` (dense indices).

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
    ids = router.network.node_id[np.asarray(nodes, dtype=np.intp)]
    matrix = router.matrix(ids, ids, num_threads=num_threads, departure=departure)
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
        self._routers: dict[Any, Router] = {}
        self._profiles: dict[Any, Profile] = {}
        self._slowest: dict[int, tuple[float, int]] = {}
        self._mix: dict[int, tuple[tuple[float, float], ...]] = {}
        self._cautious: set[int] = set()
        self.matrix_seconds = 0.0

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
                metric.router, self.nodes, num_threads=self.num_threads, departure=start
            )
        else:
            # Every leg's cost and quantities: the weighted mean over the hours.
            cost = self._zeros()
            quantities = {}
            for hour_s, share in mix:
                part, values = od_matrices(
                    metric.router, self.nodes, num_threads=self.num_threads, departure=hour_s
                )
                cost = cost + share * part
                for name, matrix in values.items():
                    before = quantities.get(name)
                    quantities[name] = share * matrix if before is None else before + share * matrix
            if cautious:
                # The mix's costs, but no leg quicker than at the start hour.
                _, at_start = od_matrices(
                    metric.router, self.nodes, num_threads=self.num_threads, departure=start
                )
                quantities["time_s"] = np.fmax(quantities["time_s"], at_start["time_s"])
        if slowest is not None:
            # Leg times of the slowest of these hours (each leg its own slowest hour).
            quantities = dict(quantities)
            first, hours = slowest
            for h in range(1, hours):
                _, later = od_matrices(
                    metric.router,
                    self.nodes,
                    num_threads=self.num_threads,
                    departure=(first + h * 3600.0) % (168 * 3600.0),
                )
                quantities["time_s"] = np.fmax(quantities["time_s"], later["time_s"])
        self.matrix_seconds += time.perf_counter() - started
        time_s = quantities["time_s"]
        leg_cost = cost - metric.per_second * np.where(np.isfinite(time_s), time_s, 0.0)
        potential = None
        if metric.router.node_potential is not None:
            potential = np.asarray(metric.router.node_potential)[self.nodes]
        profile = Profile(
            metric=metric,
            leg_cost=leg_cost,
            time_s=time_s,
            quantities=quantities,
            potential=potential,
        )
        self._profiles[key] = profile
        return profile

    def paths(
        self,
        type_index: int,
        objective: str,
        origins: npt.NDArray[np.intp],
        destinations: npt.NDArray[np.intp],
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], FloatArray]:
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
            CSR offsets and arc indices of every leg's path, and its cost.
        """
        router = self.metric(type_index, objective).router
        result = router.route_indices(
            self.nodes[origins],
            self.nodes[destinations],
            with_paths=True,
            departure=self.start_hour_s(type_index),
        )
        assert result.path_offsets is not None
        assert result.path_arcs is not None
        return result.path_offsets, result.path_arcs, result.cost

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
        """Route legs between locations each from its departure (week seconds), exactly."""
        from ..traffic import timed_paths

        router = self.metric(type_index, objective).router
        return timed_paths(
            router,
            self.nodes[origins].astype(np.uint32),
            self.nodes[destinations].astype(np.uint32),
            departures_s,
        )


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


__all__ = ["OBJECTIVES", "Profile", "Profiles", "od_matrices"]
