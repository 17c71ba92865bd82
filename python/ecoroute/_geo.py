"""Great-circle distances, points on the sphere and nearest-node lookups."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .network import RoadNetwork

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

FloatArray = npt.NDArray[np.float64]


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Return the great-circle distance in metres between points given in degrees."""
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def unit_vectors(
    lat: npt.ArrayLike, lon: npt.ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Return the points at ``lat``/``lon`` (degrees) on the unit sphere as x, y, z."""
    phi, lmb = np.radians(lat), np.radians(lon)
    cos_phi = np.cos(phi)
    return (
        np.ascontiguousarray(cos_phi * np.cos(lmb)),
        np.ascontiguousarray(cos_phi * np.sin(lmb)),
        np.ascontiguousarray(np.sin(phi), dtype=np.float64),
    )


class NearestNodeIndex:
    """
    Nearest-node lookups by great-circle distance.

    Nodes are placed on a sphere of the Earth's radius (3-D Cartesian
    coordinates, a projection that is exact everywhere, poles and the
    antimeridian included) and indexed with a ``scipy.spatial.cKDTree``. The
    straight-line (chord) distance grows monotonically with the great-circle
    distance, so the nearest node by chord is the nearest node on the sphere.
    """

    def __init__(self, lat: FloatArray, lon: FloatArray) -> None:
        from scipy.spatial import cKDTree

        self._tree = cKDTree(np.column_stack(unit_vectors(lat, lon)) * EARTH_RADIUS_M)

    def query(self, lat: FloatArray, lon: FloatArray) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """Return the nearest node of each point and its great-circle distance in metres."""
        points = np.column_stack(unit_vectors(lat, lon)) * EARTH_RADIUS_M
        chord, index = self._tree.query(points, k=1)
        ratio = np.clip(np.asarray(chord) / (2 * EARTH_RADIUS_M), 0.0, 1.0)
        return np.asarray(index, dtype=np.intp), 2 * EARTH_RADIUS_M * np.arcsin(ratio)


def cut_line(lonlat: FloatArray, start_m: float, end_m: float) -> FloatArray:
    """
    The part of a (lon, lat) polyline from ``start_m`` to ``end_m`` metres along it.

    Lengths are great-circle lengths of the segments and points in a segment
    are interpolated linearly in lon/lat, as :class:`ArcSnapper` places a
    snapped point, so cutting at a snap's position returns that very point.
    """
    seg = haversine_m(lonlat[:-1, 1], lonlat[:-1, 0], lonlat[1:, 1], lonlat[1:, 0])
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    start_m = float(np.clip(start_m, 0.0, cum[-1]))
    end_m = float(np.clip(end_m, start_m, cum[-1]))

    def at(d: float) -> tuple[int, FloatArray]:
        i = int(np.clip(np.searchsorted(cum, d, side="right") - 1, 0, seg.size - 1))
        t = 0.0 if seg[i] <= 0 else (d - cum[i]) / seg[i]
        return i, lonlat[i] + min(max(t, 0.0), 1.0) * (lonlat[i + 1] - lonlat[i])

    if seg.size == 0:
        return lonlat.copy()
    i, first = at(start_m)
    j, last = at(end_m)
    middle = lonlat[i + 1 : j + 1]
    return np.vstack([first, middle, last])


def trim_path(
    network: RoadNetwork,
    points: FloatArray,
    arcs: npt.ArrayLike,
    start_fraction: float,
    end_fraction: float,
) -> FloatArray:
    """
    A path's (lon, lat) points from ``start_fraction`` of its first arc to ``end_fraction`` of its last.

    ``points`` are the path's points as :meth:`RoadNetwork.path_coordinates`
    gives them (tail of the first arc, then every arc's shape points and head).
    """
    arc_array = np.asarray(arcs, dtype=np.int64)
    if arc_array.size == 0 or (start_fraction <= 0.0 and end_fraction >= 1.0):
        return points
    first, last = int(arc_array[0]), int(arc_array[-1])
    offsets = network.geometry_offsets
    first_segments = int(offsets[first + 1] - offsets[first]) + 1
    last_segments = int(offsets[last + 1] - offsets[last]) + 1
    lengths = haversine_m(points[:-1, 1], points[:-1, 0], points[1:, 1], points[1:, 0])
    total = float(lengths.sum())
    first_m = float(lengths[:first_segments].sum())
    last_m = float(lengths[-last_segments:].sum())
    return cut_line(points, start_fraction * first_m, total - (1.0 - end_fraction) * last_m)
