"""Node elevations from DEM tiles (SRTM .hgt, GeoTIFF) and physically sane road grades."""

from __future__ import annotations

import logging
import warnings
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ._errors import ElevationError
from ._geo import NearestNodeIndex, haversine_m

if TYPE_CHECKING:
    from .network import RoadNetwork

log = logging.getLogger("ecoroute")

FloatArray = npt.NDArray[np.float64]

#: Shortest stretch of road a slope is measured over, metres (about one SRTM3 cell).
MIN_SPAN_M = 100.0
#: Accuracy assumed for a measured slope (rise over run) and for a DEM height (metres).
SLOPE_SIGMA = 0.02
HEIGHT_SIGMA_M = 5.0

#: Spacing of DEM samples along the roads, metres.
SAMPLE_STEP_M = 10.0

#: Grades beyond this (rise over run) are clipped: the steepest public streets
#: in the world are about 35 %; on a 90 m DEM anything steeper is noise.
MAX_GRADE = 0.30


__all__ = [
    "MAX_GRADE",
    "MIN_SPAN_M",
    "ElevationError",
    "add_elevation",
    "elevation_and_grade",
    "sample_dem",
    "with_elevation",
]


@dataclass
class _Tile:
    path: str
    heights: npt.NDArray[np.float64]  # NaN where nodata
    inverse: object  # affine.Affine: lon/lat (or x/y) -> column/row
    crs_geographic: bool
    crs: object

    def sample(self, lon: FloatArray, lat: FloatArray) -> FloatArray:
        """Bilinear heights at points (NaN outside the tile or next to nodata)."""
        x, y = lon, lat
        if not self.crs_geographic:
            from rasterio.warp import transform

            x, y = (np.asarray(v) for v in transform("EPSG:4326", self.crs, lon, lat))
        col, row = apply_affine(self.inverse, x, y)
        # Pixel centres sit at +0.5: interpolate between the four around each point.
        fc, fr = np.asarray(col) - 0.5, np.asarray(row) - 0.5
        c0, r0 = np.floor(fc).astype(np.int64), np.floor(fr).astype(np.int64)
        dc, dr = fc - c0, fr - r0
        rows, cols = self.heights.shape
        inside = (c0 >= 0) & (r0 >= 0) & (c0 + 1 < cols) & (r0 + 1 < rows)
        out = np.full(lon.shape, np.nan)
        c, r, wc, wr = c0[inside], r0[inside], dc[inside], dr[inside]
        h = self.heights
        out[inside] = (
            h[r, c] * (1 - wc) * (1 - wr)
            + h[r, c + 1] * wc * (1 - wr)
            + h[r + 1, c] * (1 - wc) * wr
            + h[r + 1, c + 1] * wc * wr
        )
        return out


