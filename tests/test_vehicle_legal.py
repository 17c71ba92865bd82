"""
The vehicles' legal profile: classes, dimensions, masses, dangerous goods and class speed limits.

Expected values are computed by hand from the catalogue's masses and from the
laws cited in ``ecoroute.emissions.legal`` (StVO §3(3) and §18(5) for Germany,
Code de la route R413-8 for France, RTRA 1984 Schedule 6 for Great Britain),
not by the code under test.
"""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import ecoroute
from ecoroute.emissions import legal
from ecoroute.emissions.legal import (
    HIGHWAY_CLASSES,
    SPEED_LIMITS_KPH,
    class_speed_limit_kph,
    closed_tunnel_categories,
    legal_speed_limits_kph,
)

MPH = 1.609344
ROADS = ["motorway", "motorway_link", "trunk", "primary", "secondary", "residential", None]


def test_gross_and_permissible_mass_of_the_40_t_truck():
    """Tests that masses in tonnes are curb + payload (14.7 t + payload, 40 t permissible)."""
    truck = ecoroute.vehicle("truck_40t_diesel")
    assert truck.gross_mass_t(20000.0) == pytest.approx((14700.0 + 20000.0) / 1000.0)
    assert truck.gross_mass_t() == pytest.approx((14700.0 + 12650.0) / 1000.0)  # default load
    assert truck.gross_mass_t(0.0) == pytest.approx(14.7)
    assert truck.permissible_mass_t == pytest.approx(40.0)
    with pytest.raises(ValueError, match="maximum payload"):
        truck.gross_mass_t(30000.0)


def test_axle_load_is_the_set_maximum_or_the_mass_spread_evenly():
    """Tests axle_load_t: 11.5 t set on the 40 t truck; a van's 2712.5 kg over 2 axles."""
    truck = ecoroute.vehicle("truck_40t_diesel")
    assert truck.axle_load_t() == 11.5
    assert truck.axle_load_t(0.0) == 11.5  # the set maximum ignores the payload
    van = ecoroute.vehicle("van_diesel")
    assert van.max_axle_load_t is None
    assert van.axle_load_t() == pytest.approx((1925.0 + 787.5) / 1000.0 / 2)
    assert van.axle_load_t(1575.0) == pytest.approx(3.5 / 2)
    three = truck.replace(max_axle_load_t=None, axle_count=3)
    assert three.axle_load_t(25300.0) == pytest.approx(40.0 / 3)


def test_overrides_of_the_legal_profile():
    """Tests that vehicle(..., height_m=4.2) changes the height and nothing else."""
    base = ecoroute.vehicle("truck_40t_diesel")
    tall = ecoroute.vehicle("truck_40t_diesel", height_m=4.2)
    assert tall.height_m == 4.2
    assert (tall.width_m, tall.length_m, tall.axle_count) == (2.55, 16.5, 5)
    assert tall.replace(height_m=base.height_m) == base


def test_speed_limit_overrides_as_a_dict_keep_the_vehicle_hashable():
    """Tests that a dict of limits becomes sorted pairs: equal, hashable and picklable."""
    truck = ecoroute.vehicle("truck_40t_diesel", speed_limits_kph={"secondary": 50, "motorway": 70})
    assert truck.speed_limits_kph == (("motorway", 70.0), ("secondary", 50.0))
    same = ecoroute.vehicle(
        "truck_40t_diesel", speed_limits_kph=[("motorway", 70.0), ("secondary", 50.0)]
    )
    assert same == truck
    assert hash(same) == hash(truck)
    assert len({truck, same, ecoroute.vehicle("truck_40t_diesel")}) == 2
    assert pickle.loads(pickle.dumps(truck)) == truck
    caps = truck.speed_caps_kph(["motorway", "secondary", "secondary_link", "primary"], "DE")
    # motorway 70 (override), secondary and its link 50 (override), primary 60 (StVO §3(3) 2b).
    assert_array_equal(caps, [70.0, 50.0, 50.0, 60.0])


