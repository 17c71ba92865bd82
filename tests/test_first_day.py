"""What a new user meets after the demo (issue 27): version, vehicle list, batch summaries, reprs."""

from __future__ import annotations

import json

import pytest

import ecoroute
from ecoroute.cli import EXIT_ALL_ROWS_FAILED, main

from .test_truck_oracle import DETOUR_M, S, T, detour_map


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"ecoroute {ecoroute.__version__}"


def test_vehicles_lists_the_catalogue_with_its_legal_profile(capsys):
    assert main(["vehicles"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert len(table) == len(ecoroute.vehicles()) + 1  # a header, then one line each
    truck = next(line for line in table if line.startswith("truck_40t_diesel "))
    assert "hgv, 40.0 t" in truck
    assert "diesel" in truck
    assert main(["vehicles", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == set(ecoroute.vehicles())
    assert by_name["car_bev"]["energy"] == "electricity"
    assert by_name["truck_40t_diesel"]["access_class"] == "hgv"


def test_a_batch_whose_every_row_fails_says_why_and_exits_3(tmp_path, capsys):
    network = tmp_path / "net.ecoroute"
    ecoroute.load_osm(detour_map(tmp_path / "map.osm", {}), largest_component=False).save(network)
    trips = tmp_path / "trips.csv"
    rows = [f"{i},8.4,49.0,8.4,49.015" for i in range(40)]  # (lon, lat) swapped: lat 8.4 is
    # ... in the Gulf of Guinea, thousands of km from the map
    trips.write_text(
        "trip_id,origin_lat,origin_lon,destination_lat,destination_lon\n" + "\n".join(rows) + "\n"
    )
    code = main(["batch", "--network", str(network), "--trips", str(trips),
                 "--out", str(tmp_path / "out.csv")])  # fmt: skip
    assert code == EXIT_ALL_ROWS_FAILED == 3
    captured = capsys.readouterr()
    assert "40 of 40 rows failed" in captured.err
    assert "40  origin is" in captured.err  # the reason, counted once for all 40 rows
    assert (tmp_path / "out.csv").exists()  # the results are written all the same


def test_route_and_matrix_reprs_are_short_and_name_units(tmp_path):
    network = ecoroute.load_osm(detour_map(tmp_path / "map.osm", {}), largest_component=False)
    router = ecoroute.Router(network, "van_diesel", "co2")
    route = router.route(S, T)
    text = repr(route)
    assert text.startswith("Route(vehicle='van_diesel', objective=")
    assert f"{route.distance_m / 1000:.2f} km" in text
    assert "g CO2" in text
    assert len(text) < 200
    assert route.distance_m < DETOUR_M
    matrix = router.matrix([S, T, S], [S, T, T, S])
    text = repr(matrix)
    assert text.startswith("ODMatrix(3 x 4, vehicle='van_diesel'")
    assert "12 of 12 reachable" in text
    assert len(text) < 200


def test_build_without_a_dem_says_the_map_is_flat(tmp_path, capsys):
    osm = detour_map(tmp_path / "map.osm", {})
    assert main(["build", str(osm), "-o", str(tmp_path / "n.ecoroute"), "--no-prepare"]) == 0
    assert "no --dem given, so every grade is 0" in capsys.readouterr().err
