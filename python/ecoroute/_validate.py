"""Input checks shared by the public API: dtypes, shapes, ranges, NaN."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt


def as_float_array(
    values: npt.ArrayLike,
    name: str,
    *,
    size: int | None = None,
    min_value: float | None = None,
    min_exclusive: bool = False,
    max_value: float | None = None,
    allow_inf: bool = False,
) -> npt.NDArray[np.float64]:
    """Return ``values`` as a 1-D float64 array, or raise a ValueError naming the problem."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        msg = f"{name} must be numeric, not {array.dtype}."
        raise TypeError(msg)
    array = np.ascontiguousarray(array, dtype=np.float64)
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional, got shape {array.shape}."
        raise ValueError(msg)
    if size is not None and array.size != size:
        msg = f"{name} must have {size} entries, got {array.size}."
        raise ValueError(msg)
    bad = np.isnan(array) if allow_inf else ~np.isfinite(array)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        what = "NaN" if allow_inf else "NaN or infinite"
        msg = f"{name} is {what} at index {index} ({array[index]})."
        raise ValueError(msg)
    if min_value is not None:
        low = array <= min_value if min_exclusive else array < min_value
        if low.any():
            index = int(np.flatnonzero(low)[0])
            relation = ">" if min_exclusive else ">="
            msg = f"{name} must be {relation} {min_value}; index {index} is {array[index]}."
            raise ValueError(msg)
    if max_value is not None:
        high = array > max_value
        if high.any():
            index = int(np.flatnonzero(high)[0])
            msg = f"{name} must be <= {max_value}; index {index} is {array[index]}."
            raise ValueError(msg)
    return array


def as_index_array(
    values: npt.ArrayLike, name: str, *, size: int | None = None, upper: int | None = None
) -> npt.NDArray[np.uint32]:
    """Return integer ``values`` as uint32 node or arc indices in ``0 .. upper - 1``."""
    array = np.asarray(values)
    if array.size == 0:
        return np.empty(0, dtype=np.uint32)
    if array.dtype.kind not in "iu":
        msg = f"{name} must hold integers, not {array.dtype}."
        raise TypeError(msg)
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional, got shape {array.shape}."
        raise ValueError(msg)
    if size is not None and array.size != size:
        msg = f"{name} must have {size} entries, got {array.size}."
        raise ValueError(msg)
    low = int(array.min())
    if low < 0:
        msg = f"{name} holds a negative index ({low})."
        raise IndexError(msg)
    if upper is not None:
        high = int(array.max())
        if high >= upper:
            msg = f"{name} holds index {high}, but only 0..{upper - 1} exist."
            raise IndexError(msg)
    return np.ascontiguousarray(array, dtype=np.uint32)


def as_int64_array(
    values: npt.ArrayLike, name: str, *, size: int | None = None
) -> npt.NDArray[np.int64]:
    """Return integer ``values`` (ids) as a 1-D int64 array."""
    array = np.asarray(values)
    if array.size and array.dtype.kind not in "iu":
        msg = f"{name} must hold integers, not {array.dtype}."
        raise TypeError(msg)
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional, got shape {array.shape}."
        raise ValueError(msg)
    if size is not None and array.size != size:
        msg = f"{name} must have {size} entries, got {array.size}."
        raise ValueError(msg)
    if array.dtype == np.uint64 and array.size and int(array.max()) > np.iinfo(np.int64).max:
        msg = f"{name} holds ids above the int64 range."
        raise ValueError(msg)
    return np.ascontiguousarray(array, dtype=np.int64)


def read_only(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Mark ``array`` read-only and return it."""
    array.flags.writeable = False
    return array


#: Largest thread count accepted anywhere (``num_threads``, ``threads``). Far above
#: any machine's core count, far below what would overflow the C++ ``int``.
MAX_THREADS = 4096


def check_threads(value: object, name: str = "num_threads") -> int:
    """
    Return a thread count (0 = every core) as an int, or raise saying what is allowed.

    Raises
    ------
    TypeError
        For booleans, floats and strings (``True`` is not one thread).
    ValueError
        For counts below 0 or above :data:`MAX_THREADS`.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        msg = (
            f"{name} must be a whole number of threads (0 = every core), "
            f"not {type(value).__name__} {value!r}."
        )
        raise TypeError(msg)
    count = int(value)
    if count < 0 or count > MAX_THREADS:
        msg = (
            f"{name}={count} is not a thread count: give 0 (every core, {os.cpu_count()} here) "
            f"or 1..{MAX_THREADS}."
        )
        raise ValueError(msg)
    return count


def check_node_argument(value: object, name: str) -> None:
    """
    Refuse a missing route end (``None``, NaN) with a message that says what a node is.

    Raises
    ------
    TypeError
        If ``value`` is None or a float NaN.
    """
    missing = value is None or (isinstance(value, float | np.floating) and np.isnan(value))
    if missing:
        msg = (
            f"{name} is {value!r}; give a node id (an integer: the OSM node id for OSM data, "
            "one of network.node_id) or a (lat, lon) pair of degrees to snap to the nearest node."
        )
        raise TypeError(msg)
