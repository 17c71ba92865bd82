"""Turn restrictions, intersection costs and the turn-expanded graph every search runs on."""

from __future__ import annotations

import csv
import itertools
import math
import weakref
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from . import _core
from ._errors import NetworkError, OsmFileError
from ._geo import unit_vectors
from ._osm_files import check_osm_file
from .osm_conditional import HOURS_PER_WEEK, POLICIES, parse_conditional, turn_hours

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .vehicles import Vehicle

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

VehicleClass = Literal["motorcar", "hgv"]
UTurns = Literal["dead_ends", "everywhere"]

#: Intersection controls a node (or a shape point of an arc) can carry.
NO_CONTROL, SIGNALS, STOP, GIVE_WAY = 0, 1, 2, 3
_CONTROL_TAG = {"traffic_signals": SIGNALS, "stop": STOP, "give_way": GIVE_WAY}

#: OSRM's car profile (``profiles/car.lua``): the most a turn costs by its
#: angle, the bias that makes right turns cheaper than left ones in
#: right-hand traffic, the extra time of a U-turn and of a traffic signal.
TURN_PENALTY_S = 7.5
TURN_BIAS = 1.075
U_TURN_PENALTY_S = 20.0
SIGNAL_PENALTY_S = 2.0
#: Time lost at a stop sign (decelerate, stop, pull away) and, on average, at
#: a give-way sign; our assumptions, see docs/turns.md.
STOP_PENALTY_S = 4.0
GIVE_WAY_PENALTY_S = 1.5

#: Share of vehicles that come to a full stop: at fixed-time signals the
#: stop rate (1 - g/C) / (1 - y) with green half the cycle and light traffic
#: (docs/turns.md cites it), so 0.5; every vehicle at a stop sign and in a
#: U-turn; an assumed 0.3 at give-way signs.
STOP_SHARE = {SIGNALS: 0.5, STOP: 1.0, GIVE_WAY: 0.3}
_CONTROL_PENALTY_S = {SIGNALS: SIGNAL_PENALTY_S, STOP: STOP_PENALTY_S, GIVE_WAY: GIVE_WAY_PENALTY_S}
#: Turns sharper than this (degrees) slow to TURN_SPEED_KPH and pull away again.
SHARP_TURN_DEG = 45.0
TURN_SPEED_KPH = 20.0
#: Rotating masses (wheels, driveline) add to the inertia of acceleration.
ROTATING_MASS_FACTOR = 1.05

_NO = ("no_right_turn", "no_left_turn", "no_u_turn", "no_straight_on", "no_entry", "no_exit")
_ONLY = ("only_right_turn", "only_left_turn", "only_straight_on", "only_u_turn")
#: ``no_*`` values that are not turn restrictions.
_NOT_RESTRICTIONS = frozenset({"no"})


@dataclass(frozen=True, eq=False)
class TurnRestrictions:
    """
    Turn restrictions and intersection costs on one road network, by arc index.

    Build with :func:`read_turns` (from the OSM file the network was loaded
    from) or :meth:`from_arc_pairs`; route with
    ``Router(network, ..., turns=restrictions)``.

    Attributes
    ----------
    arc_count, node_count
        Size of the network the arc and node indices refer to.
    forbidden
        ``(k, 2)`` arc pairs ``(a, b)``, ``head(a) == tail(b)``: turning from
        ``a`` into ``b`` is not allowed (``only_*`` restrictions are stored as
        the turns they forbid).
    via_way_offsets, via_way_arcs, via_way_only
        Restrictions over a longer sequence of arcs (OSM via ways): sequence
        ``r`` is ``via_way_arcs[via_way_offsets[r]:via_way_offsets[r + 1]]``,
        from arc, via arcs, to arc. ``only`` False: driving the whole sequence
        is forbidden; True: after the from arc and the via arcs, the to arc is
        the only way on.
    penalty_arcs, penalty_s
        Turns whose time cost is given (OSRM's turn-penalty CSV): it replaces
        the computed one.
    node_control, approach_controls, arc_controls
        Intersection controls (:data:`SIGNALS`, :data:`STOP`, :data:`GIVE_WAY`)
        and who pays them: ``node_control`` per node, paid by every turn
        through it; ``approach_controls`` as ``(arc, control)`` rows, paid by
        every turn out of the arc at its head (a sign that faces one
        approach: the minor roads at a junction, a tagged direction);
        ``arc_controls`` as ``(arc, control)`` rows, paid by every route that
        enters the arc (a control on one of its shape points, for the
        direction it faces). Empty without intersection costs; docs/turns.md
        (section 2) says how :func:`read_turns` decides.
    u_turns
        ``"dead_ends"`` (the default): a U-turn (back along the road just
        driven) only where no other arc leaves the node; ``"everywhere"``.
    intersection_costs
        Whether turns cost time and energy (angle, U-turns, controls).
    skipped
        Restrictions that could not be placed on the network, and why.
    conditional_offsets, conditional_arcs, conditional_only, conditional_hours
        Conditional restrictions (``restriction:conditional``), kept apart
        from the ones that always hold: sequence ``r`` is
        ``conditional_arcs[conditional_offsets[r]:conditional_offsets[r + 1]]``,
        two arcs for a via node (the turn), more for via ways; ``only`` as for
        via ways. ``conditional_hours[r]`` is a ``(2, 168)`` bool array: per
        policy (row 0 ``"ignore"``, row 1 ``"restrict"``, see
        :mod:`ecoroute.osm_conditional`) and hour of the week, whether the
        restriction applies. They stay turns of the expanded graph, closed
        (``+inf``) by the router at the hours they apply
        (:meth:`TurnGraph.conditionally_closed`).
    unread_conditions
        Conditional restrictions whose condition was not (wholly) understood,
        as ``"relation <id>: <condition>"``: the router's policy decides them.
    cch_order
        The expanded graph's contraction order saved with the network
        (:func:`attach`); :meth:`TurnGraph.prepare` reuses it instead of
        computing a new one.
    """

    arc_count: int
    node_count: int
    forbidden: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty((0, 2), np.int64))
    via_way_offsets: IntArray = field(default_factory=lambda: np.zeros(1, np.int64))
    via_way_arcs: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    via_way_only: npt.NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, bool))
    penalty_arcs: IntArray = field(default_factory=lambda: np.empty((0, 2), np.int64))
    penalty_s: FloatArray = field(default_factory=lambda: np.empty(0))
    node_control: npt.NDArray[np.int8] | None = None
    arc_controls: IntArray = field(default_factory=lambda: np.empty((0, 2), np.int64))
    approach_controls: IntArray = field(default_factory=lambda: np.empty((0, 2), np.int64))
    u_turns: UTurns = "dead_ends"
    intersection_costs: bool = False
    skipped: tuple[str, ...] = ()
    conditional_offsets: IntArray = field(default_factory=lambda: np.zeros(1, np.int64))
    conditional_arcs: IntArray = field(default_factory=lambda: np.empty(0, np.int64))
    conditional_only: npt.NDArray[np.bool_] = field(default_factory=lambda: np.empty(0, bool))
    conditional_hours: npt.NDArray[np.bool_] = field(
        default_factory=lambda: np.empty((0, 2, HOURS_PER_WEEK), bool)
    )
    unread_conditions: tuple[str, ...] = ()
    cch_order: npt.NDArray[np.uint32] | None = field(default=None, repr=False)
    _cache: dict[int, TurnGraph] = field(default_factory=dict, repr=False)

    @classmethod
    def from_arc_pairs(
        cls,
        network: RoadNetwork,
        forbidden: npt.ArrayLike = (),
        *,
        sequences: Sequence[Sequence[int]] = (),
        only: Sequence[bool] | None = None,
        u_turns: UTurns = "dead_ends",
    ) -> TurnRestrictions:
        """
        Restrictions given as arc indices: forbidden ``(from_arc, to_arc)`` pairs and sequences.

        Raises
        ------
        NetworkError
            (a ``ValueError``) naming the first pair or sequence whose arcs are
            out of range or do not meet (``head(a) != tail(b)``).
        """
        pairs = np.asarray(forbidden, dtype=np.int64).reshape(-1, 2)
        m = network.arc_count
        head, tail = network.head, network.tail
        for row, (a, b) in enumerate(pairs.tolist()):
            _check_turn(a, b, m, head, tail, f"forbidden row {row}")
        offsets = [0]
        arcs: list[int] = []
        for row, sequence in enumerate(sequences):
            seq = [int(x) for x in sequence]
            if len(seq) < 3:
                msg = f"sequence {row} needs a from arc, at least one via arc and a to arc."
                raise NetworkError(msg)
            for a, b in itertools.pairwise(seq):
                _check_turn(a, b, m, head, tail, f"sequence {row}")
            arcs.extend(seq)
            offsets.append(len(arcs))
        flags = np.zeros(len(sequences), bool) if only is None else np.asarray(only, bool)
        if flags.shape != (len(sequences),):
            msg = "only must hold one flag per sequence."
            raise NetworkError(msg)
        _check_u_turns(u_turns)
        return cls(
            arc_count=m,
            node_count=network.node_count,
            forbidden=pairs,
            via_way_offsets=np.asarray(offsets, np.int64),
            via_way_arcs=np.asarray(arcs, np.int64),
            via_way_only=flags,
            u_turns=u_turns,
        )

    @property
    def restriction_count(self) -> int:
        """Forbidden arc pairs plus via-way sequences."""
        return len(self.forbidden) + len(self.via_way_only)

    def with_options(
        self, *, u_turns: UTurns | None = None, intersection_costs: bool | None = None
    ) -> TurnRestrictions:
        """Return a copy with another U-turn rule or with intersection costs on or off."""
        if u_turns is not None:
            _check_u_turns(u_turns)
        same_graph = u_turns is None or u_turns == self.u_turns
        return replace(
            self,
            cch_order=self.cch_order if same_graph else None,
            u_turns=self.u_turns if u_turns is None else u_turns,
            intersection_costs=(
                self.intersection_costs if intersection_costs is None else intersection_costs
            ),
            _cache={},
        )

    def with_penalties(self, arcs: npt.ArrayLike, penalty_s: npt.ArrayLike) -> TurnRestrictions:
        """Return a copy whose turns ``arcs`` (``(k, 2)`` arc pairs) cost ``penalty_s`` seconds."""
        pairs = np.asarray(arcs, dtype=np.int64).reshape(-1, 2)
        seconds = np.asarray(penalty_s, dtype=np.float64).ravel()
        if seconds.shape != (len(pairs),) or not np.isfinite(seconds).all() or (seconds < 0).any():
            msg = "penalty_s must hold one finite value >= 0 per turn."
            raise NetworkError(msg)
        return replace(
            self,
            penalty_arcs=np.concatenate([self.penalty_arcs, pairs]),
            penalty_s=np.concatenate([self.penalty_s, seconds]),
            intersection_costs=True,
            _cache={},
        )

    def expanded(self, network: RoadNetwork) -> TurnGraph:
        """Return the turn-expanded graph of ``network`` (built once, then cached)."""
        if network.arc_count != self.arc_count or network.node_count != self.node_count:
            msg = (
                f"These turn restrictions belong to a network of {self.node_count} nodes and "
                f"{self.arc_count} arcs, not {network!r}; read them for this network."
            )
            raise NetworkError(msg)
        graph = self._cache.get(id(network))
        if graph is None or graph.network is not network:
            graph = TurnGraph(network, self)
            self._cache.clear()
            self._cache[id(network)] = graph
        return graph


def _check_turn(a: int, b: int, m: int, head: Any, tail: Any, where: str) -> None:
    if not (0 <= a < m and 0 <= b < m):
        msg = f"{where}: arcs ({a}, {b}) are outside 0..{m - 1}."
        raise NetworkError(msg)
    if head[a] != tail[b]:
        msg = (
            f"{where}: arc {a} does not end where arc {b} starts, so there is no turn between them."
        )
        raise NetworkError(msg)


def _check_u_turns(u_turns: str) -> None:
    if u_turns not in ("dead_ends", "everywhere"):
        msg = f"u_turns must be 'dead_ends' or 'everywhere', not {u_turns!r}."
        raise ValueError(msg)


# ---------------------------------------------------------------------- geometry


def _point_keys(lon: npt.ArrayLike, lat: npt.ArrayLike) -> IntArray:
    """One int64 per point: lon and lat rounded to 1e-7 degrees (OSM's precision)."""
    x = np.rint(np.asarray(lon) * 1e7).astype(np.int64) + (1 << 31)
    y = np.rint(np.asarray(lat) * 1e7).astype(np.int64) + (1 << 31)
    return np.asarray((x << 32) | y)


def _arc_end_points(network: RoadNetwork) -> tuple[FloatArray, FloatArray]:
    """(lon, lat) of each arc's second point and of its last but one (shape points included)."""
    offsets = network.geometry_offsets
    shape = network.geometry_lonlat
    has = offsets[1:] > offsets[:-1]
    tail, head = network.tail, network.head
    first = np.column_stack([network.lon[head], network.lat[head]])
    last = np.column_stack([network.lon[tail], network.lat[tail]])
    first[has] = shape[offsets[:-1][has]]
    last[has] = shape[offsets[1:][has] - 1]
    return first, last


