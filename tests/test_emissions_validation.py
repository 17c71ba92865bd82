"""
The catalogue against independent published references: COPERT 5 / EMEP-EEA, HBEFA via SUMO,
PHEMlight, RouteE, and SUMO's EV models.

Every expected number below is typed in from the reference notes
(``emission-models.md``) or the COPERT 5 export they cite, never computed by
ecoroute. Tolerances are the issue's (±15 % cars vs HBEFA4, ±10 % trucks vs
COPERT) unless a comment says why another is honest.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.emissions import URBAN_BUS_STD_DIESEL_EURO_VI_EC, read_emep_eea_csv

from .conftest import shared_file

DIESEL_G_PER_MJ = 74.1  # IPCC 2006

# ------------------------------------------------------------------ passenger cars

SPEEDS = [30.0, 50.0, 80.0, 110.0]
# §2.4 (SUMO 1.28.0 emissionsDrivingCycle, constant speed) and §4.3 (RouteE Camry,
# g CO2/km at 8,887 g/gal): petrol car CO2 g/km at -4 %, 0 %, +4 %.
PETROL_CAR_MODELS = {
    "HBEFA4 PC_petrol_Euro-6ab": {
        -0.04: [104.2, 57.0, 45.8, 63.8], 0.0: [196.2, 140.2, 131.1, 156.2],
        0.04: [288.2, 223.4, 216.3, 248.6]},
    "HBEFA3 PC_G_EU6": {
        -0.04: [130.4, 58.8, 54.8, 84.7], 0.0: [222.4, 150.8, 146.8, 176.7],
        0.04: [314.4, 242.8, 238.8, 268.7]},
    "PHEMlight5 PC_EU4_G": {
        -0.04: [0.0, 0.0, 70.2, 111.0], 0.0: [180.2, 144.9, 149.9, 174.4],
        0.04: [266.9, 225.7, 213.0, 246.7]},
    "PHEMlight PC_G_EU4": {
        -0.04: [170.3, 101.7, 74.4, 87.7], 0.0: [206.6, 142.2, 123.9, 152.4],
        0.04: [254.3, 191.0, 187.9, 215.7]},
    "RouteE Camry 2016": {
        -0.04: [201.0, 130.0, 69.0, 69.0], 0.0: [283.0, 206.0, 163.0, 181.0],
        0.04: [391.0, 332.0, 295.0, 344.0]},
}  # fmt: skip


def test_car_petrol_flat_within_15_percent_of_hbefa4():
    """Tests car_petrol (physics) flat CO2 against HBEFA4 via SUMO: 196/140/131/156 g/km, ±15 %."""
    car = ecoroute.vehicle("car_petrol")
    assert car.model == "physics"
    assert_allclose(car.co2_g_per_km(SPEEDS), [196.2, 140.2, 131.1, 156.2], rtol=0.15)


def test_car_petrol_climb_within_the_spread_of_models():
    """
    Tests car_petrol CO2 at +4 % against the spread of five independent models
    (HBEFA4, HBEFA3, PHEMlight5, PHEMlight, RouteE Camry) at every speed.
    """
    car = ecoroute.vehicle("car_petrol")
    ours = car.co2_g_per_km(SPEEDS, 0.04)
    table = np.array([m[0.04] for m in PETROL_CAR_MODELS.values()])
    assert (table.min(axis=0) <= ours).all(), (ours, table.min(axis=0))
    assert (ours <= table.max(axis=0)).all(), (ours, table.max(axis=0))


def test_car_petrol_descent_within_the_spread_of_models():
    """
    Tests CO2 at -4 %. At 30 and 50 km/h it lies within the five models'
    spread (PHEMlight5 cuts fuel off there too). At 80 and 110 km/h the physics
    engine still runs in overrun with the injection cut off while the fitted
    models keep burning: ours must then not exceed any of them.
    """
    car = ecoroute.vehicle("car_petrol")
    ours = car.co2_g_per_km(SPEEDS, -0.04)
    table = np.array([m[-0.04] for m in PETROL_CAR_MODELS.values()])
    assert (table.min(axis=0)[:2] <= ours[:2]).all()
    assert (ours[:2] <= table.max(axis=0)[:2]).all()
    assert (ours[2:] <= table.min(axis=0)[2:]).all()


def test_car_petrol_grade_sensitivity_at_50_km_h():
    """
    Tests d(CO2)/d(grade) at 50 km/h against §2.5: HBEFA4 20.8, HBEFA3 23.0,
    PHEMlight5 21.7, RouteE Camry 32.0 g/km per +1 %.
    """
    car = ecoroute.vehicle("car_petrol")
    per_percent = float(car.co2_g_per_km(50.0, 0.01) - car.co2_g_per_km(50.0, 0.0))
    assert 20.8 <= per_percent <= 32.0


def test_car_petrol_hbefa4_is_the_cheaper_climber():
    """Tests that the model switch matters: HBEFA4 climbs 20.8 g/km per % at 50 km/h (§2.5)."""
    car = ecoroute.vehicle("car_petrol", model="hbefa4")
    per_percent = float(car.co2_g_per_km(50.0, 0.01) - car.co2_g_per_km(50.0, 0.0))
    assert per_percent == pytest.approx(20.8, rel=0.03)


def test_car_petrol_in_traffic_against_routee_camry():
    """
    Tests car_petrol's arc rate (constant-speed physics plus traffic's
    accelerations) against RouteE Powertrain's 2016 Camry, a link model trained
    on real drive cycles (§4.3, real-world factor 1.166 removed), within ±10 %
    at 30/50/80/110 km/h; without the traffic term 30 and 50 km/h are ~20 % low.
    """
    camry = np.array([283.0, 206.0, 163.0, 181.0]) / 1.166
    car = ecoroute.vehicle("car_petrol")
    assert_allclose(car.co2_g_per_km(SPEEDS, traffic=True), camry, rtol=0.10)
    assert (car.co2_g_per_km(SPEEDS[:2]) < 0.82 * camry[:2]).all()


def test_traffic_work_is_the_copert_bus_excess_over_steady_physics():
    """
    Tests the provenance of the traffic curve: EMEP/EEA urban-bus energy minus
    the constant-speed physics of the same bus, turned back into wheel work per
    kg, reproduces the tabulated J/kg/km within 1.
    """
    from ecoroute.emissions.physics import TRAFFIC_SPEEDS_KPH, TRAFFIC_WORK_J_PER_KG_KM

    speeds = np.array(TRAFFIC_SPEEDS_KPH[:-1])
    copert = ecoroute.vehicle("bus_diesel").fuel_energy_mj_per_km(speeds)
    physics = ecoroute.vehicle("bus_diesel", model="physics")
    steady = physics.fuel_energy_mj_per_km(speeds)
    work = (copert - steady) * 1e6 * (0.89 * 0.42) / physics.mass_kg()
    assert_allclose(work, TRAFFIC_WORK_J_PER_KG_KM[:-1], atol=1.0)


def test_cars_and_van_at_120_km_h_against_copert():
    """
    Tests flat energy at 120 km/h against COPERT 5 check values (§1.4, the
    annex EF at the clamped speed): PC Petrol Medium Euro 6 2.6537, PC Diesel
    Medium Euro 6 2.2325, LCV Diesel N1-III Euro 6 3.5568 MJ/km, ±10 %.
    """
    assert ecoroute.vehicle("car_petrol").fuel_energy_mj_per_km(120.0) == pytest.approx(
        2.6537, rel=0.10
    )
    assert ecoroute.vehicle("car_diesel").fuel_energy_mj_per_km(120.0) == pytest.approx(
        2.2325, rel=0.10
    )
    assert ecoroute.vehicle("van_diesel").fuel_energy_mj_per_km(120.0) == pytest.approx(
        3.5568, rel=0.10
    )


def test_car_diesel_flat_within_15_percent_of_hbefa4():
    """Tests car_diesel flat CO2 against HBEFA4 PC_diesel_Euro-6ab via SUMO (§2.4), ±15 %."""
    car = ecoroute.vehicle("car_diesel")
    assert_allclose(car.co2_g_per_km(SPEEDS), [205.7, 156.4, 149.8, 174.4], rtol=0.15)


def test_cars_fuel_optimal_speed_is_in_the_literature_range():
    """Tests that each car's most economical constant speed lies in 50-80 km/h (§5 (d))."""
    speeds = np.arange(20.0, 130.0, 0.5)
    for name in ("car_petrol", "car_diesel"):
        best = speeds[np.argmin(ecoroute.vehicle(name).co2_g_per_km(speeds))]
        assert 50.0 <= best <= 80.0, (name, best)