def apply_affine(
    transform: object, x: npt.ArrayLike, y: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Apply an ``affine.Affine`` to coordinate arrays (x' = a x + b y + c, y' = d x + e y + f)."""
    a, b, c, d, e, f = (getattr(transform, k) for k in "abcdef")
    x_array, y_array = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return a * x_array + b * y_array + c, d * x_array + e * y_array + f


#: The lowest and highest land heights a DEM cell may hold (the Dead Sea shore is
#: at about -430 m, Everest at 8,849 m); anything outside is read as nodata.
LOWEST_LAND_M = -500.0
HIGHEST_LAND_M = 9000.0


def _open_tile(path: Path) -> _Tile:
    import rasterio

    if not path.exists():
        msg = f"DEM tile {path} does not exist."
        raise ElevationError(msg)
    uri = str(path)
    if path.suffix.lower() == ".zip":
        try:
            members = [
                m
                for m in zipfile.ZipFile(path).namelist()
                if m.lower().endswith((".hgt", ".tif", ".tiff"))
            ]
        except zipfile.BadZipFile as error:
            msg = f"DEM tile {path} is not a valid zip file."
            raise ElevationError(msg) from error
        if not members:
            msg = f"DEM zip {path} holds no .hgt or .tif file."
            raise ElevationError(msg)
        uri = f"zip://{path.resolve()}!{members[0]}"
    try:
        with rasterio.open(uri) as src:
            band = src.read(1).astype(np.float64)
            nodata = src.nodata
            crs = src.crs
            transform = src.transform
    except rasterio.errors.RasterioIOError as error:
        msg = f"DEM tile {path} could not be read as a raster ({error})."
        raise ElevationError(msg) from error
    if nodata is not None:
        band[band == nodata] = np.nan
    band[band <= -32768] = np.nan  # SRTM voids even without a nodata tag
    # Heights no land has: infinities, and fill values such as -9999 in files
    # without a nodata tag. Dropped like nodata (the nodes there take their
    # neighbours' heights), and said, naming the tile.
    impossible = ~np.isnan(band) & ~((band >= LOWEST_LAND_M) & (band <= HIGHEST_LAND_M))
    if impossible.any():
        values = np.unique(band[impossible])
        shown = ", ".join(f"{v:g}" for v in values[:3]) + (", ..." if values.size > 3 else "")
        warnings.warn(
            f"DEM tile {path}: {int(impossible.sum()):,} cells hold heights no land has "
            f"({shown}; outside {LOWEST_LAND_M:g} .. {HIGHEST_LAND_M:g} m) and are read as "
            "nodata; set the file's nodata tag if they mark voids.",
            stacklevel=4,
        )
        band[impossible] = np.nan
    return _Tile(
        path=str(path),
        heights=band,
        inverse=~transform,
        crs_geographic=crs is None or crs.is_geographic,
        crs=crs,
    )


def sample_dem(tiles: Iterable[str | Path], lon: npt.ArrayLike, lat: npt.ArrayLike) -> FloatArray:
    """Return bilinear DEM heights (metres) at lon/lat points; NaN where no tile has data."""
    lon_array = np.asarray(lon, dtype=np.float64)
    lat_array = np.asarray(lat, dtype=np.float64)
    out = np.full(lon_array.shape, np.nan)
    for path in tiles:
        tile = _open_tile(Path(path))
        missing = np.isnan(out)
        if missing.any():
            out[missing] = tile.sample(lon_array[missing], lat_array[missing])
    return out


def with_elevation(
    network: RoadNetwork,
    dem_paths: Iterable[str | Path] | str | Path,
    *,
    min_span_m: float = MIN_SPAN_M,
    max_grade: float = MAX_GRADE,
) -> RoadNetwork:
    """
    Return a new network with node elevations and arc grades from DEM tiles.

    ``network`` is unchanged (and so is every Router built on it); the new
    network shares its topology, its other arrays and its contraction
    hierarchy. See :func:`elevation_and_grade` for the method.

    Raises
    ------
    ElevationError
        (a ``ValueError``) if a tile cannot be read or no tile covers any node.
    """
    elevation_m, grade = elevation_and_grade(
        network, dem_paths, min_span_m=min_span_m, max_grade=max_grade
    )
    return network.replace(elevation_m=elevation_m, grade=grade)


def add_elevation(
    network: RoadNetwork,
    dem_paths: Iterable[str | Path] | str | Path,
    *,
    min_span_m: float = MIN_SPAN_M,
    max_grade: float = MAX_GRADE,
) -> RoadNetwork:
    """Deprecated alias of :func:`with_elevation`; returns the new network, ``network`` is unchanged."""
    warnings.warn(
        "ecoroute.elevation.add_elevation() is deprecated and no longer changes the network in "
        "place: use network = ecoroute.elevation.with_elevation(network, dem_paths).",
        DeprecationWarning,
        stacklevel=2,
    )
    return with_elevation(network, dem_paths, min_span_m=min_span_m, max_grade=max_grade)


def elevation_and_grade(
    network: RoadNetwork,
    dem_paths: Iterable[str | Path] | str | Path,
    *,
    min_span_m: float = MIN_SPAN_M,
    max_grade: float = MAX_GRADE,
) -> tuple[FloatArray, FloatArray]:
    """
    Return node elevations (metres) and arc grades (rise over run) of ``network`` from DEM tiles.

    SRTM's ~90 m cells make height differences over a few metres meaningless
    (raw node-to-node grades reach 334 % in Monaco), so grades and heights are
    estimated together:

    1. Each arc's slope is measured on the DEM (bilinear samples every 10 m,
       least-squares line) over a span of at least ``min_span_m``: along the
       arc's own road geometry when it is that long, otherwise along a
       straight ``min_span_m`` line through the arc's middle in its direction.
    2. Node heights are the least-squares compromise between those slopes and
       the DEM at the nodes: minimise ``sum_arcs ((h_v - h_u - slope * L) /
       (0.02 L))**2 + sum_nodes ((h - dem) / 5 m)**2`` (slopes known to about
       2 percentage points, SRTM heights to about 5 m, so short arcs follow
       their measured slope and long ones the DEM at their ends).
    3. Grades are ``(h_head - h_tail) / length_m``, so they agree exactly with
       the elevations (what EV potentials need; a route's climb telescopes),
       and are clipped at ``max_grade``.

    Nodes outside every tile, or on nodata, take the elevation of the nearest
    covered node, their arcs get grade 0, and a warning gives their count.

    Parameters
    ----------
    network
        The network (read only).
    dem_paths
        One or more SRTM ``.hgt`` files (zipped or not) or GeoTIFFs, in any order.
    min_span_m
        Shortest stretch of road a slope is measured over, metres.
    max_grade
        Largest absolute grade kept (rise over run).

    Returns
    -------
    elevation_m, grade
        One elevation per node, one grade per arc (what :func:`with_elevation` puts in).

    Raises
    ------
    ElevationError
        (a ``ValueError``) if a tile cannot be read or no tile covers any node.
    """
    paths = [dem_paths] if isinstance(dem_paths, str | Path) else list(dem_paths)
    if not paths:
        msg = "with_elevation needs at least one DEM tile."
        raise ElevationError(msg)
    if min_span_m <= 0 or max_grade <= 0:
        msg = "min_span_m and max_grade must be > 0."
        raise ValueError(msg)
    tiles = [_open_tile(Path(p)) for p in paths]

    def sample(lon: FloatArray, lat: FloatArray) -> FloatArray:
        out = np.full(lon.shape, np.nan)
        for tile in tiles:
            missing = np.isnan(out)
            if missing.any():
                out[missing] = tile.sample(lon[missing], lat[missing])
        return out

    n = network.node_count
    dem = sample(network.lon, network.lat)
    covered = ~np.isnan(dem)
    if not covered.any():
        msg = (
            f"None of the {len(paths)} DEM tile(s) covers the network (it spans lat "
            f"{network.lat.min():.3f}..{network.lat.max():.3f}, lon {network.lon.min():.3f}.."
            f"{network.lon.max():.3f})."
        )
        raise ElevationError(msg)
    uncovered = ~covered
    anchor = dem.copy()
    if uncovered.any():
        index = NearestNodeIndex(network.lat[covered], network.lon[covered])
        nearest, _ = index.query(network.lat[uncovered], network.lon[uncovered])
        anchor[uncovered] = dem[np.flatnonzero(covered)[nearest]]
        warnings.warn(
            f"{int(uncovered.sum()):,} of {n:,} nodes lie outside the DEM tiles or on nodata; they "
            "take the elevation of the nearest covered node and their arcs get grade 0.",
            stacklevel=3,
        )

    arc, x, lon, lat = _slope_samples(network, min_span_m)
    slope = _least_squares_slopes(arc, x, sample(lon, lat), network.arc_count)
    off_dem = uncovered[network.tail] | uncovered[network.head]
    slope[off_dem] = np.nan

    elevation = _fuse(network, slope, anchor, np.where(covered, 1.0, 1e-4))
    grade = (elevation[network.head] - elevation[network.tail]) / np.maximum(network.length_m, 1e-9)
    grade[(network.length_m <= 0) | off_dem] = 0.0
    clipped = np.abs(grade) > max_grade
    if clipped.any():
        log.info(
            "clipped %d of %d grades beyond +-%.0f %%",
            int(clipped.sum()),
            grade.size,
            max_grade * 100,
        )
    return elevation, np.clip(grade, -max_grade, max_grade)


def _slope_samples(
    network: RoadNetwork, min_span_m: float
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
    """
    Sample points for each arc's slope: arc index, distance along the span, lon, lat.

    Arcs at least ``min_span_m`` long are sampled along their geometry; shorter
    ones along a straight line of that length through their middle, in their
    direction (tail to head).
    """
    m = network.arc_count
    tail, head = network.tail.astype(np.int64), network.head.astype(np.int64)
    vertex_offsets, vx, vy, along = _polylines(network)
    arc_start = along[vertex_offsets[:-1]]
    arc_length = along[vertex_offsets[1:] - 1] - arc_start
    long_arc = arc_length >= min_span_m

    # Long arcs: points every SAMPLE_STEP_M (at most 50 per arc) along the polyline.
    count = np.where(
        long_arc, np.minimum(np.ceil(arc_length / SAMPLE_STEP_M), 50).astype(np.int64) + 1, 0
    )
    arcs_long = np.repeat(np.arange(m), count)
    k = np.arange(arcs_long.size) - np.repeat(np.cumsum(count) - count, count)
    x_long = k * (arc_length / np.maximum(count - 1, 1))[arcs_long]
    lon_long, lat_long = _interpolate(vx, vy, along, arc_start[arcs_long] + x_long)

    # Short arcs: a straight span through the middle of the chord, along its bearing.
    short = np.flatnonzero(~long_arc)
    per = int(np.ceil(min_span_m / SAMPLE_STEP_M)) + 1
    arcs_short = np.repeat(short, per)
    t = np.tile(np.linspace(-0.5, 0.5, per), short.size)
    lat0, lon0 = network.lat[tail[short]], network.lon[tail[short]]
    lat1, lon1 = network.lat[head[short]], network.lon[head[short]]
    metres_per_deg_lat = 111_320.0
    metres_per_deg_lon = metres_per_deg_lat * np.cos(np.radians(0.5 * (lat0 + lat1)))
    dy = (lat1 - lat0) * metres_per_deg_lat
    dx = (lon1 - lon0) * metres_per_deg_lon
    norm = np.hypot(dx, dy)
    ux = np.divide(dx, norm, out=np.zeros_like(dx), where=norm > 0)
    uy = np.divide(dy, norm, out=np.zeros_like(dy), where=norm > 0)
    offset = t * min_span_m
    rep = np.repeat(np.arange(short.size), per)
    lon_short = 0.5 * (lon0 + lon1)[rep] + offset * ux[rep] / metres_per_deg_lon[rep]
    lat_short = 0.5 * (lat0 + lat1)[rep] + offset * uy[rep] / metres_per_deg_lat
    # Arcs whose ends coincide have no direction: no slope (NaN below).
    x_short = np.where(norm[rep] > 0, offset, np.nan)

    return (
        np.concatenate([arcs_long, arcs_short]),
        np.concatenate([x_long, x_short]),
        np.concatenate([lon_long, lon_short]),
        np.concatenate([lat_long, lat_short]),
    )


def _least_squares_slopes(
    arc: npt.NDArray[np.int64], x: FloatArray, y: FloatArray, m: int
) -> FloatArray:
    """Slope of a least-squares line per arc (NaN where fewer than two usable points)."""
    ok = ~np.isnan(x) & ~np.isnan(y)
    a, x, y = arc[ok], x[ok], y[ok]
    s0 = np.bincount(a, minlength=m).astype(np.float64)
    s1 = np.bincount(a, weights=x, minlength=m)
    s2 = np.bincount(a, weights=x * x, minlength=m)
    t0 = np.bincount(a, weights=y, minlength=m)
    t1 = np.bincount(a, weights=x * y, minlength=m)
    det = s0 * s2 - s1 * s1
    fit = (s0 >= 2) & (det > 1e-9 * np.maximum(s0 * s2, 1e-30))
    return np.divide(s0 * t1 - s1 * t0, det, out=np.full(m, np.nan), where=fit)


def _fuse(
    network: RoadNetwork, slope: FloatArray, anchor: FloatArray, anchor_weight: FloatArray
) -> FloatArray:
    """Node heights whose differences follow the arc slopes and whose levels follow the DEM."""
    from scipy.sparse import coo_matrix, diags
    from scipy.sparse.linalg import spsolve

    n = network.node_count
    known = ~np.isnan(slope) & (network.length_m > 0)
    u = network.tail[known].astype(np.int64)
    v = network.head[known].astype(np.int64)
    length = network.length_m[known]
    rise = slope[known] * length
    w = 1.0 / (SLOPE_SIGMA * length) ** 2
    lam = anchor_weight / HEIGHT_SIGMA_M**2
    # Normal equations: (B' W B + diag(lam)) h = B' W rise + lam * anchor, B the arc-node incidence.
    laplacian = coo_matrix(
        (
            np.concatenate([w, w, -w, -w]),
            (np.concatenate([u, v, u, v]), np.concatenate([u, v, v, u])),
        ),
        shape=(n, n),
    ).tocsc()
    matrix = laplacian + diags(lam)
    rhs = (
        lam * anchor
        + np.bincount(v, weights=w * rise, minlength=n)
        - np.bincount(u, weights=w * rise, minlength=n)
    )
    return np.asarray(spsolve(matrix.tocsc(), rhs))


def _polylines(
    network: RoadNetwork,
) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray, FloatArray]:
    """Every arc's polyline (tail, shape points, head) laid end to end on one distance axis."""
    m = network.arc_count
    tail, head = network.tail.astype(np.int64), network.head.astype(np.int64)
    vertex_offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.diff(network.geometry_offsets) + 2, out=vertex_offsets[1:])
    vx = np.empty(vertex_offsets[-1])
    vy = np.empty(vertex_offsets[-1])
    interior = np.ones(vertex_offsets[-1], dtype=bool)
    interior[vertex_offsets[:-1]] = False
    interior[vertex_offsets[1:] - 1] = False
    vx[vertex_offsets[:-1]], vy[vertex_offsets[:-1]] = network.lon[tail], network.lat[tail]
    vx[vertex_offsets[1:] - 1], vy[vertex_offsets[1:] - 1] = network.lon[head], network.lat[head]
    vx[interior], vy[interior] = network.geometry_lonlat[:, 0], network.geometry_lonlat[:, 1]
    step = haversine_m(vy[:-1], vx[:-1], vy[1:], vx[1:])
    # A 1 m gap between one arc's head and the next arc's tail keeps arcs apart
    # on the axis, so a point at an arc's very end stays on that arc.
    step[vertex_offsets[1:-1] - 1] = 1.0
    along = np.concatenate([[0.0], np.cumsum(step)])
    return vertex_offsets, vx, vy, along


