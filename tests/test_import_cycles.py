"""The network layer's modules sit in no import cycle (imports inside functions count)."""

from __future__ import annotations

from .import_graph import cycles, import_graph

NETWORK_LAYER = {
    "ecoroute._errors",
    "ecoroute._geo",
    "ecoroute._topology",
    "ecoroute._version",
    "ecoroute.dimacs",
    "ecoroute.elevation",
    "ecoroute.network",
    "ecoroute.osmnx_io",
    "ecoroute.storage",
}


def test_import_graph_sees_function_level_imports():
    """Tests the checker itself: network imports hierarchy, elevation imports scipy only inside."""
    graph = import_graph()
    assert {"ecoroute.hierarchy", "ecoroute.storage", "ecoroute._core"} <= graph["ecoroute.network"]
    assert "ecoroute.batch" in graph["ecoroute.cli"]  # imported inside a function there
    assert "ecoroute.network" not in graph["ecoroute.storage"]  # only under TYPE_CHECKING


def test_no_import_cycle_touches_the_network_layer():
    """Tests that no cycle (of any length) goes through network, storage, elevation, osmnx_io..."""
    touching = [c for c in cycles(import_graph()) if NETWORK_LAYER & set(c)]
    assert touching == []


def test_no_import_cycle_anywhere_in_the_package():
    """Tests the whole package: every module sits in no import cycle (issue 10)."""
    assert cycles(import_graph()) == []
