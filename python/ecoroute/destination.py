"""
Destination-only roads at a route's ends: phase copies in the turn-expanded graph.

A road tagged ``hgv=destination`` (``delivery``, ``private``...) may be driven
to reach a place on it or to leave one, not to pass through (Valhalla's
destination-only edges, OSRM's restricted ways). A legal route is therefore
``D* O* D*``: destination-only arcs at its start, open arcs, destination-only
arcs at its end. The exact search runs on a product of the road graph with
that pattern's three phases, start, middle and end; we build it into the
turn-expanded graph the router already searches
(:class:`ecoroute.turns.TurnGraph`), where an expanded node is "network arc
``a`` has just been driven" and an expanded arc is a turn from one arc into
the next, so it knows the kinds of both arcs.

The copies. Every arc node whose arc is destination-only for *some* mode of
the map (:func:`phase_arcs`: ``legal.access.<mode>`` is destination for a
car, a van, a truck or a bus) has a second node, its *end copy* ("``a`` has
just been driven, after the route's open middle"); every other arc node
exists once. For a vehicle whose destination-only arcs are ``D``, the arc
node of an arc in ``D`` is its *start* phase (no open arc driven yet), its
end copy the *end* phase, and the arc node of an open arc the *middle*. The
expanded arcs are the turns ``a -> b`` of the arc nodes, plus, where ``b``
has an end copy, ``a -> b'`` and (where ``a`` has one too) ``a' -> b'``; a
route from a network node starts into any arc node or end copy of an arc
leaving it, and one to a network node ends from any of them. For the
vehicle (:func:`closed_by_phase`), a turn into an end copy is open only when
it enters a destination-only arc, and a turn between two arc nodes is
closed when it goes from an open arc into a destination-only one (an entry
into the start phase after the middle). What is left is

* start -> start and start -> middle (``a -> b``, ``a`` in ``D``);
* middle -> middle (``a -> b``, both open) and middle -> end (``a -> b'``,
  ``b`` in ``D``);
* end -> end (``a' -> b'``), and start -> end (``a -> b'``: a route that stays
  on destination-only roads, which is legal);

never end -> middle nor middle -> start, so every path reads ``D* O* D*`` and
every such route is a path. The closed arcs cost ``inf`` in every quantity,
as arcs closed to the vehicle do; the least-cost path is then the legal
optimum, found by every algorithm (Dijkstra, bidirectional, A*, CCH) with
nothing to decode, matrices and ``costs_from`` included. A pass through a
destination-only stretch between two open roads (``O D O``) has no path and
is refused as such (:class:`ecoroute.NoRouteError` names the tag).

The ends. A route from a network node starts in the start phase on a
destination-only arc (middle on an open one), and a route to one ends from
any phase; a point part-way along an arc starts at the arc's node. A point
part-way along a destination-only arc is reached at the arc's end copy
(:meth:`ecoroute.turns.TurnGraph.target_arc_nodes`), into which every legal
route can turn: from the start phase, the middle and the end phase alike,
and from a network node at the arc's tail (a route may start into an end
copy, for that case). A single candidate per point is all the part-way code
(:mod:`ecoroute.snapping`) needs, and a point behind another on the same
destination-only arc is an ordinary search, the arc node to its end copy.

One prepared index serves every vehicle: the copies are made for the arcs
destination-only to some mode, whichever vehicle drives, and which of them
are open is part of the vehicle's metric (customization). They multiply only
those arcs' nodes, a few percent of the graph. Time-dependent searches
(``departure=``) run on the same expanded graph and so obey the same phases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .access import DESTINATION, LEGAL_PREFIX, MODES

if TYPE_CHECKING:
    from .network import RoadNetwork

BoolArray = npt.NDArray[np.bool_]


def phase_arcs(network: RoadNetwork) -> BoolArray:
    """
    Per network arc, whether it is destination-only for some mode the map's rules know (at some hour).

    These are the arcs whose arc nodes get an end copy in the turn graph: a
    superset of any one vehicle's destination-only arcs
    (:func:`ecoroute.access.vehicle_rules`), so that one expanded graph, and
    one contraction hierarchy, serves every vehicle.
    """
    from .access import conditional_profiles

    phased = np.zeros(network.arc_count, dtype=bool)
    table = conditional_profiles(network)
    # A profile that is destination-only at some hour, under some policy.
    timed = None if table is None else (table == DESTINATION).any(axis=(1, 2))
    for mode in MODES:
        code = network.attachments.get(f"{LEGAL_PREFIX}access.{mode}")
        if code is not None:
            phased |= np.asarray(code) == DESTINATION
        index = network.attachments.get(f"{LEGAL_PREFIX}conditional.{mode}")
        if timed is not None and index is not None:
            phased |= timed[np.asarray(index, dtype=np.intp)]
    return phased


def closed_by_phase(graph: Any, destination: BoolArray | None) -> BoolArray:
    """
    Per expanded arc of ``graph``, whether the phases close it to a vehicle.

    ``destination`` marks the vehicle's destination-only network arcs (None:
    none). Closed: a turn into an end copy that does not enter a
    destination-only arc, and a turn between two arc nodes from an open arc
    into a destination-only one (see the module docstring).
    """
    into_end = np.asarray(graph.end_phase)[np.asarray(graph.graph.head, dtype=np.intp)]
    if destination is None or not np.any(destination):
        return into_end
    dest = np.asarray(destination, dtype=bool)
    entered = np.asarray(graph.entered)
    came = np.asarray(graph.turn_from)
    driven = entered >= 0
    turn = came >= 0
    enters_dest = np.zeros(entered.size, dtype=bool)
    enters_dest[driven] = dest[entered[driven]]
    from_open = np.zeros(entered.size, dtype=bool)
    from_open[turn] = ~dest[came[turn]]
    entry_to_start = ~into_end & from_open & enters_dest
    return (into_end & ~enters_dest) | entry_to_start
