"""Elevations and grades from DEM tiles, checked against the rasters read independently."""

from __future__ import annotations

import warnings
import zipfile

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.ndimage import map_coordinates

import ecoroute
from ecoroute.elevation import MAX_GRADE, apply_affine, sample_dem

from .conftest import shared_file

rasterio = pytest.importorskip("rasterio")


def _raster(path):
    with rasterio.open(path) as src:
        return src.read(1).astype(float), src.transform


def test_bilinear_sampling_on_geotiff():
    """
    Tests sampling against the raster read directly: at a pixel centre the
    value is the pixel's; halfway between four centres, their mean.
    """
    path = shared_file("dem/sf-elevation1.tif")
    band, transform = _raster(path)
    r, c = 10, 7
    lon, lat = apply_affine(transform, c + 0.5, r + 0.5)
    assert sample_dem([path], [lon], [lat])[0] == pytest.approx(band[r, c])
    lon, lat = apply_affine(transform, c + 1.0, r + 1.0)
    expected = band[r : r + 2, c : c + 2].mean()
    assert sample_dem([path], [lon], [lat])[0] == pytest.approx(expected)


def test_two_geotiff_tiles_at_once():
    """Tests that points in either of two tiles get heights and points outside both get NaN."""
    one, two = shared_file("dem/sf-elevation1.tif"), shared_file("dem/sf-elevation2.tif")
    b1, t1 = _raster(one)
    b2, t2 = _raster(two)
    p1 = apply_affine(t1, 5.5, 5.5)
    p2 = apply_affine(t2, 5.5, 5.5)
    heights = sample_dem([one, two], [p1[0], p2[0], 0.0], [p1[1], p2[1], 0.0])
    assert_allclose(heights[:2], [b1[5, 5], b2[5, 5]])
    assert np.isnan(heights[2])


def test_zipped_and_unzipped_hgt_agree(tmp_path):
    zipped = shared_file("dem/N43E007.hgt.zip")
    with zipfile.ZipFile(zipped) as z:
        z.extractall(tmp_path)
    plain = tmp_path / "N43E007.hgt"
    lon, lat = np.array([7.42, 7.43]), np.array([43.73, 43.74])
    assert_allclose(sample_dem([zipped], lon, lat), sample_dem([plain], lon, lat))


def _raw_grades(network, tile):
    """Node-to-node grades from the DEM at the nodes (what the issue calls absurd)."""
    band, transform = _raster(f"zip://{tile}!{zipfile.ZipFile(tile).namelist()[0]}")
    col, row = apply_affine(~transform, network.lon, network.lat)
    h = band[np.floor(row).astype(int), np.floor(col).astype(int)]
    return (h[network.head] - h[network.tail]) / np.maximum(network.length_m, 1e-9)


def _length_weighted_quantile(values, weights, q):
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order]) / weights.sum()
    return float(np.interp(q, cumulative, values[order]))


@pytest.mark.parametrize(
    ("name", "tile", "p95_max"),
    [("monaco", "N43E007", 0.20), ("andorra", "N42E001", 0.18)],
)
def test_grades_are_plausible_and_consistent(name, tile, p95_max):
    """
    Tests the grade method on two hilly towns: far below the raw DEM grades,
    95 % of the road length below ``p95_max``, nothing beyond the clip, no
    NaN, and every unclipped grade equal to its rise over its length.
    """
    path = shared_file(f"osm/{name}.osm.pbf")
    dem = shared_file(f"dem/{tile}.hgt.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Andorra: one node on an SRTM void
        network = ecoroute.load_osm(path, dem=dem)
    grade = np.abs(network.grade)
    assert np.isfinite(network.grade).all()
    assert np.isfinite(network.elevation_m).all()
    assert grade.max() <= MAX_GRADE
    raw = np.abs(_raw_grades(network, dem))
    assert np.quantile(grade, 0.95) < 0.75 * np.quantile(raw[np.isfinite(raw)], 0.95)
    assert _length_weighted_quantile(grade, network.length_m, 0.95) < p95_max
    rise = network.elevation_m[network.head] - network.elevation_m[network.tail]
    unclipped = (grade < MAX_GRADE) & (network.length_m > 0) & (np.abs(network.grade) > 0)
    assert_allclose(
        network.grade[unclipped] * network.length_m[unclipped], rise[unclipped], atol=1e-6
    )


def _dem_gain(heights, threshold):
    """Elevation gain of a profile counting only rises of at least ``threshold`` (hysteresis)."""
    heights = heights[np.isfinite(heights)]
    gain, low, high, state = 0.0, heights[0], heights[0], 0
    for h in heights:
        if state >= 0 and h > high:
            high = h
        if state <= 0 and h < low:
            low = h
        if state == 0 and high - low >= threshold:
            state = 1 if h == high else -1
        if state == 1 and high - h >= threshold:  # a top: bank the climb from the last bottom
            gain += high - low
            state, low = -1, h
        elif state == -1 and h - low >= threshold:
            state, high = 1, h
    if state == 1:
        gain += high - low
    return gain


@pytest.mark.parametrize(
    ("name", "tile", "low", "high"),
    [("monaco", "N43E007", 0.7, 1.1), ("andorra", "N42E001", 0.85, 1.1)],
)
def test_route_climb_is_close_to_the_dems(name, tile, low, high):
    """
    Tests that a route's summed climb from our elevations is close to the
    DEM's own gain along the route's geometry (read with rasterio, bilinear
    with scipy, every 10 m, rises under 10 m ignored as noise), and that the
    net change matches.
    """
    dem = shared_file(f"dem/{tile}.hgt.zip")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        network = ecoroute.load_osm(
            shared_file(f"osm/{name}.osm.pbf"), dem=dem, largest_component="strong"
        )
    band, transform = _raster(f"zip://{dem}!{zipfile.ZipFile(dem).namelist()[0]}")
    router = ecoroute.Router(network, objective="time")
    rng = np.random.default_rng(0)
    ratios, net_errors = [], []
    for s, t in rng.choice(network.node_id, (40, 2)):
        route = router.route(int(s), int(t))
        if route.distance_m < 2000:
            continue
        xy = route.coordinates
        steps = ecoroute._geo.haversine_m(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0])
        along = np.r_[0, np.cumsum(steps)]
        at = np.arange(0, along[-1], 10.0)
        lon, lat = np.interp(at, along, xy[:, 0]), np.interp(at, along, xy[:, 1])
        col, row = apply_affine(~transform, lon, lat)
        # Bilinear between pixel centres (scipy, independently of ecoroute's sampler).
        profile = map_coordinates(band, [row - 0.5, col - 0.5], order=1, cval=np.nan)
        profile[profile <= -32000] = np.nan
        nodes = network.node_index(route.nodes)
        ours = np.maximum(np.diff(network.elevation_m[nodes]), 0).sum()
        gain = _dem_gain(profile, 10.0)
        if gain < 10.0:  # a flat trip (along the harbour): no ratio to judge
            continue
        ratios.append(ours / gain)
        finite = profile[np.isfinite(profile)]
        net_errors.append(
            abs(
                (network.elevation_m[nodes[-1]] - network.elevation_m[nodes[0]])
                - (finite[-1] - finite[0])
            )
        )
    assert len(ratios) >= 20
    assert low < np.median(ratios) < high
    assert np.median(net_errors) < 15.0


