"""
The catalogue against independent published references: COPERT 5 / EMEP-EEA, HBEFA via SUMO,
PHEMlight, RouteE, and SUMO's EV models.

Every expected number below is typed in from a published table (the COPERT 5
export and EMEP/EEA rows, SUMO 1.28.0 measurements, RouteE Powertrain's bundled
models; provenance in ``docs/emissions.md``), never computed by ecoroute. The
reference classes themselves are checked against those tables first, then the
catalogue against the reference classes on the issue's grid (flat and uphill,
30-130 km/h, trucks and bus to 90): inside the spread of the references widened
by 10 % in at least 90 % of the cells, median ratio to HBEFA4 within 0.85-1.15
for cars and vans. The rates compared are the arcs' rates (``traffic=True``):
HBEFA and COPERT are averages over real driving cycles, and so are those rates.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.emissions import HBEFA4_CLASSES, URBAN_BUS_STD_DIESEL_EURO_VI_EC, read_emep_eea_csv
from ecoroute.emissions.references import REFERENCES, RIGID_12_14T, physics_floor_kwh_per_km

from .conftest import shared_file

DIESEL_G_PER_MJ = 74.1  # IPCC 2006
SPEEDS = [30.0, 50.0, 80.0, 110.0]

# ------------------------------------------------------------- the references

# SUMO 1.28.0 emissionsDrivingCycle, constant speed, CO2 g/km at -4 %, 0 %, +4 %
# and 30/50/80/110 km/h (research notes' HBEFA 4.2 table; docs/emissions.md).
HBEFA4_MEASURED = {
    "PC_petrol_Euro-6ab": {-0.04: [104.2, 57.0, 45.8, 63.8], 0.0: [196.2, 140.2, 131.1, 156.2],
                           0.04: [288.2, 223.4, 216.3, 248.6]},
    "PC_diesel_Euro-6ab": {-0.04: [95.2, 51.7, 39.1, 52.8], 0.0: [205.7, 156.4, 149.8, 174.4],
                           0.04: [316.2, 261.1, 260.5, 295.9]},
    "LCV_diesel_N1-III_Euro-6ab": {-0.04: [135.8, 65.5, 63.1, 118.0],
                                   0.0: [284.1, 219.4, 236.9, 315.6],
                                   0.04: [432.5, 373.3, 410.8, 513.2]},
    "RT_gt12-14t_Euro-VI_A-C": {-0.04: [76.6, 75.6, 75.0, 74.8], 0.0: [639.7, 619.9, 608.8, 603.8],
                                0.04: [1202.8, 1164.3, 1142.6, 1132.8]},
    "TT_AT_gt34-40t_Euro-VI_A-C": {-0.04: [99.0, 72.7, 57.8, 51.1],
                                   0.0: [1647.5, 1276.3, 1067.4, 972.5],
                                   0.04: [3195.9, 2479.8, 2077.0, 1894.0]},
    "UBus_Std_gt15-18t_Euro-VI_A-C": {-0.04: [222.0, 138.5, 91.6, 70.2],
                                      0.0: [984.0, 850.8, 775.9, 741.8],
                                      0.04: [1746.0, 1563.1, 1460.2, 1413.4]},
}  # fmt: skip

# The fleet classes of issue 15, measured the same way (SUMO 1.28.0, sum output) at
# 30/50/80 km/h, flat and +4 %: CO2 g/km, or battery kWh/km for the electric ones.
HBEFA4_FLEET_MEASURED = {
    "RT_le7.5t_Euro-VI_A-C": ([367.8, 365.8, 450.5], [623.1, 647.3, 771.3]),
    "RT_gt14-20t_Euro-VI_A-C": ([760.9, 730.3, 713.1], [1413.9, 1383.3, 1366.1]),
    "RT_gt20-26t_Euro-VI_A-C": ([1053.9, 963.2, 912.3], [1977.8, 1851.1, 1779.8]),
    "LCV_BEV_N1-III": ([0.2848, 0.2656, 0.3345], [0.5747, 0.5507, 0.6347]),
    "RigidTruck_BEV_gt12t": ([0.9295, 0.9465, 0.9719], [2.4425, 2.4586, 2.4836]),
    "TT_AT_BEV": ([1.7748, 1.6717, 1.6137], [4.7634, 4.5952, 4.5006]),
}


def _hbefa4_reference(name):
    return next(r for r in REFERENCES[name] if r.model == "hbefa4")


@pytest.mark.parametrize("cls", sorted(HBEFA4_MEASURED))
def test_hbefa4_classes_reproduce_sumo(cls):
    """Tests each HBEFA4 polynomial against SUMO's own output (4-digit coefficients: 1 %)."""
    for grade, expected in HBEFA4_MEASURED[cls].items():
        got = HBEFA4_CLASSES[cls].per_km(SPEEDS, grade)
        assert_allclose(got, expected, rtol=0.01, atol=0.5, err_msg=f"{cls} {grade:+.0%}")