# ------------------------------------------------------------------ heavy trucks
# COPERT 5.x export (smartgov-liris/SmartGovLezModel, input/copert/
# Hot_Emissions_Parameters_France.csv, commit 3cf62783), Diesel Euro VI DPF+SCR,
# FC/EC MJ/km at min(120 km/h, Vmax) (85 km/h unless noted); the 12-14 t and
# 34-40 t rows are reproduced in the reference notes §1.4.
COPERT_TRUCKS = {
    # segment: {(slope, load): MJ/km}
    "Rigid 12 - 14 t": {(0.0, 0.0): 5.6130, (0.0, 0.5): 5.6677, (0.0, 1.0): 6.2293,
                        (0.02, 0.5): 11.4280},
    "Rigid 14 - 20 t": {(0.0, 0.0): 6.4758, (0.0, 0.5): 6.4635, (0.0, 1.0): 7.1450,
                        (0.02, 0.0): 10.5323, (0.02, 0.5): 13.1616, (0.02, 1.0): 15.3366},
    "Articulated 34 - 40 t": {(0.0, 0.0): 7.0058, (0.0, 0.5): 9.3237, (0.0, 1.0): 11.3972,
                              (0.02, 0.0): 13.6589, (0.02, 0.5): 21.6039},
}  # fmt: skip