def _bearing_deg(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> FloatArray:
    """Initial compass bearing (degrees, 0 = north, clockwise) from point 1 to point 2."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    y = np.sin(dl) * np.cos(phi2)
    x = np.cos(phi1) * np.sin(phi2) - np.sin(phi1) * np.cos(phi2) * np.cos(dl)
    return np.asarray(np.degrees(np.arctan2(y, x)))


def turn_angles_deg(network: RoadNetwork, from_arcs: Any, to_arcs: Any) -> FloatArray:
    """
    Return the angle of each turn ``from_arcs[i] -> to_arcs[i]`` in degrees.

    0 is straight on, positive turns right, negative turns left, +-180 turns
    back; measured between the last segment of the from arc and the first
    segment of the to arc.
    """
    a = np.asarray(from_arcs, dtype=np.int64)
    b = np.asarray(to_arcs, dtype=np.int64)
    first, last = _arc_end_points(network)
    via = network.head[a]
    lon_v, lat_v = network.lon[via], network.lat[via]
    incoming = _bearing_deg(last[a, 0], last[a, 1], lon_v, lat_v)
    outgoing = _bearing_deg(lon_v, lat_v, first[b, 0], first[b, 1])
    return np.asarray((outgoing - incoming + 180.0) % 360.0 - 180.0)


def turn_penalty_s(angle_deg: npt.ArrayLike) -> FloatArray:
    """
    Time a turn costs by its angle, OSRM's car profile (``profiles/car.lua``, ``process_turn``).

    A logistic curve from about 0 s straight on to ``TURN_PENALTY_S`` (7.5 s)
    turning back, cheaper to the right than to the left (``TURN_BIAS``,
    right-hand traffic).
    """
    angle = np.asarray(angle_deg, dtype=np.float64)
    right = TURN_PENALTY_S / (1.0 + np.exp(-((13.0 / TURN_BIAS) * angle / 180.0 - 6.5 * TURN_BIAS)))
    left = TURN_PENALTY_S / (1.0 + np.exp(-((13.0 * TURN_BIAS) * -angle / 180.0 - 6.5 / TURN_BIAS)))
    return np.asarray(np.where(angle >= 0, right, left))


# ---------------------------------------------------------------------- expanded graph


class TurnGraph:
    """
    The turn-expanded graph of a network: one node per arc, arcs for the allowed turns.

    Expanded nodes: ``0 .. m - 1`` stand for the network's arcs ("arc ``b``
    has just been driven, the vehicle is at ``head(b)``"), then copies of
    arcs made for via-way restrictions, then the end copies of the arc nodes
    of destination-only arcs (the end phase of a route,
    :mod:`ecoroute.destination`), then one start node ``x_out`` and one end
    node ``x_in`` per network node ``x``. Expanded arcs: ``x_out -> b`` for
    every arc ``b`` leaving ``x`` (and its end copy); ``a -> b`` for every
    allowed turn (and into and between end copies); ``a -> x_in`` for every
    arc node ``a`` whose arc enters ``x``; and ``x_out -> x_in`` (the empty
    route). A route ``s -> t`` is the expanded path ``s_out -> t_in``, and
    the arcs of the arc nodes on it are the route's arcs. Every copy maps
    back to its network arc (:attr:`node_arc`).

    Attributes
    ----------
    network
        The network it expands.
    graph
        The expanded graph for the C++ core.
    node_arc
        Network arc each expanded node stands for (-1 for start and end nodes).
    node_position
        Network node at which each expanded node sits (``head`` of its arc).
    entered
        Per expanded arc, the network arc it drives (-1 for arcs into end nodes).
    turn_from
        Per expanded arc, the arc turned from (-1 where the arc starts a route
        or ends one).
    time_s
        Per expanded arc, the seconds the turn (or the controls on the entered
        arc) add.
    stop_work
        Per expanded arc, the kinetic energy lost, as a multiple of
        ``m v^2 / 2`` at the speed of the entered arc.
    end_phase
        Per expanded node, whether it is an end copy.
    end_copy
        Per arc node of the arcs and via-way copies, its end copy (-1: none).
    """

    def __init__(self, network: RoadNetwork, turns: TurnRestrictions) -> None:
        self.network = network
        self.turns = turns
        self.skipped: list[str] = []
        m, n = network.arc_count, network.node_count
        tail = network.tail.astype(np.int64)
        head = network.head.astype(np.int64)
        first_out = network.first_out.astype(np.int64)

        # Every pair (a, b) with head(a) == tail(b), grouped by a.
        count = np.diff(first_out)[head]
        a = np.repeat(np.arange(m, dtype=np.int64), count)
        rank = np.arange(a.size) - np.repeat(np.cumsum(count) - count, count)
        b = first_out[head[a]] + rank

        first, last = _arc_end_points(network)
        first_key = _point_keys(first[:, 0], first[:, 1])
        last_key = _point_keys(last[:, 0], last[:, 1])
        u_turn = (head[b] == tail[a]) & (first_key[b] == last_key[a])
        if turns.u_turns == "dead_ends":
            others = count - np.bincount(a[u_turn], minlength=m)
            allowed = ~u_turn | (others[a] == 0)
        else:
            allowed = np.ones(a.size, dtype=bool)
        if len(turns.forbidden):
            banned = turns.forbidden[:, 0] * m + turns.forbidden[:, 1]
            allowed &= ~np.isin(a * m + b, banned)
        a, b, u_turn = a[allowed], b[allowed], u_turn[allowed]

        copy_of, extra_from, extra_to, extra_rule, removed = self._via_ways(m, a, b, head)
        if removed:
            keep = ~np.isin(a * m + b, np.asarray(sorted(removed), dtype=np.int64))
            a, b, u_turn = a[keep], b[keep], u_turn[keep]
        c = len(copy_of)
        turn_tail = np.concatenate([a, np.asarray(extra_from, np.int64)])
        turn_head = np.concatenate([b, np.asarray(extra_to, np.int64)])
        # Per turn, the conditional via-way restriction that may close it (-1: none).
        turn_rule = np.concatenate([np.full(a.size, -1), np.asarray(extra_rule, np.int64)])
        via_arc = np.concatenate([np.arange(m, dtype=np.int64), np.asarray(copy_of, np.int64)])
        end_copy, phase_tail, phase_head, phase_source = self._end_phase(
            via_arc, turn_tail, turn_head
        )
        turn_rule = np.concatenate([turn_rule, turn_rule[phase_source]])
        copies = np.flatnonzero(end_copy >= 0)
        k = m + c + copies.size  # arc nodes: arcs, via-way copies, end copies
        self.node_arc = np.concatenate([via_arc, via_arc[copies], np.full(2 * n, -1)])
        out0, in0 = k, k + n
        self.out_offset, self.in_offset = out0, in0
        node_count = k + 2 * n
        arc_nodes = np.arange(k, dtype=np.int64)
        arc_of_node = self.node_arc[:k]
        self.node_position = np.concatenate([head[arc_of_node], np.arange(n), np.arange(n)])
        #: Per expanded node, whether it is an end copy (:mod:`ecoroute.destination`).
        self.end_phase = np.zeros(node_count, dtype=bool)
        self.end_phase[m + c : k] = True
        #: Per arc node of the start and middle phases, its end copy (-1: none).
        self.end_copy = end_copy

        # A route starts on an arc (or its end copy) and ends after any arc node.
        starts = np.concatenate([np.arange(m, dtype=np.int64), end_copy[:m][end_copy[:m] >= 0]])
        turn_tail = np.concatenate([turn_tail, phase_tail])
        turn_head = np.concatenate([turn_head, phase_head])
        e_tail = np.concatenate(
            [out0 + tail[arc_of_node[starts]], turn_tail, arc_nodes, out0 + np.arange(n)]
        )
        e_head = np.concatenate([starts, turn_head, in0 + head[arc_of_node], in0 + np.arange(n)])
        self.entered = np.concatenate(
            [arc_of_node[starts], self.node_arc[turn_head], np.full(k + n, -1)]
        )
        self.turn_from = np.concatenate(
            [np.full(starts.size, -1), self.node_arc[turn_tail], np.full(k + n, -1)]
        )
        e_rule = np.concatenate([np.full(starts.size, -1), turn_rule, np.full(k + n, -1)])
        order = np.argsort(e_tail, kind="stable")
        e_tail, e_head = e_tail[order], e_head[order]
        self.entered = self.entered[order]
        self.turn_from = self.turn_from[order]
        #: Expanded arcs a conditional restriction may close, and per policy and hour
        #: whether it does ((len, 2, 168) bool): :meth:`conditionally_closed`.
        self.conditional_arcs, self.conditional_hours = self._conditional_turns(e_rule[order])
        offsets = np.zeros(node_count + 1, dtype=np.int64)
        np.cumsum(np.bincount(e_tail, minlength=node_count), out=offsets[1:])
        self.graph = _core.CsrGraph(offsets.astype(np.uint32), e_head.astype(np.uint32))
        #: Expanded node each expanded arc leaves.
        self.arc_tail = e_tail
        self.time_s, self.stop_work = self._intersection_costs()
        self._cch: _core.Cch | None = None
        self._turn_lookup: tuple[IntArray, IntArray, IntArray] | None = None
        #: Contraction order of the expanded nodes, once :meth:`prepare` ran.
        self.order: npt.NDArray[np.uint32] | None = None

    # ------------------------------------------------------------------ building

    def _via_ways(
        self, m: int, a: IntArray, b: IntArray, head: IntArray
    ) -> tuple[list[int], list[int], list[int], list[int], set[int]]:
        """
        Copy the via arcs of each via-way restriction so that only the from arc reaches them.

        Conditional via-way restrictions get copies too, with the turns they
        forbid kept: the fourth list names, per added turn, the conditional
        restriction that may close it (-1: none).
        """
        turns = self.turns
        copy_of: list[int] = []
        extra_from: list[int] = []
        extra_to: list[int] = []
        extra_rule: list[int] = []
        removed: set[int] = set()
        offsets, cond_offsets = turns.via_way_offsets, turns.conditional_offsets
        sequences = [
            (turns.via_way_arcs[offsets[r] : offsets[r + 1]].tolist(), bool(only), -1)
            for r, only in enumerate(turns.via_way_only.tolist())
        ]
        sequences += [
            (turns.conditional_arcs[cond_offsets[r] : cond_offsets[r + 1]].tolist(), bool(only), r)
            for r, only in enumerate(turns.conditional_only.tolist())
            if cond_offsets[r + 1] - cond_offsets[r] > 2  # via ways (a via node is a turn)
        ]
        if not sequences:
            return copy_of, extra_from, extra_to, extra_rule, removed
        successors: dict[int, list[int]] = defaultdict(list)
        for x, y in zip(a.tolist(), b.tolist(), strict=True):
            successors[x].append(y)
        for r, (seq, only, rule) in enumerate(sequences):
            start, via, end = seq[0], seq[1:-1], seq[-1]
            if any(y not in successors[x] for x, y in itertools.pairwise(seq)):
                continue  # the sequence cannot be driven anyway
            key = start * m + via[0]
            if key in removed:
                self.skipped.append(
                    f"via-way restriction {r} starts with the same turn as an earlier one; "
                    "overlapping via-way restrictions are not combined, this one is ignored."
                )
                continue
            removed.add(key)
            nodes = [m + len(copy_of) + i for i in range(len(via))]
            copy_of.extend(via)
            extra_from.append(start)
            extra_to.append(nodes[0])
            extra_rule.append(-1)
            for i, arc in enumerate(via):
                last = i == len(via) - 1
                nxt = end if last else via[i + 1]
                for y in successors[arc]:
                    if y == nxt and not last:
                        extra_from.append(nodes[i])
                        extra_to.append(nodes[i + 1])
                        extra_rule.append(-1)
                    elif (y == nxt) == only:  # no_*: all but the end; only_*: just it
                        extra_from.append(nodes[i])
                        extra_to.append(y)
                        extra_rule.append(-1)
                    elif rule >= 0:  # forbidden at some hours only: kept, priced per hour
                        extra_from.append(nodes[i])
                        extra_to.append(y)
                        extra_rule.append(rule)
        return copy_of, extra_from, extra_to, extra_rule, removed

    def _conditional_turns(self, rule: IntArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        """
        The expanded arcs conditional restrictions may close, and their hours (OR-ed per arc).

        ``rule`` names, per expanded arc, the conditional via-way restriction
        that may close it; a via-node one closes every expanded turn from its
        from arc into its to arc (via-way copies and end copies included).
        """
        turns = self.turns
        hours = np.asarray(turns.conditional_hours, dtype=bool).reshape(-1, 2, HOURS_PER_WEEK)
        arcs = [np.flatnonzero(rule >= 0)]
        rules = [rule[arcs[0]]]
        offsets = turns.conditional_offsets
        pair = np.flatnonzero(np.diff(offsets) == 2)
        if pair.size:
            m = self.network.arc_count
            keys = (
                turns.conditional_arcs[offsets[pair]] * m
                + turns.conditional_arcs[offsets[pair] + 1]
            )
            is_turn = np.flatnonzero(self.turn_from >= 0)
            own = self.turn_from[is_turn] * m + self.entered[is_turn]
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            lo = np.searchsorted(sorted_keys, own, side="left")
            hi = np.searchsorted(sorted_keys, own, side="right")
            count = hi - lo
            expanded = np.repeat(is_turn, count)
            index = np.repeat(lo - np.cumsum(count) + count, count) + np.arange(count.sum())
            arcs.append(expanded)
            rules.append(pair[order[index]])
        arc = np.concatenate(arcs)
        which = np.concatenate(rules)
        unique, inverse = np.unique(arc, return_inverse=True)
        out = np.zeros((unique.size, 2, HOURS_PER_WEEK), dtype=bool)
        np.logical_or.at(out, inverse, hours[which])
        return unique.astype(np.int64), out

    def conditionally_closed(self, policy: str, hour: int | None) -> npt.NDArray[np.bool_]:
        """
        Per expanded arc, whether a conditional turn restriction closes it.

        ``hour``: the hour of the week the restriction is judged at; None
        (no departure): closed if it applies at any hour under ``policy``
        (``"ignore"`` then closes nothing, ``"restrict"`` every restriction
        whose condition ever holds or is not understood).
        """
        closed = np.zeros(self.graph.arc_count, dtype=bool)
        if not self.conditional_arcs.size:
            return closed
        row = POLICIES.index(policy)
        if hour is None:
            shut = self.conditional_hours[:, row, :].any(axis=1) if row else np.zeros(0, bool)
        else:
            shut = self.conditional_hours[:, row, int(hour) % HOURS_PER_WEEK]
        if shut.size:
            closed[self.conditional_arcs[shut]] = True
        return closed

    def _end_phase(
        self, arc_of_node: IntArray, turn_tail: IntArray, turn_head: IntArray
    ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """
        End copies of the arc nodes of destination-only arcs, and the turns into them.

        ``arc_of_node`` is the network arc of each arc node (arcs, then
        via-way copies), ``turn_tail``/``turn_head`` their turns. An arc node
        ``b`` of an arc destination-only to some mode gets an end copy ``b'``
        (numbered after the via-way copies, in the order of ``b``); every turn
        ``a -> b`` gains ``a -> b'`` and, where ``a`` has a copy, ``a' -> b'``
        (:mod:`ecoroute.destination`). Returns the end copy of each arc node
        (-1: none), the added turns, and for each the turn it copies.
        """
        from .destination import phase_arcs

        phased = phase_arcs(self.network)[arc_of_node]
        end_copy = np.full(arc_of_node.size, -1, dtype=np.int64)
        end_copy[phased] = arc_of_node.size + np.arange(int(phased.sum()))
        into = np.flatnonzero(end_copy[turn_head] >= 0)
        both = into[end_copy[turn_tail[into]] >= 0]
        tails = np.concatenate([turn_tail[into], end_copy[turn_tail[both]]])
        heads = np.concatenate([end_copy[turn_head[into]], end_copy[turn_head[both]]])
        return end_copy, tails, heads, np.concatenate([into, both])

    def _intersection_costs(self) -> tuple[FloatArray, FloatArray]:
        """Seconds and stop work (multiples of m v^2 / 2) added by each expanded arc."""
        k = self.entered.size
        time_s = np.zeros(k)
        stop_work = np.zeros(k)
        #: Per expanded arc, the share of a sharp turn's slowing down that is not
        #: a stop (it depends on the speed pulled away to: :meth:`stop_work_at`).
        self.sharp_share = np.zeros(k)
        turns = self.turns
        self.stops = stop_work
        if not turns.intersection_costs:
            return time_s, stop_work
        network = self.network
        is_turn = np.flatnonzero(self.turn_from >= 0)
        a, b = self.turn_from[is_turn], self.entered[is_turn]
        via = network.head[a].astype(np.int64)
        angle = turn_angles_deg(network, a, b)
        first, last = _arc_end_points(network)
        u_turn = (network.head[b] == network.tail[a]) & (
            _point_keys(first[b, 0], first[b, 1]) == _point_keys(last[a, 0], last[a, 1])
        )
        # OSRM charges the angle only where more than two roads meet (or to U-turns).
        roads = _distinct_neighbours(network)
        at_junction = (roads[via] > 2) | u_turn
        seconds = np.where(at_junction, turn_penalty_s(angle), 0.0) + U_TURN_PENALTY_S * u_turn
        stops = u_turn.astype(np.float64)
        control = (
            np.zeros(via.size, np.int8) if turns.node_control is None else turns.node_control[via]
        )
        for code, penalty in _CONTROL_PENALTY_S.items():
            here = control == code
            seconds[here] += penalty
            stops[here] = np.maximum(stops[here], STOP_SHARE[code])
        # Controls that face some approaches only: paid by the turns out of those arcs.
        if len(turns.approach_controls):
            approach_seconds = np.zeros(network.arc_count)
            approach_stops = np.zeros(network.arc_count)
            for arc, code in turns.approach_controls.tolist():
                approach_seconds[arc] += _CONTROL_PENALTY_S[code]
                approach_stops[arc] = max(approach_stops[arc], STOP_SHARE[code])
            seconds += approach_seconds[a]
            stops = np.maximum(stops, approach_stops[a])
        if len(turns.penalty_arcs):
            m = network.arc_count
            given = dict(
                zip(
                    (turns.penalty_arcs[:, 0] * m + turns.penalty_arcs[:, 1]).tolist(),
                    turns.penalty_s.tolist(),
                    strict=True,
                )
            )
            keys = (a * m + b).tolist()
            for i, key in enumerate(keys):
                if key in given:
                    seconds[i] = given[key]
        # A sharp turn without a stop still slows to TURN_SPEED_KPH and pulls away.
        sharp = np.abs(angle) >= SHARP_TURN_DEG
        stop_work[is_turn] = stops
        self.sharp_share[is_turn] = (1.0 - np.minimum(stops, 1.0)) * sharp
        time_s[is_turn] = seconds

        # Controls on an arc's shape points: paid by every expanded arc entering it.
        if len(turns.arc_controls):
            arc_seconds = np.zeros(network.arc_count)
            arc_stops = np.zeros(network.arc_count)
            for arc, code in turns.arc_controls.tolist():
                arc_seconds[arc] += _CONTROL_PENALTY_S[code]
                arc_stops[arc] += STOP_SHARE[code]
            entering = self.entered >= 0
            time_s[entering] += arc_seconds[self.entered[entering]]
            stop_work[entering] += arc_stops[self.entered[entering]]
        #: Stops per expanded arc, whatever the speed (signals, signs, U-turns).
        self.stops = stop_work
        driven = self.entered >= 0
        speed = network.speed_kph[np.where(driven, self.entered, 0)]
        return time_s, self.stop_work_at(speed)

    def stop_work_at(
        self, speed_kph: npt.ArrayLike, arcs: npt.ArrayLike | None = None
    ) -> FloatArray:
        """
        Stop work of expanded ``arcs`` (all by default) when the entered arc is driven at ``speed_kph``.

        A stop costs its whole ``m v^2 / 2``; a sharp turn without a stop slows
        to TURN_SPEED_KPH, so it costs the share ``1 - (v_turn / v)^2``.
        """
        where = slice(None) if arcs is None else np.asarray(arcs, dtype=np.intp)
        v = np.maximum(np.asarray(speed_kph, dtype=np.float64), 1e-9)
        slow = np.clip(1.0 - (TURN_SPEED_KPH / v) ** 2, 0.0, 1.0)
        return np.asarray(self.stops[where] + self.sharp_share[where] * slow)

    # ------------------------------------------------------------------ sizes and ids

    @property
    def node_count(self) -> int:
        """Number of expanded nodes."""
        return int(self.graph.node_count)

    @property
    def arc_count(self) -> int:
        """Number of expanded arcs."""
        return int(self.graph.arc_count)

    @property
    def turn_count(self) -> int:
        """Number of allowed turns (expanded arcs between two arc nodes)."""
        return int((self.turn_from >= 0).sum())

    def start_nodes(self, nodes: npt.ArrayLike) -> npt.NDArray[np.uint32]:
        """Expanded start node ``x_out`` of each network node."""
        # Node indices are below node_count, so the sum fits in uint32.
        return np.asarray(nodes, dtype=np.uint32) + np.uint32(self.out_offset)

    def end_nodes(self, nodes: npt.ArrayLike) -> npt.NDArray[np.uint32]:
        """Expanded end node ``x_in`` of each network node."""
        return np.asarray(nodes, dtype=np.uint32) + np.uint32(self.in_offset)

    def target_arc_nodes(
        self, arcs: npt.ArrayLike, destination: npt.NDArray[np.bool_] | None
    ) -> IntArray:
        """
        The arc node by which a route reaches a point part-way along each of ``arcs``.

        The arc's own node; for an arc in ``destination`` (the vehicle's
        destination-only arcs), its end copy, which every legal route can
        turn into (:mod:`ecoroute.destination`).
        """
        index = np.asarray(arcs, dtype=np.int64)
        if destination is None:
            return index.copy()
        copy = self.end_copy[index]
        return np.where(np.asarray(destination)[index] & (copy >= 0), copy, index)

    def closed_by_phase(self, destination: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
        """Per expanded arc, whether the phases of destination-only arcs close it to a vehicle."""
        from .destination import closed_by_phase

        if destination is not None:
            missing = np.flatnonzero(
                np.asarray(destination) & (self.end_copy[: self.network.arc_count] < 0)
            )
            if missing.size:
                msg = (
                    f"Arc {int(missing[0])} is destination-only but the turn graph has no end "
                    "copy of it: build the turn graph from the network that carries its rules."
                )
                raise NetworkError(msg)
        return closed_by_phase(self, destination)

    def network_paths(
        self, offsets: npt.NDArray[np.uint64], arcs: npt.NDArray[np.uint32]
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32]]:
        """Map expanded paths (CSR form) to the network arcs they drive."""
        if offsets.size == 2:  # one path (Router.route): a slice, no masks
            # Every expanded arc drives the arc it enters (the start arc x_out -> b
            # included) except one into an end node x_in, which no arc leaves: only
            # the last arc of a path can be one (a part-way route ends at an arc node).
            entered = self.entered[arcs[: int(offsets[1])]]
            if entered.size and entered[-1] < 0:
                entered = entered[:-1]
            one = entered.astype(np.uint32)
            return np.array([0, one.size], dtype=np.uint64), one
        driven = self.entered[arcs.astype(np.intp)]
        keep = driven >= 0
        kept_before = np.concatenate([[0], np.cumsum(keep)]).astype(np.uint64)
        return kept_before[offsets.astype(np.intp)], driven[keep].astype(np.uint32)

    def entering_arcs(
        self, arcs: npt.ArrayLike, offsets: npt.ArrayLike | None = None
    ) -> npt.NDArray[np.intp]:
        """
        The expanded arc by which each arc of a network path is entered.

        The first arc is entered from its tail (a start arc ``x_out -> b``),
        every next one by the turn from the arc before it. With ``offsets``
        (CSR form: path ``i`` is ``arcs[offsets[i]:offsets[i + 1]]``), ``arcs``
        holds several paths one after the other and each path's first arc is
        entered from its tail. Raises ``ValueError`` naming the first turn the
        expanded graph does not have (a forbidden turn, or arcs that do not
        meet).
        """
        path = np.asarray(arcs, dtype=np.int64)
        if not path.size:
            return np.empty(0, dtype=np.intp)
        if self._turn_lookup is None:
            m = self.network.arc_count
            turn = np.flatnonzero((self.turn_from >= 0) & (self.entered >= 0))
            keys = self.turn_from[turn] * m + self.entered[turn]
            order = np.argsort(keys, kind="stable")
            start = np.full(m, -1, dtype=np.int64)
            # A route starts on the arc's own node, not on its end copy.
            into_copy = self.end_phase[self.graph.head]
            first = np.flatnonzero((self.turn_from < 0) & (self.entered >= 0) & ~into_copy)
            start[self.entered[first]] = first
            self._turn_lookup = (keys[order], turn[order], start)
        keys, turn, start = self._turn_lookup
        begins = np.zeros(path.size, dtype=bool)
        if offsets is None:
            begins[0] = True
        else:
            bounds = np.asarray(offsets, dtype=np.int64)
            begins[bounds[:-1][bounds[:-1] < bounds[1:]]] = True
        inner = np.flatnonzero(~begins)  # entered by a turn from the arc before
        out = np.empty(path.size, dtype=np.intp)
        out[begins] = start[path[begins]]
        wanted = path[inner - 1] * self.network.arc_count + path[inner]
        at = np.minimum(np.searchsorted(keys, wanted), max(keys.size - 1, 0))
        found = keys[at] == wanted if keys.size else np.zeros(wanted.size, dtype=bool)
        unstarted = np.flatnonzero(begins & (out < 0))
        if not found.all() or unstarted.size:
            if not found.all():
                i = int(inner[np.flatnonzero(~found)[0]])
                what = f"the turn {path[i - 1]} -> {path[i]}"
            else:
                what = f"arc {path[unstarted[0]]}"
            msg = f"The path takes {what}, which the turn-expanded graph does not allow."
            raise ValueError(msg)
        out[inner] = turn[at]
        return out

    def added_along(
        self,
        arcs: npt.ArrayLike,
        vehicle: Vehicle,
        payload_kg: float | None,
        *,
        speed_kph: npt.ArrayLike | None = None,
        offsets: npt.ArrayLike | None = None,
    ) -> dict[str, FloatArray]:
        """
        What the turns add on each arc of a network path, counted on the arc they enter.

        The same values the expanded graph's arcs carry
        (:meth:`quantities`): the turn's seconds and the energy of pulling
        away again, for ``vehicle`` at ``payload_kg``; ``speed_kph`` (one per
        path arc; default the network's) is the speed pulled away to. With
        ``offsets`` (CSR form), ``arcs`` holds several paths, each entered
        from its first arc's tail (:meth:`entering_arcs`): one call scores
        the turns of many legs.
        """
        index = np.asarray(arcs, dtype=np.intp)
        entering = self.entering_arcs(index, offsets)
        speed = (
            self.network.speed_kph[index]
            if speed_kph is None
            else np.asarray(speed_kph, dtype=np.float64)
        )
        return intersection_quantities(
            vehicle, speed, self.stop_work_at(speed, entering), self.time_s[entering], payload_kg
        )

    # ------------------------------------------------------------------ per vehicle

    def quantities(
        self,
        arc_quantities: Mapping[str, FloatArray],
        vehicle: Vehicle,
        payload_kg: float | None,
        *,
        speed_kph: FloatArray | None = None,
    ) -> dict[str, FloatArray]:
        """
        Return each quantity per expanded arc: the entered arc's, plus what the turn adds.

        The turn adds :attr:`time_s`; the vehicle pays the energy of pulling
        away again (:func:`intersection_quantities`) for :attr:`stop_work`
        and runs its auxiliaries (and a combustion engine idles) while the
        turn's seconds pass. ``speed_kph`` (per network arc; default the
        network's own) is the speed pulled away to, as in traffic at an hour.
        """
        entered = self.entered
        driven = entered >= 0
        index = np.where(driven, entered, 0)
        if speed_kph is None:
            speed = self.network.speed_kph[index]
            stop_work = self.stop_work
        else:
            speed = np.asarray(speed_kph, dtype=np.float64)[index]
            stop_work = self.stop_work_at(speed)
        extra = intersection_quantities(vehicle, speed, stop_work, self.time_s, payload_kg)
        out: dict[str, FloatArray] = {}
        for name, values in arc_quantities.items():
            q = np.where(driven, np.asarray(values)[index], 0.0)
            if name in extra:
                q = q + extra[name]
            out[name] = q
        return out

    # ------------------------------------------------------------------ hierarchy

    @property
    def prepared(self) -> bool:
        """Whether :meth:`prepare` has built the contraction hierarchy."""
        return self._cch is not None

    def prepare(
        self,
        *,
        order: Literal["arc_cuts", "nested_dissection", "lifted"] = "arc_cuts",
        num_threads: int = 0,
        progress: bool | None = None,
    ) -> _core.Cch:
        """
        Build (once) the contraction hierarchy of the expanded graph.

        Parameters
        ----------
        order
            ``"arc_cuts"`` (the default) dissects the *network* by edge cuts
            and ranks the arcs crossing each cut above the arcs on its two
            sides (:meth:`_arc_cut_order`): the smallest hierarchy of the
            three, for about twice the node-based preprocessing.
            ``"nested_dissection"`` orders the arc nodes of the expanded
            graph itself, by the positions of its nodes (arc nodes at the
            head of their arc): a somewhat bigger hierarchy, preprocessing
            five to six times the node-based one.
            ``"lifted"`` ranks every expanded node by the
            rank of the network node it sits at in the network's own order
            (its hierarchy's, or a fresh nested dissection): a node separator
            of the network, lifted to the expanded nodes at it, separates the
            expanded graph too, because every expanded arc joins the two ends
            of a network arc. Preprocessing is then little more than the
            node-based one; the hierarchy is bigger (see docs/turns.md).
        num_threads
            Threads for the nested dissection; 0 uses every core.
        progress
            A progress bar over the steps (order, contraction): None (the
            default) on a terminal only, unless ``ECOROUTE_QUIET`` is set;
            True always; False never.
        """
        if self._cch is not None:
            return self._cch
        from tqdm.auto import tqdm

        from ._progress import disable

        saved = self.turns.cch_order
        with tqdm(
            total=2, unit="step", desc="prepare turns: order", disable=disable(progress)
        ) as steps:
            computed = saved is None or saved.size != self.node_count
            if computed:
                nodes = self._order(order, num_threads)
            else:
                nodes = np.ascontiguousarray(saved, dtype=np.uint32)
            steps.update(1)
            steps.set_description(f"prepare turns: contraction of {self.node_count:,} nodes")
            self._cch = _core.Cch(self.graph, nodes)
            steps.update(1)
        if computed:
            self.order = np.asarray(nodes, dtype=np.uint32)
        return self._cch

    def _order(self, order: str, num_threads: int) -> npt.NDArray[np.uint32]:
        """The contraction order ``prepare`` asks for (see its ``order``)."""
        if order == "lifted":
            network = self.network
            if network.hierarchy is not None:
                node_order = network.hierarchy.order
            else:
                x, y, z = unit_vectors(network.lat, network.lon)
                node_order = _core.nested_dissection_order(
                    network._graph, x, y, z, num_threads=num_threads
                )
            rank = np.empty(network.node_count, dtype=np.int64)
            rank[np.asarray(node_order, dtype=np.int64)] = np.arange(network.node_count)
            return np.argsort(rank[self.node_position], kind="stable").astype(np.uint32)
        if order == "arc_cuts":
            return self._arc_cut_order(num_threads)
        if order == "nested_dissection":
            return self._nested_dissection_order(num_threads)
        msg = f"order must be 'arc_cuts', 'nested_dissection' or 'lifted', not {order!r}."
        raise ValueError(msg)

    def _arc_cut_order(self, num_threads: int) -> npt.NDArray[np.uint32]:
        """
        Start and end nodes first, then the arc nodes in the network's arc order.

        ``_core.arc_nested_dissection_order`` bisects the network by edge
        cuts (minimising the arcs cut) and ranks the arcs crossing each cut
        (both directions, parallel arcs) above the arcs on either side. Every expanded arc between arc
        nodes, and every link that contracting a start or end node creates
        (arcs leaving one node, arcs entering one node), joins two arcs that
        share a network node, so the cut arcs separate the expanded graph:
        a nested dissection of it whose flows ran on the network's nodes.
        A via-way copy or end copy shares its arc's ends and takes the rank just above it.
        """
        network = self.network
        x, y, z = unit_vectors(network.lat, network.lon)
        arc_order = _core.arc_nested_dissection_order(
            network._graph, x, y, z, num_threads=num_threads
        )
        rank = np.empty(network.arc_count, dtype=np.int64)
        rank[np.asarray(arc_order, dtype=np.int64)] = np.arange(network.arc_count)
        # Arc nodes 0 .. m - 1, then copies (m ..): a stable sort by the rank of
        # the arc each stands for puts every copy right above its arc.
        arc_nodes = np.argsort(rank[self.node_arc[: self.out_offset]], kind="stable")
        ends = np.arange(self.out_offset, self.node_count, dtype=np.uint32)
        return np.concatenate([ends, arc_nodes.astype(np.uint32)])

    def _nested_dissection_order(self, num_threads: int) -> npt.NDArray[np.uint32]:
        """
        Start and end nodes first, then the arc nodes in nested-dissection order.

        A start node ``x_out`` only joins the arcs leaving ``x``, an end node
        ``x_in`` the arcs entering ``x``; ranked lowest, contracting them links
        those arcs pairwise. The dissection runs on the arc nodes alone (about
        half the expanded nodes), over the turns plus those links, so its
        separators already account for them: on Malta this takes 2.0 s instead
        of 3.1 s for the whole expanded graph, and gives a smaller hierarchy
        (0.52 M against 0.58 M arcs, 3.5 M against 4.4 M triangles).
        """
        k = self.out_offset  # arc nodes (copies included) are 0 .. k - 1
        e_head = self.graph.head.astype(np.int64)
        turn = (self.arc_tail < k) & (e_head < k)
        sources, targets = [self.arc_tail[turn]], [e_head[turn]]
        network = self.network
        arc = self.node_arc[:k]
        # Arc nodes entering one node, and arc nodes leaving one node: link each
        # to the next few of its group (groups are junction-sized).
        for group in (network.head[arc].astype(np.int64), network.tail[arc].astype(np.int64)):
            order = np.argsort(group, kind="stable")
            key = group[order]
            for step in range(1, 8):
                i = np.flatnonzero(key[:-step] == key[step:])
                sources.append(order[i])
                targets.append(order[i + step])
        tail = np.concatenate(sources)
        head = np.concatenate(targets)
        by_tail = np.argsort(tail, kind="stable")
        offsets = np.zeros(k + 1, dtype=np.int64)
        np.cumsum(np.bincount(tail, minlength=k), out=offsets[1:])
        links = _core.CsrGraph(offsets.astype(np.uint32), head[by_tail].astype(np.uint32))
        x, y, z = (np.ascontiguousarray(v[:k]) for v in self.unit_vectors())
        arc_order = _core.nested_dissection_order(links, x, y, z, num_threads=num_threads)
        ends = np.arange(k, self.node_count, dtype=np.uint32)
        return np.concatenate([ends, np.asarray(arc_order, dtype=np.uint32)])

    def unit_vectors(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Expanded node positions on the unit sphere (for A* and nested dissection)."""
        where = self.node_position
        return unit_vectors(self.network.lat[where], self.network.lon[where])


def _distinct_neighbours(network: RoadNetwork) -> IntArray:
    """Number of distinct neighbouring nodes of each node (roads meeting there)."""
    n = np.int64(network.node_count)
    tail = network.tail.astype(np.int64)
    head = network.head.astype(np.int64)
    from ._topology import sorted_unique

    pairs = sorted_unique(np.concatenate([tail * n + head, head * n + tail]))
    return np.bincount(pairs // n, minlength=int(n))


def intersection_quantities(
    vehicle: Vehicle,
    speed_kph: npt.ArrayLike,
    stop_work: npt.ArrayLike,
    seconds: npt.ArrayLike,
    payload_kg: float | None = None,
) -> dict[str, FloatArray]:
    """
    Return what stopping (or slowing) and waiting at an intersection costs a vehicle.

    Pulling away again to ``speed_kph`` takes the wheel work
    ``W = stop_work * f_rot * m v^2 / 2`` (``f_rot`` = ROTATING_MASS_FACTOR,
    ``m`` the vehicle's mass with payload). A combustion engine turns fuel into
    wheel work at its marginal efficiency ``eta_dt eta_m`` (the Willans line
    of :mod:`ecoroute.emissions.physics`) and idles (``P0`` plus its
    auxiliaries) for ``seconds``; an electric vehicle draws ``W / eta_prop``
    and recovers ``eta_regen W`` while braking, plus its auxiliaries.

    Returns
    -------
    dict
        ``time_s`` and the vehicle's own quantities (``co2_g``,
        ``co2e_wtw_g`` and ``fuel_l``/``fuel_kg`` or ``energy_kwh``).
    """
    from .emissions.physics import J_PER_KWH
    from .vehicles import CombustionVehicle, ElectricVehicle

    v = np.asarray(speed_kph, dtype=np.float64) / 3.6
    stops = np.asarray(stop_work, dtype=np.float64)
    wait = np.asarray(seconds, dtype=np.float64)
    out: dict[str, FloatArray] = {"time_s": wait.copy()}
    if not isinstance(vehicle, CombustionVehicle | ElectricVehicle):
        return out
    mass = vehicle.mass_kg(payload_kg)
    work_j = stops * ROTATING_MASS_FACTOR * 0.5 * mass * v * v
    aux_w = vehicle.auxiliary_power_kw * 1000.0
    if isinstance(vehicle, ElectricVehicle):
        lost = 1.0 / vehicle.propulsion_efficiency - vehicle.regeneration_efficiency
        kwh = (work_j * lost + aux_w * wait) / J_PER_KWH
        out["energy_kwh"] = kwh
        out["co2_g"] = kwh * vehicle.co2_g_per_battery_kwh
        out["co2e_wtw_g"] = kwh * vehicle.co2e_wtw_g_per_battery_kwh
        return out
    idle_w = vehicle.zero_load_fuel_power_kw * 1000.0 + aux_w / vehicle.engine_efficiency
    mj = (work_j / (vehicle.driveline_efficiency * vehicle.engine_efficiency) + idle_w * wait) / 1e6
    spec = vehicle.fuel_spec
    kg = mj / spec.lower_heating_value_mj_per_kg
    out["co2_g"] = mj * spec.co2_g_per_mj
    out["co2e_wtw_g"] = mj * spec.wtw_co2e_g_per_mj
    if spec.density_kg_per_l is not None:
        out["fuel_l"] = kg / spec.density_kg_per_l
    else:
        out["fuel_kg"] = kg
    return out


# ---------------------------------------------------------------------- saving

_PREFIX = "turns."
_U_TURN_CODE = {"dead_ends": 0, "everywhere": 1}


def attach(network: RoadNetwork, turns: TurnRestrictions | TurnGraph) -> RoadNetwork:
    """
    Return ``network`` with ``turns`` in its attachments, so that :meth:`RoadNetwork.save` keeps them.

    Networks are immutable: the returned network is a new one (sharing every
    array) and ``network`` is unchanged.

    When the expanded graph (``turns`` itself, or the one cached by
    :meth:`TurnRestrictions.expanded`) has been prepared, its contraction order
    is stored too, so that after :meth:`RoadNetwork.load` the turn-aware
    hierarchy is rebuilt without a new nested dissection. Read back with
    :func:`attached`.
    """
    graph = turns if isinstance(turns, TurnGraph) else turns._cache.get(id(network))
    if isinstance(turns, TurnGraph):
        turns = turns.turns
    if network.arc_count != turns.arc_count or network.node_count != turns.node_count:
        msg = f"These turn restrictions belong to another network than {network!r}."
        raise NetworkError(msg)
    order = turns.cch_order
    if graph is not None and graph.network is network and graph.order is not None:
        order = graph.order
    arrays: dict[str, npt.NDArray[Any]] = {
        "options": np.array(
            [
                turns.arc_count,
                turns.node_count,
                _U_TURN_CODE[turns.u_turns],
                int(turns.intersection_costs),
            ],
            dtype=np.int64,
        ),
        "forbidden": np.asarray(turns.forbidden, dtype=np.int64).reshape(-1, 2),
        "via_way_offsets": np.asarray(turns.via_way_offsets, dtype=np.int64),
        "via_way_arcs": np.asarray(turns.via_way_arcs, dtype=np.int64),
        "via_way_only": np.asarray(turns.via_way_only, dtype=np.uint8),
        "penalty_arcs": np.asarray(turns.penalty_arcs, dtype=np.int64).reshape(-1, 2),
        "penalty_s": np.asarray(turns.penalty_s, dtype=np.float64),
        "arc_controls": np.asarray(turns.arc_controls, dtype=np.int64).reshape(-1, 2),
        "approach_controls": np.asarray(turns.approach_controls, dtype=np.int64).reshape(-1, 2),
        "conditional_offsets": np.asarray(turns.conditional_offsets, dtype=np.int64),
        "conditional_arcs": np.asarray(turns.conditional_arcs, dtype=np.int64),
        "conditional_only": np.asarray(turns.conditional_only, dtype=np.uint8),
        # Packed: one row of 2 x 21 bytes (policy, 168 hours as bits) per restriction.
        "conditional_hours": np.packbits(
            np.asarray(turns.conditional_hours, dtype=bool).reshape(-1, 2, HOURS_PER_WEEK),
            axis=-1,
        ).reshape(-1, 2 * HOURS_PER_WEEK // 8),
        "conditional_unread": np.frombuffer(
            "\n".join(turns.unread_conditions).encode("utf-8"), dtype=np.uint8
        ).copy(),
    }
    # Every key is always written (empty for "none") so that attaching again
    # replaces all of an earlier attachment.
    arrays["node_control"] = (
        np.empty(0, dtype=np.int8)
        if turns.node_control is None
        else np.asarray(turns.node_control, dtype=np.int8)
    )
    arrays["cch_order"] = (
        np.empty(0, dtype=np.uint32) if order is None else np.asarray(order, dtype=np.uint32)
    )
    return network.with_attachments(**{_PREFIX + name: a for name, a in arrays.items()})


def detach(network: RoadNetwork) -> RoadNetwork:
    """
    Return ``network`` without the turns :func:`attach` put on it (``network`` itself if none).

    Routers on the result are node-based again: what ``load_osm(...,
    turn_restrictions=False)`` gives for a file, for a network already loaded or
    saved with its turns (``ecoroute route --no-turns``). Everything else the
    network carries (its hierarchy, other attachments) is kept.
    """
    kept = {k: v for k, v in network.attachments.items() if not k.startswith(_PREFIX)}
    if len(kept) == len(network.attachments):
        return network
    return network._evolve(attachments=MappingProxyType(kept))


_ATTACHED: weakref.WeakKeyDictionary[RoadNetwork, TurnGraph] = weakref.WeakKeyDictionary()


def attached_graph(network: RoadNetwork) -> TurnGraph | None:
    """
    The expanded graph of the turns attached to ``network`` (:func:`attach`), or None.

    Built once per network object (networks are immutable), so every Router on
    the network shares it and its contraction hierarchy.
    """
    graph = _ATTACHED.get(network)
    if graph is None:
        rules = attached(network)
        if rules is None:
            return None
        graph = _ATTACHED[network] = rules.expanded(network)
    return graph


def attached(network: RoadNetwork) -> TurnRestrictions | None:
    """
    Return the turn restrictions stored by :func:`attach` (e.g. in a loaded network), or None.

    Raises
    ------
    NetworkError
        (a ``ValueError``) if the stored arrays do not fit the network.
    """
    arrays = {
        k[len(_PREFIX) :]: np.asarray(v)
        for k, v in network.attachments.items()
        if k.startswith(_PREFIX)
    }
    if not arrays:
        return None
    try:
        arc_count, node_count, u_turn_code, costs = (int(x) for x in arrays["options"])
        if arc_count != network.arc_count or node_count != network.node_count:
            msg = "the stored turn restrictions were made for another network"
            raise ValueError(msg)
        u_turns: UTurns = "everywhere" if u_turn_code == 1 else "dead_ends"
        for name in ("arc_controls", "approach_controls"):
            rows = np.asarray(arrays.get(name, np.empty((0, 2))), dtype=np.int64).reshape(-1, 2)
            if ((rows[:, 0] < 0) | (rows[:, 0] >= arc_count)).any() or not np.isin(
                rows[:, 1], list(_CONTROL_PENALTY_S)
            ).all():
                msg = f"{name} names an arc outside 0..{arc_count - 1} or an unknown control"
                raise ValueError(msg)
        turns = TurnRestrictions(
            arc_count=arc_count,
            node_count=node_count,
            forbidden=np.array(arrays["forbidden"], dtype=np.int64).reshape(-1, 2),
            via_way_offsets=np.array(arrays["via_way_offsets"], dtype=np.int64),
            via_way_arcs=np.array(arrays["via_way_arcs"], dtype=np.int64),
            via_way_only=np.array(arrays["via_way_only"], dtype=bool),
            penalty_arcs=np.array(arrays["penalty_arcs"], dtype=np.int64).reshape(-1, 2),
            penalty_s=np.array(arrays["penalty_s"], dtype=np.float64),
            node_control=(
                np.array(arrays["node_control"], dtype=np.int8)
                if arrays.get("node_control", np.empty(0)).size
                else None
            ),
            arc_controls=np.array(arrays["arc_controls"], dtype=np.int64).reshape(-1, 2),
            # Saved before approach controls existed: none (their signs were
            # saved as node controls, paid by every turn, and stay so).
            approach_controls=np.array(
                arrays.get("approach_controls", np.empty((0, 2))), dtype=np.int64
            ).reshape(-1, 2),
            u_turns=u_turns,
            intersection_costs=bool(costs),
            **_attached_conditionals(arrays, arc_count),
            cch_order=(
                np.array(arrays["cch_order"], dtype=np.uint32)
                if arrays.get("cch_order", np.empty(0)).size
                else None
            ),
        )
    except (KeyError, ValueError) as error:
        msg = f"The network's stored turn restrictions cannot be read: {error}."
        raise NetworkError(msg) from error
    return turns


def _attached_conditionals(
    arrays: Mapping[str, npt.NDArray[Any]], arc_count: int
) -> dict[str, Any]:
    """The conditional restrictions :func:`attach` stored (none in saves made before them)."""
    if "conditional_offsets" not in arrays:
        return {}
    offsets = np.array(arrays["conditional_offsets"], dtype=np.int64)
    arcs = np.array(arrays["conditional_arcs"], dtype=np.int64)
    only = np.array(arrays["conditional_only"], dtype=bool)
    packed = np.asarray(arrays["conditional_hours"], dtype=np.uint8).reshape(
        len(only), 2, HOURS_PER_WEEK // 8
    )
    hours = np.unpackbits(packed, axis=-1, count=HOURS_PER_WEEK).astype(bool)
    if (
        offsets.size != only.size + 1
        or offsets[0] != 0
        or offsets[-1] != arcs.size
        or (np.diff(offsets) < 2).any()
        or (arcs.size and (arcs.min() < 0 or arcs.max() >= arc_count))
    ):
        msg = "the conditional restrictions do not fit the network"
        raise ValueError(msg)
    text = bytes(np.asarray(arrays.get("conditional_unread", np.empty(0)), np.uint8)).decode()
    return {
        "conditional_offsets": offsets,
        "conditional_arcs": arcs,
        "conditional_only": only,
        "conditional_hours": hours,
        "unread_conditions": tuple(text.split("\n")) if text else (),
    }


# ---------------------------------------------------------------------- the router's engine


class TurnEngine:
    """
    A query engine on the expanded graph that answers in network nodes and arcs.

    Same methods as ``_core.QueryEngine``: sources map to start nodes,
    targets to end nodes, expanded paths back to the network arcs they drive.
    """

    def __init__(self, engine: _core.QueryEngine, graph: TurnGraph) -> None:
        self._engine = engine
        self.graph = graph

    def route_pairs(
        self, sources: Any, targets: Any, *, with_paths: bool = False, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any]:
        """Cost, quantity sums and (optionally) network paths of each pair."""
        g = self.graph
        cost, sums, offsets, arcs = self._engine.route_pairs(
            g.start_nodes(sources),
            g.end_nodes(targets),
            with_paths=with_paths,
            num_threads=num_threads,
        )
        if with_paths:
            offsets, arcs = g.network_paths(offsets, arcs)
        return cost, sums, offsets, arcs

    def matrix(self, sources: Any, targets: Any, *, num_threads: int = 0) -> tuple[Any, Any]:
        """Every source to every target."""
        g = self.graph
        return self._engine.matrix(
            g.start_nodes(sources), g.end_nodes(targets), num_threads=num_threads
        )

    def costs_from(self, source: int) -> FloatArray:
        """Cost from ``source`` to every network node."""
        g = self.graph
        cost = self._engine.costs_from(int(g.start_nodes([source])[0]))
        n = g.network.node_count
        return np.asarray(cost[g.in_offset : g.in_offset + n])


def turn_engine(
    network: RoadNetwork,
    turns: TurnRestrictions | TurnGraph,
    *,
    vehicle: Vehicle,
    payload_kg: float | None,
    arc_quantities: Mapping[str, FloatArray],
    report: Sequence[str],
    objective_weights: Mapping[str, float],
    node_potential: FloatArray | None,
    algorithm: str,
    num_threads: int,
    speed_kph: FloatArray | None = None,
    destination: npt.NDArray[np.bool_] | None = None,
    conditional: tuple[str, int | None] = ("ignore", None),
) -> tuple[TurnEngine, str, dict[str, FloatArray]]:
    """
    Build the Router's engine on the turn-expanded graph (``Router(..., turns=...)``).

    ``algorithm="auto"`` picks ``"cch"`` when the expanded graph or the
    network is prepared, else bidirectional A*; ``"cch"`` prepares the
    expanded graph's hierarchy if needed. ``speed_kph`` (per network arc)
    is the speed each arc is driven at when it differs from the network's
    (traffic at an hour): turns pull away to it. ``destination`` (per
    network arc) marks the vehicle's destination-only arcs, driven only at a
    route's start and end: the phase copies close the turns that would pass
    through them (:mod:`ecoroute.destination`). ``conditional`` is the
    router's policy and the hour of the week (None: no departure) at which
    conditional turn restrictions are judged
    (:meth:`TurnGraph.conditionally_closed`): the turns they close cost
    ``+inf``, like turns closed by the phases.

    Returns
    -------
    tuple
        The engine, the algorithm used and the per-expanded-arc quantities.
    """
    from .objectives import ALGORITHM_ENUM, ALGORITHMS

    graph = turns if isinstance(turns, TurnGraph) else turns.expanded(network)
    if graph.network is not network:
        msg = "The turn graph was built for another network."
        raise NetworkError(msg)
    if algorithm == "auto":
        algorithm = (
            "cch" if graph.prepared or network.hierarchy is not None else "bidirectional_astar"
        )
    if algorithm not in ALGORITHM_ENUM:
        msg = (
            f"Unknown algorithm {algorithm!r}; choose auto, cch or one of {', '.join(ALGORITHMS)}."
        )
        raise ValueError(msg)
    quantities = graph.quantities(arc_quantities, vehicle, payload_kg, speed_kph=speed_kph)
    # The phases of destination-only arcs close some turns to this vehicle: +inf in every
    # quantity, as arcs closed to it (ecoroute.destination).
    closed = graph.closed_by_phase(destination) | graph.conditionally_closed(*conditional)
    for values in quantities.values():
        values[closed] = np.inf
        values.flags.writeable = False
    weight = np.zeros(graph.arc_count)
    for name, factor in objective_weights.items():
        if factor:  # 0 * inf (a closed arc) is NaN
            weight += factor * quantities[name]
    if node_potential is not None:
        phi = np.asarray(node_potential)[graph.node_position]
        e_tail = graph.arc_tail
        reduced = weight + phi[e_tail] - phi[graph.graph.head]
        scale = np.abs(weight) + np.abs(phi[e_tail]) + np.abs(phi[graph.graph.head])
        bad = reduced < -1e-9 * np.maximum(scale, 1e-12)
        if bad.any():
            msg = (
                f"{vehicle.name}: a turn recovers more energy than the potential allows "
                f"(reduced cost {reduced[np.flatnonzero(bad)[0]]:.6g})."
            )
            raise ValueError(msg)
        weight = np.maximum(reduced, 0.0)
    elif (weight < 0).any():
        msg = (
            f"{vehicle.name} gives a turn a negative weight and there is no potential to shift it."
        )
        raise ValueError(msg)
    metric = _core.Metric(graph.graph, weight)
    reported = [quantities[q] for q in report]
    engine: Any
    if algorithm == "cch":
        cch = graph.prepare(num_threads=num_threads)
        engine = _core.QueryEngine(_core.CchMetric(cch, metric, num_threads=num_threads), reported)
    else:
        points = _core.SpherePoints(*graph.unit_vectors()) if "astar" in algorithm else None
        engine = _core.QueryEngine(metric, ALGORITHM_ENUM[algorithm], reported, points)
    return TurnEngine(engine, graph), algorithm, quantities


_PLAIN_GRAPHS: weakref.WeakKeyDictionary[Any, TurnGraph] = weakref.WeakKeyDictionary()


def plain_turn_graph(network: RoadNetwork) -> TurnGraph:
    """
    The turn graph of a network without turn data: every turn allowed, U-turns everywhere.

    It has the node graph's routes, with one expanded arc per turn and end
    copies of destination-only arcs, which is what driving those only at a
    route's ends needs (:mod:`ecoroute.destination`).
    No intersection costs. Built once per network and shared by every
    vehicle's router (each customizes its own metric on it).
    """
    graph = _PLAIN_GRAPHS.get(network)
    if graph is None:
        none = TurnRestrictions(
            arc_count=network.arc_count, node_count=network.node_count, u_turns="everywhere"
        )
        graph = none.expanded(network)
        _PLAIN_GRAPHS[network] = graph
    return graph


# ---------------------------------------------------------------------- reading OSM


@dataclass
class _Relation:
    relation_id: int
    kind: str  # "no" or "only"
    from_ways: list[int]
    via_nodes: list[int]
    via_ways: list[int]
    to_ways: list[int]
    #: Conditional restrictions: per policy and hour whether it applies ((2, 168) bool).
    hours: npt.NDArray[np.bool_] | None = None


def _conditional_values(
    tags: Mapping[str, str], vehicle_class: VehicleClass
) -> list[tuple[str, str, npt.NDArray[np.bool_], bool]]:
    """
    The conditional restrictions of a relation for the vehicle class: (value, condition, hours, understood).

    ``restriction:<vehicle_class>:conditional`` and
    ``restriction:motor_vehicle:conditional`` before
    ``restriction:conditional``, as for the unconditional values;
    ``except=`` exempts as it does there.
    """
    excepted = {x.strip() for x in tags.get("except", "").split(";")}
    if vehicle_class in excepted or "motor_vehicle" in excepted:
        return []
    for key in (
        f"restriction:{vehicle_class}:conditional",
        "restriction:motor_vehicle:conditional",
        "restriction:conditional",
    ):
        if key in tags:
            return [
                (r.value, r.condition.text, turn_hours(r.condition), r.condition.understood)
                for r in parse_conditional(tags[key])
            ]
    return []


def _restriction_value(tags: Mapping[str, str], vehicle_class: VehicleClass) -> str | None:
    """The restriction that applies to the vehicle class, or None."""
    excepted = {x.strip() for x in tags.get("except", "").split(";")}
    if vehicle_class in excepted or "motor_vehicle" in excepted:
        return None
    for key in (f"restriction:{vehicle_class}", "restriction:motor_vehicle", "restriction"):
        if key in tags:
            return tags[key]
    return None


def _read_relations(
    path: Path, vehicle_class: VehicleClass
) -> tuple[list[_Relation], list[str], list[str]]:
    """The restriction relations for the vehicle class, why some are skipped, unread conditions."""
    import osmium

    relations: list[_Relation] = []
    skipped: list[str] = []
    unread: list[str] = []
    processor = osmium.FileProcessor(str(path)).with_filter(
        osmium.filter.EntityFilter(osmium.osm.RELATION)
    )
    for relation in processor:
        tags = dict(relation.tags)
        if tags.get("type") != "restriction":
            continue
        wanted: list[tuple[str, npt.NDArray[np.bool_] | None]] = []
        value = _restriction_value(tags, vehicle_class)
        if value is not None:
            wanted.append((value, None))
        for cond_value, condition, when, understood in _conditional_values(tags, vehicle_class):
            if not understood:
                unread.append(f"relation {relation.id}: {condition}")
            wanted.append((cond_value, when))
        if not wanted:
            continue
        kinds: list[tuple[str, str, npt.NDArray[np.bool_] | None]] = []
        for value, hours in wanted:
            if value in _NO or (value.startswith("no_") and value not in _NOT_RESTRICTIONS):
                kinds.append(("no", value, hours))
            elif value in _ONLY or value.startswith("only_"):
                # any only_* (only_left_on, a mistyped only_left_turn), as OSRM
                kinds.append(("only", value, hours))
            else:
                skipped.append(f"relation {relation.id}: unknown restriction {value!r}")
        if not kinds:
            continue
        members: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for member in relation.members:  # type: ignore[union-attr]
            members[member.role].append((member.type, member.ref))
        from_ways = [ref for kind_, ref in members["from"] if kind_ == "w"]
        to_ways = [ref for kind_, ref in members["to"] if kind_ == "w"]
        via_nodes = [ref for kind_, ref in members["via"] if kind_ == "n"]
        via_ways = [ref for kind_, ref in members["via"] if kind_ == "w"]
        if not from_ways or not to_ways or bool(via_nodes) == bool(via_ways) or len(via_nodes) > 1:
            skipped.append(f"relation {relation.id}: needs from and to ways and one via")
            continue
        for kind, value, hours in kinds:
            # Several from ways only for no_entry, several to ways only for no_exit (OSM wiki
            # Relation:restriction); other such relations are ambiguous and skipped, as OSRM.
            if (len(from_ways) > 1 and value != "no_entry") or (
                len(to_ways) > 1 and value != "no_exit"
            ):
                skipped.append(f"relation {relation.id}: {value} with several from or to ways")
                continue
            relations.append(
                _Relation(relation.id, kind, from_ways, via_nodes, via_ways, to_ways, hours)
            )
    return relations, skipped, unread


#: Directions a control can be tagged with, along its way's node order.
_NO_DIRECTION, _FORWARD, _BACKWARD, _BOTH = 0, 1, -1, 2
_DIRECTION_VALUE = {"forward": _FORWARD, "backward": _BACKWARD, "both": _BOTH, "all": _BOTH}
#: Tags that say which way a control faces, the most specific first (OSM wiki:
#: Key:traffic_signals:direction, Key:stop:direction, Tag:highway=give_way;
#: OSRM's ``profiles/lib/obstacles.lua`` reads the first and ``direction``).
_DIRECTION_KEYS = {
    SIGNALS: ("traffic_signals:direction", "direction"),
    STOP: ("stop:direction", "direction"),
    GIVE_WAY: ("give_way:direction", "direction"),
}


@dataclass
class _Control:
    """A control node as tagged: where it is, what it is, which way it faces."""

    key: int  # point key of its location
    code: int  # SIGNALS, STOP or GIVE_WAY
    direction: int  # _NO_DIRECTION, _FORWARD, _BACKWARD or _BOTH
    all_way: bool = False  # stop=all
    #: Per way through the node, for a control with a direction: point keys
    #: of the way's node before and after it (or -1).
    neighbours: list[tuple[int, int]] = field(default_factory=list)


def _control_of(tags: Mapping[str, str], key: int) -> _Control | None:
    code = _CONTROL_TAG.get(tags.get("highway") or "")
    if not code:
        return None
    value = next((tags[k] for k in _DIRECTION_KEYS[code] if k in tags), "")
    return _Control(
        key=key,
        code=code,
        direction=_DIRECTION_VALUE.get(value.strip().lower(), _NO_DIRECTION),
        all_way=code == STOP and tags.get("stop") == "all",
    )


def _read_ways_and_controls(
    path: Path, way_ids: set[int], *, controls_wanted: bool = True
) -> tuple[dict[int, tuple[list[int], IntArray]], dict[int, _Control]]:
    """Node refs and point keys of the ways asked for; controls of highway nodes and their ways."""
    import osmium

    ways: dict[int, tuple[list[int], IntArray]] = {}
    controls: dict[int, _Control] = {}  # OSM node id -> control
    directed = osmium.IdTracker()  # controls with a direction: their ways are read
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.NODE | osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    for entity in processor:
        if isinstance(entity, osmium.osm.Node):
            highway = entity.tags.get("highway") or ""
            if controls_wanted and highway in _CONTROL_TAG and entity.location.valid():
                loc = entity.location
                control = _control_of(dict(entity.tags), int(_point_keys(loc.lon, loc.lat)))
                if control is not None:
                    controls[entity.id] = control
                    if control.direction in (_FORWARD, _BACKWARD):
                        directed.add_node(entity.id)
        elif isinstance(entity, osmium.osm.Way) and entity.id in way_ids:
            ways[entity.id] = _way_points(entity)
    if any(c.direction in (_FORWARD, _BACKWARD) for c in controls.values()):
        _read_neighbours(path, controls, directed)
    return ways, controls


def _way_points(way: Any) -> tuple[list[int], IntArray]:
    """Node refs and point keys of a way's nodes that have a location."""
    refs, lon, lat = [], [], []
    for node in way.nodes:
        if node.location.valid():
            refs.append(node.ref)
            lon.append(node.location.lon)
            lat.append(node.location.lat)
    return refs, _point_keys(lon, lat)


def _read_neighbours(path: Path, controls: Mapping[int, _Control], directed: Any) -> None:
    """
    Add to each control with a direction the points before and after it on every way through it.

    Ways that are not roads (a footway crossing at the node) add points that
    no arc passes through, so they never match.
    """
    import osmium

    # A second pass, filtered in C++ to the ways through those nodes: checking every
    # way's nodes in Python during the first one doubled the time of reading.
    processor = (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
        .with_filter(directed.contains_filter())
    )
    for way in processor:
        refs, keys = _way_points(way)
        for i, ref in enumerate(refs):
            control = controls.get(ref)
            if control is not None and control.direction in (_FORWARD, _BACKWARD):
                before = int(keys[i - 1]) if i > 0 else -1
                after = int(keys[i + 1]) if i + 1 < len(refs) else -1
                control.neighbours.append((before, after))


class _Matcher:
    """Finds the network arcs along an OSM way at a node, by the way's points."""

    def __init__(self, network: RoadNetwork) -> None:
        first, last = _arc_end_points(network)
        self.network = network
        self.first_key = _point_keys(first[:, 0], first[:, 1])
        self.last_key = _point_keys(last[:, 0], last[:, 1])
        self.node_key = _point_keys(network.lon, network.lat)
        self.into: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.out_of: dict[tuple[int, int], list[int]] = defaultdict(list)
        for arc, (x, k) in enumerate(
            zip(network.head.tolist(), self.last_key.tolist(), strict=True)
        ):
            self.into[(x, k)].append(arc)
        for arc, (x, k) in enumerate(
            zip(network.tail.tolist(), self.first_key.tolist(), strict=True)
        ):
            self.out_of[(x, k)].append(arc)

    def node_index(self, osm_id: int) -> int | None:
        index, found = self.network.find_nodes([osm_id])
        return int(index[0]) if found[0] else None

    def arcs(
        self, node: int, way: tuple[list[int], IntArray], osm_id: int, into: bool
    ) -> list[int]:
        """Arcs entering (``into``) or leaving ``node`` along the way's segments at ``osm_id``."""
        refs, keys = way
        table = self.into if into else self.out_of
        found: list[int] = []
        for i, ref in enumerate(refs):
            if ref != osm_id:
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(refs):
                    found.extend(table.get((node, int(keys[j])), ()))
        return sorted(set(found))

    def walk(
        self, start: int, way: tuple[list[int], IntArray], begin: int, end: int
    ) -> list[int] | None:
        """Arcs from network node ``start`` along the way's points ``begin`` to ``end``."""
        _, keys = way
        network = self.network
        offsets = network.geometry_offsets
        step = 1 if end > begin else -1
        position, node, path = begin, start, []
        while position != end:
            candidates = self.out_of.get((node, int(keys[position + step])), [])
            for arc in candidates:
                segments = int(offsets[arc + 1] - offsets[arc]) + 1
                stop = position + step * segments
                if (stop - end) * step <= 0 and self.node_key[network.head[arc]] == keys[stop]:
                    path.append(arc)
                    position, node = stop, int(network.head[arc])
                    break
            else:
                return None
        return path


def read_turns(
    path: str | Path,
    network: RoadNetwork,
    *,
    vehicle_class: VehicleClass = "motorcar",
    intersection_costs: bool = True,
    u_turns: UTurns = "dead_ends",
) -> TurnRestrictions:
    """
    Read the turn restrictions (and intersection controls) of ``network`` from its OSM file.

    ``type=restriction`` relations with a via node or one or more via ways;
    ``no_*`` and ``only_*``; ``restriction:<vehicle_class>`` and
    ``restriction:motor_vehicle`` before ``restriction``; ``except=`` lists
    that name the vehicle class exempt it. Conditional restrictions
    (``restriction:conditional``, ``restriction:<vehicle_class>:conditional``,
    :mod:`ecoroute.osm_conditional`) are kept apart, with the hours they
    apply (``conditional_*``); the router closes them per its policy and
    departure (docs/map-rules.md, "Conditional restrictions"). Arcs are matched to a
    relation's ways by the ways' points next to the via node, so simplified
    networks (merged chains) work too. With ``intersection_costs`` the nodes
    tagged ``highway=traffic_signals``, ``stop`` or ``give_way`` are read, with
    the tags that say which way they face (``direction``,
    ``traffic_signals:direction``, ``stop:direction``, ``give_way:direction``,
    ``stop=all``), and charged to the approaches they face: docs/turns.md,
    "Which approaches pay a control".

    Parameters
    ----------
    path
        The OSM file the network was loaded from (.osm, .osm.bz2, .osm.pbf).
    network
        The network, e.g. ``ecoroute.load_osm(path)``.
    vehicle_class
        ``"motorcar"`` or ``"hgv"``.
    intersection_costs
        Whether turns cost time and energy (angles, U-turns, signals, signs).
    u_turns
        ``"dead_ends"`` (default) or ``"everywhere"``.

    Returns
    -------
    TurnRestrictions
        ``skipped`` lists relations that could not be placed (ways outside the
        network, broken relations) and why.
    """
    path = Path(path)
    check_osm_file(path)
    _check_u_turns(u_turns)
    if vehicle_class not in ("motorcar", "hgv"):
        msg = f"vehicle_class must be 'motorcar' or 'hgv', not {vehicle_class!r}."
        raise ValueError(msg)
    try:
        relations, skipped, unread = _read_relations(path, vehicle_class)
        wanted = {w for r in relations for w in (*r.from_ways, *r.via_ways, *r.to_ways)}
        ways, controls = _read_ways_and_controls(path, wanted, controls_wanted=intersection_costs)
    except RuntimeError as error:
        msg = f"{path} could not be read as OSM data ({error})."
        raise OsmFileError(msg) from error

    matcher = _Matcher(network)
    forbidden: list[tuple[int, int]] = []
    sequences: list[list[int]] = []
    only_flags: list[bool] = []
    conditional: list[list[int]] = []
    conditional_only: list[bool] = []
    conditional_hours: list[npt.NDArray[np.bool_]] = []
    for r in relations:
        missing = [w for w in (*r.from_ways, *r.via_ways, *r.to_ways) if w not in ways]
        if missing:
            skipped.append(f"relation {r.relation_id}: way {missing[0]} is not in the file")
            continue
        if r.hours is not None:  # conditional: kept apart, with its hours
            turn_pairs: list[tuple[int, int]] = []
            before = len(conditional)
            if r.via_nodes:
                problem = _place_via_node(r, ways, matcher, network, turn_pairs)
                conditional.extend([a, b] for a, b in sorted(set(turn_pairs)))
                conditional_only.extend([False] * (len(conditional) - before))
            else:
                problem = _place_via_ways(r, ways, matcher, conditional, conditional_only)
            conditional_hours.extend([r.hours] * (len(conditional) - before))
        elif r.via_nodes:
            problem = _place_via_node(r, ways, matcher, network, forbidden)
        else:
            problem = _place_via_ways(r, ways, matcher, sequences, only_flags)
        if problem:
            skipped.append(f"relation {r.relation_id}: {problem}")

    node_control = None
    arc_controls = approach_controls = np.empty((0, 2), np.int64)
    if intersection_costs:
        placed = _place_controls(network, controls)
        node_control = placed.node_control
        arc_controls, approach_controls = placed.arc_controls, placed.approach_controls
    pairs = np.asarray(sorted(set(forbidden)), dtype=np.int64).reshape(-1, 2)
    offsets = np.concatenate([[0], np.cumsum([len(s) for s in sequences])]).astype(np.int64)
    return TurnRestrictions(
        arc_count=network.arc_count,
        node_count=network.node_count,
        forbidden=pairs,
        via_way_offsets=offsets,
        via_way_arcs=np.asarray([a for s in sequences for a in s], dtype=np.int64),
        via_way_only=np.asarray(only_flags, dtype=bool),
        node_control=node_control,
        arc_controls=arc_controls,
        approach_controls=approach_controls,
        u_turns=u_turns,
        intersection_costs=intersection_costs,
        skipped=tuple(skipped),
        conditional_offsets=np.concatenate([[0], np.cumsum([len(c) for c in conditional])]).astype(
            np.int64
        ),
        conditional_arcs=np.asarray([a for c in conditional for a in c], dtype=np.int64),
        conditional_only=np.asarray(conditional_only, dtype=bool),
        conditional_hours=np.asarray(conditional_hours, dtype=bool).reshape(-1, 2, HOURS_PER_WEEK),
        unread_conditions=tuple(unread),
    )


def _place_via_node(
    r: _Relation,
    ways: Mapping[int, tuple[list[int], IntArray]],
    matcher: _Matcher,
    network: RoadNetwork,
    forbidden: list[tuple[int, int]],
) -> str:
    """Add the turns a via-node relation forbids; return why it cannot be placed, or ''."""
    via = r.via_nodes[0]
    x = matcher.node_index(via)
    if x is None:
        return f"via node {via} is not a node of the network (dropped or merged into an arc)"
    into = sorted({a for w in r.from_ways for a in matcher.arcs(x, ways[w], via, into=True)})
    out = sorted({b for w in r.to_ways for b in matcher.arcs(x, ways[w], via, into=False)})
    if not into:
        return f"no arc of the network drives along from way {r.from_ways[0]} into node {via}"
    if not out:
        return f"no arc of the network drives along to way {r.to_ways[0]} out of node {via}"
    if r.kind == "no":
        forbidden.extend((a, b) for a in into for b in out)
    else:
        first_out = network.first_out
        others = [b for b in range(int(first_out[x]), int(first_out[x + 1])) if b not in out]
        forbidden.extend((a, b) for a in into for b in others)
    return ""


def _place_via_ways(
    r: _Relation,
    ways: Mapping[int, tuple[list[int], IntArray]],
    matcher: _Matcher,
    sequences: list[list[int]],
    only_flags: list[bool],
) -> str:
    """Add the sequences a via-way relation restricts; return why it cannot be placed, or ''."""
    # Junction between the from way and the first via way: an end of the via way.
    from_refs = {ref for w in r.from_ways for ref in ways[w][0]}
    first_refs = ways[r.via_ways[0]][0]
    ends = [i for i in (0, len(first_refs) - 1) if first_refs[i] in from_refs]
    if not ends:
        return "the first via way does not start or end on the from way"
    junction = first_refs[ends[0]]
    start = matcher.node_index(junction)
    if start is None:
        return f"node {junction} (from way to via way) is not a node of the network"
    via_arcs: list[int] = []
    node_id, node = junction, start
    for w in r.via_ways:
        refs = ways[w][0]
        if refs[0] == node_id:
            begin, end = 0, len(refs) - 1
        elif refs[-1] == node_id:
            begin, end = len(refs) - 1, 0
        else:
            return f"via way {w} does not continue the via ways before it"
        path = matcher.walk(node, ways[w], begin, end)
        if path is None:
            return f"no arcs of the network drive along via way {w}"
        via_arcs.extend(path)
        node_id = refs[end]
        node = int(matcher.network.head[path[-1]]) if path else node
    into = sorted(
        {a for w in r.from_ways for a in matcher.arcs(start, ways[w], junction, into=True)}
    )
    out = sorted({b for w in r.to_ways for b in matcher.arcs(node, ways[w], node_id, into=False)})
    into = [a for a in into if not via_arcs or a != via_arcs[0]]
    if not into or not out or not via_arcs:
        return "no arcs of the network drive from the from way over the via ways to the to way"
    for a in into:
        if r.kind == "no":
            for b in out:
                sequences.append([a, *via_arcs, b])
                only_flags.append(False)
        else:
            sequences.append([a, *via_arcs, out[0]])
            only_flags.append(True)
    return ""


#: Road classes by importance (OSM wiki, Key:highway): at a junction the roads
#: of a lower class than the highest one meeting there are its minor roads.
#: Link roads rank below every through road down to tertiary: the slip road
#: is the one that gives way where it meets another road.
_CLASS_RANK = {
    name: rank
    for rank, names in enumerate(
        (
            ("motorway",),
            ("trunk",),
            ("primary",),
            ("secondary",),
            ("tertiary",),
            ("motorway_link", "trunk_link", "primary_link", "secondary_link", "tertiary_link"),
            ("unclassified",),
            ("residential",),
            ("living_street",),
            ("service",),
        )
    )
    for name in names
}
_OTHER_CLASS_RANK = len(set(_CLASS_RANK.values()))
#: A signal without a direction on a shape point (or another non-junction
#: node) at most this far from a junction, along the road, is taken as the
#: signal of that junction's approach (mapped at the stop line, the common way
#: of mapping each approach's signal); farther away (a signal for a mid-block
#: pedestrian crossing) it stops both directions. OSRM's car profile uses the
#: same 20 m for stop signs without a direction (``process_turn``).
SIGNAL_APPROACH_M = 20.0


@dataclass
class _Placement:
    """Where the controls of a file are charged, and how many went which way."""

    node_control: npt.NDArray[np.int8]
    arc_controls: IntArray
    approach_controls: IntArray
    counts: dict[str, int]


class _Roads:
    """The network's roads seen from a control: neighbours, lengths, junctions."""

    def __init__(self, network: RoadNetwork) -> None:
        self.network = network
        self.roads = _distinct_neighbours(network)
        tail = network.tail.astype(np.int64)
        head = network.head.astype(np.int64)
        m = tail.size
        self.into_order = np.argsort(head, kind="stable")
        self.into_start = np.searchsorted(head[self.into_order], np.arange(network.node_count + 1))
        _, last = _arc_end_points(network)
        self.last_key = _point_keys(last[:, 0], last[:, 1])
        self.rank = np.array(
            [_CLASS_RANK.get(str(h), _OTHER_CLASS_RANK) for h in network.highway.tolist()]
            if m
            else [],
            dtype=np.int64,
        )
        # Nodes a road passes through (two distinct neighbours): their neighbours
        # and the length to each, for walking along the road to its junctions.
        self.through: dict[int, list[tuple[int, float]]] = defaultdict(list)
        passing = self.roads == 2
        length = network.length_m
        for a in np.flatnonzero(passing[tail] | passing[head]).tolist():
            u, v, d = int(tail[a]), int(head[a]), float(length[a])
            for x, y in ((u, v), (v, u)):
                if passing[x] and all(y != z for z, _ in self.through[x]):
                    self.through[x].append((y, d))

    def into(self, x: int) -> list[int]:
        """Arcs entering node ``x`` (self-loops left out)."""
        arcs = self.into_order[self.into_start[x] : self.into_start[x + 1]].tolist()
        tail = self.network.tail
        return [a for a in arcs if tail[a] != x]

    def reach(self, node: int, previous: int) -> tuple[float, bool]:
        """
        Metres from ``node``, going away from ``previous``, to the end of the road.

        The road ends where it meets another road (a junction: True) or at a
        dead end (False); through nodes of a road (two distinct neighbours)
        are passed.
        """
        distance, seen = 0.0, {node}
        while self.roads[node] == 2:
            ahead = [(y, d) for y, d in self.through[node] if y != previous]
            if len(ahead) != 1 or ahead[0][0] in seen:  # a ring: no end
                return distance, False
            previous, (node, d) = node, ahead[0]
            distance += d
            seen.add(node)
        return distance, bool(self.roads[node] > 2)


def _charged(control: _Control, ahead: tuple[float, bool], behind: tuple[float, bool]) -> bool:
    """
    Whether a control without a direction, met on a two-way road, is paid driving towards ``ahead``.

    ``ahead`` and ``behind`` are the distance along the road to its end in
    each direction and whether that end is a junction. A stop or give-way
    sign applies to the traffic heading to the nearer junction (OSM wiki,
    Tag:highway=give_way, which highway=stop follows): a junction wins over a
    dead end, then the shorter distance (a tie charges both). A signal
    applies to both directions unless it is within SIGNAL_APPROACH_M of a
    junction (then only towards the nearer such junction).
    """
    (d_ahead, j_ahead), (d_behind, j_behind) = ahead, behind
    if control.code == SIGNALS:
        near_ahead = j_ahead and d_ahead <= SIGNAL_APPROACH_M
        near_behind = j_behind and d_behind <= SIGNAL_APPROACH_M
        if near_ahead != near_behind:
            return near_ahead
        return not near_ahead or d_ahead <= d_behind
    if j_ahead != j_behind:
        return j_ahead
    return d_ahead <= d_behind


def _faces(control: _Control, before: int, after: int) -> int:
    """Whether driving from point ``before`` to ``after`` through the control goes forward along its way."""
    forward = any(p == before or (n == after and n >= 0) for p, n in control.neighbours)
    backward = any(n == before or (p == after and p >= 0) for p, n in control.neighbours)
    if forward == backward:
        return _NO_DIRECTION  # cannot tell (no way matches, or both do)
    return _FORWARD if forward else _BACKWARD


def _place_controls(network: RoadNetwork, controls: Mapping[int, _Control]) -> _Placement:
    """
    Decide which turns and arcs pay each control (docs/turns.md, section 2).

    Controls at network nodes: a direction charges the turns out of the arcs
    that arrive travelling that way along the control's way (approach
    controls); signals, ``stop=all`` and ``direction=both`` charge every turn
    through the node; a stop or give-way sign at a junction charges the turns
    out of the minor roads' arcs (every turn if all roads are of one class);
    at a node a road merely passes through, the approach heading to the
    nearer junction pays (:func:`_charged`). Controls on shape points: the
    arcs through the point that travel the tagged way, or for no direction on
    a two-way road, the one heading to the nearer junction; on a one-way road
    its arc.
    """
    n = network.node_count
    node_control = np.zeros(n, dtype=np.int8)
    arcs: list[tuple[int, int]] = []
    approaches: list[tuple[int, int]] = []
    counts: defaultdict[str, int] = defaultdict(int)
    empty = np.empty((0, 2), np.int64)
    if not controls:
        return _Placement(node_control, empty, empty.copy(), {})
    roads = _Roads(network)
    tail, head = network.tail, network.head
    names = {SIGNALS: "signals", STOP: "stop", GIVE_WAY: "give_way"}
    ids = np.fromiter(controls, dtype=np.int64, count=len(controls))
    index, found = network.find_nodes(ids)

    for osm_id, x in zip(ids[found].tolist(), index[found].tolist(), strict=True):
        c = controls[osm_id]
        what = names[c.code]
        into = roads.into(x)
        if c.direction in (_FORWARD, _BACKWARD):
            chosen = [a for a in into if _faces(c, int(roads.last_key[a]), -1) == c.direction]
            approaches.extend((a, c.code) for a in chosen)
            counts[f"{what} at a node, with a direction: approaches charged"] += len(chosen)
        elif c.direction == _BOTH or roads.roads[x] <= 1 or len({tail[a] for a in into}) <= 1:
            node_control[x] = c.code  # both ways, a dead end, or a one-way road
            counts[f"{what} at a node, every turn"] += 1
        elif roads.roads[x] > 2:
            if c.code == SIGNALS or c.all_way:
                node_control[x] = c.code
                counts[f"{what} at a junction, every turn"] += 1
                continue
            incident = np.concatenate(
                [np.asarray(into, np.int64), np.flatnonzero(tail == x).astype(np.int64)]
            )
            best = int(roads.rank[incident].min())
            if (roads.rank[incident] == best).all():
                node_control[x] = c.code
                counts[f"{what} at a junction of one road class, every turn"] += 1
            else:
                minor = [a for a in into if roads.rank[a] > best]
                approaches.extend((a, c.code) for a in minor)
                counts[f"{what} at a junction, minor approaches"] += 1
                counts[f"{what} at a junction, minor approaches charged"] += len(minor)
                counts[f"{what} at a junction, major approaches not charged"] += len(into) - len(
                    minor
                )
        else:  # a road passes through x: charge the approach heading to the nearer junction
            chosen = [
                a
                for a in into
                if _charged(c, roads.reach(x, int(tail[a])), roads.reach(x, _other(roads, x, a)))
            ]
            approaches.extend((a, c.code) for a in chosen)
            counts[f"{what} at a through node, approaches charged"] += len(chosen)
            counts[f"{what} at a through node, approaches not charged"] += len(into) - len(chosen)

    rest = ids[~found]
    placed_on_shapes = 0
    if rest.size and network.geometry_lonlat.size:
        geometry = network.geometry_lonlat
        offsets = network.geometry_offsets
        shape_keys = _point_keys(geometry[:, 0], geometry[:, 1])
        rest_keys = np.array([controls[i].key for i in rest.tolist()], dtype=np.int64)
        order = np.argsort(rest_keys)
        pos = np.minimum(np.searchsorted(rest_keys[order], shape_keys), rest_keys.size - 1)
        hit = np.flatnonzero(rest_keys[order][pos] == shape_keys)
        shape_arc = np.repeat(np.arange(network.arc_count), np.diff(offsets))
        by_control: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for g, i in zip(hit.tolist(), order[pos[hit]].tolist(), strict=True):
            by_control[int(rest[i])].append((int(shape_arc[g]), g))
        for osm_id, hits in by_control.items():
            c = controls[osm_id]
            what = names[c.code]
            pairs = {(int(tail[a]), int(head[a])) for a, _ in hits}
            for a, g in hits:
                if c.direction in (_FORWARD, _BACKWARD):
                    faces = _faces(c, *_around(network, a, g, offsets, geometry))
                    pays = faces in (c.direction, _NO_DIRECTION)
                    counts[f"{what} on a shape point, with a direction, not matched"] += (
                        faces == _NO_DIRECTION
                    )
                elif c.direction == _BOTH or (int(head[a]), int(tail[a])) not in pairs:
                    pays = True  # both ways, or a one-way road
                else:
                    u, v = int(tail[a]), int(head[a])
                    d_tail, d_head = _along(network, a, g, offsets, geometry)
                    ahead = roads.reach(v, u)
                    behind = roads.reach(u, v)
                    pays = _charged(
                        c, (d_head + ahead[0], ahead[1]), (d_tail + behind[0], behind[1])
                    )
                if pays:
                    arcs.append((a, c.code))
                counts[f"{what} on a shape point, arcs {'charged' if pays else 'not charged'}"] += 1
            placed_on_shapes += 1
    counts["not on the network"] = int(rest.size) - placed_on_shapes
    return _Placement(
        node_control,
        np.asarray(sorted(arcs), dtype=np.int64).reshape(-1, 2),
        np.asarray(sorted(approaches), dtype=np.int64).reshape(-1, 2),
        dict(sorted(counts.items())),
    )


def _other(roads: _Roads, x: int, a: int) -> int:
    """The neighbour of through node ``x`` that arc ``a`` (entering ``x``) does not come from."""
    came = int(roads.network.tail[a])
    ahead = [y for y, _ in roads.through[x] if y != came]
    return ahead[0] if ahead else came


def _arc_points(
    network: RoadNetwork, a: int, offsets: IntArray, geometry: FloatArray
) -> list[tuple[float, float]]:
    """(lon, lat) of arc ``a``'s tail, shape points and head."""
    t, h = int(network.tail[a]), int(network.head[a])
    return [
        (float(network.lon[t]), float(network.lat[t])),
        *map(tuple, geometry[offsets[a] : offsets[a + 1]].tolist()),
        (float(network.lon[h]), float(network.lat[h])),
    ]


def _around(
    network: RoadNetwork, a: int, g: int, offsets: IntArray, geometry: FloatArray
) -> tuple[int, int]:
    """Point keys of the points before and after shape point ``g`` of arc ``a``."""
    points = _arc_points(network, a, offsets, geometry)
    i = g - int(offsets[a]) + 1  # position of the shape point in the arc's points
    keys = _point_keys([p[0] for p in points[i - 1 : i + 2]], [p[1] for p in points[i - 1 : i + 2]])
    return int(keys[0]), int(keys[2])


def _along(
    network: RoadNetwork, a: int, g: int, offsets: IntArray, geometry: FloatArray
) -> tuple[float, float]:
    """Metres along arc ``a`` from its tail to shape point ``g``, and from there to its head."""
    points = _arc_points(network, a, offsets, geometry)
    i = g - int(offsets[a]) + 1
    step = [_haversine_m(p, q) for p, q in itertools.pairwise(points)]
    return math.fsum(step[:i]), math.fsum(step[i:])


def _haversine_m(p: tuple[float, float], q: tuple[float, float]) -> float:
    """Great-circle metres between two (lon, lat) points, the formula of ``_geo.haversine_m``."""
    from ._geo import EARTH_RADIUS_M

    phi1, phi2 = math.radians(p[1]), math.radians(q[1])
    h = (
        math.sin((phi2 - phi1) / 2) ** 2
        + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(q[0] - p[0]) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(max(h, 0.0), 1.0)))


def read_turn_penalties(path: str | Path, network: RoadNetwork) -> tuple[IntArray, FloatArray]:
    """
    Read OSRM's turn-penalty CSV (``from_osm_id,via_osm_id,to_osm_id,penalty_s[,weight]``).

    Node ids are OSM node ids of network nodes: the turn from the arc
    ``from -> via`` into the arc ``via -> to``. Pass the result to
    :meth:`TurnRestrictions.with_penalties`.

    Returns
    -------
    tuple
        ``(k, 2)`` arc pairs and their penalties in seconds.

    Raises
    ------
    NetworkError
        (a ``ValueError``) naming the file and row of a malformed line, a
        negative penalty, or a turn that is not in the network.
    """
    path = Path(path)
    pairs: list[tuple[int, int]] = []
    seconds: list[float] = []
    tail, head = network.tail, network.head
    arcs_between: dict[tuple[int, int], list[int]] = defaultdict(list)
    for arc, (u, v) in enumerate(zip(tail.tolist(), head.tolist(), strict=True)):
        arcs_between[(u, v)].append(arc)
    with path.open(newline="") as handle:
        for row_number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].startswith("#"):
                continue
            try:
                ids = [int(x) for x in row[:3]]
                penalty = float(row[3])
            except (ValueError, IndexError) as error:
                msg = (
                    f"{path}, row {row_number}: expected from_osm_id,via_osm_id,to_osm_id,"
                    f"penalty_s; got {row!r}."
                )
                raise NetworkError(msg) from error
            if not math.isfinite(penalty) or penalty < 0:
                msg = f"{path}, row {row_number}: penalty_s must be a finite number >= 0."
                raise NetworkError(msg)
            index, found = network.find_nodes(ids)
            if not found.all():
                missing = ids[int(np.flatnonzero(~found)[0])]
                msg = f"{path}, row {row_number}: node {missing} is not a node of the network."
                raise NetworkError(msg)
            u, x, v = (int(i) for i in index)
            into, out = arcs_between.get((u, x), []), arcs_between.get((x, v), [])
            if not into or not out:
                msg = f"{path}, row {row_number}: the network has no turn {ids[0]} -> {ids[1]} -> {ids[2]}."
                raise NetworkError(msg)
            for a in into:
                for b in out:
                    pairs.append((a, b))
                    seconds.append(penalty)
    return np.asarray(pairs, dtype=np.int64).reshape(-1, 2), np.asarray(seconds)


def forbidden_turn_pairs(turns: TurnRestrictions) -> set[tuple[int, int]]:
    """The forbidden via-node turns as a set of arc pairs (for checks and tests)."""
    return {(int(a), int(b)) for a, b in turns.forbidden.tolist()}


def path_violations(arcs: Iterable[int], turns: TurnRestrictions) -> list[tuple[int, int]]:
    """Return the forbidden via-node turns a path (network arcs) takes; empty when none."""
    banned = forbidden_turn_pairs(turns)
    path = list(arcs)
    return [(a, b) for a, b in itertools.pairwise(path) if (a, b) in banned]


__all__ = [
    "TurnEngine",
    "TurnGraph",
    "TurnRestrictions",
    "attach",
    "attached",
    "intersection_quantities",
    "read_turn_penalties",
    "read_turns",
    "turn_angles_deg",
    "turn_penalty_s",
]