@pytest.mark.parametrize("cls", sorted(HBEFA4_FLEET_MEASURED))
def test_hbefa4_fleet_classes_reproduce_sumo(cls):
    """Tests the classes fitted for the new vehicles against SUMO's output, within 0.1 %."""
    flat, up = HBEFA4_FLEET_MEASURED[cls]
    assert_allclose(HBEFA4_CLASSES[cls].per_km([30.0, 50.0, 80.0], 0.0), flat, rtol=1e-3)
    assert_allclose(HBEFA4_CLASSES[cls].per_km([30.0, 50.0, 80.0], 0.04), up, rtol=1e-3)


def test_hbefa4_ev_references_reproduce_sumo():
    """Tests HBEFA4 PC_BEV and LCV_BEV_N1-II (kWh/100 km) against SUMO's output."""
    pc = HBEFA4_CLASSES["PC_BEV"]
    assert_allclose(pc.per_km(SPEEDS, 0.0) * 100, [14.6, 12.0, 12.8, 16.1], atol=0.06)
    assert_allclose(pc.per_km(SPEEDS, 0.04) * 100, [28.5, 24.8, 25.4, 29.0], atol=0.06)
    lcv = HBEFA4_CLASSES["LCV_BEV_N1-II"]
    assert_allclose(lcv.per_km([50.0, 80.0], 0.0) * 100, [20.5, 25.6], atol=0.06)
    assert_allclose(lcv.per_km([50.0, 80.0], 0.06) * 100, [51.1, 57.4], atol=0.06)


def test_each_vehicle_has_its_size_matched_hbefa4_class():
    """Tests that the HBEFA4 reference of each vehicle is the class of its size."""
    expected = {
        "car_petrol": "PC_petrol_Euro-6ab", "car_diesel": "PC_diesel_Euro-6ab",
        "car_bev": "PC_BEV", "van_diesel": "LCV_diesel_N1-III_Euro-6ab",
        "van_bev": "LCV_BEV_N1-III", "truck_7_5t_diesel": "RT_le7.5t_Euro-VI_A-C",
        "truck_18t_diesel": "RT_gt14-20t_Euro-VI_A-C", "truck_26t_diesel": "RT_gt20-26t_Euro-VI_A-C",
        "truck_40t_diesel": "TT_AT_gt34-40t_Euro-VI_A-C", "truck_18t_bev": "RigidTruck_BEV_gt12t",
        "truck_40t_bev": "TT_AT_BEV", "bus_diesel": "UBus_Std_gt15-18t_Euro-VI_A-C",
    }  # fmt: skip
    assert sorted(expected) == ecoroute.vehicles()
    for name, cls in expected.items():
        assert _hbefa4_reference(name).name == f"HBEFA4 {cls}"
        assert ecoroute.vehicle(name).hbefa4.name == cls  # its model="hbefa4" uses the same


# COPERT 5 (copert-2019 tables typed from the EMEP/EEA rows), CO2 g/km, 50 % load.
COPERT_PRINTED = {
    # name: {grade: (speeds, g/km)}
    "truck_40t_diesel": {0.0: ([10, 30, 50, 85], [2158, 1098, 849, 691]),
                         0.04: ([10, 30, 50, 70], [3613, 2748, 2614, 2564])},
    "truck_18t_diesel": {0.0: ([10, 30, 50, 85], [1360, 677, 549, 479]),
                         0.06: ([10, 30, 50, 80], [2475, 1944, 1902, 1914])},
    "van_diesel": {0.0: ([10, 50, 90, 130], [398.1, 203.9, 214.3, 291.9])},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(COPERT_PRINTED))
def test_copert_references_reproduce_the_printed_tables(name):
    """Tests the embedded COPERT truck and van rows against the printed tables, to the gram."""
    reference = next(r for r in REFERENCES[name] if r.model == "copert")
    for grade, (speeds, expected) in COPERT_PRINTED[name].items():
        assert_allclose(reference(speeds, grade), expected, atol=0.6)


