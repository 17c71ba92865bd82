"""The vehicle catalogue and API: names, parameters, overrides, models, errors, network weights."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.emissions import HBEFA4_CLASSES, Fuel

from .helpers import random_network

FLEET = [
    "car_petrol",
    "car_diesel",
    "car_bev",
    "van_diesel",
    "van_bev",
    "truck_7_5t_diesel",
    "truck_18t_diesel",
    "truck_26t_diesel",
    "truck_40t_diesel",
    "truck_18t_bev",
    "truck_40t_bev",
    "bus_diesel",
]
ELECTRIC = {"car_bev", "van_bev", "truck_18t_bev", "truck_40t_bev"}

# HBEFA 4.2 PC_petrol_Euro-6ab, CO2 g/km at constant speed, measured with SUMO
# 1.28.0 emissionsDrivingCycle (the research notes' table; docs/emissions.md, "HBEFA 4.2").
SUMO_SPEEDS = [30.0, 50.0, 80.0, 110.0]
SUMO_CO2_FLAT = [196.2, 140.2, 131.1, 156.2]
SUMO_CO2_DOWN_4 = [104.2, 57.0, 45.8, 63.8]
SUMO_CO2_UP_4 = [288.2, 223.4, 216.3, 248.6]
SUMO_FUEL_G_FLAT = [63.6, 45.5, 42.5, 50.6]  # g petrol / km

# IPCC 2006 Vol. 2 Ch. 3 Table 3.2.1: kg CO2 per TJ = g per MJ.
IPCC_G_CO2_PER_MJ = {"petrol": 69.3, "diesel": 74.1, "cng": 56.1}


def test_catalogue_lists_the_fleet():
    assert ecoroute.vehicles() == sorted(FLEET)
    for name in FLEET:
        v = ecoroute.vehicle(name)
        assert v.name == name
        assert v.description
        assert v.sources, f"{name} must say where its parameters come from"
        assert isinstance(
            v, ecoroute.ElectricVehicle if name in ELECTRIC else ecoroute.CombustionVehicle
        )


@pytest.mark.parametrize("name", FLEET)
def test_every_vehicle_is_vectorised_and_reports_its_quantities(name):
    """Tests broadcasting (speeds x grades) and the per-km methods each powertrain has."""
    v = ecoroute.vehicle(name)
    speeds = np.array([[20.0], [50.0], [90.0]])
    grades = np.array([-0.06, -0.02, 0.0, 0.03, 0.08])
    co2 = v.co2_g_per_km(speeds, grades)
    assert co2.shape == (3, 5)
    assert np.isfinite(co2).all()
    assert (np.diff(co2, axis=1) >= 0).all(), "CO2 must not fall as the road climbs"
    assert (co2[:, 2] > 0).all()
    if name in ELECTRIC:
        energy = v.energy_kwh_per_km(speeds, grades)
        assert (energy[:, 0] < 0).all(), "an EV recovers energy on a 6 % descent"
        assert_allclose(co2, energy * v.grid_g_per_kwh / v.charging_efficiency)
    else:
        assert (co2 >= 0).all(), "fuel cut-off: never negative"
        fuel_l = v.fuel_l_per_km(speeds, grades)
        assert fuel_l.shape == (3, 5)
        # Litres -> MJ through the fuel's density and heating value, then IPCC 2006.
        spec = v.fuel_spec
        mj = fuel_l * spec.density_kg_per_l * spec.lower_heating_value_mj_per_kg
        assert_allclose(co2, mj * IPCC_G_CO2_PER_MJ[spec.name], rtol=1e-12)
    wtw = v.co2e_wtw_g_per_km(speeds, grades)
    assert (np.abs(wtw) >= np.abs(co2)).all()


def test_litres_follow_from_co2_by_heating_value_and_density():
    """
    Tests litres against CO2 by hand: petrol 69.3 g CO2/MJ, 43.2 MJ/kg, 0.745
    kg/L; diesel 74.1, 43.1, 0.832 (IPCC 2006; JEC fuel properties).
    """
    factors = {"car_petrol": (69.3, 43.2, 0.745), "van_diesel": (74.1, 43.1, 0.832)}
    for name, (g_per_mj, mj_per_kg, kg_per_l) in factors.items():
        v = ecoroute.vehicle(name)
        for traffic in (False, True):
            co2 = v.co2_g_per_km([30.0, 90.0], 0.02, traffic=traffic)
            litres = v.fuel_l_per_km([30.0, 90.0], 0.02, traffic=traffic)
            assert_allclose(litres, co2 / g_per_mj / mj_per_kg / kg_per_l, rtol=1e-12)


def test_flat_fuel_consumption_in_traffic_is_plausible():
    """
    Tests litres per 100 km on network arcs at 50 km/h against a published
    class turned into litres: the car against HBEFA4 PC_petrol_Euro-6ab (140.2 g
    CO2/km / 69.3 g/MJ / 43.2 MJ/kg / 0.745 kg/L = 6.1 L), the van against COPERT
    5 N1-III (2.752 MJ/km / 43.1 / 0.832 = 7.7 L), within 15 %.
    """
    car = ecoroute.vehicle("car_petrol").fuel_l_per_km(50.0, traffic=True) * 100
    assert car == pytest.approx(140.2 / 69.3 / 43.2 / 0.745 * 100, rel=0.15)
    van = ecoroute.vehicle("van_diesel").fuel_l_per_km(50.0, traffic=True) * 100
    assert van == pytest.approx(2.752 / 43.1 / 0.832 * 100, rel=0.15)


def test_well_to_wheel_uses_the_directive_intensities():
    """
    Tests co2e_wtw_g = fuel MJ x life-cycle intensity of Directive (EU) 2015/652
    (diesel 95.1, petrol 93.3 g CO2e/MJ) and grid / charging efficiency for EVs.
    """
    diesel = ecoroute.vehicle("van_diesel")
    ratio = diesel.co2e_wtw_g_per_km(60.0) / diesel.co2_g_per_km(60.0)
    assert ratio == pytest.approx(95.1 / 74.1)
    petrol = ecoroute.vehicle("car_petrol")
    assert petrol.co2e_wtw_g_per_km(60.0) / petrol.co2_g_per_km(60.0) == pytest.approx(93.3 / 69.3)
    ev = ecoroute.vehicle("car_bev", grid_g_per_kwh=300.0, grid_wtw_g_per_kwh=360.0)
    kwh = ev.energy_kwh_per_km(60.0)
    assert ev.co2_g_per_km(60.0) == pytest.approx(kwh * 300.0 / 0.85)
    assert ev.co2e_wtw_g_per_km(60.0) == pytest.approx(kwh * 360.0 / 0.85)


def test_grid_intensity_override_scales_ev_co2():
    clean = ecoroute.vehicle("car_bev", grid_g_per_kwh=50.0)
    dirty = ecoroute.vehicle("car_bev", grid_g_per_kwh=700.0)
    assert dirty.co2_g_per_km(70.0) == pytest.approx(14 * clean.co2_g_per_km(70.0))
    assert clean.energy_kwh_per_km(70.0) == pytest.approx(dirty.energy_kwh_per_km(70.0))


def test_payload_changes_consumption_and_defaults_to_the_vehicle():
    truck = ecoroute.vehicle("truck_40t_diesel")
    empty, half, full = (truck.co2_g_per_km(80.0, 0.02, payload_kg=p) for p in (0, 12650, 25300))
    assert empty < half < full
    assert truck.co2_g_per_km(80.0, 0.02) == pytest.approx(half)
    heavier = ecoroute.vehicle("truck_40t_diesel", payload_kg=25300)
    assert heavier.co2_g_per_km(80.0, 0.02) == pytest.approx(full)
    # Physics: the extra 12,650 kg costs m g (Crr + grade) per map km at the
    # wheel, through eta_dt and eta_m, times 74.1 g/MJ.
    grade = 0.02
    wheel_mj = 12650 * 9.81 * (truck.rolling_resistance + grade) * 1000 / 1e6
    eta = truck.driveline_efficiency * truck.engine_efficiency
    assert full - half == pytest.approx(wheel_mj / eta * 74.1, rel=1e-9)


@pytest.mark.parametrize(
    ("speed", "grade", "payload", "error", "match"),
    [
        (0.0, 0.0, None, ValueError, "speed_kph must be > 0"),
        (-10.0, 0.0, None, ValueError, "speed_kph must be > 0"),
        (np.nan, 0.0, None, ValueError, "speed_kph is NaN"),
        (np.inf, 0.0, None, ValueError, "speed_kph is NaN or infinite"),
        (50.0, 0.31, None, ValueError, "grade must be <= 0.3"),
        (50.0, -0.5, None, ValueError, "grade must be >= -0.3"),
        (50.0, np.nan, None, ValueError, "grade is NaN"),
        (50.0, 0.0, -1.0, ValueError, "payload_kg must be >= 0"),
        (50.0, 0.0, np.nan, ValueError, "payload_kg must be >= 0"),
        (50.0, 0.0, 30000.0, ValueError, "above truck_40t_diesel's maximum payload of 25300 kg"),
        (50.0, 0.0, "heavy", TypeError, "payload_kg must be a number"),
        ("fast", 0.0, None, ValueError, "could not convert"),
    ],
)
def test_vehicle_rejects_bad_inputs(speed, grade, payload, error, match):
    with pytest.raises(error, match=match):
        ecoroute.vehicle("truck_40t_diesel").co2_g_per_km(speed, grade, payload_kg=payload)


def test_bad_values_in_arrays_are_located():
    with pytest.raises(ValueError, match="index 2"):
        ecoroute.vehicle("car_bev").energy_kwh_per_km([50.0, 60.0, -1.0])


@pytest.mark.parametrize(
    ("overrides", "error", "match"),
    [
        ({"payload_kg": 2000.0}, ValueError, "above van_diesel's maximum payload of 1575 kg"),
        ({"payload_kg": -5.0}, ValueError, "payload_kg must be >= 0"),
        ({"model": "copert"}, ValueError, "has no 'copert' model; choose one of physics, hbefa4"),
        ({"engine_efficiency": 1.3}, ValueError, "engine_efficiency must be a number > 0 and <= 1"),
        ({"curb_mass_kg": 0.0}, ValueError, "curb_mass_kg must be a number > 0"),
        ({"drag_area_m2": np.nan}, ValueError, "drag_area_m2 must be a number >= 0"),
        ({"fuel": "kerosene"}, ValueError, "Unknown fuel 'kerosene'"),
        ({"payload": 100.0}, TypeError, "no parameter 'payload'. Did you mean payload_kg"),
    ],
)
def test_bad_overrides_are_refused_with_the_fix(overrides, error, match):
    with pytest.raises(error, match=match):
        ecoroute.vehicle("van_diesel", **overrides)


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"charging_efficiency": 0.0}, "charging_efficiency must be a number > 0"),
        (
            {"regeneration_efficiency": 1.2},
            "regeneration_efficiency must be a number >= 0 and <= 1",
        ),
        ({"grid_g_per_kwh": -1.0}, "grid_g_per_kwh must be a number >= 0"),
    ],
)
def test_bad_ev_overrides_are_refused(overrides, match):
    with pytest.raises(ValueError, match=match):
        ecoroute.vehicle("car_bev", **overrides)


def test_unknown_vehicle_suggests_close_matches():
    with pytest.raises(ecoroute.UnknownVehicleError, match="Did you mean car_petrol") as info:
        ecoroute.vehicle("car_petorl")
    assert isinstance(info.value, KeyError)
    with pytest.raises(ecoroute.UnknownVehicleError, match="truck_40t_diesel"):
        ecoroute.vehicle("truck_40t")


def test_the_model_is_a_choice_per_vehicle():
    """Tests that model= switches between physics, HBEFA4 and COPERT, and that they differ."""
    assert ecoroute.vehicle("bus_diesel").model == "copert"
    assert ecoroute.vehicle("truck_40t_diesel").model == "physics"
    assert ecoroute.vehicle("bus_diesel").available_models == ("physics", "hbefa4", "copert")
    bus = {
        m: ecoroute.vehicle("bus_diesel", model=m).co2_g_per_km(50.0)
        for m in ("physics", "hbefa4", "copert")
    }
    assert len({round(float(x)) for x in bus.values()}) == 3


def test_car_petrol_hbefa4_model_reproduces_sumo():
    """Tests the HBEFA4 model of car_petrol against SUMO's table (0.5 %), grade included."""
    car = ecoroute.vehicle("car_petrol", model="hbefa4")
    assert_allclose(car.co2_g_per_km(SUMO_SPEEDS, 0.0), SUMO_CO2_FLAT, rtol=5e-3)
    assert_allclose(car.co2_g_per_km(SUMO_SPEEDS, -0.04), SUMO_CO2_DOWN_4, rtol=5e-3)
    assert_allclose(car.co2_g_per_km(SUMO_SPEEDS, 0.04), SUMO_CO2_UP_4, rtol=5e-3)
    # SUMO's fuel is a blend with 3.084 g CO2 per g; ours turns the same CO2 into
    # fuel at IPCC's 69.3 g/MJ and 43.2 MJ/kg (2.99 g/g): 3 % more fuel mass.
    fuel_g = car.fuel_kg_per_km(SUMO_SPEEDS) * 1000
    assert_allclose(fuel_g, np.array(SUMO_FUEL_G_FLAT) * 3.084 / (69.3 * 43.2 / 1000), rtol=5e-3)


