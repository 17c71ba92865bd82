"""
Ferries and car trains (``route=ferry`` / ``route=shuttle_train``), on hand-made maps.

The map: a road 1-2-3 on one shore, a crossing 3-4-5 and a road 5-6-7 on the other
shore, nodes 0.001 degrees apart on the equator (111.195 m each, by the haversine with
R = 6,371,008.8 m, worked out here). The crossing is the only way across. Expectations
follow OSRM's car profile tests (features/car/ferry.feature, shuttle_train.feature) and the
OSM wiki (Key:duration): the crossing takes its ``duration`` (else its length at 5 km/h for
a ferry, 10 km/h for a car train) and the car's engine is off on board.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ecoroute
from ecoroute import NoRouteError, osm_rules

from .osm_helpers import write_osm

STEP_M = math.radians(0.001) * 6_371_008.8  # one 0.001 degree step on the equator
NODES = [
    (1, 0.0, 0.000),
    (2, 0.0, 0.001),
    (3, 0.0, 0.002),
    (4, -0.001, 0.002),
    (5, -0.002, 0.002),
    (6, -0.002, 0.003),
    (7, -0.002, 0.004),
]


def _map(tmp_path, crossing: dict[str, str]):  # type: ignore[no-untyped-def]
    path = write_osm(
        tmp_path / "ferry.osm",
        NODES,
        {
            10: ([1, 2, 3], {"highway": "primary", "maxspeed": "36"}),
            11: ([3, 4, 5], crossing),
            12: ([5, 6, 7], {"highway": "primary", "maxspeed": "36"}),
        },
    )
    return ecoroute.load_osm(path, largest_component=False)


def _crossing_arcs(network):  # type: ignore[no-untyped-def]
    return np.flatnonzero(np.isin(network.highway, ["ferry", "shuttle_train"]))


@pytest.mark.parametrize("duration", ["00:01:00", "0:01", "1", "PT1M", "PT60S"])
def test_ferry_takes_its_duration_and_the_engine_is_off(tmp_path, duration):
    network = _map(tmp_path, {"route": "ferry", "duration": duration})
    crossing = _crossing_arcs(network)
    assert crossing.size == 2  # one arc each way, its terminals kept as nodes
    assert network.length_m[crossing] == pytest.approx(2 * STEP_M, rel=1e-6)
    car = ecoroute.vehicle("car_petrol").arc_quantities(network)
    assert car["time_s"][crossing] == pytest.approx(60.0, rel=1e-9)
    assert (car["co2_g"][crossing] == 0.0).all()
    assert (car["fuel_l"][crossing] == 0.0).all()
    route = ecoroute.Router(network, "car_petrol", "time").route(1, 7)
    assert route.distance_m == pytest.approx(6 * STEP_M, rel=1e-6)
    # 4 road steps at 36 km/h (10 m/s), the crossing in 60 s, no junction costs counted here
    roads = ~np.isin(np.arange(network.arc_count), crossing)
    assert car["time_s"][roads] == pytest.approx(2 * STEP_M / 10.0, rel=1e-6)
    assert route.time_s >= 60.0 + 4 * STEP_M / 10.0 - 1e-6


def test_ferry_without_duration_sails_at_5_kph(tmp_path):
    network = _map(tmp_path, {"route": "ferry"})
    crossing = _crossing_arcs(network)
    time_s = ecoroute.vehicle("car_petrol").arc_quantities(network)["time_s"][crossing]
    assert time_s == pytest.approx(2 * STEP_M / (5.0 / 3.6), rel=1e-6)


def test_car_train_without_duration_runs_at_10_kph(tmp_path):
    network = _map(tmp_path, {"route": "shuttle_train"})
    crossing = _crossing_arcs(network)
    time_s = ecoroute.vehicle("car_petrol").arc_quantities(network)["time_s"][crossing]
    assert time_s == pytest.approx(2 * STEP_M / (10.0 / 3.6), rel=1e-6)
    ecoroute.Router(network, "car_petrol", "time").route(1, 7)  # it carries cars across


@pytest.mark.parametrize("tags", [{"motor_vehicle": "no"}, {"motorcar": "no"}])
def test_ferry_closed_to_cars_is_not_taken(tmp_path, tags):
    network = _map(tmp_path, {"route": "ferry", **tags})
    with pytest.raises(NoRouteError):
        ecoroute.Router(network, "car_petrol", "time").route(1, 7)


def test_other_routes_carry_no_vehicle(tmp_path):
    """``route=ferry_man`` (OSRM's shuttle_train.feature) and bus routes are not roads."""
    network = _map(tmp_path, {"route": "bus"})
    assert _crossing_arcs(network).size == 0
    assert 4 not in network.node_id.tolist()


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("00:01:00", 60.0),
        ("1:30", 5400.0),
        ("45", 2700.0),
        ("PT1H30M", 5400.0),
        ("P1DT2H", 93600.0),
        ("PT0,5M", 30.0),
        ("soon", math.nan),
        ("PT", math.nan),
        ("0:00", math.nan),
        ("", math.nan),
    ],
)
def test_parse_duration(value, seconds):
    got = osm_rules.parse_duration_s(value)
    assert (math.isnan(got) and math.isnan(seconds)) or got == seconds