def test_copert_references_say_what_they_do_not_cover():
    """Tests that COPERT vans have no grades and that no reference reaches beyond ±6 %."""
    van = next(r for r in REFERENCES["van_diesel"] if r.model == "copert")
    assert np.isnan(van(50.0, 0.02))
    truck = next(r for r in REFERENCES["truck_40t_diesel"] if r.model == "copert")
    assert np.isnan(truck(50.0, 0.08))
    # The lighter rigid class is lighter: below the 14-20 t class on the flat.
    rigid = next(r for r in REFERENCES["truck_18t_diesel"] if r.model == "copert")
    assert (RIGID_12_14T([30.0, 85.0]) < rigid([30.0, 85.0])).all()


def test_mmpevem_reference_is_its_table_at_the_measured_points():
    """Tests the ID.3 reference at measured points and NaN beyond 110 km/h."""
    id3 = next(r for r in REFERENCES["car_bev"] if r.model == "measured")
    assert_allclose(id3([30.0, 50.0, 80.0, 110.0], 0.04) * 100, [29.4, 31.1, 34.4, 39.2])
    assert np.isnan(id3(120.0, 0.0))


# ----------------------------------------------------- the catalogue on the grid

HEAVY = {"truck_7_5t_diesel", "truck_18t_diesel", "truck_26t_diesel", "truck_40t_diesel",
         "truck_18t_bev", "truck_40t_bev", "bus_diesel"}  # fmt: skip
COMBUSTION = ["bus_diesel", "car_diesel", "car_petrol", "truck_7_5t_diesel", "truck_18t_diesel",
              "truck_26t_diesel", "truck_40t_diesel", "van_diesel"]  # fmt: skip


def _grid(name):
    speeds = np.arange(30.0, 91.0 if name in HEAVY else 131.0, 10.0)
    return np.meshgrid(speeds, [0.0, 0.02, 0.04, 0.06])


def _ours(vehicle, speed, grade, *, traffic=True):
    if isinstance(vehicle, ecoroute.ElectricVehicle):
        return vehicle.energy_kwh_per_km(speed, grade, traffic=traffic)
    return vehicle.co2_g_per_km(speed, grade, traffic=traffic)


def _spread(name, speed, grade):
    values = np.stack([r(speed, grade) for r in REFERENCES[name]])
    return 0.9 * np.nanmin(values, axis=0), 1.1 * np.nanmax(values, axis=0), values


@pytest.mark.parametrize("name", COMBUSTION)
def test_combustion_vehicle_inside_its_references_spread(name):
    """
    Tests the issue's criterion: the arc rate sits inside the references'
    spread widened by 10 % in >= 90 % of the cells of flat and uphill roads.
    """
    speed, grade = _grid(name)
    low, high, _ = _spread(name, speed, grade)
    ours = _ours(ecoroute.vehicle(name), speed, grade)
    inside = (ours >= low) & (ours <= high)
    assert inside.mean() >= 0.90, (name, inside.mean(), speed[~inside], grade[~inside])


@pytest.mark.parametrize("name", ["car_petrol", "car_diesel", "van_diesel"])
def test_cars_and_van_median_ratio_to_hbefa4(name):
    """Tests the median ratio to the class-matched HBEFA4 over the grid: 0.85-1.15."""
    speed, grade = _grid(name)
    ratio = _ours(ecoroute.vehicle(name), speed, grade) / _hbefa4_reference(name)(speed, grade)
    assert 0.85 <= np.median(ratio) <= 1.15


def test_car_bev_inside_the_spread_where_both_references_exist():
    """
    Tests car_bev on the cells covered by both of its references (HBEFA4 PC_BEV
    and the measured ID.3, 30-110 km/h): >= 90 % inside their widened spread,
    and on the flat the median ratio to HBEFA4 within 0.85-1.15.
    """
    speed, grade = _grid("car_bev")
    low, high, values = _spread("car_bev", speed, grade)
    both = ~np.isnan(values).any(axis=0)
    ours = _ours(ecoroute.vehicle("car_bev"), speed, grade)
    inside = (ours >= low) & (ours <= high)
    assert inside[both].mean() >= 0.90
    flat = grade == 0
    assert 0.85 <= np.median(ours[flat] / values[0][flat]) <= 1.15


