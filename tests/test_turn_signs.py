"""
Which approaches pay for signals, stop and give-way signs: hand-written OSM files, hand-worked costs.

Every expected value is the documented penalty (docs/turns.md, section 2) worked
out here again: a control adds its seconds, and pulling away after a stop costs
``s * 1.05 * m v^2 / 2`` of wheel work at the speed ``v`` of the arc entered
(``s`` = 1 at a stop sign, 0.5 at a signal), through the engine (its marginal
efficiency ``eta_dt eta_m``) plus idling for the seconds. Each case is the same
file routed with and without the control's tag, so the turn-angle costs
(computed the same way in both) cancel and the difference is the control alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecoroute
from ecoroute import turns as T
from ecoroute.vehicles import resolve_vehicle

CAR = "car_petrol"


def osm_file(
    tmp_path: Path, name: str, nodes: dict[int, tuple[float, float, str]], ways: str
) -> Path:
    """Write nodes ``id: (lat, lon, tags xml)`` and the ways' xml as a .osm file."""
    body = "\n".join(
        f'  <node id="{i}" lat="{lat}" lon="{lon}">{tags}</node>'
        for i, (lat, lon, tags) in nodes.items()
    )
    path = tmp_path / f"{name}.osm"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="hand">\n'
        f"{body}\n{ways}\n</osm>\n"
    )
    return path


def tags(**kv: str) -> str:
    return "".join(f'<tag k="{k.replace("__", ":")}" v="{v}"/>' for k, v in kv.items())


def way(wid: int, refs: list[int], **kv: str) -> str:
    nds = "".join(f'<nd ref="{r}"/>' for r in refs)
    return f'  <way id="{wid}">{nds}{tags(**kv)}</way>'


def extra(vehicle: str, speed_kph: float, stops: float, seconds: float) -> dict[str, float]:
    """Seconds and CO2 a control adds, by the formula of docs/turns.md (combustion engine)."""
    model = resolve_vehicle(vehicle)
    v = speed_kph / 3.6
    work_j = stops * 1.05 * 0.5 * model.mass_kg() * v * v
    aux_w = model.auxiliary_power_kw * 1000
    idle_w = model.zero_load_fuel_power_kw * 1000 + aux_w / model.engine_efficiency
    mj = (work_j / (model.driveline_efficiency * model.engine_efficiency) + idle_w * seconds) / 1e6
    return {"time_s": seconds, "co2_g": mj * model.fuel_spec.co2_g_per_mj}


def added(
    plain: Path, tagged: Path, source: int, target: int, *, simplify: bool = True
) -> dict[str, float]:
    """Time and CO2 the tagged file's route costs more than the plain file's (least time, car)."""
    out = []
    for path in (plain, tagged):
        network = ecoroute.load_osm(path, simplify=simplify)
        route = ecoroute.Router(network, CAR, "time").route(source, target)
        out.append(route)
    # The same path (node ids), so that the difference is the control alone.
    assert np.array_equal(np.asarray(out[0].nodes), np.asarray(out[1].nodes))
    return {"time_s": out[1].time_s - out[0].time_s, "co2_g": out[1].co2_g - out[0].co2_g}


