"""The ecoroute command, run in-process (main(argv)) and once as an installed script."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import ecoroute
from ecoroute.cli import main

from .conftest import TEST_DATA


def test_build_then_route(tmp_path, capsys):
    net = tmp_path / "tiny.ecoroute"
    assert main(["build", str(TEST_DATA / "tiny.osm"), "-o", str(net)]) == 0
    assert "Saved" in capsys.readouterr().out
    out_json = tmp_path / "route.geojson"
    code = main(
        [
            "route",
            "--network",
            str(net),
            "--from",
            "60.1700,24.9400",
            "--to",
            "60.1710,24.9421",
            "--out",
            str(out_json),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "g CO2" in printed
    feature = json.loads(out_json.read_text())
    assert feature["properties"]["source"] == 1
    # The target lies on the one-way 4 -> 5 road, 5 % along it: the route ends there, on the
    # nearest road (issue 24), so its last node is that arc's head, 5.
    assert feature["properties"]["target"] == 5
    assert feature["properties"]["target_snap_kind"] == "nearest"


def test_route_errors_are_messages_not_tracebacks(tmp_path, capsys):
    bogus = tmp_path / "bogus.ecoroute"
    bogus.write_bytes(b"nothing here")
    code = main(["route", "--network", str(bogus), "--from", "60.17,24.94", "--to", "60.17,24.95"])
    assert code == 2
    assert "not an ecoroute network file" in capsys.readouterr().err
    code = main(
        [
            "route",
            "--network",
            str(TEST_DATA / "tiny.osm"),
            "--from",
            "60.17,24.94",
            "--to",
            "60.171,24.944",
            "--vehicle",
            "car_petorl",
        ]
    )
    assert code == 2
    assert "Did you mean car_petrol" in capsys.readouterr().err


def test_bad_coordinates_are_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as info:
        main(["route", "--network", "x", "--from", "sixty,24", "--to", "60,24"])
    assert info.value.code == 2
    assert "expected LAT,LON" in capsys.readouterr().err


@pytest.mark.parametrize("command", [[], ["demo"], ["build"], ["route"]])
def test_help_everywhere(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "usage: ecoroute" in capsys.readouterr().out


def test_console_script_is_installed():
    script = shutil.which("ecoroute")
    if script is None:
        pytest.skip("the ecoroute script is not on PATH (package not installed)")
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "demo" in result.stdout


# ---------------------------------------------------------------------- issue 14: batch exit codes


@pytest.fixture
def batch_inputs(tmp_path):
    """tiny.osm and a two-trip CSV between its nodes 1 and 5."""
    trips = tmp_path / "trips.csv"
    trips.write_text("trip_id,origin_node,destination_node\na,1,5\nb,5,1\n")
    return TEST_DATA / "tiny.osm", trips


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--vehicle", "spaceship"], "Unknown vehicle 'spaceship'"),
        (["--vehicle", "car_petorl"], "Did you mean car_petrol"),
        (["--threads", "-1"], "threads=-1 is not a thread count"),
        (["--threads", str(2**40)], "is not a thread count"),
        (["--vehicle", "car_bev", "--objective", "fuel"], "car_bev does not report"),
    ],
)
def test_batch_job_level_mistakes_exit_non_zero(tmp_path, capsys, batch_inputs, extra, message):
    """Tests that a wrong option of the whole job fails with a message (it used to exit 0)."""
    network, trips = batch_inputs
    out = tmp_path / "out.parquet"
    command = ["batch", "--network", str(network), "--trips", str(trips), "--out", str(out)]
    assert main([*command, *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_batch_unknown_objective_is_refused_by_the_parser(tmp_path, capsys, batch_inputs):
    network, trips = batch_inputs
    with pytest.raises(SystemExit) as info:
        main(["batch", "--network", str(network), "--trips", str(trips), "--out",
              str(tmp_path / "o.parquet"), "--objective", "speed"])  # fmt: skip
    assert info.value.code == 2
    assert "invalid choice: 'speed'" in capsys.readouterr().err


def test_batch_empty_csv_and_folder_output_exit_non_zero(tmp_path, capsys, batch_inputs):
    network, trips = batch_inputs
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code = main(["batch", "--network", str(network), "--trips", str(empty), "--out",
                 str(tmp_path / "o.parquet")])  # fmt: skip
    assert code == 2
    assert f"{empty} is empty" in capsys.readouterr().err
    folder = tmp_path / "results"
    folder.mkdir()
    code = main(["batch", "--network", str(network), "--trips", str(trips), "--out", str(folder)])
    assert code == 2
    assert "is a folder" in capsys.readouterr().err


def test_batch_bad_rows_still_exit_zero(tmp_path, capsys, batch_inputs):
    """Tests that per-row problems stay rows: the job succeeds and counts them."""
    network, _ = batch_inputs
    trips = tmp_path / "trips.csv"
    trips.write_text("trip_id,origin_node,destination_node\na,1,5\nb,1.5,5\nc,1,999\n")
    out = tmp_path / "out.csv"
    code = main(["batch", "--network", str(network), "--trips", str(trips), "--out", str(out)])
    assert code == 0
    assert "3 trips (1 ok, 0 no route, 2 bad input)" in capsys.readouterr().out


def test_route_with_a_time_budget(tmp_path, capsys):
    """Tests `ecoroute route --max-extra-time 5%` on the shipped network: budget kept, saving said."""
    network = ecoroute.datasets.helsinki()
    source, target = network.node_id[0], network.node_id[network.node_count // 2]
    frm = f"{network.lat[0]:.7f},{network.lon[0]:.7f}"
    to = f"{network.lat[network.node_count // 2]:.7f},{network.lon[network.node_count // 2]:.7f}"
    path = network.save(tmp_path / "helsinki.ecoroute")
    code = main(["route", "--network", str(path), "--from", frm, "--to", to,
                 "--vehicle", "van_diesel", "--max-extra-time", "5%"])  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out
    assert "within 5% extra time" in printed
    route = ecoroute.Router(network, "van_diesel", max_extra_time=0.05).route(
        int(source), int(target)
    )
    assert f"{route.co2_g:.0f} g CO2" in printed
    with pytest.raises(SystemExit):
        main(["route", "--network", str(path), "--from", frm, "--to", to, "--max-extra-time", "x"])
