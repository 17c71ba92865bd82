"""
Biofuels and blends: the factors ISO 14083 reports use for HVO and FAME biodiesel.

ecoroute ships no default biofuel factors (docs/emissions.md, "Biofuels"), so
these tests use a worked example with round, stated inputs (an HVO-like fuel:
15.0 g CO2e/MJ life-cycle, 70.0 g/MJ biogenic CO2, 44.0 MJ/kg, 0.78 kg/L) and
the module's cited diesel (74.1 g CO2/MJ IPCC 2006, 95.1 g CO2e/MJ well-to-wheel
Directive 2015/652, 43.1 MJ/kg, 0.832 kg/L). Every expected number is worked out
by hand in the docstrings.
"""

from __future__ import annotations

import numpy as np
import pytest

import ecoroute
from ecoroute.emissions import biofuel, blend, fuel


def _hvo_example():
    return biofuel(
        "hvo_example",
        life_cycle_co2e_g_per_mj=15.0,
        biogenic_co2_g_per_mj=70.0,
        lower_heating_value_mj_per_kg=44.0,
        density_kg_per_l=0.78,
    )


def test_biofuel_counts_no_fossil_co2_and_reports_its_biogenic_co2():
    """Tests a pure biofuel: TTW fossil CO2 0, WTW the life-cycle value, biogenic kept apart."""
    hvo = _hvo_example()
    assert hvo.co2_g_per_mj == 0.0
    assert hvo.wtw_co2e_g_per_mj == 15.0
    assert hvo.biogenic_co2_g_per_mj == 70.0
    assert hvo.energy_mj_per_l == pytest.approx(44.0 * 0.78)  # 34.32 MJ/L
    assert fuel("diesel").biogenic_co2_g_per_mj == 0.0


def test_b30_blend_by_hand():
    """
    Tests a 30 % (by volume) blend of the example HVO in diesel.

    Diesel 43.1 x 0.832 = 35.8592 MJ/L, HVO 34.32 MJ/L; the blend carries
    0.7 x 35.8592 + 0.3 x 34.32 = 35.39744 MJ/L, 10.296 of them HVO: energy share
    0.290868. Fossil CO2 0.709132 x 74.1 = 52.5466 g/MJ; well-to-tank
    0.709132 x 21.0 + 0.290868 x 15.0 = 19.2548; biogenic 0.290868 x 70 = 20.3608;
    density 0.7 x 0.832 + 0.3 x 0.78 = 0.8164 kg/L, so 35.39744 / 0.8164 =
    43.3580 MJ/kg.
    """
    b30 = blend("diesel", _hvo_example(), volume_share=0.3)
    assert b30.co2_g_per_mj == pytest.approx(52.5466, abs=1e-4)
    assert b30.wtt_co2e_g_per_mj == pytest.approx(19.2548, abs=1e-4)
    assert b30.wtw_co2e_g_per_mj == pytest.approx(52.5466 + 19.2548, abs=1e-4)
    assert b30.biogenic_co2_g_per_mj == pytest.approx(20.3608, abs=1e-4)
    assert b30.density_kg_per_l == pytest.approx(0.8164)
    assert b30.lower_heating_value_mj_per_kg == pytest.approx(43.3580, abs=1e-4)
    assert b30.energy_mj_per_l == pytest.approx(35.39744)
    assert b30.name == "diesel+hvo_example 30%"


def test_blend_ends_are_the_fuels_themselves():
    """Tests B0 = diesel and B100 = the component, factor by factor."""
    hvo, diesel = _hvo_example(), fuel("diesel")
    for share, expected in ((0.0, diesel), (1.0, hvo)):
        mixed = blend(diesel, hvo, volume_share=share)
        for field in ("co2_g_per_mj", "wtt_co2e_g_per_mj", "biogenic_co2_g_per_mj",
                      "lower_heating_value_mj_per_kg", "density_kg_per_l"):  # fmt: skip
            assert getattr(mixed, field) == pytest.approx(getattr(expected, field)), field