def _truck_mj(name: str, grade: float, load: float, speed: float = 85.0) -> float:
    truck = ecoroute.vehicle(name)
    return float(truck.fuel_energy_mj_per_km(speed, grade, payload_kg=load * truck.max_payload_kg))


def test_truck_40t_flat_half_load_within_10_percent_of_copert():
    """Tests truck_40t_diesel, flat, 50 % load, 85 km/h vs COPERT Articulated 34-40 t: 9.3237 MJ/km."""
    assert _truck_mj("truck_40t_diesel", 0.0, 0.5) == pytest.approx(9.3237, rel=0.10)
    assert ecoroute.vehicle("truck_40t_diesel").co2_g_per_km(85.0) == pytest.approx(
        9.3237 * DIESEL_G_PER_MJ, rel=0.10
    )


def test_truck_18t_flat_half_load_within_10_percent_of_copert():
    """
    Tests truck_18t_diesel, flat, 50 % load, 85 km/h against COPERT Rigid
    14-20 t (its class: 6.4635 MJ/km), ±10 %, and against the lighter Rigid
    12-14 t of §1.4 (5.6677): at most 10 % above it and not below it.
    """
    ours = _truck_mj("truck_18t_diesel", 0.0, 0.5)
    assert ours == pytest.approx(6.4635, rel=0.10)
    assert 1.0 <= ours / 5.6677 <= 1.10


def test_trucks_full_and_empty_against_copert():
    """
    Tests flat energy at full load (±10 %) and empty (±15 %: COPERT's empty
    articulated truck needs 12 % less than a constant-speed physics model that
    is 3 % above it at half load) against COPERT.
    """
    assert _truck_mj("truck_40t_diesel", 0.0, 1.0) == pytest.approx(11.3972, rel=0.10)
    assert _truck_mj("truck_18t_diesel", 0.0, 1.0) == pytest.approx(7.1450, rel=0.10)
    assert _truck_mj("truck_40t_diesel", 0.0, 0.0) == pytest.approx(7.0058, rel=0.15)
    assert _truck_mj("truck_18t_diesel", 0.0, 0.0) == pytest.approx(6.4758, rel=0.15)


