"""What a router minimises: objectives, their per-arc weights, and node potentials."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from . import _core

if TYPE_CHECKING:
    from .network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

Objective = Literal["co2", "co2e_wtw", "time", "distance", "fuel", "energy"] | Mapping[str, float]
Algorithm = Literal["auto", "dijkstra", "bidirectional", "astar", "bidirectional_astar", "cch"]

#: The algorithms the C++ core runs without preprocessing; all return equal costs.
ALGORITHMS = ("dijkstra", "bidirectional", "astar", "bidirectional_astar")

#: Objective names and the per-arc quantity (with its unit) each one minimises.
OBJECTIVE_QUANTITY: dict[str, str] = {
    "co2": "co2_g",
    "co2e_wtw": "co2e_wtw_g",
    "time": "time_s",
    "distance": "distance_m",
    "fuel": "fuel_l",
    "energy": "energy_kwh",
}

#: The algorithm names and the core's enum they select.
ALGORITHM_ENUM: dict[str, _core.Algorithm] = {
    name: _core.Algorithm.__members__[name] for name in (*ALGORITHMS, "cch")
}


def objective_weights_of(
    objective: Objective, quantities: Mapping[str, FloatArray]
) -> dict[str, float]:
    """Return {quantity: factor} for the objective, checking the vehicle reports each quantity."""
    if isinstance(objective, str):
        weights: Mapping[str, float] = {objective: 1.0}
    elif isinstance(objective, Mapping):
        weights = objective
    else:
        msg = f"objective must be a name or a dict of weights, not {type(objective).__name__}."
        raise TypeError(msg)
    if not weights:
        msg = "objective dict is empty; give at least one positive weight."
        raise ValueError(msg)
    out: dict[str, float] = {}
    for name, factor in weights.items():
        if name not in OBJECTIVE_QUANTITY:
            msg = f"Unknown objective {name!r}; choose from {', '.join(OBJECTIVE_QUANTITY)}."
            raise ValueError(msg)
        quantity = OBJECTIVE_QUANTITY[name]
        if quantity not in quantities:
            reported = ", ".join(k for k, v in OBJECTIVE_QUANTITY.items() if v in quantities)
            msg = f"This vehicle does not report {quantity}; objectives available: {reported}."
            raise ValueError(msg)
        value = float(factor)
        if not math.isfinite(value) or value < 0:
            msg = f"objective weight for {name!r} must be finite and >= 0, got {factor}."
            raise ValueError(msg)
        out[quantity] = value
    if not any(out.values()):
        msg = "objective needs at least one positive weight."
        raise ValueError(msg)
    # Roads of some length on which the objective costs nothing anywhere: every path ties.
    used = [quantity for quantity, value in out.items() if value > 0]
    has_length = np.any(np.asarray(quantities.get("distance_m", 0.0)))
    if has_length and not any(np.any(np.asarray(quantities[q])) for q in used):
        msg = (
            f"objective weighs only {', '.join(used)}, which is 0 on every arc for this "
            "vehicle, so every path would cost the same. A biofuel's fossil co2_g is 0 "
            "(HVO100, B100: route by 'co2e_wtw'); an EV on a zero-carbon grid: by 'energy'."
        )
        raise ValueError(msg)
    return out


def objective_potential(
    potentials: Mapping[str, FloatArray], weights: Mapping[str, float], node_count: int
) -> FloatArray | None:
    """Combine the vehicle's per-quantity node potentials with the objective's weights."""
    used = {q: f for q, f in weights.items() if q in potentials and f}
    if not used:
        return None
    total = np.zeros(node_count)
    for quantity, factor in used.items():
        phi = np.asarray(potentials[quantity], dtype=np.float64)
        if phi.shape != (node_count,) or not np.isfinite(phi).all():
            msg = f"The vehicle's {quantity} potential must be one finite value per node."
            raise ValueError(msg)
        total += factor * phi
    total.flags.writeable = False
    return total


def reduced_weight(
    network: RoadNetwork, weight: FloatArray, potential: FloatArray | None, vehicle: str
) -> FloatArray:
    """
    Return the weights the searches run on: the objective, shifted by the potential if any.

    Without a potential every weight must be >= 0. With one, the reduced cost
    ``w(u, v) + phi(u) - phi(v)`` must be >= 0 up to rounding; rounding
    residue (1e-9 of the magnitudes involved) is set to 0, anything larger
    means the vehicle model breaks its own energy bound and is reported.
    """
    if potential is None:
        bad = weight < 0
        if bad.any():
            arc = int(np.flatnonzero(bad)[0])
            msg = (
                f"{vehicle} gives arc {arc} a negative weight ({weight[arc]:.6g}) and no potential "
                "to shift it by; negative weights need Vehicle.node_potentials."
            )
            raise ValueError(msg)
        return weight
    tail, head = network.tail, network.head
    reduced = weight + potential[tail] - potential[head]
    scale = np.abs(weight) + np.abs(potential[tail]) + np.abs(potential[head])
    residue = reduced < 0
    if (reduced[residue] < -1e-9 * np.maximum(scale[residue], 1e-12)).any():
        arc = int(np.flatnonzero(residue & (reduced < -1e-9 * np.maximum(scale, 1e-12)))[0])
        msg = (
            f"{vehicle} recovers more on arc {arc} than its potential allows "
            f"(reduced cost {reduced[arc]:.6g}); the model must keep w(u, v) >= phi(v) - phi(u)."
        )
        raise ValueError(msg)
    reduced[residue] = 0.0
    return reduced


def objective_label(objective: Objective) -> str:
    if isinstance(objective, str):
        return objective
    return "+".join(f"{factor:g}*{name}" for name, factor in objective.items())
