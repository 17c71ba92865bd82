"""Snap coordinates to the nearest point of a road a vehicle can use, and route part-way along it."""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from ._errors import NoRouteError, SnapError
from ._geo import EARTH_RADIUS_M, haversine_m, unit_vectors
from ._validate import as_float_array

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .routing import Route, Router

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
    ) -> None:
        from scipy.spatial import cKDTree

        from ._topology import largest_component

        if usable not in ("strong", "all"):
            msg = f"usable must be 'strong' or 'all', not {usable!r}."
            raise ValueError(msg)
        self.network = network
        self.max_snap_m = _check_limit(max_snap_m)
        tail = network.tail.astype(np.int64)
        head = network.head.astype(np.int64)
        if usable == "strong":
            keep = largest_component(network.node_count, tail, head, strong=True)
            arcs = np.flatnonzero(keep[tail] & keep[head])
        else:
            arcs = np.arange(network.arc_count)
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
        limit = self.max_snap_m if max_snap_m is None else _check_limit(max_snap_m)
        count = lat_a.size
        if self._seg_arc.size == 0:
            msg = "The network has no usable arc to snap to."
            raise SnapError(msg)
        xyz = np.column_stack(unit_vectors(lat_a, lon_a)) * EARTH_RADIUS_M
        chord, nearest_piece = self._tree.query(xyz, k=1)
        segment = np.empty(count, np.int64)
        fraction = np.empty(count)
        distance = np.empty(count)
        for i in range(count):
            # The best segment is at most (nearest piece distance + half a piece) away.
            radius = float(chord[i]) + 2.0 * self._piece_half_m + 1e-6
            candidates = self._piece_seg[self._tree.query_ball_point(xyz[i], radius)]
            if candidates.size == 0:
                candidates = self._piece_seg[[nearest_piece[i]]]
            segs = np.unique(candidates)
            d, t = _point_segment(lat_a[i], lon_a[i], self._a[segs], self._b[segs])
            best = int(np.argmin(d))
            segment[i], fraction[i] = segs[best], t[best]
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


def _check_limit(value: float) -> float:
    limit = float(value)
    if math.isnan(limit) or limit <= 0:
        msg = f"max_snap_m must be > 0 (math.inf for no limit), got {value!r}."
        raise ValueError(msg)
    return limit


