"""
Tests of benchmarks/osrm_car_suite.py, the harness that runs OSRM's car feature files.

The feature text here is our own, written in the Gherkin subset those files
use; nothing is read from the OSRM mirror.
"""

from __future__ import annotations

import importlib.util
import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "osrm_car_suite.py"

MINI_FEATURE = '''\
@car @mini
Feature: Mini - three nodes on one road

    Background:
        Given the profile "car"
        # a comment between steps
        Given a grid size of 100 meters

    Scenario: Mini - a road and a footpath
        Given the node map
            """
            a b c

                  d

            e   f
            """

        And the ways
            | nodes | highway | access | oneway |
            | abc   | primary |        |        |
            | ef    | primary |        | yes    |

        And the ways
            | nodes | highway | name |
            | cd    | footway | ""   |

        When I route I should get
            | from | to | route   |
            | a    | c  | abc,abc |
            | a    | c  | xyz,xyz |
            | a    | d  | abc,abc |
            | f    | e  |         |

    Scenario: Mini - routability
        Then routability should be
            | highway | oneway | forw | backw |
            | primary |        | x    | x     |
            | primary | yes    | x    |       |
            | footway |        |      |       |

    @todo
    Scenario: Mini - not yet
        Given the node map
            """
            a b
            """
        And the ways
            | nodes |
            | ab    |
        When I route I should get
            | from | to | route | bearings |
            | a    | b  | ab,ab |          |
'''