def test_every_catalogue_vehicle_is_hashable():
    for name in ecoroute.vehicles():
        hash(ecoroute.vehicle(name))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"height_m": -1.0}, r"truck_40t_diesel: height_m must be a number > 0, got -1"),
        ({"width_m": 0.0}, "width_m must be a number > 0"),
        ({"length_m": math.inf}, "length_m must be a number > 0"),
        ({"height_m": math.nan}, "height_m must be a number > 0"),
        ({"access_class": "truck"}, "access_class must be one of motorcar, goods, hgv, bus"),
        ({"hazmat": "F"}, r"hazmat must be None .* ADR tunnel code B, C, D, E, got 'F'"),
        ({"hazmat": True}, "hazmat must be None"),
        ({"country": "XX"}, r"No traffic-law table for country 'XX'; known countries: AT, CZ, DE"),
        ({"axle_count": 1}, "axle_count must be a whole number >= 2, got 1"),
        ({"axle_count": 2.5}, "axle_count must be a whole number >= 2"),
        ({"max_axle_load_t": -2.0}, "max_axle_load_t must be a number > 0"),
        ({"top_speed_kph": 0.0}, "top_speed_kph must be a number > 0"),
        ({"speed_limits_kph": {"motorway": -3}}, r"speed_limits_kph\['motorway'\] must be"),
        ({"speed_limits_kph": {"motorway": "fast"}}, r"speed_limits_kph\['motorway'\] must be"),
        ({"speed_limits_kph": "motorway"}, "speed_limits_kph must map highway classes to km/h"),
        ({"speed_limits_kph": {80: 60}}, "speed_limits_kph must map highway classes to km/h"),
    ],
)
def test_bad_legal_profiles_are_refused_with_a_clear_message(change, match):
    with pytest.raises(ValueError, match=match):
        ecoroute.vehicle("truck_40t_diesel", **change)


def test_unknown_parameter_still_suggests_the_close_match():
    with pytest.raises(TypeError, match=r"no parameter 'hieght_m'\. Did you mean height_m"):
        ecoroute.vehicle("truck_40t_diesel", hieght_m=4.2)


def test_hazmat_and_country_are_normalised():
    truck = ecoroute.vehicle("truck_40t_diesel", hazmat="d", country="de")
    assert (truck.hazmat, truck.country) == ("D", "DE")
    assert ecoroute.vehicle("truck_40t_diesel", hazmat="YES").hazmat == "yes"
    assert ecoroute.vehicle("truck_40t_diesel", country="UK").country == "GB"


@pytest.mark.parametrize(
    ("hazmat", "closed"),
    [
        (None, ()),
        ("yes", ("B", "C", "D", "E")),
        ("water", ("B", "C", "D", "E")),
        ("B", ("B", "C", "D", "E")),
        ("C", ("C", "D", "E")),
        ("D", ("D", "E")),
        ("E", ("E",)),
    ],
)
def test_adr_tunnel_codes_close_their_category_and_later_letters(hazmat, closed):
    """Tests ADR 1.9.5.2.2: code D may not pass tunnels D and E; "yes" is taken as code B."""
    assert ecoroute.vehicle("truck_40t_diesel", hazmat=hazmat).closed_tunnel_categories == closed
    assert closed_tunnel_categories(hazmat) == closed


def test_german_caps_of_a_40_t_truck():
    """Tests StVO §18(5): 80 km/h on motorways; §3(3) Nr. 2b: 60 km/h on other roads over 7.5 t."""
    truck = ecoroute.vehicle("truck_40t_diesel")
    caps = truck.speed_caps_kph(ROADS, "DE")
    assert caps.dtype == np.float64
    assert_array_equal(caps, [80.0, 80.0, 60.0, 60.0, 60.0, 60.0, 60.0])
    # A limiter below the legal limit binds: min(70, 80) and min(70, 60).
    slow = truck.replace(top_speed_kph=70.0).speed_caps_kph(["motorway", "secondary"], "DE")
    assert_array_equal(slow, [70.0, 60.0])


def test_german_mass_band_boundary_at_7_5_t():
    """Tests "über 3,5 t bis 7,5 t" (80 km/h) and "über 7,5 t" (60 km/h) at the boundary."""
    truck = ecoroute.vehicle("truck_7_5t_diesel")
    assert truck.permissible_mass_t == pytest.approx(7.5)
    assert_array_equal(truck.speed_caps_kph(["motorway", "secondary"], "DE"), [80.0, 80.0])
    heavier = truck.replace(max_payload_kg=3601.0)  # 7.501 t permissible
    assert_array_equal(heavier.speed_caps_kph(["motorway", "secondary"], "DE"), [80.0, 60.0])


