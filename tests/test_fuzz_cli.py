"""
The CLI under random arguments (issue 29): an exit code and a message, never a traceback.

Hypothesis draws command lines for ``route``, ``batch``, ``build`` and ``fleet``
from each option's hostile values (NaN, infinities, huge and negative
numbers, words where numbers go, missing and wrong files, ``-``), against a
tiny saved network. ``main`` must return 0, 1 or 2 (argparse's own usage
errors exit with 2 too); anything it raises is a bug.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoroute.cli import main

from .test_truck_oracle import detour_map

NUMBERS = st.sampled_from(
    ["0", "-1", "1e308", "-1e308", "1e400", "nan", "inf", "-inf", "3.5", "abc", "", "10**12",
     "99999999999999999999999"]
)  # fmt: skip
POINTS = st.sampled_from(
    ["49.0,8.4", "49.015,8.4", "91,8", "49,181", "nan,nan", "49", "a,b", "1e400,0", "-0,-0"]
)
VEHICLES = st.sampled_from(["car_petrol", "truck_40t_diesel", "van_diesel", "NA", "spaceship"])


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    osm = detour_map(folder / "map.osm", {"hgv": "no", "maxheight": "3.5"})
    assert main(["build", str(osm), "-o", str(folder / "map.ecoroute"), "--no-prepare"]) == 0
    trips = folder / "trips.csv"
    trips.write_text("trip_id,origin_lat,origin_lon,destination_lat,destination_lon\n"
                     "1,49.0,8.4,49.015,8.4\nNA,91,8,49,8.4\n")  # fmt: skip
    return {"osm": osm, "net": folder / "map.ecoroute", "trips": trips, "folder": folder}


def _paths(files: dict[str, Path]) -> st.SearchStrategy[str]:
    folder = files["folder"]
    return st.sampled_from(
        [str(files["net"]), str(files["osm"]), str(files["trips"]), "-", "/dev/null",
         str(folder), str(folder / "missing.ecoroute"), str(folder / "no" / "where.csv")]
    )  # fmt: skip


@st.composite
def command_lines(draw: st.DrawFn, files: dict[str, Path]) -> list[str]:
    paths = _paths(files)
    folder = files["folder"]
    command = draw(st.sampled_from(["route", "batch", "build", "fleet"]))
    if command == "route":
        argv = ["route", "--network", draw(paths), "--from", draw(POINTS), "--to", draw(POINTS)]
        argv += ["--vehicle", draw(VEHICLES)]
        for flag in ("--height-m", "--payload-kg", "--axle-load-t", "--max-extra-time"):
            if draw(st.booleans()):
                argv += [flag, draw(NUMBERS)]
        if draw(st.booleans()):
            argv += ["--geojson", draw(paths)]
        return argv
    if command == "batch":
        out = draw(st.sampled_from([str(folder / "out.parquet"), str(files["trips"]), "-"]))
        argv = ["batch", "--network", draw(paths), "--trips", draw(paths), "--out", out]
        argv += ["--vehicle", draw(VEHICLES)]
        if draw(st.booleans()):
            argv += ["--chunk-rows", draw(NUMBERS)]
        if draw(st.booleans()):
            argv += ["--overwrite"]
        return argv
    if command == "build":
        target = draw(
            st.sampled_from([str(files["osm"]), "-", str(folder / "no" / "x"), str(folder)])
        )
        return ["build", draw(paths), "-o", target, "--no-prepare"]
    argv = ["fleet", "--network", draw(paths), "--stops", draw(paths), "--fleet", draw(paths)]
    argv += ["--out", draw(st.sampled_from([str(folder), str(folder / "plan"), "-"]))]
    for flag in ("--iterations", "--time-limit", "--seed"):
        if draw(st.booleans()):
            argv += [flag, draw(NUMBERS)]
    return argv


@settings(derandomize=True, max_examples=150, deadline=None)
@given(data=st.data())
def test_random_command_lines_end_in_an_exit_code(files, data):
    argv = data.draw(command_lines(files))
    before = files["osm"].read_bytes(), files["trips"].read_bytes()
    with (
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()) as err,
    ):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: a usage error
            code = exit_.code
    assert code in (0, 1, 2), (argv, err.getvalue())
    assert "Traceback" not in err.getvalue(), argv
    assert (files["osm"].read_bytes(), files["trips"].read_bytes()) == before, argv
    assert Path("/dev/null").is_char_device()
