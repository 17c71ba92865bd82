"""
OSRM's car-profile test suite (its features/car/*.feature files) run through ecoroute's public API.

    python benchmarks/osrm_car_suite.py                          # every file, from the mirror
    python benchmarks/osrm_car_suite.py --only 'access*' --verbose
    python benchmarks/osrm_car_suite.py --features DIR --json /tmp/osrm_suite.json

The measuring instrument of issue 24 ("Roads as the map says"). OSRM's
cucumber suite describes each scenario as an ASCII node map, tables of ways,
nodes and relations with their OSM tags, and the routes OSRM's car must take.
This script reads those files (never copies them: from the OSRM mirror at run
time, or from ``--features DIR``), turns each scenario into an OSM XML file the
way OSRM's own harness does (features/support/data.js and
features/step_definitions/data.js: grid, origin, node ids, way names, empty
cells), loads it with :func:`ecoroute.load_osm` and checks every row:

* **route rows** (``When I route I should get``): the way names along
  ecoroute's route against OSRM's ``route`` column, consecutive repeats
  collapsed on both sides (OSRM lists one name per step, the arrival repeating
  the last); an empty ``route`` means no route, and ecoroute must refuse
  (:class:`ecoroute.NoRouteError` or :class:`ecoroute.SnapError`).
* **routability rows** (``Then routability should be``): one way per row, as
  OSRM builds it; ``forw``/``backw``/``bothw`` say whether the car can drive
  it from its second to its fourth node and back (a speed, a time, a mode or
  ``x``: yes; empty: no). Only routability is judged: OSRM's speeds come from
  its own profile tables, which ecoroute does not share (got speeds are
  recorded in the JSON all the same).

Each row is routed twice from the same coordinates OSRM uses:

(a) ``Router.route`` with its default snapping (the nearest road of the largest
    strongly connected part, within 1 km);
(b) :func:`ecoroute.snapping.route_partway` with an ``ArcSnapper(usable="all")``
    over the roads the car may drive and no distance limit: the nearest road
    of the whole network, as OSRM snaps on maps this small.

Both run on one network per scenario, ``load_osm(path, largest_component=False)``
(OSRM keeps every part of a map; the loader's default would drop all rows but
one of a routability table before any snapping), with the loader's other
defaults (simplification, turn restrictions, ``network_type="drive"``), a
``car_petrol`` and the ``time`` objective (OSRM's car minimises duration).

Rows that need what ecoroute cannot be asked for are counted apart as not
expressible, each with its reason: ``@todo`` scenarios, other profiles or
profile code, request options (bearings, approaches, radiuses, exclude, other
``param:`` columns), extract options, speed and penalty files, matrix and
match requests, and rows whose only expectations are columns ecoroute has no
counterpart for (time, speed, turns, modes, ...). Such columns beside a
``route`` column are not judged; the JSON lists them per row.

Failing rows get a short category from the tags involved (barrier, access
value, destination, conditional, ferry, multi-via, restriction, oneway,
classes, speed, surface, physical limitation, ...), "snapping" when only (a)
fails, and "simplification" when (b) passes on the same map loaded with
``simplify=False``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import fnmatch
import itertools
import json
import math
import re
import subprocess
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import ecoroute
from ecoroute.snapping import ArcSnapper, route_partway

#: The OSRM mirror the feature files are read from when no --features is given.
OSRM_REPO = Path("/work/.mirror/Project-OSRM+osrm-backend/repo")
FEATURE_DIR = "features/car"

# ---- OSRM's harness constants (features/support/env.js, data.js)
DEFAULT_GRID_M = 100.0
DEFAULT_ORIGIN = (1.0, 1.0)  # (lon, lat)
#: Grid cells between the ways of a routability table (one way per row, all on one line).
WAY_SPACING_CELLS = 100
#: The nodes of a routability row's way, at cells 0..4; the row's node tags go on "c".
ROUTABILITY_NODES = "abcde"
ROUTABILITY_FROM_CELL, ROUTABILITY_TO_CELL = 1, 3

# ---- what can be asked of ecoroute
#: Route-table columns that say what to request (not expectations).
REQUEST_COLUMNS = {"from", "to", "waypoints", "#"}
#: Request columns that need OSRM-only options when they hold a value.
OSRM_ONLY_REQUEST_COLUMNS = {"bearings", "approaches", "radiuses", "hints", "request"}
#: Query options that change nothing ecoroute is asked ("snapping=any" is what (b) does).
HARMLESS_QUERY_OPTIONS = {"steps", "overview", "geometries", "annotations", "snapping"}
#: Routability columns that hold expectations, and those we can judge.
ROUTABILITY_RESULT_COLUMNS = {"forw", "backw", "bothw", "forw_rate", "backw_rate", "bothw_rate"}
DIRECTIONS = ("forw", "backw", "bothw")
#: Time zones of the files OSRM's conditional scenarios name (their May 2017 offsets, hours).
TIME_ZONE_OFFSET_H = {"guinea": 0.0, "dc": -4.0}

#: What a route on a map without any road the loader keeps says.
NO_ROAD = "the loader kept no road of this map"

#: Metres within which a snapped point is taken to lie on a segment or at a node.
ON_ROAD_M = 0.5


# ============================================================== Gherkin subset


@dataclass
class Step:
    """One step: its keyword-free text, line, and a table or docstring argument."""

    text: str
    line: int
    table: list[list[str]] | None = None
    table_lines: list[int] = field(default_factory=list)
    docstring: str | None = None


@dataclass
class Scenario:
    """A scenario (Background steps first), with its own and its feature's tags."""

    name: str
    line: int
    tags: set[str]
    steps: list[Step]


@dataclass
class Feature:
    """A parsed .feature file."""

    path: str
    name: str
    tags: set[str]
    scenarios: list[Scenario]


_STEP_KEYWORDS = ("Given ", "When ", "Then ", "And ", "But ", "* ")


