"""
The numbers the docs print, against what produces them: counts on the shipped networks are
recomputed here; timings and figures from benchmarks that need data the package does not
ship are checked against the table that records them (docs/benchmarks.md), and every other
timing must say which benchmark measured it and when.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _text(name: str) -> str:
    """A page (relative to docs/, or README.md) with its line breaks undone."""
    path = ROOT / name if name == "README.md" else DOCS / name
    return " ".join(path.read_text(encoding="utf-8").split())


def _table_row(page: str, first_cell: str) -> list[str]:
    """The cells of the Markdown table row of ``page`` whose first cell is ``first_cell``."""
    for line in (DOCS / page).read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and cells[0] == first_cell:
            return cells
    msg = f"{page} has no table row {first_cell!r}"
    raise AssertionError(msg)


def test_algorithms_quotes_the_recorded_query_and_hierarchy_timings():
    """
    Tests that docs/algorithms.md quotes the New York timings of the point-to-point and
    contraction-hierarchy tables of docs/benchmarks.md (bench_queries.py, bench_cch.py).
    """
    text = _text("algorithms.md")
    auto = _table_row("benchmarks.md", "ecoroute bidirectional A* (`auto`)")
    networkx = _table_row("benchmarks.md", "networkx bidirectional_dijkstra")
    assert f"({auto[1]} ms per query on New York, {networkx[2]} faster than networkx's" in text
    prep = _table_row("benchmarks.md", "preprocessing (order + contraction)")
    assert f"{prep[1]} on New York, {prep[3]} faster than RoutingKit's" in text
    custom = _table_row("benchmarks.md", "customization, 2 threads")
    assert f"{custom[1]} on New York with 2 threads" in text
    query = _table_row("benchmarks.md", "query with path, per Python call (core)")
    route = _table_row("benchmarks.md", "Router.route (path, Route object, 5 quantities)")
    assert f"{query[1]} per query with its path on New York" in text
    assert f"also builds the Route, {route[1]})" in text
    matrix = _table_row("benchmarks.md", "matrix 1000x1000")
    assert f"1000 x 1000 in {matrix[1]} on New York" in text


def test_task_pages_quote_the_recorded_matrix_and_loading_speed_ups():
    """
    Tests the New York matrix (bench_cch.py) and OSM loading (bench_osm.py) figures that
    docs/tasks/matrices.md and docs/tasks/load-network.md quote against docs/benchmarks.md.
    """
    matrix = _table_row("benchmarks.md", "matrix 1000x1000")
    assert f"1000 x 1000 in {matrix[1]} on New York, {matrix[3]} faster than RoutingKit" in (
        _text("tasks/matrices.md")
    )
    load = _text("tasks/load-network.md")
    speed_ups = []
    for extract, name in (("malta", "Malta"), ("rhein-neckar", "Rhein-Neckar")):
        row = _table_row("benchmarks.md", extract)
        assert f"{row[6]} on {name}" in load, extract
        speed_ups.append(float(row[6].rstrip("x")))
    assert "about 20 times faster than osmnx" in load
    assert all(abs(x - 20) <= 1 for x in speed_ups)


def test_traffic_profile_memory_is_what_the_arrays_take():
    """
    Tests docs/traffic.md's "``4 + 168 x 4`` bytes per profiled arc" against the arrays
    ``SpeedProfiles.to_arrays`` gives on the shipped Helsinki network, and its New York
    arithmetic (99 MB for 20 % of 733,846 arcs, 1.74 x 57 MB, 146,769 profiled arcs).
    """
    from ecoroute import datasets, traffic

    profiles = traffic.synthetic_profiles(datasets.helsinki())
    arrays = profiles.to_arrays()
    per_arc = (arrays["arcs"].nbytes + arrays["speed_kph"].nbytes) / len(arrays["arcs"])
    assert per_arc == 4 + 168 * 4
    text = _text("traffic.md")
    assert "Memory is `4 + 168 x 4` bytes per profiled arc: 99 MB for 20 % of" in text
    profiled = round(0.2 * 733_846)
    assert f"{profiled:,} profiled arcs at 168 hours" in text
    assert round(per_arc * profiled / 1e6) == 99
    assert "1.74 x the network's own 57 MB" in text
    assert round(per_arc * profiled / 1e6 / 57, 2) == pytest.approx(1.74, abs=0.01)


def _budget_cells(network: str, column: int) -> list[tuple[float, float]]:
    """(CO2 saved %, extra time %) of docs/benchmarks.md's trade-off rows for ``network``."""
    found = []
    for line in (DOCS / "benchmarks.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == network and "time, gap" in line:
            saved, extra = re.match(r"([\d.]+)% \(\+([\d.]+)% time", cells[column]).groups()
            found.append((float(saved), float(extra)))
    assert found, network
    return found


def test_tradeoff_quotes_the_ranges_of_the_recorded_budget_table():
    """
    Tests the savings docs/tasks/tradeoff.md quotes for Monaco and Andorra at +5 % and
    +20 % (turn-aware, and on the node graph) against the bench_tradeoff.py table of
    docs/benchmarks.md: each range runs from the least to the most of those rows.
    """
    text = _text("tasks/tradeoff.md")

    def spread(values: list[float]) -> str:
        return f"{min(values):.1f}-{max(values):.1f} %"

    turns = {c: _budget_cells("monaco", c) + _budget_cells("andorra", c) for c in (3, 5)}
    nodes = {
        c: _budget_cells("monaco (node graph)", c) + _budget_cells("andorra (node graph)", c)
        for c in (3, 5)
    }
    five, twenty = turns[3], turns[5]
    assert (
        f"5 % more time saves {spread([s for s, _ in five])} of the CO2 (spending "
        f"{spread([e for _, e in five])} more time in total), and 20 % saves "
        f"{spread([s for s, _ in twenty])}" in text
    )
    assert (
        f"({spread([s for s, _ in nodes[3]])} at +5 %, {spread([s for s, _ in nodes[5]])} "
        "at +20 %, measured in the same run)" in text
    )


def test_vehicles_quotes_the_emission_timings_of_the_emissions_page():
    """
    Tests that docs/vehicles.md quotes the per-vehicle New York timings of the table in
    docs/emissions.md (one run of bench_emissions.py, recorded once).
    """
    before = _table_row("emissions.md", "before (commit 4c3c91f, 8 vehicles)")
    after = _table_row("emissions.md", "after (12 vehicles)")
    text = _text("vehicles.md")
    assert f"{after[1]} of CPU time (before: {before[1]})" in text
    assert f"wall clock {after[2]} at load average 3.5 (before: {before[2]})" in text
    assert f"{after[3]} at load 8-10 (before: {before[3]})" in text
    graded = re.search(r"a vehicle costs ([\d-]+ ms) of CPU", _text("emissions.md"))
    assert graded
    assert f"(synthetic terrain) {graded.group(1)} of CPU" in text


def test_turns_counts_the_restrictions_of_the_shipped_helsinki_extract():
    """
    Tests docs/turns.md's count of the Helsinki extract's restriction relations, placed
    and skipped by reason, against read_turns on the network as load_osm reads it.
    """
    import ecoroute
    from ecoroute import datasets, turns

    path = datasets.helsinki_path()
    relations, unread, _ = turns._read_relations(path, "motorcar")
    with pytest.warns(UserWarning, match="clipped extract"):
        network = ecoroute.load_osm(path)
    skipped = turns.read_turns(path, network).skipped
    total = len(relations) + len(unread)
    reasons = {
        "no_arc": sum("no arc of the network drives along" in s for s in skipped),
        "via": sum("is not a node of the network" in s for s in skipped),
        "missing": sum("is not in the file" in s for s in skipped),
    }
    assert sum(reasons.values()) == len(skipped)
    assert (
        f"The Helsinki demo extract carries {total} ({total - len(skipped)} placed as "
        f"`load_osm` reads it by default; of the {len(skipped)} skipped, {reasons['no_arc']} "
        f"name a `from` or `to` way that no arc drives into or out of the via node, "
        f"{reasons['via']} have a via node the network does not have, {reasons['missing']} "
        "names a way missing from the clipped file;" in _text("turns.md")
    )


def _table(page: str, header: str) -> list[str]:
    """The lines of the Markdown table of ``page`` whose first line starts with ``header``."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return lines[start:end]


@pytest.mark.parametrize(
    "header", ["| step |", "| network | plan |", "| penalties |", "| instance | routes |"]
)
def test_fleet_plans_prints_the_fleet_tables_of_the_benchmarks_page(header):
    """
    Tests that docs/tasks/fleet-plans.md and docs/benchmarks.md print the same tables of
    the one bench_fleet.py run, so that a re-run cannot update one page and not the other.
    """
    assert _table("tasks/fleet-plans.md", header) == _table("benchmarks.md", header)