def test_truck_on_hvo_uses_the_same_energy_and_more_litres():
    """
    Tests a 40 t truck on the example HVO100: the same fuel energy per km as on
    diesel, litres x 35.8592 / 34.32 = 1.044848, fossil CO2 0, WTW CO2e
    15 g/MJ x energy, biogenic CO2 70 g/MJ x energy.
    """
    speeds, grades = np.array([30.0, 60.0, 85.0]), np.array([0.0, 0.02, 0.04])
    diesel = ecoroute.vehicle("truck_40t_diesel")
    hvo = ecoroute.vehicle("truck_40t_diesel", fuel=_hvo_example())
    energy = diesel.fuel_energy_mj_per_km(speeds, grades, traffic=True)
    np.testing.assert_allclose(hvo.fuel_energy_mj_per_km(speeds, grades, traffic=True), energy)
    np.testing.assert_allclose(
        hvo.fuel_l_per_km(speeds, grades, traffic=True),
        diesel.fuel_l_per_km(speeds, grades, traffic=True) * 1.044848,
        rtol=1e-6,
    )
    assert (hvo.co2_g_per_km(speeds, grades, traffic=True) == 0.0).all()
    np.testing.assert_allclose(hvo.co2e_wtw_g_per_km(speeds, grades, traffic=True), 15.0 * energy)
    np.testing.assert_allclose(
        hvo.co2_biogenic_g_per_km(speeds, grades, traffic=True), 70.0 * energy
    )
    assert (diesel.co2_biogenic_g_per_km(speeds, grades) == 0.0).all()


def test_blend_refuses_bad_input_with_a_clear_message():
    """Tests the errors: a share outside [0, 1], a gas, a negative biogenic factor."""
    hvo = _hvo_example()
    with pytest.raises(ValueError, match="volume_share must be in"):
        blend("diesel", hvo, volume_share=1.5)
    with pytest.raises(ValueError, match="must be liquids"):
        blend("cng", hvo, volume_share=0.1)
    with pytest.raises(ValueError, match="biogenic_co2_g_per_mj must be >= 0"):
        fuel("diesel").replace(biogenic_co2_g_per_mj=-1.0)


FLEET_TOML = """
[[depots]]
id = "D1"
node = 1

[[vehicles]]
vehicle = "truck_40t_diesel"
name = "hvo-truck"
count = 1
[vehicles.model.fuel]
name = "hvo_example"
life_cycle_co2e_g_per_mj = 15.0
biogenic_co2_g_per_mj = 70.0
lower_heating_value_mj_per_kg = 44.0
density_kg_per_l = 0.78
{blend}
"""


def test_fleet_file_takes_a_biofuel_table(tmp_path):
    """
    Tests the fleet file's ``[vehicles.model.fuel]`` table: HVO100 as above, and
    B30 (``blend_with = "diesel"``) with the factors of the hand-worked B30.
    """
    from ecoroute.fleet import read_fleet

    path = tmp_path / "fleet.toml"
    path.write_text(FLEET_TOML.format(blend=""))
    hvo = read_fleet(path).fleet[0].vehicle.fuel_spec
    assert (hvo.name, hvo.co2_g_per_mj, hvo.wtw_co2e_g_per_mj) == ("hvo_example", 0.0, 15.0)
    path.write_text(FLEET_TOML.format(blend='blend_with = "diesel"\nvolume_share = 0.3'))
    b30 = read_fleet(path).fleet[0].vehicle.fuel_spec
    assert b30.co2_g_per_mj == pytest.approx(52.5466, abs=1e-4)
    assert b30.biogenic_co2_g_per_mj == pytest.approx(20.3608, abs=1e-4)


