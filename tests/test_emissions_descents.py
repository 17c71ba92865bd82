"""
Descents: no free energy (issue 15, item 3).

Oracles: energy conservation and Jensen's inequality, not ecoroute's numbers.
A closed loop has mean grade 0, so a vehicle whose fuel is a convex function of
the grade never burns less on it than on the flat road of the same length;
measured round trips over hills cost more fuel than flat ones (Boriboonsomsin &
Barth 2009). An EV recovers at most ``eta_regen`` of the potential energy it
loses. The hand-computed cases follow the engine model documented in
docs/emissions.md ("Descents").
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecoroute

COMBUSTION = [n for n in ecoroute.vehicles() if not n.endswith("bev")]
ELECTRIC = [n for n in ecoroute.vehicles() if n.endswith("bev")]
MODELS = [(n, m) for n in COMBUSTION for m in ecoroute.vehicle(n).available_models]


@st.composite
def hilly_loops(draw):
    """A closed loop: an outbound profile and a return over the same heights, other lengths."""
    n = draw(st.integers(1, 6))
    lengths = draw(st.lists(st.floats(20.0, 2000.0), min_size=n, max_size=n))
    rises = [draw(st.floats(-0.3, 0.3)) * length for length in lengths]
    order = draw(st.permutations(range(n)))
    back = [abs(rises[i]) / 0.3 * draw(st.floats(1.0, 5.0)) + 1.0 for i in order]
    lengths_m = np.array(lengths + back)
    rise_m = np.array(rises + [-rises[i] for i in order])
    return lengths_m, rise_m / lengths_m


@pytest.mark.parametrize(("name", "model"), MODELS)
@settings(max_examples=60, deadline=None)
@given(
    loop=hilly_loops(),
    speed=st.floats(5.0, 130.0),
    load=st.floats(0.0, 1.0),
    traffic=st.booleans(),
)
def test_combustion_loop_never_emits_less_than_the_flat(name, model, loop, speed, load, traffic):
    lengths, grades = loop
    v = ecoroute.vehicle(name, model=model)
    payload = load * v.max_payload_kg
    hilly = v.co2_g_per_km(speed, grades, payload, traffic=traffic) @ lengths
    flat = v.co2_g_per_km(speed, 0.0, payload, traffic=traffic) * lengths.sum()
    assert hilly >= flat * (1 - 1e-9) - 1e-9


@pytest.mark.parametrize("name", COMBUSTION)
def test_up_and_down_costs_more_than_the_flat_at_every_speed(name):
    """The issue's case: up 4 % plus down 4 % (1 km each) against 2 km of flat road."""
    v = ecoroute.vehicle(name)
    speeds = np.arange(10.0, 131.0, 5.0)
    for grade in (0.02, 0.04, 0.06):
        pair = v.co2_g_per_km(speeds, grade) + v.co2_g_per_km(speeds, -grade)
        assert (pair >= 2 * v.co2_g_per_km(speeds, 0.0)).all(), grade


@pytest.mark.parametrize("name", COMBUSTION)
@pytest.mark.parametrize("speed", [25.0, 50.0, 90.0])
def test_network_ring_over_hills_costs_more_than_flat(name, speed):
    """Through arc_quantities: a ring over random heights against the same ring on the flat."""
    rng = np.random.default_rng(7)
    n = 12
    height = rng.uniform(0.0, 60.0, n)
    tail, head = np.arange(n), (np.arange(n) + 1) % n
    length = rng.uniform(200.0, 800.0, n)
    grade = (height[head] - height[tail]) / length
    lat, lon, speeds = np.linspace(60.0, 60.1, n), np.full(n, 25.0), np.full(n, speed)
    hills = ecoroute.RoadNetwork.from_arrays(
        tail, head, length, speeds, lat, lon, grade=grade, elevation_m=height
    )
    flat = ecoroute.RoadNetwork.from_arrays(tail, head, length, speeds, lat, lon)
    v = ecoroute.vehicle(name)
    assert v.arc_quantities(hills)["co2_g"].sum() >= v.arc_quantities(flat)["co2_g"].sum()


@pytest.mark.parametrize("name", ELECTRIC)
@pytest.mark.parametrize("model", ["physics", "hbefa4"])
@settings(max_examples=60, deadline=None)
@given(
    speed=st.floats(3.0, 150.0),
    grade=st.floats(-0.3, -1e-4),
    load=st.floats(0.0, 1.0),
    traffic=st.booleans(),
)
def test_ev_recovers_at_most_eta_regen_of_the_potential_energy(
    name, model, speed, grade, load, traffic
):
    ev = ecoroute.vehicle(name, model=model)
    payload = load * ev.max_payload_kg
    kwh = float(ev.energy_kwh_per_km(speed, grade, payload, traffic=traffic))
    potential_kwh = ev.mass_kg(payload) * 9.81 * grade * 1000 / 3.6e6  # negative: energy lost
    assert kwh >= ev.regeneration_efficiency * potential_kwh - 1e-12


