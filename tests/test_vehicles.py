"""The first vehicle model against published reference values, and the catalogue."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute

# HBEFA 4.2 PC_petrol_Euro-6ab, CO2 g/km at constant speed, measured with SUMO
# 1.28.0 emissionsDrivingCycle (reference notes emission-models.md, §2.4).
SUMO_SPEEDS = [30.0, 50.0, 80.0, 110.0]
SUMO_CO2_FLAT = [196.2, 140.2, 131.1, 156.2]
SUMO_CO2_DOWN_4 = [104.2, 57.0, 45.8, 63.8]
SUMO_CO2_UP_4 = [288.2, 223.4, 216.3, 248.6]
SUMO_FUEL_G_FLAT = [63.6, 45.5, 42.5, 50.6]  # g petrol / km


def test_car_petrol_reproduces_sumo_hbefa4_table():
    """Tests car_petrol CO2 at 30/50/80/110 km/h on -4/0/+4 % against the SUMO table (0.5 %)."""
    car = ecoroute.vehicle("car_petrol")
    assert_allclose(car.co2_g_per_km(SUMO_SPEEDS, 0.0), SUMO_CO2_FLAT, rtol=5e-3)
    assert_allclose(car.co2_g_per_km(SUMO_SPEEDS, -0.04), SUMO_CO2_DOWN_4, rtol=5e-3)
    assert_allclose(car.co2_g_per_km(SUMO_SPEEDS, 0.04), SUMO_CO2_UP_4, rtol=5e-3)
    assert_allclose(car.fuel_l_per_km(SUMO_SPEEDS) * 742.0, SUMO_FUEL_G_FLAT, rtol=1e-2)


def test_car_petrol_broadcasts_and_clamps_speed():
    """Tests broadcasting of speed against grade, and that speeds outside 10-130 km/h are clamped."""
    car = ecoroute.vehicle("car_petrol")
    grid = car.co2_g_per_km(np.array([[50.0], [80.0]]), np.array([-0.02, 0.0, 0.02]))
    assert grid.shape == (2, 3)
    assert (np.diff(grid, axis=1) > 0).all()  # uphill costs more
    assert car.co2_g_per_km(5.0) == pytest.approx(car.co2_g_per_km(10.0))
    assert car.co2_g_per_km(200.0) == pytest.approx(car.co2_g_per_km(130.0))


@pytest.mark.parametrize(
    ("speed", "grade", "match"),
    [
        (0.0, 0.0, "speed_kph must be > 0"),
        (-10.0, 0.0, "speed_kph must be > 0"),
        (np.nan, 0.0, "speed_kph is NaN"),
        (50.0, 0.31, "grade must be <= 0.3"),
        (50.0, -0.5, "grade must be >= -0.3"),
        (50.0, np.nan, "grade is NaN"),
    ],
)
def test_vehicle_rejects_bad_inputs(speed, grade, match):
    with pytest.raises(ValueError, match=match):
        ecoroute.vehicle("car_petrol").co2_g_per_km(speed, grade)


def test_unknown_vehicle_suggests_close_matches():
    with pytest.raises(ecoroute.UnknownVehicleError, match="Did you mean car_petrol") as info:
        ecoroute.vehicle("car_petorl")
    assert isinstance(info.value, KeyError)
    assert "car_petrol" in ecoroute.vehicles()


def test_overrides_make_a_new_vehicle():
    car = ecoroute.vehicle("car_petrol", max_speed_kph=100.0)
    assert car.co2_g_per_km(120.0) == pytest.approx(car.co2_g_per_km(100.0))
    with pytest.raises(TypeError):
        ecoroute.vehicle("car_petrol", wings=2)


def test_router_weights_are_rate_times_length():
    """Tests that the per-arc CO2 is the per-km model at the arc's speed and grade times its length."""
    from .helpers import random_network

    network = random_network(0)
    router = ecoroute.Router(network, "car_petrol", "co2")
    car = ecoroute.vehicle("car_petrol")
    expected = car.co2_g_per_km(network.speed_kph, network.grade) * network.length_m / 1000
    assert_allclose(router.arc_quantities["co2_g"], expected, rtol=1e-12)
    assert_allclose(router.weight, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("objective", "error", "match"),
    [
        ("energy", ValueError, "does not report energy_kwh"),
        ("speed", ValueError, "Unknown objective 'speed'"),
        ({"co2": -1.0}, ValueError, "must be finite and >= 0"),
        ({"co2": 0.0}, ValueError, "at least one positive"),
        ({}, ValueError, "empty"),
        (3, TypeError, "objective must be"),
    ],
)
def test_router_rejects_bad_objectives(objective, error, match):
    from .helpers import random_network

    with pytest.raises(error, match=match):
        ecoroute.Router(random_network(0), "car_petrol", objective)
