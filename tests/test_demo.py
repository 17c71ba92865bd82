"""The ``ecoroute demo`` in its fast mode: its figures against networkx, its report self-contained."""

from __future__ import annotations

import base64
import re

import networkx as nx
import numpy as np
import pytest

from ecoroute import Router, datasets, demo
from ecoroute.cli import main

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    found = demo.run(out, trips=40, stops=8, iterations=200, seed=0, echo=lines.append)
    found.lines = lines  # type: ignore[attr-defined]
    return found


@pytest.fixture(scope="module")
def oracle():
    """networkx graphs of the demo van's per-arc CO2 and time on the shipped network."""
    network = datasets.denver()
    quantities = Router(network, demo.DEMO_VEHICLE, "co2").arc_quantities
    graph = nx.DiGraph()
    for a in range(network.arc_count):
        u, v = int(network.tail[a]), int(network.head[a])
        co2, time_s = float(quantities["co2_g"][a]), float(quantities["time_s"][a])
        # Parallel arcs: keep, per quantity, the cheaper one (a search may use either).
        old = graph.get_edge_data(u, v, {"co2_g": np.inf, "time_s": np.inf})
        graph.add_edge(u, v, co2_g=min(co2, old["co2_g"]), time_s=min(time_s, old["time_s"]))
    return network, graph


def _index(network, node_id):
    return int(network.node_index([node_id])[0])


def test_best_trip_and_tradeoff_match_networkx(result, oracle):
    """
    Tests that the best trip's eco-route has networkx's least CO2, its fastest route
    networkx's least time, and that the trade-off runs from one to the other.
    """
    network, graph = oracle
    best = result.best
    assert best is not None, "seed 0 has trips whose eco-route differs"
    s, t = _index(network, best["source"]), _index(network, best["target"])
    least_co2 = nx.dijkstra_path_length(graph, s, t, weight="co2_g")
    least_time = nx.dijkstra_path_length(graph, s, t, weight="time_s")
    assert best["eco_co2_g"] == pytest.approx(least_co2, rel=1e-9)
    assert best["fastest_time_s"] == pytest.approx(least_time, rel=1e-9)
    assert best["fastest_co2_g"] > best["eco_co2_g"]
    assert best["saving"] == pytest.approx(1 - best["eco_co2_g"] / best["fastest_co2_g"])

    frame = result.tradeoff
    assert frame["time_s"].iloc[0] == pytest.approx(least_time, rel=1e-9)
    assert frame["co2_g"].iloc[-1] == pytest.approx(least_co2, rel=1e-9)
    assert (np.diff(frame["time_s"]) >= -1e-9).all()
    assert (np.diff(frame["co2_g"]) < 0).all()


def test_count_of_differing_trips_and_best_saving_match_networkx(result, oracle):
    """
    Tests that "k of N trips differ" and the best saving agree with networkx: a trip
    differs when the CO2 of its fastest path (least time, ties broken by least CO2)
    is above its least CO2.
    """
    network, graph = oracle
    savings = []
    for source, target in zip(result.sources, result.targets, strict=True):
        s, t = _index(network, source), _index(network, target)
        least_co2 = nx.dijkstra_path_length(graph, s, t, weight="co2_g")
        least_time = nx.dijkstra_path_length(graph, s, t, weight="time_s")
        # Every path within rounding of the least time: the fastest routes the demo may pick.
        fastest_co2 = [
            nx.path_weight(graph, path, "co2_g")
            for path in nx.all_shortest_paths(graph, s, t, weight="time_s")
            if nx.path_weight(graph, path, "time_s") <= least_time * (1 + 1e-12)
        ]
        savings.append((min(fastest_co2) - least_co2) / min(fastest_co2))
    assert result.trips == len(result.sources) == 40
    assert result.differing == sum(x > demo.SAME_ROUTE for x in savings)
    assert result.best["saving"] == pytest.approx(max(savings), rel=1e-6)


def test_fleet_saving_adds_up(result):
    """
    Tests that the fleet saving is the difference of the two plans' totals and that its
    two steps, time plan -> its assignment re-routed -> least-CO2 plan, add up to it.
    """
    fleet = result.fleet
    assert fleet["stops"] + fleet["unassigned"] == 8
    saved = fleet["baseline_plan_g"] - fleet["co2_plan_g"]
    assert fleet["saved_g"] == pytest.approx(saved, rel=1e-9)
    assert fleet["routing_g"] == pytest.approx(fleet["baseline_plan_g"] - fleet["rerouted_g"])
    assert fleet["vehicle_g"] == pytest.approx(fleet["rerouted_g"] - fleet["co2_plan_g"])
    assert fleet["routing_g"] + fleet["vehicle_g"] == pytest.approx(saved, rel=1e-9)
    assert fleet["saving_pct"] == pytest.approx(100 * saved / fleet["baseline_plan_g"])
    assert fleet["routing_pct"] + fleet["vehicle_pct"] == pytest.approx(fleet["saving_pct"])
    # The least-CO2 plan cannot emit more than the time-optimal one by much (solver noise).
    assert fleet["co2_plan_g"] <= fleet["baseline_plan_g"] * 1.01