def test_a_van_in_germany_has_no_class_cap():
    """Tests StVO §3(3) Nr. 2c: vehicles up to 3.5 t share the cars' limits; no limiter."""
    van = ecoroute.vehicle("van_diesel")
    assert van.access_class == "goods"
    assert_array_equal(van.speed_caps_kph(ROADS, "DE"), np.full(len(ROADS), np.inf))


def test_a_car_is_uncapped_unless_it_has_a_top_speed():
    car = ecoroute.vehicle("car_petrol")
    for country in (None, "DE", "FR", "GB"):
        assert_array_equal(car.speed_caps_kph(ROADS, country), np.full(len(ROADS), np.inf))
    limited = car.replace(top_speed_kph=120.0)
    assert_array_equal(limited.speed_caps_kph(ROADS, "DE"), np.full(len(ROADS), 120.0))


def test_a_bus_in_germany():
    """Tests StVO §18(5) and §3(3) Nr. 2a dd: buses 80 km/h; the limiter (100) does not bind."""
    bus = ecoroute.vehicle("bus_diesel")
    assert_array_equal(bus.speed_caps_kph(["motorway", "secondary"], "DE"), [80.0, 80.0])


def test_the_vehicles_country_wins_over_the_networks():
    """
    Tests that the vehicle's own country is used before the argument, and the EU default last.

    France (R413-8) for a 40 t combination: 90 km/h on motorways (the limiter too), 80 on
    trunk roads, 60 on other roads (a vehicle over 32 t cannot be a rigid).
    """
    truck = ecoroute.vehicle("truck_40t_diesel")
    french = truck.replace(country="FR")
    expected_fr = [90.0, 80.0, 60.0]
    roads = ["motorway", "trunk", "secondary"]
    assert_array_equal(french.speed_caps_kph(roads), expected_fr)
    assert_array_equal(french.speed_caps_kph(roads, "DE"), expected_fr)
    assert_array_equal(truck.speed_caps_kph(roads, "FR"), expected_fr)
    # No country anywhere: the EU default table (80 on motorways, 70 off them over 7.5 t).
    assert_array_equal(truck.speed_caps_kph(roads), [80.0, 70.0, 70.0])


def test_great_britain_caps_vans_and_trucks_in_miles_per_hour():
    """Tests RTRA 1984 Schedule 6 (England and Wales): vans 50/70 mph, over 7.5 t 50/60 mph."""
    van = ecoroute.vehicle("van_diesel")
    assert van.speed_caps_kph(["motorway", "primary"], "GB") == pytest.approx([70 * MPH, 50 * MPH])
    truck = ecoroute.vehicle("truck_40t_diesel")
    # 60 mph = 96.6 km/h on motorways: the 90 km/h limiter binds.
    assert truck.speed_caps_kph(["motorway", "primary"], "GB") == pytest.approx([90.0, 50 * MPH])


def test_overriding_the_catch_all():
    """Tests that "other" replaces the catch-all only: the motorway keeps its 80 km/h."""
    truck = ecoroute.vehicle("truck_40t_diesel", speed_limits_kph={"other": 50})
    assert_array_equal(truck.speed_caps_kph(["motorway", "tertiary", "track"], "DE"), [80, 50, 50])
    free = ecoroute.vehicle("car_petrol", speed_limits_kph={"motorway": math.inf})
    assert free.speed_caps_kph(["motorway"], "DE")[0] == math.inf


def test_speed_caps_keep_the_input_shape():
    truck = ecoroute.vehicle("truck_40t_diesel")
    caps = truck.speed_caps_kph(np.array([["motorway", "primary"], ["service", "x"]]), "DE")
    assert caps.shape == (2, 2)
    assert_array_equal(caps, [[80.0, 60.0], [60.0, 60.0]])
    empty = truck.speed_caps_kph([], "DE")
    assert empty.shape == (0,)
    assert empty.dtype == np.float64


def test_unknown_country_of_the_network_is_refused():
    truck = ecoroute.vehicle("truck_40t_diesel")
    with pytest.raises(ValueError, match="known countries: AT, CZ, DE, EU, FR, GB, IT, NL, PL"):
        truck.speed_caps_kph(["motorway"], "ZZ")