@pytest.mark.parametrize(
    ("name", "segment", "physics_g_per_percent", "sumo_g_per_percent"),
    [
        # §3.5 physics +2 % vs flat at 80 km/h, 50 % load; §2.4 SUMO HBEFA4 +4 % vs flat at 80.
        ("truck_40t_diesel", "Articulated 34 - 40 t", (1698 - 683) / 2, (2077.0 - 1067.4) / 4),
        ("truck_18t_diesel", "Rigid 14 - 20 t", (946 - 441) / 2, (1142.6 - 608.8) / 4),
    ],
)
def test_truck_grade_effect_between_copert_and_physics(
    name, segment, physics_g_per_percent, sumo_g_per_percent
):
    """
    Tests CO2 per +1 % of climb (flat to +2 %, 50 % load, 85 km/h) between
    COPERT's slope classes and the §3.5 physics table (±5 %), and well above
    SUMO's HBEFA4 heavy-duty fit, which under-predicts it by about half (§2.5).
    """
    copert = COPERT_TRUCKS[segment]
    copert_g = (copert[(0.02, 0.5)] - copert[(0.0, 0.5)]) / 2 * DIESEL_G_PER_MJ
    truck = ecoroute.vehicle(name)
    ours = float(truck.co2_g_per_km(85.0, 0.02) - truck.co2_g_per_km(85.0, 0.0)) / 2
    low, high = sorted((copert_g, physics_g_per_percent))
    assert 0.95 * low <= ours <= 1.05 * high, (ours, copert_g, physics_g_per_percent)
    assert ours > 1.5 * sumo_g_per_percent


def test_truck_grade_effect_by_load_against_copert():
    """Tests the 18 t truck's +2 % energy at 0/50/100 % load against COPERT Rigid 14-20 t, ±10 %."""
    rows = COPERT_TRUCKS["Rigid 14 - 20 t"]
    for load in (0.0, 0.5, 1.0):
        assert _truck_mj("truck_18t_diesel", 0.02, load) == pytest.approx(
            rows[(0.02, load)], rel=0.10
        )


def test_trucks_cut_fuel_off_on_descents():
    """Tests that at -4 % both trucks burn (nearly) nothing: COPERT gives 0.15-0.24 MJ/km (§1.4)."""
    for name in ("truck_18t_diesel", "truck_40t_diesel"):
        assert _truck_mj(name, -0.04, 0.5) <= 0.25


# ------------------------------------------------------------------ COPERT urban bus

# §1.3: EMEP/EEA 2019 Ubus Std 15-18 t diesel Euro VI, EC MJ/km / CO2 g/km at
# 50 % load, speed clamped (2-decimal MJ, integer grams as printed there).
BUS_SPEEDS = [10.0, 20.0, 30.0, 50.0, 70.0]
BUS_TABLE = {
    -0.06: ([7.87, 3.69, 2.12, 0.83, 0.27], [583, 274, 157, 62, 20]),
    -0.04: ([10.31, 5.73, 3.62, 1.68, 0.77], [764, 424, 268, 124, 57]),
    -0.02: ([13.95, 8.97, 6.52, 4.15, 3.02], [1034, 665, 483, 308, 224]),
    0.00: ([18.57, 13.98, 11.62, 9.25, 8.36], [1376, 1036, 861, 686, 620]),
    0.02: ([24.16, 19.60, 17.55, 15.69, 15.08], [1790, 1452, 1301, 1162, 1117]),
    0.04: ([30.59, 25.99, 24.13, 22.76, 22.37], [2267, 1926, 1788, 1687, 1658]),
    0.06: ([37.23, 32.85, 31.18, 29.72, 29.18], [2759, 2434, 2311, 2202, 2162]),
}


@pytest.mark.parametrize("slope", sorted(BUS_TABLE))
def test_copert_bus_reproduces_the_reference_table(slope):
    """Tests bus_diesel (COPERT model, 50 % load) against §1.3: MJ/km to the printed 0.01, g/km to 1 g."""
    mj, co2 = BUS_TABLE[slope]
    bus = ecoroute.vehicle("bus_diesel")
    assert bus.load_fraction() == 0.5
    assert_allclose(bus.fuel_energy_mj_per_km(BUS_SPEEDS, slope), mj, atol=0.0051)
    assert_allclose(bus.co2_g_per_km(BUS_SPEEDS, slope), co2, atol=0.51 + 0.0051 * 74.1)


