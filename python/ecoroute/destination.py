"""
Destination-only roads at a route's ends: transition prices on the turn graph, and their reading.

A road tagged ``hgv=destination`` (``delivery``, ``private``...) may be driven
to reach a place on it or to leave one, not to pass through (Valhalla's
destination-only edges, OSRM's restricted ways). A legal route is therefore
``D* O* D*``: destination-only arcs at its start, open arcs, destination-only
arcs at its end. The exact search is a three-phase state graph (start,
through, end); we get it from the turn-expanded graph the router already
searches, where each expanded arc is a turn from one network arc to the next
and so knows whether it *leaves* a destination-only stretch (D -> O, an exit)
or *enters* one (O -> D, an entry):

- every exit costs ``X`` and every entry ``E``, with ``X >> E >> any route``;
  the start and end of a route (``x_out -> b``, ``a -> x_in``) cost nothing;
- the engine's least cost is then ``R + a X + b E`` with ``a`` exits and ``b``
  entries, and it minimises them first: a route with ``a <= 1`` and
  ``b <= 1`` is legal (transitions alternate, so one exit and one entry are
  the start stretch, then the end stretch), more is through traffic;
- the route's own cost ``R`` is read back from its quantity sums (which
  carry no price), exact to the last bit, not from ``c - a X - b E``.

The one case counting cannot tell apart is one entry *then* one exit (a
pass through a destination-only stretch between two open ends) from one exit
then one entry. It can arise only from a start node (a route from a node,
whose first arc may be of either kind) when no route with fewer transitions
exists; those few pairs are searched again with their paths and read arc by
arc (:meth:`costs_from` alone, which has no paths, accepts them). Such a
pair is refused even where another route of the same prices would be legal.
The engine also prefers fewer transitions to a lower cost where a route
from or to a node could start or end in a destination-only stretch beside
it: the all-open route wins, a conservative choice. Time-dependent searches
(``departure=``) keep destination-only arcs closed (docs/trucks.md).

One prepared index serves every vehicle: the prices are part of the
vehicle's metric (customization), not of the graph.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .turns import TurnGraph

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Entries a price has room for before it would spill into the exits' digit.
_MAX_ENTRIES = 1024


def transition_prices(
    graph: TurnGraph, destination: BoolArray, weight: FloatArray
) -> tuple[FloatArray, float, float]:
    """
    Return the price per expanded arc and the exit and entry prices (``X``, ``E``).

    ``destination`` is per network arc; ``weight`` the expanded arcs' weight
    without prices (what bounds ``R``: the sum of every finite weight is
    more than any simple path costs). Prices are powers of two so that
    ``R + a X + b E`` keeps ``a`` and ``b`` exactly.
    """
    finite = weight[np.isfinite(weight)]
    bound = float(finite.sum()) if finite.size else 0.0
    entry = 2.0 ** math.ceil(math.log2(2.0 * bound + 2.0))
    exit_ = entry * _MAX_ENTRIES
    dest = np.asarray(destination, dtype=bool)
    turned_from = graph.turn_from
    entered = graph.entered
    turn = (turned_from >= 0) & (entered >= 0)
    came = np.zeros(turn.size, dtype=bool)
    went = np.zeros(turn.size, dtype=bool)
    came[turn] = dest[turned_from[turn]]
    went[turn] = dest[entered[turn]]
    price = np.zeros(turn.size)
    price[came & ~went] = exit_
    price[~came & went] = entry
    return price, exit_, entry


class EndsOnly:
    """
    A query engine on the priced turn graph that answers as if it searched the legal graph.

    Same methods as ``_core.QueryEngine`` (``route_pairs``, ``matrix``,
    ``costs_from``), in expanded nodes; costs of through-traffic routes come
    back ``inf`` (and their sums too), the others at their own cost.

    Parameters
    ----------
    engine
        The ``_core.QueryEngine`` on the priced metric.
    graph
        The turn graph it searches.
    destination
        Per network arc, whether it is destination-only.
    exit_price, entry_price
        ``X`` and ``E`` of :func:`transition_prices`.
    factors
        Per reported quantity, its factor in the objective (the cost of a
        route is ``sums @ factors``).
    potential
        The node potential (per network node) the engine's costs are reduced
        by, or None.
    """

    def __init__(
        self,
        engine: Any,
        graph: TurnGraph,
        destination: BoolArray,
        exit_price: float,
        entry_price: float,
        factors: FloatArray,
        potential: FloatArray | None,
    ) -> None:
        self._engine = engine
        self._graph = graph
        self._dest = np.asarray(destination, dtype=bool)
        self._exit = exit_price
        self._entry = entry_price
        self._factors = np.asarray(factors, dtype=np.float64)
        self._phi = None if potential is None else np.asarray(potential)[graph.node_position]
        # The start state of an arc node is its own arc; start nodes (x_out) have none.
        arcs = np.asarray(graph.node_arc)
        self._starts_in_dest = np.zeros(arcs.size, dtype=bool)
        self._starts_in_dest[arcs >= 0] = self._dest[arcs[arcs >= 0]]
        self._is_arc_node = arcs >= 0

    def __getattr__(self, name: str) -> Any:  # algorithm, quantity_count, ...
        return getattr(self._engine, name)

    def _counts(self, cost: FloatArray) -> tuple[FloatArray, FloatArray]:
        with np.errstate(invalid="ignore"):
            exits = np.floor(cost / self._exit)
            rest = cost - exits * self._exit
            entries = np.floor(rest / self._entry)
        return exits, entries

    def _read(
        self, cost: FloatArray, own: FloatArray, s: Any, t: Any
    ) -> tuple[FloatArray, BoolArray, BoolArray]:
        """
        Costs as the legal graph has them, which routes are through traffic, which to check.

        The last: one entry and one exit from a start node (not an arc
        node), which counting cannot tell from one exit and one entry.
        """
        cost = np.asarray(cost, dtype=np.float64)
        finite = np.isfinite(cost)
        exits, entries = self._counts(np.where(finite, cost, 0.0))
        priced = finite & ((exits + entries) > 0)
        through = finite & ((exits > 1) | (entries > 1))
        both = priced & (exits == 1) & (entries == 1)
        s = np.asarray(s, dtype=np.int64)
        # From an arc node, its own arc is the start: one that is no destination-only
        # arc means the entry came first (a pass through).
        through |= both & self._is_arc_node[s] & ~self._starts_in_dest[s]
        unsure = both & ~self._is_arc_node[s]
        if priced.any():
            value = own
            if self._phi is not None:
                value = value + self._phi[np.asarray(t, dtype=np.int64)] - self._phi[s]
            cost = np.where(priced, value, cost)
        return np.where(through, np.inf, cost), through, unsure

    def route_pairs(
        self, sources: Any, targets: Any, *, with_paths: bool = False, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any]:
        """Cost, quantity sums and (optionally) expanded paths of each pair."""
        cost, sums, offsets, arcs = self._engine.route_pairs(
            sources, targets, with_paths=with_paths, num_threads=num_threads
        )
        sums = np.asarray(sums, dtype=np.float64)
        with np.errstate(invalid="ignore"):  # unreachable pairs: inf * 0 (not read)
            own = sums @ self._factors if sums.size else np.zeros(len(cost))
        cost, through, unsure = self._read(cost, own, sources, targets)
        if with_paths:
            through |= self._passes_through(np.asarray(cost), offsets, arcs, sources)
        elif unsure.any():
            rows = np.flatnonzero(unsure)
            through[rows] = self._search_through(
                np.asarray(sources)[rows], np.asarray(targets)[rows]
            )
        if through.any():
            cost = np.where(through, np.inf, cost)
            sums = np.array(sums)
            sums[through] = np.inf
        return cost, sums, offsets, arcs

    def _search_through(self, sources: Any, targets: Any) -> BoolArray:
        """Search the unsure pairs again with their paths and read each path."""
        cost, _, offsets, arcs = self._engine.route_pairs(
            np.asarray(sources, dtype=np.uint32),
            np.asarray(targets, dtype=np.uint32),
            with_paths=True,
            num_threads=1,
        )
        return self._passes_through(np.asarray(cost, dtype=np.float64), offsets, arcs, sources)

    def _passes_through(self, cost: FloatArray, offsets: Any, arcs: Any, sources: Any) -> BoolArray:
        """Per pair, whether its path leaves open arcs for a destination-only one and comes out."""
        through = np.zeros(cost.size, dtype=bool)
        node_arc = np.asarray(self._graph.node_arc)
        entered = np.asarray(self._graph.entered)
        offsets = np.asarray(offsets, dtype=np.int64)
        arcs = np.asarray(arcs, dtype=np.int64)
        sources = np.asarray(sources, dtype=np.int64)
        for i in np.flatnonzero(np.isfinite(cost)).tolist():
            path = entered[arcs[offsets[i] : offsets[i + 1]]]  # expanded arcs -> network arcs
            path = path[path >= 0]
            start = int(node_arc[sources[i]])
            kinds = self._dest[path]
            if start >= 0:
                kinds = np.concatenate([[self._dest[start]], kinds])
            if kinds.size < 2:
                continue
            changes = np.flatnonzero(kinds[1:] != kinds[:-1])
            # Legal: D* O* D*: at most one change D -> O, then at most one O -> D.
            pattern = kinds[changes + 1]  # the kind entered at each change
            if pattern.size > 2 or (pattern.size == 2 and not (not pattern[0] and pattern[1])):
                through[i] = True
        return through

    def matrix(self, sources: Any, targets: Any, *, num_threads: int = 0) -> tuple[Any, Any]:
        """Every source to every target, as :meth:`route_pairs` would answer each cell."""
        cost, sums = self._engine.matrix(sources, targets, num_threads=num_threads)
        cost = np.asarray(cost, dtype=np.float64)
        sums = np.asarray(sums, dtype=np.float64)
        if cost.size == 0:
            return cost, sums
        with np.errstate(invalid="ignore"):  # unreachable cells: inf * 0 (not read)
            own = np.tensordot(self._factors, sums, axes=1)
        s = np.broadcast_to(np.asarray(sources, dtype=np.int64)[:, None], cost.shape)
        t = np.broadcast_to(np.asarray(targets, dtype=np.int64)[None, :], cost.shape)
        cost, through, unsure = self._read(cost, own, s, t)
        if unsure.any():
            rows, cols = np.nonzero(unsure)
            through[rows, cols] = self._search_through(s[rows, cols], t[rows, cols])
        if through.any():
            cost = np.where(through, np.inf, cost)
            sums = np.array(sums)
            sums[:, through] = np.inf
        return cost, sums

    def costs_from(self, source: int) -> FloatArray:
        """Cost from ``source`` to every expanded node (``c - a X - b E``: no sums to read)."""
        cost = np.asarray(self._engine.costs_from(source), dtype=np.float64)
        finite = np.isfinite(cost)
        exits, entries = self._counts(np.where(finite, cost, 0.0))
        with np.errstate(invalid="ignore"):
            own = cost - exits * self._exit - entries * self._entry
        through = finite & ((exits > 1) | (entries > 1))
        return np.where(through, np.inf, np.where(finite, own, cost))