def test_copert_for_battery_drive_by_hand():
    """
    Tests the derived references of the battery-electric van and trucks: COPERT's
    printed diesel value times HBEFA4's battery class over HBEFA4's diesel class of
    the same size, each typed in above from its own table (SUMO output, COPERT rows).
    """
    cases = [
        # vehicle, speed, grade, COPERT g/km, HBEFA4 diesel g/km, HBEFA4 battery kWh/km
        ("truck_40t_bev", 30.0, 0.0, 1098, 1647.5, 1.7748),
        ("truck_40t_bev", 50.0, 0.0, 849, 1276.3, 1.6717),
        ("truck_40t_bev", 30.0, 0.04, 2748, 3195.9, 4.7634),
        ("truck_40t_bev", 50.0, 0.04, 2614, 2479.8, 4.5952),
        ("truck_18t_bev", 30.0, 0.0, 677, 760.9, 0.9295),
        ("truck_18t_bev", 50.0, 0.0, 549, 730.3, 0.9465),
        ("van_bev", 50.0, 0.0, 203.9, 219.4, 0.2656),
    ]
    for name, speed, grade, copert, diesel, battery in cases:
        derived = next(r for r in REFERENCES[name] if r.model == "derived")
        assert float(derived(speed, grade)) == pytest.approx(battery * copert / diesel, rel=0.015)
    van = next(r for r in REFERENCES["van_bev"] if r.model == "derived")
    assert np.isnan(van(50.0, 0.04))  # COPERT's vans have no slope classes


def _inside_spread_without_impossible_cells(name):
    """Share of grid cells inside the widened spread, references below the floor left out."""
    vehicle = ecoroute.vehicle(name)
    speed, grade = _grid(name)
    _, _, values = _spread(name, speed, grade)
    values = np.where(values < physics_floor_kwh_per_km(vehicle, speed, grade), np.nan, values)
    ours = _ours(vehicle, speed, grade)
    inside = (ours >= 0.9 * np.nanmin(values, axis=0)) & (ours <= 1.1 * np.nanmax(values, axis=0))
    return inside.mean(), speed[~inside], grade[~inside]


@pytest.mark.parametrize(
    "name",
    [
        "van_bev",
        "truck_40t_bev",
        pytest.param(
            "truck_18t_bev",
            marks=pytest.mark.xfail(
                strict=True,
                reason="25 of 28 cells (89 %): below both references on the flat at 30-40 "
                "km/h, and below HBEFA4 alone at 90 km/h (docs/emissions.md, Validation)",
            ),
        ),
    ],
)
def test_battery_electric_vehicle_inside_its_references_spread(name):
    """
    Tests the issue's criterion for the battery-electric van and trucks: >= 90 %
    of flat and uphill cells inside the spread of HBEFA4's battery class and
    COPERT's road load carried over by HBEFA4's battery/diesel ratio, widened by
    10 %, with reference values below the vehicle's physics floor left out.
    """
    share, speeds, grades = _inside_spread_without_impossible_cells(name)
    assert share >= 0.90, (name, share, speeds, grades)


def test_physics_floor_by_hand():
    """
    Tests the EV physics floor against the road load typed out by hand: the ID.3
    (1794 kg + 75 kg driver, Cd 0.26 x A 2.36 m², Crr 0.007) at 120 km/h on +2 %
    needs m g (Crr + x) + ½ rho CdA v² sqrt(1 + x²) = 128.4 + 366.7 + 410.5 N =
    905.6 J per map metre at the wheels, 0.2516 kWh/km; half that efficiency,
    twice the energy; braking on a steep descent has no floor.
    """
    ev = ecoroute.vehicle("car_bev")
    v = 120.0 / 3.6
    rolling = 1869.0 * 9.81 * 0.007
    lift = 1869.0 * 9.81 * 0.02
    drag = 0.5 * 1.2041 * 0.26 * 2.36 * v * v * np.sqrt(1.0 + 0.02**2)
    assert rolling + lift + drag == pytest.approx(905.6, abs=0.1)
    expected = (rolling + lift + drag) / 3600.0
    assert physics_floor_kwh_per_km(ev, 120.0, 0.02) == pytest.approx(expected, rel=1e-9)
    assert physics_floor_kwh_per_km(ev, 120.0, 0.02, drive_efficiency=0.5) == pytest.approx(
        2.0 * expected, rel=1e-9
    )
    assert physics_floor_kwh_per_km(ev, 30.0, -0.06) == -np.inf
    with pytest.raises(ValueError, match="drive_efficiency"):
        physics_floor_kwh_per_km(ev, 50.0, 0.0, drive_efficiency=0.0)


