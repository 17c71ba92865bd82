"""
Conditional restrictions (issue 24): the parser on examples from the OSM wiki, and routes on
hand-made maps whose right answers are worked out by hand in each test's docstring.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecoroute
from ecoroute import access
from ecoroute.osm_conditional import parse_condition, parse_conditional, rule_status

from .osm_helpers import write_osm

# ---------------------------------------------------------------------- the parser

H = 60  # minutes per hour
D = 24 * H  # minutes per day


@pytest.mark.parametrize(
    ("text", "minutes", "decided"),
    [
        # OSM wiki, Conditional restrictions: the examples of its "Tagging" section.
        ("Mo-Fr 07:00-09:00", [(d * D + 7 * H, d * D + 9 * H) for d in range(5)], True),
        ("(Mo-Fr 07:00-09:00)", [(d * D + 7 * H, d * D + 9 * H) for d in range(5)], True),
        ("Sa,Su", [(5 * D, 7 * D)], True),
        ("Su 00:00-24:00", [(6 * D, 7 * D)], True),
        # Past midnight: Monday 22:00 to Tuesday 06:00, and Sunday night into Monday.
        (
            "22:00-06:00",
            [(0, 6 * H)]
            + [(d * D + 22 * H, (d + 1) * D + 6 * H) for d in range(6)]
            + [(6 * D + 22 * H, 7 * D)],
            True,
        ),
        (
            "Mo-Fr 07:00-09:00,16:00-18:00",
            sorted(
                [(d * D + 7 * H, d * D + 9 * H) for d in range(5)]
                + [(d * D + 16 * H, d * D + 18 * H) for d in range(5)]
            ),
            True,
        ),
        # A later rule replaces the days it names; PH is not known and dropped.
        ("Mo-Su 08:00-18:00; Su off", [(d * D + 8 * H, d * D + 18 * H) for d in range(6)], True),
        ("Mo-Fr,PH 07:00-09:00", [(d * D + 7 * H, d * D + 9 * H) for d in range(5)], True),
        ("Fr-Mo 10:00-11:00", [(d * D + 10 * H, d * D + 11 * H) for d in (0, 4, 5, 6)], True),
        ("24/7", [(0, 7 * D)], True),
    ],
)
def test_time_conditions_from_the_wiki(text: str, minutes: list[tuple[int, int]], decided: bool):
    condition = parse_condition(text)
    assert condition.minutes == tuple(minutes)
    assert condition.decided is decided
    assert condition.understood


@pytest.mark.parametrize(
    ("text", "other", "unread", "months"),
    [
        ("weight>7.5", ("weight>7.5",), (), None),
        ("wet", ("wet",), (), None),
        ("snow", ("snow",), (), None),
        ("length > 12", ("length > 12",), (), None),
        ("Nov-Mar", (), (), {11, 12, 1, 2, 3}),
        ("sunset-sunrise", (), ("sunset-sunrise",), None),
        ("delivery", (), ("delivery",), None),  # a value, not a condition
        ("has_pygmies > 10 p", (), ("has_pygmies > 10 p",), None),  # OSRM's unreadable one
        ("Dec 25", (), ("Dec 25",), None),
    ],
)
def test_conditions_that_a_time_of_the_week_does_not_decide(text, other, unread, months):  # type: ignore[no-untyped-def]
    condition = parse_condition(text)
    assert condition.other == other
    assert condition.unread == unread
    assert condition.months == (None if months is None else frozenset(months))
    assert not condition.decided
    assert condition.holds_at(0) is None


def test_several_rules_and_and() -> None:
    rules = parse_conditional(
        "no @ (weight > 7.5 AND Mo-Fr 06:00-22:00); destination @ (Sa,Su); yes @ wet"
    )
    assert [r.value for r in rules] == ["no", "destination", "yes"]
    first = rules[0].condition
    assert first.other == ("weight > 7.5",)
    assert first.minutes is not None
    assert first.minutes[0] == (6 * H, 22 * H)
    # Not decided by a time: "ignore" says it never holds, "restrict" that it may
    # (wherever its time part holds): Monday 10:00 is hour 10, Monday 23:00 hour 23.
    status = rule_status(first)
    assert status[:, 10].tolist() == [0, 2]
    assert status[:, 23].tolist() == [0, 0]


def test_a_partial_hour_may_hold() -> None:
    """07:30-09:00: hour 7 holds in part (the stricter value applies), hour 8 whole."""
    status = rule_status(parse_condition("Mo 07:30-09:00"))
    assert status[:, 7].tolist() == [2, 2]
    assert status[:, 8].tolist() == [1, 1]
    assert status[:, 9].tolist() == [0, 0]


# ---------------------------------------------------------------------- hand-made maps

#: About 111 m per 0.001 degree: C at the origin, N, E, S, W around it.
DEG = 0.001
NODES = [(1, 0, 0), (2, DEG, 0), (3, 0, DEG), (4, -DEG, 0), (5, 0, -DEG), (6, -DEG, 2 * DEG)]
ROAD = {"highway": "residential"}


def ways(**tags: dict[str, str]) -> dict[int, tuple[list[int], dict[str, str]]]:
    """
    The plus-shaped map: S (4) - C (1) - N (2), W (5) - C - E (3), and a detour N - W (2-5).

    Also a detour S - SE (6) - E for the east arm. ``tags`` adds tags to a way by name
    (``w13=...``).
    """
    out = {
        10: ([4, 1], dict(ROAD)),
        11: ([1, 2], dict(ROAD)),
        12: ([1, 3], dict(ROAD)),
        13: ([1, 5], dict(ROAD)),
        14: ([2, 5], dict(ROAD)),
        15: ([4, 6, 3], dict(ROAD)),
    }
    for name, extra in tags.items():
        out[int(name[1:])][1].update(extra)
    return out


def with_relations(path: Path, *relations: str) -> Path:
    path.write_text(path.read_text().replace("</osm>", "\n".join(relations) + "\n</osm>"))
    return path


def via_node_relation(rid: int, frm: int, via: int, to: int, tags: dict[str, str]) -> str:
    body = (
        f'<member type="way" ref="{frm}" role="from"/>'
        f'<member type="node" ref="{via}" role="via"/><member type="way" ref="{to}" role="to"/>'
    )
    body += "".join(f'<tag k="{k}" v="{v}"/>' for k, v in {"type": "restriction", **tags}.items())
    return f'<relation id="{rid}" version="1">{body}</relation>'


TUESDAY_08 = "2024-03-05T08:00"
TUESDAY_10 = "2024-03-05T10:00"
SATURDAY_08 = "2024-03-09T08:00"


@pytest.fixture
def no_left_at_rush_hour(tmp_path: Path) -> ecoroute.RoadNetwork:
    """From S driving north, W is a left turn at C; the relation forbids it Mo-Fr 07-09."""
    path = write_osm(tmp_path / "turn.osm", NODES, ways())
    rule = {"restriction:conditional": "no_left_turn @ (Mo-Fr 07:00-09:00)"}
    with_relations(path, via_node_relation(100, 10, 1, 13, rule))
    return ecoroute.load_osm(path, simplify=False)


def test_a_rush_hour_no_left_turn_forces_a_detour_only_at_rush_hour(no_left_at_rush_hour):  # type: ignore[no-untyped-def]
    """
    S -> W: left at C (4-1-5) when allowed; on Tuesday 08:00 straight to N and along
    N - W (4-1-2-5); at 10:00 and on Saturday 08:00 the left turn is allowed again.
    """
    router = ecoroute.Router(no_left_at_rush_hour, "car_petrol", "time")
    assert router.route(4, 5, departure=TUESDAY_08).nodes.tolist() == [4, 1, 2, 5]
    assert router.route(4, 5, departure=TUESDAY_10).nodes.tolist() == [4, 1, 5]
    assert router.route(4, 5, departure=SATURDAY_08).nodes.tolist() == [4, 1, 5]
    # A matrix at the departure hour agrees: the detour is longer.
    at_rush = router.matrix([4], [5], departure=TUESDAY_08).cost[0, 0]
    later = router.matrix([4], [5], departure=TUESDAY_10).cost[0, 0]
    assert at_rush > later


def test_without_a_departure_the_policy_decides(no_left_at_rush_hour):  # type: ignore[no-untyped-def]
    """'restrict' (default): the turn is forbidden as it is at some hour; 'ignore': allowed."""
    restrict = ecoroute.Router(no_left_at_rush_hour, "car_petrol", "time")
    ignore = ecoroute.Router(no_left_at_rush_hour, "car_petrol", "time", conditional="ignore")
    assert restrict.route(4, 5).nodes.tolist() == [4, 1, 2, 5]
    assert ignore.route(4, 5).nodes.tolist() == [4, 1, 5]
    fixed = ecoroute.Router(no_left_at_rush_hour, "car_petrol", "time", conditional_at=TUESDAY_08)
    assert fixed.route(4, 5).nodes.tolist() == [4, 1, 2, 5]


def test_conditional_turns_survive_save_and_load(no_left_at_rush_hour, tmp_path):  # type: ignore[no-untyped-def]
    saved = tmp_path / "net.ecoroute"
    no_left_at_rush_hour.save(saved)
    loaded = ecoroute.RoadNetwork.load(saved)
    router = ecoroute.Router(loaded, "car_petrol", "time")
    assert router.route(4, 5, departure=TUESDAY_08).nodes.tolist() == [4, 1, 2, 5]
    assert router.route(4, 5, departure=TUESDAY_10).nodes.tolist() == [4, 1, 5]


def test_a_night_closure_over_midnight(tmp_path: Path) -> None:
    """
    C - W closed 22:00-06:00: S -> W goes round by N at 23:30 and 05:59, directly at
    06:00 and 21:00; without a departure 'restrict' closes it, 'ignore' does not.
    """
    network = ecoroute.load_osm(
        write_osm(
            tmp_path / "night.osm",
            NODES,
            ways(w13={"access:conditional": "no @ (22:00-06:00)"}),
        ),
        simplify=False,
    )
    router = ecoroute.Router(network, "car_petrol", "time")
    assert router.route(4, 5, departure="2024-03-05T23:30").nodes.tolist() == [4, 1, 2, 5]
    assert router.route(4, 5, departure="2024-03-06T05:59").nodes.tolist() == [4, 1, 2, 5]
    assert router.route(4, 5, departure="2024-03-06T06:00").nodes.tolist() == [4, 1, 5]
    assert router.route(4, 5, departure="2024-03-05T21:00").nodes.tolist() == [4, 1, 5]
    assert router.route(4, 5).nodes.tolist() == [4, 1, 2, 5]
    ignore = ecoroute.Router(network, "car_petrol", "time", conditional="ignore")
    assert ignore.route(4, 5).nodes.tolist() == [4, 1, 5]


def test_an_hgv_conditional_closes_the_road_to_trucks_only(tmp_path: Path) -> None:
    """
    C - E closed to hgv on weekdays 06:00-20:00: a truck from S to E drives round by
    SE (4-6-3) on Tuesday 10:00 and through C (4-1-3) at 21:00; a car always through C.
    """
    network = ecoroute.load_osm(
        write_osm(
            tmp_path / "hgv.osm",
            NODES,
            ways(w12={"hgv:conditional": "no @ (Mo-Fr 06:00-20:00)"}),
        ),
        simplify=False,
    )
    truck = ecoroute.Router(network, "truck_40t_diesel", "distance")
    car = ecoroute.Router(network, "car_petrol", "distance")
    assert truck.route(4, 3, departure=TUESDAY_10).nodes.tolist() == [4, 6, 3]
    assert truck.route(4, 3, departure="2024-03-05T21:00").nodes.tolist() == [4, 1, 3]
    assert car.route(4, 3, departure=TUESDAY_10).nodes.tolist() == [4, 1, 3]
    rules = access.vehicle_rules(network, truck.vehicle, None, hour=34)  # Tuesday 10:00
    closed = np.flatnonzero(rules.closed)
    assert {int(network.osm_way_id[a]) for a in closed} == {12}
    assert access.REASONS[int(rules.reason[closed[0]])] == "conditional"


def test_oneway_conditional(tmp_path: Path) -> None:
    """C -> E is one-way (against W -> E traffic) on weekdays 07-09: E -> C is closed then."""
    network = ecoroute.load_osm(
        write_osm(
            tmp_path / "oneway.osm",
            NODES,
            ways(w12={"oneway:conditional": "yes @ (Mo-Fr 07:00-09:00)"}),
        ),
        simplify=False,
    )
    router = ecoroute.Router(network, "car_petrol", "distance")
    assert router.route(3, 4, departure=TUESDAY_08).nodes.tolist() == [3, 6, 4]
    assert router.route(3, 4, departure=TUESDAY_10).nodes.tolist() == [3, 1, 4]
    assert router.route(4, 1, departure=TUESDAY_08).nodes.tolist() == [4, 1]


def test_unread_conditions_are_counted_and_follow_the_policy(tmp_path: Path) -> None:
    """
    A condition not understood (``sunset-sunrise``) closes under 'restrict' at every
    hour, and nothing under 'ignore', departure or not; the turn reader lists it.
    """
    path = write_osm(
        tmp_path / "unread.osm",
        NODES,
        ways(w13={"access:conditional": "no @ (sunset-sunrise)"}),
    )
    rule = {"restriction:conditional": "no_left_turn @ (has_pygmies > 10 p)"}
    with_relations(path, via_node_relation(100, 10, 1, 11, rule))
    network = ecoroute.load_osm(path, simplify=False)
    turns = ecoroute.turns.attached(network)
    assert turns is not None
    assert turns.unread_conditions == ("relation 100: has_pygmies > 10 p",)
    restrict = ecoroute.Router(network, "car_petrol", "time")
    ignore = ecoroute.Router(network, "car_petrol", "time", conditional="ignore")
    for departure in (None, TUESDAY_10):
        assert restrict.route(4, 5, departure=departure).nodes.tolist()[-2:] == [2, 5]
        assert ignore.route(4, 5, departure=departure).nodes.tolist() == [4, 1, 5]


def test_a_bad_policy_is_refused(no_left_at_rush_hour):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="restrict"):
        ecoroute.Router(no_left_at_rush_hour, "car_petrol", conditional="sometimes")  # type: ignore[arg-type]


def test_a_saved_profile_index_out_of_range_is_refused_on_load(tmp_path: Path) -> None:
    network = ecoroute.load_osm(
        write_osm(tmp_path / "n.osm", NODES, ways(w13={"access:conditional": "no @ (Mo)"})),
        simplify=False,
    )
    bad = np.full(network.arc_count, 99, dtype=np.int32)
    network.with_attachments(**{"legal.conditional.hgv": bad}).save(tmp_path / "bad.ecoroute")
    with pytest.raises(ecoroute.NetworkFileError, match=r"legal\.conditional\.hgv"):
        ecoroute.RoadNetwork.load(tmp_path / "bad.ecoroute")