def test_report_is_self_contained_and_says_what_it_found(result):
    """
    Tests that report.html needs nothing but itself (every image inline, a valid PNG),
    states the counts, explains the small savings and credits OpenStreetMap.
    """
    text = result.files["report"].read_text(encoding="utf-8")
    assert f"{result.differing} of {result.trips}" in text
    assert "Why not more?" in text
    assert "routing" in text
    assert "vehicle choice" in text
    assert "time-optimal" in text
    assert "Where to go next" in text
    assert "OpenStreetMap contributors" in text
    sources = re.findall(r'src="([^"]*)"', text)
    assert len(sources) == 4  # route map, trade-off, two fleet plans
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == PNG
    assert "http://" not in text
    assert "https://" not in text
    for key in ("routes_png", "tradeoff_png", "fleet_png", "fleet_baseline_png"):
        assert result.files[key].read_bytes()[:8] == PNG


def test_geojson_holds_both_routes_of_the_best_trip(result):
    import json

    features = json.loads(result.files["geojson"].read_text())["features"]
    assert [f["properties"]["kind"] for f in features] == ["eco", "fastest"]
    co2 = {f["properties"]["kind"]: f["properties"]["co2_g"] for f in features}
    assert co2["eco"] == pytest.approx(result.best["eco_co2_g"])
    assert co2["fastest"] == pytest.approx(result.best["fastest_co2_g"])


def test_terminal_output_is_honest(result):
    text = " ".join("\n".join(result.lines).split())  # undo the wrapping
    assert f"{result.differing} of {result.trips} trips" in text
    assert "Why not more?" in text
    assert "Where to go next" in text
    assert " ".join(demo.ATTRIBUTION.split()) in text
    assert "OpenStreetMap contributors" in text
    assert "RouteE Compass" in text
    fleet = result.fleet
    assert f"serves {fleet['baseline_ev_stops']} of {fleet['stops']} stops there" in text
    assert f"routing gives {fleet['routing_g']:.1f} g" in text
    assert f"vehicle choice {fleet['vehicle_g']:.1f} g" in text