@pytest.mark.parametrize("name", ELECTRIC)
@pytest.mark.parametrize("model", ["physics", "hbefa4"])
@settings(max_examples=60, deadline=None)
@given(loop=hilly_loops(), speed=st.floats(5.0, 130.0), traffic=st.booleans())
def test_ev_loop_never_gains_energy(name, model, loop, speed, traffic):
    lengths, grades = loop
    ev = ecoroute.vehicle(name, model=model)
    assert ev.energy_kwh_per_km(speed, grades, traffic=traffic) @ lengths >= 0.0


# ------------------------------------------------ the engine on descents, by hand


def _car(**overrides):
    return ecoroute.vehicle("car_petrol", **overrides)


def test_gentle_descent_burns_the_willans_line():
    """
    At -1 % and 50 km/h the car's wheels still pull: fuel per map metre is
    P0 s / v + (W / eta_dt + P_aux s / v) / eta_m with W = m g (Crr + Crr1 v +
    grade) + ½ rho CdA v² s and s = sqrt(1 + grade²).
    """
    car = _car()
    v, grade, m = 50 / 3.6, -0.01, car.mass_kg()
    s = np.sqrt(1 + grade**2)
    crr = car.rolling_resistance + car.rolling_resistance_per_m_s * v
    wheel = m * 9.81 * (crr + grade) + 0.5 * 1.2041 * car.drag_area_m2 * v * v * s
    assert wheel > 0
    p0, aux = car.zero_load_fuel_power_kw * 1e3, car.auxiliary_power_kw * 1e3
    fuel_j_per_m = (
        p0 * s / v + (wheel / car.driveline_efficiency + aux * s / v) / car.engine_efficiency
    )
    assert float(car.fuel_energy_mj_per_km(50.0, grade)) == pytest.approx(
        fuel_j_per_m / 1e3, rel=1e-12
    )


def test_steeper_descent_brakes_on_the_engine_before_the_cut_off():
    """
    At -3 % the wheels push the engine (W < 0): the driveline passes W eta_dt
    back and the injection still runs while P0 + (W eta_dt v + P_aux) / eta_m > 0.
    """
    car = _car()
    v, grade, m = 50 / 3.6, -0.03, car.mass_kg()
    s = np.sqrt(1 + grade**2)
    crr = car.rolling_resistance + car.rolling_resistance_per_m_s * v
    wheel = m * 9.81 * (crr + grade) + 0.5 * 1.2041 * car.drag_area_m2 * v * v * s
    assert wheel < 0
    p0, aux = car.zero_load_fuel_power_kw * 1e3, car.auxiliary_power_kw * 1e3
    fuel = p0 * s / v + (wheel * car.driveline_efficiency + aux * s / v) / car.engine_efficiency
    assert fuel > 0
    assert float(car.fuel_energy_mj_per_km(50.0, grade)) == pytest.approx(fuel / 1e3, rel=1e-12)


def test_steep_descent_cuts_fuel_off_or_idles():
    """
    At -8 % gravity drives the engine: nothing with fuel cut-off, exactly the
    overrun fuel power for the time on the road when the engine idles instead.
    """
    assert float(_car().fuel_energy_mj_per_km(50.0, -0.08)) == 0.0
    idling = _car(overrun_fuel_power_kw=2.0)
    seconds = 1000 * np.sqrt(1 + 0.08**2) / (50 / 3.6)
    assert float(idling.fuel_energy_mj_per_km(50.0, -0.08)) == pytest.approx(2e3 * seconds / 1e6)


@pytest.mark.parametrize("name", COMBUSTION)
def test_fuel_is_continuous_in_the_grade(name):
    """No step where the cut-off sets in: neighbouring grades 0.1 % apart differ by little."""
    v = ecoroute.vehicle(name, model="physics")
    grades = np.arange(-0.3, 0.3, 0.001)
    for speed in (20.0, 50.0, 90.0):
        fuel = v.fuel_energy_mj_per_km(np.full(grades.size, speed), grades)
        # The gravity slope m g / (eta_dt eta_m) per unit grade, in MJ/km, plus up
        # to 10 % for the longer road (sqrt(1 + grade²)) at steep grades. A step
        # at the cut-off would be P0 / v, more than 1 MJ/km at these speeds.
        slope = v.mass_kg() * 9.81 / (v.driveline_efficiency * v.engine_efficiency) * 1e-3
        assert np.abs(np.diff(fuel)).max() <= slope * 0.001 * 1.1


def test_bad_overrun_fuel_is_refused():
    with pytest.raises(ValueError, match="overrun_fuel_power_kw"):
        _car(overrun_fuel_power_kw=-1.0)
