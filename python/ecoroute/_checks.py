"""
Range checks of a loaded network's attachments: every index inside its array, every code in its set.

Checksums catch bytes damaged after a save; these checks catch values that
were wrong when they were written (a bug, a hand edit, another program's
file): a forbidden turn naming arc 99999 of a 1,234-arc network, a control
code 99, an access-tag index past its table. Unchecked, such values fail
later as a bare ``IndexError`` or silently drop a turn restriction.

:func:`check_attachments` runs on every :meth:`ecoroute.RoadNetwork.load` and
covers the ``turns.*`` attachments (:func:`ecoroute.turns.attach`) and the
``legal.*`` ones (:mod:`ecoroute.access`, written by :func:`ecoroute.load_osm`).
The core arrays (CSR offsets and heads, highway codes, shape offsets,
coordinates) and the contraction hierarchy are checked by the network's
constructor and :meth:`~ecoroute.RoadNetwork.prepared`. Every check is one
numpy reduction per array; where a bad value sits is searched for only once
one is found.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import access, osm_rules, turns
from ._errors import NetworkFileError

if TYPE_CHECKING:
    from .network import RoadNetwork

Array = npt.NDArray[Any]

#: The ``turns.*`` arrays :func:`ecoroute.turns.attached` cannot do without.
_TURN_ARRAYS = (
    "options",
    "forbidden",
    "via_way_offsets",
    "via_way_arcs",
    "via_way_only",
    "penalty_arcs",
    "penalty_s",
    "arc_controls",
)
#: ``turns.*`` arrays of ``(arc, arc)`` or ``(arc, control)`` rows.
_ROW_ARRAYS = ("forbidden", "penalty_arcs", "arc_controls", "approach_controls")
#: Intersection controls in a saved network: consecutive codes (checked as a range).
_CONTROLS = "1 (signals), 2 (stop) and 3 (give way)"
#: Every hazmat flag bit the loader sets (``legal.hazmat``).
_HAZMAT_BITS = osm_rules.HAZMAT_NO | osm_rules.HAZMAT_WATER_NO | osm_rules.HAZMAT_EXPLOSIVE_NO
#: Per-arc limits: above 0, ``inf`` for none, NaN for a tag with no usable number.
_LIMITS = (*access.LIMITS, "maxspeed_hgv_kph")

assert (turns.SIGNALS, turns.STOP, turns.GIVE_WAY) == (1, 2, 3), _CONTROLS
assert turns.NO_CONTROL == 0
assert _HAZMAT_BITS == 7  # the low three bits: a range check covers every combination
assert (access.OPEN, access.DESTINATION, access.CLOSED) == (0, 1, 2)


class _Corrupt(Exception):
    """A saved array that breaks its rule; the message names the array, not the file."""


def check_attachments(path: str | Path, network: RoadNetwork) -> None:
    """
    Check the ``turns.*``, ``legal.*`` and ``speeds.*`` attachments of a network loaded from ``path``.

    Raises
    ------
    NetworkFileError
        Naming the file, the array and its first bad value and position, e.g.
        "x.ecoroute is corrupted: turns.forbidden holds arc 99999 at row 3;
        the network has 1,234 arcs."
    """
    try:
        _check_turns(network)
        _check_legal(network)
        _check_speeds(network)
    except _Corrupt as error:
        msg = f"{path} is corrupted: {error}"
        raise NetworkFileError(msg) from None


# ---------------------------------------------------------------------- speeds


def _check_speeds(network: RoadNetwork) -> None:
    """
    Check the ``speeds.*`` profiles as :func:`ecoroute.traffic.attached_speeds` reads them.

    The profiles check themselves (arcs ascending and in range, speeds finite,
    above 0, at most ``MAX_SPEED_KPH``) against their own arc count; here that
    count must also be this network's.
    """
    if not any(name.startswith("speeds.") for name in network.attachments):
        return
    from .traffic import attached_speeds

    try:
        profiles = attached_speeds(network)
    except (ValueError, IndexError, TypeError) as error:
        msg = f"its speed profiles (speeds.*) are unreadable: {error}"
        raise _Corrupt(msg) from None
    assert profiles is not None
    if profiles.arc_count != network.arc_count:
        msg = (
            f"speeds.arc_count holds {profiles.arc_count:,}; the network has "
            f"{network.arc_count:,} arcs."
        )
        raise _Corrupt(msg)


# ---------------------------------------------------------------------- turns


def _check_turns(network: RoadNetwork) -> None:
    """Check the arrays :func:`ecoroute.turns.attach` saved, read as ``attached`` reads them."""
    prefix = "turns."
    saved = {
        name[len(prefix) :]: np.asarray(values)
        for name, values in network.attachments.items()
        if name.startswith(prefix)
    }
    if not saved:
        return
    missing = [name for name in _TURN_ARRAYS if name not in saved]
    if missing:
        msg = f"turns.{missing[0]} is missing; the other turns.* arrays cannot be read without it."
        raise _Corrupt(msg)
    m, n = network.arc_count, network.node_count
    _check_options(saved["options"], m, n)
    rows = {name: _rows(f"turns.{name}", saved[name]) for name in _ROW_ARRAYS if name in saved}
    arcs = f"the network has {m:,} arcs"
    for name in ("forbidden", "penalty_arcs"):
        _check_range(f"turns.{name}", rows[name], 0, m - 1, "arc", arcs)
    _check_turns_meet("turns.forbidden", rows["forbidden"], network)
    for name in ("arc_controls", "approach_controls"):
        if name in rows:
            _check_range(f"turns.{name}", rows[name][:, :1], 0, m - 1, "arc", arcs)
            rule = f"controls are {_CONTROLS}"
            _check_range(f"turns.{name}", rows[name][:, 1:], 1, 3, "control", rule)
    _check_penalties(saved["penalty_s"], len(rows["penalty_arcs"]))
    _check_via_ways(saved, network)
    if "node_control" in saved:
        _check_node_control(saved["node_control"], n)
    if "cch_order" in saved:
        via = _integers("turns.via_way_arcs", saved["via_way_arcs"])
        copies = via.size - 2 * saved["via_way_only"].size  # at most every via arc copied once
        _check_order(saved["cch_order"], m + 2 * n, m + 2 * n + copies)


def _check_options(options: Array, arc_count: int, node_count: int) -> None:
    """``[arc_count, node_count, u-turn code, intersection costs]``, for this network."""
    values = _integers("turns.options", options).ravel()
    if values.size != 4:
        msg = f"turns.options holds {values.size} values, not 4 (arcs, nodes, u-turns, costs)."
        raise _Corrupt(msg)
    if (int(values[0]), int(values[1])) != (arc_count, node_count):
        msg = (
            f"turns.options says {int(values[0]):,} arcs and {int(values[1]):,} nodes; "
            f"the network has {arc_count:,} and {node_count:,}."
        )
        raise _Corrupt(msg)
    u_turns, costs = int(values[2]), int(values[3])
    if not {u_turns, costs} <= {0, 1}:
        msg = f"turns.options holds u-turn code {u_turns} and cost flag {costs}; each is 0 or 1."
        raise _Corrupt(msg)


def _check_turns_meet(name: str, pairs: Array, network: RoadNetwork) -> None:
    """Each ``(a, b)`` row must be a turn: ``a`` ends where ``b`` starts."""
    if len(pairs) == 0:
        return
    apart = network.head[pairs[:, 0]] != network.tail[pairs[:, 1]]
    if apart.any():
        row = int(np.flatnonzero(apart)[0])
        a, b = (int(x) for x in pairs[row])
        msg = (
            f"{name} row {row} turns from arc {a} into arc {b}, "
            f"but arc {a} does not end where {b} starts."
        )
        raise _Corrupt(msg)


def _check_penalties(penalty_s: Array, turn_count: int) -> None:
    """One finite number of seconds >= 0 per row of ``turns.penalty_arcs``."""
    name = "turns.penalty_s"
    seconds = _numbers(name, penalty_s)
    if seconds.shape != (turn_count,):
        msg = (
            f"{name} holds {seconds.size:,} value(s) for the {turn_count:,} turn(s) "
            "of turns.penalty_arcs."
        )
        raise _Corrupt(msg)
    bad = ~(seconds >= 0) | ~np.isfinite(seconds)
    _report_first(name, seconds, bad, "penalty", "penalties are finite seconds >= 0")


def _check_via_ways(saved: dict[str, Array], network: RoadNetwork) -> None:
    """Sequence ``r`` is ``via_way_arcs[offsets[r]:offsets[r + 1]]``: from arc, via arcs, to arc."""
    offsets, arcs, only = (
        _vector(f"turns.{name}", _integers(f"turns.{name}", saved[name]))
        for name in ("via_way_offsets", "via_way_arcs", "via_way_only")
    )
    count = only.size
    if offsets.size != count + 1:
        msg = (
            f"turns.via_way_offsets holds {offsets.size:,} offsets; turns.via_way_only has "
            f"{count:,} sequences, so it needs {count + 1:,}."
        )
        raise _Corrupt(msg)
    name = "turns.via_way_offsets"
    _check_range(
        name, offsets, 0, arcs.size, "offset", f"turns.via_way_arcs has {arcs.size:,} arcs"
    )
    if offsets[0] != 0 or offsets[-1] != arcs.size:
        msg = (
            f"{name} runs from {offsets[0]} to {offsets[-1]}, not from 0 to {arcs.size:,} "
            "(the arcs in turns.via_way_arcs)."
        )
        raise _Corrupt(msg)
    length = np.diff(offsets)
    if (length < 0).any():
        i = int(np.flatnonzero(length < 0)[0]) + 1
        msg = (
            f"{name} holds offset {offsets[i]} at index {i}, after {offsets[i - 1]}; "
            "offsets must not decrease."
        )
        raise _Corrupt(msg)
    short = length < 3
    if short.any():
        r = int(np.flatnonzero(short)[0])
        msg = (
            f"{name} gives sequence {r} {length[r]} arc(s), from offset {offsets[r]}; "
            "a via-way restriction has a from arc, via arcs and a to arc (3 or more)."
        )
        raise _Corrupt(msg)
    m = network.arc_count
    _check_range("turns.via_way_arcs", arcs, 0, m - 1, "arc", f"the network has {m:,} arcs")
    _check_range("turns.via_way_only", only, 0, 1, "flag", "flags are 0 and 1")
    inside = np.ones(max(arcs.size - 1, 0), dtype=bool)
    inside[offsets[1:-1] - 1] = False  # no turn from the last arc of one sequence into the next
    apart = inside & (network.head[arcs[:-1]] != network.tail[arcs[1:]])
    if apart.any():
        i = int(np.flatnonzero(apart)[0])
        msg = (
            f"turns.via_way_arcs holds arc {arcs[i]} at index {i} and arc {arcs[i + 1]} after it, "
            f"but arc {arcs[i]} does not end where {arcs[i + 1]} starts."
        )
        raise _Corrupt(msg)


def _check_node_control(node_control: Array, node_count: int) -> None:
    """One control per node (0: none), or none saved (empty)."""
    name = "turns.node_control"
    codes = _vector(name, _integers(name, node_control))
    if codes.size not in (0, node_count):
        msg = f"{name} holds {codes.size:,} controls; the network has {node_count:,} nodes."
        raise _Corrupt(msg)
    _check_range(name, codes, 0, 3, "control", f"controls are 0 (none), {_CONTROLS}")


def _check_order(cch_order: Array, fewest: int, most: int) -> None:
    """A permutation of the turn-expanded graph's nodes (``fewest .. most`` of them), or empty."""
    name = "turns.cch_order"
    order = _vector(name, _integers(name, cch_order))
    size = order.size
    if size == 0:
        return
    if not fewest <= size <= most:
        nodes = f"{fewest:,}" if fewest == most else f"{fewest:,} to {most:,}"
        msg = f"{name} orders {size:,} nodes; the network's turn-expanded graph has {nodes}."
        raise _Corrupt(msg)
    _check_range(name, order, 0, size - 1, "node", f"it orders {size:,} nodes")
    seen = np.bincount(order, minlength=size)
    if (seen != 1).any():
        first = np.zeros(size, dtype=bool)
        first[np.unique(order, return_index=True)[1]] = True
        again = int(np.flatnonzero(~first)[0])
        msg = (
            f"{name} holds node {order[again]} again at index {again}; "
            f"it must name each of its {size:,} nodes once."
        )
        raise _Corrupt(msg)