def test_hbefa4_model_clamps_speed_to_the_fit_range():
    car = ecoroute.vehicle("car_petrol", model="hbefa4")
    assert car.co2_g_per_km(5.0) == pytest.approx(car.co2_g_per_km(10.0))
    assert car.co2_g_per_km(200.0) == pytest.approx(car.co2_g_per_km(130.0))
    narrow = dataclasses.replace(HBEFA4_CLASSES["PC_petrol_Euro-6ab"], max_speed_kph=100.0)
    car = ecoroute.vehicle("car_petrol", model="hbefa4", hbefa4=narrow)
    assert car.co2_g_per_km(120.0) == pytest.approx(car.co2_g_per_km(100.0))


def test_user_defined_vehicle_from_parameters():
    """
    Tests a vehicle built from parameters alone: a CNG city bus on the physics
    model, whose CO2 per MJ must be IPCC's 56.1 g and whose fuel is in kg.
    """
    bus = ecoroute.CombustionVehicle(
        name="my_cng_bus",
        fuel="cng",
        curb_mass_kg=12500.0,
        max_payload_kg=6000.0,
        payload_kg=1500.0,
        drag_area_m2=5.2,
        rolling_resistance=0.006,
        auxiliary_power_kw=6.0,
        driveline_efficiency=0.88,
        engine_efficiency=0.36,
        zero_load_fuel_power_kw=25.0,
    )
    mj = bus.fuel_energy_mj_per_km(40.0)
    assert bus.co2_g_per_km(40.0) == pytest.approx(mj * 56.1)
    assert bus.fuel_kg_per_km(40.0) == pytest.approx(mj / 48.0)
    assert bus.quantities == ("co2_g", "co2e_wtw_g", "fuel_kg")
    with pytest.raises(ValueError, match="a gas: use fuel_kg_per_km"):
        bus.fuel_l_per_km(40.0)
    blend = Fuel(
        name="b7", co2_g_per_mj=69.0, wtt_co2e_g_per_mj=25.0,
        lower_heating_value_mj_per_kg=42.9, density_kg_per_l=0.84,
    )  # fmt: skip
    custom = bus.replace(name="b7_bus", fuel=blend)
    assert custom.energy_carrier == "b7"
    assert custom.co2e_wtw_g_per_km(40.0) == pytest.approx(mj * 94.0)
    routes = ecoroute.Router(random_network(1), custom, "fuel")
    assert "fuel_l" in routes.arc_quantities


