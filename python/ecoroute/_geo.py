"""Great-circle distances, points on the sphere and nearest-node lookups."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