# ---------------------------------------------------------------------- legal


def _check_legal(network: RoadNetwork) -> None:
    """Check the per-arc legal attributes the OSM loader keeps (:mod:`ecoroute.access`)."""
    prefix = access.LEGAL_PREFIX
    saved = {
        name[len(prefix) :]: np.asarray(values)
        for name, values in network.attachments.items()
        if name.startswith(prefix)
    }
    if not saved:
        return
    m = network.arc_count
    tag_count = _tag_count(saved.get("access_tags"))
    for mode in access.MODES:
        code = saved.get(f"access.{mode}")
        if code is None and "access.motorcar" in saved:
            msg = f"legal.access.{mode} is missing; every mode's access codes are read together."
            raise _Corrupt(msg)
        if code is not None:
            name = f"legal.access.{mode}"
            rule = "codes are 0 (open), 1 (destination only) and 2 (closed)"
            _check_range(name, _per_arc(name, code, m), 0, 2, "access code", rule)
        tag = saved.get(f"access_tag.{mode}")
        if tag is not None:
            name = f"legal.access_tag.{mode}"
            rule = f"legal.access_tags holds {tag_count:,} tags"
            _check_range(name, _per_arc(name, tag, m), 0, tag_count - 1, "tag index", rule)
    _check_conditional(saved, m)
    for field in _LIMITS:
        if field in saved:
            name = f"legal.{field}"
            limit = _per_arc(name, _numbers(name, saved[field]), m)
            rule = "limits are above 0 (inf: none, NaN: unreadable)"
            _report_first(name, limit, limit <= 0, "limit", rule)  # NaN compares False
    if "hazmat" in saved:
        flags = _per_arc("legal.hazmat", saved["hazmat"], m)
        rule = f"flags are 0 to {_HAZMAT_BITS}: bits 1 hazmat, 2 hazmat:water, 4 hazmat:explosive"
        _check_range("legal.hazmat", flags, 0, _HAZMAT_BITS, "flags", rule)
    if "tunnel_category" in saved:
        name = "legal.tunnel_category"
        top = len(access.TUNNEL_LETTERS) - 1
        rule = f"categories are 0 (none or A) to {top} ({access.TUNNEL_LETTERS[top]})"
        _check_range(name, _per_arc(name, saved["tunnel_category"], m), 0, top, "category", rule)
    if "country" in saved:
        name = "legal.country"
        text = _vector(name, _integers(name, saved["country"]))
        _check_range(name, text, 0, 127, "byte", "a country code is ASCII text")


