"""Routes on a road network for one vehicle and objective: single routes and batches."""

from __future__ import annotations

import dataclasses
import math
import warnings
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._errors import DefaultVehicleWarning, NoRouteError, TooBigError, UnknownNodeError
from ._geo import unit_vectors
from ._progress import shown
from ._validate import as_index_array, check_node_argument, check_threads
from .access import check_conditional_policy, vehicle_rules
from .objectives import (
    ALGORITHM_ENUM,
    ALGORITHMS,
    Algorithm,
    Objective,
    objective_label,
    objective_potential,
    objective_weights_of,
    reduced_weight,
)
from .results import ODMatrix, PairResults, Route
from .snap_policy import (
    SNAP_KINDS,
    FallbackMatrix,
    PointSnaps,
    first_joined,
    matrix_with_fallback,
    nearest_snapper,
    overwrite_pairs,
    pairs_joined,
    pairs_with_fallback,
)
from .snapping import (
    DEFAULT_MAX_SNAP_M,
    Endpoints,
    check_max_snap_m,
    partway_matrix,
    partway_pairs,
    partway_route,
    route_from_pair,
    snapper_for,
)
from .tradeoff import (
    Budget,
    Choice,
    Pareto,
    Tradeoff,
    gap_column,
    pareto_front,
    tradeoff_table,
)
from .vehicles import Vehicle, resolve_vehicle

#: What an undecided conditional restriction does (``Router(..., conditional=...)``).
ConditionalPolicy = Literal["restrict", "ignore"]

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .traffic import SpeedProfiles, TrafficRouting
    from .turns import TurnEngine, TurnGraph, TurnRestrictions

FloatArray = npt.NDArray[np.float64]


#: Pairs per C++ call in route_many: big enough to amortise the call, small
#: enough to update a progress bar and honour Ctrl-C between chunks.
_CHUNK_PAIRS = 20_000

#: What a bounded route is measured against (besides its gap).
_BASELINE_NAMES = ("fastest_time_s", "fastest_co2_g")

#: Cells per C++ call in :meth:`Router.matrix` (rows are split into blocks of
#: about this many cells, so that Ctrl-C is honoured between blocks).
_MATRIX_BLOCK_CELLS = 4_000_000

#: The vehicle of a Router made without one (with a DefaultVehicleWarning that names it).
DEFAULT_VEHICLE = "car_petrol"

#: Blocks of rows a matrix with a progress bar is computed in, at most (see Router.matrix).
MATRIX_PROGRESS_STEPS = 20