def test_copert_bus_annex_check_values():
    """
    Tests the guidebook's own "EF at speed" column: flat, 50 % load, at 120 km/h
    clamped to Vmax 85: 8.7628 MJ/km (§1.2); the 120 km/h point unclamped would
    be nonsense (the flat empty row has a pole, -65.7 MJ/km).
    """
    table = URBAN_BUS_STD_DIESEL_EURO_VI_EC
    assert float(table.row_value(0.0, 0.5, 120.0)) == pytest.approx(8.7628, abs=5e-5)
    assert float(table.row_value(0.0, 0.0, 120.0)) > 0
    bus = ecoroute.vehicle("bus_diesel")
    assert float(bus.fuel_energy_mj_per_km(120.0)) == pytest.approx(8.7628, abs=5e-5)


def test_copert_bus_load_classes():
    """Tests flat empty / full at 20 and 50 km/h: 12.41 / 15.46 and 8.18 / 10.40 MJ/km (§1.3)."""
    bus = ecoroute.vehicle("bus_diesel")
    assert_allclose(
        bus.fuel_energy_mj_per_km([20.0, 50.0], payload_kg=0.0), [12.41, 8.18], atol=0.0051
    )
    full = bus.fuel_energy_mj_per_km([20.0, 50.0], payload_kg=bus.max_payload_kg)
    assert_allclose(full, [15.46, 10.40], atol=0.0051)
    quarter = bus.fuel_energy_mj_per_km(50.0, payload_kg=0.25 * bus.max_payload_kg)
    assert quarter == pytest.approx((8.18 + 9.25) / 2, abs=0.01)


def test_copert_bus_hill_round_trips_cost_more():
    """
    Tests the convexity of the grade classes: mean of ±2/±4/±6 % at 50 km/h,
    50 % load = 9.92 / 12.22 / 15.28 MJ/km vs 9.25 flat (§1.3), and that
    interpolated grades between classes lie between them.
    """
    bus = ecoroute.vehicle("bus_diesel")
    for slope, expected in ((0.02, 9.92), (0.04, 12.22), (0.06, 15.28)):
        pair = bus.fuel_energy_mj_per_km(50.0, [-slope, slope])
        assert pair.mean() == pytest.approx(expected, abs=0.01)
    between = bus.fuel_energy_mj_per_km(50.0, 0.03)
    assert between == pytest.approx((15.69 + 22.76) / 2, abs=0.01)


def test_copert_bus_extrapolates_steep_grades_with_physics():
    """
    Tests grades beyond the ±6 % classes: +10 % adds the gravity work per map
    km, m g (0.10 - 0.06), over eta_dt eta_m to the +6 % value; -10 % stays >= 0.
    """
    bus = ecoroute.vehicle("bus_diesel")
    m = bus.mass_kg()
    eta = bus.driveline_efficiency * bus.engine_efficiency
    extra_mj = m * 9.81 * (0.10 - 0.06) * 1000 / eta / 1e6
    assert float(bus.fuel_energy_mj_per_km(50.0, 0.10)) == pytest.approx(29.72 + extra_mj, abs=0.01)
    assert float(bus.fuel_energy_mj_per_km(50.0, -0.10)) == 0.0


def test_embedded_bus_rows_equal_the_emep_eea_csv():
    """Tests that the 21 rows embedded in ecoroute are the CSV's rows, to the last bit."""
    path = shared_file("copert/emep_eea_2019_buses.csv.gz")
    table = read_emep_eea_csv(path, segment="Ubus Std 15 - 18 t", fuel="D", euro="VI")
    assert np.array_equal(table._coef, URBAN_BUS_STD_DIESEL_EURO_VI_EC._coef)
    assert np.array_equal(table.slopes, [-0.06, -0.04, -0.02, 0.0, 0.02, 0.04, 0.06])
    assert np.array_equal(table.loads, [0.0, 0.5, 1.0])


