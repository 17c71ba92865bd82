"""
Battery limits for electric fleets: leg energy bounds for the solver, exact replay of charge.

The solver (PyVRP) sees one integer "distance" dimension per vehicle type and
can cap a route's total with ``max_distance``; it cannot see the payload drop
after each delivery. This module gives it, for every pair of locations, an
upper bound on the battery energy of that leg at any payload the leg can carry
(:func:`leg_energy_bounds`), and replays a planned route arc by arc at the
payload really on board (:func:`state_of_charge`): the replay is what the
report shows and what every plan is re-checked against. The reasoning, and its
limits, are in ``docs/fleet.md`` ("Electric vehicles and batteries").
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from ..network import RoadNetwork
    from ..turns import TurnGraph
    from ..vehicles import Vehicle
    from .matrices import Profiles
    from .model import FleetInputs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Pairs of locations expanded to road paths per call (bounds the memory of the arc lists).
_PAIRS_PER_CHUNK = 20_000


@dataclass(frozen=True)
class LegEnergy:
    """
    Battery energy of every leg of one vehicle type on the plan's paths, empty and full, kWh.

    ``empty_kwh[i, j]`` and ``full_kwh[i, j]`` are the energy of driving from
    location ``i`` to ``j`` (depots first, then stops) on the path the plan
    uses, with no payload and with ``full_kg`` on board; NaN where there is
    no path. ``peak_empty_kwh[i, j]`` is the most energy drawn at any point
    of that path with no payload (>= 0: before the first arc nothing is).
    :meth:`upper_kwh` turns them into bounds for the solver.
    """

    empty_kwh: FloatArray
    full_kwh: FloatArray
    full_kg: float
    peak_empty_kwh: FloatArray

    def upper_kwh(self, demand_kg: FloatArray, depots: int) -> FloatArray:
        """
        Bound each leg's energy over every payload it can carry in a route.

        A leg ``i -> j`` carries at least the demand of ``j`` (nothing into a
        depot) and at most ``full_kg`` less the demand of ``i``. Along a fixed
        path the battery energy is a convex function of the payload (the
        wheel power is affine in the mass; the battery model's efficiencies
        and regeneration cap make the energy convex in the wheel power), so
        it lies below the chord between its values empty and at ``full_kg``:
        the bound is the chord's larger value at the two ends of the leg's
        payload range.

        A leg into a depot (the way home, empty) counts the most energy drawn
        anywhere on it instead of its net energy: regeneration on the way
        down is not credited before the vehicle is home. The solver's route
        limit then holds exactly at the last stop and all the way home, not
        only at the end (``docs/fleet.md``).

        Parameters
        ----------
        demand_kg
            Demand of every stop (the inputs' order).
        depots
            Number of depots (the first locations).
        """
        n = self.empty_kwh.shape[0]
        demand = np.concatenate([np.zeros(depots), np.asarray(demand_kg, dtype=np.float64)])
        is_depot = np.arange(n) < depots
        low = np.broadcast_to(np.where(is_depot, 0.0, demand)[None, :], (n, n))
        high = np.maximum(self.full_kg - demand[:, None], low)
        high = np.where(is_depot[None, :], 0.0, high)
        low = np.minimum(low, high)
        if self.full_kg > 0.0:
            slope = (self.full_kwh - self.empty_kwh) / self.full_kg
        else:
            slope = np.zeros((n, n))
        upper = np.maximum(self.empty_kwh + slope * low, self.empty_kwh + slope * high)
        upper[:, is_depot] = self.peak_empty_kwh[:, is_depot]
        np.fill_diagonal(upper, 0.0)
        return np.asarray(upper, dtype=np.float64)


def arc_values(
    vehicle: Vehicle,
    network: RoadNetwork,
    arcs: npt.NDArray[np.uint32] | None,
    payload_kg: float,
) -> dict[str, FloatArray]:
    """Return the vehicle's quantities on ``arcs`` (all arcs if None) at ``payload_kg``."""
    if arcs is None:
        return dict(vehicle.arc_quantities(network, payload_kg))
    if _takes_arcs(vehicle):
        return dict(vehicle.arc_quantities(network, payload_kg, arcs=arcs))
    # A user's Vehicle subclass with the older signature: evaluate all arcs, pick the path.
    index = np.asarray(arcs, dtype=np.intp)
    return {k: v[index] for k, v in vehicle.arc_quantities(network, payload_kg).items()}


def with_turns(
    values: dict[str, FloatArray],
    turns: TurnGraph | None,
    arcs: npt.NDArray[np.uint32],
    vehicle: Vehicle,
    payload_kg: float,
    *,
    speed_kph: FloatArray | None = None,
    offsets: npt.NDArray[np.uint64] | None = None,
    timed: bool = False,
) -> dict[str, FloatArray]:
    """
    Add to each path arc's quantities what the turn into it adds (unchanged without turns).

    The turn's seconds, and the fuel or energy (and CO2) of pulling away again
    and of the auxiliaries while they pass, for ``vehicle`` at ``payload_kg``
    (:meth:`ecoroute.turns.TurnGraph.added_along`; ``speed_kph`` per path arc
    is the speed pulled away to). Only the quantities ``values`` holds are
    added to; ``timed`` leaves ``time_s`` alone (a time-dependent replay's
    times already hold the turns' seconds). ``offsets`` (CSR form) separates
    the paths when ``arcs`` holds several legs.
    """
    if turns is None or not arcs.size:
        return values
    added = turns.added_along(arcs, vehicle, payload_kg, speed_kph=speed_kph, offsets=offsets)
    out = dict(values)
    for name, extra in added.items():
        if name in out and not (timed and name == "time_s"):
            out[name] = np.asarray(out[name], dtype=np.float64) + extra
    return out


def driven_energy_kwh(
    arc_kwh: FloatArray,
    arcs: npt.NDArray[np.uint32],
    share: FloatArray,
    turns: TurnGraph | None,
    vehicle: Vehicle,
    payload_kg: float,
    offsets: npt.NDArray[np.uint64] | None = None,
) -> FloatArray:
    """
    Battery energy drawn on each arc of one leg's path (or of several, in CSR form), kWh.

    As :func:`ecoroute.fleet.evaluate.evaluate` scores a leg: each arc's
    energy (``arc_kwh``, one per path arc, at ``payload_kg``) times the share
    of it driven (< 1 on an arc left or entered part-way), plus, on a
    turn-aware network, what the turn into the arc adds (the energy of
    pulling away again and the auxiliaries over its seconds,
    :meth:`ecoroute.turns.TurnGraph.added_along`, at ``payload_kg``).
    ``offsets`` separates the paths when ``arcs`` holds several.
    """
    driven = {"energy_kwh": np.asarray(arc_kwh, dtype=np.float64) * share}
    return with_turns(driven, turns, arcs, vehicle, payload_kg, offsets=offsets)["energy_kwh"]


def leg_energy(
    network: RoadNetwork, inputs: FleetInputs, profiles: Profiles, type_index: int, objective: str
) -> LegEnergy:
    """
    Return the battery energy of every leg of a type, empty and full, on the plan's paths.

    Full is the type's capacity, or the demand of all stops if that is less.
    The paths are those ``objective`` picks for the type (the ones the plan
    will drive and the report evaluates); the emission model is evaluated
    twice per network arc, then summed along every path. On a turn-aware
    network every turn's energy counts too, at the same two payloads
    (:func:`driven_energy_kwh`): it is affine in the vehicle's mass, so the
    chord bound of :meth:`LegEnergy.upper_kwh` still holds.
    """
    rtype = inputs.types[type_index]
    vehicle = rtype.vehicle
    full = float(min(rtype.capacity_kg, float(inputs.demand_kg.sum())))
    turns = profiles.metric(type_index, objective).router.turns
    profile = profiles.profile(type_index, objective)
    n = profile.reachable.shape[0]
    reach = profile.reachable & ~np.eye(n, dtype=bool)
    empty_arcs = arc_values(vehicle, network, None, 0.0)["energy_kwh"]
    full_arcs = (
        empty_arcs if full <= 0.0 else arc_values(vehicle, network, None, full)["energy_kwh"]
    )
    at_empty = np.full((n, n), np.nan)
    at_full = np.full((n, n), np.nan)
    peak = np.full((n, n), np.nan)
    for matrix in (at_empty, at_full, peak):
        np.fill_diagonal(matrix, 0.0)
    origin, destination = np.nonzero(reach)
    for begin in range(0, origin.size, _PAIRS_PER_CHUNK):
        o = origin[begin : begin + _PAIRS_PER_CHUNK]
        d = destination[begin : begin + _PAIRS_PER_CHUNK]
        offsets, arcs, _, share = profiles.paths(type_index, objective, o, d)
        index = np.asarray(arcs, dtype=np.intp)
        # A leg from or to a point part-way along a road drives only part of its end arcs.
        empty = driven_energy_kwh(empty_arcs[index], arcs, share, turns, vehicle, 0.0, offsets)
        at_full[o, d] = _segment_sums(
            driven_energy_kwh(full_arcs[index], arcs, share, turns, vehicle, full, offsets),
            offsets,
        )
        at_empty[o, d] = _segment_sums(empty, offsets)
        peak[o, d] = _segment_peaks(empty, offsets)
    return LegEnergy(empty_kwh=at_empty, full_kwh=at_full, full_kg=full, peak_empty_kwh=peak)


def potential(distance: IntArray, reachable: npt.NDArray[np.bool_]) -> IntArray | None:
    """
    Return integer node potentials ``phi`` with ``distance[i, j] + phi[i] - phi[j] >= 0``.

    ``phi[j]`` is the least sum of legs ending at ``j`` from any location
    (Bellman-Ford from a virtual source joined to every location at 0), so
    the reduced legs are non-negative, and along a route from ``s`` to ``e``
    they sum to the route's own sum plus ``phi[s] - phi[e]``: a battery limit
    on the original sum is the same limit, shifted by that constant, on the
    reduced one. None if the legs hold a negative cycle (no such potential).
    """
    n = distance.shape[0]
    big = np.iinfo(np.int64).max // 4
    legs = np.where(reachable, distance, big)
    np.fill_diagonal(legs, 0)
    phi = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        relaxed = np.minimum(phi, (phi[:, None] + legs).min(axis=0))
        if np.array_equal(relaxed, phi):
            return phi
        phi = relaxed
    return None


@dataclass(frozen=True)
class ChargeTrace:
    """
    State of charge along a route, replayed arc by arc.

    Attributes
    ----------
    leg_end_kwh
        Charge at the end of each leg (arriving at its destination).
    min_kwh
        Lowest charge anywhere on the route (arc ends included).
    lost_kwh
        Energy the brakes recovered that a full battery could not take.
    """

    leg_end_kwh: tuple[float, ...]
    min_kwh: float
    lost_kwh: float


def state_of_charge(
    leg_arc_energy_kwh: list[FloatArray], start_kwh: float, battery_kwh: float
) -> ChargeTrace:
    """
    Replay a route's battery: draw each arc's energy in turn, never charging above ``battery_kwh``.

    With ``C_t`` the energy used over the first ``t`` arcs (``C_0 = 0``), the
    charge after arc ``t`` is ``min(start, battery + min_{r <= t} C_r) - C_t``:
    the recursion ``s_t = min(battery, s_{t-1} - e_t)`` in closed form.
    """
    sizes = [e.size for e in leg_arc_energy_kwh]
    energy = np.concatenate(leg_arc_energy_kwh) if sizes else np.zeros(0)
    used = np.concatenate([[0.0], np.cumsum(energy)])
    soc = np.minimum(start_kwh, battery_kwh + np.minimum.accumulate(used)) - used
    ends = np.cumsum(sizes)
    leg_end = tuple(float(soc[e]) for e in ends)
    lost = float(start_kwh - used[-1] - soc[-1])
    return ChargeTrace(leg_end_kwh=leg_end, min_kwh=float(soc.min()), lost_kwh=max(0.0, lost))


def price_per_kwh(inputs: FleetInputs, type_index: int, objective: str) -> float:
    """
    Return what one battery kWh adds to ``objective`` for this type (objective units), or 0.

    For an EV the ``co2`` and ``co2e_wtw`` leg costs are the battery energy
    times a constant (the grid factor over the charging efficiency), and the
    ``cost`` objective's energy price and carbon price are per kWh too; the
    ``time`` objective prices seconds, not energy (0 here).
    """
    vehicle = inputs.types[type_index].vehicle
    if objective == "co2":
        return float(getattr(vehicle, "co2_g_per_battery_kwh", 0.0))
    if objective == "co2e_wtw":
        return float(getattr(vehicle, "co2e_wtw_g_per_battery_kwh", 0.0))
    if objective == "cost":
        spec = inputs.types[type_index].spec
        wtw = float(getattr(vehicle, "co2e_wtw_g_per_battery_kwh", 0.0))
        return float(spec.energy_price) + inputs.carbon_price_per_t * wtw / 1e6
    return 0.0


def has_distance_price(inputs: FleetInputs, type_index: int, objective: str) -> bool:
    """Whether ``objective`` prices metres for this type (``distance``, or ``cost`` per km)."""
    if objective == "distance":
        return True
    return objective == "cost" and inputs.types[type_index].spec.cost_per_km > 0


def metres_per_kwh(
    profiles: Profiles, type_index: int, objective: str, upper_kwh: FloatArray
) -> float:
    """
    Mean metres per battery kWh over the type's legs (the stand-in price of a metre).

    The kWh are the legs' energy bounds (what the solver is given), so that a
    plan's stand-in cost is its metres, on average over the legs.
    """
    profile = profiles.profile(type_index, objective)
    reach = profile.reachable & ~np.eye(profile.reachable.shape[0], dtype=bool)
    metres = float(np.sum(profile.quantities["distance_m"][reach]))
    kwh = float(np.sum(upper_kwh[reach]))
    return metres / kwh if kwh > 0.0 else 0.0


def _segment_sums(values: FloatArray, offsets: npt.NDArray[np.uint64]) -> FloatArray:
    starts = np.asarray(offsets, dtype=np.int64)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    return np.asarray(cumulative[starts[1:]] - cumulative[starts[:-1]], dtype=np.float64)


def _segment_peaks(values: FloatArray, offsets: npt.NDArray[np.uint64]) -> FloatArray:
    """Largest running sum within each segment (0 for an empty one, and at least 0)."""
    starts = np.asarray(offsets, dtype=np.int64)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    out = np.zeros(starts.size - 1)
    filled = starts[1:] > starts[:-1]
    if values.size:
        highest = np.maximum.reduceat(cumulative[1:], np.minimum(starts[:-1], values.size - 1))
        out[filled] = highest[filled] - cumulative[starts[:-1][filled]]
    return np.maximum(out, 0.0)


def _takes_arcs(vehicle: Vehicle) -> bool:
    try:
        return "arcs" in inspect.signature(vehicle.arc_quantities).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
        return False


__all__ = [
    "ChargeTrace",
    "LegEnergy",
    "arc_values",
    "driven_energy_kwh",
    "has_distance_price",
    "leg_energy",
    "metres_per_kwh",
    "potential",
    "price_per_kwh",
    "state_of_charge",
    "with_turns",
]
