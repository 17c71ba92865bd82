"""What queries return: one route, many pairs as arrays, origin-destination matrices."""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    import geopandas
    import shapely

    from .network import RoadNetwork

FloatArray = npt.NDArray[np.float64]


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
        CO2 in grams, free-flow travel time (seconds) and length (metres) of
        the route. ``co2_g`` is what the vehicle emits where it drives:
        tank-to-wheel for combustion vehicles; for an electric vehicle, the
        grid's CO2 for the battery energy drawn (its tailpipe emits none).
    fuel_l, energy_kwh
        Fuel (litres) or battery energy (kWh) when the vehicle model reports it.
    co2e_wtw_g
        Well-to-wheel CO2-equivalent (grams) when the vehicle model reports it.
    quantities
        Every quantity the vehicle model reports, summed along the route
        (the fields above and any others, by name with unit suffix).
    source_snap_m, target_snap_m
        Distance from the requested coordinates to the points the route
        starts and ends at, on the road (0 when nodes were given by id).
    source_lat, source_lon, target_lat, target_lon
        Where the route starts and ends: the snapped points on the road for
        coordinates (the route starts part-way along ``source_arc`` and ends
        part-way along ``target_arc``), the nodes' coordinates for node ids.
        NaN where unknown.
    source_arc, target_arc
        The arcs the route starts and ends part-way on (the first and last of
        ``arcs``, which count only their driven parts), -1 when the route
        starts or ends at a node.
    source_snap_kind, target_snap_kind
        How each end was placed (issue 24, :mod:`ecoroute.snap_policy`):
        ``"node"`` for a node given by id, ``"nearest"`` for a coordinate on
        the nearest road the vehicle may drive, ``"largest_part"`` when that
        road could not reach the other end and the route starts (ends) on the
        nearest road of the network's largest strongly connected part instead.
    fastest_time_s, fastest_co2_g, objective_gap
        Only from a router with a time budget (``max_extra_time``): the
        fastest route's time and CO2, so that the saving and its cost read
        off directly, and how far this route's objective can be above the
        exact optimum within the budget (0 when it is certified optimal).
    departure_s
        With ``departure=``: the departure in seconds since Monday 00:00
        (``time_s`` is then the time-dependent travel time); otherwise None.
    """

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
    source_lat: float = math.nan
    source_lon: float = math.nan
    target_lat: float = math.nan
    target_lon: float = math.nan
    source_arc: int = -1
    target_arc: int = -1
    source_snap_kind: str = "node"
    target_snap_kind: str = "node"
    vehicle: str = ""
    objective: str = ""
    fastest_time_s: float | None = None
    fastest_co2_g: float | None = None
    objective_gap: float | None = None
    departure_s: float | None = None  # traffic (issue 12)
    _network: RoadNetwork | None = field(default=None, repr=False)
    _arc_quantities: Mapping[str, FloatArray] | None = field(default=None, repr=False)
    _source_index: int = field(default=0, repr=False)
    _start_fraction: float = field(default=0.0, repr=False)
    _end_fraction: float = field(default=1.0, repr=False)

    def __repr__(self) -> str:
        parts = [
            f"vehicle={self.vehicle!r}" if self.vehicle else None,
            f"objective={self.objective!r}" if self.objective else None,
            f"{self.distance_m / 1000:.2f} km",
            f"{self.time_s / 60:.1f} min",
            f"{self.co2_g:,.0f} g CO2",
            None if self.fuel_l is None else f"{self.fuel_l:.2f} l",
            None if self.energy_kwh is None else f"{self.energy_kwh:.2f} kWh",
            f"{self.arcs.size} arcs",
        ]
        return f"Route({', '.join(p for p in parts if p)})"

    @functools.cached_property
    def nodes(self) -> npt.NDArray[np.int64]:
        """Node ids (OSM ids for OSM data) from source to target (computed on first use)."""
        network = self._require_network()
        index = np.empty(self.arcs.size + 1, dtype=np.intp)
        index[0] = self._source_index
        index[1:] = network.head[self.arcs]
        nodes = network.node_id[index]
        nodes.flags.writeable = False
        return nodes

    @property
    def source(self) -> int:
        """Id of the first node (the tail of ``source_arc`` when the route starts part-way)."""
        return int(self._require_network().node_id[self._source_index])

    @property
    def target(self) -> int:
        """Id of the last node (the head of ``target_arc`` when the route ends part-way)."""
        if self.arcs.size == 0:
            return self.source
        network = self._require_network()
        return int(network.node_id[network.head[self.arcs[-1]]])

    @property
    def coordinates(self) -> FloatArray:
        """The route's (lon, lat) points, road shape points included, from and to the snapped points."""
        network = self._require_network()
        points = network.path_coordinates(self.arcs, self._source_index)
        if self.arcs.size == 0 or (self._start_fraction <= 0.0 and self._end_fraction >= 1.0):
            return points
        from ._geo import trim_path

        return trim_path(network, points, self.arcs, self._start_fraction, self._end_fraction)

    @property
    def arc_fractions(self) -> FloatArray:
        """
        The share of each arc of ``arcs`` the route drives, by length along its shape.

        1 for every arc but the first and last when the route starts or ends
        part-way along them (a snapped coordinate): per-arc quantities times
        these give what the route spends on each arc, turn costs aside.
        """
        fractions = np.ones(self.arcs.size)
        if self.arcs.size:
            fractions[0] -= self._start_fraction
            fractions[-1] -= 1.0 - self._end_fraction
        return np.clip(fractions, 0.0, 1.0)

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
            "source_snap_kind": self.source_snap_kind,
            "target_snap_kind": self.target_snap_kind,
            "source_lat": self.source_lat,
            "source_lon": self.source_lon,
            "target_lat": self.target_lat,
            "target_lon": self.target_lon,
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
    bounds
        With a time budget: ``fastest_time_s``, ``fastest_co2_g`` and the
        objective's gap (e.g. ``co2_gap_g``) per pair; otherwise empty.
    source_arc, source_fraction, target_arc, target_fraction
        From part-way routing (:func:`ecoroute.snapping.partway_pairs`): per
        pair, the arc the route starts part-way on and where along it (by
        length, 0 at its tail), and likewise where it ends; -1 and NaN where
        the route starts or ends at a node. None from node-to-node queries.
    """

    cost: FloatArray
    quantities: dict[str, FloatArray]
    path_offsets: npt.NDArray[np.uint64] | None = None
    path_arcs: npt.NDArray[np.uint32] | None = None
    bounds: dict[str, FloatArray] = field(default_factory=dict)
    source_arc: npt.NDArray[np.int64] | None = None
    source_fraction: FloatArray | None = None
    target_arc: npt.NDArray[np.int64] | None = None
    target_fraction: FloatArray | None = None

    def __repr__(self) -> str:
        pairs = int(self.cost.size)
        parts = [
            f"{pairs:,} pairs",
            f"{int(np.isfinite(self.cost).sum()):,} reachable",
            f"quantities: {', '.join(self.quantities)}",
            "with paths" if self.path_offsets is not None else None,
            "part-way" if self.source_arc is not None else None,
        ]
        return f"PairResults({', '.join(p for p in parts if p)})"


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
        Node ids (OSM ids for OSM data): those given, or for coordinates the
        end of the snapped road nearer along it (routes start and end at the
        snapped points themselves, part-way along the road).
    cost
        Value of the router's objective, shape ``(len(sources), len(targets))``;
        ``inf`` where the target cannot be reached.
    quantities
        Every quantity the vehicle model reports (``co2_g``, ``time_s``,
        ``distance_m``, ``fuel_l`` or ``energy_kwh``, ...), each a matrix of
        the same shape, ``inf`` where unreachable.
    source_snap_m, target_snap_m
        Distance from the requested coordinates to the snapped points on the
        road (0 for ids).
    source_lat, source_lon, target_lat, target_lon
        The snapped points where routes start and end (the nodes'
        coordinates for ids); None when not given.
    bounds
        With a time budget (``max_extra_time``): ``fastest_time_s``,
        ``fastest_co2_g`` and the objective's gap to the exact optimum (e.g.
        ``co2_gap_g``), each a matrix; otherwise empty.
    snap_fallback
        None when every cell routes between the nearest snaps (the usual
        case). Otherwise an int8 matrix of bits, per cell: 1 where its route
        starts on the source's snap onto the largest strongly connected part
        (its nearest road could not reach the target), 2 where it ends on the
        target's (:mod:`ecoroute.snap_policy`); see :attr:`source_moved`,
        :attr:`target_moved` and the ``*_snap_kind`` columns of :meth:`to_frame`.
        ``sources``, ``source_snap_m`` and ``source_lat``/``source_lon`` (and
        the targets' likewise) describe the nearest snaps.
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
    bounds: Mapping[str, FloatArray] = field(default_factory=dict)
    source_lat: FloatArray | None = None
    source_lon: FloatArray | None = None
    target_lat: FloatArray | None = None
    target_lon: FloatArray | None = None
    snap_fallback: npt.NDArray[np.int8] | None = None
    #: Per end (sources, targets), for :meth:`to_frame`: "given_as_node" per point and,
    #: where some cell fell back, the largest part's snaps ("node", "snap_m", "lat", "lon").
    _snaps: tuple[Mapping[str, npt.NDArray[Any]], Mapping[str, npt.NDArray[Any]]] | None = field(
        default=None, repr=False
    )

    def __repr__(self) -> str:
        rows, columns = self.shape
        reachable = int(np.isfinite(self.cost).sum())
        parts = [
            f"{rows:,} x {columns:,}",
            f"vehicle={self.vehicle!r}" if self.vehicle else None,
            f"objective={self.objective!r}" if self.objective else None,
            f"{reachable:,} of {rows * columns:,} reachable",
            f"quantities: {', '.join(self.quantities)}",
        ]
        return f"ODMatrix({', '.join(p for p in parts if p)})"

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

    @property
    def source_moved(self) -> npt.NDArray[np.bool_]:
        """Per source, whether some cell routes from its largest part's snap (issue 24)."""
        if self.snap_fallback is None:
            return np.zeros(len(self.sources), dtype=bool)
        return np.asarray((self.snap_fallback & 1).any(axis=1))

    @property
    def target_moved(self) -> npt.NDArray[np.bool_]:
        """Per target, whether some cell routes to its largest part's snap (issue 24)."""
        if self.snap_fallback is None:
            return np.zeros(len(self.targets), dtype=bool)
        return np.asarray((self.snap_fallback & 2).any(axis=0))

    def __getitem__(self, name: str) -> FloatArray:
        """Return ``"cost"`` or a quantity's matrix by name."""
        if name == "cost":
            return self.cost
        if name in self.bounds:
            return self.bounds[name]
        return self.quantities[name]

    def to_frame(self) -> pd.DataFrame:
        """
        Return one row per (source, target) pair, like :meth:`Router.route_many`.

        Each row's ``source``, ``source_snap_m``, ``source_lat``/``source_lon``
        and ``source_snap_kind`` (the targets' likewise) are those its route
        used: the largest part's snap where the cell fell back to it.
        """
        rows, columns = self.shape
        frame: dict[str, Any] = {
            "source": np.repeat(self.sources, columns),
            "target": np.tile(self.targets, rows),
            "reachable": self.reachable.ravel(),
            "cost": self.cost.ravel(),
        }
        for name, values in {**self.quantities, **self.bounds}.items():
            frame[name] = values.ravel()
        frame["source_snap_m"] = np.repeat(self.source_snap_m, columns)
        frame["target_snap_m"] = np.tile(self.target_snap_m, rows)
        for name in ("source_lat", "source_lon"):
            values = getattr(self, name)
            if values is not None:
                frame[name] = np.repeat(values, columns)
        for name in ("target_lat", "target_lon"):
            values = getattr(self, name)
            if values is not None:
                frame[name] = np.tile(values, rows)
        moved = (
            np.zeros(self.cost.size, dtype=np.int8)
            if self.snap_fallback is None
            else self.snap_fallback.ravel()
        )
        for side, end in enumerate(("source", "target")):
            cells = (moved & (side + 1)) > 0
            snaps = self._snaps[side] if self._snaps is not None else {}
            if cells.any():
                for name, column in (("node", end), ("snap_m", f"{end}_snap_m"),
                                     ("lat", f"{end}_lat"), ("lon", f"{end}_lon")):  # fmt: skip
                    if column in frame and name in snaps:
                        per_cell = _per_cell(snaps[name], end, rows, columns)
                        frame[column] = np.where(cells, per_cell, frame[column])
            given = snaps.get("given_as_node", getattr(self, f"{end}_snap_m") == 0)
            frame[f"{end}_snap_kind"] = _snap_kinds(_per_cell(given, end, rows, columns), cells)
        return pd.DataFrame(frame)


def _per_cell(values: npt.ArrayLike, end: str, rows: int, columns: int) -> npt.NDArray[Any]:
    """Per-source (``end="source"``) or per-target values spread over the cells, row by row."""
    if end == "source":
        return np.repeat(values, columns)
    return np.tile(values, rows)


def _snap_kinds(node: npt.NDArray[np.bool_], moved: npt.NDArray[np.bool_]) -> pd.Categorical:
    """The ``*_snap_kind`` column: "node", "nearest" or "largest_part" (a categorical)."""
    codes = np.where(node, 0, np.where(moved, 2, 1)).astype(np.int8)
    return pd.Categorical.from_codes(codes, categories=["node", "nearest", "largest_part"])
