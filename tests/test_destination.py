"""
Destination-only roads are driven at a route's ends only (issue 23, ecoroute.destination).

Oracle: :func:`tests.oracles.truck_rules.legal_digraph`, a three-phase graph
in networkx (start stretch, open middle, end stretch) built from the oracle's
own reading of the OSM tags, on a random grid of streets some of which are
``hgv=destination``. The router is checked cell by cell, in matrices and in
single routes, and its routes' polylines are read against the OSM file.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

import ecoroute
from ecoroute._errors import NoRouteError

from .oracles import truck_rules as R
from .test_truck_oracle import (
    DETOUR_M,
    LEAD_M,
    A,
    B,
    M,
    S,
    T,
    detour_map,
    length_m,
)

TRUCK = "truck_40t_diesel"
SIDE = 7  # nodes per side of the grid
STEP_DEG = 0.004  # about 445 m north-south, 290 m east-west at 49 N


def grid_map(path: Path, seed: int) -> Path:
    """
    A SIDE x SIDE grid of residential streets in Karlsruhe, one way per street segment.

    About a quarter of the segments are ``hgv=destination``, a few are one-way.
    """
    rng = np.random.default_rng(seed)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i in range(SIDE):
        for j in range(SIDE):
            node = 1 + i * SIDE + j
            lat, lon = 49.0 + i * STEP_DEG, 8.4 + j * STEP_DEG
            lines.append(f'<node id="{node}" lat="{lat:.7f}" lon="{lon:.7f}" version="1"/>')
    way = 1000
    for i in range(SIDE):
        for j in range(SIDE):
            here = 1 + i * SIDE + j
            for there in ([here + 1] if j + 1 < SIDE else []) + (
                [here + SIDE] if i + 1 < SIDE else []
            ):
                tags = {"highway": "residential"}
                if rng.random() < 0.25:
                    tags["hgv"] = "destination"
                if rng.random() < 0.1:
                    tags["oneway"] = "yes"
                refs = [here, there] if rng.random() < 0.5 else [there, here]
                body = "".join(f'<nd ref="{r}"/>' for r in refs)
                body += "".join(
                    f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()
                )
                lines.append(f'<way id="{way}" version="1">{body}</way>')
                way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _load(path: Path, **options):  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return ecoroute.load_osm(path, largest_component=False, **options)


def _kinds(network, verdicts):  # type: ignore[no-untyped-def]
    """Per node: 1 if every arc at it is destination-only, 0 if none is, -1 if both meet there."""
    dest = np.array([v.status == R.DESTINATION for v in verdicts])
    ends = np.concatenate([network.tail, network.head])
    flags = np.concatenate([dest, dest]).astype(np.int64)
    touching = np.bincount(ends, weights=flags, minlength=network.node_count)
    incident = np.bincount(ends, minlength=network.node_count)
    return np.where(touching == 0, 0, np.where(touching == incident, 1, -1))


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("objective", ["time", "co2"])
def test_matrix_equals_the_three_phase_oracle(tmp_path, seed, objective):
    """
    Every cell of the all-pairs matrix equals networkx's on the three-phase graph.

    Border nodes (where open and destination-only streets meet) included:
    the cheapest legal route from one may start along a destination-only
    street and come out of it, and between two nodes inside such streets it
    may go out and back in.
    """
    path = grid_map(tmp_path / "grid.osm", seed)
    network = _load(path, simplify=False, turn_restrictions=False)
    rules = R.TruckRules.read(path)
    verdicts, barrier = R.arc_verdicts(network, rules)
    truck = ecoroute.vehicle(TRUCK)
    speeds = R.arc_truck_speeds(network, rules)
    quantity = {"co2": "co2_g", "time": "time_s"}[objective]
    weight = truck.arc_quantities(network.replace(speed_kph=speeds))[quantity]
    legal = R.legal_digraph(network, weight, verdicts, barrier)
    kind = _kinds(network, verdicts)
    router = ecoroute.Router(network, TRUCK, objective)
    ids = network.node_id.tolist()
    matrix = router.matrix(ids, ids)
    cost = np.asarray(matrix.cost if hasattr(matrix, "cost") else matrix)
    checked = finite = border = 0
    for i, s in enumerate(ids):
        for j, t in enumerate(ids):
            if i == j:
                continue
            expected = R.legal_cost(legal, s, t)
            got = float(cost[i, j])
            checked += 1
            border += kind[i] < 0 or kind[j] < 0
            finite += math.isfinite(expected)
            assert (math.isinf(got) and math.isinf(expected)) or got == pytest.approx(
                expected, rel=1e-9
            ), (s, t, got, expected)
    assert checked == len(ids) * (len(ids) - 1)
    assert border > 100
    assert finite > 0.5 * checked


@pytest.mark.parametrize("seed", [1, 2])
def test_routes_read_against_the_osm_file_use_destination_streets_only_at_the_ends(tmp_path, seed):
    """Default load (merged chains, turn data): random point-to-point routes, checked way by way."""
    path = grid_map(tmp_path / "grid.osm", seed)
    network = _load(path)
    rules = R.TruckRules.read(path)
    router = ecoroute.Router(network, TRUCK, "co2")
    rng = np.random.default_rng(seed)
    lo = np.array([49.0, 8.4])
    hi = lo + (SIDE - 1) * STEP_DEG
    routed = 0
    for _ in range(60):
        source, target = (tuple(rng.uniform(lo, hi)) for _ in range(2))
        try:
            found = router.route(source, target, max_snap_m=2000)
        except NoRouteError:
            continue
        routed += 1
        violations = [
            v for v in rules.check_route(found.coordinates) if v.kind in {"closed", "destination"}
        ]
        assert violations == [], (source, target, violations)
    assert routed > 30


def test_one_matrix_cell_equals_its_route(tmp_path):
    path = grid_map(tmp_path / "grid.osm", 4)
    network = _load(path).prepared()
    router = ecoroute.Router(network, TRUCK, "co2")
    ids = network.node_id.tolist()
    cost = np.asarray(router.matrix(ids, ids).cost)
    for i, s in enumerate(ids[:8]):
        for j, t in enumerate(ids):
            if i == j:
                continue
            try:
                value = router.route(s, t).cost
            except NoRouteError:
                value = math.inf
            assert (math.isinf(value) and math.isinf(cost[i, j])) or value == pytest.approx(
                cost[i, j], rel=1e-9
            ), (s, t)


# ------------------------------------------------------------------- the detour map, by hand


@pytest.mark.parametrize("simplify", [True, False])
def test_a_route_from_the_border_may_start_along_the_destination_way(tmp_path, simplify):
    """From A (where the destination-only way 100 begins): along it to B, then open to T."""
    network = _load(detour_map(tmp_path / "map.osm", {"hgv": "destination"}), simplify=simplify)
    found = ecoroute.Router(network, TRUCK, "co2").route(A, T)
    assert found.distance_m == pytest.approx(length_m(A, M, B) + LEAD_M, rel=1e-6)
    back = ecoroute.Router(network, TRUCK, "co2").route(T, A)  # and into it at the end
    assert back.distance_m == pytest.approx(LEAD_M + length_m(B, M, A), rel=1e-6)


def test_a_route_from_inside_leaves_by_the_nearest_exit(tmp_path):
    """From M, inside the destination-only way, out at B (the start stretch), then to T."""
    network = _load(
        detour_map(tmp_path / "map.osm", {"hgv": "destination"}),
        simplify=False,
        turn_restrictions=False,
    )
    found = ecoroute.Router(network, TRUCK, "co2").route(11, T)
    assert found.distance_m == pytest.approx(length_m(11, B) + LEAD_M, rel=1e-6)


def test_through_traffic_between_two_nodes_is_refused_naming_the_tag(tmp_path):
    network = _load(detour_map(tmp_path / "map.osm", {"hgv": "delivery"}, detour=False))
    router = ecoroute.Router(network, TRUCK, "co2")
    with pytest.raises(NoRouteError, match="hgv=delivery"):
        router.route(S, T)
    assert math.isinf(float(np.asarray(router.matrix([S], [T]).cost)[0, 0]))
    assert router.route(S, (49.0075, 8.4)).distance_m == pytest.approx(
        LEAD_M + length_m(A, 11, (49.0075, 8.4)), rel=1e-6
    )


# ------------------------------------------------------------------------------ batch rows


def test_batch_rows_snap_onto_the_roads_their_own_vehicle_may_drive(tmp_path):
    """A point 22 m beside an ``hgv=no`` way: the car starts on it, the truck 556 m away, at A-C."""
    import pandas as pd

    from ecoroute.batch import process_chunk

    network = _load(detour_map(tmp_path / "map.osm", {"hgv": "no"}))
    beside = (49.005, 8.4003)
    trips = pd.DataFrame(
        {
            "trip_id": ["car", "truck"],
            "vehicle": ["car_petrol", TRUCK],
            "origin_lat": [beside[0]] * 2,
            "origin_lon": [beside[1]] * 2,
            "destination_node": [T, T],
        }
    )
    out = process_chunk(network, trips, max_snap_m=1000).set_index("trip_id")
    assert (out["status"] == "ok").all(), out["message"].tolist()
    to_way = length_m(beside, (49.005, 8.4))  # 21.9 m, due west onto the short way
    assert out.loc["car", "origin_snap_m"] == pytest.approx(to_way, rel=1e-3)
    to_ac = length_m(beside, (49.0, 8.4003))  # 556 m, due south onto A-C
    assert out.loc["truck", "origin_snap_m"] == pytest.approx(to_ac, rel=1e-3)
    tight = process_chunk(network, trips, max_snap_m=300).set_index("trip_id")
    assert tight.loc["car", "status"] == "ok"
    assert tight.loc["truck", "status"] == "bad_input"
    assert TRUCK in tight.loc["truck", "message"]


# -------------------------------------------------------------------------------------- CLI


def test_cli_route_takes_the_trucks_dimensions(tmp_path, capsys):
    """``--height-m 3.0`` lets the truck under a 3.5 m ``maxheight`` on the short way (A to T)."""
    from ecoroute.cli import main

    path = detour_map(tmp_path / "map.osm", {"maxheight": "3.5"})
    base = ["route", "--network", str(path), "--from", "49.0,8.4", "--to", "49.015,8.4"]
    assert main([*base, "--vehicle", TRUCK]) == 0
    tall = capsys.readouterr().out
    assert main([*base, "--vehicle", TRUCK, "--height-m", "3.0"]) == 0
    low = capsys.readouterr().out
    detour_km = (DETOUR_M - LEAD_M) / 1000
    short_km = (length_m(A, 11, B) + LEAD_M) / 1000
    assert f"{detour_km:.2f} km" in tall, tall
    assert f"{short_km:.2f} km" in low, low


# ------------------------------------------------------------------------------ osmnx


def test_the_rules_survive_a_trip_through_osmnx(tmp_path):
    """to_osmnx writes the legal attributes on the edges; from_osmnx reads them back."""
    network = _load(detour_map(tmp_path / "map.osm", {"hgv": "no", "maxheight": "3.5"}))
    G = network.to_osmnx()
    short = [d for _, _, d in G.edges(data=True) if d.get("osmid") == 100]
    assert short
    assert all(d["access_hgv"] == "no" for d in short)
    assert all(d["access_tag_hgv"] == "hgv=no" for d in short)
    assert all(d["maxheight_m"] == pytest.approx(3.5) for d in short)
    assert all("access_motorcar" not in d for d in short)  # the car may drive it
    back = ecoroute.RoadNetwork.from_osmnx(G)
    truck = ecoroute.Router(back, TRUCK, "co2")
    assert truck.route(S, T).distance_m == pytest.approx(DETOUR_M, rel=1e-6)
    car = ecoroute.Router(back, "car_petrol", "co2")
    assert car.route(S, T).distance_m == pytest.approx(
        LEAD_M + length_m(A, 11, B) + LEAD_M, rel=1e-6
    )
    with pytest.raises(NoRouteError, match="hgv=no"):
        ecoroute.Router(
            ecoroute.RoadNetwork.from_osmnx(
                _load(detour_map(tmp_path / "no.osm", {"hgv": "no"}, detour=False)).to_osmnx()
            ),
            TRUCK,
            "co2",
        ).route(S, T)


def test_an_osmnx_graph_with_a_wrong_access_word_is_refused(tmp_path):
    network = _load(detour_map(tmp_path / "map.osm", {"hgv": "no"}))
    G = network.to_osmnx()
    u, v, k = next(iter(G.edges(keys=True)))
    G.edges[u, v, k]["access_hgv"] = "maybe"
    with pytest.raises(ValueError, match="access_hgv='maybe'"):
        ecoroute.RoadNetwork.from_osmnx(G)


# ------------------------------------------------------------------------------ fleet plans


def test_a_fleet_gives_a_stop_on_a_road_closed_to_trucks_to_the_van(tmp_path):
    """
    A stop on the ``hgv=no`` short way goes to the van; the heavy stop at T to the truck.

    With the truck alone, the closed stop is unassigned as unreachable.
    """
    from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet

    network = _load(detour_map(tmp_path / "map.osm", {"hgv": "no"}))
    depot = Depot("D", lat=48.995, lon=8.4)  # node S
    stops = [
        Stop("closed", lat=49.005, lon=8.4, demand_kg=100.0),  # node M, on the hgv=no way
        Stop("heavy", lat=49.015, lon=8.4, demand_kg=5000.0),  # node T
    ]
    fleet = [
        VehicleType(TRUCK, count=1),
        VehicleType("van_diesel", count=1, capacity_kg=500.0),
    ]
    plan = plan_fleet(network, depot, stops, fleet, max_iterations=200, baselines=())
    assert not plan.unassigned
    served = {visit.stop: visit.vehicle_type for visit in plan.visits}
    assert served == {"closed": "van_diesel", "heavy": TRUCK}, served
    # The ISO 14083 report says which legal profile each vehicle's paths obey.
    profiles = {v["vehicle_type"]: v["legal_profile"] for v in plan.report()["vehicles"]}
    assert profiles[TRUCK].startswith("hgv, 40.0 t")
    assert profiles["van_diesel"].startswith("goods, ")
    alone = plan_fleet(network, depot, stops, fleet[:1], max_iterations=200, baselines=())
    assert [(u.stop, u.reason) for u in alone.unassigned] == [("closed", "unreachable")]
    assert {visit.stop for visit in alone.visits} == {"heavy"}