@pytest.mark.parametrize(
    ("blend_lines", "message"),
    [
        ('blend_with = "diesel"', "blend_with needs volume_share"),
        ("volume_share = 0.3", "volume_share needs blend_with"),
        ('blend_with = "diesel"\nvolume_share = 2.0', "volume_share must be in"),
        ('blend_with = "kerosene"\nvolume_share = 0.3', "Unknown fuel 'kerosene'"),
        ("density = 0.8", "unknown key 'density'"),
    ],
)
def test_fleet_file_biofuel_errors_name_the_vehicle_and_the_key(tmp_path, blend_lines, message):
    """Tests that a malformed fuel table is a FleetInputError naming vehicles[0].model."""
    from ecoroute._errors import FleetInputError
    from ecoroute.fleet import read_fleet

    path = tmp_path / "fleet.toml"
    path.write_text(FLEET_TOML.format(blend=blend_lines))
    with pytest.raises(FleetInputError, match=r"vehicles\[0\]\.model") as info:
        read_fleet(path)
    assert message in str(info.value)


def test_fuel_table_missing_a_factor_is_refused():
    """Tests a table without its life-cycle value: the message lists what a biofuel needs."""
    with pytest.raises(ValueError, match="missing life_cycle_co2e_g_per_mj"):
        fuel({"name": "x", "biogenic_co2_g_per_mj": 70.0, "lower_heating_value_mj_per_kg": 44.0,
              "density_kg_per_l": 0.78})  # fmt: skip


def test_router_refuses_a_co2_objective_that_is_zero_on_every_arc():
    """
    Tests that a least-CO2 router for a truck on HVO100 (fossil co2_g 0 on every
    arc) is refused with a message naming what to route by, and that co2e_wtw
    routes it (checked against networkx on the same weights).
    """
    import networkx as nx

    from .helpers import random_network, to_networkx

    net = random_network(3, 40, 140)
    truck = ecoroute.vehicle("truck_40t_diesel", fuel=_hvo_example())
    with pytest.raises(ValueError, match="route by 'co2e_wtw'"):
        ecoroute.Router(net, truck, "co2")
    router = ecoroute.Router(net, truck, "co2e_wtw")
    weight = router.arc_quantities["co2e_wtw_g"]
    assert weight.max() > 0
    graph = to_networkx(net, weight)
    lengths = nx.single_source_dijkstra_path_length(graph, 0, weight="weight")
    targets = sorted(lengths)[1:]
    assert targets, "the random network should reach some node from node 0"
    result = router.route_many(
        np.full(len(targets), net.node_id[0]), net.node_id[np.array(targets)]
    )
    np.testing.assert_allclose(result["cost"], [lengths[t] for t in targets], rtol=1e-9)


def test_fleet_plan_on_hvo_reports_no_fossil_ttw_and_refuses_the_co2_objective():
    """
    Tests a fleet of one truck on the example HVO100 through plan_fleet: the co2
    (fossil tank-to-wheel) objective is refused with the advice to plan by
    co2e_wtw; planned by co2e_wtw, the report carries the fuel's name, co2_ttw_g
    0 and co2e_wtw_g = co2e_wtt_g = 15 g/MJ x the route's fuel energy
    (litres x 34.32 MJ/L).
    """
    from ecoroute.fleet import VehicleType, plan_fleet

    from .fleet_helpers import depot_at, grid_town, random_stops

    network = grid_town(4)
    stops = random_stops(network, np.random.default_rng(4), 5, windows=False)
    truck = VehicleType(ecoroute.vehicle("truck_40t_diesel", fuel=_hvo_example()), name="hvo")
    with pytest.raises(ValueError, match="route by 'co2e_wtw'"):
        plan_fleet(network, depot_at(network, 0), stops, truck, objective="co2",
                   max_iterations=50, baselines=())  # fmt: skip
    plan = plan_fleet(network, depot_at(network, 0), stops, truck, objective="co2e_wtw",
                      max_iterations=50, baselines=())  # fmt: skip
    (route,) = plan.routes
    assert route.energy_carrier == "hvo_example"
    assert route.co2_ttw_g == 0.0
    assert route.co2e_wtw_g == pytest.approx(route.co2e_wtt_g)
    assert route.co2e_wtw_g == pytest.approx(15.0 * route.fuel_l * 44.0 * 0.78, rel=1e-9)
    # Biogenic CO2 is reported apart: 70 g/MJ x the same energy, per leg and per stop.
    assert route.co2_biogenic_g == pytest.approx(70.0 * route.fuel_l * 44.0 * 0.78, rel=1e-9)
    for leg in route.legs:
        assert leg.co2_biogenic_g == pytest.approx(70.0 * leg.fuel_l * 44.0 * 0.78, rel=1e-9)
    assert sum(v.co2_biogenic_g for v in plan.visits) == pytest.approx(route.co2_biogenic_g)
    assert plan.report()["totals"]["co2_biogenic_g"] == pytest.approx(route.co2_biogenic_g)
    assert "biogenic" in plan.report()["method"]