@pytest.mark.parametrize("name", FLEET)
def test_router_weights_are_rate_times_length(name):
    """Tests that every per-arc quantity is the per-km model at the arc's speed and grade times its length."""
    base = random_network(0)
    rng = np.random.default_rng(0)
    network = ecoroute.RoadNetwork.from_arrays(
        base.tail, base.head, base.length_m, base.speed_kph, base.lat, base.lon,
        node_id=base.node_id, grade=rng.uniform(-0.05, 0.05, base.arc_count),
    )  # fmt: skip
    v = (
        ecoroute.vehicle(name, regeneration_efficiency=0.0)
        if name in ELECTRIC
        else ecoroute.vehicle(name)
    )
    router = ecoroute.Router(network, v, "co2")
    km = network.length_m / 1000
    # Arcs without a road class: a vehicle with a speed limiter drives no faster than it.
    limiter = getattr(v, "top_speed_kph", None)
    speed = network.speed_kph if limiter is None else np.minimum(network.speed_kph, limiter)
    expected = v.co2_g_per_km(speed, network.grade, traffic=True) * km
    assert_allclose(router.arc_quantities["co2_g"], expected, rtol=1e-12)
    assert_allclose(router.weight, expected, rtol=1e-12)
    other = "energy_kwh" if name in ELECTRIC else "fuel_l"
    per_km = v.energy_kwh_per_km if name in ELECTRIC else v.fuel_l_per_km
    rate = per_km(speed, network.grade, traffic=True)
    assert_allclose(router.arc_quantities[other], rate * km)
    assert "co2e_wtw_g" in router.arc_quantities