def _check_conditional(saved: dict[str, Array], m: int) -> None:
    """Conditional access (``legal.conditional.<mode>`` into ``legal.conditional_profiles``)."""
    table = saved.get("conditional_profiles")
    if table is None:
        return
    name = "legal.conditional_profiles"
    if table.ndim != 2 or table.shape[1] != 2 * 168:
        msg = f"{name} has shape {table.shape}; it must hold rows of 2 x 168 access codes."
        raise _Corrupt(msg)
    _check_range(name, table.ravel(), 0, 2, "access code", "codes are 0, 1 and 2")
    for mode in access.MODES:
        index = saved.get(f"conditional.{mode}")
        if index is not None:
            where = f"legal.conditional.{mode}"
            rule = f"{name} holds {table.shape[0]:,} profiles"
            _check_range(where, _per_arc(where, index, m), 0, table.shape[0] - 1, "index", rule)


def _tag_count(table: Array | None) -> int:
    """How many tags ``legal.access_tags`` (newline-joined UTF-8) holds; 1 (just "") if none."""
    if table is None:
        return 1
    name = "legal.access_tags"
    data = _vector(name, _integers(name, table))
    _check_range(name, data, 0, 255, "byte", "it holds UTF-8 text")
    try:
        bytes(data.astype(np.uint8)).decode("utf-8")
    except UnicodeDecodeError as error:
        msg = f"{name} is not UTF-8 text: byte {data[error.start]} at index {error.start}."
        raise _Corrupt(msg) from None
    return int(np.count_nonzero(data == ord("\n"))) + 1


