"""FleetPlan tables, JSON, GeoJSON and map; the fleet files and the ``ecoroute fleet`` command."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import ecoroute
from ecoroute.cli import main
from ecoroute.fleet import VehicleType, parse_time, plan_fleet, read_fleet, read_stops

from .fleet_helpers import depot_at, grid_town, random_stops


@pytest.fixture(scope="module")
def planned():
    network = grid_town(50, side=7)
    rng = np.random.default_rng(50)
    stops = random_stops(network, rng, 12)
    fleet = [
        VehicleType("van_bev", count=1, capacity_kg=700.0, cost_per_hour=30.0, energy_price=0.3),
        VehicleType("van_diesel", count=2, fixed_cost=20.0, energy_price=1.8),
    ]
    plan = plan_fleet(
        network, [depot_at(network, 24)], stops, fleet, max_iterations=400, carbon_price_per_t=100
    )
    return network, stops, plan


def test_tables_add_up(planned):
    _, stops, plan = planned
    legs = plan.to_dataframe("legs")
    vehicles = plan.to_dataframe("vehicles")
    visits = plan.to_dataframe("stops")
    assert len(vehicles) == len(plan.routes)
    assert len(visits) == len(stops) - len(plan.unassigned)
    for column in ("distance_m", "time_s", "co2_g", "co2_ttw_g", "co2e_wtw_g", "tkm"):
        assert legs[column].sum() == pytest.approx(vehicles[column].sum())
        assert vehicles[column].sum() == pytest.approx(plan.totals[column])
    assert visits["co2e_wtw_g"].sum() == pytest.approx(plan.totals["co2e_wtw_g"])
    assert (legs["co2e_wtt_g"] == legs["co2e_wtw_g"] - legs["co2_ttw_g"]).all()
    electric = legs["vehicle_type"] == "van_bev"
    assert (legs.loc[electric, "co2_ttw_g"] == 0).all()
    assert legs.loc[electric, "fuel_l"].isna().all()
    assert legs.loc[~electric, "energy_kwh"].isna().all()
    assert set(plan.to_dataframe("unassigned").columns) == {"stop", "reason", "message"}
    with pytest.raises(ValueError, match="level"):
        plan.to_dataframe("routes")


def test_costs_follow_the_prices(planned):
    _, _, plan = planned
    for route in plan.routes:
        spec = {"van_bev": (0.0, 30.0, 0.3), "van_diesel": (20.0, 0.0, 1.8)}[route.vehicle_type]
        fixed, per_hour, price = spec
        energy = route.energy_kwh if route.vehicle_type == "van_bev" else route.fuel_l
        expected = (
            fixed
            + per_hour * route.duration_s / 3600
            + price * energy
            + 100 * route.co2e_wtw_g / 1e6
        )
        assert route.cost == pytest.approx(expected)


def test_json_report_is_strict_json_with_the_iso_fields(planned):
    _, _, plan = planned
    report = json.loads(plan.to_json())
    assert report["method"]["standard"].startswith("ISO 14083")
    assert report["totals"]["co2e_wtw_g"] == pytest.approx(plan.totals["co2e_wtw_g"])
    vehicle = report["vehicles"][0]
    for field in ("co2_ttw_g", "co2e_wtt_g", "co2e_wtw_g", "tkm", "co2e_wtw_g_per_tkm",
                  "load_factor", "empty_distance_m", "legs", "stop_ids"):  # fmt: skip
        assert field in vehicle
    assert set(report["savings"]) == {"distance", "time"}
    assert set(report["baselines"]) == {"distance", "time"}
    assert "NaN" not in plan.to_json()
    assert "Infinity" not in plan.to_json()
    assert report["solver"]["backend"].startswith("pyvrp 0.14")


def test_savings_split_adds_up(planned):
    _, _, plan = planned
    for name, saving in plan.savings.items():
        assert saving.baseline_unserved == ()
        base = plan.baselines[name].totals
        assert saving.co2e_wtw_saved_g == pytest.approx(
            base["co2e_wtw_g"] - plan.totals["co2e_wtw_g"]
        )
        assert saving.extra_distance_m == pytest.approx(
            plan.totals["distance_m"] - base["distance_m"]
        )
        for quantity in ("co2_g", "co2e_wtw_g"):
            parts = saving.road_choice[quantity] + saving.vehicle_choice[quantity]
            whole = base[quantity] - plan.totals[quantity]
            assert parts == pytest.approx(whole, abs=1e-6)
            orders = saving.orders[quantity]
            assert orders["road_first_road"] + orders["road_first_vehicle"] == pytest.approx(whole)


def test_geojson_follows_the_roads(planned):
    network, _, plan = planned
    collection = plan.to_geojson()
    kinds = [f["properties"]["kind"] for f in collection["features"]]
    assert kinds.count("leg") == sum(len(r.legs) for r in plan.routes)
    assert kinds.count("stop") == len(plan.visits)
    assert kinds.count("depot") == 1
    assert kinds.count("unassigned") == len(plan.unassigned)
    legs = [f for f in collection["features"] if f["properties"]["kind"] == "leg"]
    first = plan.routes[0].legs[0]
    start = legs[0]["geometry"]["coordinates"][0]
    assert start == pytest.approx([network.lon[first.start_node], network.lat[first.start_node]])
    json.dumps(collection, allow_nan=False)


def test_png_map(planned, tmp_path):
    _, _, plan = planned
    path = tmp_path / "plan.png"
    plan.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_parse_time():
    assert parse_time("07:30", "x") == 27000.0
    assert parse_time("26:00:30", "x") == 93630.0
    assert parse_time(120, "x") == 120.0
    assert parse_time("90.5", "x") == 90.5
    with pytest.raises(ecoroute.FleetInputError, match="HH:MM"):
        parse_time("7h30", "x")


FLEET_TOML = """
objective = "co2"
carbon_price_per_t = 80
max_iterations = 200