def _interpolate(
    vx: FloatArray, vy: FloatArray, along: FloatArray, position: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Points at the given positions on the end-to-end polyline axis."""
    segment = np.clip(np.searchsorted(along, position, side="right") - 1, 0, along.size - 2)
    seg_len = along[segment + 1] - along[segment]
    t = np.divide(
        position - along[segment], seg_len, out=np.zeros_like(position), where=seg_len > 0
    )
    return vx[segment] + t * (vx[segment + 1] - vx[segment]), vy[segment] + t * (
        vy[segment + 1] - vy[segment]
    )


#: A climb or descent inside a chain of road is kept as its own arcs when it
#: rises (or falls) this much before turning, metres: smaller wiggles are
#: within SRTM's vertical noise.
TURN_PROMINENCE_M = 10.0
#: Half-width of the moving average applied to a road's DEM profile before
#: looking for turning points, metres (about half an SRTM3 cell).
PROFILE_SMOOTHING_M = 45.0


def profile_turning_points(
    lat: FloatArray,
    lon: FloatArray,
    chain_offsets: npt.NDArray[np.int64],
    chain_nodes: npt.NDArray[np.int64],
    dem_paths: Iterable[str | Path],
    *,
    prominence_m: float = TURN_PROMINENCE_M,
) -> npt.NDArray[np.bool_]:
    """
    Return a mask of the nodes where a road's elevation profile turns (tops and bottoms).

    Each chain ``chain_nodes[chain_offsets[i]:chain_offsets[i+1]]`` is a run of
    roads through degree-2 nodes (what simplification would merge). Its DEM
    profile is sampled every 10 m, smoothed over +-45 m, and scanned for
    extremes that the profile leaves by at least ``prominence_m`` on both
    sides (the usual elevation-gain threshold); the interior node nearest to
    each is returned, so simplification keeps climbs and descents apart.
    """
    tiles = [_open_tile(Path(p)) for p in dem_paths]
    node_count = lat.size
    keep = np.zeros(node_count, dtype=bool)
    chains = chain_offsets.size - 1
    if chains == 0:
        return keep
    vx, vy = lon[chain_nodes], lat[chain_nodes]
    step = haversine_m(vy[:-1], vx[:-1], vy[1:], vx[1:])
    step[chain_offsets[1:-1] - 1] = 1.0  # a 1 m gap between chains on the shared axis
    along = np.concatenate([[0.0], np.cumsum(step)])
    start = along[chain_offsets[:-1]]
    length = along[chain_offsets[1:] - 1] - start

    count = np.floor(length / SAMPLE_STEP_M).astype(np.int64) + 1
    chain_of = np.repeat(np.arange(chains), count)
    base = np.cumsum(count) - count
    k = np.arange(chain_of.size) - base[chain_of]
    position = start[chain_of] + k * SAMPLE_STEP_M
    px, py = _interpolate(vx, vy, along, position)
    heights = np.full(px.shape, np.nan)
    for tile in tiles:
        missing = np.isnan(heights)
        if missing.any():
            heights[missing] = tile.sample(px[missing], py[missing])

    # Moving average within each chain (windows do not cross chain ends).
    half = round(PROFILE_SMOOTHING_M / SAMPLE_STEP_M)
    valid = ~np.isnan(heights)
    csum = np.concatenate([[0.0], np.cumsum(np.where(valid, heights, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(valid)])
    lo = base[chain_of] + np.maximum(k - half, 0)
    hi = base[chain_of] + np.minimum(k + half, count[chain_of] - 1) + 1
    n_in = ccount[hi] - ccount[lo]
    smooth = np.divide(csum[hi] - csum[lo], n_in, out=np.full(px.shape, np.nan), where=n_in > 0)

    relief = np.zeros(chains)
    finite = ~np.isnan(smooth)
    if finite.any():
        top = np.full(chains, -np.inf)
        bottom = np.full(chains, np.inf)
        np.maximum.at(top, chain_of[finite], smooth[finite])
        np.minimum.at(bottom, chain_of[finite], smooth[finite])
        relief = top - bottom
    for c in np.flatnonzero(relief >= 2 * prominence_m).tolist():
        profile = smooth[base[c] : base[c] + count[c]]
        for i in _extremes(profile, prominence_m):
            at = start[c] + i * SAMPLE_STEP_M
            vertices = along[chain_offsets[c] : chain_offsets[c + 1]]
            nearest = int(np.argmin(np.abs(vertices - at)))
            if 0 < nearest < vertices.size - 1:
                keep[chain_nodes[chain_offsets[c] + nearest]] = True
    return keep


def _extremes(profile: FloatArray, prominence: float) -> list[int]:
    """Indices of the extremes a profile leaves by at least ``prominence`` on both sides."""
    finite = np.flatnonzero(~np.isnan(profile))
    if finite.size == 0:
        return []
    values = profile.tolist()
    out: list[int] = []
    i_max = i_min = int(finite[0])
    trend = 0
    for i in finite.tolist():
        v = values[i]
        if trend == 0:
            if v > values[i_max]:
                i_max = i
            if v < values[i_min]:
                i_min = i
            if values[i_max] - values[i_min] >= prominence:
                trend = 1 if i_max > i_min else -1
        elif trend > 0:
            if v > values[i_max]:
                i_max = i
            elif values[i_max] - v >= prominence:
                out.append(i_max)
                trend, i_min = -1, i
        else:
            if v < values[i_min]:
                i_min = i
            elif v - values[i_min] >= prominence:
                out.append(i_min)
                trend, i_max = 1, i
    return out