@pytest.fixture(scope="module")
def suite() -> ModuleType:
    """The harness module, loaded from its file (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location("osrm_car_suite", HARNESS)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["osrm_car_suite"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def feature(suite: ModuleType) -> object:
    return suite.parse_feature(MINI_FEATURE, "mini.feature")


def _line_of(text: str) -> int:
    """The 1-based line of MINI_FEATURE that holds ``text``."""
    return next(i for i, line in enumerate(MINI_FEATURE.splitlines(), 1) if text in line)


def _haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def test_parser_reads_scenarios_tags_steps_and_tables(feature: object) -> None:
    """Tests that Background steps lead every scenario, tags add up and tables keep empty cells."""
    scenarios = feature.scenarios  # type: ignore[attr-defined]
    assert feature.name == "Mini - three nodes on one road"  # type: ignore[attr-defined]
    assert [s.name for s in scenarios] == [
        "Mini - a road and a footpath",
        "Mini - routability",
        "Mini - not yet",
    ]
    assert scenarios[0].tags == {"@car", "@mini"}
    assert scenarios[2].tags == {"@car", "@mini", "@todo"}
    first = scenarios[0].steps
    assert [s.text for s in first[:3]] == [
        'the profile "car"',
        "a grid size of 100 meters",
        "the node map",
    ]
    assert first[2].docstring == "a b c\n\n      d\n\ne   f"  # the fence's indent removed
    ways = first[3]
    assert ways.text == "the ways"
    assert ways.table == [
        ["nodes", "highway", "access", "oneway"],
        ["abc", "primary", "", ""],
        ["ef", "primary", "", "yes"],
    ]
    assert first[4].table == [["nodes", "highway", "name"], ["cd", "footway", '""']]
    route = first[5]
    assert route.table[4] == ["f", "e", ""]
    header = _line_of("| from | to | route   |")
    assert route.table_lines == [header + k for k in range(5)]


def test_node_map_coordinates_follow_the_grid(suite: ModuleType, feature: object) -> None:
    """
    Tests that letters two columns apart lie one grid cell (100 m) apart
    east of the origin (1, 1), and a row down lies one cell south.
    """
    osm_map = suite.ScenarioMap()
    osm_map.grid_m = 100.0
    osm_map.add_node_map(feature.scenarios[0].steps[2].docstring)  # type: ignore[attr-defined]
    a, b, c, d = (osm_map.nodes[n] for n in "abcd")
    assert (a.lon, a.lat) == (1.0, 1.0)
    assert b.lat == c.lat == 1.0
    assert _haversine_m(a.lon, a.lat, b.lon, b.lat) == pytest.approx(100.0, abs=0.5)
    assert _haversine_m(a.lon, a.lat, c.lon, c.lat) == pytest.approx(200.0, abs=1.0)
    assert d.lon == pytest.approx(a.lon + 3 * (b.lon - a.lon))
    # cheap-ruler's metres are on the WGS84 ellipsoid: 110,574 m per degree of latitude here
    assert (a.lat - d.lat) * 110_574.0 == pytest.approx(200.0, rel=1e-4)
    assert [osm_map.nodes[n].id for n in "abcdef"] == [1, 2, 3, 4, 5, 6]  # in reading order


def test_osm_xml_follows_osrms_table_conventions(suite: ModuleType, feature: object) -> None:
    """
    Tests the OSM XML: node ids and names, ways named after their nodes
    unless the name cell says otherwise ("" an empty name), empty cells
    written as no tag.
    """
    steps = feature.scenarios[0].steps  # type: ignore[attr-defined]
    osm_map = suite.ScenarioMap()
    osm_map.add_node_map(steps[2].docstring)
    osm_map.add_ways(steps[3].table)
    osm_map.add_ways(steps[4].table)
    root = ET.fromstring(osm_map.to_osm_xml())
    nodes = root.findall("node")
    assert [n.get("id") for n in nodes] == ["1", "2", "3", "4", "5", "6"]
    assert nodes[1].find("tag").attrib == {"k": "name", "v": "b"}
    assert nodes[1].get("lat") == "1.0000000"
    ways = root.findall("way")
    assert [w.get("id") for w in ways] == ["7", "8", "9"]
    assert [nd.get("ref") for nd in ways[0].findall("nd")] == ["1", "2", "3"]
    tags = [{t.get("k"): t.get("v") for t in w.findall("tag")} for w in ways]
    assert tags == [
        {"highway": "primary", "name": "abc"},
        {"highway": "primary", "oneway": "yes", "name": "ef"},
        {"highway": "footway", "name": ""},
    ]


def test_route_rows_pass_and_fail(suite: ModuleType, feature: object, tmp_path: Path) -> None:
    """
    Tests four route rows: one ecoroute drives as OSRM says (both ways of
    routing), one naming a wrong way (fails), one to a point beside a
    footpath (it snaps onto the road, as OSRM's would), and one against a
    one-way street that only any-road snapping refuses, as OSRM does.
    """
    options = suite.Options(diagnose=True)
    scenario = feature.scenarios[0]  # type: ignore[attr-defined]
    rows = suite.ScenarioRun("mini.feature", scenario, tmp_path, options).run()
    first_row = _line_of("| a    | c  | abc,abc |")
    assert [r.line for r in rows] == [first_row + k for k in range(4)]
    right, wrong, beside, against = rows
    assert right.expressible
    assert (right.pass_router, right.pass_any_road) == (True, True)
    assert right.got_any_road == right.got_router == "abc"
    assert (wrong.pass_router, wrong.pass_any_road) == (False, False)
    assert wrong.category == "mini"  # no tag explains it: the file's name
    assert (beside.pass_router, beside.pass_any_road) == (True, True)
    assert against.expected == ""
    assert against.got_any_road == ""
    assert (against.pass_router, against.pass_any_road) == (False, True)
    assert against.got_router == "abc"  # the public Router snapped both ends onto abc
    assert against.category == "snapping"


def test_routability_rows(suite: ModuleType, feature: object, tmp_path: Path) -> None:
    """Tests one way per row: two-way, one-way, and a footway the car may not drive."""
    scenario = feature.scenarios[1]  # type: ignore[attr-defined]
    rows = suite.ScenarioRun("mini.feature", scenario, tmp_path, suite.Options()).run()
    assert [r.expected for r in rows] == [
        "forw=x backw=x",
        "forw=x backw=-",
        "forw=- backw=-",
    ]
    assert [r.got_any_road for r in rows] == [r.expected for r in rows]
    assert all(r.pass_any_road for r in rows)


def test_todo_and_osrm_only_rows_are_not_expressible(
    suite: ModuleType, feature: object, tmp_path: Path
) -> None:
    """Tests that an @todo scenario's rows are counted apart, with the reason."""
    scenario = feature.scenarios[2]  # type: ignore[attr-defined]
    (row,) = suite.ScenarioRun("mini.feature", scenario, tmp_path, suite.Options()).run()
    assert not row.expressible
    assert row.reason == "@todo"


def test_collapse_and_compare(suite: ModuleType) -> None:
    """Tests that repeats collapse on both sides and an empty expectation means no route."""
    assert suite.collapse(["ab", "ab", "bc", "bc", "ab"]) == ["ab", "bc", "ab"]
    assert suite.routes_match("ab,bc,bc", ["ab", "ab", "bc"])
    assert not suite.routes_match("ab,bc,bc", ["ab"])
    assert suite.routes_match("", None)
    assert not suite.routes_match("", ["ab"])
    assert suite.split_table_row(r"| a\|b | | c |") == ["a|b", "", "c"]
