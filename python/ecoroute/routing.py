"""Routes on a road network for one vehicle and objective: single routes and batches."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._errors import NoRouteError
from ._geo import unit_vectors
from .vehicles import Vehicle, resolve_vehicle

if TYPE_CHECKING:
    import geopandas
    import shapely

    from .network import RoadNetwork
    from .turns import TurnEngine, TurnGraph, TurnRestrictions

FloatArray = npt.NDArray[np.float64]

Objective = Literal["co2", "time", "distance", "fuel", "energy"] | Mapping[str, float]
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
_ALGORITHM_ENUM: dict[str, _core.Algorithm] = {
    name: _core.Algorithm.__members__[name] for name in (*ALGORITHMS, "cch")
}

#: Pairs per C++ call in route_many: big enough to amortise the call, small
#: enough to update a progress bar and honour Ctrl-C between chunks.
_CHUNK_PAIRS = 20_000

#: Cells per C++ call in :meth:`Router.matrix` (rows are split into blocks of
#: about this many cells, so that Ctrl-C is honoured between blocks).
_MATRIX_BLOCK_CELLS = 4_000_000


@dataclass(frozen=True, eq=False)
class Route:
    """
    One route: its nodes and arcs, and what driving it costs.

    Attributes
    ----------
    nodes
        Node ids (OSM ids for OSM data) from source to target.
    arcs
        Arc indices into the network's per-arc arrays, in driving order.
    cost
        Value of the router's objective along the route.
    co2_g, time_s, distance_m
        Tank-to-wheel CO2 (grams), free-flow travel time (seconds) and length
        (metres) of the route.
    fuel_l, energy_kwh
        Fuel (litres) or battery energy (kWh) when the vehicle model reports it.
    co2e_wtw_g
        Well-to-wheel CO2-equivalent (grams) when the vehicle model reports it.
    quantities
        Every quantity the vehicle model reports, summed along the route
        (the fields above and any others, by name with unit suffix).
    source_snap_m, target_snap_m
        Distance from the requested coordinates to the nodes used (0 when
        nodes were given by id).
    """

    nodes: npt.NDArray[np.int64]
    arcs: npt.NDArray[np.uint32]
    cost: float
    co2_g: float
    time_s: float
    distance_m: float
    fuel_l: float | None = None
    energy_kwh: float | None = None
    co2e_wtw_g: float | None = None
    quantities: Mapping[str, float] = field(default_factory=dict)
    source_snap_m: float = 0.0
    target_snap_m: float = 0.0
    vehicle: str = ""
    objective: str = ""
    _network: RoadNetwork | None = field(default=None, repr=False)
    _arc_quantities: Mapping[str, FloatArray] | None = field(default=None, repr=False)

    @property
    def source(self) -> int:
        """Id of the first node."""
        return int(self.nodes[0])

    @property
    def target(self) -> int:
        """Id of the last node."""
        return int(self.nodes[-1])

    @property
    def coordinates(self) -> FloatArray:
        """The route's (lon, lat) points, road shape points included."""
        network = self._require_network()
        start = int(network.node_index([self.nodes[0]])[0])
        return network.path_coordinates(self.arcs, start)

    @property
    def geometry(self) -> shapely.LineString:
        """The route as a shapely LineString in lon/lat (a repeated point when source == target)."""
        import shapely

        return shapely.LineString(self.coordinates)

    def summary(self) -> dict[str, Any]:
        """Return the route's scalar fields as a dict (what to_geojson puts in properties)."""
        out: dict[str, Any] = {
            "source": self.source,
            "target": self.target,
            "vehicle": self.vehicle,
            "objective": self.objective,
            "cost": self.cost,
            "co2_g": self.co2_g,
            "time_s": self.time_s,
            "distance_m": self.distance_m,
            "source_snap_m": self.source_snap_m,
            "target_snap_m": self.target_snap_m,
        }
        for name, value in self.quantities.items():
            out.setdefault(name, value)
        return out

    def to_geojson(self) -> dict[str, Any]:
        """Return the route as a GeoJSON Feature (a dict; ``json.dumps`` it to write a file)."""
        coordinates = self.coordinates.tolist()
        return {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": coordinates},
            "properties": self.summary() | {"nodes": [int(x) for x in self.nodes]},
        }

    def to_geojson_str(self) -> str:
        """Return :meth:`to_geojson` serialised as a string."""
        return json.dumps(self.to_geojson())

    def to_gdf(self) -> geopandas.GeoDataFrame:
        """
        Return one row per arc of the route as a GeoDataFrame (EPSG:4326).

        Columns: ``u``, ``v`` (node ids), ``arc``, ``length_m``, ``speed_kph``,
        ``grade``, ``highway``, ``osm_way_id``, the router's per-arc quantities
        (``co2_g``, ``time_s``, ...) and ``geometry``. Needs geopandas
        (``pip install ecoroute[geo]``).
        """
        try:
            import geopandas
        except ImportError as error:
            msg = "Route.to_gdf needs geopandas: pip install 'ecoroute[geo]'."
            raise ImportError(msg) from error
        import shapely

        network = self._require_network()
        arcs = self.arcs.astype(np.int64)
        tail, head = network.tail[arcs], network.head[arcs]
        columns: dict[str, Any] = {
            "u": network.node_id[tail],
            "v": network.node_id[head],
            "arc": arcs,
            "length_m": network.length_m[arcs],
            "speed_kph": network.speed_kph[arcs],
            "grade": network.grade[arcs],
            "highway": network.highway[arcs],
            "osm_way_id": network.osm_way_id[arcs],
        }
        for name, values in (self._arc_quantities or {}).items():
            if name not in columns:
                columns[name] = values[arcs]
        geometry = [
            shapely.LineString(network.path_coordinates([a], int(t)))
            for a, t in zip(arcs, tail, strict=True)
        ]
        return geopandas.GeoDataFrame(columns, geometry=geometry, crs="EPSG:4326")

    def _require_network(self) -> RoadNetwork:
        if self._network is None:
            msg = "This Route is not attached to a network."
            raise ValueError(msg)
        return self._network


