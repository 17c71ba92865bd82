"""
Saved networks are range-checked on load, not only checksummed (issue 29).

Every corrupted copy here is saved through the public API
(``with_attachments(...).save(...)``), so its checksums are valid: only the
range checks of ``RoadNetwork.load`` can refuse it, with a NetworkFileError
naming the file, the array, the bad value and where it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import ecoroute
from ecoroute import turns as T

from .conftest import shared_file

# A ladder of two streets, 1-2-3 over 4-5-6, with three rungs. Node 2 has signals;
# way 11 a 7.5 t weight limit; way 12 is closed to trucks (hgv=no). Relation 20 forbids
# the left turn from rung 14 into way 11 at node 2, relation 21 the right turn from
# rung 13 over way 10 into rung 14 (a via-way restriction).
LADDER_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="0.000" lon="0.000"/>
  <node id="2" lat="0.000" lon="0.001"><tag k="highway" v="traffic_signals"/></node>
  <node id="3" lat="0.000" lon="0.002"/>
  <node id="4" lat="-0.001" lon="0.000"/>
  <node id="5" lat="-0.001" lon="0.001"/>
  <node id="6" lat="-0.001" lon="0.002"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/>
    <tag k="maxweight" v="7.5"/></way>
  <way id="12"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="residential"/>
    <tag k="hgv" v="no"/></way>
  <way id="13"><nd ref="1"/><nd ref="4"/><tag k="highway" v="residential"/></way>
  <way id="14"><nd ref="2"/><nd ref="5"/><tag k="highway" v="residential"/></way>
  <way id="15"><nd ref="3"/><nd ref="6"/><tag k="highway" v="residential"/></way>
  <relation id="20"><member type="way" ref="14" role="from"/>
    <member type="node" ref="2" role="via"/><member type="way" ref="11" role="to"/>
    <tag k="type" v="restriction"/><tag k="restriction" v="no_left_turn"/></relation>
  <relation id="21"><member type="way" ref="13" role="from"/>
    <member type="way" ref="10" role="via"/><member type="way" ref="14" role="to"/>
    <tag k="type" v="restriction"/><tag k="restriction" v="no_right_turn"/></relation>
</osm>
"""


@pytest.fixture(scope="module")
def ladder(tmp_path_factory: pytest.TempPathFactory) -> ecoroute.RoadNetwork:
    """The ladder with its turns, legal attributes and the turn graph's contraction order."""
    path = tmp_path_factory.mktemp("ladder") / "ladder.osm"
    path.write_text(LADDER_OSM)
    network = ecoroute.load_osm(path, simplify=False)
    graph = T.attached_graph(network)
    assert graph is not None
    graph.prepare()
    return T.attach(network, graph)


def test_the_ladder_has_what_the_cases_corrupt(ladder):
    """Tests the fixture itself: one forbidden pair, one via-way sequence, a signal, an order."""
    saved = ladder.attachments
    assert saved["turns.forbidden"].shape == (1, 2)
    assert_array_equal(saved["turns.via_way_offsets"], [0, 3])
    assert saved["turns.node_control"].tolist().count(T.SIGNALS) == 1
    assert saved["turns.cch_order"].size == ladder.arc_count + 2 * ladder.node_count + 1
    assert (saved["legal.access.hgv"] == ecoroute.access.CLOSED).sum() == 4  # way 12, both ways
    assert np.isfinite(saved["legal.maxweight_t"]).sum() == 2


def test_a_good_saved_network_loads_and_routes_identically(ladder, tmp_path):
    """Tests that the range checks pass a sound file: same arrays, same routes for car and truck."""
    loaded = ecoroute.RoadNetwork.load(ladder.save(tmp_path / "ladder.ecoroute"))
    assert loaded.attachments.keys() == ladder.attachments.keys()
    for name, values in ladder.attachments.items():
        assert_array_equal(loaded.attachments[name], values, err_msg=name)
    ids = np.repeat(ladder.node_id, ladder.node_count)
    targets = np.tile(ladder.node_id, ladder.node_count)
    for vehicle in ("car_petrol", "truck_40t_diesel"):
        before = ecoroute.Router(ladder, vehicle, "time").route_many(ids, targets)
        after = ecoroute.Router(loaded, vehicle, "time").route_many(ids, targets)
        assert_array_equal(after["cost"], before["cost"], err_msg=vehicle)


def test_a_real_network_passes_its_checks(tmp_path):
    """Tests the checks against everything the OSM loader writes for a whole country (Malta)."""
    network = ecoroute.load_osm(shared_file("osm/malta.osm.pbf"))
    loaded = ecoroute.RoadNetwork.load(network.save(tmp_path / "malta.ecoroute"))
    assert T.attached(loaded) is not None
    assert loaded.attachments.keys() == network.attachments.keys()