def assert_added(got: dict[str, float], want: dict[str, float]) -> None:
    assert got["time_s"] == pytest.approx(want["time_s"], abs=1e-9)
    assert got["co2_g"] == pytest.approx(want["co2_g"], rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------- a street between two junctions
#
#   A1        B1
#   |         |
#   A ---s--- B      the street A -> B (way 10, drawn west to east), 50 km/h;
#   |         |      s is a control on it, a shape point of the simplified arcs
#   A2        B2
M_PER_DEG = 111_195.0
STREET_M = 200.0


def street(tmp_path: Path, name: str, s_from_a_m: float, control: str) -> Path:
    lon_b = STREET_M / M_PER_DEG
    nodes = {
        1: (0.0, 0.0, ""),  # A
        2: (0.0, lon_b, ""),  # B
        3: (0.0, s_from_a_m / M_PER_DEG, control),  # s
        4: (0.001, 0.0, ""),
        5: (-0.001, 0.0, ""),
        6: (0.001, lon_b, ""),
        7: (-0.001, lon_b, ""),
    }
    ways = "\n".join(
        [
            way(10, [1, 3, 2], highway="residential", maxspeed="50"),
            way(11, [4, 1, 5], highway="residential", maxspeed="50"),
            way(12, [6, 2, 7], highway="residential", maxspeed="50"),
        ]
    )
    return osm_file(tmp_path, name, nodes, ways)


A, B = 1, 2
STOP = extra(CAR, 50.0, 1.0, 4.0)
SIGNAL = extra(CAR, 50.0, 0.5, 2.0)
NOTHING = {"time_s": 0.0, "co2_g": 0.0}


@pytest.mark.parametrize("simplify", [True, False])
@pytest.mark.parametrize(
    ("s_from_a_m", "control", "a_to_b", "b_to_a"),
    [
        # No direction: the sign faces the traffic heading to the nearer junction.
        (170.0, tags(highway="stop"), STOP, NOTHING),
        (30.0, tags(highway="stop"), NOTHING, STOP),
        # A direction (along the way's node order, A -> B) wins over the distance.
        (170.0, tags(highway="stop", direction="backward"), NOTHING, STOP),
        (30.0, tags(highway="stop", direction="forward"), STOP, NOTHING),
        (100.0, tags(highway="stop", direction="both"), STOP, STOP),
        (170.0, tags(highway="stop", stop__direction="backward"), NOTHING, STOP),
        # Signals: within 20 m of a junction, that junction's approach only;
        # farther (a mid-block crossing), both directions; a direction wins.
        (185.0, tags(highway="traffic_signals"), SIGNAL, NOTHING),
        (100.0, tags(highway="traffic_signals"), SIGNAL, SIGNAL),
        (
            185.0,
            tags(highway="traffic_signals", traffic_signals__direction="backward"),
            NOTHING,
            SIGNAL,
        ),
        (
            100.0,
            tags(highway="traffic_signals", traffic_signals__direction="forward"),
            SIGNAL,
            NOTHING,
        ),
    ],
)
def test_a_control_on_a_two_way_street_is_paid_by_the_direction_it_faces(
    tmp_path: Path,
    s_from_a_m: float,
    control: str,
    a_to_b: dict[str, float],
    b_to_a: dict[str, float],
    simplify: bool,
) -> None:
    """
    Tests a stop sign or signal on a street between two junctions, both ways.

    Simplified, the control is a shape point of the arcs A -> B and B -> A;
    unsimplified, a node the street passes through: both must charge the same.
    """
    plain = street(tmp_path, "plain", s_from_a_m, "")
    tagged = street(tmp_path, "tagged", s_from_a_m, control)
    assert_added(added(plain, tagged, A, B, simplify=simplify), a_to_b)
    assert_added(added(plain, tagged, B, A, simplify=simplify), b_to_a)


def test_a_stop_next_to_a_dead_end_faces_the_junction(tmp_path: Path) -> None:
    """Tests that a junction wins over a nearer dead end (the road A2 - A - s - B, A2 a dead end)."""
    lon_b = STREET_M / M_PER_DEG
    nodes = {
        1: (0.0, 0.0, ""),
        2: (0.0, lon_b, ""),
        6: (0.001, lon_b, ""),
        7: (-0.001, lon_b, ""),
    }
    plain = osm_file(
        tmp_path,
        "plain",
        {**nodes, 3: (0.0, 20 / M_PER_DEG, "")},
        way(10, [1, 3, 2], highway="residential", maxspeed="50")
        + way(12, [6, 2, 7], highway="residential", maxspeed="50"),
    )
    tagged = osm_file(
        tmp_path,
        "tagged",
        {**nodes, 3: (0.0, 20 / M_PER_DEG, tags(highway="stop"))},
        way(10, [1, 3, 2], highway="residential", maxspeed="50")
        + way(12, [6, 2, 7], highway="residential", maxspeed="50"),
    )
    assert_added(added(plain, tagged, A, B), STOP)
    assert_added(added(plain, tagged, B, A), NOTHING)


def test_a_stop_on_a_one_way_street_is_paid_by_its_traffic(tmp_path: Path) -> None:
    """Tests a one-way street (A -> B): its only arc pays, whatever the nearer junction."""

    def file(name: str, control: str) -> Path:
        path = street(tmp_path, name, 30.0, control)
        text = path.read_text().replace(
            '<tag k="highway" v="residential"/><tag k="maxspeed" v="50"/></way>',
            '<tag k="highway" v="residential"/><tag k="maxspeed" v="50"/>'
            '<tag k="oneway" v="yes"/></way>',
            1,
        )
        path.write_text(text)
        return path

    assert_added(added(file("plain", ""), file("tagged", tags(highway="stop")), A, B), STOP)


# ---------------------------------------------------------------------- a junction node
#
#            N            primary W - X - E (way 20), 50 km/h
#            |            residential N - X - S (way 21), 30 km/h
#     W ---- X ---- E     the control sits on the junction node X
#            |
#            S
W, E, N, S, X = 11, 12, 13, 14, 10


def junction(tmp_path: Path, name: str, control: str, minor: str = "residential") -> Path:
    d = 0.002
    nodes = {
        X: (0.0, 0.0, control),
        W: (0.0, -d, ""),
        E: (0.0, d, ""),
        N: (d, 0.0, ""),
        S: (-d, 0.0, ""),
    }
    ways = way(20, [W, X, E], highway="primary", maxspeed="50") + way(
        21, [N, X, S], highway=minor, maxspeed="30"
    )
    return osm_file(tmp_path, name, nodes, ways)


#: A left turn N -> E (90 degrees) slows to 20 km/h without a stop: a stop
#: costs a whole stop instead, so it adds (20/v)^2 of one at v = 50 km/h,
#: the speed of the arc entered, i.e. one stop from 20 km/h.
STOP_IN_A_TURN = extra(CAR, 20.0, 1.0, 4.0)


@pytest.mark.parametrize(
    ("source", "target", "want"),
    [
        (S, N, extra(CAR, 30.0, 1.0, 4.0)),  # straight on along the minor road: a stop
        (N, E, STOP_IN_A_TURN),  # out of the minor road into the primary
        (W, E, NOTHING),  # straight on along the primary
        (E, N, NOTHING),  # out of the primary into the minor road
    ],
)
def test_a_stop_on_a_junction_node_is_paid_by_the_minor_roads_only(
    tmp_path: Path, source: int, target: int, want: dict[str, float]
) -> None:
    plain = junction(tmp_path, "plain", "")
    tagged = junction(tmp_path, "tagged", tags(highway="stop"))
    assert_added(added(plain, tagged, source, target), want)


@pytest.mark.parametrize(
    ("control", "minor"),
    [
        (tags(highway="stop", stop="all"), "residential"),  # an all-way stop
        (tags(highway="stop"), "primary"),  # one road class: cannot tell, every approach
    ],
)
def test_an_all_way_stop_is_paid_by_every_approach(
    tmp_path: Path, control: str, minor: str
) -> None:
    plain = junction(tmp_path, "plain", "", minor)
    tagged = junction(tmp_path, "tagged", control, minor)
    assert_added(added(plain, tagged, W, E), extra(CAR, 50.0, 1.0, 4.0))
    assert_added(added(plain, tagged, S, N), extra(CAR, 30.0, 1.0, 4.0))


def test_signals_on_a_junction_node_are_paid_by_every_approach(tmp_path: Path) -> None:
    plain = junction(tmp_path, "plain", "")
    tagged = junction(tmp_path, "tagged", tags(highway="traffic_signals"))
    assert_added(added(plain, tagged, W, E), extra(CAR, 50.0, 0.5, 2.0))
    assert_added(added(plain, tagged, S, N), extra(CAR, 30.0, 0.5, 2.0))


def test_a_give_way_sign_with_a_direction_on_a_junction_node(tmp_path: Path) -> None:
    """Tests direction=forward on the junction node: the approaches that arrive along their way's order."""
    plain = junction(tmp_path, "plain", "")
    tagged = junction(tmp_path, "tagged", tags(highway="give_way", direction="forward"))
    give_way = extra(CAR, 50.0, 0.3, 1.5)
    assert_added(added(plain, tagged, W, E), give_way)  # W -> X is forward along way 20
    assert_added(added(plain, tagged, E, W), NOTHING)
    assert_added(added(plain, tagged, N, S), extra(CAR, 30.0, 0.3, 1.5))  # forward along 21
    assert_added(added(plain, tagged, S, N), NOTHING)


def test_approach_controls_are_saved_and_old_files_without_them_load(tmp_path: Path) -> None:
    """
    Tests that a network saved with approach controls routes the same after loading, and that
    a network saved before they existed (no ``turns.approach_controls`` array) still loads.
    """
    network = ecoroute.load_osm(junction(tmp_path, "tagged", tags(highway="stop")))
    rules = T.attached(network)
    assert rules is not None
    assert len(rules.approach_controls) == 2  # the arcs N -> X and S -> X
    loaded = ecoroute.RoadNetwork.load(network.save(tmp_path / "net.ecoroute"))
    again = T.attached(loaded)
    assert again is not None
    np.testing.assert_array_equal(again.approach_controls, rules.approach_controls)
    for s, t in ((S, N), (N, E), (W, E)):
        before = ecoroute.Router(network, CAR, "time").route(s, t)
        after = ecoroute.Router(loaded, CAR, "time").route(s, t)
        assert after.time_s == before.time_s
        assert after.co2_g == before.co2_g

    # As saved before approach controls existed: the junction's stop a node control.
    index = {int(osm): i for i, osm in enumerate(loaded.node_id)}
    node_control = np.zeros(loaded.node_count, dtype=np.int8)
    node_control[index[X]] = T.STOP
    kept = {
        k: v
        for k, v in loaded.attachments.items()
        if k.startswith("turns.") and k != "turns.approach_controls"
    }
    old = T.detach(loaded).with_attachments(**{**kept, "turns.node_control": node_control})
    old_rules = T.attached(old)
    assert old_rules is not None
    assert len(old_rules.approach_controls) == 0
    # Read as it was saved: every approach pays, the primary's too.
    on_old = ecoroute.Router(old, CAR, "time").route(W, E)
    on_new = ecoroute.Router(loaded, CAR, "time").route(W, E)
    assert on_old.time_s - on_new.time_s == pytest.approx(4.0)


def test_attached_refuses_approach_controls_outside_the_network(tmp_path: Path) -> None:
    network = ecoroute.load_osm(junction(tmp_path, "tagged", tags(highway="stop")))
    bad = network.with_attachments(
        **{"turns.approach_controls": np.array([[network.arc_count, T.STOP]], dtype=np.int64)}
    )
    with pytest.raises(ecoroute.NetworkError, match="approach_controls"):
        T.attached(bad)
