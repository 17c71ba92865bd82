"""The ecoroute command, run in-process (main(argv)) and once as an installed script."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

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
            "60.1710,24.9440",
            "--geojson",
            str(out_json),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "g CO2" in printed
    feature = json.loads(out_json.read_text())
    assert feature["properties"]["source"] == 1
    assert feature["properties"]["target"] == 5


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