# ---------------------------------------------------------------------- shapes, types, ranges


def _integers(name: str, values: Array) -> Array:
    """``values`` if it holds integers (or booleans, or nothing at all)."""
    if values.size and values.dtype.kind not in "biu":
        msg = f"{name} holds {values.dtype} values; it must hold integers."
        raise _Corrupt(msg)
    return values if values.size else values.astype(np.int64)


def _numbers(name: str, values: Array) -> Array:
    """``values`` if it holds numbers."""
    if values.size and values.dtype.kind not in "biuf":
        msg = f"{name} holds {values.dtype} values; it must hold numbers."
        raise _Corrupt(msg)
    return values


def _vector(name: str, values: Array) -> Array:
    """``values`` if it is one-dimensional."""
    if values.ndim != 1:
        msg = f"{name} has shape {values.shape}; it must be one-dimensional."
        raise _Corrupt(msg)
    return values


def _rows(name: str, values: Array) -> Array:
    """Integer pairs as ``(k, 2)`` rows, read as :func:`ecoroute.turns.attached` does."""
    pairs = _integers(name, values)
    if pairs.size % 2:
        msg = f"{name} holds {pairs.size:,} values; it must hold pairs."
        raise _Corrupt(msg)
    return pairs.reshape(-1, 2)


def _per_arc(name: str, values: Array, arc_count: int) -> Array:
    """``values`` if it holds one number per arc."""
    if values.shape != (arc_count,):
        msg = f"{name} has shape {values.shape}; it must hold one value per arc ({arc_count:,})."
        raise _Corrupt(msg)
    return _numbers(name, values)


def _check_range(name: str, values: Array, low: int, high: int, what: str, rule: str) -> None:
    """Raise naming the first of integer ``values`` outside ``low .. high``."""
    values = _integers(name, values)
    if values.size and not (values.min() >= low and values.max() <= high):
        _report_first(name, values, (values < low) | (values > high), what, rule)


def _report_first(name: str, values: Array, bad: Array, what: str, rule: str) -> None:
    """Raise naming the first value where ``bad`` holds, by row (2-D ``values``) or index."""
    if not bad.any():
        return
    position = int(np.flatnonzero(bad.ravel())[0])
    where = f"row {position // values.shape[1]}" if values.ndim == 2 else f"index {position}"
    msg = f"{name} holds {what} {values.ravel()[position]} at {where}; {rule}."
    raise _Corrupt(msg)