def test_traffic_dynamics_by_hand():
    """
    Tests the traffic term on arcs: at 40 km/h the wheels do 105 J/kg/km more
    work, which costs m x 105 J / (eta_dt eta_m) of fuel for a combustion car,
    m x 105 J x (1/eta_prop - eta_regen) of battery for an EV; nothing from
    90 km/h, and nothing while the engine runs in overrun.
    """
    car = ecoroute.vehicle("car_petrol")
    mass = car.mass_kg()
    extra_g = mass * 105.0 / (car.driveline_efficiency * car.engine_efficiency) / 1e6 * 69.3
    assert car.co2_g_per_km(40.0, traffic=True) - car.co2_g_per_km(40.0) == pytest.approx(extra_g)
    assert car.co2_g_per_km(95.0, traffic=True) == pytest.approx(car.co2_g_per_km(95.0))
    assert car.co2_g_per_km(40.0, -0.12, traffic=True) == 0.0
    ev = ecoroute.vehicle("car_bev")
    eta = 1 / ev.propulsion_efficiency - ev.regeneration_efficiency
    extra_kwh = ev.mass_kg() * 105.0 * eta / 3.6e6
    gained = ev.energy_kwh_per_km(40.0, -0.03, traffic=True) - ev.energy_kwh_per_km(40.0, -0.03)
    assert gained == pytest.approx(extra_kwh)
    steady = ecoroute.vehicle("car_petrol", traffic_dynamics=False)
    assert steady.co2_g_per_km(40.0, traffic=True) == pytest.approx(car.co2_g_per_km(40.0))
    # COPERT averages real driving already: no extra term.
    bus = ecoroute.vehicle("bus_diesel")
    assert bus.co2_g_per_km(30.0, traffic=True) == pytest.approx(bus.co2_g_per_km(30.0))


