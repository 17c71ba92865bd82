"""
Electric fleets in every output: state of charge in tables, JSON, GeoJSON and the map; the
grid factor in the ISO 14083 report; battery fields in fleet.toml and through the CLI.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import ecoroute
from ecoroute.cli import main
from ecoroute.fleet import Depot, VehicleType, plan_fleet, read_fleet

from .fleet_helpers import grid_town, node_point, random_stops

FLEET_TOML = """
objective = "co2"
max_iterations = 200
baselines = []

[[depots]]
id = "HUB"
lat = {lat}
lon = {lon}
charger_kw = 11

[[vehicles]]
vehicle = "van_diesel"
count = 1

[[vehicles]]
vehicle = "van_bev"
name = "e-van"
count = 2
battery_kwh = 4.0
reserve_kwh = 0.4
start_soc = 0.9
trips = 2
shift = ["08:00", "16:00"]
[vehicles.model]
grid_g_per_kwh = 120
"""


@pytest.fixture(scope="module")
def mixed_plan():
    network = grid_town(7, side=7)
    stops = random_stops(network, np.random.default_rng(7), 10, windows=False)
    fleet = [
        VehicleType("van_diesel", count=1),
        VehicleType("van_bev", name="e-van", count=2, battery_kwh=3.0, reserve_kwh=0.3),
    ]
    return plan_fleet(network, Depot("HUB", **node_point(network, 0)), stops, fleet,
                      max_iterations=300, baselines=())  # fmt: skip


def test_state_of_charge_is_in_every_table(mixed_plan):
    electric = [r for r in mixed_plan.routes if r.vehicle_type == "e-van"]
    assert electric
    vehicles = mixed_plan.to_dataframe("vehicles").set_index("vehicle")
    stops = mixed_plan.to_dataframe("stops").set_index("stop")
    legs = mixed_plan.to_dataframe("legs")
    for route in mixed_plan.routes:
        row = vehicles.loc[route.vehicle]
        if route.vehicle_type == "e-van":
            assert row["soc_end_kwh"] == pytest.approx(route.legs[-1].soc_end_kwh)
            assert row["soc_end_pct"] == pytest.approx(100.0 * route.soc_end_kwh / 3.0)
            assert row["soc_start_kwh"] == pytest.approx(3.0)
            assert row["battery_kwh"] == 3.0
            # Charge on arrival at each stop = charge at the end of the leg that reaches it.
            for leg in route.legs[:-1]:
                assert stops.loc[leg.destination, "soc_kwh"] == pytest.approx(leg.soc_end_kwh)
        else:
            assert np.isnan(row["soc_end_kwh"]) or row["soc_end_kwh"] is None
    assert "soc_end_kwh" in legs.columns


def test_state_of_charge_and_grid_factor_are_in_the_json_and_geojson(mixed_plan):
    report = json.loads(mixed_plan.to_json())
    for vehicle in report["vehicles"]:
        if vehicle["vehicle_type"] == "e-van":
            assert vehicle["soc_end_kwh"] == pytest.approx(vehicle["legs"][-1]["soc_end_kwh"])
            assert vehicle["grid_g_per_kwh"] == ecoroute.vehicle("van_bev").grid_g_per_kwh
    assert report["grid_factors"]["e-van"]["grid_g_per_kwh"] == pytest.approx(
        ecoroute.vehicle("van_bev").grid_g_per_kwh
    )
    assert "van_diesel" not in report["grid_factors"]
    assert "electricity" in report["method"]
    features = mixed_plan.to_geojson()["features"]
    ev_stops = [
        f for f in features
        if f["properties"]["kind"] == "stop" and f["properties"]["vehicle_type"] == "e-van"
    ]  # fmt: skip
    assert ev_stops
    assert all(0.0 <= f["properties"]["soc_pct"] <= 100.0 for f in ev_stops)
    ev_legs = [f for f in features if f["properties"]["kind"] == "leg"
               and f["properties"]["vehicle_type"] == "e-van"]  # fmt: skip
    assert all(f["properties"]["soc_end_kwh"] is not None for f in ev_legs)


def test_map_colours_stops_by_charge(mixed_plan, tmp_path):
    figure = mixed_plan.plot(tmp_path / "map.png")
    labels = [axis.get_ylabel() for axis in figure.axes]
    assert "battery on arrival at a stop (%)" in labels
    assert (tmp_path / "map.png").stat().st_size > 0


def test_fleet_toml_battery_fields_and_the_cli(tmp_path, capsys):
    network = grid_town(61, side=5)
    (tmp_path / "fleet.toml").write_text(FLEET_TOML.format(lat=network.lat[0], lon=network.lon[0]))
    config = read_fleet(tmp_path / "fleet.toml")
    assert config.depots[0].charger_kw == 11
    e_van = config.fleet[1]
    assert (e_van.battery_kwh, e_van.reserve_kwh, e_van.start_soc, e_van.trips) == (
        4.0, 0.4, 0.9, 2,
    )  # fmt: skip
    lines = ["id,lat,lon,demand_kg,service_s"]
    for i, x in enumerate(range(3, network.node_count, 4)):
        lines.append(f"S{i},{network.lat[x]},{network.lon[x]},50,120")
    (tmp_path / "stops.csv").write_text("\n".join(lines) + "\n")
    network.save(tmp_path / "town.ecoroute")
    code = main(
        ["fleet", "--network", str(tmp_path / "town.ecoroute"), "--stops",
         str(tmp_path / "stops.csv"), "--fleet", str(tmp_path / "fleet.toml"), "--out",
         str(tmp_path / "out")]
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "battery end" in out
    report = json.loads((tmp_path / "out" / "plan.json").read_text())
    assert report["grid_factors"]["e-van"]["grid_g_per_kwh"] == 120
    electric = [v for v in report["vehicles"] if v["vehicle_type"] == "e-van"]
    assert all(v["soc_min_kwh"] >= 0.4 - 1e-9 for v in electric)
    assert (tmp_path / "out" / "violations.csv").exists()


def test_fleet_package_has_no_import_cycles():
    """
    Tests that no module of ecoroute.fleet imports, directly or through others, itself
    (imports inside functions count; imports only for type checking do not).
    """
    package = Path(ecoroute.__file__).parent / "fleet"
    graph: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        guarded = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
            for node in ast.walk(block)
        }
        found = set()
        for node in ast.walk(tree):
            if id(node) in guarded or not isinstance(node, ast.ImportFrom) or node.level != 1:
                continue
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        graph[path.stem] = found & {p.stem for p in package.glob("*.py")}
    graph.pop("__init__")

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                if reaches(nxt, goal, seen):
                    return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, set()))
    assert cycles == []