def test_emep_eea_csv_gives_other_buses():
    """
    Tests reading other classes from the CSV: the articulated diesel bus needs
    more energy than the standard one, and a one-row class (CNG EEV, flat, 50 %
    load only) evaluates without slope or load interpolation.
    """
    path = shared_file("copert/emep_eea_2019_buses.csv.gz")
    artic = read_emep_eea_csv(path, segment="Ubus Artic >18 t", fuel="D", euro="VI")
    diesel = URBAN_BUS_STD_DIESEL_EURO_VI_EC
    speeds = [20.0, 50.0]
    assert (artic.value(speeds, 0.0, 0.5) > diesel.value(speeds, 0.0, 0.5)).all()
    cng = read_emep_eea_csv(path, segment="Ubus Std 15 - 18 t", fuel="CNG", euro="EEV")
    flat = cng.value(speeds, 0.0, 0.5)
    assert_allclose(cng.value(speeds, 0.05, 1.0), flat)
    # The row at 50 km/h, by hand from its coefficients.
    v = 50.0
    num = (
        -0.000186970637762985 * v**2
        + 0.0687149794113224 * v
        + 5.7022140873118
        + 19.4144566985669 / v
    )
    den = -4.883540497789e-05 * v**2 + 0.0133456134788077 * v + 0.153469463592991
    assert flat[1] == pytest.approx(num / den, rel=1e-12)
    with pytest.raises(ValueError, match="no rows"):
        read_emep_eea_csv(path, segment="Spaceship")


# ------------------------------------------------------------------ battery-electric

# §2.4 kWh/100 km at constant speed: HBEFA4 PC_BEV, SUMO Energy model (Kia Soul),
# MMPEVEM VW ID.3; §4.3 RouteE Bolt 2017.
EV_SPEEDS = [30.0, 50.0, 80.0, 110.0]
EV_FLAT = {
    "HBEFA4 PC_BEV": [14.6, 12.0, 12.8, 16.1],
    "SUMO Energy": [6.5, 8.3, 12.9, 19.7],
    "MMPEVEM ID.3": [8.0, 9.6, 12.7, 17.0],
    "RouteE Bolt": [8.6, 15.0, 17.4, 25.7],
}
MMPEVEM_ID3 = {  # -4 %, 0 %, +4 %
    30.0: (-10.7, 8.0, 29.4),
    50.0: (-9.3, 9.6, 31.1),
    80.0: (-6.8, 12.7, 34.4),
    110.0: (-3.3, 17.0, 39.2),
}


def test_car_bev_flat_energy_against_independent_models():
    """
    Tests car_bev's flat battery energy against four independent EV models. Ours
    is a constant-speed model of an ID.3 without motor no-load losses, so it
    sits at the low end: never above the highest model, and at most 25 % below
    the lowest (measured: 5-20 %; the tolerance is wider than the cars' ±15 %
    because the models themselves disagree by a factor of 2 at 30 km/h).
    """
    ours = ecoroute.vehicle("car_bev").energy_kwh_per_km(EV_SPEEDS) * 100
    table = np.array(list(EV_FLAT.values()))
    assert (ours <= table.max(axis=0)).all()
    assert (ours >= 0.75 * table.min(axis=0)).all()


def test_car_bev_grade_effect_matches_mmpevem_for_the_same_car():
    """
    Tests the climb (+4 % minus flat) and the recovery (flat minus -4 %) of
    car_bev against SUMO's MMPEVEM model of the same VW ID.3, within ±15 %.
    """
    ev = ecoroute.vehicle("car_bev")
    for speed, (down, flat, up) in MMPEVEM_ID3.items():
        ours = ev.energy_kwh_per_km(speed, [-0.04, 0.0, 0.04]) * 100
        assert ours[2] - ours[1] == pytest.approx(up - flat, rel=0.15), speed
        assert ours[1] - ours[0] == pytest.approx(flat - down, rel=0.15), speed


def test_ev_co2_is_far_below_the_petrol_car_on_the_eu_grid():
    """Tests the ordering literature agrees on: on the EU grid a BEV emits well under half a petrol car's CO2."""
    ev = ecoroute.vehicle("car_bev").co2_g_per_km(EV_SPEEDS)
    car = ecoroute.vehicle("car_petrol").co2_g_per_km(EV_SPEEDS)
    assert (ev < 0.5 * car).all()
