"""Integer scaling for the VRP solver: objective units to int64, seconds rounded the safe way."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Largest objective value (in solver units) a whole plan may reach. PyVRP sums
#: int64 costs and multiplies constraint violations by penalty weights; keeping
#: every plan below 2**52 leaves three orders of magnitude of head-room under
#: 2**63 and keeps each value exact as a float64.
MAX_PLAN_UNITS = 2**52

#: Slack against float noise when rounding seconds (a leg of 10.0000000001 s is 10 s).
_SECOND_SLACK = 1e-6


def to_units(values: npt.ArrayLike, scale: float, name: str) -> IntArray:
    """
    Return ``values * scale`` rounded to the nearest integer, as int64.

    PyVRP stores every distance, duration, cost and load as int64 and would
    silently drop the fraction of a float (1.9 g becomes 1 g). Rounding to the
    nearest unit bounds the error by half a unit per value, and a plan's total
    by half a unit per leg.

    Raises
    ------
    ValueError
        If a value is NaN or infinite (unreachable pairs must be replaced first).
    OverflowError
        If a scaled value does not fit the plan budget :data:`MAX_PLAN_UNITS`.
    """
    array = np.asarray(values, dtype=np.float64) * scale
    if not np.isfinite(array).all():
        msg = f"{name} holds NaN or infinite values; they cannot be handed to the solver."
        raise ValueError(msg)
    if array.size and np.abs(array).max() >= MAX_PLAN_UNITS:
        msg = (
            f"{name} reaches {np.abs(array).max():.3g} solver units, beyond the int64 budget "
            f"of {MAX_PLAN_UNITS:.3g}."
        )
        raise OverflowError(msg)
    return np.rint(array).astype(np.int64)


def ceil_seconds(values: npt.ArrayLike) -> IntArray:
    """
    Return durations in whole seconds, rounded up.

    Travel and service times are rounded up so that a schedule the solver
    finds feasible stays feasible in real (fractional) seconds: every arrival
    happens no later than the solver believes.
    """
    array = np.asarray(values, dtype=np.float64)
    return np.ceil(np.maximum(array - _SECOND_SLACK, 0.0)).astype(np.int64)


def window_start(value: float) -> int:
    """Return the start of a time window in whole seconds, rounded up (never earlier)."""
    return max(0, math.ceil(value - _SECOND_SLACK))


def window_end(value: float, horizon: int) -> int:
    """Return the end of a time window in whole seconds, rounded down (never later)."""
    if not math.isfinite(value):
        return horizon
    return min(horizon, math.floor(value + _SECOND_SLACK))


def choose_scale(base: float, largest_plan_value: float) -> float:
    """
    Return the finest power-of-ten scale, at most ``base``, that keeps a plan in budget.

    ``largest_plan_value`` is an upper bound on any plan's objective in the
    objective's own units (grams, seconds, metres, money). The scale starts at
    ``base`` (e.g. 1000: milligrams) and is divided by ten until the bound fits
    :data:`MAX_PLAN_UNITS`.

    Raises
    ------
    OverflowError
        If even a scale of ``base / 10**12`` cannot hold the plan.
    """
    if not math.isfinite(largest_plan_value) or largest_plan_value < 0:
        msg = f"The plan's cost bound is {largest_plan_value}; it must be finite and >= 0."
        raise OverflowError(msg)
    scale = float(base)
    for _ in range(13):
        if largest_plan_value * scale < MAX_PLAN_UNITS:
            return scale
        scale /= 10.0
    msg = (
        f"A plan could cost up to {largest_plan_value:.3g} objective units, too much for the "
        "solver's int64 arithmetic at any resolution; check the inputs for absurd values "
        "(prizes, fixed costs, carbon price)."
    )
    raise OverflowError(msg)