def test_legal_summary_of_the_40_t_truck():
    truck = ecoroute.vehicle("truck_40t_diesel")
    expected = "hgv, 40.0 t (11.5 t per axle, 5 axles), 4.00 x 2.55 x 16.50 m, limiter 90 km/h"
    assert truck.legal_summary() == expected
    loaded = truck.replace(hazmat="D", country="DE")
    assert loaded.legal_summary() == expected + ", hazmat D, DE law"
    car = ecoroute.vehicle("car_petrol")
    assert car.legal_summary().endswith("1.46 x 1.79 x 4.28 m, no limiter")


def test_the_legal_profile_does_not_change_the_emissions():
    truck = ecoroute.vehicle("truck_40t_diesel")
    other = truck.replace(access_class="motorcar", height_m=2.0, axle_count=2, top_speed_kph=None)
    assert_array_equal(
        other.co2_g_per_km([30.0, 80.0], 0.02), truck.co2_g_per_km([30.0, 80.0], 0.02)
    )


@pytest.mark.parametrize("name", ecoroute.vehicles())
def test_catalogue_classes_and_dimensions_follow_the_law(name):
    """
    Tests the catalogue against Directive 96/53/EC Annex I (width <= 2.55 m, height <= 4 m,
    rigid length <= 12 m, articulated <= 16.5 m, axle <= 11.5 t) and 92/6/EEC (limiters).
    """
    vehicle = ecoroute.vehicle(name)
    mass = vehicle.permissible_mass_t
    assert vehicle.width_m <= 2.55
    assert vehicle.height_m <= 4.0
    assert vehicle.length_m <= (16.5 if vehicle.axle_count >= 5 else 12.0)
    assert vehicle.axle_load_t(vehicle.max_payload_kg) <= 11.5
    if name.startswith("car"):
        assert vehicle.access_class == "motorcar"
        assert vehicle.top_speed_kph is None
    elif name.startswith("van"):
        assert vehicle.access_class == "goods"
        assert mass <= 3.5 + 1e-9
        assert vehicle.top_speed_kph is None
    elif name.startswith("truck"):
        assert vehicle.access_class == "hgv"
        assert mass > 3.5
        assert vehicle.top_speed_kph == 90.0
    else:
        assert vehicle.access_class == "bus"
        assert vehicle.top_speed_kph == 100.0


def test_the_table_covers_every_class_for_every_country():
    for country, classes in SPEED_LIMITS_KPH.items():
        assert set(classes) == set(legal.ACCESS_CLASSES), country
        for bands in classes.values():
            uppers = [upper for upper, _ in bands]
            assert uppers == sorted(uppers)
            assert uppers[-1] == math.inf, country  # every mass has a band


def test_legal_speed_limits_lists_every_class():
    limits = legal_speed_limits_kph("DE", "hgv", 40.0)
    assert set(limits) == {*HIGHWAY_CLASSES, "other"}
    assert limits["motorway_link"] == 80.0
    assert limits["unclassified"] == 60.0
    assert class_speed_limit_kph(limits, "track") == 60.0  # not listed: "other"
    # Italy, art. 142: up to 12 t 100 / 80 km/h, over 12 t 80 / 70 km/h.
    assert legal_speed_limits_kph("IT", "hgv", 12.0)["motorway"] == 100.0
    assert legal_speed_limits_kph("IT", "hgv", 12.5)["primary"] == 70.0
    with pytest.raises(ValueError, match="access_class must be one of"):
        legal_speed_limits_kph("DE", "tractor", 40.0)
    with pytest.raises(ValueError, match="permissible_mass_t must be a positive"):
        legal_speed_limits_kph("DE", "hgv", -1.0)


def test_the_eu_default_lies_within_the_national_tables():
    """Tests that the EU default, which is no law, is a middle value of the national limits."""
    national = [c for c in SPEED_LIMITS_KPH if c != "EU"]
    for access_class in ("hgv", "bus"):
        for mass in (7.5, 18.0, 40.0):
            for road in ("motorway", "secondary"):
                values = [legal_speed_limits_kph(c, access_class, mass)[road] for c in national]
                eu = legal_speed_limits_kph("EU", access_class, mass)[road]
                assert min(values) <= eu <= max(values), (access_class, mass, road)