def split_table_row(line: str) -> list[str]:
    r"""Cells of one ``| a | b |`` row, trimmed; ``\|``, ``\n`` and ``\\`` unescaped."""
    body = line.strip()
    body = body.removeprefix("|")
    cells, cell, i = [], [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            cell.append({"|": "|", "n": "\n", "\\": "\\"}.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
            continue
        if char == "|":
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(char)
        i += 1
    return cells


def _expand_outline(scenario: Scenario, examples: list[list[str]]) -> list[Scenario]:
    """One scenario per Examples row, ``<name>`` placeholders filled in."""
    if not examples:
        return []
    header, out = examples[0], []
    for number, values in enumerate(examples[1:], start=1):
        mapping = dict(zip(header, values, strict=False))

        def fill(text: str, mapping: dict[str, str] = mapping) -> str:
            return re.sub(r"<([^<>]+)>", lambda m: mapping.get(m.group(1), m.group(0)), text)

        steps = [
            Step(
                fill(s.text),
                s.line,
                [[fill(c) for c in row] for row in s.table] if s.table is not None else None,
                s.table_lines,
                fill(s.docstring) if s.docstring is not None else None,
            )
            for s in scenario.steps
        ]
        out.append(Scenario(f"{scenario.name} #{number}", scenario.line, scenario.tags, steps))
    return out


def parse_feature(text: str, path: str = "<text>") -> Feature:
    """
    Parse the Gherkin subset OSRM's feature files use.

    Feature, Background, Scenario, Scenario Outline with Examples, tags
    (``@todo``) on the lines before a Feature or Scenario, steps with a
    docstring (``\"\"\"``, its opening indentation removed from every line) or
    a table, and ``#`` comments.
    """
    lines = text.splitlines()
    feature = Feature(path, "", set(), [])
    background: list[Step] = []
    pending_tags: set[str] = set()
    current: Scenario | None = None
    outline_examples: list[list[str]] | None = None
    target: list[Step] | None = None
    in_examples = False

    def close() -> None:
        nonlocal current, outline_examples
        if current is not None:
            if outline_examples is not None:
                feature.scenarios.extend(_expand_outline(current, outline_examples))
            else:
                feature.scenarios.append(current)
        current, outline_examples = None, None

    i = 0
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        number = i + 1
        i += 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("@"):
            pending_tags |= {t for t in stripped.split() if t.startswith("@")}
            continue
        if stripped.startswith("Feature:"):
            feature.name, feature.tags, pending_tags = stripped[8:].strip(), pending_tags, set()
            continue
        if stripped.startswith("Background:"):
            target, in_examples = background, False
            continue
        outline = stripped.startswith(("Scenario Outline:", "Scenario Template:"))
        if outline or stripped.startswith(("Scenario:", "Example:")):
            close()
            name = stripped.split(":", 1)[1].strip()
            tags = feature.tags | pending_tags
            current = Scenario(name, number, tags, list(background))
            outline_examples = [] if outline else None
            pending_tags, target, in_examples = set(), current.steps, False
            continue
        if stripped.startswith(("Examples:", "Scenarios:")):
            in_examples = True
            continue
        if stripped.startswith("|"):
            if in_examples and outline_examples is not None:
                outline_examples.append(split_table_row(stripped))
            elif target:
                step = target[-1]
                if step.table is None:
                    step.table = []
                step.table.append(split_table_row(stripped))
                step.table_lines.append(number)
            continue
        if stripped.startswith(('"""', "```")):
            fence, indent = stripped[:3], len(raw) - len(raw.lstrip())
            body = []
            while i < len(lines) and not lines[i].strip().startswith(fence):
                line = lines[i]
                cut = min(indent, len(line) - len(line.lstrip()))
                body.append(line[cut:])
                i += 1
            i += 1  # the closing fence
            if target:
                target[-1].docstring = "\n".join(body)
            continue
        keyword = next((k for k in _STEP_KEYWORDS if stripped.startswith(k)), None)
        if keyword is not None and target is not None:
            target.append(Step(stripped[len(keyword) :].strip(), number))
    close()
    return feature


def table_hashes(table: Sequence[Sequence[str]]) -> list[dict[str, str]]:
    """Rows of a table as dicts keyed by its header (cucumber's ``table.hashes()``)."""
    header = list(table[0])
    return [dict(zip(header, row, strict=False)) for row in table[1:]]


# ============================================================== the map, as OSRM builds it


class CheapRuler:
    """Offsets in metres to degrees, as cheap-ruler 4 (WGS84 ellipsoid) does at one latitude."""

    def __init__(self, lat: float) -> None:
        equator_km, flattening = 6378.137, 1 / 298.257223563
        e2 = flattening * (2 - flattening)
        m = math.radians(1.0) * equator_km * 1000.0
        coslat = math.cos(math.radians(lat))
        w2 = 1 / (1 - e2 * (1 - coslat * coslat))
        w = math.sqrt(w2)
        self.kx = m * w * coslat  # metres per degree of longitude
        self.ky = m * w * w2 * (1 - e2)  # metres per degree of latitude

    def offset(self, lon: float, lat: float, dx_m: float, dy_m: float) -> tuple[float, float]:
        """The point ``dx_m`` east and ``dy_m`` north of (lon, lat)."""
        return lon + dx_m / self.kx, lat + dy_m / self.ky


@dataclass
class OsmNode:
    """A map node: OSM id, position and tags."""

    id: int
    lon: float
    lat: float
    tags: dict[str, str]


@dataclass
class OsmWay:
    """A map way: OSM id, its nodes' names (letters, or routability node keys) and tags."""

    id: int
    nodes: list[str]
    tags: dict[str, str]


@dataclass
class OsmRelation:
    """A relation: members as (type, OSM id, role), and tags."""

    id: int
    members: list[tuple[str, int, str]]
    tags: dict[str, str]


def _clean(tags: dict[str, str]) -> dict[str, str]:
    """
    Tags without empty values.

    OSRM's harness writes an empty table cell as ``v=""`` and its Lua profile
    reads "" as an absent tag; a real map has no empty values, so we leave them
    out (ecoroute then sees what OSRM's profile sees).
    """
    return {k: v for k, v in tags.items() if v != ""}


class ScenarioMap:
    """
    The OSM data of one scenario, built by OSRM's rules (features/support/data.js).

    Letters in the node map are OSM nodes, digits are bare locations (points
    to route from, not in the OSM data). Column ``c`` and row ``r`` of the
    map lie ``c / 2`` grid cells east and ``r`` cells south of the origin.
    Ids count up from 1 in the order things are made (nodes, ways, relations).
    """

    def __init__(self) -> None:
        self.grid_m = DEFAULT_GRID_M
        self.set_origin(*DEFAULT_ORIGIN)
        self.nodes: dict[str, OsmNode] = {}  # by name: a letter or "c3" for routability
        self.locations: dict[str, tuple[float, float]] = {}  # digit -> (lon, lat)
        self.ways: list[OsmWay] = []
        self.way_by_nodes: dict[str, OsmWay] = {}
        self.relations: list[OsmRelation] = []
        self.relation_by_name: dict[str, OsmRelation] = {}
        self._last_id = 0

    def set_origin(self, lon: float, lat: float) -> None:
        """Place the map's top-left corner (OSRM: ``Given the origin lon,lat``)."""
        self.origin = (lon, lat)
        self.ruler = CheapRuler(lat)

    def new_id(self) -> int:
        """The next OSM id (OSRM's makeOSMId)."""
        self._last_id += 1
        return self._last_id

    def cell(self, x_cells: float, y_cells: float) -> tuple[float, float]:
        """(lon, lat) of a grid position: ``x_cells`` east, ``y_cells`` north of the origin."""
        return self.ruler.offset(*self.origin, x_cells * self.grid_m, y_cells * self.grid_m)

    # ---- Given steps

    def add_node_map(self, docstring: str) -> None:
        """``Given the node map``: a node per letter, a location per digit."""
        for row, text in enumerate(docstring.split("\n")):
            for column, char in enumerate(text):
                if re.fullmatch(r"[a-z0-9]", char):
                    self.add_point(char, *self.cell(column * 0.5, -row))

    def add_point(self, name: str, lon: float, lat: float, osm_id: int | None = None) -> None:
        """A letter becomes an OSM node (tagged ``name=<letter>``), a digit a location."""
        if name.isdigit():
            self.locations[name] = (lon, lat)
        else:
            self.nodes[name] = OsmNode(osm_id or self.new_id(), lon, lat, {"name": name})

    def add_node_locations(self, table: list[list[str]]) -> None:
        """``Given the node locations``: rows of node, lat, lon and an optional id."""
        for row in table_hashes(table):
            osm_id = int(row["id"]) if row.get("id") else None
            self.add_point(row["node"], float(row["lon"]), float(row["lat"]), osm_id)

    def add_node_tags(self, table: list[list[str]]) -> None:
        """``Given the nodes``: tags (and ``id``) of nodes of the map."""
        for row in table_hashes(table):
            node = self.nodes[row.pop("node")]
            for key, value in row.items():
                if key == "id":
                    node.id = int(value)
                else:
                    node.tags[key] = value
            node.tags = _clean(node.tags)

    def add_ways(self, table: list[list[str]]) -> None:
        """
        ``Given the ways``: one way per row, ``highway=primary`` unless given.

        The name is the node string unless a ``name`` column says otherwise
        (``""`` an empty name, an empty cell or ``(nil)`` none); ``highway``
        ``(nil)`` removes the highway tag.
        """
        for row in table_hashes(table):
            nodes = row["nodes"]
            tags = {"highway": "primary", **{k: v for k, v in row.items() if k != "nodes"}}
            if row.get("highway") == "(nil)":
                del tags["highway"]
            name = row.get("name")
            if name is None:
                tags["name"] = nodes
            elif name in ('""', "''"):
                tags["name"] = ""
            elif name in ("", "(nil)"):
                del tags["name"]
            tags = {k: v for k, v in tags.items() if v != "" or k == "name"}
            way = OsmWay(self.new_id(), list(nodes), tags)
            self.ways.append(way)
            self.way_by_nodes[nodes] = way

    def find_way(self, name: str) -> OsmWay:
        """A way by its node string, read either way round (OSRM's findWayByName)."""
        way = self.way_by_nodes.get(name) or self.way_by_nodes.get(name[::-1])
        if way is None:
            msg = f"unknown way {name!r}"
            raise KeyError(msg)
        return way

    def add_relations(self, table: list[list[str]]) -> None:
        """
        ``Given the relations``: member columns ``node[:role]``, ``way[:role]``,
        ``relation[:role]`` (comma-separated names), every other column a tag.
        """
        header = table[0]
        for values in table[1:]:
            relation = OsmRelation(self.new_id(), [], {})
            name = None
            for key, value in zip(header, values, strict=False):
                member = re.match(r"^(node|way|relation):?(.*)$", key)
                if member is None:
                    relation.tags[key] = value
                    if "name" in key:
                        name = value
                    continue
                kind, role = member.group(1), member.group(2)
                for item in (v.strip() for v in value.split(",")):
                    if not item:
                        continue
                    if kind == "node":
                        ref = self.nodes[item].id
                    elif kind == "way":
                        ref = self.find_way(item).id
                    else:
                        other = self.relation_by_name.get(item) or self.relation_by_name[item[::-1]]
                        ref = other.id
                    relation.members.append((kind, ref, role))
            relation.tags = _clean(relation.tags)
            if name:
                self.relation_by_name[name] = relation
            self.relations.append(relation)

    def add_routability_ways(self, table: list[list[str]]) -> None:
        """
        The ways of ``Then routability should be`` (OSRM's buildWaysFromTable).

        Row ``r`` is a way ``w<r>`` of five nodes at cells ``100 r + 0..4`` on
        the origin's latitude, ``highway=primary`` unless given; ``node/<key>``
        columns tag its middle node; empty cells are no tag, ``(nil)`` removes
        a default.
        """
        for r, row in enumerate(table_hashes(table)):
            names = []
            for k, letter in enumerate(ROUTABILITY_NODES):
                key = f"{letter}{r}"
                lon, lat = self.cell(k + WAY_SPACING_CELLS * r, 0)
                self.nodes[key] = OsmNode(self.new_id(), lon, lat, {"name": key})
                names.append(key)
            way_tags: dict[str, str] = {"highway": "primary"}
            node_tags: dict[str, str] = {}
            for key, value in row.items():
                if re.match(r"^(forw|backw|bothw)\b", key) or not value:
                    continue
                node_key = key[5:] if key.startswith("node/") else None
                tags = node_tags if node_key is not None else way_tags
                tag = node_key if node_key is not None else key
                if value == "(nil)":
                    tags.pop(tag, None)
                else:
                    tags[tag] = value
            way_tags["name"] = f"w{r}"
            self.nodes[names[2]].tags.update(node_tags)
            self.ways.append(OsmWay(self.new_id(), names, way_tags))

    # ---- lookups

    def point(self, name: str) -> tuple[float, float]:
        """(lon, lat) of a node letter or a location digit."""
        if name in self.locations:
            return self.locations[name]
        node = self.nodes[name]
        return node.lon, node.lat

    def to_osm_xml(self) -> str:
        """The map as OSM XML (coordinates to 7 decimals, as OSM stores them)."""
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            '<osm version="0.6" generator="osrmsuite">',
        ]

        def tag_lines(tags: dict[str, str]) -> list[str]:
            return [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]

        for node in self.nodes.values():
            out.append(
                f'  <node id="{node.id}" version="1" lat="{node.lat:.7f}" lon="{node.lon:.7f}">'
            )
            out += [*tag_lines(node.tags), "  </node>"]
        for way in self.ways:
            out.append(f'  <way id="{way.id}" version="1">')
            out += [f'    <nd ref="{self.nodes[n].id}"/>' for n in way.nodes]
            out += [*tag_lines(way.tags), "  </way>"]
        for relation in self.relations:
            out.append(f'  <relation id="{relation.id}" version="1">')
            out += [
                f'    <member type="{kind}" ref="{ref}" role={quoteattr(role)}/>'
                for kind, ref, role in relation.members
            ]
            out += [*tag_lines(relation.tags), "  </relation>"]
        out.append("</osm>")
        return "\n".join(out) + "\n"


# ============================================================== rows to check


@dataclass
class Row:
    """One row of a route or routability table, and what became of it."""

    file: str
    scenario: str
    line: int
    kind: str  # "route" or "routability"
    expected: str
    request: dict[str, str]
    expressible: bool = True
    reason: str = ""  # why not expressible
    unchecked: list[str] = field(default_factory=list)  # expectation columns not judged
    got_router: str = ""
    got_any_road: str = ""
    pass_router: bool = False
    pass_any_road: bool = False
    category: str = ""
    detail: str = ""  # errors, snap distances, speeds: what helps a reader
    warnings: list[str] = field(default_factory=list)  # ecoroute's, loading the map and routing

    @property
    def passed(self) -> bool:
        """Whether the row passes both ways of routing."""
        return self.pass_router and self.pass_any_road


def collapse(names: Iterable[str]) -> list[str]:
    """Names with consecutive repeats collapsed to one (OSRM's steps repeat the way arrived on)."""
    out: list[str] = []
    for name in names:
        if not out or out[-1] != name:
            out.append(name)
    return out


def parse_route(text: str) -> list[str]:
    """OSRM's ``route`` cell as names (comma-separated; empty cell: no route)."""
    return [] if text == "" else [name.strip() for name in text.split(",")]


def routes_match(expected: str, got: list[str] | None) -> bool:
    """Whether a route (None: refused) matches OSRM's ``route`` cell, repeats collapsed."""
    if expected == "":
        return got is None
    return got is not None and collapse(parse_route(expected)) == collapse(got)


# ============================================================== routing on ecoroute


class Routed:
    """
    One scenario's map loaded into ecoroute, and how to route on it both ways.

    Way names along a route are read from its geometry: every pair of
    consecutive points is a segment of one of the scenario's ways, so the
    names survive simplification (an arc that merges ways ``ab`` and ``bc``
    still reads ``ab,bc``), and the undriven ends of the first and last arcs
    (before the snapped source, after the snapped target) are cut off.
    """

    def __init__(
        self,
        osm_map: ScenarioMap,
        path: Path,
        *,
        simplify: bool,
        vehicle: str,
        objective: str,
        network_type: str,
        conditional_at: Any = None,
    ) -> None:
        self.map = osm_map
        #: The moment OSRM's extractor read conditional restrictions at
        #: (``--parse-conditionals-from-now``), or None: then OSRM ignores them.
        self.conditional_at = conditional_at
        #: None when the map has no road the loader keeps: then nothing is routable
        #: (OSRM's graph is empty too), and every row expecting a route fails.
        self.network: ecoroute.RoadNetwork | None = None
        try:
            self.network = ecoroute.load_osm(
                path,
                simplify=simplify,
                largest_component=False,
                network_type=network_type,  # type: ignore[arg-type]
                progress=False,
            )
        except ecoroute.OsmFileError as error:
            if "no drivable road" not in str(error):
                raise
            return
        # OSRM reads conditional restrictions at one moment and ignores the ones it
        # cannot parse; without a moment it ignores them all: conditional="ignore".
        self.router = ecoroute.Router(
            self.network,
            vehicle,
            objective,  # type: ignore[arg-type]
            conditional="ignore",
            conditional_at=conditional_at,
        )
        self.any_road = any_road_snapper(self.router)
        self._point_node = {_key(n.lon, n.lat): n.id for n in osm_map.nodes.values()}
        self._segment_ways: dict[tuple[int, int], list[OsmWay]] = {}
        for way in osm_map.ways:
            ids = [osm_map.nodes[n].id for n in way.nodes]
            for u, v in itertools.pairwise(ids):
                self._segment_ways.setdefault((u, v), []).append(way)
                self._segment_ways.setdefault((v, u), []).append(way)

    def route(
        self,
        how: str,
        source: tuple[float, float],
        target: tuple[float, float],
        departure: Any = None,
    ) -> tuple[list[str] | None, str]:
        """Way names from (lon, lat) to (lon, lat), (a) ``"router"`` or (b) ``"any_road"``."""
        if how == "router":
            return self.route_router(source, target, departure)
        return self.route_any_road(source, target)

    def route_router(
        self, source: tuple[float, float], target: tuple[float, float], departure: Any = None
    ) -> tuple[list[str] | None, str]:
        """(a): ``Router.route`` from (lon, lat) to (lon, lat); None and why when refused."""
        if self.network is None:
            return None, NO_ROAD
        (slon, slat), (tlon, tlat) = source, target
        note = ""
        if self.conditional_at is not None:  # the router reads conditionals at that moment
            departure = None
        try:
            try:
                route = self.router.route((slat, slon), (tlat, tlon), departure=departure)
            except ecoroute.SnapError:
                raise
            except ValueError as error:  # a departure this router cannot take
                if departure is None:
                    raise
                note = f"departure ignored: {str(error)[:60]}; "
                route = self.router.route((slat, slon), (tlat, tlon))
        except (ecoroute.NoRouteError, ecoroute.SnapError) as error:
            return None, note + f"{type(error).__name__}: {str(error)[:160]}"
        return self.names(route), note + _route_note(route)

    def route_any_road(
        self, source: tuple[float, float], target: tuple[float, float]
    ) -> tuple[list[str] | None, str]:
        """(b): ``route_partway`` with the nearest open road of the whole network at each end."""
        if self.network is None:
            return None, NO_ROAD
        (slon, slat), (tlon, tlat) = source, target
        try:
            result = route_partway(
                self.router, (slat, slon), (tlat, tlon), snapper=self.any_road, max_snap_m=math.inf
            )
        except (ecoroute.NoRouteError, ecoroute.SnapError) as error:
            return None, f"{type(error).__name__}: {str(error)[:160]}"
        return self.names(result.route), _route_note(result.route)

    def names(self, route: ecoroute.Route) -> list[str]:
        """Way names along the driven part of a route, one per segment."""
        points, arc_of = self._points(route)
        if len(points) < 2:
            return []
        first = self._on_segment(points, arc_of, route.source_lon, route.source_lat, first=True)
        last = self._on_segment(points, arc_of, route.target_lon, route.target_lat, first=False)
        if first > last:  # source and target at one point
            first, last = 0, len(points) - 2
        names = []
        assert self.network is not None
        way_id = self.network.osm_way_id
        for k in range(first, last + 1):
            u = self._point_node.get(_key(*points[k]))
            v = self._point_node.get(_key(*points[k + 1]))
            ways = self._segment_ways.get((u, v), []) if u and v else []
            arc_way = int(way_id[arc_of[k]])
            way = next((w for w in ways if w.id == arc_way), ways[0] if ways else None)
            names.append(way.tags.get("name", "") if way else f"?{arc_way}")
        return names

    def _points(self, route: ecoroute.Route) -> tuple[list[tuple[float, float]], list[int]]:
        """The route's (lon, lat) points, and the arc of the segment starting at each."""
        net = self.network
        assert net is not None
        points: list[tuple[float, float]] = []
        arc_of: list[int] = []
        for arc in (int(a) for a in route.arcs):
            tail, head = int(net.tail[arc]), int(net.head[arc])
            shape = net.geometry_lonlat[net.geometry_offsets[arc] : net.geometry_offsets[arc + 1]]
            arc_points = [(float(net.lon[tail]), float(net.lat[tail]))]
            arc_points += [(float(x), float(y)) for x, y in shape]
            arc_points.append((float(net.lon[head]), float(net.lat[head])))
            if not points:
                points, arc_of = arc_points, [arc] * (len(arc_points) - 1)
                continue
            if _key(*points[-1]) == _key(*arc_points[0]):
                arc_points = arc_points[1:]
            points += arc_points  # (a gap, which should not happen, joins the arcs)
            arc_of += [arc] * len(arc_points)
        return points, arc_of

    def _on_segment(
        self,
        points: list[tuple[float, float]],
        arc_of: list[int],
        lon: float,
        lat: float,
        *,
        first: bool,
    ) -> int:
        """
        The segment the route starts (``first``) or ends on: the one the snapped point lies on.

        A point at a segment's far end (start) or near end (target) drives
        none of it; the next segment inwards is taken.
        """
        count = len(points) - 1
        if math.isnan(lon):  # started at a node by id
            return 0 if first else count - 1
        order = range(count) if first else range(count - 1, -1, -1)
        for k in order:
            a, b = points[k], points[k + 1]
            if _distance_to_segment_m(lon, lat, a, b) > ON_ROAD_M:
                continue
            if first and _distance_m(lon, lat, *b) <= ON_ROAD_M and k + 1 < count:
                return k + 1
            if not first and _distance_m(lon, lat, *a) <= ON_ROAD_M and k > 0:
                return k - 1
            return k
        return 0 if first else count - 1


@contextlib.contextmanager
def _caught() -> Iterator[list[str]]:
    """Collect the warnings raised inside (category and message), instead of printing them."""
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        yield caught
    caught += [f"{r.category.__name__}: {r.message}" for r in records]


def _key(lon: float, lat: float) -> tuple[int, int]:
    """A point as OSM stores it (1e-7 degree integers)."""
    return round(lon * 1e7), round(lat * 1e7)


def _distance_m(lon: float, lat: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby points (equirectangular)."""
    x = math.radians(lon2 - lon) * math.cos(math.radians(lat)) * 6_371_000.0
    y = math.radians(lat2 - lat) * 6_371_000.0
    return math.hypot(x, y)


def _distance_to_segment_m(
    lon: float, lat: float, a: tuple[float, float], b: tuple[float, float]
) -> float:
    """Metres from a point to the segment a-b (local equirectangular projection)."""
    scale_x = math.radians(1.0) * math.cos(math.radians(lat)) * 6_371_000.0
    scale_y = math.radians(1.0) * 6_371_000.0
    ax, ay = (a[0] - lon) * scale_x, (a[1] - lat) * scale_y
    bx, by = (b[0] - lon) * scale_x, (b[1] - lat) * scale_y
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else min(1.0, max(0.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy)


def _route_note(route: ecoroute.Route) -> str:
    """Snap distances and mean speed of a route, for the JSON."""
    speed = 3.6 * route.distance_m / route.time_s if route.time_s > 0 else math.nan
    return (
        f"snap {route.source_snap_m:.0f}/{route.target_snap_m:.0f} m, "
        f"{route.distance_m:.0f} m, {speed:.0f} km/h"
    )


def any_road_snapper(router: ecoroute.Router) -> ArcSnapper:
    """
    A snapper onto every road the router's vehicle may drive, in any part of the network.

    The arcs the vehicle's rules close are left out as :attr:`Router.snapper`
    leaves them out (and its destination-only arcs where it has no turn graph
    to price a route's ends on); nothing else is.
    """
    closed = None
    rules = router.rules
    if rules.restricts:
        closed = rules.closed.copy()
        if router.turns is None:
            closed |= rules.destination
    return ArcSnapper(router.network, usable="all", closed=closed, max_snap_m=math.inf)


# ============================================================== scenarios


@dataclass
class Options:
    """How to run: vehicle, objective, loader options, output."""

    vehicle: str = "car_petrol"
    objective: str = "time"
    network_type: str = "drive"
    verbose: bool = False
    diagnose: bool = True  # retry failing rows with simplify=False


class ScenarioRun:
    """Run one scenario's steps in order, as OSRM's cucumber steps would, collecting rows."""

    def __init__(self, file: str, scenario: Scenario, workdir: Path, options: Options) -> None:
        self.file = file
        self.scenario = scenario
        self.workdir = workdir
        self.options = options
        self.map = ScenarioMap()
        self.blocker = "@todo" if "@todo" in scenario.tags else ""  # why nothing is expressible
        self.request_blocker = ""
        self.departure: dt.datetime | None = None
        self.routed: Routed | None = None
        self.rows: list[Row] = []
        self._pending: list[tuple[Row, Any]] = []  # rows and how to check them

    def run(self) -> list[Row]:
        """Interpret every step, then route every row that can be expressed."""
        for step in self.scenario.steps:
            try:
                self.step(step)
            except (KeyError, ValueError, IndexError) as error:
                self.blocker = self.blocker or f"harness could not read step: {error}"
        self.evaluate()
        return self.rows

    # ---- steps

    def step(self, step: Step) -> None:
        """Interpret one step."""
        text, table = step.text, step.table
        if m := re.fullmatch(r'the profile "([^"]*)"', text):
            if m.group(1) != "car":
                self.blocker = self.blocker or f"profile {m.group(1)}"
        elif text.startswith("the profile file"):
            self.blocker = self.blocker or "custom profile code"
        elif m := re.fullmatch(r"a grid size of ([0-9.]+) meters", text):
            self.map.grid_m = float(m.group(1))
        elif m := re.fullmatch(r"the origin ([-+0-9.]+),([-+0-9.]+)", text):
            self.map.set_origin(float(m.group(1)), float(m.group(2)))
        elif text == "the node map":
            self.map.add_node_map(step.docstring or "")
        elif text == "the node locations" and table:
            self.map.add_node_locations(table)
        elif text == "the nodes" and table:
            self.map.add_node_tags(table)
        elif text in ("the ways", "the ways with locations") and table:
            self.map.add_ways(table)
        elif text == "the relations" and table:
            self.map.add_relations(table)
        elif text == "the query options" and table:
            for key, value in ((r[0], r[1] if len(r) > 1 else "") for r in table):
                if key not in HARMLESS_QUERY_OPTIONS:
                    self.request_blocker = self.request_blocker or f"query option {key}={value}"
        elif m := re.fullmatch(
            r'the (extract|contract|customize|partition) extra arguments "(.*)"', text
        ):
            self.extra_arguments(m.group(1), m.group(2))
        elif text in ("the speed file", "the turn penalty file", "the raster source"):
            self.blocker = self.blocker or text
        elif text == "I route I should get" and table:
            self.route_table(step)
        elif text == "routability should be" and table:
            self.routability_table(step)
        elif text.startswith(("I request", "I match", "I plan", "I request nearest")):
            self.other_table(step, text)
        elif text in ("skip waypoints",):
            pass
        else:
            self.blocker = self.blocker or f"step not supported: {text[:40]}"

    def extra_arguments(self, tool: str, arguments: str) -> None:
        """Extract and contract options: conditionals' "now" becomes a departure; others block."""
        for argument in arguments.split():
            if argument == "--parse-conditional-restrictions":
                continue
            if m := re.fullmatch(r"--parse-conditionals-from-now=(\d+)", argument):
                zone = re.search(r"--time-zone-file=\S*/(\w+)\.geojson", arguments)
                offset_h = TIME_ZONE_OFFSET_H.get(zone.group(1), 0.0) if zone else 0.0
                tz = dt.timezone(dt.timedelta(hours=offset_h))
                self.departure = dt.datetime.fromtimestamp(int(m.group(1)), tz=tz)
            elif argument.startswith("--time-zone-file"):
                continue
            else:
                self.blocker = self.blocker or f"{tool} option {argument}"

    def route_table(self, step: Step) -> None:
        """Rows of ``When I route I should get``."""
        assert step.table is not None
        header = step.table[0]
        for values, line in zip(step.table[1:], step.table_lines[1:], strict=False):
            cells = dict(zip(header, values, strict=False))
            request = {k: v for k, v in cells.items() if k in REQUEST_COLUMNS}
            row = Row(self.file, self.scenario.name, line, "route", cells.get("route", ""), request)
            extra = [
                k for k, v in cells.items() if k not in REQUEST_COLUMNS and k != "route" and v != ""
            ]
            osrm_only = [
                k for k in extra if k in OSRM_ONLY_REQUEST_COLUMNS or k.startswith("param:")
            ]
            if osrm_only:
                row.expressible, row.reason = False, f"request option {osrm_only[0]}"
            elif "route" not in cells:
                row.expressible = False
                row.reason = f"no route column (only {', '.join(extra) or 'nothing'})"
            elif "waypoints" not in cells and not ("from" in cells and "to" in cells):
                row.expressible, row.reason = False, "no from/to"
            row.unchecked = [k for k in extra if k not in osrm_only]
            self._add(row, "route")

    def routability_table(self, step: Step) -> None:
        """Rows of ``Then routability should be``; its ways join the map first."""
        assert step.table is not None
        if self.routed is None:  # OSRM loads the data once, at its first request
            self.map.add_routability_ways(step.table)
        header = step.table[0]
        for r, (values, line) in enumerate(zip(step.table[1:], step.table_lines[1:], strict=False)):
            cells = dict(zip(header, values, strict=False))
            wanted = {d: cells[d] for d in DIRECTIONS if d in cells}
            expected = " ".join(f"{d}={v or '-'}" for d, v in wanted.items())
            row = Row(
                self.file, self.scenario.name, line, "routability", expected, {"way": f"w{r}"}
            )
            row.unchecked = [k for k in cells if k.endswith("_rate") and cells[k]]
            if not wanted:
                row.expressible, row.reason = False, "only rate columns"
            self._add(row, ("routability", r, wanted, cells))

    def other_table(self, step: Step, text: str) -> None:
        """Matrix, match and other requests: their rows count as not expressible."""
        for line in step.table_lines[1:]:
            row = Row(self.file, self.scenario.name, line, "other", "", {})
            row.expressible, row.reason = False, f"request: {text[:30]}"
            self.rows.append(row)

    def _add(self, row: Row, check: Any) -> None:
        if self.blocker:
            row.expressible, row.reason = False, self.blocker
        elif self.request_blocker and row.expressible:
            row.expressible, row.reason = False, self.request_blocker
        self.rows.append(row)
        if row.expressible:
            self._pending.append((row, check))

    # ---- evaluation

    def evaluate(self) -> None:
        """Load the map and check every expressible row; categorise the failures."""
        if not self._pending:
            return
        path = self.workdir / "scenario.osm"
        path.write_text(self.map.to_osm_xml())
        try:
            with _caught() as load_warnings:
                self.routed = self._load(path, simplify=True)
        except Exception as error:  # noqa: BLE001 - a map ecoroute refuses fails its rows
            for row, _ in self._pending:
                row.got_router = row.got_any_road = f"load failed: {error}"[:200]
                row.category = "load"
            return
        for row, check in self._pending:
            with _caught() as row_warnings:
                self.check(self.routed, row, check, both=True)
            row.warnings = sorted(set(load_warnings + row_warnings))
        failing = [(row, check) for row, check in self._pending if not row.passed]
        if failing and self.options.diagnose:
            with _caught():  # the same map's warnings again
                self.diagnose(path, failing)
        if self.options.verbose and failing:
            self.show(path, failing)

    def _load(self, path: Path, *, simplify: bool) -> Routed:
        opts = self.options
        return Routed(
            self.map,
            path,
            simplify=simplify,
            vehicle=opts.vehicle,
            objective=opts.objective,
            network_type=opts.network_type,
            conditional_at=self.departure,
        )

    def check(self, routed: Routed, row: Row, check: Any, *, both: bool) -> bool:
        """Route one row ((a) and (b), or (b) alone); return whether (b) passed."""
        if check == "route":
            return self.check_route(routed, row, both=both)
        _, r, wanted, _cells = check
        return self.check_routability(routed, row, r, wanted, both=both)

    def check_route(self, routed: Routed, row: Row, *, both: bool) -> bool:
        """A route row: legs between the waypoints (or from, to), names compared."""
        req = row.request
        if "waypoints" in req:
            stops = [s.strip() for s in req["waypoints"].split(",")]
        else:
            stops = [req["from"], req["to"]]
        points = [self.map.point(s) for s in stops]
        results = []
        for how in ("router", "any_road") if both else ("any_road",):
            names: list[str] | None = []
            notes = []
            for source, target in itertools.pairwise(points):
                leg, note = routed.route(how, source, target, self.departure)
                notes.append(note)
                if leg is None or names is None:
                    names = None
                else:
                    names += leg
            got = "" if names is None else ",".join(collapse(names))
            ok = routes_match(row.expected, names)
            results.append(ok)
            if not both:
                return ok
            if how == "router":
                row.got_router, row.pass_router = got, ok
            else:
                row.got_any_road, row.pass_any_road = got, ok
            row.detail += f"{how}: {'; '.join(notes)}. "
        return results[-1]

    def check_routability(
        self, routed: Routed, row: Row, r: int, wanted: dict[str, str], *, both: bool
    ) -> bool:
        """A routability row: can the car drive way ``w<r>`` from cell 1 to 3, and back?"""
        a = self.map.cell(ROUTABILITY_FROM_CELL + WAY_SPACING_CELLS * r, 0)
        b = self.map.cell(ROUTABILITY_TO_CELL + WAY_SPACING_CELLS * r, 0)
        way = f"w{r}"
        verdict = {}
        for how in ("router", "any_road") if both else ("any_road",):
            got, ok, notes = [], True, []
            for direction, (source, target) in (("forw", (a, b)), ("backw", (b, a))):
                names, note = routed.route(how, source, target, self.departure)
                drivable = names is not None and names[:1] == [way]
                notes.append(f"{direction} {note}")
                got.append(f"{direction}={'x' if drivable else '-'}")
                for column in (direction, "bothw"):
                    if column in wanted and (wanted[column] != "") != drivable:
                        ok = False
            verdict[how] = ok
            if not both:
                return ok
            text = " ".join(got)
            if how == "router":
                row.got_router, row.pass_router = text, ok
            else:
                row.got_any_road, row.pass_any_road = text, ok
            row.detail += f"{how}: {'; '.join(notes)}. "
        return verdict["any_road"]

    def diagnose(self, path: Path, failing: list[tuple[Row, Any]]) -> None:
        """Categorise failing rows; rows that pass unsimplified are "simplification"."""
        unsimplified: Routed | None = None
        for row, check in failing:
            assert self.routed is not None
            if row.pass_any_road:
                row.category = "snapping"
                continue
            if unsimplified is None:
                try:
                    unsimplified = self._load(path, simplify=False)
                except Exception:  # noqa: BLE001
                    unsimplified = None
            if unsimplified is not None and self.check(unsimplified, row, check, both=False):
                row.category = "simplification"
            else:
                row.category = categorise(self.file, self.routed, row, check)

    def show(self, path: Path, failing: list[tuple[Row, Any]]) -> None:
        """--verbose: the OSM XML and the failing rows' routes."""
        print(f"\n=== {self.file}:{self.scenario.line} {self.scenario.name}")
        print(path.read_text())
        for row, _ in failing:
            print(
                f"  line {row.line}: expected {row.expected!r}; (a) {row.got_router!r}; "
                f"(b) {row.got_any_road!r} [{row.category}]\n    {row.detail}"
            )


# ============================================================== failure categories

#: Keys of the car's access hierarchy, with their directional forms.
_ACCESS_KEYS = r"(access|vehicle|motor_vehicle|motorcar)(:(forward|backward|both_ways))?"

#: Tags that say which rule a failing row is about, most specific first:
#: (key regex, value regex or None for any value, category).
_CATEGORY_KEYS: list[tuple[str, str | None, str]] = [
    (r"route", r"ferry", "ferry"),
    (r"route", r"shuttle_train", "shuttle train"),
    (r".*:conditional", None, "conditional"),
    (r"barrier", None, "barrier"),
    (_ACCESS_KEYS, r"destination|delivery|customers|residents", "destination"),
    (r"hov(:.*)?", None, "hov"),
    (
        r"(max)?(height|weight|width|length)(:physical)?|narrow|est_width",
        None,
        "physical limitation",
    ),
    (_ACCESS_KEYS, None, "access value"),
    (r"oneway(:.*)?|junction", None, "oneway"),
    (r"surface|smoothness|tracktype", None, "surface"),
    (r"(source:)?maxspeed(:.*)?", None, "speed"),
    (r"construction|proposed|service|area|railway|bridge|tunnel|toll", None, "classes"),
]
#: Highway classes any car router drives; a way of another class is a "classes" question.
ROAD_CLASSES = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street",
}  # fmt: skip


def categorise(file: str, routed: Routed, row: Row, check: Any) -> str:
    """
    A short name for why a row fails, from the tags it involves.

    Routability rows look at their own way and its middle node. Route rows
    look at relations first (conditional; multi-via: a chain of more than one
    via way; restriction otherwise), then at the ways where ecoroute's route
    and OSRM's differ (the ways of either but not both, with their nodes; all
    the map's ways when they differ only in order). A way OSRM drives that
    ecoroute did not load at all, of a class outside :data:`ROAD_CLASSES`, is
    "classes". Otherwise the first of :data:`_CATEGORY_KEYS` that a tag
    matches (but "classes" before speed and surface for an unusual highway
    class: a runway with a maxspeed), then the file's name.
    """
    osm_map = routed.map
    if check == "route" and "turns" in row.unchecked and _merged_steps(row):
        return "guidance"
    if check != "route":
        way = next(w for w in osm_map.ways if w.tags.get("name") == f"w{check[1]}")
        involved = [way]
    else:
        for relation in osm_map.relations:
            if relation.tags.get("type") == "restriction" or "restriction" in relation.tags:
                vias = [m for m in relation.members if m[2] == "via" and m[0] == "way"]
                if any(k.endswith(":conditional") for k in relation.tags):
                    return "conditional"
                return "multi-via" if len(vias) > 1 else "restriction"
        expected = set(parse_route(row.expected))
        got = set(parse_route(row.got_any_road))
        differ = expected ^ got
        involved = [w for w in osm_map.ways if w.tags.get("name") in differ] or osm_map.ways
    tag_sets = [w.tags for w in involved]
    node_tags = [osm_map.nodes[n].tags for w in involved for n in w.nodes]
    ferry = _first_category(_CATEGORY_KEYS[:2], tag_sets)
    if ferry:
        return ferry
    network = routed.network
    loaded = set() if network is None else {int(i) for i in network.osm_way_id}
    for way in involved:
        missing = way.id not in loaded and way.tags.get("highway") not in ROAD_CLASSES
        if missing and (check != "route" or way.tags.get("name") in parse_route(row.expected)):
            return "classes"
    on_node = _first_category(_CATEGORY_KEYS, node_tags)
    if on_node in ("access value", "destination"):
        return "node access"
    category = _first_category(_CATEGORY_KEYS, tag_sets) or on_node
    unusual_class = bool({t.get("highway", "") for t in tag_sets} - ROAD_CLASSES - {"", "service"})
    if unusual_class and category in ("", "speed", "surface", "classes"):
        return "classes"  # a runway with a maxspeed is about the runway
    return category or Path(file).stem.replace("_", " ")


def _first_category(
    patterns: Sequence[tuple[str, str | None, str]], tag_sets: Sequence[dict[str, str]]
) -> str:
    """The category of the first pattern a tag matches ("" if none)."""
    for key_pattern, value_pattern, category in patterns:
        for tags in tag_sets:
            for key, value in tags.items():
                if re.fullmatch(key_pattern, key) and (
                    value_pattern is None or re.fullmatch(value_pattern, value)
                ):
                    return category
    return ""


def _merged_steps(row: Row) -> bool:
    """
    Whether OSRM's route may just have fewer steps than ecoroute's way list.

    OSRM's ``route`` column lists its steps, and its guidance merges some
    (sliproads, roundabouts, a motorway stretch without a turn): when the
    expected names are ecoroute's in order with some left out, same first
    and last, the path may well be the same.
    """
    want, got = collapse(parse_route(row.expected)), collapse(parse_route(row.got_any_road))
    if not want or not got or want[0] != got[0] or want[-1] != got[-1] or len(want) >= len(got):
        return False
    rest = iter(got)
    return all(name in rest for name in want)


# ============================================================== reading the suite


def feature_texts(features: Path | None, repo: Path, only: str) -> Iterator[tuple[str, str]]:
    """(file name, text) of each car feature file matching ``only``."""
    if features is not None:
        for path in sorted(features.glob("*.feature")):
            if fnmatch.fnmatch(path.name, only):
                yield path.name, path.read_text()
        return
    listing = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "--name-only", "HEAD", f"{FEATURE_DIR}/"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for name in sorted(listing):
        file = Path(name).name
        if file.endswith(".feature") and fnmatch.fnmatch(file, only):
            text = subprocess.run(
                ["git", "-C", str(repo), "show", f"HEAD:{name}"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            yield file, text


def run_suite(
    texts: Iterable[tuple[str, str]], options: Options, scenario_filter: str = ""
) -> list[Row]:
    """Every row of every scenario (whose name contains ``scenario_filter``)."""
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="osrmsuite-") as tmp:
        workdir = Path(tmp)
        for file, text in texts:
            feature = parse_feature(text, file)
            for scenario in feature.scenarios:
                if scenario_filter and scenario_filter not in scenario.name:
                    continue
                rows += ScenarioRun(file, scenario, workdir, options).run()
    return rows


# ============================================================== report


def summary(rows: Sequence[Row]) -> list[dict[str, Any]]:
    """Per file and in total: expressible rows, passes (a) and (b), not expressible."""
    files = sorted({r.file for r in rows})
    table = []
    for file in [*files, "total"]:
        mine = [r for r in rows if file in ("total", r.file) and r.kind != "skip"]
        expressible = [r for r in mine if r.expressible]
        table.append(
            {
                "file": file,
                "expressible": len(expressible),
                "pass_router": sum(r.pass_router for r in expressible),
                "pass_any_road": sum(r.pass_any_road for r in expressible),
                "not_expressible": len(mine) - len(expressible),
            }
        )
    return table


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "-"


def print_report(rows: Sequence[Row]) -> None:
    """The per-file table, totals, failure categories and reasons rows were not expressible."""
    table = summary(rows)
    print(
        "| file | expressible | pass (a) Router | pass (b) any road | failing (b) | not expressible |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for entry in table:
        n = entry["expressible"]
        name = f"**{entry['file']}**" if entry["file"] == "total" else entry["file"]
        print(
            f"| {name} | {n} | {entry['pass_router']} ({_percent(entry['pass_router'], n)}) "
            f"| {entry['pass_any_road']} ({_percent(entry['pass_any_road'], n)}) "
            f"| {n - entry['pass_any_road']} | {entry['not_expressible']} |"
        )
    failing = [r for r in rows if r.expressible and not r.passed]
    print("\nFailure categories (snapping: fails (a) only; every other: fails (b)):")
    for category, count in Counter(r.category for r in failing).most_common():
        print(f"  {count:5d}  {category}")
    print("\nNot expressible, by reason:")
    reasons = Counter(_reason_kind(r.reason) for r in rows if not r.expressible)
    for reason, count in reasons.most_common():
        print(f"  {count:5d}  {reason}")


def _reason_kind(reason: str) -> str:
    """A reason without its specifics (values, long texts), for counting."""
    reason = re.sub(r"=.*$", "", reason)
    return re.sub(r"\(only .*\)", "(only other columns)", reason)[:60]


def write_json(rows: Sequence[Row], path: Path, options: Options, seconds: float) -> None:
    """Every row, the summary and how they were measured."""
    payload = {
        "how": {
            "vehicle": options.vehicle,
            "objective": options.objective,
            "network_type": options.network_type,
            "load_osm": "largest_component=False, other defaults (simplify, turn_restrictions)",
            "a": "Router.route from the OSRM coordinates, default snapping",
            "b": "snapping.route_partway with ArcSnapper(usable='all'), max_snap_m=inf",
            "seconds": round(seconds, 1),
        },
        "summary": summary(rows),
        "rows": [{**asdict(r), "passed": r.passed} for r in rows],
    }
    path.write_text(json.dumps(payload, indent=1))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite, print the tables, optionally write every row to JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--features", type=Path, help="a folder of .feature files")
    parser.add_argument("--osrm-repo", type=Path, default=OSRM_REPO, help="OSRM git dir")
    parser.add_argument("--only", default="*.feature", help="file glob, e.g. 'access*'")
    parser.add_argument("--scenario", default="", help="scenarios whose name contains this")
    parser.add_argument("--json", type=Path, help="write every row here")
    parser.add_argument("--verbose", action="store_true", help="OSM XML and routes of failures")
    parser.add_argument("--vehicle", default="car_petrol")
    parser.add_argument("--objective", default="time")
    parser.add_argument("--network-type", default="drive", choices=["drive", "drive_service"])
    parser.add_argument(
        "--no-diagnose", action="store_true", help="skip the simplify=False retry of failures"
    )
    args = parser.parse_args(argv)
    only = args.only if args.only.endswith(".feature") or "*" in args.only else args.only + "*"
    options = Options(
        vehicle=args.vehicle,
        objective=args.objective,
        network_type=args.network_type,
        verbose=args.verbose,
        diagnose=not args.no_diagnose,
    )
    started = time.perf_counter()
    rows = run_suite(feature_texts(args.features, args.osrm_repo, only), options, args.scenario)
    seconds = time.perf_counter() - started
    print_report(rows)
    print(f"\n{len(rows)} rows in {seconds:.1f} s")
    if args.json:
        write_json(rows, args.json, options, seconds)
        print(f"rows written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
