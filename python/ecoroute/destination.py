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
or *enters* one (O -> D, an entry).

Prices. Every exit costs ``X`` and every entry ``E``, with
``X = 1024 E`` and ``E`` above any route's cost (the sum of every finite
weight bounds a simple path); the start and end of a route cost nothing.
The engine's least cost is then ``R + a X + b E`` for a route with ``a``
exits and ``b`` entries, and it minimises ``a``, then ``b``, then ``R``.
Transitions alternate, so a legal route has at most one of each, and one
exit with one entry is legal when it is the exit *first* (out of the start
stretch, into the end stretch), not an entry then an exit (a pass through
a stretch between two open ends). Which came first follows from where the
route can start and end: an arc node (a point part-way along an arc) starts
and ends on its arc's kind; a node whose arcs are all of one kind, on that
kind. Only between two nodes that both touch both kinds is the order open:
those few routes are searched again with their paths and read arc by arc
(:meth:`EndsOnly.costs_from`, which has no paths, accepts them).

What this reads as: a stop at a junction where a ``hgv=destination`` street
meets a main road is on both; a route from it may start along the street.
The engine prefers fewer transitions to a lower cost, so from such a
junction a route that keeps to open roads wins over a shorter one that
starts along the street and comes out of it (a conservative choice), and
between two points inside one stretch the route stays inside it rather than
going out and back in.

The route's own cost ``R`` is read back from its quantity sums (which carry
no price), so the prices' magnitude costs it no precision; only :meth:`EndsOnly.costs_from`, which
has no sums, subtracts the prices. Only routes with a price (cost at least
``E``) are read at all: an ordinary batch costs one comparison per entry.

