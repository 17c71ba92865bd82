"""Shared fixtures: the real data beside the checkout (skipped when absent) and small graphs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import ecoroute

ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = Path(os.environ.get("ECOROUTE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_file(relative: str) -> Path:
    """Return a file of ``../shared/data``, or skip the test when it is not there."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{relative} not found under {SHARED_DATA} (real data is optional)")
    return path


@pytest.fixture(scope="session")
def new_york() -> ecoroute.RoadNetwork:
    """The DIMACS New York road graph (264,346 nodes, 733,846 arcs)."""
    d = shared_file("dimacs/USA-road-d.NY.gr.gz")
    t = shared_file("dimacs/USA-road-t.NY.gr.gz")
    co = shared_file("dimacs/USA-road-d.NY.co.gz")
    return ecoroute.read_dimacs(d, t, co)


DRIVABLE = {
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
}


def _osmnx_graph(relative: str):  # type: ignore[no-untyped-def]
    """osmnx's graph of an XML extract, cut to drivable highways (graph_from_xml keeps every way)."""
    ox = pytest.importorskip("osmnx")
    path = shared_file(relative)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # osmnx warns about its own defaults
        graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
        drop = [
            (u, v, k)
            for u, v, k, d in graph.edges(keys=True, data=True)
            if not (set(d["highway"]) if isinstance(d.get("highway"), list) else {d.get("highway")})
            & DRIVABLE
        ]
        graph.remove_edges_from(drop)
        graph = ox.truncate.largest_component(graph, strongly=False)
        graph = ox.simplify_graph(graph)
        graph = ox.add_edge_speeds(graph, fallback=30.0)
        return ox.add_edge_travel_times(graph)


@pytest.fixture(scope="session")
def aguascalientes_osmnx():  # type: ignore[no-untyped-def]
    """osmnx graph of the Aguascalientes extract (XML), with speeds and travel times."""
    return _osmnx_graph("osm/aguascalientes.osm.bz2")


@pytest.fixture(scope="session")
def west_oakland_osmnx():  # type: ignore[no-untyped-def]
    """osmnx graph of the small West Oakland extract."""
    return _osmnx_graph("osm/west-oakland.osm.bz2")


@pytest.fixture(scope="session")
def tiny_osmnx():  # type: ignore[no-untyped-def]
    """osmnx graph of the hand-written tests/data/tiny.osm (no shared data needed)."""
    ox = pytest.importorskip("osmnx")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ox.graph_from_xml(TEST_DATA / "tiny.osm", simplify=False, retain_all=True)