def test_router_payload_reaches_the_weights():
    network = random_network(2)
    light = ecoroute.Router(network, "truck_40t_diesel", "co2", payload_kg=0.0)
    heavy = ecoroute.Router(network, "truck_40t_diesel", "co2", payload_kg=25300.0)
    moving = network.length_m > 0
    assert (heavy.weight[moving] > light.weight[moving]).all()
    with pytest.raises(ValueError, match="maximum payload"):
        ecoroute.Router(network, "truck_40t_diesel", "co2", payload_kg=26000.0)


def test_network_grades_beyond_30_percent_are_clipped():
    """Tests that SRTM-style absurd grades are clipped to ±30 % on arcs, not refused."""
    base = random_network(3)
    grade = np.where(np.arange(base.arc_count) % 2 == 0, 0.9, -0.9)
    network = ecoroute.RoadNetwork.from_arrays(
        base.tail, base.head, base.length_m, base.speed_kph, base.lat, base.lon, grade=grade
    )
    car = ecoroute.vehicle("car_petrol")
    co2 = car.arc_quantities(network)["co2_g"]
    clipped = np.clip(grade, -0.3, 0.3)
    expected = car.co2_g_per_km(network.speed_kph, clipped, traffic=True) * network.length_m / 1000
    assert_allclose(co2, expected)


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
    with pytest.raises(error, match=match):
        ecoroute.Router(random_network(0), "car_petrol", objective)


def test_every_objective_of_each_powertrain_routes():
    network = random_network(4)
    for objective in ("co2", "co2e_wtw", "fuel", "time", "distance"):
        ecoroute.Router(network, "van_diesel", objective)
    for objective in ("co2", "co2e_wtw", "energy", "time"):
        ecoroute.Router(network, "van_bev", objective)
    with pytest.raises(ValueError, match="does not report fuel_l"):
        ecoroute.Router(network, "van_bev", "fuel")