def _point_segment(
    lat: float, lon: float, a: FloatArray, b: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """
    Distance (m) from a point to segments ``a -> b`` ((lon, lat) rows), and where the foot lies.

    Works in a local equirectangular projection centred on the point (x east,
    y north, metres), exact enough at snapping distances (well under 0.1 %
    for segments within a few km).
    """
    scale_y = math.radians(1.0) * EARTH_RADIUS_M
    scale_x = scale_y * math.cos(math.radians(lat))
    dlon_a = (a[:, 0] - lon + 180.0) % 360.0 - 180.0
    dlon_b = (b[:, 0] - lon + 180.0) % 360.0 - 180.0
    ax, ay = dlon_a * scale_x, (a[:, 1] - lat) * scale_y
    bx, by = dlon_b * scale_x, (b[:, 1] - lat) * scale_y
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


_SNAPPERS: weakref.WeakKeyDictionary[RoadNetwork, ArcSnapper] = weakref.WeakKeyDictionary()


def snapper_for(network: RoadNetwork) -> ArcSnapper:
    """
    The network's :class:`ArcSnapper` over its largest strongly connected part, built once.

    Networks are immutable, so one snapper serves every Router, batch job
    and fleet plan on the same network object.
    """
    snapper = _SNAPPERS.get(network)
    if snapper is None:
        snapper = _SNAPPERS[network] = ArcSnapper(network)
    return snapper


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


# ---------------------------------------------------------------------- routes


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

    Each point snaps to the nearest usable arc (:class:`ArcSnapper`); a
    two-way road may be driven away from the point in either direction, so
    both arcs are tried at each end (four searches in one batch, plus the
    direct drive when both points lie on the same arc in driving order).
    On a turn-aware router (``Router(..., turns=...)``) the route leaves the
    first arc and enters the last one by allowed turns only.

    Raises
    ------
    SnapError
        If a point is farther than the limit from every usable road.
    NoRouteError
        If no route joins the two snapped points.
    """
    from .results import Route

    network = router.network
    snapper = snapper or ArcSnapper(network)
    lat = np.array([source[0], target[0]], dtype=np.float64)
    lon = np.array([source[1], target[1]], dtype=np.float64)
    both = snapper.snap(lat, lon, max_snap_m=max_snap_m, labels=["source", "target"], name="the")
    src = _pick(both, 0)
    dst = _pick(both, 1)
    weight = np.asarray(router.weight)
    names = list(router._report)
    per_arc = np.column_stack([router.arc_quantities[q] for q in names])

    starts = [(int(src.arc[0]), float(src.fraction[0]))]
    if src.reverse_arc[0] >= 0:
        starts.append((int(src.reverse_arc[0]), 1.0 - float(src.fraction[0])))
    ends = [(int(dst.arc[0]), float(dst.fraction[0]))]
    if dst.reverse_arc[0] >= 0:
        ends.append((int(dst.reverse_arc[0]), 1.0 - float(dst.fraction[0])))

    best_cost, best = math.inf, None
    combos = [(s, e) for s in starts for e in ends]
    costs, sums, paths = _arc_to_arc(router, [s[0] for s, _ in combos], [e[0] for _, e in combos])
    for i, ((c, f), (d, g)) in enumerate(combos):
        if c == d and f <= g:  # both on one arc, in driving order: drive between them
            cost = (g - f) * weight[c]
            if cost < best_cost:
                best_cost, best = cost, ([c], (g - f) * per_arc[c])
            continue
        if not math.isfinite(costs[i]):
            continue
        # Drive the rest of c, then the path (which ends by entering d), minus the rest of d.
        cost = (1.0 - f) * weight[c] + costs[i] - (1.0 - g) * weight[d]
        q = (1.0 - f) * per_arc[c] + sums[i] - (1.0 - g) * per_arc[d]
        if cost < best_cost:
            best_cost, best = cost, ([c, *paths[i]], q)
    if best is None:
        msg = "No route joins the two snapped points (one-way streets or closed arcs)."
        raise NoRouteError(msg)
    arcs, q = best
    values = dict(zip(names, np.asarray(q, dtype=np.float64).tolist(), strict=True))
    path = np.asarray(arcs, dtype=np.uint32)
    route = Route(
        arcs=path,
        cost=float(best_cost),
        co2_g=values["co2_g"],
        time_s=values["time_s"],
        distance_m=values["distance_m"],
        fuel_l=values.get("fuel_l"),
        energy_kwh=values.get("energy_kwh"),
        co2e_wtw_g=values.get("co2e_wtw_g"),
        quantities=values,
        source_snap_m=float(src.distance_m[0]),
        target_snap_m=float(dst.distance_m[0]),
        vehicle=router.vehicle.name,
        objective=router._label,
        _network=network,
        _arc_quantities=router.arc_quantities,
        _source_index=int(network.tail[path[0]]),
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


def _arc_to_arc(
    router: Router, first: list[int], last: list[int]
) -> tuple[FloatArray, FloatArray, list[list[int]]]:
    """
    Cost, quantity sums and arcs of the cheapest way from having driven ``first[i]``
    to having driven ``last[i]`` (``last[i]`` included, ``first[i]`` not).
    """
    from .turns import TurnEngine

    network = router.network
    engine = router._engine
    phi = router.node_potential
    turn_aware = isinstance(engine, TurnEngine)
    if isinstance(engine, TurnEngine):
        # Arc nodes of the expanded graph are numbered as the arcs; each sits at its arc's head.
        s = np.asarray(first, dtype=np.uint32)
        t = np.asarray(last, dtype=np.uint32)
        cost, sums, offsets, arcs = engine._engine.route_pairs(s, t, with_paths=True, num_threads=1)
        offsets, arcs = engine.graph.network_paths(offsets, arcs)
        s_node, t_node = network.head[s], network.head[t]
        same = s == t  # the expanded search answers 0: a loop back onto the arc is not found
        cost = np.where(same, np.inf, cost)
    else:  # from the head of the first arc to the tail of the last, then the last arc
        s_node = network.head[np.asarray(first)]
        t_node = network.tail[np.asarray(last)]
        cost, sums, offsets, arcs = engine.route_pairs(
            s_node.astype(np.uint32), t_node.astype(np.uint32), with_paths=True, num_threads=1
        )
        per_arc = np.column_stack([router.arc_quantities[q] for q in router._report])
        cost = cost + np.asarray(router.weight)[last]
        sums = sums + per_arc[last]
    cost = np.asarray(cost, dtype=np.float64)
    if phi is not None:  # undo the potential shift of the search
        cost = cost - phi[s_node] + phi[t_node]
    paths = []
    for i in range(len(first)):
        piece = arcs[offsets[i] : offsets[i + 1]].tolist()
        paths.append(piece if turn_aware else [*piece, last[i]])
    return cost, np.asarray(sums, dtype=np.float64), paths


__all__ = [
    "DEFAULT_MAX_SNAP_M",
    "ArcSnapper",
    "PartwayRoute",
    "Snap",
    "nearest_usable_nodes",
    "route_partway",
]
