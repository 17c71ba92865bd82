"""
Trucks route as they may drive: hand-written OSM maps whose right answers are worked out here.

Each map is a square: a short way A-B along its south side and a detour A-C-D-B
round the other three sides. A tag on the short way (or on a node of it) closes
it to a 40 t, 4 m high, 2.55 m wide, 16.5 m long truck or not; the truck must
then take the detour, whose length is three sides, while a car keeps the short
way (one side). Lengths are great-circle distances, as the loader measures.
"""

from __future__ import annotations

import math
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pytest

import ecoroute
from ecoroute._geo import haversine_m

TRUCK = "truck_40t_diesel"
SIDE_DEG = 0.01  # about 1.1 km north-south, 0.6 km east-west at 60 degrees
LAT, LON = 60.0, 25.0
CORNERS = {1: (LAT, LON), 2: (LAT, LON + SIDE_DEG), 3: (LAT + SIDE_DEG, LON),
           4: (LAT + SIDE_DEG, LON + SIDE_DEG), 5: (LAT, LON + SIDE_DEG / 2),
           6: (LAT - SIDE_DEG, LON), 7: (LAT - SIDE_DEG, LON + SIDE_DEG)}  # fmt: skip


def square(
    tmp_path: Path, short_tags: dict[str, str], node_tags: dict[str, str] | None = None
) -> Path:
    """The square map; ``short_tags`` go on the short way 1-5-2, ``node_tags`` on its node 5."""
    nodes = []
    for i, (lat, lon) in CORNERS.items():
        tags = node_tags if (i == 5 and node_tags) else {}
        inner = "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())
        nodes.append(f'<node id="{i}" lat="{lat}" lon="{lon}">{inner}</node>')

    def way(i: int, refs: list[int], tags: dict[str, str]) -> str:
        nd = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(
            f"<tag k={quoteattr(k)} v={quoteattr(v)}/>"
            for k, v in {"highway": "tertiary", **tags}.items()
        )
        return f'<way id="{i}">{nd}{tg}</way>'

    # Spurs 1-6 and 2-7 make 1 and 2 junctions, so that simplification keeps them
    # and merges the short way's two pieces (through node 5) into one arc.
    spurs = [way(12, [6, 1], {}), way(13, [2, 7], {})]
    ways = [way(10, [1, 5, 2], short_tags), way(11, [1, 3, 4, 2], {}), *spurs]
    path = tmp_path / "square.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        + "\n".join(nodes + ways)
        + "\n</osm>\n"
    )
    return path


def _length(a: int, b: int) -> float:
    (lat1, lon1), (lat2, lon2) = CORNERS[a], CORNERS[b]
    return float(haversine_m(np.array(lat1), np.array(lon1), np.array(lat2), np.array(lon2)))


SHORT_M = _length(1, 5) + _length(5, 2)
DETOUR_M = _length(1, 3) + _length(3, 4) + _length(4, 2)


def load(path: Path, *, simplify: bool = True) -> ecoroute.RoadNetwork:
    return ecoroute.load_osm(path, simplify=simplify, turn_restrictions=False)


CLOSING = [
    {"hgv": "no"},
    {"motor_vehicle": "no", "motorcar": "yes"},
    {"access": "no", "motorcar": "yes"},
    {"hgv:forward": "no", "hgv:backward": "no"},
    {"maxweight": "7.5"},
    {"maxweight": "7.5 t"},
    {"maxweight": "3500 kg"},
    {"maxweight:hgv": "12"},
    {"maxaxleload": "10"},
    {"maxheight": "3.5"},
    {"maxheight": "3.8 m"},
    {"maxheight": "12'6\""},
    {"maxwidth": "2.0"},
    {"maxlength": "12"},
]
OPEN = [
    {"maxweight": "44"},
    {"maxheight": "4.5"},
    {"maxheight": "none"},
    {"hgv": "yes", "motor_vehicle": "no", "motorcar": "yes"},
    {"maxwidth": "3 m"},
    {"hgv": "designated"},
]


@pytest.mark.parametrize("tags", CLOSING, ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items()))
def test_a_closing_tag_sends_the_truck_round_and_leaves_the_car(tmp_path, tags):
    net = load(square(tmp_path, tags))
    car = ecoroute.Router(net, "car_petrol", "distance").route(1, 2)
    truck = ecoroute.Router(net, TRUCK, "distance").route(1, 2)
    assert car.distance_m == pytest.approx(SHORT_M, rel=1e-9)
    assert truck.distance_m == pytest.approx(DETOUR_M, rel=1e-9)


