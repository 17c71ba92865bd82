"""Snap coordinates to the nearest point of a road a vehicle can use, and route part-way along it."""

from __future__ import annotations

import hashlib
import math
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ._errors import NoRouteError, SnapError
from ._geo import EARTH_RADIUS_M, cut_line, haversine_m, trim_path, unit_vectors
from ._validate import as_float_array

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .results import PairResults, Route
    from .routing import Router

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Default largest distance (metres) from a coordinate to the road it is
#: snapped to. A delivery address or depot lies on or beside a road; a point
#: more than a kilometre from every usable road is almost always a typing
#: error (swapped latitude and longitude, a missing minus sign, a point
#: outside the extract). Valhalla stops searching at 35 km (``search_cutoff``)
#: and OSRM has no limit unless a request gives ``radiuses``; we prefer to
#: refuse early and say so. Override per snapper or per call.
DEFAULT_MAX_SNAP_M = 1_000.0

#: Nearest index pieces fetched per point in one vectorised query (points whose
#: candidate radius holds more fall back to a search of their own).
_NEAREST_PIECES = 32

#: Long segments are cut into pieces of at most this length for the index, so
#: that the nearest piece midpoint is never far from the nearest point.
_PIECE_M = 50.0

Usable = Literal["strong", "all"]


@dataclass(frozen=True)
class Snap:
    """
    Where coordinates meet the road network (one entry per point).

    Attributes
    ----------
    arc
        The arc the point lies beside (a usable arc, see :class:`ArcSnapper`).
    fraction
        Position along the arc by length, 0 at its tail and 1 at its head.
    reverse_arc
        The arc that drives the same road the other way (same shape,
        reversed), -1 on a one-way road.
    lat, lon
        The snapped point on the road.
    distance_m
        Great-circle distance from the requested point to the snapped point.
    """

    arc: IntArray
    fraction: FloatArray
    reverse_arc: IntArray
    lat: FloatArray
    lon: FloatArray
    distance_m: FloatArray

    def __len__(self) -> int:
        return int(self.arc.size)