def _set(position: Any, value: Any) -> Callable[[np.ndarray], np.ndarray]:
    """An edit that writes ``value`` at ``position`` of a copy."""

    def edit(array: np.ndarray) -> np.ndarray:
        array = np.array(array)
        array[position] = value
        return array

    return edit


def _append(rows: Any) -> Callable[[np.ndarray], np.ndarray]:
    """An edit that appends ``rows``."""
    return lambda array: np.concatenate([array, np.asarray(rows, dtype=array.dtype)])


# (array, edit, what the message says after the array's name); {m}, {n}: arc and node count.
CASES = [
    # The issue's cases.
    (
        "turns.forbidden",
        _append([[99999, 177]]),
        "holds arc 99999 at row 1; the network has {m} arcs",
    ),
    ("turns.node_control", _set(4, 99), "holds control 99 at index 4; controls are 0 (none)"),
    ("turns.cch_order", _set(0, 10**6), "holds node 1000000 at index 0; it orders 27 nodes"),
    (
        "turns.via_way_offsets",
        _set(1, 8),
        "holds offset 8 at index 1; turns.via_way_arcs has 3 arcs",
    ),
    ("legal.access.hgv", _set(3, 7), "holds access code 7 at index 3; codes are 0 (open)"),
    (
        "legal.access_tag.hgv",
        _set(2, 40),
        "holds tag index 40 at index 2; legal.access_tags holds 2",
    ),
    ("legal.maxweight_t", _set(5, -7.5), "holds limit -7.5 at index 5; limits are above 0"),
    # Index arrays.
    ("turns.forbidden", _set((0, 1), -1), "holds arc -1 at row 0"),
    ("turns.penalty_arcs", _append([[0, 14]]), "holds arc 14 at row 0; the network has {m} arcs"),
    ("turns.arc_controls", _append([[14, 1]]), "holds arc 14 at row 0"),
    ("turns.approach_controls", _append([[-3, 1]]), "holds arc -3 at row 0"),
    ("turns.via_way_arcs", _set(2, 99), "holds arc 99 at index 2; the network has {m} arcs"),
    ("turns.via_way_arcs", lambda a: a[::-1], "holds arc 6 at index 0 and arc 2 after it, but"),
    # Codes.
    ("turns.arc_controls", _append([[3, 9]]), "holds control 9 at row 0; controls are 1"),
    ("turns.approach_controls", _append([[3, 0]]), "holds control 0 at row 0"),
    ("turns.via_way_only", _set(0, 2), "holds flag 2 at index 0"),
    ("turns.options", _set(2, 5), "u-turn code 5"),
    ("legal.access.bus", _set(0, 3), "holds access code 3 at index 0"),
    (
        "legal.tunnel_category",
        _set(1, 5),
        "holds category 5 at index 1; categories are 0 (none or A) to 4 (E).",
    ),
    ("legal.hazmat", _set(6, 8), "holds flags 8 at index 6; flags are 0 to 7"),
    ("legal.maxheight_m", _set(0, 0.0), "holds limit 0.0 at index 0"),
    ("legal.maxspeed_hgv_kph", _set(0, -np.inf), "holds limit -inf at index 0"),
    ("legal.access_tags", _set(1, 0xFF), "is not UTF-8 text: byte 255 at index 1"),
    ("legal.country", lambda a: np.array([200, 69], np.uint8), "holds byte 200 at index 0"),
    # Offsets, permutations, lengths and turns that are no turns.
    ("turns.via_way_offsets", _set(0, 1), "runs from 1 to 3, not from 0 to 3"),
    ("turns.via_way_offsets", lambda a: np.array([0, 2]), "runs from 0 to 2, not from 0 to 3"),
    ("turns.cch_order", _set(1, 0), "holds node 0 again at index 20; it must name each of its 27"),
    ("turns.cch_order", lambda a: a[:-5], "orders 22 nodes; the network's turn-expanded graph has"),
    ("turns.node_control", lambda a: a[:-1], "holds 5 controls; the network has {n} nodes"),
    ("turns.penalty_s", _append([3.0]), "holds 1 value(s) for the 0 turn(s) of turns.penalty_arcs"),
    (
        "turns.forbidden",
        lambda a: a[:, ::-1],
        "row 0 turns from arc 5 into arc 11, but arc 5 does not end where 11 starts.",
    ),
    ("turns.options", _set(0, 15), "says 15 arcs and {n} nodes; the network has {m} and {n}"),
    (
        "legal.hazmat",
        lambda a: a[:-1],
        "has shape (13,); it must hold one value per arc ({m}).",
    ),
    (
        "turns.forbidden",
        lambda a: a.astype(np.float64),
        "holds float64 values; it must hold integers",
    ),
]