@pytest.mark.parametrize("tags", OPEN, ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items()))
def test_a_tag_the_truck_meets_keeps_the_short_way(tmp_path, tags):
    net = load(square(tmp_path, tags))
    truck = ecoroute.Router(net, TRUCK, "distance").route(1, 2)
    assert truck.distance_m == pytest.approx(SHORT_M, rel=1e-9)


@pytest.mark.parametrize(
    "node_tags",
    [
        {"barrier": "height_restrictor", "maxheight": "3.2"},
        {"barrier": "bollard"},
        {"barrier": "gate", "access": "no"},
    ],
    ids=lambda t: ",".join(f"{k}={v}" for k, v in t.items()),
)
def test_a_node_on_the_short_way_closes_it(tmp_path, node_tags):
    net = load(square(tmp_path, {}, node_tags))
    truck = ecoroute.Router(net, TRUCK, "distance").route(1, 2)
    assert truck.distance_m == pytest.approx(DETOUR_M, rel=1e-9)


def test_a_cattle_grid_is_no_barrier(tmp_path):
    net = load(square(tmp_path, {}, {"barrier": "cattle_grid"}))
    truck = ecoroute.Router(net, TRUCK, "distance").route(1, 2)
    assert truck.distance_m == pytest.approx(SHORT_M, rel=1e-9)


def test_a_refusal_names_the_rule_that_closed_the_way(tmp_path):
    """Only the short way joins node 5 to the rest: closed, node 5 cannot be reached."""
    net = load(square(tmp_path, {"maxheight": "3.5"}), simplify=False)
    router = ecoroute.Router(net, TRUCK, "co2")
    with pytest.raises(ecoroute.NoRouteError, match=r"maxheight 3\.5 m \(e\.g\. way 10\)"):
        router.route(1, 5)
    low = ecoroute.Router(net, ecoroute.vehicle(TRUCK, height_m=3.4), "co2")
    assert low.route(1, 5).distance_m == pytest.approx(_length(1, 5), rel=1e-9)


def test_the_truck_drives_at_its_legal_speed(tmp_path):
    """A German motorway tagged 130 km/h: a 40 t truck drives 80 (StVO 18(5)), a car 130."""
    path = square(tmp_path, {"highway": "motorway", "maxspeed": "130", "oneway": "no",
                             "source:maxspeed": "DE:motorway"})  # fmt: skip
    net = load(path)
    assert ecoroute.access.network_country(net) == "DE"
    car = ecoroute.Router(net, "car_petrol", "time").route(1, 2)
    truck = ecoroute.Router(net, TRUCK, "time").route(1, 2)
    assert car.time_s == pytest.approx(SHORT_M / (130 / 3.6), rel=1e-9)
    assert truck.time_s == pytest.approx(SHORT_M / (80 / 3.6), rel=1e-9)
    # and a van (up to 3.5 t: no class cap in Germany) drives the road's 130
    van = ecoroute.Router(net, "van_diesel", "time").route(1, 2)
    assert van.time_s == pytest.approx(SHORT_M / (130 / 3.6), rel=1e-9)


def test_maxspeed_hgv_caps_the_truck_only(tmp_path):
    net = load(square(tmp_path, {"maxspeed": "50", "maxspeed:hgv": "30"}))
    car = ecoroute.Router(net, "car_petrol", "time").route(1, 2)
    truck = ecoroute.Router(net, TRUCK, "distance").route(1, 2)
    assert car.time_s == pytest.approx(SHORT_M / (50 / 3.6), rel=1e-9)
    assert truck.time_s == pytest.approx(SHORT_M / (30 / 3.6), rel=1e-9)


def test_a_saved_network_keeps_the_rules(tmp_path):
    net = load(square(tmp_path, {"hgv": "no"}))
    again = ecoroute.RoadNetwork.load(net.save(tmp_path / "square.ecoroute"))
    truck = ecoroute.Router(again, TRUCK, "distance").route(1, 2)
    assert truck.distance_m == pytest.approx(DETOUR_M, rel=1e-9)
    assert math.isclose(
        ecoroute.Router(again, "car_petrol", "distance").route(1, 2).distance_m, SHORT_M
    )