class ArcSnapper:
    """
    Nearest-point snapping onto the arcs of a network a vehicle can leave and come back to.

    Parameters
    ----------
    network
        The road network.
    usable
        ``"strong"`` (the default): only arcs of the largest strongly connected
        part are candidates, so a snapped point can always reach, and be
        reached from, every other (no island, no one-way stub whose end
        cannot be left); ``"all"``: every arc.
    max_snap_m
        Largest snap distance, metres (default :data:`DEFAULT_MAX_SNAP_M`);
        farther points raise :class:`SnapError`.
    """

    def __init__(
        self,
        network: RoadNetwork,
        *,
        usable: Usable = "strong",
        max_snap_m: float = DEFAULT_MAX_SNAP_M,
        closed: npt.ArrayLike | None = None,
    ) -> None:
        from scipy.spatial import cKDTree

        from ._topology import largest_component

        if usable not in ("strong", "all"):
            msg = f"usable must be 'strong' or 'all', not {usable!r}."
            raise ValueError(msg)
        self.network = network
        self.max_snap_m = check_max_snap_m(max_snap_m)
        tail = network.tail.astype(np.int64)
        head = network.head.astype(np.int64)
        # Arcs the vehicle may not drive (ecoroute.access) are never snapped to.
        allowed = np.ones(network.arc_count, dtype=bool)
        if closed is not None:
            allowed &= ~np.asarray(closed, dtype=bool)
        if usable == "strong":
            open_arcs = np.flatnonzero(allowed)
            keep = largest_component(
                network.node_count, tail[open_arcs], head[open_arcs], strong=True
            )
            arcs = np.flatnonzero(allowed & keep[tail] & keep[head])
        else:
            arcs = np.flatnonzero(allowed)
        # Every segment of every usable arc: (arc, lon/lat of both ends, length before it).
        offsets = network.geometry_offsets
        shape = network.geometry_lonlat
        counts = offsets[arcs + 1] - offsets[arcs] + 1  # segments per arc
        seg_arc = np.repeat(arcs, counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        rank = np.arange(seg_arc.size) - first  # segment number within its arc
        points_lon = np.empty(seg_arc.size + arcs.size)
        points_lat = np.empty(seg_arc.size + arcs.size)
        # Point j of arc a: tail, shape points, head. Segment k joins points k, k + 1.
        start = np.repeat(np.cumsum(counts + 1) - (counts + 1), counts + 1)
        point_arc = np.repeat(arcs, counts + 1)
        point_rank = np.arange(point_arc.size) - start
        last = point_rank == np.repeat(counts, counts + 1)
        is_tail = point_rank == 0
        middle = ~is_tail & ~last
        points_lon[is_tail] = network.lon[tail[point_arc[is_tail]]]
        points_lat[is_tail] = network.lat[tail[point_arc[is_tail]]]
        points_lon[last] = network.lon[head[point_arc[last]]]
        points_lat[last] = network.lat[head[point_arc[last]]]
        shape_index = offsets[point_arc[middle]] + point_rank[middle] - 1
        points_lon[middle] = shape[shape_index, 0]
        points_lat[middle] = shape[shape_index, 1]
        p0 = np.arange(seg_arc.size) + np.repeat(np.arange(arcs.size), counts)
        self._seg_arc = seg_arc
        self._seg_rank = rank
        self._a = np.column_stack([points_lon[p0], points_lat[p0]])
        self._b = np.column_stack([points_lon[p0 + 1], points_lat[p0 + 1]])
        seg_len = haversine_m(self._a[:, 1], self._a[:, 0], self._b[:, 1], self._b[:, 0])
        # Length along the arc before each segment, and each arc's drawn length.
        before = np.cumsum(seg_len) - seg_len
        arc_first = np.repeat(before[np.cumsum(counts) - counts], counts)
        self._seg_before = before - arc_first
        self._seg_len = seg_len
        drawn = np.zeros(network.arc_count)
        np.add.at(drawn, seg_arc, seg_len)
        self._drawn = drawn
        # Index: pieces of at most _PIECE_M along every segment, by their midpoints.
        pieces = np.maximum(1, np.ceil(seg_len / _PIECE_M)).astype(np.int64)
        piece_seg = np.repeat(np.arange(seg_arc.size), pieces)
        k = np.arange(piece_seg.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t = (k + 0.5) / pieces[piece_seg]
        mid = self._a[piece_seg] + t[:, None] * (self._b[piece_seg] - self._a[piece_seg])
        self._piece_seg = piece_seg
        self._piece_half_m = float((seg_len / pieces).max(initial=0.0)) / 2.0
        xyz = np.column_stack(unit_vectors(mid[:, 1], mid[:, 0])) * EARTH_RADIUS_M
        self._tree = cKDTree(xyz)
        self._reverse = _reverse_arcs(network)
        self.usable_arcs = arcs

    def snap(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        max_snap_m: float | None = None,
        name: str = "point",
        labels: Any = None,
    ) -> Snap:
        """
        Snap each (lat, lon) point to the nearest point of a usable arc.

        Parameters
        ----------
        lat, lon
            Coordinates in degrees.
        max_snap_m
            Overrides the snapper's limit for this call (``math.inf``: none).
        name, labels
            How errors name the points: ``name`` ("source", "depot", ...) and
            an optional label per point (e.g. stop ids); default: the index.

        Raises
        ------
        SnapError
            (a ``ValueError``) naming the first point farther than the limit
            from every usable road, its distance and the limit, and hinting at
            swapped coordinates.
        ValueError
            If a coordinate is NaN or out of range.
        """
        lat_a = as_float_array(np.atleast_1d(lat), "lat", min_value=-90.0, max_value=90.0)
        lon_a = as_float_array(
            np.atleast_1d(lon), "lon", size=lat_a.size, min_value=-180.0, max_value=180.0
        )
        limit = self.max_snap_m if max_snap_m is None else check_max_snap_m(max_snap_m)
        count = lat_a.size
        if self._seg_arc.size == 0:
            msg = "The network has no usable arc to snap to."
            raise SnapError(msg)
        xyz = np.column_stack(unit_vectors(lat_a, lon_a)) * EARTH_RADIUS_M
        # The best segment is at most (nearest piece distance + half a piece) away, so
        # every piece within that radius is a candidate. The k nearest pieces hold all of
        # them when the k-th lies beyond the radius: then one vectorised pass decides;
        # the other points search their ball one by one.
        k = int(min(_NEAREST_PIECES, self._piece_seg.size))
        chord_k, piece_k = self._tree.query(xyz, k=k)
        chord_k = np.asarray(chord_k, dtype=np.float64).reshape(count, k)
        piece_k = np.asarray(piece_k, dtype=np.int64).reshape(count, k)
        radius = chord_k[:, 0] + 2.0 * self._piece_half_m + 1e-6
        covered = (chord_k[:, -1] > radius) | (k == self._piece_seg.size)
        segment = np.empty(count, np.int64)
        fraction = np.empty(count)
        rows = np.flatnonzero(covered)
        if rows.size:
            segs = np.sort(self._piece_seg[piece_k[rows]], axis=1)  # ties: the lowest segment
            d, t = _point_segment(
                lat_a[rows, None], lon_a[rows, None], self._a[segs], self._b[segs]
            )
            best = np.argmin(d, axis=1)
            segment[rows] = segs[np.arange(rows.size), best]
            fraction[rows] = t[np.arange(rows.size), best]
        for i in np.flatnonzero(~covered).tolist():
            candidates = self._piece_seg[self._tree.query_ball_point(xyz[i], float(radius[i]))]
            if candidates.size == 0:
                candidates = self._piece_seg[[piece_k[i, 0]]]
            segs_i = np.unique(candidates)
            d_i, t_i = _point_segment(lat_a[i], lon_a[i], self._a[segs_i], self._b[segs_i])
            best_i = int(np.argmin(d_i))
            segment[i], fraction[i] = segs_i[best_i], t_i[best_i]
        a, b = self._a[segment], self._b[segment]
        snapped = a + fraction[:, None] * (b - a)
        distance = haversine_m(lat_a, lon_a, snapped[:, 1], snapped[:, 0])
        too_far = distance > limit
        if too_far.any():
            i = int(np.flatnonzero(too_far)[0])
            label = i if labels is None else np.asarray(labels, dtype=object)[i]
            swapped = ""
            if abs(lon_a[i]) <= 90.0:
                xyz_swapped = np.column_stack(unit_vectors([lon_a[i]], [lat_a[i]])) * EARTH_RADIUS_M
                chord_swapped, _ = self._tree.query(xyz_swapped, k=1)
                if float(chord_swapped[0]) < limit:
                    swapped = " Latitude and longitude look swapped: give (lat, lon)."
            msg = (
                f"{name} {label} at (lat {lat_a[i]:.6f}, lon {lon_a[i]:.6f}) is "
                f"{distance[i]:,.0f} m from the nearest road this vehicle can use; the limit "
                f"is {limit:,.0f} m (max_snap_m).{swapped}"
            )
            raise SnapError(msg)
        arc = self._seg_arc[segment]
        along = self._seg_before[segment] + fraction * self._seg_len[segment]
        drawn = self._drawn[arc]
        arc_fraction = np.divide(along, drawn, out=np.zeros(count), where=drawn > 0)
        return Snap(
            arc=arc,
            fraction=np.clip(arc_fraction, 0.0, 1.0),
            reverse_arc=self._reverse[arc],
            lat=snapped[:, 1].copy(),
            lon=snapped[:, 0].copy(),
            distance_m=distance,
        )

    def nearest_roads(
        self, lat: float, lon: float, number: int, *, max_snap_m: float | None = None
    ) -> Snap:
        """
        The ``number`` roads nearest to one point, nearest first: one entry per road.

        A two-way road (an arc and its reverse, :attr:`Snap.reverse_arc`)
        counts once, as the arc :meth:`snap` would pick; roads farther than
        the limit are left out, so fewer (or none) may come back. Exact: every
        index piece that could hold a closer road than the last one kept is
        examined.
        """
        lat_a = as_float_array(np.atleast_1d(lat), "lat", min_value=-90.0, max_value=90.0)
        lon_a = as_float_array(np.atleast_1d(lon), "lon", size=1, min_value=-180.0, max_value=180.0)
        limit = self.max_snap_m if max_snap_m is None else check_max_snap_m(max_snap_m)
        if self._seg_arc.size == 0 or number < 1:
            return _empty_snap()
        xyz = np.column_stack(unit_vectors(lat_a, lon_a))[0] * EARTH_RADIUS_M
        pieces = self._piece_seg.size
        k = min(pieces, max(_NEAREST_PIECES, 8 * number))
        while True:
            chord, piece = self._tree.query(xyz, k=k)
            segs = np.unique(self._piece_seg[np.atleast_1d(piece)])
            roads, d, t = self._roads(lat_a[0], lon_a[0], segs)
            # Roads not seen lie beyond the farthest piece fetched, less half a piece.
            unseen_m = float(np.atleast_1d(chord)[-1]) - self._piece_half_m
            if k == pieces or (roads.size >= number and d[number - 1] <= unseen_m):
                break
            k = min(pieces, 4 * k)
        keep = np.flatnonzero(d <= limit)[:number]
        segment, fraction = roads[keep], t[keep]
        a, b = self._a[segment], self._b[segment]
        snapped = a + fraction[:, None] * (b - a)
        arc = self._seg_arc[segment]
        along = self._seg_before[segment] + fraction * self._seg_len[segment]
        drawn = self._drawn[arc]
        arc_fraction = np.divide(along, drawn, out=np.zeros(arc.size), where=drawn > 0)
        return Snap(
            arc=arc,
            fraction=np.clip(arc_fraction, 0.0, 1.0),
            reverse_arc=self._reverse[arc],
            lat=snapped[:, 1].copy(),
            lon=snapped[:, 0].copy(),
            distance_m=haversine_m(lat_a[0], lon_a[0], snapped[:, 1], snapped[:, 0]),
        )

    def _roads(
        self, lat: float, lon: float, segs: IntArray
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """The best segment of each road among ``segs``, by distance: segments, metres, feet."""
        d, t = _point_segment(lat, lon, self._a[segs], self._b[segs])
        order = np.lexsort((segs, d))  # nearest first; ties: the lowest segment, as snap()
        segs, d, t = segs[order], d[order], t[order]
        arc = self._seg_arc[segs]
        reverse = self._reverse[arc]
        road = np.where(reverse >= 0, np.minimum(arc, reverse), arc)
        _, first = np.unique(road, return_index=True)
        first = np.sort(first)
        return segs[first], d[first], t[first]


def _empty_snap() -> Snap:
    empty_i, empty_f = np.empty(0, dtype=np.int64), np.empty(0)
    return Snap(empty_i, empty_f, empty_i, empty_f, empty_f, empty_f)


def check_max_snap_m(value: Any) -> float:
    """Return a snapping limit as a float; anything but a number of metres > 0 is a ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not value > 0:
        msg = f"max_snap_m must be a number of metres > 0 (math.inf: no limit), not {value!r}."
        raise ValueError(msg)
    return float(value)


def _point_segment(
    lat: Any, lon: Any, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """
    Distance (m) from points to segments ``a -> b`` ((lon, lat) in the last axis), and where the foot lies.

    ``lat``/``lon`` broadcast against the segments' leading axes (one point and
    many segments, or a column of points and a row of segments each). Works in
    a local equirectangular projection centred on the point (x east, y north,
    metres), exact enough at snapping distances (well under 0.1 % for segments
    within a few km).
    """
    scale_y = math.radians(1.0) * EARTH_RADIUS_M
    scale_x = scale_y * np.cos(np.radians(lat))
    dlon_a = (a[..., 0] - lon + 180.0) % 360.0 - 180.0
    dlon_b = (b[..., 0] - lon + 180.0) % 360.0 - 180.0
    ax, ay = dlon_a * scale_x, (a[..., 1] - lat) * scale_y
    bx, by = dlon_b * scale_x, (b[..., 1] - lat) * scale_y
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = np.divide(-(ax * dx + ay * dy), length2, out=np.zeros_like(length2), where=length2 > 0)
    t = np.clip(t, 0.0, 1.0)
    px, py = ax + t * dx, ay + t * dy
    return np.hypot(px, py), t


def _reverse_arcs(network: RoadNetwork) -> IntArray:
    """The arc that drives each arc's road backwards (same shape reversed), or -1."""
    tail = network.tail.astype(np.int64)
    head = network.head.astype(np.int64)
    offsets = network.geometry_offsets
    shape = network.geometry_lonlat
    out = np.full(network.arc_count, -1, dtype=np.int64)
    n = np.int64(network.node_count)
    key = tail * n + head
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    wanted = head * n + tail
    lo = np.searchsorted(sorted_key, wanted, side="left")
    hi = np.searchsorted(sorted_key, wanted, side="right")
    for a in np.flatnonzero(hi > lo).tolist():
        mine = shape[offsets[a] : offsets[a + 1]][::-1]
        for b in order[lo[a] : hi[a]].tolist():
            if b != a and np.array_equal(shape[offsets[b] : offsets[b + 1]], mine):
                out[a] = b
                break
    return out


_SNAPPERS: weakref.WeakKeyDictionary[RoadNetwork, dict[tuple[str, bytes], ArcSnapper]] = (
    weakref.WeakKeyDictionary()
)


def snapper_for(
    network: RoadNetwork, closed: npt.ArrayLike | None = None, *, usable: Usable = "strong"
) -> ArcSnapper:
    """
    The network's :class:`ArcSnapper` over its largest strongly connected part, built once.

    Networks are immutable, so one snapper serves every Router, batch job
    and fleet plan on the same network object. ``closed`` (a mask of the
    arcs a vehicle may not drive, :func:`ecoroute.access.vehicle_rules`) gives
    that vehicle's own snapper: the largest strongly connected part of the
    arcs it may drive, kept once per distinct mask. ``usable="all"``: the
    snapper onto every arc the mask leaves open, whatever part it is in
    (what :mod:`ecoroute.snap_policy` snaps to first).
    """
    key = b""
    mask = None
    if closed is not None and np.asarray(closed).any():
        mask = np.asarray(closed, dtype=bool)
        key = hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).digest()
    per_key = _SNAPPERS.setdefault(network, {})
    if (usable, key) not in per_key:
        per_key[usable, key] = ArcSnapper(network, closed=mask, usable=usable)
    return per_key[usable, key]


def nearest_usable_nodes(
    network: RoadNetwork,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    *,
    snapper: ArcSnapper | None = None,
    max_snap_m: float | None = None,
    name: str = "point",
    labels: Any = None,
) -> tuple[npt.NDArray[np.intp], FloatArray]:
    """
    A drop-in for :meth:`RoadNetwork.nearest_nodes` that only returns usable nodes.

    Each point snaps to the nearest usable arc (:class:`ArcSnapper`: by
    default the largest strongly connected part, so every returned node can
    reach and be reached from every other); the arc's end nearer along the
    road is returned, with its great-circle distance from the point. Unlike
    ``nearest_nodes``, a point farther than the limit from every usable road
    raises :class:`SnapError` naming it.

    Returns
    -------
    tuple
        Dense node indices and distances in metres, as ``nearest_nodes``.
    """
    snapper = snapper or snapper_for(network)
    snap = snapper.snap(lat, lon, max_snap_m=max_snap_m, name=name, labels=labels)
    node = np.where(snap.fraction < 0.5, network.tail[snap.arc], network.head[snap.arc])
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    distance = haversine_m(lat_a, lon_a, network.lat[node], network.lon[node])
    return node.astype(np.intp), distance


# ---------------------------------------------------------------------- endpoints


@dataclass(frozen=True)
class Endpoints:
    """
    Where each of a list of points meets the network: at a node, or part-way along an arc.

    Every query of a :class:`~ecoroute.Router` resolves its sources and targets
    to these: a node id given by the user stays that exact node; a coordinate
    snaps to a point on the nearest usable arc (:class:`ArcSnapper`), from which
    the route drives the rest of that arc (or, on a two-way road, back along
    the arc driving it the other way).

    Attributes
    ----------
    node
        Dense node index: the node given, or for a snapped point the end of
        its arc nearer along the road (what node-to-node code falls back to).
    arc
        The snapped arc, -1 for a point given as a node (or snapped onto one).
    fraction
        Position along ``arc`` by length, 0 at its tail (0 for a node).
    reverse_arc
        The arc driving the same road the other way; -1 on a one-way road or
        for a node.
    lat, lon
        The snapped point (the node's own coordinates for a node).
    distance_m
        Great-circle distance from the requested point to the snapped point
        (0 for a node).
    node_distance_m
        Great-circle distance from the requested point to ``node`` (0 for a
        node), for the queries that still start and end at nodes.
    """

    node: IntArray
    arc: IntArray
    fraction: FloatArray
    reverse_arc: IntArray
    lat: FloatArray
    lon: FloatArray
    distance_m: FloatArray
    node_distance_m: FloatArray

    def __len__(self) -> int:
        return int(self.node.size)

    @property
    def partway(self) -> npt.NDArray[np.bool_]:
        """Whether each point lies part-way along an arc (a snapped coordinate)."""
        return self.arc >= 0

    @classmethod
    def at_nodes(cls, network: RoadNetwork, index: npt.ArrayLike) -> Endpoints:
        """Points given as nodes (dense indices): exact, no snapping."""
        node = np.asarray(index, dtype=np.int64).ravel()
        return cls(
            node=node,
            arc=np.full(node.size, -1, dtype=np.int64),
            fraction=np.zeros(node.size),
            reverse_arc=np.full(node.size, -1, dtype=np.int64),
            lat=np.asarray(network.lat[node], dtype=np.float64),
            lon=np.asarray(network.lon[node], dtype=np.float64),
            distance_m=np.zeros(node.size),
            node_distance_m=np.zeros(node.size),
        )

    @classmethod
    def snapped(
        cls, network: RoadNetwork, snap: Snap, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> Endpoints:
        """
        Points ``lat``, ``lon`` snapped part-way along arcs by :meth:`ArcSnapper.snap`.

        A point that snaps onto an end of its arc (within :data:`AT_NODE_M`
        along it, e.g. a stop given at a junction's coordinates) is that node:
        a route leaves or reaches it in any direction, as from the node id,
        without the turn out of (or into) an arc it does not drive.
        """
        arc = np.asarray(snap.arc, dtype=np.int64)
        fraction = np.asarray(snap.fraction, dtype=np.float64)
        node = np.where(fraction < 0.5, network.tail[arc], network.head[arc]).astype(np.int64)
        along_m = fraction * np.asarray(network.length_m, dtype=np.float64)[arc]
        at_node = (along_m <= AT_NODE_M) | (
            np.asarray(network.length_m, dtype=np.float64)[arc] - along_m <= AT_NODE_M
        )
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        node_distance = haversine_m(lat_a, lon_a, network.lat[node], network.lon[node])
        return cls(
            node=node,
            arc=np.where(at_node, -1, arc),
            fraction=np.where(at_node, 0.0, fraction),
            reverse_arc=np.where(at_node, -1, np.asarray(snap.reverse_arc, dtype=np.int64)),
            lat=np.where(at_node, network.lat[node], np.asarray(snap.lat, dtype=np.float64)),
            lon=np.where(at_node, network.lon[node], np.asarray(snap.lon, dtype=np.float64)),
            distance_m=np.where(at_node, node_distance, np.asarray(snap.distance_m)),
            node_distance_m=node_distance,
        )

    def as_nodes(self, network: RoadNetwork) -> Endpoints:
        """
        The same points at nodes: each snapped point moves to the nearer end of its road.

        What queries that do not route part-way yet use
        (:meth:`Router.costs_from`), and node-to-node comparisons: the snap
        distance becomes the distance to that node.
        """
        return Endpoints(
            node=self.node,
            arc=np.full(self.node.size, -1, dtype=np.int64),
            fraction=np.zeros(self.node.size),
            reverse_arc=np.full(self.node.size, -1, dtype=np.int64),
            lat=np.asarray(network.lat[self.node], dtype=np.float64),
            lon=np.asarray(network.lon[self.node], dtype=np.float64),
            distance_m=self.node_distance_m,
            node_distance_m=self.node_distance_m,
        )

    def replace(self, rows: npt.ArrayLike, other: Endpoints) -> Endpoints:
        """A copy with the points at ``rows`` replaced by those of ``other`` (in order)."""
        at = np.asarray(rows, dtype=np.intp)
        fields = {}
        for name in _ENDPOINT_FIELDS:
            values = getattr(self, name).copy()
            values[at] = getattr(other, name)
            fields[name] = values
        return Endpoints(**fields)

    def take(self, rows: npt.ArrayLike) -> Endpoints:
        """The points at ``rows`` (indices or a mask)."""
        return Endpoints(**{name: getattr(self, name)[rows] for name in _ENDPOINT_FIELDS})


def resolve_points(
    network: RoadNetwork,
    lat: npt.ArrayLike,
    lon: npt.ArrayLike,
    *,
    max_snap_m: float | None = None,
    name: str = "point",
    labels: Any = None,
    snapper: ArcSnapper | None = None,
) -> Endpoints:
    """
    Snap coordinates part-way onto the nearest usable arcs (see :class:`ArcSnapper`).

    Raises
    ------
    SnapError
        Naming the first point farther than ``max_snap_m`` (default: the
        snapper's, :data:`DEFAULT_MAX_SNAP_M`) from every usable road.
    """
    snapper = snapper or snapper_for(network)
    snap = snapper.snap(lat, lon, max_snap_m=max_snap_m, name=name, labels=labels)
    return Endpoints.snapped(network, snap, lat, lon)


#: A snapped point this close (metres along its arc) to an end of the arc is that node.
AT_NODE_M = 0.01

_ENDPOINT_FIELDS = (
    "node", "arc", "fraction", "reverse_arc", "lat", "lon", "distance_m", "node_distance_m"
)  # fmt: skip


# ---------------------------------------------------------------------- routes
#
# A point at fraction f of arc a (tail u, head v) is left by v at cost (1 - f) w(a) and,
# on a two-way road, by u along the reverse arc r at cost f w(r); a target at fraction g of
# arc b is reached from tail(b) at cost g w(b), both directions likewise. Every pair of
# end candidates (at most 2 x 2) is one search between engine nodes; the cheapest total,
# or the direct drive when the target lies ahead of the source on the same arc, wins.
# Quantities are split by the same fractions as the weight (linear along an arc).


@dataclass(frozen=True)
class _Candidates:
    """Up to two ways into (or out of) the network per point, shape (k, 2)."""

    engine: IntArray  # engine node (-1: no candidate)
    phi: IntArray  # network node whose potential the engine node carries
    offset: FloatArray  # weight added to the engine's cost
    offset_q: FloatArray  # (k, 2, quantities) quantities added likewise
    arc: IntArray  # the part-driven arc (-1 for an exact node)
    fraction: FloatArray  # the point's position along that arc


def _turn_graph(router: Router) -> Any:
    from .turns import TurnEngine

    engine = router._engine
    return engine.graph if isinstance(engine, TurnEngine) else None


def _raw_engine(router: Router) -> Any:
    from .turns import TurnEngine

    engine = router._engine
    return engine._engine if isinstance(engine, TurnEngine) else engine


def _arc_rows(router: Router, arcs: npt.ArrayLike) -> FloatArray:
    """The router's reported quantities of ``arcs`` (any shape), stacked on a last axis."""
    index = np.asarray(arcs, dtype=np.intp)
    return np.stack([np.asarray(router.arc_quantities[q])[index] for q in router._report], axis=-1)


def _candidates(router: Router, ends: Endpoints, side: Literal["source", "target"]) -> _Candidates:
    """
    The engine nodes each point can start from (``source``) or end at (``target``).

    Node-based engine: a source part-way along arc ``a`` enters at ``head(a)``
    with the rest of ``a`` to pay; a target part-way along ``b`` is reached
    from ``tail(b)`` and pays the part of ``b`` before it. Turn-aware engine:
    the arc nodes of the expanded graph ("``a`` has just been driven"); the
    search into arc node ``b`` pays all of ``b`` (and the turn into it), so
    the part of ``b`` after the target is taken off again. A target on an
    arc the vehicle may drive only at a route's ends is searched into that
    arc's end copy (:meth:`ecoroute.turns.TurnGraph.target_arc_nodes`).
    """
    network = router.network
    graph = _turn_graph(router)
    weight = np.asarray(router.weight)
    k = len(ends)
    arc = np.full((k, 2), -1, dtype=np.int64)
    fraction = np.zeros((k, 2))
    part = ends.partway
    arc[:, 0] = ends.arc
    arc[:, 1] = np.where(part, ends.reverse_arc, -1)
    fraction[:, 0] = np.where(part, ends.fraction, 0.0)
    fraction[:, 1] = np.where(part, 1.0 - ends.fraction, 0.0)
    a = np.where(arc >= 0, arc, 0)
    # A point part-way along an arc the vehicle may not drive (weight inf: a stop snapped
    # before the vehicle was known) cannot be left or reached along it.
    partial = (arc >= 0) & np.isfinite(weight[a])
    arc = np.where(partial | ~part[:, None], arc, -1)
    engine = np.full((k, 2), -1, dtype=np.int64)
    if side == "source":
        share = 1.0 - fraction  # what is left of the arc to drive
        at = a if graph is not None else network.head[a].astype(np.int64)
    elif graph is not None:
        share = fraction - 1.0  # the part after it comes off
        # Into a destination-only arc's end copy, which every legal route may turn into.
        at = graph.target_arc_nodes(a, router._destination_arcs())
    else:
        share = fraction
        at = network.tail[a].astype(np.int64)
    engine[partial] = at[partial]
    with np.errstate(invalid="ignore"):  # 0 * inf on the arcs left out above (not read)
        offset = np.where(partial, share * weight[a], 0.0)
        offset_q = np.where(partial[..., None], share[..., None] * _arc_rows(router, a), 0.0)
    exact = ~part
    if exact.any():
        nodes = ends.node[exact]
        if graph is not None:
            nodes_engine = graph.start_nodes(nodes) if side == "source" else graph.end_nodes(nodes)
        else:
            nodes_engine = nodes
        engine[exact, 0] = np.asarray(nodes_engine, dtype=np.int64)
    if graph is not None:
        phi = np.where(engine >= 0, np.asarray(graph.node_position)[np.maximum(engine, 0)], 0)
    else:
        phi = np.maximum(engine, 0)
    return _Candidates(engine, phi.astype(np.int64), offset, offset_q, arc, fraction)


def _engine_pairs(
    router: Router,
    s: IntArray,
    t: IntArray,
    phi_s: IntArray,
    phi_t: IntArray,
    *,
    with_paths: bool,
    threads: int,
    progress: bool = False,
) -> tuple[FloatArray, FloatArray, Any, Any]:
    """True costs, sums (and network paths) between engine nodes, in chunks."""
    from tqdm.auto import tqdm

    raw = _raw_engine(router)
    graph = _turn_graph(router)
    count = s.size
    cost = np.empty(count)
    sums = np.empty((count, len(router._report)))
    offset_parts: list[npt.NDArray[np.uint64]] = [np.zeros(1, dtype=np.uint64)]
    arc_parts: list[npt.NDArray[np.uint32]] = []
    with tqdm(total=count, disable=not progress, unit="search", desc="routing") as bar:
        for begin in range(0, count, _CHUNK_PAIRS):
            end = min(count, begin + _CHUNK_PAIRS)
            c, q, offsets, arcs = raw.route_pairs(
                s[begin:end].astype(np.uint32),
                t[begin:end].astype(np.uint32),
                with_paths=with_paths,
                num_threads=threads,
            )
            cost[begin:end] = c
            sums[begin:end] = q
            if with_paths:
                if graph is not None:
                    offsets, arcs = graph.network_paths(offsets, arcs)
                offset_parts.append(np.asarray(offsets[1:], dtype=np.uint64) + offset_parts[-1][-1])
                arc_parts.append(np.asarray(arcs, dtype=np.uint32))
            bar.update(end - begin)
    phi = router.node_potential
    if phi is not None:  # undo the potential shift of the search
        cost = cost - phi[phi_s] + phi[phi_t]
    offsets_all = np.concatenate(offset_parts) if with_paths else None
    arcs_all = (
        (np.concatenate(arc_parts) if arc_parts else np.empty(0, np.uint32)) if with_paths else None
    )
    same = np.flatnonzero(s == t) if graph is not None else np.empty(0, np.intp)
    if same.size:
        # The expanded search answers 0 from an arc node to itself: the way round back
        # onto the same arc is searched apart (_loops).
        loop_cost, loop_sums, loop_paths = _loops(router, s[same], with_paths, threads)
        cost[same], sums[same] = loop_cost, loop_sums
        if with_paths:
            assert offsets_all is not None
            assert arcs_all is not None
            pieces = [arcs_all[offsets_all[i] : offsets_all[i + 1]] for i in range(count)]
            for j, i in enumerate(same.tolist()):
                pieces[i] = loop_paths[j]
            lengths = np.array([p.size for p in pieces], dtype=np.uint64)
            offsets_all = np.concatenate([[0], np.cumsum(lengths)]).astype(np.uint64)
            arcs_all = np.concatenate(pieces).astype(np.uint32) if count else arcs_all
    return cost, sums, offsets_all, arcs_all


def _loops(
    router: Router, nodes: IntArray, with_paths: bool, threads: int
) -> tuple[FloatArray, FloatArray, list[npt.NDArray[np.uint32]]]:
    """
    Turn-aware: the cheapest way from arc node ``a`` round and back into arc ``a``, per node.

    The search to every expanded node ``p`` that may turn into ``a`` (arc nodes
    and their via-way copies), plus that turn; ``inf`` where none leads back.
    Paths: the network arcs after ``a``, ending with ``a`` again.
    """
    graph = _turn_graph(router)
    raw = _raw_engine(router)
    assert router.turn_quantities is not None
    head_e = np.asarray(graph.graph.head, dtype=np.int64)
    tail_e = np.asarray(graph.arc_tail, dtype=np.int64)
    wanted = np.unique(np.asarray(nodes, dtype=np.int64))
    into = np.flatnonzero(np.isin(head_e, wanted) & (tail_e < graph.out_offset))
    a, p = head_e[into], tail_e[into]
    weight_e = np.zeros(into.size)
    for name, factor in router.objective_weights.items():
        if factor:  # 0 * inf (a closed arc) is NaN
            weight_e += factor * np.asarray(router.turn_quantities[name])[into]
    q_e = np.stack([np.asarray(router.turn_quantities[q])[into] for q in router._report], axis=-1)
    c, q, _, _ = raw.route_pairs(
        a.astype(np.uint32), p.astype(np.uint32), with_paths=False, num_threads=threads
    )
    c = np.asarray(c, dtype=np.float64)
    phi = router.node_potential
    if phi is not None:
        position = np.asarray(graph.node_position)
        c = c - phi[position[a]] + phi[position[p]]
    c = np.where(a == p, 0.0, c)  # a self-loop arc: drive it again
    total = c + weight_e
    nq = len(router._report)
    best_cost = {int(x): math.inf for x in wanted.tolist()}
    best_at: dict[int, int] = {}
    for j in np.flatnonzero(np.isfinite(total)).tolist():
        key = int(a[j])
        if total[j] < best_cost[key]:
            best_cost[key], best_at[key] = float(total[j]), j
    keys = np.asarray(nodes, dtype=np.int64).tolist()
    cost = np.array([best_cost[k] for k in keys])
    sums = np.full((len(keys), nq), np.inf)
    for i, k in enumerate(keys):
        if k in best_at:
            j = best_at[k]
            sums[i] = np.asarray(q[j], dtype=np.float64) + q_e[j]
    paths: list[npt.NDArray[np.uint32]] = []
    if with_paths:
        found = {k: best_at[k] for k in set(keys) if k in best_at}
        order = list(found)
        piece_of: dict[int, npt.NDArray[np.uint32]] = {}
        if order:
            js = np.array([found[k] for k in order])
            _, _, o, arcs = raw.route_pairs(
                a[js].astype(np.uint32), p[js].astype(np.uint32), with_paths=True, num_threads=1
            )
            o, arcs = graph.network_paths(o, arcs)
            for n, k in enumerate(order):
                back = int(graph.node_arc[k])
                piece_of[k] = np.append(arcs[o[n] : o[n + 1]], back).astype(np.uint32)
        paths = [piece_of.get(k, np.empty(0, np.uint32)) for k in keys]
    return cost, sums, paths


def partway_pairs(
    router: Router,
    sources: Endpoints,
    targets: Endpoints,
    *,
    with_paths: bool = False,
    num_threads: int | None = None,
    progress: bool = False,
) -> PairResults:
    """
    Route every pair ``sources[i] -> targets[i]``, starting and ending part-way along arcs.

    Up to four searches per pair (both directions of a two-way road at each
    end) in one batch of C++ calls, then the cheapest combination per pair in
    NumPy; paths (``with_paths``) are searched again for the winners only.
    The cost and every quantity count only the driven parts of the first and
    last arcs. ``source_arc``/``target_arc`` of the result give the arcs the
    chosen route starts and ends part-way on (-1 where a node was given),
    ``source_fraction``/``target_fraction`` where on them.
    """
    from ._validate import check_threads
    from .results import PairResults

    if len(sources) != len(targets):
        msg = (
            f"sources and targets must have the same length: got {len(sources)} and {len(targets)}."
        )
        raise ValueError(msg)
    threads = router.num_threads if num_threads is None else check_threads(num_threads)
    src = _candidates(router, sources, "source")
    dst = _candidates(router, targets, "target")
    k = len(sources)
    nq = len(router._report)
    js = np.array([0, 0, 1, 1])
    jt = np.array([0, 1, 0, 1])
    s_eng, t_eng = src.engine[:, js], dst.engine[:, jt]
    valid = (s_eng >= 0) & (t_eng >= 0)
    flat = np.flatnonzero(valid.ravel())
    cost4 = np.full(k * 4, np.inf)
    sums4 = np.full((k * 4, nq), np.inf)
    c, q, _, _ = _engine_pairs(
        router,
        s_eng.ravel()[flat],
        t_eng.ravel()[flat],
        src.phi[:, js].ravel()[flat],
        dst.phi[:, jt].ravel()[flat],
        with_paths=False,
        threads=threads,
        progress=progress,
    )
    cost4[flat], sums4[flat] = c, q
    cost4 = cost4.reshape(k, 4) + src.offset[:, js] + dst.offset[:, jt]
    sums4 = sums4.reshape(k, 4, nq) + src.offset_q[:, js] + dst.offset_q[:, jt]
    # The target ahead of the source on the same arc: drive straight there.
    s_arc, t_arc = src.arc[:, js], dst.arc[:, jt]
    f, g = src.fraction[:, js], dst.fraction[:, jt]
    direct = valid & (s_arc >= 0) & (s_arc == t_arc) & (f <= g)
    weight = np.asarray(router.weight)
    ahead = np.maximum(s_arc, 0)
    with np.errstate(invalid="ignore"):  # 0 * inf where no direct drive is possible (not read)
        direct_cost = (g - f) * weight[ahead]
        direct &= ~(cost4 < direct_cost)
        cost4 = np.where(direct, direct_cost, cost4)
        sums4 = np.where(direct[..., None], (g - f)[..., None] * _arc_rows(router, ahead), sums4)
    best = np.argmin(cost4, axis=1)
    rows = np.arange(k)
    cost = cost4[rows, best]
    sums = sums4[rows, best]
    bs, bt = js[best], jt[best]
    source_arc, target_arc = src.arc[rows, bs], dst.arc[rows, bt]
    source_fraction = np.where(source_arc >= 0, src.fraction[rows, bs], np.nan)
    target_fraction = np.where(target_arc >= 0, dst.fraction[rows, bt], np.nan)
    # A point at the very end of its arc starts (ends) at that node: no zero-length arc
    # in the path, so that nodes and geometry start and end where the route does.
    chosen_direct = direct[rows, best]
    source_arc = np.where(~chosen_direct & (source_fraction >= 1.0), -1, source_arc)
    target_arc = np.where(~chosen_direct & (target_fraction <= 0.0), -1, target_arc)
    source_fraction = np.where(source_arc >= 0, source_fraction, np.nan)
    target_fraction = np.where(target_arc >= 0, target_fraction, np.nan)
    offsets: npt.NDArray[np.uint64] | None = None
    path_arcs: npt.NDArray[np.uint32] | None = None
    if with_paths:
        search = np.flatnonzero(np.isfinite(cost) & ~chosen_direct)
        _, _, o, arcs = _engine_pairs(
            router,
            src.engine[search, bs[search]],
            dst.engine[search, bt[search]],
            src.phi[search, bs[search]],
            dst.phi[search, bt[search]],
            with_paths=True,
            threads=threads,
        )
        turn_aware = _turn_graph(router) is not None
        pieces: list[Any] = [np.empty(0, np.uint32)] * k
        for j, i in enumerate(search.tolist()):
            parts = [arcs[o[j] : o[j + 1]]]
            if source_arc[i] >= 0:
                parts.insert(0, np.array([source_arc[i]], np.uint32))
            if target_arc[i] >= 0 and not turn_aware:  # the turn-aware path enters it already
                parts.append(np.array([target_arc[i]], np.uint32))
            elif turn_aware and target_arc[i] < 0 and dst.arc[i, bt[i]] >= 0:
                parts[-1] = parts[-1][:-1]  # entered at its tail: nothing of it is driven
            pieces[i] = np.concatenate(parts).astype(np.uint32)
        for i in np.flatnonzero(chosen_direct).tolist():
            pieces[i] = np.array([source_arc[i]], np.uint32)
        lengths = np.array([p.size for p in pieces], dtype=np.uint64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.uint64)
        path_arcs = np.concatenate(pieces).astype(np.uint32) if k else np.empty(0, np.uint32)
    return PairResults(
        cost=cost,
        quantities={name: sums[:, j] for j, name in enumerate(router._report)},
        path_offsets=offsets,
        path_arcs=path_arcs,
        source_arc=source_arc,
        source_fraction=source_fraction,
        target_arc=target_arc,
        target_fraction=target_fraction,
    )


#: Candidate cells (rows x 2 x columns x 2) combined at once by :func:`partway_matrix`.
_MATRIX_BLOCK_CELLS = 4_000_000

#: Cells per engine matrix call and searches per engine pairs call (as Router's: Ctrl-C
#: is honoured between calls).
_ENGINE_BLOCK_CELLS = 4_000_000
_CHUNK_PAIRS = 20_000


def partway_matrix(
    router: Router,
    sources: Endpoints,
    targets: Endpoints,
    *,
    num_threads: int | None = None,
    engine: Any = None,
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """
    Cost and quantity matrices from every source to every target, part-way at both ends.

    One engine matrix between the distinct candidate nodes (at most two per
    point), then a min-plus combination with the part-arc offsets in NumPy
    (at most four per cell), and the direct drive where a target lies ahead
    of a source on the same arc.
    """
    from ._validate import check_threads

    threads = router.num_threads if num_threads is None else check_threads(num_threads)
    raw = engine if engine is not None else _raw_engine(router)
    graph = _turn_graph(router)
    src = _candidates(router, sources, "source")
    dst = _candidates(router, targets, "target")
    m, n, nq = len(sources), len(targets), len(router._report)
    s_valid, t_valid = src.engine >= 0, dst.engine >= 0
    us, s_inv = np.unique(src.engine[s_valid], return_inverse=True)
    ut, t_inv = np.unique(dst.engine[t_valid], return_inverse=True)
    s_pos = np.full((m, 2), us.size, dtype=np.intp)
    s_pos[s_valid] = s_inv.ravel()
    t_pos = np.full((n, 2), ut.size, dtype=np.intp)
    t_pos[t_valid] = t_inv.ravel()
    # The engine's matrix between distinct candidate nodes, one inf row and column for "none".
    cost_ext = np.full((us.size + 1, ut.size + 1), np.inf)
    sums_ext = np.full((nq, us.size + 1, ut.size + 1), np.inf)
    if us.size and ut.size:
        block = max(1, _ENGINE_BLOCK_CELLS // ut.size)
        for begin in range(0, us.size, block):
            end = min(us.size, begin + block)
            c, q = raw.matrix(
                us[begin:end].astype(np.uint32), ut.astype(np.uint32), num_threads=threads
            )
            cost_ext[begin:end, : ut.size] = c
            sums_ext[:, begin:end, : ut.size] = q
        phi = router.node_potential
        if phi is not None:
            phi_s = np.zeros(us.size, np.int64)
            phi_t = np.zeros(ut.size, np.int64)
            phi_s[s_inv.ravel()] = src.phi[s_valid]
            phi_t[t_inv.ravel()] = dst.phi[t_valid]
            cost_ext[: us.size, : ut.size] += -phi[phi_s][:, None] + phi[phi_t][None, :]
        if graph is not None:  # an arc node to itself: the way round (see _engine_pairs)
            si, tj = np.nonzero(us[:, None] == ut[None, :])
            if si.size:
                loop_cost, loop_sums, _ = _loops(router, us[si], False, threads)
                cost_ext[si, tj] = loop_cost
                sums_ext[:, si, tj] = loop_sums.T
    weight = np.asarray(router.weight)
    cost = np.full((m, n), np.inf)
    sums = np.full((nq, m, n), np.inf)
    block = max(1, _MATRIX_BLOCK_CELLS // max(1, 4 * n))
    t_off = dst.offset.T[None, None, :, :]  # (1, 1, jt, n)
    for begin in range(0, m, block):
        rows = slice(begin, min(m, begin + block))
        b = rows.stop - rows.start
        # (b, js, jt, n): candidate js of each source, jt of each target
        sp = s_pos[rows]
        c = cost_ext[sp[:, :, None, None], t_pos.T[None, None, :, :]]
        c = c + src.offset[rows][:, :, None, None] + t_off
        s_arc = src.arc[rows][:, :, None, None]
        t_arc = dst.arc.T[None, None, :, :]
        f = src.fraction[rows][:, :, None, None]
        g = dst.fraction.T[None, None, :, :]
        direct = (s_arc >= 0) & (s_arc == t_arc) & (f <= g)
        with np.errstate(invalid="ignore"):  # 0 * inf where no direct drive is possible
            direct_cost = (g - f) * weight[np.maximum(s_arc, 0)]
        direct &= ~(c < direct_cost)
        c = np.where(direct, direct_cost, c)
        flat = c.reshape(b, 4, n)
        best = np.argmin(flat, axis=1)  # (b, n)
        bs, bt = best // 2, best % 2
        i = np.arange(b)[:, None]
        j = np.arange(n)[None, :]
        cost[rows] = np.take_along_axis(flat, best[:, None, :], axis=1)[:, 0, :]
        si, tj = sp[i, bs], t_pos[j, bt]
        chosen_direct = direct.reshape(b, 4, n)[i, best, j]
        fraction_driven = (g - f).reshape(b, 4, n)[i, best, j] if direct.any() else None
        arc_b = src.arc[rows][i, bs]
        per_arc = _arc_rows(router, np.maximum(arc_b, 0)) if fraction_driven is not None else None
        for k_q in range(nq):
            value = (
                sums_ext[k_q][si, tj] + src.offset_q[rows][i, bs, k_q] + dst.offset_q[j, bt, k_q]
            )
            if fraction_driven is not None:
                assert per_arc is not None
                value = np.where(chosen_direct, fraction_driven * per_arc[..., k_q], value)
            sums[k_q, rows] = value
    return cost, {name: sums[j] for j, name in enumerate(router._report)}


def partway_route(
    router: Router, source: Endpoints, target: Endpoints, *, what: str = "the two points"
) -> Route:
    """
    The least-cost route between one source and one target (:func:`partway_pairs`), as a Route.

    Raises
    ------
    NoRouteError
        If no route joins them.
    """
    result = partway_pairs(router, source, target, with_paths=True, num_threads=1)
    return route_from_pair(router, result, source, target, what=what)


def route_from_pair(
    router: Router,
    result: PairResults,
    source: Endpoints,
    target: Endpoints,
    *,
    what: str = "the two points",
    departure_s: float | None = None,
    pair: int = 0,
) -> Route:
    """
    Pair ``pair`` (the first by default) of a part-way result with paths as a Route.

    The result may be static, time-dependent or under a time budget (its
    ``bounds`` become the route's ``fastest_time_s``, ... ); ``source`` and
    ``target`` are the pair's ends at the same rows.

    Raises
    ------
    NoRouteError
        If no route joins them (an infinite cost).
    """
    network = router.network
    i = pair
    value = float(result.cost[i])
    if not math.isfinite(value):
        msg = (
            f"No route joins {what} for {router.vehicle.name}: the target cannot be reached "
            "(one-way streets, closed arcs or a disconnected part of the network)."
        )
        raise NoRouteError(msg)
    assert result.path_offsets is not None
    assert result.path_arcs is not None
    assert result.source_arc is not None
    assert result.target_arc is not None
    assert result.source_fraction is not None
    assert result.target_fraction is not None
    path = result.path_arcs[int(result.path_offsets[i]) : int(result.path_offsets[i + 1])]
    row = [float(result.quantities[name][i]) for name in router._report]
    start = int(network.tail[path[0]]) if path.size else int(source.node[i])
    s_arc, t_arc = int(result.source_arc[i]), int(result.target_arc[i])
    return router._route_object(
        start,
        value,
        row,
        path,
        float(source.distance_m[i]),
        float(target.distance_m[i]),
        {name: float(values[i]) for name, values in result.bounds.items()},
        source_lat=float(source.lat[i]),
        source_lon=float(source.lon[i]),
        target_lat=float(target.lat[i]),
        target_lon=float(target.lon[i]),
        source_arc=s_arc,
        target_arc=t_arc,
        _start_fraction=float(result.source_fraction[i]) if s_arc >= 0 else 0.0,
        _end_fraction=float(result.target_fraction[i]) if t_arc >= 0 else 1.0,
        departure_s=departure_s,
        source_snap_kind=_kind_of(source, i),
        target_snap_kind=_kind_of(target, i),
    )


def _kind_of(points: Endpoints, i: int) -> str:
    """A route end's kind as its snap shows it: a coordinate is "nearest", a node by id "node"."""
    return "nearest" if points.arc[i] >= 0 or points.distance_m[i] > 0 else "node"


@dataclass(frozen=True, eq=False)
class PartwayRoute:
    """
    A route between two snapped points, starting and ending part-way along arcs.

    Attributes
    ----------
    route
        The route: ``arcs`` holds the (partly driven) first and last arcs too;
        ``cost`` and every quantity count only the driven parts (a
        ``fraction`` of an arc costs that fraction of it); ``source_snap_m``
        and ``target_snap_m`` are the snap distances.
    source, target
        The snaps (arc, fraction, snapped point, distance).
    """

    route: Route
    source: Snap
    target: Snap


def route_partway(
    router: Router,
    source: tuple[float, float],
    target: tuple[float, float],
    *,
    snapper: ArcSnapper | None = None,
    max_snap_m: float | None = None,
) -> PartwayRoute:
    """
    Route from one coordinate to another, starting and ending on the snapped roads.

    What :meth:`Router.route` does with coordinates, with the snaps returned
    too and an optional snapper of one's own (e.g. ``usable="all"``). Each
    point snaps to the nearest usable arc (:class:`ArcSnapper`); a two-way
    road may be driven away from the point in either direction, so both arcs
    are tried at each end, plus the direct drive when both points lie on the
    same arc in driving order. On a turn-aware router
    (``Router(..., turns=...)``) the route leaves the first arc and enters
    the last one by allowed turns only.

    Raises
    ------
    SnapError
        If a point is farther than the limit from every usable road.
    NoRouteError
        If no route joins the two snapped points.
    """
    network = router.network
    snapper = snapper or snapper_for(network)
    lat = np.array([source[0], target[0]], dtype=np.float64)
    lon = np.array([source[1], target[1]], dtype=np.float64)
    both = snapper.snap(lat, lon, max_snap_m=max_snap_m, labels=["source", "target"], name="the")
    src, dst = _pick(both, 0), _pick(both, 1)
    route = partway_route(
        router,
        Endpoints.snapped(network, src, lat[:1], lon[:1]),
        Endpoints.snapped(network, dst, lat[1:], lon[1:]),
        what="the two snapped points",
    )
    return PartwayRoute(route=route, source=src, target=dst)


def _pick(snap: Snap, i: int) -> Snap:
    return Snap(
        arc=snap.arc[i : i + 1],
        fraction=snap.fraction[i : i + 1],
        reverse_arc=snap.reverse_arc[i : i + 1],
        lat=snap.lat[i : i + 1],
        lon=snap.lon[i : i + 1],
        distance_m=snap.distance_m[i : i + 1],
    )


def partway_lines(network: RoadNetwork, starts: npt.ArrayLike, result: PairResults) -> list[Any]:
    """
    Every route's (lon, lat) points from a :func:`partway_pairs` result with paths.

    ``starts`` are the dense source nodes (used where a path has no arc);
    lines start and end at the snapped points. None where unreachable.
    """
    assert result.path_offsets is not None
    assert result.path_arcs is not None
    start_nodes = np.asarray(starts, dtype=np.int64)
    offsets = result.path_offsets.astype(np.int64)
    out: list[Any] = []
    for i in range(start_nodes.size):
        if not math.isfinite(result.cost[i]):
            out.append(None)
            continue
        path = result.path_arcs[offsets[i] : offsets[i + 1]]
        start = int(network.tail[path[0]]) if path.size else int(start_nodes[i])
        f = 0.0
        g = 1.0
        if result.source_arc is not None and result.source_arc[i] >= 0:
            assert result.source_fraction is not None
            f = float(result.source_fraction[i])
        if result.target_arc is not None and result.target_arc[i] >= 0:
            assert result.target_fraction is not None
            g = float(result.target_fraction[i])
        out.append(trim_path(network, network.path_coordinates(path, start), path, f, g))
    return out


__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "ArcSnapper",
    "Endpoints",
    "PartwayRoute",
    "Snap",
    "cut_line",
    "nearest_usable_nodes",
    "partway_lines",
    "partway_matrix",
    "partway_pairs",
    "partway_route",
    "resolve_points",
    "route_from_pair",
    "route_partway",
    "trim_path",
]