class Router:
    """
    Least-cost routes on one network for one vehicle and objective.

    The constructor turns the vehicle's emission model into one weight per arc
    (a single vectorised NumPy pass) and hands it to the C++ core; every query
    afterwards runs in C++ without the GIL.

    Parameters
    ----------
    network
        The road network to route on.
    vehicle
        A catalogue name (see :func:`ecoroute.vehicles`, or ``ecoroute
        vehicles`` in a shell) or a :class:`Vehicle`. Left out, the router
        routes as :data:`DEFAULT_VEHICLE` (a petrol car) and says so with a
        :class:`ecoroute.DefaultVehicleWarning` (once per calling line):
        name the vehicle, a van or truck emits and is allowed differently.
    objective
        What to minimise: ``"co2"`` (grams, the default), ``"co2e_wtw"``
        (well-to-wheel CO2-equivalent, grams), ``"time"`` (seconds),
        ``"distance"`` (metres), ``"fuel"`` (litres) or ``"energy"`` (kWh), or a
        dict of non-negative weights over those names, e.g.
        ``{"co2": 1.0, "time": 0.5}`` to price a second at half a gram.
    algorithm
        ``"dijkstra"``, ``"bidirectional"`` (bidirectional Dijkstra), ``"astar"``
        (A* with a great-circle potential), ``"bidirectional_astar"`` (both
        directions, average potentials), ``"cch"`` (the network's contraction
        hierarchy, see :meth:`RoadNetwork.prepared`; customized here for this
        vehicle), or ``"auto"`` (the default: ``"cch"`` when the network is
        prepared, else bidirectional A*, the fastest search without
        preprocessing). All return the same costs; only their speed differs.
    payload_kg
        Payload passed to the vehicle model (ignored by models without one).
    num_threads
        Threads for batch calls; 0 (the default) uses every core.
    max_extra_time, max_extra_time_s
        A time budget: every query returns, per pair, the least-objective
        route (CO2 by default) whose time is at most ``(1 + max_extra_time)``
        times the fastest route's time plus ``max_extra_time_s`` seconds, with
        the fastest route's time and CO2 and a gap to the exact optimum
        (see docs/tasks/tradeoff.md). Needs a single objective other than time.
    tradeoff_points
        Prices of time (from 0 to infinity) behind budgets, :meth:`pareto`
        and :meth:`tradeoff`: one engine each, built on first use.
    speeds
        Hour-of-week speed profiles (:func:`ecoroute.traffic.with_speeds`);
        they apply to queries given a ``departure=`` (see docs/traffic.md).
        By default, the profiles the network carries
        (:meth:`RoadNetwork.with_speeds`), if any.
    max_snap_m
        Coordinates snap to the nearest point of the nearest road the vehicle
        may drive, and routes start and end there, part-way along the road
        (see docs/turns.md, section 3). A pair those snaps cannot join (a
        point on an island or a one-way stub) is routed again from the
        nearest road of the network's largest strongly connected part, as
        OSRM does (:mod:`ecoroute.snap_policy`); results say which snap each
        end used (``source_snap_kind``, ...). A point farther than this many
        metres from every road the vehicle may drive raises
        :class:`ecoroute.SnapError` (a ``ValueError``) naming it (default
        1 km; ``math.inf``: no limit); a largest-part snap farther than it
        is not used. Queries take ``max_snap_m=`` to override it per call.
    turns
        Turn restrictions and intersection costs (:func:`ecoroute.turns.read_turns`):
        every query then runs on the turn-expanded graph and obeys them; its
        ``"cch"`` is the expanded graph's own hierarchy (see docs/turns.md).
        By default, the turns the network carries
        (``load_osm(..., turn_restrictions=True)``), if any.
    conditional
        What a conditional restriction (``access:conditional``,
        ``hgv:conditional``, ``oneway:conditional``,
        ``restriction:conditional``) does when its condition cannot be
        decided: always without a departure, and with one where the condition
        is not a time of the week (``wet``, ``weight>7.5``, months, ``sunset``,
        a typo). ``"restrict"`` (the default): the stricter value applies (a
        road closed at night is closed; a turn forbidden at rush hour is
        forbidden), so a route is legal at whatever time it is driven.
        ``"ignore"``: the unconditional tags alone apply (OSRM without a
        timestamp). See docs/map-rules.md, "Conditional restrictions".
    conditional_at
        A moment (a ``datetime``, an ISO string or seconds since Monday 00:00,
        as ``departure=``) at which every query of this router reads the
        conditional restrictions; by default each query with a ``departure=``
        reads them at its departure hour, and queries without one follow
        ``conditional``.

    Raises
    ------
    ValueError
        If the objective names a quantity the vehicle does not report, or has
        negative or no positive weights.
    UnknownVehicleError
        (a ``KeyError``) for a vehicle name that is not in the catalogue.
    """

    def __init__(
        self,
        network: RoadNetwork,
        vehicle: str | Vehicle | None = None,
        objective: Objective = "co2",
        *,
        algorithm: Algorithm = "auto",
        payload_kg: float | None = None,
        num_threads: int = 0,
        max_extra_time: float | None = None,
        max_extra_time_s: float | None = None,
        tradeoff_points: int = 9,
        speeds: SpeedProfiles | None = None,
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        turns: TurnRestrictions | TurnGraph | None = None,
        conditional: ConditionalPolicy = "restrict",
        conditional_at: Any = None,
    ) -> None:
        check_conditional_policy(conditional)
        #: The policy for conditional restrictions, and the hour of the week they are read at.
        self.conditional: ConditionalPolicy = conditional
        self.conditional_hour: int | None = None
        if conditional_at is not None:
            from .traffic import departure_seconds, hour_of_week

            self.conditional_hour = hour_of_week(departure_seconds(conditional_at))
        self._options: dict[str, Any] = {
            "objective": objective,
            "algorithm": algorithm,
            "payload_kg": payload_kg,
            "num_threads": num_threads,
            "max_extra_time": max_extra_time,
            "max_extra_time_s": max_extra_time_s,
            "tradeoff_points": tradeoff_points,
            "speeds": speeds,
            "max_snap_m": max_snap_m,
            "conditional": conditional,
        }
        self._at_hours: OrderedDict[int, Router] = OrderedDict()
        self.network = network
        self.tradeoff_points = _check_tradeoff_points(tradeoff_points)
        self.max_snap_m = check_max_snap_m(max_snap_m)
        if vehicle is None:
            warnings.warn(
                f"Router: no vehicle given, so it routes as {DEFAULT_VEHICLE!r} (the default); "
                "pass vehicle= (ecoroute.vehicles() lists them) to route a van or a truck.",
                DefaultVehicleWarning,
                stacklevel=2,
            )
            vehicle = DEFAULT_VEHICLE
        self.vehicle = resolve_vehicle(vehicle)
        self.num_threads = _check_threads(num_threads)
        #: What the map's rules say to this vehicle (closed and destination-only arcs,
        #: why, its speed caps): see ecoroute.access and docs/trucks.md.
        self.rules = vehicle_rules(
            network, self.vehicle, payload_kg, conditional=conditional, hour=self.conditional_hour
        )
        self.arc_quantities: dict[str, FloatArray] = _arc_quantities(
            network, self.vehicle, payload_kg, conditional, self.conditional_hour
        )
        self.objective = objective
        self.objective_weights = objective_weights_of(objective, self.arc_quantities)
        self._payload_kg = payload_kg
        # ---- turns (issue 11): the search runs on the turn-expanded graph, expanded
        # once here; _make_engine builds every engine of this router on it.
        self.turns: TurnGraph | None = None
        self.turn_quantities: dict[str, FloatArray] | None = None
        if turns is None and any(k.startswith("turns.") for k in network.attachments):
            from .turns import attached_graph  # turns the network carries (load_osm, load)

            turns = attached_graph(network)
        if turns is None and self.rules.restricts and self.rules.destination.any():
            from .turns import plain_turn_graph  # destination-only ends (docs/trucks.md)

            turns = plain_turn_graph(network)
        if turns is not None:
            from .turns import TurnGraph

            self.turns = turns if isinstance(turns, TurnGraph) else turns.expanded(network)
        self._options["turns"] = self.turns
        #: Whether this router chose its algorithm itself: it may then switch to the
        #: prepared index when a request is big enough (:meth:`_index_for`).
        self._auto = algorithm == "auto"
        if algorithm == "auto" and self.turns is None:
            algorithm = "cch" if network.hierarchy is not None else "bidirectional_astar"
        if algorithm not in ALGORITHM_ENUM and not (self.turns is not None and algorithm == "auto"):
            msg = (
                f"Unknown algorithm {algorithm!r}; choose auto, cch or one of "
                f"{', '.join(ALGORITHMS)}."
            )
            raise ValueError(msg)
        if algorithm == "cch" and network.hierarchy is None and self.turns is None:
            msg = "algorithm='cch' needs a prepared network: network = network.prepared()."
            raise ValueError(msg)
        self.algorithm: str = algorithm
        # Reported quantities: the three every model has first, then the model's own.
        first = ("co2_g", "time_s", "distance_m")
        self._report = [*first, *(q for q in self.arc_quantities if q not in first)]
        self._points: _core.SpherePoints | None = None
        self._snapper_pair: tuple[Any, Any] | None = None
        self._engine: _core.QueryEngine | TurnEngine
        self._engine, self.node_potential, self.weight = self._make_engine(self.objective_weights)
        self._label = objective_label(objective)
        self._tradeoff: Tradeoff | None = None
        self.max_extra_time, self.max_extra_time_s = _check_budget(
            max_extra_time, max_extra_time_s, self.objective_weights
        )
        # ---- traffic (issue 12): departures are handled by ecoroute.traffic
        self._traffic: TrafficRouting | None = None
        if speeds is None and any(k.startswith("speeds.") for k in network.attachments):
            from .traffic import attached_speeds  # profiles the network carries

            speeds = attached_speeds(network)
        if speeds is not None:
            from .traffic import TrafficRouting

            self._traffic = TrafficRouting(self, speeds, payload_kg)

    def _make_engine(
        self, weights: Mapping[str, float]
    ) -> tuple[_core.QueryEngine | TurnEngine, FloatArray | None, FloatArray]:
        """
        Return the query engine, node potential and weight of one objective (quantity -> factor).

        The engine minimises ``sum(factor * quantity)`` and reports every
        quantity of the vehicle along the paths it chooses.
        """
        network = self.network
        weight = np.zeros(network.arc_count)
        for quantity, factor in weights.items():
            if factor:  # 0 * inf (a closed arc) is NaN
                weight += factor * self.arc_quantities[quantity]
        destination = self._destination_arcs()
        if destination is not None and self.turns is None:
            # The node graph cannot tell a route's ends from its middle: there,
            # destination-only arcs are closed (the turn graph's phases open their ends).
            weight[destination] = np.inf
        weight.flags.writeable = False
        # A potential is needed only where the objective's own weights go negative
        # (an EV's energy or CO2); time, distance and fuel never do.
        potential: FloatArray | None = None
        if (weight < 0).any():
            potential = objective_potential(
                self.vehicle.node_potentials(network, self._payload_kg),
                weights,
                network.node_count,
            )
        if self.turns is not None:  # turns (issue 11): an engine on the expanded graph
            from .turns import turn_engine

            engine, self.algorithm, self.turn_quantities = turn_engine(
                network,
                self.turns,
                vehicle=self.vehicle,
                payload_kg=self._payload_kg,
                arc_quantities=self.arc_quantities,
                report=self._report,
                objective_weights=weights,
                node_potential=potential,
                algorithm=self.algorithm,
                num_threads=self.num_threads,
                destination=destination,
                conditional=(self.conditional, self.conditional_hour),
            )
            return engine, potential, weight
        search_weight = reduced_weight(network, weight, potential, self.vehicle.name)
        reported = [self.arc_quantities[q] for q in self._report]
        metric = _core.Metric(network.graph, search_weight)
        # One engine for every query, whatever the algorithm (it keeps the
        # reported arrays alive for as long as it reads them).
        if self.algorithm == "cch":
            from .hierarchy import lazy_hierarchy

            hierarchy = lazy_hierarchy(network, num_threads=self.num_threads)
            customized = hierarchy.customize(metric, num_threads=self.num_threads)
            return _core.QueryEngine(customized, reported), potential, weight
        if "astar" in self.algorithm and self._points is None:
            self._points = _core.SpherePoints(*unit_vectors(network.lat, network.lon))
        points = self._points if "astar" in self.algorithm else None
        plain = _core.QueryEngine(metric, ALGORITHM_ENUM[self.algorithm], reported, points)
        return plain, potential, weight

    # ------------------------------------------------------------------ conditional restrictions

    def _conditional_view(self, departure: Any) -> Router | None:
        """
        The router as it is at ``departure``'s hour for conditional restrictions, or None.

        None when nothing is conditional on this network, without a departure,
        or when the router reads them at a fixed moment (``conditional_at``).
        Hours that give every conditional restriction the same state share
        one router (its turn graph and hierarchy are this router's); the last
        few are kept. One moment per call: a column of departures must fall
        in hours of one state.
        """
        if departure is None or self.conditional_hour is not None:
            return None
        labels = self._conditional_states()
        if labels is None:
            return None
        from .traffic import departure_seconds_array, hour_of_week

        if np.ndim(departure) == 0 and not isinstance(departure, pd.Series):
            seconds = departure_seconds_array(departure, 1)
        else:
            seconds = departure_seconds_array(departure, len(departure))
        hours = np.array([hour_of_week(float(x)) for x in seconds], dtype=np.int64)
        states = np.unique(labels[hours])
        if states.size > 1:
            msg = (
                "These departures fall in hours with different conditional restrictions; "
                "route each group on its own (Router(..., conditional_at=...)) or with one "
                "departure."
            )
            raise ValueError(msg)
        state = int(states[0])
        view = self._at_hours.get(state)
        if view is None:
            options = dict(self._options)
            view = Router(
                self.network,
                self.vehicle,
                conditional_at=float(hours[0]) * 3600.0,
                **options,
            )
            self._at_hours[state] = view
            while len(self._at_hours) > _CONDITIONAL_ROUTERS:
                self._at_hours.popitem(last=False)
        else:
            self._at_hours.move_to_end(state)
        return view

    def _conditional_states(self) -> npt.NDArray[np.int64] | None:
        """Per hour of the week, a label of its conditional state (None: nothing is conditional)."""
        if not hasattr(self, "_states"):
            from .access import conditional_hours_of, conditional_profiles

            columns = []
            if conditional_profiles(self.network) is not None and any(
                np.any(self.network.attachments.get(f"legal.conditional.{mode}", 0))
                for mode in ("motorcar", "goods", "hgv", "bus")
            ):
                columns.append(conditional_hours_of(self.network)[:, None])
            if self.turns is not None and self.turns.conditional_arcs.size:
                hours = self.turns.conditional_hours.transpose(2, 0, 1)
                columns.append(hours.reshape(hours.shape[0], -1).astype(np.int64))
            if not columns:
                self._states: npt.NDArray[np.int64] | None = None
            else:
                _, label = np.unique(np.hstack(columns), axis=0, return_inverse=True)
                self._states = np.asarray(label, dtype=np.int64).ravel()
        return self._states

    def _timed(self, departure: Any) -> Any:
        """The departure a conditional view is asked with: kept with speeds, else dropped."""
        return departure if self._traffic is not None else None

    def _index_for(self, pairs: int) -> None:
        """
        Switch to the prepared index (CCH) for a request of ``pairs`` routes, if that pays.

        A router that chose its own algorithm on an unprepared network searches
        each pair on its own (bidirectional A*): right for a few routes, slow for
        a matrix. From :data:`PREPARE_AT_PAIRS` pairs on, it prepares the index
        once (the network's, or its turn graph's, kept for every router on the
        same network) and customizes it for this vehicle; the answers are the
        same, only faster. ``algorithm=`` given explicitly is never changed.
        """
        if not self._auto or self.algorithm == "cch" or pairs < PREPARE_AT_PAIRS:
            return
        if self.turns is not None:
            self.turns.prepare(num_threads=self.num_threads)
        self.algorithm = "cch"
        self._engine, self.node_potential, self.weight = self._make_engine(self.objective_weights)
        self._tradeoff = None  # its engines were built for the old algorithm

    def _destination_arcs(self) -> npt.NDArray[np.bool_] | None:
        """The arcs this vehicle may drive only at a route's start or end (None: none)."""
        rules = self.rules
        if not rules.restricts or not rules.destination.any():
            return None
        return rules.destination

    def __repr__(self) -> str:
        return (
            f"Router({self.network!r}, vehicle={self.vehicle.name!r}, "
            f"objective={self._label!r}, algorithm={self.algorithm!r})"
        )

    # ------------------------------------------------------------------ queries

    @property
    def snapper(self) -> Any:
        """The snapper over the largest strongly connected part of the roads this vehicle may drive."""
        return self._snappers()[1]

    @property
    def nearest_snapper(self) -> Any:
        """The snapper over every road this vehicle may drive, whatever part it is in (issue 24)."""
        return self._snappers()[0]

    def _snappers(self) -> tuple[Any, Any]:
        """(nearest road, largest part) snappers of this vehicle, looked up once (issue 24)."""
        if self._snapper_pair is None:
            closed = self._closed_to_snapping()
            self._snapper_pair = (
                nearest_snapper(self.network, closed),
                snapper_for(self.network, closed),
            )
        return self._snapper_pair

    def _closed_to_snapping(self) -> npt.NDArray[np.bool_] | None:
        """The arcs no point snaps to: closed to the vehicle (None: none)."""
        if not self.rules.restricts:
            return None
        closed = self.rules.closed
        if self.turns is None:  # destination-only arcs are closed on the node graph
            closed = closed | self.rules.destination
        return closed

    def refusal_reason(self, source: Any) -> str:
        """
        Say which rules close the roads at the edge of what this vehicle can reach from ``source``.

        ``source`` is a node id or a ``(lat, lon)`` point. The closed arcs
        leaving the part of the network the vehicle reaches are counted by
        the rule that closed them (:meth:`ecoroute.access.VehicleRules.describe`);
        an empty string when no rule closes any of them.
        """
        if not self.rules.restricts:
            return ""
        if _is_node_id(source):
            s = self.network.node_index_of(int(source))
        else:
            s = int(self._resolve_one(source, "source").as_nodes(self.network).node[0])
        reached = np.isfinite(np.asarray(self._engine.costs_from(s)))
        tail = self.network.tail.astype(np.intp)
        shut = self.rules.closed | self.rules.destination
        frontier = np.flatnonzero(shut & reached[tail])
        text = self.rules.describe(self.network, frontier)
        if not text:
            return ""
        return (
            f"{self.vehicle.name} ({_legal_summary(self.vehicle)}) may not drive the roads "
            f"that lead on: {text}"
        )

    def route(
        self, source: Any, target: Any, *, departure: Any = None, max_snap_m: float | None = None
    ) -> Route:
        """
        Return the least-cost route from ``source`` to ``target``.

        See :meth:`_route` for the parameters. A :class:`NoRouteError` for a
        vehicle that the map's rules restrict says which rules closed the way
        (:meth:`refusal_reason`).
        """
        view = self._conditional_view(departure)
        if view is not None:
            return view.route(
                source, target, departure=view._timed(departure), max_snap_m=max_snap_m
            )
        try:
            return self._route(source, target, departure=departure, max_snap_m=max_snap_m)
        except NoRouteError as error:
            reason = self.refusal_reason(source)
            if reason:
                msg = f"{error} {reason}."
                raise NoRouteError(msg) from error
            raise

    def _route(
        self, source: Any, target: Any, *, departure: Any = None, max_snap_m: float | None = None
    ) -> Route:
        """
        Return the least-cost route from ``source`` to ``target``.

        Parameters
        ----------
        source, target
            A node id (the OSM id for OSM data), or a ``(lat, lon)`` tuple that
            is snapped to the nearest point of the nearest road the vehicle
            may drive: the route starts (ends) there, part-way along the road,
            in either direction of a two-way road. If no route joins the two,
            the ends whose road is not on the largest strongly connected part
            move to that part's nearest road (the source, then the target,
            then both: the first that joins). The snapped point, distance and
            kind are reported (``source_lat``, ``source_snap_m``,
            ``source_snap_kind``, ...).
        departure
            With ``speeds=``: when the route starts (a ``datetime``, an ISO
            string, or seconds since Monday 00:00); the route is then
            time-dependent (exact earliest arrival for ``objective="time"``;
            see docs/traffic.md for other objectives). From coordinates it
            starts and ends part-way along the snapped roads as without a
            departure: the rest of the first arc is driven from the departure
            at the speed then in force, the last arc's first part from when
            the search reaches it. A time budget cannot be combined with a
            departure yet.
        max_snap_m
            Overrides the router's snapping limit for this call.

        Raises
        ------
        UnknownNodeError
            (a ``KeyError``) if a node id is not in the network.
        NoRouteError
            If the target cannot be reached from the source.
        SnapError
            (a ``ValueError``) if a coordinate is farther than the limit from
            every usable road.
        ValueError
            If coordinates are NaN or out of range.
        """
        check_node_argument(source, "source")
        check_node_argument(target, "target")
        if _is_node_id(source) and _is_node_id(target):  # the hot path: no snapping at all
            s, t = self.network.node_index_of(int(source)), self.network.node_index_of(int(target))
            return self._route_nodes(s, t, 0.0, 0.0, departure)
        src = self._resolve_one_snaps(source, "source", max_snap_m)
        dst = self._resolve_one_snaps(target, "target", max_snap_m)
        what = f"source {source!r} and target {target!r}"
        chosen = first_joined(
            lambda a, b: self._route_between(a, b, departure, what), src, dst
        )  # the nearest roads, else the largest part's (issue 24)
        return dataclasses.replace(
            chosen.value,
            source_snap_kind=src.kind(0, chosen.source_moved),
            target_snap_kind=dst.kind(0, chosen.target_moved),
        )

    def _route_between(self, src: Endpoints, dst: Endpoints, departure: Any, what: str) -> Route:
        """The route between one resolved source and target (see :meth:`_route`)."""
        if self._partway(src, dst, departure):
            if departure is None and self.budget is not None:  # each price part-way
                result = self._bounded_partway_pairs(src, dst, with_paths=True, threads=1)
                return route_from_pair(self, result, src, dst, what=what)
            if departure is None:
                return partway_route(self, src, dst, what=what)
            from .traffic import departure_seconds

            traffic = self._traffic_for(departure)
            start = np.array([departure_seconds(departure)])
            timed = traffic.partway_pairs(src, dst, start, num_threads=1)
            return route_from_pair(
                self, timed.result, src, dst, what=what, departure_s=float(start[0])
            )
        src, dst = src.as_nodes(self.network), dst.as_nodes(self.network)
        s, s_snap = int(src.node[0]), float(src.distance_m[0])
        t, t_snap = int(dst.node[0]), float(dst.distance_m[0])
        return self._route_nodes(s, t, s_snap, t_snap, departure)

    def _route_nodes(self, s: int, t: int, s_snap: float, t_snap: float, departure: Any) -> Route:
        """The route from dense node ``s`` to ``t`` (snap distances reported as given)."""
        if departure is not None:  # traffic (issue 12)
            if self.budget is not None:
                msg = "departure= and a time budget (max_extra_time) cannot be combined yet."
                raise ValueError(msg)
            return self._traffic_for(departure).route(s, t, departure, (s_snap, t_snap))
        one_s, one_t = np.array([s], dtype=np.uint32), np.array([t], dtype=np.uint32)
        if self.budget is not None:
            result = self.route_indices(one_s, one_t, with_paths=True, num_threads=1)
            assert result.path_offsets is not None
            assert result.path_arcs is not None
            value = float(result.cost[0])
            row = [float(result.quantities[q][0]) for q in self._report]
            path = result.path_arcs[result.path_offsets[0] : result.path_offsets[1]]
            bounds = {name: float(values[0]) for name, values in result.bounds.items()}
        else:
            cost, sums, offsets, arcs = self._engine.route_pairs(
                one_s, one_t, with_paths=True, num_threads=1
            )
            value = float(cost[0])
            if self.node_potential is not None:
                value += float(self.node_potential[t] - self.node_potential[s])
            row = sums[0].tolist()
            path = arcs[offsets[0] : offsets[1]]
            bounds = {}
        if not math.isfinite(value):
            node_id = self.network.node_id
            msg = (
                f"No route from node {node_id[s]} to node {node_id[t]} for {self.vehicle.name}: "
                "the target cannot be reached (one-way streets, closed arcs or a disconnected "
                "part of the network)."
            )
            raise NoRouteError(msg)
        return self._route_object(s, value, row, path, s_snap, t_snap, bounds)

    def _route_object(
        self,
        source: int,
        value: float,
        row: list[float],
        path: npt.NDArray[np.uint32],
        source_snap_m: float,
        target_snap_m: float,
        bounds: Mapping[str, float],
        departure_s: float | None = None,
        **placement: Any,
    ) -> Route:
        """
        Build a :class:`Route` from one pair's objective value, sums and arcs.

        The route starts at node ``source`` and ends where its path does,
        unless ``placement`` says otherwise (Route fields of a part-way route:
        the snapped points, the part-driven arcs and their fractions).
        """
        values = dict(zip(self._report, row, strict=True))
        gap = next((v for k, v in bounds.items() if k not in _BASELINE_NAMES), None)
        network = self.network
        target = int(network.head[path[-1]]) if len(path) else source
        where: dict[str, Any] = {
            "source_lat": float(network.lat[source]),
            "source_lon": float(network.lon[source]),
            "target_lat": float(network.lat[target]),
            "target_lon": float(network.lon[target]),
        }
        where.update(placement)
        return Route(
            arcs=path,
            cost=value,
            co2_g=values["co2_g"],
            time_s=values["time_s"],
            distance_m=values["distance_m"],
            fuel_l=values.get("fuel_l"),
            energy_kwh=values.get("energy_kwh"),
            co2e_wtw_g=values.get("co2e_wtw_g"),
            quantities=values,
            source_snap_m=source_snap_m,
            target_snap_m=target_snap_m,
            vehicle=self.vehicle.name,
            objective=self._label,
            fastest_time_s=bounds.get("fastest_time_s"),
            fastest_co2_g=bounds.get("fastest_co2_g"),
            objective_gap=gap,
            departure_s=departure_s,
            _network=self.network,
            _arc_quantities=self.arc_quantities,
            _source_index=source,
            **where,
        )

    # ------------------------------------------------------------- trade-offs

    @property
    def budget(self) -> Budget | None:
        """The time budget of this router (``max_extra_time`` / ``max_extra_time_s``), or None."""
        if self.max_extra_time is None and self.max_extra_time_s is None:
            return None
        return Budget(relative=self.max_extra_time or 0.0, absolute_s=self.max_extra_time_s or 0.0)

    def _tradeoff_engines(self) -> Tradeoff:
        """The engines of the supported trade-off routes, built on first use."""
        if self._tradeoff is None:
            self._tradeoff = Tradeoff(self)
        return self._tradeoff

    def pareto(self, source: Any, target: Any) -> Pareto:
        """
        Return the supported routes of the time-CO2 trade-off from ``source`` to ``target``.

        The routes minimise ``objective + price * time_s`` for the router's
        ``tradeoff_points`` prices of time (from 0, the least-CO2 route, to
        infinity, the fastest route); those on the lower-left convex hull of
        the Pareto front, sorted by time. Routes between two hull points (not
        supported) are not found: see :class:`ecoroute.tradeoff.Tradeoff`.
        From coordinates every route starts and ends part-way along the
        snapped roads, as :meth:`route` does.

        Returns
        -------
        Pareto
            ``routes`` (fastest first), ``to_frame()`` with each route's
            figures, extra time and saving, ``to_geojson()``.

        Raises
        ------
        NoRouteError
            If the target cannot be reached from the source.
        ValueError
            If the router's objective is time or a mix (a trade-off needs one
            objective other than time).
        """
        tradeoff = self._tradeoff_engines()
        check_node_argument(source, "source")
        check_node_argument(target, "target")
        src, dst = (
            self._resolve_one_snaps(source, "source"),
            self._resolve_one_snaps(target, "target"),
        )
        what = f"source {source!r} and target {target!r}"
        chosen = first_joined(lambda a, b: self._pareto_between(tradeoff, a, b, what), src, dst)
        routes = tuple(
            dataclasses.replace(
                r,
                source_snap_kind=src.kind(0, chosen.source_moved),
                target_snap_kind=dst.kind(0, chosen.target_moved),
            )
            for r in chosen.value.routes
        )
        return dataclasses.replace(chosen.value, routes=routes)

    def _pareto_between(
        self, tradeoff: Tradeoff, src: Endpoints, dst: Endpoints, what: str
    ) -> Pareto:
        """:meth:`pareto` between one resolved source and target."""
        if self._partway(src, dst, None):
            return self._partway_pareto(tradeoff, src, dst, what)
        s, s_snap = int(src.node[0]), float(src.node_distance_m[0])
        t, t_snap = int(dst.node[0]), float(dst.node_distance_m[0])
        one_s, one_t = np.array([s], dtype=np.uint32), np.array([t], dtype=np.uint32)
        sums = tradeoff.pairs(one_s, one_t, 1)[:, 0, :]
        objective, time_s = tradeoff.split(sums)
        if not np.isfinite(time_s[-1]):
            node_id = self.network.node_id
            msg = f"No route from node {node_id[s]} to node {node_id[t]} for {self.vehicle.name}."
            raise NoRouteError(msg)
        kept = pareto_front(objective, time_s)
        chosen = np.array(kept, dtype=np.intp)
        paths_sums, offsets, arcs = tradeoff.paths(
            np.repeat(one_s, chosen.size), np.repeat(one_t, chosen.size), chosen, 1
        )
        routes = tuple(
            self._route_object(
                s,
                float(paths_sums[i, self._report.index(tradeoff.quantity)]),
                paths_sums[i].tolist(),
                arcs[offsets[i] : offsets[i + 1]],
                s_snap,
                t_snap,
                {},
            )
            for i in range(chosen.size)
        )
        return Pareto(routes=routes, quantity=tradeoff.quantity, prices=tradeoff.prices[chosen])

    def _partway_pareto(
        self, tradeoff: Tradeoff, src: Endpoints, dst: Endpoints, what: str
    ) -> Pareto:
        """:meth:`pareto` between points part-way along arcs: every price's route part-way."""
        per_price = tradeoff.partway_pairs(src, dst, 1)
        sums = tradeoff.stack(per_price)[:, 0, :]
        objective, time_s = tradeoff.split(sums)
        if not np.isfinite(time_s[-1]):
            msg = f"No route joins {what} for {self.vehicle.name}."
            raise NoRouteError(msg)
        chosen = np.array(pareto_front(objective, time_s), dtype=np.intp)
        rows = np.zeros(chosen.size, dtype=np.intp)
        src_k, dst_k = src.take(rows), dst.take(rows)
        result = tradeoff.partway_paths(src_k, dst_k, chosen, 1)
        routes = tuple(
            route_from_pair(self, result, src_k, dst_k, what=what, pair=i)
            for i in range(chosen.size)
        )
        return Pareto(routes=routes, quantity=tradeoff.quantity, prices=tradeoff.prices[chosen])

    def tradeoff(
        self,
        sources: Any,
        targets: Any,
        budgets: Sequence[float] = (0.0, 0.02, 0.05, 0.1, 0.2),
        *,
        num_threads: int | None = None,
    ) -> pd.DataFrame:
        """
        Return how much CO2 many trips save for how much extra time, at each budget.

        Parameters
        ----------
        sources, targets
            Equal-length sequences of node ids or ``(lat, lon)`` pairs, as for
            :meth:`route_many` (from coordinates every price's routes start
            and end part-way along the snapped roads).
        budgets
            Relative extra time allowed over each trip's fastest route.

        Returns
        -------
        pandas.DataFrame
            One row per budget: ``max_extra_time``, reachable ``pairs``, the
            objective's total (e.g. ``co2_g``) and ``time_s`` total of the
            chosen routes, ``saving`` and ``extra_time`` against the fastest
            routes (fractions), and the summed ``gap`` to the exact optimum
            (objective units; 0 when every choice is certified optimal).
        """
        tradeoff = self._tradeoff_engines()
        src, dst = self._resolve_snaps(sources, "sources"), self._resolve_snaps(targets, "targets")
        if len(src) != len(dst):
            msg = f"sources and targets must have the same length: got {len(src)} and {len(dst)}."
            raise ValueError(msg)
        threads = self.num_threads if num_threads is None else _check_threads(num_threads)

        def prices(_rows: Any, a: Endpoints, b: Endpoints) -> FloatArray:
            """Every price's sums (prices x pairs x quantities) between ``a`` and ``b``."""
            if self._partway(a, b, None):
                return tradeoff.stack(tradeoff.partway_pairs(a, b, threads))
            return tradeoff.pairs(a.node.astype(np.uint32), b.node.astype(np.uint32), threads)

        def joined(sums: FloatArray) -> npt.NDArray[np.bool_]:
            return np.isfinite(tradeoff.split(sums)[1][-1])  # the fastest price's time

        def overwrite(base: FloatArray, rows: Any, part: FloatArray, picked: Any) -> FloatArray:
            out = base.copy()
            out[:, rows] = part[:, picked]
            return out

        sums = pairs_with_fallback(prices, src, dst, joined=joined, overwrite=overwrite).result
        return tradeoff_table(self, sums, tradeoff, budgets)

    def route_many(
        self,
        sources: Any,
        targets: Any,
        *,
        return_paths: bool = False,
        num_threads: int | None = None,
        progress: bool | None = None,
        departure: Any = None,
        time_dependent: bool = False,
        max_snap_m: float | None = None,
    ) -> pd.DataFrame:
        """
        Route every pair ``sources[i] -> targets[i]`` in one call, in parallel C++.

        Parameters
        ----------
        sources, targets
            Equal-length sequences of node ids (an integer array), or of
            ``(lat, lon)`` pairs (a float array of shape ``(k, 2)`` or a list of
            tuples), snapped as :meth:`route` snaps them (part-way along the
            nearest usable road, with a departure or a time budget too).
        return_paths
            Add a ``nodes`` column holding each route's node ids (an array per
            row; costs memory on big batches).
        num_threads
            Overrides the router's ``num_threads`` for this call.
        progress
            Show a progress bar: None (the default) for batches of more than
            100,000 pairs on a terminal, unless ``ECOROUTE_QUIET`` is set
            (``ecoroute --quiet``); True always; False never.
        departure
            With ``speeds=``: one departure for all pairs or one per pair;
            each pair is routed on the metric of its departure hour (from
            coordinates: part-way, as without a departure).
        time_dependent
            With ``departure``: route every pair exactly as :meth:`route`
            does (the time-dependent search, part-way from coordinates)
            instead of on the hour's metric; slower (no hierarchy, up to four
            searches per pair of snapped points), see docs/traffic.md.
        max_snap_m
            Overrides the router's snapping limit for this call.

        Returns
        -------
        pandas.DataFrame
            One row per pair: ``source``, ``target`` (node ids: those given,
            or the nearer end of the snapped road), ``reachable``, ``cost``,
            ``co2_g``, ``time_s``, ``distance_m``, the vehicle's other
            quantities (``fuel_l`` or ``energy_kwh``, ``co2e_wtw_g``, ...),
            ``source_snap_m`` and ``target_snap_m`` (metres from the given
            coordinates to the snapped points) and ``source_lat``,
            ``source_lon``, ``target_lat``, ``target_lon`` (where the routes
            start and end), ``source_snap_kind`` and ``target_snap_kind``
            (``"node"``, ``"nearest"``, or ``"largest_part"`` where the nearest
            road could not join the pair: see ``max_snap_m`` of the class).
            Unreachable pairs are rows with
            ``reachable=False`` and infinite costs, never an exception.
            ``attrs`` names the ``vehicle`` and ``objective`` they were
            routed for.

        Raises
        ------
        UnknownNodeError
            (a ``KeyError``) if a node id is not in the network.
        ValueError
            If the two sequences differ in length, or coordinates are NaN.
        """
        view = self._conditional_view(departure)
        if view is not None:
            return view.route_many(
                sources,
                targets,
                return_paths=return_paths,
                num_threads=num_threads,
                progress=progress,
                departure=view._timed(departure),
                time_dependent=time_dependent and view._traffic is not None,
                max_snap_m=max_snap_m,
            )
        src = self._resolve_snaps(sources, "sources", max_snap_m)
        dst = self._resolve_snaps(targets, "targets", max_snap_m)
        self._index_for(min(len(src), len(dst)))
        if time_dependent and departure is None:
            msg = "time_dependent=True needs a departure (and a router built with speeds=)."
            raise ValueError(msg)
        if len(src) != len(dst):
            msg = f"sources and targets must have the same length: got {len(src)} and {len(dst)}."
            raise ValueError(msg)
        count = len(src)

        def pairs(rows: npt.NDArray[np.int64], a: Endpoints, b: Endpoints) -> PairResults:
            whole = rows.size == count  # the first call: the progress bar is shown there
            return self._pairs_between(
                a,
                b,
                with_paths=return_paths,
                num_threads=num_threads,
                progress=progress if whole else False,
                departure=departure if whole else _departure_rows(departure, rows),
                time_dependent=time_dependent,
            )

        routed = pairs_with_fallback(
            pairs, src, dst, joined=pairs_joined, overwrite=overwrite_pairs
        )  # the nearest roads, else the largest part's (issue 24)
        result, src_used, dst_used = routed.result, routed.source, routed.target
        s, t = src_used.node, dst_used.node
        frame: dict[str, Any] = {
            "source": self.network.node_id[s],
            "target": self.network.node_id[t],
            "reachable": np.isfinite(result.cost),
            "cost": result.cost,
        }
        frame.update(result.quantities)
        frame.update(result.bounds)
        frame["source_snap_m"] = src_used.distance_m
        frame["target_snap_m"] = dst_used.distance_m
        frame["source_lat"], frame["source_lon"] = src_used.lat, src_used.lon
        frame["target_lat"], frame["target_lon"] = dst_used.lat, dst_used.lon
        frame["source_snap_kind"] = _kind_column(src, routed.source_moved)
        frame["target_snap_kind"] = _kind_column(dst, routed.target_moved)
        if return_paths:
            frame["nodes"] = self._split_paths(s, result)
        table = pd.DataFrame(frame)
        table.attrs.update(vehicle=self.vehicle.name, objective=self._label)
        return table

    def _pairs_between(
        self,
        src: Endpoints,
        dst: Endpoints,
        *,
        with_paths: bool,
        num_threads: int | None,
        progress: bool | None,
        departure: Any,
        time_dependent: bool,
    ) -> PairResults:
        """:meth:`route_many`'s routes between resolved points: part-way where any is, else node to node."""
        if not self._partway(src, dst, departure):
            return self.route_indices(
                src.node,
                dst.node,
                with_paths=with_paths,
                num_threads=num_threads,
                progress=progress,
                departure=departure,
                time_dependent=time_dependent,
            )
        threads = self.num_threads if num_threads is None else _check_threads(num_threads)
        show = shown(progress, len(src))
        if self.budget is not None:  # every price's routes part-way, then the budget
            return self._bounded_partway_pairs(
                src, dst, with_paths=with_paths, threads=threads, progress=show
            )
        if departure is None:
            return partway_pairs(
                self, src, dst, with_paths=with_paths, num_threads=num_threads, progress=show
            )
        # traffic (issue 12): part-way on the hour's metric, or time-dependent
        return self._traffic_for(departure).partway_departures(
            src,
            dst,
            departure,
            with_paths=with_paths,
            num_threads=threads,
            progress=show,
            time_dependent=time_dependent,
        )

    def route_indices(
        self,
        sources: npt.ArrayLike,
        targets: npt.ArrayLike,
        *,
        with_paths: bool = False,
        num_threads: int | None = None,
        progress: bool | None = None,
        departure: Any = None,
        time_dependent: bool = False,
    ) -> PairResults:
        """
        Route pairs given as dense node indices; return plain arrays (the batch building block).

        Parameters
        ----------
        sources, targets
            Dense node indices (``0 .. node_count - 1``), e.g. from
            :meth:`RoadNetwork.node_index` or :meth:`RoadNetwork.nearest_nodes`.
        with_paths
            Also return every path as arc indices in CSR form.
        num_threads
            Overrides the router's ``num_threads`` for this call.
        progress
            Show a progress bar: None (the default) for more than 100,000
            pairs on a terminal, unless ``ECOROUTE_QUIET`` is set; True
            always; False never.
        departure
            With ``speeds=``: one departure for all pairs or one per pair
            (seconds since Monday 00:00, datetimes or ISO strings); pairs are
            routed on the metric of their departure hour.
        time_dependent
            With ``departure``: route every pair exactly as :meth:`route`
            does (the time-dependent search, in C++ over threads).

        Returns
        -------
        PairResults
            Costs (``inf`` where unreachable), each reported quantity summed
            along the chosen paths (``inf`` where unreachable), and the paths.
        """
        view = self._conditional_view(departure)
        if view is not None:
            return view.route_indices(
                sources,
                targets,
                with_paths=with_paths,
                num_threads=num_threads,
                progress=progress,
                departure=view._timed(departure),
                time_dependent=time_dependent and view._traffic is not None,
            )
        n = self.network.node_count
        s = _as_indices(sources, n, "sources")
        t = _as_indices(targets, n, "targets")
        if s.size != t.size:
            msg = f"sources and targets must have the same length: got {s.size} and {t.size}."
            raise ValueError(msg)
        threads = self.num_threads if num_threads is None else _check_threads(num_threads)
        self._index_for(s.size)
        engine = self._engine
        if time_dependent and departure is None:
            msg = "time_dependent=True needs a departure (and a router built with speeds=)."
            raise ValueError(msg)
        if departure is not None:  # traffic (issue 12): the metric of the departure hour
            if self.budget is not None:
                msg = "departure= and a time budget (max_extra_time) cannot be combined yet."
                raise ValueError(msg)
            from .traffic import departure_seconds_array

            traffic = self._traffic_for(departure)
            seconds = departure_seconds_array(departure, s.size)
            if time_dependent:
                return traffic.route_indices_exact(
                    s, t, seconds, with_paths=with_paths, num_threads=threads
                )
            hours = np.unique(seconds // 3600.0)
            if hours.size > 1:
                return traffic.route_indices_by_hour(
                    s, t, seconds, with_paths=with_paths, num_threads=num_threads, progress=progress
                )
            engine = traffic.engine_at(float(seconds[0]) if s.size else 0.0)
        elif self.budget is not None:
            return self._bounded_pairs(s, t, with_paths=with_paths, threads=threads)

        count = s.size
        cost = np.empty(count)
        sums = np.empty((count, len(self._report)))
        offset_parts: list[npt.NDArray[np.uint64]] = [np.zeros(1, dtype=np.uint64)]
        arc_parts: list[npt.NDArray[np.uint32]] = []
        from tqdm.auto import tqdm

        show = shown(progress, count)

        with tqdm(total=count, disable=not show, unit="route", desc="routing") as bar:
            for begin in range(0, count, _CHUNK_PAIRS):
                end = min(count, begin + _CHUNK_PAIRS)
                c, q, offsets, arcs = engine.route_pairs(
                    s[begin:end], t[begin:end], with_paths=with_paths, num_threads=threads
                )
                cost[begin:end] = c
                sums[begin:end] = q
                if with_paths:
                    offset_parts.append(offsets[1:] + offset_parts[-1][-1])
                    arc_parts.append(arcs)
                bar.update(end - begin)

        cost = self._true_cost(cost, s, t)
        return PairResults(
            cost=cost,
            quantities={name: sums[:, j] for j, name in enumerate(self._report)},
            path_offsets=np.concatenate(offset_parts) if with_paths else None,
            path_arcs=(np.concatenate(arc_parts) if arc_parts else np.empty(0, np.uint32))
            if with_paths
            else None,
        )

    def _bounded_pairs(
        self,
        s: npt.NDArray[np.uint32],
        t: npt.NDArray[np.uint32],
        *,
        with_paths: bool,
        threads: int,
    ) -> PairResults:
        """:meth:`route_indices` under the time budget: the best supported route per pair."""
        tradeoff = self._tradeoff_engines()
        assert self.budget is not None
        all_sums = tradeoff.pairs(s, t, threads)
        objective, time_s = tradeoff.split(all_sums)
        choice = tradeoff.choose(objective, time_s, self.budget)
        offsets: npt.NDArray[np.uint64] | None = None
        arcs: npt.NDArray[np.uint32] | None = None
        if with_paths:
            sums, offsets, arcs = tradeoff.paths(s, t, choice.chosen, threads)
        else:
            sums = np.take_along_axis(all_sums, choice.chosen[None, :, None], axis=0)[0]
        return self._bounded_result(
            tradeoff, all_sums, choice, sums, path_offsets=offsets, path_arcs=arcs
        )

    def _bounded_partway_pairs(
        self,
        src: Endpoints,
        dst: Endpoints,
        *,
        with_paths: bool,
        threads: int,
        progress: bool = False,
    ) -> PairResults:
        """
        :meth:`_bounded_pairs` between points part-way along arcs.

        Every price's routes part-way (:meth:`Tradeoff.partway_pairs`, the
        same code as a static router's), the same budget rule, then the
        chosen price's route again with its path where paths are wanted.
        """
        tradeoff = self._tradeoff_engines()
        assert self.budget is not None
        per_price = tradeoff.partway_pairs(src, dst, threads, progress=progress)
        all_sums = tradeoff.stack(per_price)
        objective, time_s = tradeoff.split(all_sums)
        choice = tradeoff.choose(objective, time_s, self.budget)
        if with_paths:
            chosen = tradeoff.partway_paths(src, dst, choice.chosen, threads)
            return self._bounded_result(
                tradeoff,
                all_sums,
                choice,
                np.stack([chosen.quantities[name] for name in self._report], axis=-1),
                path_offsets=chosen.path_offsets,
                path_arcs=chosen.path_arcs,
                source_arc=chosen.source_arc,
                source_fraction=chosen.source_fraction,
                target_arc=chosen.target_arc,
                target_fraction=chosen.target_fraction,
            )
        rows = np.arange(len(src))
        ends = {
            name: np.stack([getattr(r, name) for r in per_price])[choice.chosen, rows]
            for name in ("source_arc", "source_fraction", "target_arc", "target_fraction")
        }
        sums = np.take_along_axis(all_sums, choice.chosen[None, :, None], axis=0)[0]
        return self._bounded_result(tradeoff, all_sums, choice, sums, **ends)

    def _bounded_result(
        self,
        tradeoff: Tradeoff,
        all_sums: FloatArray,
        choice: Choice,
        sums: FloatArray,
        **fields: Any,
    ) -> PairResults:
        """The chosen routes' sums (pairs x quantities) as PairResults, with the budget's bounds."""
        cost = sums[:, self._report.index(tradeoff.quantity)].copy()
        co2 = self._report.index("co2_g")
        return PairResults(
            cost=cost,
            quantities={name: sums[:, j] for j, name in enumerate(self._report)},
            bounds={
                "fastest_time_s": choice.fastest_time_s,
                "fastest_co2_g": all_sums[-1][:, co2],
                gap_column(tradeoff.quantity): choice.gap(cost),
            },
            **fields,
        )

    def matrix(
        self,
        sources: Any,
        targets: Any,
        *,
        num_threads: int | None = None,
        departure: Any = None,
        max_snap_m: float | None = None,
        progress: bool | None = None,
    ) -> ODMatrix:
        """
        Route from every source to every target in one call: an origin-destination matrix.

        On a prepared network (:meth:`RoadNetwork.prepared`) this runs the
        hierarchy's many-to-many search in C++ on every core, without
        unpacking a single path; otherwise it runs one search per pair.

        Parameters
        ----------
        sources, targets
            Node ids (an integer array) or ``(lat, lon)`` pairs, as for
            :meth:`route_many` (routes start and end part-way along the
            snapped roads); the two may differ in length.
        num_threads
            Overrides the router's ``num_threads`` for this call.
        departure
            With ``speeds=``: one departure for the whole matrix; every arc
            is driven at the speed of the departure hour (see docs/traffic.md);
            coordinates route part-way as without a departure.
        max_snap_m
            Overrides the router's snapping limit for this call.
        progress
            A progress bar over the rows: None (the default) for matrices of
            more than 100,000 pairs on a terminal, unless ``ECOROUTE_QUIET``
            is set (``ecoroute --quiet``); True always; False never. With
            the bar the rows go to C++ in :data:`MATRIX_PROGRESS_STEPS`
            blocks, each of at least four times as many rows as there are
            columns (one call per block: the hierarchy's searches from the
            targets, repeated per call, add at most a quarter); without it,
            in as few calls as memory allows.

        Returns
        -------
        ODMatrix
            ``cost`` and one matrix per reported quantity (``co2_g``,
            ``time_s``, ``distance_m``, ``fuel_l`` or ``energy_kwh``, ...), each
            summed along the same least-cost route; ``inf`` where unreachable.
            Cells the nearest snaps cannot join are computed again from the
            largest part's snaps (one sub-matrix per fallback, see
            :mod:`ecoroute.snap_policy`); ``snap_fallback`` says which.
        """
        view = self._conditional_view(departure)
        if view is not None:
            return view.matrix(
                sources,
                targets,
                num_threads=num_threads,
                departure=view._timed(departure),
                max_snap_m=max_snap_m,
                progress=progress,
            )
        threads = self.num_threads if num_threads is None else _check_threads(num_threads)
        src = self._resolve_snaps(sources, "sources", max_snap_m)
        dst = self._resolve_snaps(targets, "targets", max_snap_m)
        _check_matrix_memory(len(src), len(dst), len(self._report) + 1 + 2 * bool(self.budget))
        self._index_for(len(src) * len(dst))
        at_hour: Router = self
        if departure is not None:  # traffic (issue 12): the metric of the departure hour
            if self.budget is not None:
                msg = "departure= and a time budget (max_extra_time) cannot be combined yet."
                raise ValueError(msg)
            at_hour = self._traffic_for(departure).router_at(departure)
        bar = shown(progress, len(src) * len(dst))  # over the first (whole) matrix only

        def block(a: Endpoints, b: Endpoints) -> tuple[Any, Any, Any]:
            nonlocal bar
            partway = self._partway(a, b, departure)
            steps, bar = bar, False
            if steps:
                return self._matrix_in_steps(at_hour, a, b, partway, threads)
            return self._matrix_block(at_hour, a, b, partway, threads)

        done = matrix_with_fallback(block, src, dst)  # nearest roads, else the largest part's
        for values in (done.cost, *done.quantities.values(), *done.bounds.values()):
            values.flags.writeable = False
        if done.snap_fallback is not None:
            done.snap_fallback.flags.writeable = False
        near_s, near_t = src.nearest, dst.nearest
        node_id = self.network.node_id
        return ODMatrix(
            sources=node_id[near_s.node],
            targets=node_id[near_t.node],
            cost=done.cost,
            quantities=done.quantities,
            source_snap_m=near_s.distance_m,
            target_snap_m=near_t.distance_m,
            vehicle=self.vehicle.name,
            objective=self._label,
            algorithm=self.algorithm,
            bounds=done.bounds,
            source_lat=near_s.lat,
            source_lon=near_s.lon,
            target_lat=near_t.lat,
            target_lon=near_t.lon,
            snap_fallback=done.snap_fallback,
            _snaps=_matrix_snaps(self.network, done, src, dst),
        )

    def _matrix_block(
        self, at_hour: Router, src: Endpoints, dst: Endpoints, partway: bool, threads: int
    ) -> tuple[FloatArray, dict[str, FloatArray], dict[str, FloatArray]]:
        """Cost, quantity and bound matrices of ``src`` x ``dst``, as few C++ calls as memory allows."""
        s, t = src.node.astype(np.uint32), dst.node.astype(np.uint32)
        if self.budget is not None:
            return self._bounded_matrix(s, t, threads, (src, dst))
        if partway:
            cost, quantities = partway_matrix(at_hour, src, dst, num_threads=threads)
        else:
            cost, quantities = self._plain_matrix(s, t, threads, at_hour._engine)
        return cost, quantities, {}

    def _matrix_in_steps(
        self, at_hour: Router, src: Endpoints, dst: Endpoints, partway: bool, threads: int
    ) -> tuple[FloatArray, dict[str, FloatArray], dict[str, FloatArray]]:
        """:meth:`_matrix_block` over blocks of rows, with a progress bar (see :meth:`matrix`)."""
        from tqdm.auto import tqdm

        rows, columns = len(src), len(dst)
        step = max(1, -(-rows // MATRIX_PROGRESS_STEPS), 4 * columns)
        parts = []
        with tqdm(total=rows, unit="row", desc=f"matrix {rows:,} x {columns:,}") as bar:
            for begin in range(0, rows, step):
                block = slice(begin, min(rows, begin + step))
                parts.append(self._matrix_block(at_hour, _rows(src, block), dst, partway, threads))
                bar.update(block.stop - block.start)
        cost = np.concatenate([part[0] for part in parts])
        quantities = {
            name: np.concatenate([part[1][name] for part in parts]) for name in parts[0][1]
        }
        bounds = {name: np.concatenate([part[2][name] for part in parts]) for name in parts[0][2]}
        return cost, quantities, bounds

    def _plain_matrix(
        self,
        s: npt.NDArray[np.uint32],
        t: npt.NDArray[np.uint32],
        threads: int,
        engine: Any = None,
    ) -> tuple[FloatArray, dict[str, FloatArray]]:
        """Cost and quantity matrices of the least-cost routes, in row blocks."""
        rows, columns = s.size, t.size
        cost = np.full((rows, columns), np.inf)
        sums = np.full((len(self._report), rows, columns), np.inf)
        if rows and columns:
            block = max(1, _MATRIX_BLOCK_CELLS // columns)
            for begin in range(0, rows, block):
                end = min(rows, begin + block)
                c, q = (engine or self._engine).matrix(s[begin:end], t, num_threads=threads)
                cost[begin:end] = c
                sums[:, begin:end] = q
        phi = self.node_potential
        if phi is not None:  # undo the potential shift, as route() does
            cost = cost - phi[s.astype(np.intp)][:, None] + phi[t.astype(np.intp)][None, :]
        return cost, {name: sums[j] for j, name in enumerate(self._report)}

    def _bounded_matrix(
        self,
        s: npt.NDArray[np.uint32],
        t: npt.NDArray[np.uint32],
        threads: int,
        ends: tuple[Endpoints, Endpoints] | None = None,
    ) -> tuple[FloatArray, dict[str, FloatArray], dict[str, FloatArray]]:
        """
        Matrices under the time budget: per cell, the best supported route within it.

        With ``ends`` holding a snapped point, every price's matrix is
        computed part-way between them (:meth:`Tradeoff.partway_matrices`).
        """
        tradeoff = self._tradeoff_engines()
        assert self.budget is not None
        if ends is not None and (ends[0].partway.any() or ends[1].partway.any()):
            all_sums = tradeoff.partway_matrices(ends[0], ends[1], threads)  # K, rows, cols, q
        else:
            all_sums = np.moveaxis(tradeoff.matrices(s, t, threads), 1, -1)
        objective, time_s = tradeoff.split(all_sums)
        choice = tradeoff.choose(objective, time_s, self.budget)
        sums = np.take_along_axis(all_sums, choice.chosen[None, ..., None], axis=0)[0]
        quantities = {name: sums[..., j] for j, name in enumerate(self._report)}
        cost = quantities[tradeoff.quantity].copy()
        bounds = {
            "fastest_time_s": choice.fastest_time_s,
            "fastest_co2_g": all_sums[-1][..., self._report.index("co2_g")],
            gap_column(tradeoff.quantity): choice.gap(cost),
        }
        return cost, quantities, bounds

    def costs_from(self, source: Any) -> pd.Series:
        """
        Return the cost from ``source`` to every node (one-to-all), indexed by node id.

        Unreachable nodes get ``inf``. A coordinate starts at the nearer end
        of its nearest road (with no single target, nothing to fall back for).
        """
        s, _ = self._resolve_node(source, "source")
        cost = self._engine.costs_from(s)
        if self.node_potential is not None:
            cost = cost - self.node_potential[s] + self.node_potential
        return pd.Series(cost, index=pd.Index(self.network.node_id, name="node"), name="cost")

    # ------------------------------------------------------------------ internals

    def _traffic_for(self, departure: Any) -> TrafficRouting:
        """The router's traffic state (issue 12); a departure needs ``speeds=``."""
        if self._traffic is None:
            shown = repr(departure) if np.ndim(departure) == 0 else "a column of departures"
            msg = (
                f"departure ({shown}) needs hour-of-week speeds: build the router with "
                "Router(network, ..., speeds=ecoroute.traffic.with_speeds(network, table))."
            )
            raise ValueError(msg)
        return self._traffic

    def _true_cost(
        self, reduced: FloatArray, sources: npt.ArrayLike, targets: npt.ArrayLike
    ) -> FloatArray:
        """Undo the potential shift: a path's cost is its reduced cost - phi(s) + phi(t)."""
        if self.node_potential is None:
            return reduced
        phi = self.node_potential
        return (
            reduced
            - phi[np.asarray(sources, dtype=np.intp)]
            + phi[np.asarray(targets, dtype=np.intp)]
        )

    def _partway(self, src: Endpoints, dst: Endpoints, departure: Any) -> bool:
        """Whether a query routes part-way: some point snapped (budget or departure alike)."""
        some = bool(src.partway.any() or dst.partway.any())
        if some and departure is not None:
            self._traffic_for(departure)  # a departure needs speeds, part-way or not
            if self.budget is not None:
                msg = "departure= and a time budget (max_extra_time) cannot be combined yet."
                raise ValueError(msg)
        return some

    def _resolve_one(self, point: Any, name: str, max_snap_m: float | None = None) -> Endpoints:
        """Resolve one node id or (lat, lon) pair to its nearest snap (:meth:`_resolve`)."""
        return self._resolve_one_snaps(point, name, max_snap_m).nearest

    def _resolve_one_snaps(
        self, point: Any, name: str, max_snap_m: float | None = None
    ) -> PointSnaps:
        """Resolve one node id or (lat, lon) pair: the fast path of :meth:`route`."""
        if _is_node_id(point):
            node = [self.network.node_index_of(int(point))]
            return PointSnaps.fixed(Endpoints.at_nodes(self.network, node))
        return self._resolve_snaps([point], name, max_snap_m)

    def _resolve_node(self, point: Any, name: str) -> tuple[int, float]:
        """One point as a dense node index (a snapped point: its road's nearer end) and distance."""
        ends = self._resolve_one(point, name).as_nodes(self.network)
        return int(ends.node[0]), float(ends.distance_m[0])

    def _resolve(self, points: Any, name: str, max_snap_m: float | None = None) -> Endpoints:
        """
        Turn node ids or (lat, lon) pairs into :class:`~ecoroute.snapping.Endpoints`.

        Node ids stay exact nodes; coordinates snap to the nearest point of the
        nearest road the vehicle may drive, within ``max_snap_m`` (default: the
        router's; issue 11). The largest part's snaps, which queries fall back
        to, are in :meth:`_resolve_snaps`.
        """
        return self._resolve_snaps(points, name, max_snap_m).nearest

    def _resolve_snaps(self, points: Any, name: str, max_snap_m: float | None = None) -> PointSnaps:
        """
        Node ids or (lat, lon) pairs as :class:`~ecoroute.snap_policy.PointSnaps` (issue 24).

        Coordinates snap to the nearest road the vehicle may drive (any part
        of the network), and keep what it takes to move them onto the largest
        strongly connected part where a query's pair is not joined. Node ids
        and points resolved beforehand (:class:`Endpoints`) stay where they are.
        """
        if isinstance(points, Endpoints):  # already resolved (e.g. fleet locations)
            return PointSnaps.fixed(points)
        array = _as_points(points, name)
        if array.ndim == 1:  # node ids
            return PointSnaps.fixed(
                Endpoints.at_nodes(self.network, self.network.node_index(array))
            )
        limit = self.max_snap_m if max_snap_m is None else check_max_snap_m(max_snap_m)
        nearest, largest = self._snappers()
        return PointSnaps.snapped(
            self.network,
            array[:, 0],
            array[:, 1],
            nearest=nearest,
            largest_part=largest,
            limit_m=limit,
            name=name,
        )

    def _split_paths(
        self, sources: npt.NDArray[np.integer[Any]], result: PairResults
    ) -> list[npt.NDArray[np.int64]]:
        assert result.path_offsets is not None
        assert result.path_arcs is not None
        head, tail = self.network.head, self.network.tail
        node_id = self.network.node_id
        out = []
        for i, source in enumerate(sources.tolist()):
            if not np.isfinite(result.cost[i]):
                out.append(np.empty(0, dtype=np.int64))
                continue
            path = result.path_arcs[result.path_offsets[i] : result.path_offsets[i + 1]]
            start = tail[path[0]] if path.size else source  # a part-way start: the arc's tail
            out.append(node_id[np.concatenate(([start], head[path])).astype(np.int64)])
        return out


def _rows(points: Endpoints, rows: slice) -> Endpoints:
    """The points of ``rows`` (every array of the endpoints sliced alike)."""
    return dataclasses.replace(
        points, **{f.name: getattr(points, f.name)[rows] for f in dataclasses.fields(points)}
    )


def _departure_rows(departure: Any, rows: npt.NDArray[np.int64]) -> Any:
    """The departures of the pairs ``rows``: one for all stays one, one per pair is taken."""
    if departure is None or np.ndim(departure) == 0:
        return departure
    return np.asarray(departure)[rows]


def _kind_column(points: PointSnaps, moved: npt.NDArray[np.bool_]) -> pd.Categorical:
    """A ``*_snap_kind`` column: "node", "nearest" or "largest_part" per pair (issue 24)."""
    return pd.Categorical(points.kinds(moved), categories=SNAP_KINDS)


def _matrix_snaps(
    network: RoadNetwork, done: FallbackMatrix, src: PointSnaps, dst: PointSnaps
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per end of a matrix, what ODMatrix.to_frame reports: node-or-not and the fallback snaps."""
    out: list[dict[str, Any]] = []
    for points, largest in ((src, done.source_largest), (dst, done.target_largest)):
        snaps: dict[str, Any] = {"given_as_node": points.given_as_node}
        if largest is not None:
            snaps.update(
                node=network.node_id[largest.node],
                snap_m=largest.distance_m,
                lat=largest.lat,
                lon=largest.lon,
            )
        out.append(snaps)
    return out[0], out[1]


def _legal_summary(vehicle: Vehicle) -> str:
    summary = getattr(vehicle, "legal_summary", None)
    return summary() if summary is not None else vehicle.name


def _is_node_id(point: Any) -> bool:
    """Whether one query argument is a node id (an integer, not a bool or coordinates)."""
    return isinstance(point, int | np.integer) and not isinstance(point, bool)


def _as_indices(values: npt.ArrayLike, node_count: int, name: str) -> npt.NDArray[np.uint32]:
    """Dense node indices as uint32, refusing floats, negatives and out-of-range values."""
    return as_index_array(values, name, upper=node_count)


def _as_points(points: Any, name: str) -> np.ndarray[Any, Any]:
    """Return node ids as a 1-D int array, or coordinates as a float array of shape (k, 2)."""
    array = np.asarray(points)
    if array.dtype == object and array.ndim == 1:
        too_big = [x for x in array.tolist() if isinstance(x, int) and not -(2**63) <= x < 2**63]
        if too_big:
            raise UnknownNodeError(too_big[0], f"({name}: node ids are 64-bit integers)")
    if array.dtype == object:
        try:
            array = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError) as error:
            msg = f"{name} must hold node ids or (lat, lon) pairs."
            raise TypeError(msg) from error
    if array.ndim == 1 and array.size and array.dtype.kind not in "iu":
        msg = f"{name} must hold integer node ids or (lat, lon) pairs, not {array.dtype} scalars."
        raise TypeError(msg)
    if array.ndim == 2 and array.shape[1] != 2:
        msg = f"{name} coordinates must have shape (k, 2) as (lat, lon); got {array.shape}."
        raise ValueError(msg)
    if array.ndim == 2 and array.dtype.kind not in "iuf":
        msg = f"{name} coordinates must be numbers, not {array.dtype}."
        raise TypeError(msg)
    if (
        array.ndim == 2
        and array.dtype.kind in "iu"
        and array.size
        and (np.abs(array[:, 0]).max() > 90 or np.abs(array[:, 1]).max() > 180)
    ):
        msg = (
            f"{name} is a {array.shape} array of whole numbers beyond any latitude or "
            "longitude: node ids go in a flat list ([id, id, ...]), coordinates as "
            "(lat, lon) pairs."
        )
        raise ValueError(msg)
    if array.ndim not in (1, 2):
        msg = f"{name} must be node ids or (lat, lon) pairs; got shape {array.shape}."
        raise ValueError(msg)
    if array.ndim == 2:
        return array.astype(np.float64)
    return array


#: Pairs (matrix cells or batch routes) from which an ``algorithm="auto"`` router on an
#: unprepared network prepares the index first: on Malta one bidirectional A* search costs
#: about 0.3 ms and preparing the node index 0.12 s, so a few hundred pairs already pay.
PREPARE_AT_PAIRS = 2_000

#: Routers kept per router for the conditional states of recent departures.
_CONDITIONAL_ROUTERS = 4


def available_memory_bytes() -> int | None:
    """Memory this machine can still give (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _check_matrix_memory(rows: int, columns: int, matrices: int) -> None:
    """
    Refuse up front a matrix whose results alone would not fit in memory.

    ``matrices`` float64 matrices of ``rows x columns`` (the cost and each
    reported quantity) are what the result holds; the search needs about as
    much again while it runs. Better a clear message at once than an
    allocation failure after minutes of work.
    """
    needed = 2 * rows * columns * matrices * 8
    available = available_memory_bytes()
    if available is not None and needed > available:
        gib = 1024**3
        msg = (
            f"a {rows:,} x {columns:,} matrix needs about {needed / gib:.1f} GiB "
            f"({matrices} float64 matrices, and the search's own), but {available / gib:.1f} GiB "
            "is available: ask for it in blocks of sources (router.matrix(sources[i:i + k], "
            "targets)) or use route_many for the pairs you need."
        )
        raise TooBigError(msg)


def _check_budget(
    relative: float | None, absolute_s: float | None, weights: Mapping[str, float]
) -> tuple[float | None, float | None]:
    """Validate ``max_extra_time`` / ``max_extra_time_s`` (and that the objective allows one)."""
    out: list[float | None] = []
    for name, value in (("max_extra_time", relative), ("max_extra_time_s", absolute_s)):
        if value is None:
            out.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            msg = f"{name} must be a number, got {value!r}."
            raise TypeError(msg)
        number = float(value)
        if not math.isfinite(number) or number < 0:
            msg = f"{name} must be finite and >= 0 (e.g. 0.05 for 5 % more time), got {value!r}."
            raise ValueError(msg)
        if name == "max_extra_time" and number > 10:
            msg = (
                f"max_extra_time is a fraction of the fastest time (0.05 = 5 %), got {value!r}; "
                "did you mean a percentage?"
            )
            raise ValueError(msg)
        out.append(number)
    if out != [None, None]:
        names = [q for q, f in weights.items() if f]
        if len(names) != 1 or names[0] == "time_s":
            msg = (
                "a time budget bounds the extra time spent to lower one objective: "
                "use a single objective other than time (e.g. objective='co2')."
            )
            raise ValueError(msg)
    return out[0], out[1]


#: Per-arc quantities of the last few (vehicle, payload) pairs evaluated on each network.
#: Networks and vehicles are immutable values, so Routers of one vehicle (other objectives,
#: the trade-off's prices, a batch job's eco and fastest routers) share one evaluation. At
#: most this many bytes are kept per network (New York: ~29 MB per vehicle), the least
#: recently used first to go; a larger evaluation is not kept at all.
_QUANTITIES: weakref.WeakKeyDictionary[RoadNetwork, OrderedDict[Any, dict[str, FloatArray]]] = (
    weakref.WeakKeyDictionary()
)
_QUANTITIES_MAX_BYTES = 256 * 2**20


def _arc_quantities(
    network: RoadNetwork,
    vehicle: Vehicle,
    payload_kg: float | None,
    conditional: str = "restrict",
    hour: int | None = None,
) -> dict[str, FloatArray]:
    """
    The vehicle's per-arc quantities on the network (read-only arrays), evaluated once.

    Arcs closed to it (:func:`ecoroute.access.vehicle_rules` under the
    conditional policy and hour) cost +inf.
    """
    rules = vehicle_rules(network, vehicle, payload_kg, conditional=conditional, hour=hour)
    try:
        key: Any = (vehicle, payload_kg, conditional, hour)
        hash(key)
    except TypeError:  # a vehicle holding unhashable parameters: no sharing
        key = None
    cache = _QUANTITIES.setdefault(network, OrderedDict())
    if key is not None and key in cache:
        cache.move_to_end(key)
        return dict(cache[key])
    quantities = vehicle.arc_quantities(network, payload_kg)
    if rules.restricts:
        # Arcs the vehicle may not drive cost +inf in every quantity, so every engine
        # built from them (node or turn graph, CCH or not, any price of time) avoids
        # them. Destination-only arcs keep their cost: _make_engine lets them be
        # driven at a route's ends only (ecoroute.destination).
        for name in quantities:
            values = np.array(quantities[name], dtype=np.float64)
            values[rules.closed] = np.inf
            quantities[name] = values
    for values in quantities.values():
        values.flags.writeable = False
    size = sum(values.nbytes for values in quantities.values())
    if key is not None and size <= _QUANTITIES_MAX_BYTES:
        cache[key] = quantities
        while sum(a.nbytes for q in cache.values() for a in q.values()) > _QUANTITIES_MAX_BYTES:
            cache.popitem(last=False)
    return dict(quantities)


def _check_tradeoff_points(points: int) -> int:
    if (
        isinstance(points, bool)
        or not isinstance(points, int | np.integer)
        or not 2 <= points <= 64
    ):
        msg = f"tradeoff_points must be an integer from 2 to 64, got {points!r}."
        raise ValueError(msg)
    return int(points)


def _check_threads(num_threads: int) -> int:
    return check_threads(num_threads)


__all__ = ["ODMatrix", "PairResults", "Route", "Router"]