@pytest.mark.parametrize("name", ["car_bev", "van_bev", "truck_18t_bev", "truck_40t_bev"])
def test_evs_never_use_less_than_their_physics_floor(name):
    """Tests every catalogue EV, in traffic and at constant speed, 10-130 km/h, 0..+8 %."""
    ev = ecoroute.vehicle(name)
    speed, grade = np.meshgrid(np.arange(10.0, 131.0, 5.0), np.arange(0.0, 0.081, 0.01))
    floor = physics_floor_kwh_per_km(ev, speed, grade)
    for traffic in (True, False):
        assert (ev.energy_kwh_per_km(speed, grade, traffic=traffic) >= floor).all()


def test_car_bev_inside_its_references_with_impossible_cells_left_out():
    """
    Tests car_bev on the issue's grid with the reference cells below the physics
    floor left out (benchmarks/bench_emission_fidelity.py does the same): HBEFA4
    PC_BEV is below the ID.3's own wheel work at 100 % efficiency in 24 of the 44
    flat/uphill cells (all at +2 % from 90 km/h, +4 % from 50, +6 % from 40), the
    measured ID.3 in none, RouteE's lighter Bolt in one (30 km/h, +4 %); every
    cell keeps a reference, >= 90 % inside the widened spread and a median ratio
    to HBEFA4 (where it is possible) within 0.85-1.15.
    """
    ev = ecoroute.vehicle("car_bev")
    speed, grade = _grid("car_bev")
    names = [r.name for r in REFERENCES["car_bev"]]
    assert names == ["HBEFA4 PC_BEV", "MMPEVEM VW ID.3", "RouteE Bolt"]
    values = np.stack([r(speed, grade) for r in REFERENCES["car_bev"]])
    impossible = values < physics_floor_kwh_per_km(ev, speed, grade)
    assert impossible[0].sum() == 24
    assert not impossible[0][grade == 0].any()
    assert not impossible[1].any()
    assert list(zip(speed[impossible[2]], grade[impossible[2]], strict=True)) == [(30.0, 0.04)]
    kept = np.where(impossible, np.nan, values)
    assert not np.isnan(kept).all(axis=0).any()
    low, high = 0.9 * np.nanmin(kept, axis=0), 1.1 * np.nanmax(kept, axis=0)
    ours = _ours(ev, speed, grade)
    assert ((ours >= low) & (ours <= high)).mean() >= 0.90
    hbefa = ~impossible[0]
    assert 0.85 <= np.median(ours[hbefa] / values[0][hbefa]) <= 1.15


def test_routee_bolt_reference_is_the_model_output_without_its_real_world_factor():
    """
    Tests the RouteE Bolt reference at its table points: RouteE's predict() value
    divided by 1.3958; at 50 km/h on the flat 14.96 / 1.3958 = 10.72 kWh/100 km,
    the "RouteE Bolt 10.7 without its real-world factor" of issue 15.
    """
    bolt = next(r for r in REFERENCES["car_bev"] if r.name == "RouteE Bolt")
    assert 100 * bolt(50.0, 0.0) == pytest.approx(10.72, abs=0.01)
    assert 100 * bolt(130.0, 0.06) == pytest.approx(71.74 / 1.3958, rel=1e-9)
    assert 100 * bolt(80.0, -0.04) == pytest.approx(-3.98 / 1.3958, rel=1e-9)
    assert np.isnan(bolt(20.0, 0.0))
    assert np.isnan(bolt(50.0, 0.08))


@pytest.mark.parametrize(
    ("name", "top_kph"),
    [("car_bev", 130.0), ("van_bev", 100.0), ("truck_18t_bev", 90.0), ("truck_40t_bev", 90.0)],
)
def test_hbefa4_ev_climbs_cost_less_than_their_potential_energy(name, top_kph):
    """
    Tests why the EVs cannot follow HBEFA4 uphill (docs/emissions.md): its
    battery-electric classes climb +4 % for less battery energy than lifting a
    vehicle of our mass (up to ``top_kph``), which no efficiency <= 1 allows;
    ours never do.
    """
    ev = ecoroute.vehicle(name)
    reference = _hbefa4_reference(name)
    speeds = np.arange(30.0, top_kph + 1.0, 10.0)
    climb = reference(speeds, 0.04) - reference(speeds, 0.0)
    lift_kwh_per_km = ev.mass_kg() * 9.81 * 0.04 * 1000 / 3.6e6
    assert (climb < lift_kwh_per_km).all()
    ours = ev.energy_kwh_per_km(speeds, 0.04) - ev.energy_kwh_per_km(speeds, 0.0)
    assert (ours >= lift_kwh_per_km).all()