One prepared index serves every vehicle: the prices are part of the
vehicle's metric (customization), not of the graph. Time-dependent searches
(``departure=``) keep destination-only arcs closed (docs/trucks.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

#: Entries a price has room for before it would spill into the exits' digit.
_MAX_ENTRIES = 1024

#: Kinds of arc a route can start or end on.
OPEN, STRETCH, EITHER = 0, 1, 2


@dataclass(frozen=True)
class Prices:
    """
    A vehicle's transition prices on one turn graph, and what each expanded node starts with.

    Attributes
    ----------
    price
        Per expanded arc, the price added to its weight.
    exit, entry
        ``X`` and ``E``.
    start_kind, end_kind
        Per expanded node, the kind of arc a route from it starts on (to it
        ends on): :data:`OPEN`, :data:`STRETCH` or :data:`EITHER`.
    destination
        Per network arc, whether it is destination-only.
    """

    price: FloatArray
    exit: float
    entry: float
    start_kind: npt.NDArray[np.int8]
    end_kind: npt.NDArray[np.int8]
    destination: BoolArray


def transition_prices(graph: Any, destination: BoolArray, weight: FloatArray) -> Prices:
    """
    Price the exits from and entries into destination-only stretches of ``graph`` for one vehicle.

    ``destination`` is per network arc; ``weight`` the expanded arcs' weight
    without prices (its finite sum bounds any simple path's cost). Prices
    are powers of two so that ``R + a X + b E`` keeps ``a`` and ``b`` exactly.
    """
    finite = weight[np.isfinite(weight)]
    bound = float(finite.sum()) if finite.size else 0.0
    entry = 2.0 ** math.ceil(math.log2(2.0 * bound + 2.0))
    exit_ = entry * _MAX_ENTRIES
    network = graph.network
    dest = np.asarray(destination, dtype=bool)
    turned_from = np.asarray(graph.turn_from)
    entered = np.asarray(graph.entered)
    turn = (turned_from >= 0) & (entered >= 0)
    came = np.zeros(entered.size, dtype=bool)
    went = np.zeros(entered.size, dtype=bool)
    came[turn] = dest[turned_from[turn]]
    went[turn] = dest[entered[turn]]
    price = np.zeros(entered.size)
    price[came & ~went] = exit_
    price[~came & went] = entry

    n = network.node_count
    node_arc = np.asarray(graph.node_arc)
    arc_node = node_arc >= 0
    start_kind = np.full(node_arc.size, OPEN, dtype=np.int8)
    end_kind = np.full(node_arc.size, OPEN, dtype=np.int8)
    start_kind[arc_node] = dest[node_arc[arc_node]]
    end_kind[arc_node] = dest[node_arc[arc_node]]
    out0, in0 = graph.out_offset, graph.in_offset
    start_kind[out0 : out0 + n] = _node_kind(network.tail, dest, n)
    end_kind[in0 : in0 + n] = _node_kind(network.head, dest, n)
    return Prices(price, exit_, entry, start_kind, end_kind, dest)


def _node_kind(at: Any, dest: BoolArray, n: int) -> npt.NDArray[np.int8]:
    """Per node, the kinds of the arcs with an end ``at`` it: OPEN, STRETCH or EITHER."""
    stretch = np.bincount(at, weights=dest, minlength=n) > 0
    open_ = np.bincount(at, weights=~dest, minlength=n) > 0
    return np.where(stretch & open_, EITHER, np.where(stretch, STRETCH, OPEN)).astype(np.int8)


class EndsOnly:
    """
    A query engine on the priced turn graph that answers as the legal graph would.

    Same methods as ``_core.QueryEngine`` (``route_pairs``, ``matrix``,
    ``costs_from``), in expanded nodes; through-traffic routes come back at
    ``inf`` (their sums too), the others at their own cost.

    Parameters
    ----------
    engine
        The ``_core.QueryEngine`` on the priced metric.
    prices
        The prices it was built with (:func:`transition_prices`).
    graph
        The turn graph (:class:`ecoroute.turns.TurnGraph`) it searches.
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
        prices: Prices,
        graph: Any,
        factors: FloatArray,
        potential: FloatArray | None,
    ) -> None:
        self._engine = engine
        self._prices = prices
        self._graph = graph
        self._factors = np.asarray(factors, dtype=np.float64)
        self._phi = None if potential is None else np.asarray(potential)[graph.node_position]

    def __getattr__(self, name: str) -> Any:  # algorithm, quantity_count, ...
        return getattr(self._engine, name)

    def _classify(self, cost: FloatArray, s: IntArray, t: IntArray) -> tuple[BoolArray, BoolArray]:
        """
        Of routes of priced ``cost`` from ``s`` to ``t``: which pass through, which are open to doubt.

        Doubt: one exit and one entry between two nodes that touch both
        kinds, where the order of the two cannot be told from the ends.
        """
        p = self._prices
        exits = np.floor(cost / p.exit)
        entries = np.floor((cost - exits * p.exit) / p.entry)
        both = (exits == 1) & (entries == 1)
        start, end = p.start_kind[s], p.end_kind[t]
        # One of each: legal only as exit then entry, i.e. from a stretch to a stretch.
        entry_first = both & ((start == OPEN) | (end == OPEN))
        doubt = both & (start == EITHER) & (end == EITHER)
        return (exits > 1) | (entries > 1) | entry_first, doubt

    def _read(
        self,
        cost: FloatArray,
        ends: Callable[[IntArray], tuple[IntArray, IntArray]],
        own: Callable[[IntArray], FloatArray],
    ) -> tuple[FloatArray, BoolArray]:
        """
        Costs as the legal graph has them (flat), and which routes are through traffic.

        ``ends(i)`` gives the expanded source and target of entries ``i``,
        ``own(i)`` their cost from the quantity sums. Only priced entries
        (``cost >= E``) are read; the doubtful ones are searched again.
        """
        cost = np.array(cost, dtype=np.float64)
        through = np.zeros(cost.size, dtype=bool)
        with np.errstate(invalid="ignore"):
            priced = np.flatnonzero((cost >= self._prices.entry) & (cost < np.inf))
        if priced.size == 0:
            return cost, through
        s, t = ends(priced)
        passes, doubt = self._classify(cost[priced], s, t)
        if doubt.any():
            passes[doubt] = self._search_through(s[doubt], t[doubt])
        through[priced] = passes
        value = own(priced)
        if self._phi is not None:
            value = value + self._phi[t] - self._phi[s]
        cost[priced] = value
        cost[through] = np.inf
        return cost, through

    def _search_through(self, sources: IntArray, targets: IntArray) -> BoolArray:
        """Search doubtful pairs again with their paths; whether each path passes through."""
        cost, _, offsets, arcs = self._engine.route_pairs(
            sources.astype(np.uint32), targets.astype(np.uint32), with_paths=True, num_threads=1
        )
        entered = np.asarray(self._graph.entered)
        dest = self._prices.destination
        offsets = np.asarray(offsets, dtype=np.int64)
        arcs = np.asarray(arcs, dtype=np.int64)
        through = np.zeros(sources.size, dtype=bool)
        for i in np.flatnonzero(np.isfinite(np.asarray(cost))).tolist():
            path = entered[arcs[offsets[i] : offsets[i + 1]]]  # expanded arcs -> network arcs
            kinds = dest[path[path >= 0]]
            # The kind entered at each change; legal: D* O* D*, so at most "O" then "D".
            changes = kinds[1:][kinds[1:] != kinds[:-1]]
            through[i] = changes.size > 2 or (changes.size == 2 and bool(changes[0]))
        return through

    def route_pairs(
        self, sources: Any, targets: Any, *, with_paths: bool = False, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any]:
        """Cost, quantity sums and (optionally) expanded paths of each pair."""
        cost, sums, offsets, arcs = self._engine.route_pairs(
            sources, targets, with_paths=with_paths, num_threads=num_threads
        )
        src = np.asarray(sources, dtype=np.int64)
        dst = np.asarray(targets, dtype=np.int64)
        cost, through = self._read(
            np.asarray(cost, dtype=np.float64),
            lambda i: (src[i], dst[i]),
            lambda i: np.asarray(sums, dtype=np.float64)[i] @ self._factors,
        )
        if through.any():
            sums = np.array(sums)
            sums[through] = np.inf
        return cost, sums, offsets, arcs

    def matrix(self, sources: Any, targets: Any, *, num_threads: int = 0) -> tuple[Any, Any]:
        """Every source to every target."""
        cost, sums = self._engine.matrix(sources, targets, num_threads=num_threads)
        cost = np.asarray(cost, dtype=np.float64)
        if cost.size == 0:
            return cost, sums
        src = np.asarray(sources, dtype=np.int64)
        dst = np.asarray(targets, dtype=np.int64)
        columns = cost.shape[1]
        nq = len(self._factors)
        flat_sums = np.asarray(sums, dtype=np.float64).reshape(nq, -1)
        flat, through = self._read(
            cost.ravel(),
            lambda i: (src[i // columns], dst[i % columns]),
            lambda i: self._factors @ flat_sums[:, i],
        )
        if through.any():
            sums = np.array(sums)
            sums.reshape(nq, -1)[:, through] = np.inf
        return flat.reshape(cost.shape), sums

    def costs_from(self, source: int) -> FloatArray:
        """Cost from ``source`` to every expanded node (``c - a X - b E``: no sums to read)."""
        cost = np.array(self._engine.costs_from(source), dtype=np.float64)
        p = self._prices
        with np.errstate(invalid="ignore"):
            priced = np.flatnonzero((cost >= p.entry) & (cost < np.inf))
        if priced.size:
            c = cost[priced]
            exits = np.floor(c / p.exit)
            entries = np.floor((c - exits * p.exit) / p.entry)
            s = np.full(priced.size, source, dtype=np.int64)
            through, _ = self._classify(c, s, priced)  # doubtful routes are accepted
            cost[priced] = np.where(through, np.inf, c - exits * p.exit - entries * p.entry)
        return cost