def test_cli_fast_mode(tmp_path, capsys):
    assert main(["demo", "--fast", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "of 40 trips" in out
    assert "© OpenStreetMap contributors" in out
    assert (tmp_path / "report.html").exists()
    assert (tmp_path / "routes.png").read_bytes()[:8] == PNG


def test_cli_refuses_zero_trips(tmp_path, capsys):
    assert main(["demo", "--trips", "0", "--out", str(tmp_path)]) == 2
    assert "--trips must be at least 1" in capsys.readouterr().err


def test_next_steps_point_at_pages_of_the_docs_site():
    from pathlib import Path

    config = (Path(__file__).resolve().parents[1] / "mkdocs.yml").read_text(encoding="utf-8")
    for _, _, page in demo.NEXT_STEPS:
        assert f": {page}\n" in config, f"{page} is not in the nav of mkdocs.yml"


def test_terminal_lines_fit_a_terminal(result):
    long = [line for text in result.lines for line in text.split("\n") if len(line) > 100]
    assert not long


def test_shipped_denver_network_matches_its_tables():
    """
    Tests that datasets.denver() keeps the tables' OSM node ids, lengths and elevations,
    that its grades are the rise over length of those elevations (and agree with the
    table's own grades, rounded to 0.001), and that every node reaches every other.
    """
    import pandas as pd

    network = datasets.denver()
    vertices_path, edges_path = datasets.denver_paths()
    vertices = pd.read_csv(vertices_path).set_index("vertex_uuid")
    edges = pd.read_csv(edges_path)
    assert (network.node_count, network.arc_count) == (476, 1333)  # largest strong part
    assert set(network.node_id) <= set(vertices.index)
    np.testing.assert_array_equal(
        network.elevation_m, vertices.loc[network.node_id, "elevation"].to_numpy()
    )
    ids = network.node_id
    rise = network.elevation_m[network.head] - network.elevation_m[network.tail]
    np.testing.assert_allclose(network.grade, rise / network.length_m, atol=1e-12)
    table = edges.set_index(
        [
            vertices.reset_index().set_index("vertex_id").loc[edges.src_vertex_id, "vertex_uuid"],
            vertices.reset_index().set_index("vertex_id").loc[edges.dst_vertex_id, "vertex_uuid"],
        ]
    )
    pairs = list(zip(ids[network.tail], ids[network.head], strict=True))
    np.testing.assert_allclose(
        network.grade, table.loc[pairs, "grade"].groupby(level=[0, 1]).first().loc[pairs], atol=6e-4
    )
    costs = Router(network, "car_petrol", "time").costs_from(int(ids[0]))
    assert np.isfinite(costs).all()


def test_best_trip_climbs_are_the_rises_between_its_nodes(result):
    """Tests the metres climbed the demo reports against the elevations of each route's nodes."""
    import json

    network = datasets.denver()
    features = json.loads(result.files["geojson"].read_text())["features"]
    for feature in features:
        nodes = network.node_index(feature["properties"]["nodes"])
        rise = np.diff(network.elevation_m[nodes])
        kind = feature["properties"]["kind"]
        assert result.best[f"{kind}_climb_m"] == pytest.approx(rise[rise > 0].sum(), abs=1e-9)


def test_the_docs_print_the_numbers_the_default_demo_prints(tmp_path):
    """
    Tests that the figures docs/getting-started.md and docs/index.md quote are the ones
    ``ecoroute demo`` (default seed and sizes) prints today, so that they cannot drift.
    """
    from pathlib import Path

    lines: list[str] = []
    demo.run(tmp_path / "demo", echo=lines.append)
    text = " ".join(" ".join(lines).split())
    found = {
        "network": re.search(r"(\d+) junctions, \d+ road arcs, (\d+-\d+ m) above", text),
        "changed": re.search(r"(\d+) of 200 trips have an eco-route", text),
        "saving": re.search(r"saves ([\d.]+ %) of the CO2 for ([\d.]+ %) more", text),
        "best": re.search(r"\(-([\d.]+ %)\) for \+([\d.]+ s)", text),
        "fleet": re.search(r"-([\d.]+ %) for \+([\d.]+ km)", text),
        "split": re.search(r"routing gives (-?[\d.]+ g) .*? and vehicle choice (-?[\d.]+ g)", text),
        "ev_stops": re.search(r"the least-CO2 plan (\d+)\.", text),
    }
    assert all(found.values()), {k: bool(v) for k, v in found.items()}
    docs = Path(__file__).resolve().parents[1] / "docs"
    start = " ".join((docs / "getting-started.md").read_text(encoding="utf-8").split())
    index = " ".join((docs / "index.md").read_text(encoding="utf-8").split())
    nodes, heights = found["network"].groups()  # type: ignore[union-attr]
    changed = found["changed"].group(1)  # type: ignore[union-attr]
    saving, extra = found["saving"].groups()  # type: ignore[union-attr]
    best, best_s = found["best"].groups()  # type: ignore[union-attr]
    fleet, fleet_km = found["fleet"].groups()  # type: ignore[union-attr]
    routing, vehicle = found["split"].groups()  # type: ignore[union-attr]
    ev = found["ev_stops"].group(1)  # type: ignore[union-attr]
    for phrase in (
        f"({nodes} junctions, {heights} above sea level",
        f"({changed} of 200 with the default seed)",
        f"({saving} of the CO2 for {extra} more time)",
        f"({best} less CO2 for {best_s} more)",
        f"({fleet} less CO2e for {fleet_km} more)",
        f"*routing* ({routing})",
        f"*vehicle choice* ({vehicle})",
        f"gives it {ev} of the 12 stops",
    ):
        assert phrase in start, phrase
    assert (
        f"{saving}, with {changed} of 200 trips changing route and the best saving {best}" in index
    )


def _docs_text(name):
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "docs" / name
    return " ".join(path.read_text(encoding="utf-8").split())


def test_the_helsinki_figures_the_docs_and_the_demo_quote():
    """
    Tests the Helsinki savings that the demo's "Why not more?", docs/getting-started.md
    and docs/index.md quote against demo.compare_routes on the shipped extract (seed 0,
    with its turn data and on the node graph), so that they cannot drift.
    """
    turns = demo.compare_routes(datasets.helsinki(), 200, np.random.default_rng(0))
    plain = demo.compare_routes(
        datasets.helsinki(turn_restrictions=False), 200, np.random.default_rng(0)
    )
    with_turns, without = f"{100 * turns.total_saving:.2f} %", f"{100 * plain.total_saving:.2f} %"
    why = " ".join(demo.WHY.split())
    assert f"saves {with_turns} with its signals and turns, {without} without them" in why
    start = _docs_text("getting-started.md")
    assert (
        f"saves {with_turns} with its signals and turns ({turns.differing} of 200 trips change "
        f"route) and {without} on the node graph (`helsinki(turn_restrictions=False)`, "
        f"{plain.differing} of 200)" in start
    )
    index = _docs_text("index.md")
    assert f"saves {with_turns} over the demo's 200 random trips ({turns.differing} of 200" in index
    assert f"({without} on the node graph" in index


def test_the_benchmark_figures_the_demo_quotes_are_those_docs_vehicles_records():
    """
    Tests the van's eco-routing savings the demo and docs/getting-started.md quote for
    Monaco, Andorra and Malta against the with-turns table of docs/vehicles.md, where
    ``python benchmarks/bench_ecorouting.py`` recorded them (the benchmark needs OSM
    extracts and DEM tiles the package does not ship, so this checks the quote, not the
    measurement).
    """
    table = _docs_text("vehicles.md")
    why = " ".join(demo.WHY.split())
    start = _docs_text("getting-started.md")
    for network, place in (("monaco", "in hilly Monaco"), ("andorra", "in Andorra"),
                           ("malta", "on flat Malta")):  # fmt: skip
        row = re.search(rf"\| {network} \| van_diesel \| [\d.]+ → ([\d.]+) \|", table)
        assert row, network
        quoted = f"{row.group(1)} % {place}"
        assert quoted in why, quoted
        assert quoted in start, quoted