@pytest.mark.parametrize(("name", "edit", "says"), CASES)
def test_out_of_range_values_under_valid_checksums_are_refused(ladder, tmp_path, name, edit, says):
    """Tests each case: load raises NetworkFileError naming the file, the array and the value."""
    bad = ladder.with_attachments(**{name: edit(ladder.attachments[name])})
    path = bad.save(tmp_path / "corrupted.ecoroute")
    expected = says.format(m=ladder.arc_count, n=ladder.node_count)
    with pytest.raises(ecoroute.NetworkFileError) as raised:
        ecoroute.RoadNetwork.load(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is corrupted: {name} "), message
    assert expected in message, message


@pytest.mark.parametrize(
    ("offsets", "says"),
    [
        ([0, 6, 3, 9], "holds offset 3 at index 2, after 6; offsets must not decrease."),
        ([0, 2, 6, 9], "gives sequence 0 2 arc(s), from offset 0; a via-way restriction has"),
        ([0, 3, 6, 9, 9], "holds 5 offsets; turns.via_way_only has 3 sequences, so it needs 4."),
    ],
)
def test_via_way_offsets_that_do_not_cut_sequences_are_refused(ladder, tmp_path, offsets, says):
    """Tests offsets into three copies of the sequence that go back, cut too short or miscount."""
    bad = ladder.with_attachments(
        **{
            "turns.via_way_offsets": np.array(offsets),
            "turns.via_way_arcs": np.tile(ladder.attachments["turns.via_way_arcs"], 3),
            "turns.via_way_only": np.zeros(3, np.uint8),
        }
    )
    with pytest.raises(ecoroute.NetworkFileError, match=re.escape(f"turns.via_way_offsets {says}")):
        ecoroute.RoadNetwork.load(bad.save(tmp_path / "corrupted.ecoroute"))


def test_a_missing_turn_array_is_refused(ladder, tmp_path):
    """Tests a file whose turns lack an array ``turns.attached`` needs (not a KeyError later)."""
    bad = T.detach(ladder).with_attachments(
        **{
            k: v
            for k, v in ladder.attachments.items()
            if k.startswith("turns.") and k != "turns.via_way_only"
        }
    )
    with pytest.raises(ecoroute.NetworkFileError, match=r"turns\.via_way_only is missing"):
        ecoroute.RoadNetwork.load(bad.save(tmp_path / "corrupted.ecoroute"))


def test_the_range_checks_run_with_verify_false(ladder, tmp_path):
    """Tests that skipping the checksums does not skip the range checks."""
    bad = ladder.with_attachments(
        **{"turns.node_control": _set(0, 99)(ladder.attachments["turns.node_control"])}
    )
    with pytest.raises(ecoroute.NetworkFileError, match=r"turns\.node_control holds control 99"):
        ecoroute.RoadNetwork.load(bad.save(tmp_path / "corrupted.ecoroute"), verify=False)


def test_the_message_reads_as_the_issue_asks(ladder, tmp_path):
    """Tests the whole message of the issue's example: file, array, value, row and arc count."""
    pairs = ladder.attachments["turns.forbidden"]
    bad = ladder.with_attachments(
        **{"turns.forbidden": np.vstack([pairs, pairs, [[99999, 177]], pairs])}
    )
    path = bad.save(tmp_path / "X.ecoroute")
    with pytest.raises(ecoroute.NetworkFileError) as raised:
        ecoroute.RoadNetwork.load(path)
    assert str(raised.value) == (
        f"{path} is corrupted: turns.forbidden holds arc 99999 at row 2; the network has 14 arcs."
    )


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        ({"speeds.arc_count": np.array([99999])}, r"speeds\.arc_count holds 99,999"),
        ({"speeds.arcs": np.array([0, 0])}, "strictly ascending"),
        ({"speeds.speed_kph": "negative"}, "speeds above 0"),
    ],
)
def test_saved_speed_profiles_are_checked_against_the_network(ladder, tmp_path, edit, says):
    """Tests speed profiles whose checksums hold but whose arcs or speeds do not fit the network."""
    from ecoroute.traffic import SpeedProfiles, attach_speeds

    arcs = np.array([0, 1], dtype=np.uint32)
    speeds = np.full((2, 168), 30.0, dtype=np.float32)
    good = attach_speeds(ladder, SpeedProfiles(arcs, speeds, ladder.arc_count))
    assert ecoroute.RoadNetwork.load(good.save(tmp_path / "good.ecoroute")).attachments.keys() >= {
        "speeds.arcs"
    }
    changes = {
        k: (-np.asarray(good.attachments[k]) if isinstance(v, str) else v) for k, v in edit.items()
    }
    bad = good.with_attachments(**changes)
    with pytest.raises(ecoroute.NetworkFileError, match=says):
        ecoroute.RoadNetwork.load(bad.save(tmp_path / "corrupted.ecoroute"))