def test_van_bev_against_hbefa4_and_a_measured_esprinter():
    """
    Tests van_bev against HBEFA4 LCV_BEV_N1-III: median ratio 0.85-1.15 over
    the grid and uphill within ±15 % at 30-110 km/h. On the flat it sits below
    HBEFA4 (0.79-0.89), nearer a measured large van: the Mercedes eSprinter
    (113 kWh) used 21.9 kWh/100 km over 475 km of hilly mixed roads,
    Stuttgart-Munich-Stuttgart, supervised by TÜV Süd (docs/emissions.md); ours
    is within 15 % of that at 50-70 km/h (above it at motorway speeds: its
    drag area is the diesel van's).
    """
    speed, grade = _grid("van_bev")
    ev = ecoroute.vehicle("van_bev")
    ratio = _ours(ev, speed, grade) / _hbefa4_reference("van_bev")(speed, grade)
    assert 0.85 <= np.median(ratio) <= 1.15
    uphill = (grade > 0) & (speed <= 110)
    assert ((ratio[uphill] >= 0.85) & (ratio[uphill] <= 1.15)).all()
    flat = ev.energy_kwh_per_km([50.0, 60.0, 70.0], traffic=True) * 100
    assert (np.abs(flat / 21.9 - 1) <= 0.15).all(), flat


@pytest.mark.parametrize(
    ("name", "low", "high"),
    [("truck_40t_bev", 0.85, 1.15), ("truck_18t_bev", 0.6, 1.0)],
)
def test_bev_trucks_against_the_manufacturers_consumption(name, low, high):
    """
    Tests the battery-electric trucks on the flat at 60-90 km/h against the
    manufacturers' net capacity over range: eActros 600 at 40 t 1.2 kWh/km
    (±15 %); eActros 300, a 19-27 t rigid, 0.97 kWh/km, which our lighter
    18 t truck (14.6 t at half load) must not exceed, within 40 % below.
    """
    from ecoroute.emissions.references import PUBLISHED_KWH_PER_KM

    ev = ecoroute.vehicle(name)
    ratio = (
        ev.energy_kwh_per_km([60.0, 70.0, 80.0, 90.0], traffic=True) / PUBLISHED_KWH_PER_KM[name]
    )
    assert ((ratio >= low) & (ratio <= high)).all(), ratio


def test_new_trucks_have_their_published_specifications():
    """Tests the masses and batteries the catalogue derives from the cited specifications."""
    rigid = ecoroute.vehicle("truck_18t_bev")
    assert rigid.curb_mass_kg == pytest.approx(8600 + 336 / (0.16 * 0.8))  # + LFP battery
    assert rigid.curb_mass_kg + rigid.max_payload_kg == pytest.approx(18000)
    artic = ecoroute.vehicle("truck_40t_bev")
    assert artic.curb_mass_kg + artic.max_payload_kg == pytest.approx(40000)
    assert artic.max_payload_kg == pytest.approx(22000)
    for name, gross in (("truck_7_5t_diesel", 7500), ("truck_26t_diesel", 26000)):
        truck = ecoroute.vehicle(name)
        assert truck.curb_mass_kg + truck.max_payload_kg == pytest.approx(gross)
        assert truck.load_fraction() == 0.5


def test_new_copert_rows_by_hand():
    """Tests one embedded row of each new COPERT class by hand from its coefficients."""
    from ecoroute.emissions.copert import (
        RIGID_20_26T_DIESEL_EURO_VI_EC,
        RIGID_LE_7_5T_DIESEL_EURO_VI_EC,
    )

    for table in (RIGID_LE_7_5T_DIESEL_EURO_VI_EC, RIGID_20_26T_DIESEL_EURO_VI_EC):
        i = int(np.flatnonzero(table.slopes == 0.0)[0])
        vmin, vmax, a, b, c, d, e, z, h = table._coef[i, 1]
        v = 50.0
        assert vmin <= v <= vmax
        by_hand = (a * v * v + b * v + c + d / v) / (e * v * v + z * v + h)
        assert float(table.value(v, 0.0, 0.5)) == pytest.approx(by_hand, rel=1e-4)
    # Heavier is hungrier: 7.5 t < 14-20 t < 20-26 t on the flat at 50 km/h.
    light = float(RIGID_LE_7_5T_DIESEL_EURO_VI_EC.value(50.0, 0.0, 0.5))
    heavy = float(RIGID_20_26T_DIESEL_EURO_VI_EC.value(50.0, 0.0, 0.5))
    middle = float(REFERENCES["truck_18t_diesel"][0](50.0, 0.0)) / DIESEL_G_PER_MJ
    assert light < middle < heavy


