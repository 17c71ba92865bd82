"""What a new user meets after the demo (issue 27): version, vehicle list, batch summaries, reprs."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
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


# ------------------------------------------------------------------ batch results join back


def _square(tmp_path):
    network = tmp_path / "net.ecoroute"
    ecoroute.load_osm(detour_map(tmp_path / "map.osm", {}), largest_component=False).save(network)
    return network


def _trips(ids):
    return pd.DataFrame(
        {
            "trip_id": ids,
            "origin_node": [S] * len(ids),
            "destination_node": [T] * len(ids),
            "customer": [f"C{i}" for i in range(len(ids))],
            "order_no": [1000 + i for i in range(len(ids))],
        }
    )


@pytest.mark.parametrize(
    "ids",
    [[7, 8, 9], ["a-1", "b-2", "007"], [str(uuid.UUID(int=i)) for i in range(3)]],
    ids=["int", "str", "uuid"],
)
@pytest.mark.parametrize("kind", ["frame", "parquet", "csv"])
def test_results_keep_the_trip_id_type_and_the_callers_columns(tmp_path, ids, kind):
    from ecoroute import batch

    trips = _trips(ids)
    source: object = trips
    if kind == "parquet":
        source = tmp_path / "trips.parquet"
        trips.to_parquet(source, index=False)
    elif kind == "csv":
        source = tmp_path / "trips.csv"
        trips.to_csv(source, index=False)
        trips = pd.read_csv(source)  # what the caller gets back from the file ("007" -> 7)
    out = tmp_path / "out.parquet"
    batch.run(_square(tmp_path), source, out, progress=False)
    result = pd.read_parquet(out)
    assert result["trip_id"].dtype == trips["trip_id"].dtype or (
        result["trip_id"].dtype == "Int64" and trips["trip_id"].dtype == "int64"
    )
    merged = trips.merge(result, on="trip_id", suffixes=("", "_result"))
    assert len(merged) == 3
    assert (merged["status"] == "ok").all()
    assert merged["customer"].tolist() == merged["customer_result"].tolist()
    assert result["order_no"].tolist() == [1000, 1001, 1002]
    assert batch.run(_square(tmp_path), source, tmp_path / "none.parquet", keep=[],
                     progress=False).ok == 3  # fmt: skip
    assert "customer" not in pd.read_parquet(tmp_path / "none.parquet").columns


def test_keep_names_columns_that_exist(tmp_path):
    from ecoroute import batch

    with pytest.raises(batch.BatchError, match="not columns of the trips"):
        batch.run(_square(tmp_path), _trips([1]), tmp_path / "out.parquet", keep=["depot"])
    trips = _trips([1]).assign(co2_g=5.0)  # a column named like a result column
    with pytest.raises(batch.BatchError, match="are result columns"):
        batch.run(_square(tmp_path), trips, tmp_path / "out.parquet", keep=["co2_g"])
    batch.run(_square(tmp_path), trips, tmp_path / "out.parquet", progress=False)
    assert pd.read_parquet(tmp_path / "out.parquet")["co2_g"].iloc[0] != 5.0  # the result's


def test_old_spellings_still_work_with_a_note(tmp_path, capsys):
    osm = detour_map(tmp_path / "map.osm", {})
    assert main(["build", str(osm), "--output", str(tmp_path / "n.ecoroute"), "--no-prepare"]) == 0
    assert "--output is deprecated" in capsys.readouterr().err
    assert (tmp_path / "n.ecoroute").is_file()
    base = ["route", "--network", str(tmp_path / "n.ecoroute"), "--from", "48.995,8.4"]
    assert main([*base, "--to", "49.015,8.4", "--geojson", str(tmp_path / "r.geojson")]) == 0
    assert "--geojson is deprecated and will be removed; use --out" in capsys.readouterr().err
    assert json.loads((tmp_path / "r.geojson").read_text())["type"] == "Feature"
    with pytest.raises(SystemExit):
        main(["build", str(osm)])  # -o/--out is still required


def test_a_network_without_its_rules_opens_every_road(tmp_path):
    network = ecoroute.load_osm(
        detour_map(tmp_path / "map.osm", {"hgv": "no"}), largest_component=False
    )
    truck = ecoroute.Router(network, "truck_40t_diesel", "co2")
    assert truck.rules.closed.any()
    bare = network.without_attachments("legal.")
    assert not any(name.startswith("legal.") for name in bare.attachments)
    assert not ecoroute.Router(bare, "truck_40t_diesel", "co2").rules.closed.any()
    assert network.attachments.keys() >= {"legal.access.hgv"}  # the original keeps them


def test_loading_shows_its_progress_when_asked(tmp_path, capsys):
    osm = detour_map(tmp_path / "map.osm", {})
    ecoroute.load_osm(osm, largest_component=False, progress=True)
    err = capsys.readouterr().err
    assert "loaded map.osm" in err
    assert "nodes" in err
    ecoroute.load_osm(osm, largest_component=False)  # not a terminal: silent
    assert capsys.readouterr().err == ""


def test_fleet_planning_shows_its_steps_when_asked(capsys):
    from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet

    from .fleet_helpers import grid_town

    town = grid_town(3, side=4)
    depot = Depot("D", node=int(town.node_id[0]))
    stops = [Stop("S", node=int(town.node_id[5]), demand_kg=10.0)]
    plan_fleet(town, depot, stops, [VehicleType("van_diesel")], max_iterations=50, progress=True)
    err = capsys.readouterr().err
    # matrices, the least-CO2 plan, then the two default baselines (distance, time)
    for step in ("fleet: matrices", "fleet: least-co2 plan", "fleet: time baseline", "4/4"):
        assert step in err, step


def test_the_first_big_matrix_prepares_the_index_and_answers_the_same():
    from ecoroute.routing import PREPARE_AT_PAIRS

    from .fleet_helpers import grid_town

    town = grid_town(5, side=8)  # 64 nodes, unprepared, no turn data
    ids = town.node_id
    auto = ecoroute.Router(town, "van_diesel", "co2")
    fixed = ecoroute.Router(town, "van_diesel", "co2", algorithm="bidirectional_astar")
    assert auto.algorithm == "bidirectional_astar"
    auto.route(int(ids[0]), int(ids[-1]))  # one route: no preparation
    auto.matrix(ids[:4], ids[:4])  # 16 pairs: none either
    assert auto.algorithm == "bidirectional_astar"
    assert len(ids) ** 2 >= PREPARE_AT_PAIRS
    big = auto.matrix(ids, ids)
    assert auto.algorithm == "cch"
    assert town.hierarchy is None  # the network object is unchanged; the index is kept aside
    reference = fixed.matrix(ids, ids)
    assert fixed.algorithm == "bidirectional_astar"  # asked for explicitly: never switched
    np.testing.assert_allclose(big.cost, reference.cost, rtol=1e-9)
    np.testing.assert_allclose(big.co2_g, reference.co2_g, rtol=1e-9)
    route = auto.route(int(ids[0]), int(ids[-1]))
    assert route.cost == pytest.approx(float(reference.cost[0, -1]), rel=1e-9)


def test_quiet_silences_every_bar(tmp_path, capsys, monkeypatch):
    from ecoroute._progress import QUIET_VARIABLE

    monkeypatch.delenv(QUIET_VARIABLE, raising=False)
    osm = detour_map(tmp_path / "map.osm", {})
    monkeypatch.setenv(QUIET_VARIABLE, "1")
    ecoroute.load_osm(osm, largest_component=False)  # progress=None: the variable decides
    assert capsys.readouterr().err == ""
    ecoroute.load_osm(osm, largest_component=False, progress=True)  # asked for: shown
    assert "loaded map.osm" in capsys.readouterr().err
    monkeypatch.delenv(QUIET_VARIABLE)
    assert main(["--quiet", "vehicles"]) == 0
    import os

    assert os.environ.get(QUIET_VARIABLE) == "1"
    monkeypatch.delenv(QUIET_VARIABLE)


def test_prepare_shows_its_steps_when_asked(capsys):
    from .fleet_helpers import grid_town

    town = grid_town(4, side=6)
    quietly = town.prepared()  # not a terminal: silent
    assert capsys.readouterr().err == ""
    loudly = town.prepared(progress=True)
    err = capsys.readouterr().err
    assert "prepare: contraction of 36 nodes" in err
    assert "2/2" in err
    np.testing.assert_array_equal(quietly.hierarchy.order, loudly.hierarchy.order)


def test_a_big_matrix_shows_its_rows_in_few_calls_and_answers_the_same(monkeypatch, capsys):
    """
    Tests that a matrix with its bar answers exactly as in one call, and goes to C++ in
    blocks of at least four times as many rows as columns (never a call per pair).
    """
    from ecoroute.routing import Router as RouterClass

    from .fleet_helpers import grid_town

    town = grid_town(6, side=8).prepared()
    ids = town.node_id
    router = ecoroute.Router(town, "van_diesel", "co2")
    sources = np.resize(ids, 300)  # 300 rows x 10 columns
    targets = ids[::6][:10]
    whole = router.matrix(sources, targets, progress=False)
    blocks: list[int] = []
    real = RouterClass._matrix_block

    def counted(self, at_hour, src, dst, partway, threads):
        blocks.append(len(src))
        return real(self, at_hour, src, dst, partway, threads)

    monkeypatch.setattr(RouterClass, "_matrix_block", counted)
    shown = router.matrix(sources, targets, progress=True)
    assert "matrix 300 x 10" in capsys.readouterr().err
    assert blocks == [40] * 7 + [20]  # max(300 / 20 rows, 4 x 10 columns) per call
    np.testing.assert_array_equal(shown.cost, whole.cost)
    for name in whole.quantities:
        np.testing.assert_array_equal(shown.quantities[name], whole.quantities[name])
    blocks.clear()
    router.matrix(sources, targets)  # 3,000 pairs: no bar, one call
    assert blocks == [300]
    assert capsys.readouterr().err == ""


def test_long_jobs_show_bars_on_a_terminal_only_and_never_when_quiet(monkeypatch):
    import io
    import sys

    from ecoroute._progress import LONG_PAIRS, QUIET_VARIABLE, shown

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.delenv(QUIET_VARIABLE, raising=False)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert shown(None, LONG_PAIRS + 1)
    assert not shown(None, LONG_PAIRS)  # small jobs: no bar
    assert not shown(False, LONG_PAIRS + 1)
    monkeypatch.setenv(QUIET_VARIABLE, "1")
    assert not shown(None, LONG_PAIRS + 1)
    assert shown(True, 1)  # asked for: shown
    monkeypatch.delenv(QUIET_VARIABLE)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # not a terminal
    assert not shown(None, LONG_PAIRS + 1)


def test_a_router_without_a_vehicle_names_the_one_it_uses(tmp_path, capsys):
    import warnings

    network = ecoroute.load_osm(detour_map(tmp_path / "map.osm", {}), largest_component=False)
    with pytest.warns(ecoroute.DefaultVehicleWarning, match="routes as 'car_petrol'"):
        router = ecoroute.Router(network)
    assert "vehicle='car_petrol'" in repr(router.route(S, T))
    table = router.route_many([S], [T])
    assert table.attrs == {"vehicle": "car_petrol", "objective": "co2"}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ecoroute.DefaultVehicleWarning)
        ecoroute.Router(network, "van_diesel")  # named: nothing to say

    saved = tmp_path / "net.ecoroute"
    network.save(saved)
    base = ["route", "--network", str(saved), "--from", "48.995,8.4", "--to", "49.015,8.4"]
    assert main(base) == 0
    captured = capsys.readouterr()
    assert "note: vehicle: car_petrol (the default; pass --vehicle" in captured.err
    assert captured.out.startswith("car_petrol, least co2")
    assert main([*base, "--vehicle", "van_diesel"]) == 0
    assert "note: vehicle" not in capsys.readouterr().err


def test_batch_results_and_fleet_plans_have_short_reprs_with_units(tmp_path):
    """
    Tests that a batch summary and a fleet plan name their vehicle and objective, with
    counts and totals in units, and that the totals are those of the rows written.
    """
    import pandas as pd

    from ecoroute import batch
    from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet

    from .fleet_helpers import grid_town

    trips = _trips([1, 2, 3])
    trips.loc[3] = [4, S, 999_999, "C9", 9]  # a destination that is not a node: bad input
    out = tmp_path / "out.parquet"
    summary = batch.run(_square(tmp_path), trips, out, vehicle="van_diesel", progress=False)
    rows = pd.read_parquet(out)
    routed = rows[rows["status"] == "ok"]
    assert summary.totals["co2_g"] == pytest.approx(routed["co2_g"].sum())
    assert summary.totals["distance_m"] == pytest.approx(routed["distance_m"].sum())
    text = repr(summary)
    assert text.startswith("BatchSummary(4 trips: 3 ok, 0 no route, 1 bad input; ")
    assert "vehicle='van_diesel'" in text
    assert "objective='co2'" in text
    assert f"{summary.totals['co2_g'] / 1000:,.1f} kg CO2" in text
    assert len(text) < 300

    town = grid_town(3, side=4)
    depot = Depot("D", node=int(town.node_id[0]))
    stops = [Stop(f"S{i}", node=int(town.node_id[i]), demand_kg=10.0) for i in (5, 10)]
    plan = plan_fleet(town, depot, stops, [VehicleType("van_diesel")], max_iterations=50)
    text = repr(plan)
    assert text.startswith("FleetPlan(objective='co2'; 1 vehicle (van_diesel); 2 stops served")
    assert f"{plan.totals['distance_m'] / 1000:.2f} km" in text
    assert "CO2e WTW" in text
    assert "vs 'distance'" in text
    assert "vs 'time'" in text
    assert "routing" in text
    assert "vehicle choice" in text
    assert len(text) < 400
    assert repr(plan.savings["time"]).startswith("Savings(vs 'time': ")


# ------------------------------------------------------------------ CLI conventions

DOCS = Path(__file__).resolve().parents[1] / "docs"
DOCS_PATH = re.compile(r"docs/([A-Za-z0-9_./-]+\.md)")


def _parser(monkeypatch):
    """The ``ecoroute`` argument parser, as main() builds it."""
    import argparse

    found = {}

    def grab(self, args=None, namespace=None):
        found["parser"] = self
        raise SystemExit(0)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", grab)
    with pytest.raises(SystemExit):
        main([])
    monkeypatch.undo()
    return found["parser"]


def _commands(parser):
    """Every (name, parser) of the command line, subcommands of subcommands too."""
    import argparse

    out = [("ecoroute", parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += [(f"{name}", sub), *_commands(sub)[1:]]
    return out


def test_every_docs_page_a_help_text_names_exists(monkeypatch):
    """
    Tests that every docs/... page named in any ``ecoroute ... --help`` exists under
    docs/, and that each command's help ends with its own page.
    """
    from ecoroute.cli import COMMAND_DOCS

    commands = dict(_commands(_parser(monkeypatch)))
    assert set(COMMAND_DOCS) <= set(commands)
    named = 0
    for name, parser in commands.items():
        text = parser.format_help()
        for page in DOCS_PATH.findall(" ".join(text.split())):
            named += 1
            assert (DOCS / page).is_file(), f"ecoroute {name} --help names docs/{page}"
        if name in COMMAND_DOCS:
            assert text.rstrip().endswith(f"Docs: docs/{COMMAND_DOCS[name]}"), name
    assert named >= len(COMMAND_DOCS)


def test_every_command_spells_out_and_quiet_alike(monkeypatch, tmp_path, capsys):
    """Tests that each command writing files takes -o/--out, and --quiet goes after any command."""
    commands = dict(_commands(_parser(monkeypatch)))
    for name in ("build", "route", "batch", "fleet", "demo"):
        options = {s for action in commands[name]._actions for s in action.option_strings}
        assert {"-o", "--out"} <= options, name
        assert "--output" not in options or name == "build"  # the old spelling, hidden
    import os

    from ecoroute._progress import QUIET_VARIABLE

    monkeypatch.setenv(QUIET_VARIABLE, "0")  # restored after the test, whatever main() sets
    assert main(["vehicles", "--quiet"]) == 0
    assert os.environ[QUIET_VARIABLE] == "1"


def test_every_benchmark_section_names_a_command_that_exists():
    """
    Tests that each section of docs/benchmarks.md names the ``python benchmarks/...``
    command its numbers come from, and that the script is in benchmarks/.
    """
    text = (DOCS / "benchmarks.md").read_text(encoding="utf-8")
    sections = re.split(r"\n(?=## )", text)[1:]
    assert len(sections) >= 8
    for section in sections:
        heading = section.splitlines()[0]
        commands = re.findall(r"python benchmarks/(\w+\.py)", " ".join(section.split()))
        assert commands, f"{heading} names no benchmark command"
        for script in commands:
            assert (DOCS.parent / "benchmarks" / script).is_file(), f"{heading}: {script}"


#: A timing or speed-up in prose: "5.06 ms", "0.6 s", "about 3 minutes", "4.6x", "1.74 x the".
TIMING = re.compile(
    r"\d(?:[\d,.]*\d)?\s?(?:ms|us|µs|s|seconds?|min|minutes)\b(?!-)"
    r"|\d(?:\.\d+)?\s?(?:x|\u00d7|times)\s+(?:faster|slower|the)\b|\b\d+(?:\.\d+)?x\b"
)
#: Where a timing says it comes from: a benchmark script, a hand measurement or the command
#: it was measured with ("measured 2026-12-08 with `/usr/bin/time ecoroute demo`"), and a date.
SOURCE = re.compile(r"benchmarks/\w+\.py|measured\s+by\s+hand|20\d\d-\d\d-\d\d\s+with\s+`")
MEASURED = re.compile(r"measured\s+(?:by\s+hand\s+)?(?:on\s+)?20\d\d-\d\d-\d\d")
#: What looks like a timing but is not a measurement (patterns), each with the reason.
NOT_TIMINGS = {
    r"`[^`\n]*`": "code and formulas (`W = F s`), not prose",
    r"for [\d.]+ s more\b": "a route's extra travel time (the demo's: tests/test_demo.py)",
    r"30 s of constant speed each": "the drive cycle a fit used, not a time it took",
    r"1\.5 times the shortfall": "how the solver lowers a limit",
    r"about 3 minutes\)": "how long a slow test runs, for whoever runs it",
    r"604,800 s \(a week\)": "an input limit",
    r"takes\s+180\.2 s and emits": "a route's travel time, printed by the page's example",
    r"\(or 3 minutes\)": "a time budget a user may ask for",
    r"1\.74 x the network's own": "arithmetic on sizes, checked by tests/test_docs_numbers.py",
    r"costs 10 s more": "a hand-worked example that tests/test_turns.py checks",
}
#: OSRM's car profile, quoted with its parameters (docs/turns.md, section 2).
OSRM_PARAMETERS = "(OSRM's car profile, `profiles/car.lua`"


def _paragraphs(page: Path) -> list[tuple[str, str]]:
    """Each paragraph (or table, or list) of a page outside code blocks, with its section."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.DOTALL)
    section, found = "", []
    for block in re.split(r"\n\s*\n", text):
        if block.lstrip().startswith("#"):
            section = ""
        section += "\n" + block
        found.append((block, section))
    return found


def test_every_timing_in_the_docs_says_which_benchmark_measured_it_and_when():
    """
    Tests that each paragraph of the docs (and the README) that prints a timing or a
    speed-up names, in itself or earlier in its section, the ``benchmarks/`` script or the
    hand measurement it comes from and a "measured YYYY-MM-DD" date, and that every script a
    page names exists. docs/benchmarks.md is checked section by section above.
    """
    pages = [p for p in sorted(DOCS.rglob("*.md")) if p.name != "benchmarks.md"]
    undated = []
    for page in [*pages, DOCS.parent / "README.md"]:
        for script in re.findall(r"benchmarks/(\w+\.py)", page.read_text(encoding="utf-8")):
            assert (DOCS.parent / "benchmarks" / script).is_file(), f"{page.name}: {script}"
        for block, section in _paragraphs(page):
            if OSRM_PARAMETERS in block:
                continue
            prose = " ".join(block.split())
            for pattern in NOT_TIMINGS:
                prose = re.sub(pattern, "", prose)
            if TIMING.search(prose) and not (SOURCE.search(section) and MEASURED.search(section)):
                undated.append(f"{page.relative_to(DOCS.parent)}: {block.strip()[:120]}")
    assert not undated, "\n".join(undated)