@dataclass(frozen=True)
class PairResults:
    """
    Answers of :meth:`Router.route_indices` as plain arrays.

    Attributes
    ----------
    cost
        Objective value per pair (``inf`` where the target is unreachable).
    quantities
        Each reported quantity (``co2_g``, ``time_s``, ...) summed along the
        chosen path, per pair (``inf`` where unreachable).
    path_offsets, path_arcs
        With paths: the arcs of pair ``i`` are
        ``path_arcs[path_offsets[i]:path_offsets[i + 1]]``; otherwise None.
    """

    cost: FloatArray
    quantities: dict[str, FloatArray]
    path_offsets: npt.NDArray[np.uint64] | None = None
    path_arcs: npt.NDArray[np.uint32] | None = None


@dataclass(frozen=True, eq=False)
class ODMatrix:
    """
    Origin-destination matrix: least-cost routes from every source to every target.

    Row ``i`` is ``sources[i]``, column ``j`` is ``targets[j]``. Every
    quantity is summed along the same route as ``cost`` (the route
    :meth:`Router.route` returns for that pair).

    Attributes
    ----------
    sources, targets
        Node ids used (OSM ids for OSM data), after snapping coordinates.
    cost
        Value of the router's objective, shape ``(len(sources), len(targets))``;
        ``inf`` where the target cannot be reached.
    quantities
        Every quantity the vehicle model reports (``co2_g``, ``time_s``,
        ``distance_m``, ``fuel_l`` or ``energy_kwh``, ...), each a matrix of
        the same shape, ``inf`` where unreachable.
    source_snap_m, target_snap_m
        Distance from requested coordinates to the nodes used (0 for ids).
    """

    sources: npt.NDArray[np.int64]
    targets: npt.NDArray[np.int64]
    cost: FloatArray
    quantities: Mapping[str, FloatArray]
    source_snap_m: FloatArray
    target_snap_m: FloatArray
    vehicle: str = ""
    objective: str = ""
    algorithm: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """(number of sources, number of targets)."""
        return (len(self.sources), len(self.targets))

    @property
    def reachable(self) -> npt.NDArray[np.bool_]:
        """Whether each target can be reached from each source."""
        return np.isfinite(self.cost)

    @property
    def co2_g(self) -> FloatArray:
        """Tank-to-wheel CO2 in grams along each route."""
        return self.quantities["co2_g"]

    @property
    def time_s(self) -> FloatArray:
        """Free-flow travel time in seconds along each route."""
        return self.quantities["time_s"]

    @property
    def distance_m(self) -> FloatArray:
        """Length in metres of each route."""
        return self.quantities["distance_m"]

    def __getitem__(self, name: str) -> FloatArray:
        """Return ``"cost"`` or a quantity's matrix by name."""
        if name == "cost":
            return self.cost
        return self.quantities[name]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per (source, target) pair, like :meth:`Router.route_many`."""
        rows, columns = self.shape
        frame: dict[str, Any] = {
            "source": np.repeat(self.sources, columns),
            "target": np.tile(self.targets, rows),
            "reachable": self.reachable.ravel(),
            "cost": self.cost.ravel(),
        }
        for name, values in self.quantities.items():
            frame[name] = values.ravel()
        frame["source_snap_m"] = np.repeat(self.source_snap_m, columns)
        frame["target_snap_m"] = np.tile(self.target_snap_m, rows)
        return pd.DataFrame(frame)


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
        A catalogue name (see :func:`ecoroute.vehicles`) or a :class:`Vehicle`.
    objective
        What to minimise: ``"co2"`` (grams, the default), ``"time"`` (seconds),
        ``"distance"`` (metres), ``"fuel"`` (litres) or ``"energy"`` (kWh), or a
        dict of non-negative weights over those names, e.g.
        ``{"co2": 1.0, "time": 0.5}`` to price a second at half a gram.
    algorithm
        ``"dijkstra"``, ``"bidirectional"`` (bidirectional Dijkstra), ``"astar"``
        (A* with a great-circle potential), ``"bidirectional_astar"`` (both
        directions, average potentials), ``"cch"`` (the network's contraction
        hierarchy, see :meth:`RoadNetwork.prepare`; customized here for this
        vehicle), or ``"auto"`` (the default: ``"cch"`` when the network is
        prepared, else bidirectional A*, the fastest search without
        preprocessing). All return the same costs; only their speed differs.
    payload_kg
        Payload passed to the vehicle model (ignored by models without one).
    num_threads
        Threads for batch calls; 0 (the default) uses every core.
    turns
        Turn restrictions and intersection costs (:func:`ecoroute.turns.read_turns`):
        every query then runs on the turn-expanded graph and obeys them; its
        ``"cch"`` is the expanded graph's own hierarchy (see docs/turns.md).

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
        vehicle: str | Vehicle = "car_petrol",
        objective: Objective = "co2",
        *,
        algorithm: Algorithm = "auto",
        payload_kg: float | None = None,
        num_threads: int = 0,
        turns: TurnRestrictions | TurnGraph | None = None,
    ) -> None:
        self.network = network
        self.vehicle = resolve_vehicle(vehicle)
        self.num_threads = _check_threads(num_threads)
        self.arc_quantities: dict[str, FloatArray] = self.vehicle.arc_quantities(
            network, payload_kg
        )
        for values in self.arc_quantities.values():
            values.flags.writeable = False
        self.objective = objective
        self.objective_weights = _objective_weights(objective, self.arc_quantities)
        weight = np.zeros(network.arc_count)
        for quantity, factor in self.objective_weights.items():
            weight += factor * self.arc_quantities[quantity]
        self.weight: FloatArray = weight
        self.weight.flags.writeable = False
        # A potential is needed only where the objective's own weights go negative
        # (an EV's energy or CO2); time, distance and fuel never do.
        self.node_potential: FloatArray | None = None
        if (weight < 0).any():
            self.node_potential = _objective_potential(
                self.vehicle.node_potentials(network, payload_kg),
                self.objective_weights,
                network.node_count,
            )
        search_weight = _reduced_weight(network, weight, self.node_potential, self.vehicle.name)

        # ---- turns (issue 11): restrictions and intersection costs -------------
        # The search runs on the turn-expanded graph (ecoroute.turns); its engine
        # answers in network nodes and arcs, so every query below is unchanged.
        self.turns = turns
        self._engine: _core.QueryEngine | TurnEngine
        self.algorithm: str
        if turns is not None:
            from .turns import turn_engine

            first = ("co2_g", "time_s", "distance_m")
            self._report = [*first, *(q for q in self.arc_quantities if q not in first)]
            self._engine, self.algorithm, self.turn_quantities = turn_engine(
                network,
                turns,
                vehicle=self.vehicle,
                payload_kg=payload_kg,
                arc_quantities=self.arc_quantities,
                report=self._report,
                objective_weights=self.objective_weights,
                node_potential=self.node_potential,
                algorithm=algorithm,
                num_threads=self.num_threads,
            )
            self._label = _objective_label(objective)
            return
        # ---- end of turns --------------------------------------------------------

        if algorithm == "auto":
            algorithm = "cch" if network.hierarchy is not None else "bidirectional_astar"
        if algorithm not in _ALGORITHM_ENUM:
            msg = (
                f"Unknown algorithm {algorithm!r}; choose auto, cch or one of "
                f"{', '.join(ALGORITHMS)}."
            )
            raise ValueError(msg)
        if algorithm == "cch" and network.hierarchy is None:
            msg = (
                "algorithm='cch' needs a prepared network: use network.prepared() "
                "(network.prepare() in older code)."
            )
            raise ValueError(msg)
        self.algorithm = algorithm
        # Reported quantities: the three every model has first, then the model's own.
        first = ("co2_g", "time_s", "distance_m")
        self._report = [*first, *(q for q in self.arc_quantities if q not in first)]
        reported = [self.arc_quantities[q] for q in self._report]
        metric = _core.Metric(network._graph, search_weight)
        # One engine for every query, whatever the algorithm (it keeps the
        # reported arrays alive for as long as it reads them).
        if algorithm == "cch":
            assert network.hierarchy is not None
            customized = network.hierarchy.customize(metric, num_threads=self.num_threads)
            self._engine = _core.QueryEngine(customized, reported)
        else:
            points = (
                _core.SpherePoints(*unit_vectors(network.lat, network.lon))
                if "astar" in algorithm
                else None
            )
            self._engine = _core.QueryEngine(metric, _ALGORITHM_ENUM[algorithm], reported, points)
        self._label = _objective_label(objective)

    def __repr__(self) -> str:
        return (
            f"Router({self.network!r}, vehicle={self.vehicle.name!r}, "
            f"objective={self._label!r}, algorithm={self.algorithm!r})"
        )

    # ------------------------------------------------------------------ queries

    def route(self, source: Any, target: Any) -> Route:
        """
        Return the least-cost route from ``source`` to ``target``.

        Parameters
        ----------
        source, target
            A node id (the OSM id for OSM data), or a ``(lat, lon)`` tuple that
            is snapped to the nearest node (the snap distance is reported).

        Raises
        ------
        UnknownNodeError
            (a ``KeyError``) if a node id is not in the network.
        NoRouteError
            If the target cannot be reached from the source.
        ValueError
            If coordinates are NaN or out of range.
        """
        s, s_snap = self._resolve_one(source, "source")
        t, t_snap = self._resolve_one(target, "target")
        cost, sums, offsets, arcs = self._engine.route_pairs(
            np.array([s], dtype=np.uint32),
            np.array([t], dtype=np.uint32),
            with_paths=True,
            num_threads=1,
        )
        value = float(cost[0])
        if self.node_potential is not None:
            value += float(self.node_potential[t] - self.node_potential[s])
        if not math.isfinite(value):
            node_id = self.network.node_id
            msg = (
                f"No route from node {node_id[s]} to node {node_id[t]} for {self.vehicle.name}: "
                "the target cannot be reached (one-way streets, closed arcs or a disconnected "
                "part of the network)."
            )
            raise NoRouteError(msg)
        path = arcs[offsets[0] : offsets[1]]
        nodes = np.empty(path.size + 1, dtype=np.intp)
        nodes[0] = s
        nodes[1:] = self.network.head[path]
        values = dict(zip(self._report, sums[0].tolist(), strict=True))
        return Route(
            nodes=self.network.node_id[nodes],
            arcs=path,
            cost=value,
            co2_g=values["co2_g"],
            time_s=values["time_s"],
            distance_m=values["distance_m"],
            fuel_l=values.get("fuel_l"),
            energy_kwh=values.get("energy_kwh"),
            co2e_wtw_g=values.get("co2e_wtw_g"),
            quantities=values,
            source_snap_m=s_snap,
            target_snap_m=t_snap,
            vehicle=self.vehicle.name,
            objective=self._label,
            _network=self.network,
            _arc_quantities=self.arc_quantities,
        )

    def route_many(
        self,
        sources: Any,
        targets: Any,
        *,
        return_paths: bool = False,
        num_threads: int | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """
        Route every pair ``sources[i] -> targets[i]`` in one call, in parallel C++.

        Parameters
        ----------
        sources, targets
            Equal-length sequences of node ids (an integer array), or of
            ``(lat, lon)`` pairs (a float array of shape ``(k, 2)`` or a list of
            tuples) snapped to their nearest nodes.
        return_paths
            Add a ``nodes`` column holding each route's node ids (an array per
            row; costs memory on big batches).
        num_threads
            Overrides the router's ``num_threads`` for this call.
        progress
            Show a progress bar; by default only for batches of more than
            100,000 pairs.

        Returns
        -------
        pandas.DataFrame
            One row per pair: ``source``, ``target`` (node ids used),
            ``reachable``, ``cost``, ``co2_g``, ``time_s``, ``distance_m``, the
            vehicle's other quantities (``fuel_l`` or ``energy_kwh``,
            ``co2e_wtw_g``, ...), ``source_snap_m`` and
            ``target_snap_m``. Unreachable pairs are rows with
            ``reachable=False`` and infinite costs, never an exception.

        Raises
        ------
        UnknownNodeError
            (a ``KeyError``) if a node id is not in the network.
        ValueError
            If the two sequences differ in length, or coordinates are NaN.
        """
        s, s_snap = self._resolve(sources, "sources")
        t, t_snap = self._resolve(targets, "targets")
        result = self.route_indices(
            s, t, with_paths=return_paths, num_threads=num_threads, progress=progress
        )
        frame: dict[str, Any] = {
            "source": self.network.node_id[s],
            "target": self.network.node_id[t],
            "reachable": np.isfinite(result.cost),
            "cost": result.cost,
        }
        frame.update(result.quantities)
        frame["source_snap_m"] = s_snap
        frame["target_snap_m"] = t_snap
        if return_paths:
            frame["nodes"] = self._split_paths(s, result)
        return pd.DataFrame(frame)

    def route_indices(
        self,
        sources: npt.ArrayLike,
        targets: npt.ArrayLike,
        *,
        with_paths: bool = False,
        num_threads: int | None = None,
        progress: bool | None = None,
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
            Show a progress bar; by default only for more than 100,000 pairs.

        Returns
        -------
        PairResults
            Costs (``inf`` where unreachable), each reported quantity summed
            along the chosen paths (``inf`` where unreachable), and the paths.
        """
        n = self.network.node_count
        s = _as_indices(sources, n, "sources")
        t = _as_indices(targets, n, "targets")
        if s.size != t.size:
            msg = f"sources and targets must have the same length: got {s.size} and {t.size}."
            raise ValueError(msg)
        threads = self.num_threads if num_threads is None else _check_threads(num_threads)

        count = s.size
        cost = np.empty(count)
        sums = np.empty((count, len(self._report)))
        offset_parts: list[npt.NDArray[np.uint64]] = [np.zeros(1, dtype=np.uint64)]
        arc_parts: list[npt.NDArray[np.uint32]] = []
        show = count > 100_000 if progress is None else progress
        from tqdm.auto import tqdm

        with tqdm(total=count, disable=not show, unit="route", desc="routing") as bar:
            for begin in range(0, count, _CHUNK_PAIRS):
                end = min(count, begin + _CHUNK_PAIRS)
                c, q, offsets, arcs = self._engine.route_pairs(
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

    def matrix(self, sources: Any, targets: Any, *, num_threads: int | None = None) -> ODMatrix:
        """
        Route from every source to every target in one call: an origin-destination matrix.

        On a prepared network (:meth:`RoadNetwork.prepare`) this runs the
        hierarchy's many-to-many search in C++ on every core, without
        unpacking a single path; otherwise it runs one search per pair.

        Parameters
        ----------
        sources, targets
            Node ids (an integer array) or ``(lat, lon)`` pairs, as for
            :meth:`route_many`; the two may differ in length.
        num_threads
            Overrides the router's ``num_threads`` for this call.

        Returns
        -------
        ODMatrix
            ``cost`` and one matrix per reported quantity (``co2_g``,
            ``time_s``, ``distance_m``, ``fuel_l`` or ``energy_kwh``, ...), each
            summed along the same least-cost route; ``inf`` where unreachable.
        """
        threads = self.num_threads if num_threads is None else _check_threads(num_threads)
        s, s_snap = self._resolve(sources, "sources")
        t, t_snap = self._resolve(targets, "targets")
        names = self._report
        rows, columns = s.size, t.size
        cost = np.full((rows, columns), np.inf)
        sums = np.full((len(names), rows, columns), np.inf)
        if rows and columns:
            block = max(1, _MATRIX_BLOCK_CELLS // columns)
            for begin in range(0, rows, block):
                end = min(rows, begin + block)
                c, q = self._engine.matrix(s[begin:end], t, num_threads=threads)
                cost[begin:end] = c
                sums[:, begin:end] = q
        phi = self.node_potential
        if phi is not None:  # undo the potential shift, as route() does
            cost = cost - phi[s.astype(np.intp)][:, None] + phi[t.astype(np.intp)][None, :]
        quantities = {name: sums[j] for j, name in enumerate(names)}
        for values in (cost, *quantities.values()):
            values.flags.writeable = False
        node_id = self.network.node_id
        return ODMatrix(
            sources=node_id[s],
            targets=node_id[t],
            cost=cost,
            quantities=quantities,
            source_snap_m=s_snap,
            target_snap_m=t_snap,
            vehicle=self.vehicle.name,
            objective=self._label,
            algorithm=self.algorithm,
        )

    def costs_from(self, source: Any) -> pd.Series:
        """
        Return the cost from ``source`` to every node (one-to-all), indexed by node id.

        Unreachable nodes get ``inf``.
        """
        s, _ = self._resolve_one(source, "source")
        cost = self._engine.costs_from(s)
        if self.node_potential is not None:
            cost = cost - self.node_potential[s] + self.node_potential
        return pd.Series(cost, index=pd.Index(self.network.node_id, name="node"), name="cost")

    # ------------------------------------------------------------------ internals

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

    def _resolve_one(self, point: Any, name: str) -> tuple[int, float]:
        """Resolve one node id or (lat, lon) pair: the fast path of :meth:`route`."""
        if isinstance(point, int | np.integer) and not isinstance(point, bool):
            return int(self.network.node_index(np.array([point]))[0]), 0.0
        (index,), (snap,) = self._resolve([point], name)
        return int(index), float(snap)

    def _resolve(self, points: Any, name: str) -> tuple[npt.NDArray[np.uint32], FloatArray]:
        """Turn node ids or (lat, lon) pairs into dense indices and snap distances."""
        array = _as_points(points, name)
        if array.ndim == 1:  # node ids
            index = self.network.node_index(array)
            return index.astype(np.uint32), np.zeros(index.size)
        index, snap = self.network.nearest_nodes(array[:, 0], array[:, 1])
        return index.astype(np.uint32), snap

    def _split_paths(
        self, sources: npt.NDArray[np.uint32], result: PairResults
    ) -> list[npt.NDArray[np.int64]]:
        assert result.path_offsets is not None
        assert result.path_arcs is not None
        head = self.network.head
        node_id = self.network.node_id
        out = []
        for i, source in enumerate(sources.tolist()):
            if not np.isfinite(result.cost[i]):
                out.append(np.empty(0, dtype=np.int64))
                continue
            path = result.path_arcs[result.path_offsets[i] : result.path_offsets[i + 1]]
            out.append(node_id[np.concatenate(([source], head[path])).astype(np.int64)])
        return out


def _as_indices(values: npt.ArrayLike, node_count: int, name: str) -> npt.NDArray[np.uint32]:
    """Dense node indices as uint32, refusing floats, negatives and out-of-range values."""
    from ._validate import as_index_array

    return as_index_array(values, name, upper=node_count)


def _as_points(points: Any, name: str) -> np.ndarray[Any, Any]:
    """Return node ids as a 1-D int array, or coordinates as a float array of shape (k, 2)."""
    array = np.asarray(points)
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
    if array.ndim not in (1, 2):
        msg = f"{name} must be node ids or (lat, lon) pairs; got shape {array.shape}."
        raise ValueError(msg)
    if array.ndim == 2:
        return array.astype(np.float64)
    return array


def _objective_weights(
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
    return out


def _objective_potential(
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


def _reduced_weight(
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


def _objective_label(objective: Objective) -> str:
    if isinstance(objective, str):
        return objective
    return "+".join(f"{factor:g}*{name}" for name, factor in objective.items())


def _check_threads(num_threads: int) -> int:
    if not isinstance(num_threads, int | np.integer) or num_threads < 0:
        msg = f"num_threads must be an integer >= 0 (0 = all cores), got {num_threads!r}."
        raise ValueError(msg)
    return int(num_threads)


__all__ = ["ODMatrix", "PairResults", "Route", "Router"]