def test_truck_grade_effect_between_copert_and_hbefa4():
    """
    Tests CO2 per +1 % of climb (flat to +2 %, 50 % load, 85 km/h) of the 40 t
    truck between HBEFA4's (the half the notes warn of: 252.5 g/km at 80 km/h)
    and COPERT's (455 g/km), nearer COPERT (docs/emissions.md, which one we follow).
    """
    copert_g = (21.6039 - 9.3237) / 2 * DIESEL_G_PER_MJ
    sumo_g = (2077.0 - 1067.4) / 4
    truck = ecoroute.vehicle("truck_40t_diesel")
    ours = float(truck.co2_g_per_km(85.0, 0.02) - truck.co2_g_per_km(85.0, 0.0)) / 2
    assert sumo_g < ours <= copert_g
    assert ours >= 0.9 * copert_g


def test_truck_load_against_copert_at_85_km_h():
    """Tests flat energy at 0/50/100 % load against COPERT (7.01/9.32/11.40 MJ/km), ±15 %."""
    truck = ecoroute.vehicle("truck_40t_diesel")
    for load, expected in ((0.0, 7.0058), (0.5, 9.3237), (1.0, 11.3972)):
        got = truck.fuel_energy_mj_per_km(85.0, payload_kg=load * truck.max_payload_kg)
        assert got == pytest.approx(expected, rel=0.15), load


# ------------------------------------------------------- the traffic term (item 4)


def test_car_petrol_in_traffic_between_hbefa4_and_routee_camry():
    """
    Tests the traffic term against two cycle-based references for a petrol car:
    HBEFA4 PC_petrol_Euro-6ab and RouteE Powertrain's 2016 Camry (a link model
    trained on real drive cycles; 283/206/163/181 g/km at 30/50/80/110 km/h,
    real-world factor 1.166 removed). The arc rate lies inside their spread
    widened by 10 % at every speed; the constant-speed rate does not at 30 km/h.
    """
    camry = np.array([283.0, 206.0, 163.0, 181.0]) / 1.166
    hbefa = np.array([196.2, 140.2, 131.1, 156.2])
    low, high = 0.9 * np.minimum(camry, hbefa), 1.1 * np.maximum(camry, hbefa)
    car = ecoroute.vehicle("car_petrol")
    in_traffic = car.co2_g_per_km(SPEEDS, traffic=True)
    assert ((low <= in_traffic) & (in_traffic <= high)).all(), in_traffic
    assert car.co2_g_per_km(30.0) < low[0]


def test_traffic_work_is_the_copert_bus_excess_over_steady_physics():
    """
    Tests the provenance of the traffic curve: EMEP/EEA urban-bus energy minus
    the constant-speed physics of the same bus (the research notes' parameters,
    eta_dt eta_m = 0.89 x 0.42, P0 20 kW), turned back into wheel work per kg,
    reproduces the tabulated J/kg/km within 1.
    """
    from ecoroute.emissions.physics import TRAFFIC_SPEEDS_KPH, TRAFFIC_WORK_J_PER_KG_KM

    speeds = np.array(TRAFFIC_SPEEDS_KPH[:-1])
    copert = ecoroute.vehicle("bus_diesel").fuel_energy_mj_per_km(speeds)
    physics = ecoroute.vehicle(
        "bus_diesel", model="physics", engine_efficiency=0.42, zero_load_fuel_power_kw=20.0
    )
    steady = physics.fuel_energy_mj_per_km(speeds)
    work = (copert - steady) * 1e6 * (0.89 * 0.42) / physics.mass_kg()
    assert_allclose(work, TRAFFIC_WORK_J_PER_KG_KM[:-1], atol=1.0)


def test_cars_fuel_optimal_speed_is_in_the_literature_range():
    """Tests that each car's most economical constant speed lies in 50-80 km/h."""
    speeds = np.arange(20.0, 130.0, 0.5)
    for name in ("car_petrol", "car_diesel"):
        best = speeds[np.argmin(ecoroute.vehicle(name).co2_g_per_km(speeds))]
        assert 50.0 <= best <= 80.0, (name, best)


def test_car_petrol_climb_within_the_spread_of_models():
    """
    Tests car_petrol's CO2 per +1 % of grade at 50 km/h within the models'
    spread: HBEFA4 20.8, HBEFA3 23.0, PHEMlight5 21.7, RouteE Camry 32.0 g/km.
    """
    car = ecoroute.vehicle("car_petrol")
    per_percent = float(car.co2_g_per_km(50.0, 0.01) - car.co2_g_per_km(50.0, 0.0))
    assert 20.8 <= per_percent <= 32.0