def test_fleet_plan_on_fossil_diesel_reports_no_biogenic_co2():
    """Tests that a fossil diesel truck's plan reports 0 biogenic CO2 (the diesel has none)."""
    from ecoroute.fleet import VehicleType, plan_fleet

    from .fleet_helpers import depot_at, grid_town, random_stops

    network = grid_town(4)
    stops = random_stops(network, np.random.default_rng(4), 5, windows=False)
    plan = plan_fleet(network, depot_at(network, 0), stops, VehicleType("truck_40t_diesel"),
                      max_iterations=50, baselines=())  # fmt: skip
    assert all(leg.co2_biogenic_g == 0.0 for route in plan.routes for leg in route.legs)


def test_hbefa4_model_on_hvo_uses_the_diesel_class_energy():
    """
    Tests model="hbefa4" on a biofuel: HBEFA's CO2 is turned into energy with the
    diesel it was measured on (74.1 g/MJ), so the HVO truck needs the same energy
    as the diesel one, with 0 fossil CO2 (a biofuel's 0 g/MJ used to divide by zero).
    """
    diesel = ecoroute.vehicle("truck_40t_diesel", model="hbefa4")
    hvo = ecoroute.vehicle("truck_40t_diesel", model="hbefa4", fuel=_hvo_example())
    speeds = np.array([30.0, 60.0, 85.0])
    energy = diesel.fuel_energy_mj_per_km(speeds, 0.0)
    np.testing.assert_allclose(hvo.fuel_energy_mj_per_km(speeds, 0.0), energy)
    np.testing.assert_allclose(diesel.co2_g_per_km(speeds, 0.0), 74.1 * energy)
    assert (hvo.co2_g_per_km(speeds, 0.0) == 0.0).all()


def test_red_i_default_values_match_the_published_savings():
    """
    Tests the RED I default life-cycle values against the same annex's published
    GHG savings (arrêté of 23 November 2011, Annex I, Part B, point 5, typed in):
    saving = (83.8 - E) / 83.8, rounded to a whole per cent, e.g. rapeseed FAME
    (83.8 - 52) / 83.8 = 37.9 % -> 38 %, HVO from rapeseed 47.5 % -> 47 %.
    """
    from ecoroute.emissions.fuels import (
        RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ,
        RED_I_FOSSIL_COMPARATOR_CO2E_G_PER_MJ,
    )

    published_saving_pct = {
        "fame_rapeseed": 38, "fame_sunflower": 51, "fame_soybean": 31, "fame_palm": 19,
        "fame_palm_methane_capture": 56, "fame_waste_vegetable_or_animal_oil": 83,
        "hvo_rapeseed": 47, "hvo_sunflower": 62, "hvo_palm": 26, "hvo_palm_methane_capture": 65,
    }  # fmt: skip
    assert RED_I_FOSSIL_COMPARATOR_CO2E_G_PER_MJ == 83.8
    assert set(RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ) == set(published_saving_pct)
    for pathway, value in RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ.items():
        saving = 100.0 * (83.8 - value) / 83.8
        assert abs(saving - published_saving_pct[pathway]) <= 0.5, pathway