def test_nodes_outside_the_tiles_get_grade_zero_and_a_warning():
    """A network straddling the south edge of N43E007: the southern nodes are off the tile."""
    lat = [43.02, 43.01, 42.99, 42.98]
    lon = [7.5, 7.5, 7.5, 7.5]
    network = ecoroute.RoadNetwork.from_arrays(
        [0, 1, 2], [1, 2, 3], [1100.0, 2200.0, 1100.0], [50.0] * 3, lat, lon
    )
    with pytest.warns(UserWarning, match="2 of 4 nodes lie outside the DEM tiles"):
        network = network.with_elevation(shared_file("dem/N43E007.hgt.zip"))
    assert np.isfinite(network.elevation_m).all()
    assert network.grade[1] == 0.0
    assert network.grade[2] == 0.0
    assert network.elevation_m[2] == network.elevation_m[1]  # nearest covered node


def test_tiles_that_miss_the_network_raise():
    network = ecoroute.datasets.helsinki()
    with pytest.raises(ecoroute.ElevationError, match="None of the 1 DEM tile"):
        network.with_elevation(shared_file("dem/N43E007.hgt.zip"))


@pytest.mark.parametrize(
    ("content", "match"), [(b"not a zip", "not a valid zip"), (None, "does not exist")]
)
def test_unreadable_tiles_raise(tmp_path, content, match):
    path = tmp_path / "N00E000.hgt.zip"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ecoroute.ElevationError, match=match):
        ecoroute.datasets.helsinki().with_elevation(path)


@pytest.mark.parametrize("fill", [np.inf, -9999.0, 12000.0])
def test_impossible_heights_are_nodata_and_name_the_tile(tmp_path, fill):
    """
    Tests that a GeoTIFF without a nodata tag whose cells hold heights no land has
    (+inf, a -9999 fill value) warns naming the tile, and that those cells are not
    used: a point next to one reads NaN, points away from them read the true plane.
    """
    from rasterio import Affine

    heights = np.add.outer(np.arange(20.0), np.arange(20.0)) * 10  # a plane, 0 .. 380 m
    heights[5, 5] = fill
    path = tmp_path / "patch.tif"
    transform = Affine(0.01, 0.0, 24.0, 0.0, -0.01, 61.0)  # 0.01 degree cells from 61N 24E
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=20,
        width=20,
        count=1,
        dtype="float64",
        crs="EPSG:4326",
        transform=transform,
    ) as dst:
        dst.write(heights, 1)
    lon = np.array([24.0555, 24.155])  # next to the bad cell; far from it
    lat = np.array([60.9445, 60.845])
    with pytest.warns(UserWarning, match=r"patch\.tif: 1 cells hold heights no land has"):
        values = sample_dem([path], lon, lat)
    assert np.isnan(values[0])
    row, col = (61.0 - lat[1]) / 0.01 - 0.5, (lon[1] - 24.0) / 0.01 - 0.5
    assert values[1] == pytest.approx((row + col) * 10, abs=1e-6)
