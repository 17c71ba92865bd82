"""
Property tests (hypothesis, fixed seed, a few seconds): the OSM reader on generated small
XML files is either a network whose arcs are exactly the drivable segments of the file
(an oracle written here from the XML, not from the loader's arrays), or an OsmFileError.
"""

from __future__ import annotations

import itertools
import math
import tempfile
import warnings
from collections import Counter
from pathlib import Path

import pytest

import ecoroute
from ecoroute import osm

from .osm_helpers import write_osm

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings(derandomize=True, max_examples=80, deadline=None)

HIGHWAYS = [
    "residential",
    "residential",
    "primary",
    "motorway",
    "unclassified",
    "service",
    "footway",
]
ONEWAY = [None, "yes", "-1", "no", "reversible", "T"]
MAXSPEED = [None, "30", "50 mph", "none", "walk", "999999", "RU:urban", "abc", "50;999999", "0"]
ACCESS = [None, None, None, "no", "yes", "destination"]


@st.composite
def osm_files(draw):
    """Small files: a grid of candidate nodes, ways over them, and one optional defect."""
    count = draw(st.integers(2, 8))
    ids = draw(st.lists(st.integers(-50, 50), min_size=count, max_size=count, unique=True))
    nodes = [(i, 60.0 + 0.001 * k, 24.0 + 0.0013 * (k % 3)) for k, i in enumerate(ids)]
    ways = {}
    for w in range(draw(st.integers(1, 4))):
        refs = draw(st.lists(st.sampled_from([*ids, 999]), min_size=2, max_size=6))  # 999: absent
        tags = {"highway": draw(st.sampled_from(HIGHWAYS))}
        for key, values in (("oneway", ONEWAY), ("maxspeed", MAXSPEED), ("access", ACCESS)):
            value = draw(st.sampled_from(values))
            if value is not None:
                tags[key] = value
        ways[100 + w] = (refs, tags)
    defect = draw(st.sampled_from(["none", "none", "none", "none", "lat", "duplicate", "empty"]))
    if defect == "lat":
        k = draw(st.integers(0, count - 1))
        nodes[k] = (nodes[k][0], draw(st.sampled_from(["abc", "", "1e", "NaN"])), nodes[k][2])
    elif defect == "duplicate":
        nodes.append((ids[0], 61.0, 25.0))
    elif defect == "empty":
        ways = {}
    return nodes, ways, defect


def _expected_arcs(nodes, ways):
    """(tail id, head id) of every drivable arc, from the XML's own nodes and tags."""
    present = {i for i, _, _ in nodes}
    arcs: Counter[tuple[int, int]] = Counter()
    for refs, tags in ways.values():
        if not osm.drivable(tags):
            continue
        direction = osm.oneway(tags)
        for a, b in itertools.pairwise(refs):
            if a in present and b in present and a != b:
                if direction >= 0:
                    arcs[(a, b)] += 1
                if direction <= 0:
                    arcs[(b, a)] += 1
    return arcs


@FUZZ
@given(osm_files())
def test_osm_reader_gives_the_drivable_segments_or_an_osm_file_error(example):
    nodes, ways, defect = example
    with tempfile.TemporaryDirectory() as folder:
        path = write_osm(Path(folder) / "fuzz.osm", nodes, ways)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # clipped ways, absurd maxspeeds: counted, fine
                network = ecoroute.load_osm(path, simplify=False, largest_component=False)
        except ecoroute.OsmFileError as error:
            text = str(error)
            assert "fuzz.osm" in text  # names the file
            if defect == "lat":
                assert "has lat=" in text  # and the node
            elif defect == "duplicate":
                assert f"node {nodes[0][0]} appears more than once" in text
            else:
                assert not _expected_arcs(nodes, ways), text  # refused a file with roads
            return
    assert defect == "none", f"a file with a {defect!r} defect was accepted"
    expected = _expected_arcs(nodes, ways)
    ids = network.node_id
    got = Counter(zip(ids[network.tail].tolist(), ids[network.head].tolist(), strict=True))
    assert got == expected
    where = {i: (lat, lon) for i, lat, lon in nodes}
    for k, node_id in enumerate(ids.tolist()):
        assert (network.lat[k], network.lon[k]) == pytest.approx(where[node_id], abs=1e-7)
    assert (network.speed_kph > 0).all()
    assert (network.speed_kph <= ecoroute.speeds.MAX_SPEED_KPH).all()
    assert all(math.isfinite(x) for x in network.length_m)