[[depots]]
id = "HUB"
lat = {lat}
lon = {lon}
open = "06:00"
close = "20:00"

[[vehicles]]
vehicle = "van_diesel"
count = 2
cost_per_hour = 30
shift = ["07:00", "17:00"]

[[vehicles]]
vehicle = "van_bev"
name = "green van"
max_duration = "08:00"
[vehicles.model]
grid_g_per_kwh = 50
"""


def _write_inputs(tmp_path, network):
    rng = np.random.default_rng(60)
    lines = ["id,lat,lon,demand_kg,service_s,tw_start,tw_end,optional,prize"]
    for i, x in enumerate(rng.choice(np.arange(1, network.node_count), 8, replace=False)):
        window = ("09:00", "11:00") if i % 3 == 0 else ("", "")
        lines.append(
            f"S{i},{network.lat[x]},{network.lon[x]},{rng.integers(10, 200)},240,{window[0]},"
            f"{window[1]},,"
        )
    lines.append("HEAVY,60.0,25.0,5000,300,,,,")
    (tmp_path / "stops.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "fleet.toml").write_text(FLEET_TOML.format(lat=network.lat[0], lon=network.lon[0]))
    network.save(tmp_path / "town.ecoroute")


def test_read_fleet_file(tmp_path):
    network = grid_town(60, side=5)
    _write_inputs(tmp_path, network)
    config = read_fleet(tmp_path / "fleet.toml")
    assert [d.id for d in config.depots] == ["HUB"]
    assert config.depots[0].open_s == 6 * 3600.0
    diesel, green = config.fleet
    assert diesel.shift == (7 * 3600.0, 17 * 3600.0)
    assert diesel.count == 2
    assert green.name == "green van"
    assert green.max_duration_s == 8 * 3600.0
    assert green.vehicle.grid_g_per_kwh == 50
    assert config.options == {"objective": "co2", "carbon_price_per_t": 80, "max_iterations": 200}
    stops = read_stops(tmp_path / "stops.csv")
    assert stops[0].time_window == (9 * 3600.0, 11 * 3600.0)
    assert stops[1].time_window is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[depots]]\nid='A'\nlat=60\nlon=25\n[[vehicles]]\nvehicle='van_bev'\ncapacity=3\n",
         "unknown key 'capacity'. Did you mean 'capacity_kg'"),
        ("[[depots]]\nid='A'\nlat=60\nlon=25\n", "no \\[\\[vehicles\\]\\]"),
        ("objectiv = 'co2'\n", "unknown key 'objectiv'"),
        ("[[depots]\n", "not valid TOML"),
        (("[[depots]]\nid='A'\nlat=60\nlon=25\n[[vehicles]]\nvehicle='van_bev'\n[vehicles.model]\n"
         "wings=2\n"), "no parameter 'wings'"),
    ],
)  # fmt: skip
def test_fleet_file_errors_name_the_key(tmp_path, text, message):
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    with pytest.raises(ecoroute.FleetInputError, match=message):
        read_fleet(path)


def test_cli_fleet_writes_the_report(tmp_path, capsys):
    network = grid_town(60, side=5)
    _write_inputs(tmp_path, network)
    code = main(
        ["fleet", "--network", str(tmp_path / "town.ecoroute"), "--stops",
         str(tmp_path / "stops.csv"), "--fleet", str(tmp_path / "fleet.toml"), "--out",
         str(tmp_path / "out"), "--iterations", "150"]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "against the distance plan" in out
    assert "HEAVY: over_capacity" in out
    for name in ("plan.json", "vehicles.csv", "legs.csv", "stops.csv", "unassigned.csv",
                 "plan.geojson", "map.png"):  # fmt: skip
        assert (tmp_path / "out" / name).stat().st_size > 0
    report = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert report["solver"]["max_iterations"] == 150
    assert report["carbon_price_per_t"] == 80
    assert math.isfinite(report["totals"]["co2e_wtw_g"])


def test_cli_fleet_reports_bad_files(tmp_path, capsys):
    network = grid_town(60, side=5)
    _write_inputs(tmp_path, network)
    (tmp_path / "fleet.toml").write_text(
        "[[vehicles]]\nvehicle = 'van_disel'\n[[depots]]\nid='A'\nlat=60\nlon=25\n"
    )
    code = main(
        ["fleet", "--network", str(tmp_path / "town.ecoroute"), "--stops",
         str(tmp_path / "stops.csv"), "--fleet", str(tmp_path / "fleet.toml"), "--out",
         str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 2
    assert "Did you mean van_diesel" in capsys.readouterr().err