def test_trucks_burn_little_on_descents():
    """Tests that at -4 % and 85 km/h both trucks burn at most COPERT's 0.15-0.24 MJ/km."""
    for name in ("truck_18t_diesel", "truck_40t_diesel"):
        truck = ecoroute.vehicle(name)
        assert truck.fuel_energy_mj_per_km(85.0, -0.04) <= 0.25


# ------------------------------------------------------------------ COPERT urban bus

# EMEP/EEA 2019 Ubus Std 15-18 t diesel Euro VI (docs/emissions.md, COPERT), EC MJ/km / CO2 g/km at
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
    """Tests bus_diesel (COPERT model, 50 % load) against the printed table: MJ/km to 0.01, g/km to 1 g."""
    mj, co2 = BUS_TABLE[slope]
    bus = ecoroute.vehicle("bus_diesel")
    assert bus.load_fraction() == 0.5
    assert_allclose(bus.fuel_energy_mj_per_km(BUS_SPEEDS, slope), mj, atol=0.0051)
    assert_allclose(bus.co2_g_per_km(BUS_SPEEDS, slope), co2, atol=0.51 + 0.0051 * 74.1)


def test_copert_bus_annex_check_values():
    """
    Tests the guidebook's own "EF at speed" column: flat, 50 % load, at 120 km/h
    clamped to Vmax 85: 8.7628 MJ/km; the 120 km/h point unclamped would
    be nonsense (the flat empty row has a pole, -65.7 MJ/km).
    """
    table = URBAN_BUS_STD_DIESEL_EURO_VI_EC
    assert float(table.row_value(0.0, 0.5, 120.0)) == pytest.approx(8.7628, abs=5e-5)
    assert float(table.row_value(0.0, 0.0, 120.0)) > 0
    bus = ecoroute.vehicle("bus_diesel")
    assert float(bus.fuel_energy_mj_per_km(120.0)) == pytest.approx(8.7628, abs=5e-5)


def test_copert_bus_load_classes():
    """Tests flat empty / full at 20 and 50 km/h: 12.41 / 15.46 and 8.18 / 10.40 MJ/km (the printed table)."""
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
    50 % load = 9.92 / 12.22 / 15.28 MJ/km vs 9.25 flat (the printed table), and that
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

MMPEVEM_ID3 = {  # -4 %, 0 %, +4 %, kWh/100 km (SUMO 1.28.0, VW_ID3.xml)
    30.0: (-10.7, 8.0, 29.4),
    50.0: (-9.3, 9.6, 31.1),
    80.0: (-6.8, 12.7, 34.4),
    110.0: (-3.3, 17.0, 39.2),
}


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
    ev = ecoroute.vehicle("car_bev").co2_g_per_km(SPEEDS)
    car = ecoroute.vehicle("car_petrol").co2_g_per_km(SPEEDS)
    assert (ev < 0.5 * car).all()


@pytest.mark.parametrize("load", [0.0, 0.3, 0.5, 1.0])
def test_tabulated_copert_rows_equal_the_rational_functions(load):
    """
    Tests the speed tabulation behind CopertTable.value against the rows'
    rational functions evaluated directly (clamped, mixed linearly over loads
    and slope classes by hand): within 1e-4 at random speeds 1-140 km/h.
    """
    table = URBAN_BUS_STD_DIESEL_EURO_VI_EC
    rng = np.random.default_rng(3)
    speed = rng.uniform(1.0, 140.0, 400)
    grade = rng.choice([-0.06, -0.03, 0.0, 0.01, 0.05], 400)
    loads = table.loads
    k = min(int(np.searchsorted(loads, load, side="right")) - 1, loads.size - 2)
    w_load = (load - loads[k]) / (loads[k + 1] - loads[k])

    def row(slope, v):
        low = table.row_value(slope, loads[k], v)
        return low + w_load * (table.row_value(slope, loads[k + 1], v) - low)

    expected = np.empty(speed.size)
    for n, (v, g) in enumerate(zip(speed, grade, strict=True)):
        j = min(int(np.searchsorted(table.slopes, g, side="right")) - 1, table.slopes.size - 2)
        w = (g - table.slopes[j]) / (table.slopes[j + 1] - table.slopes[j])
        low = row(table.slopes[j], v)
        expected[n] = low + w * (row(table.slopes[j + 1], v) - low)
    assert_allclose(table.value(speed, grade, load), expected, rtol=1e-4, atol=1e-6)
