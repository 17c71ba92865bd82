"""
``ecoroute serve`` (issue 28): OSRM's HTTP API, checked with real OSRM clients from PyPI.

The server runs in-process (uvicorn in a thread, on a free port, on the shipped
Helsinki network). The oracle of every route and table is the Python API called
directly (``Router.route``, ``Router.matrix``), not the service's own code; the
polyline codec is checked against Google's documented example.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import requests
import uvicorn
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.cli import main, prepared_network
from ecoroute.serve import Limits, RoutingService, polyline
from ecoroute.serve.app import MAX_REQUEST_LINE_BYTES, create_app

# (lon, lat) points in central Helsinki, OSRM's order.
A, B, C = (24.9400, 60.1680), (24.9500, 60.1760), (24.9450, 60.1700)
D = (24.9380, 60.1745)


def _lat_lon(point: tuple[float, float]) -> tuple[float, float]:
    return point[1], point[0]


def _where(*points: tuple[float, float]) -> str:
    return ";".join(f"{lon},{lat}" for lon, lat in points)


@pytest.fixture(scope="module")
def network() -> ecoroute.RoadNetwork:
    return prepared_network(ecoroute.datasets.helsinki())


@pytest.fixture(scope="module")
def service(network: ecoroute.RoadNetwork) -> RoutingService:
    return RoutingService(network)


@pytest.fixture(scope="module")
def server(service: RoutingService) -> Iterator[str]:
    """The app under uvicorn in a thread, as ``ecoroute serve`` runs it; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(service, workers=4),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        h11_max_incomplete_event_size=MAX_REQUEST_LINE_BYTES,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def get(server: str, path: str, **params: Any) -> requests.Response:
    return requests.get(server + path, params=params, timeout=60)


# ---------------------------------------------------------------------- the polyline codec


def test_polyline_matches_googles_documented_example():
    """Google's polyline documentation: (38.5, -120.2), (40.7, -120.95), (43.252, -126.453)."""
    points = [(-120.2, 38.5), (-120.95, 40.7), (-126.453, 43.252)]
    assert polyline.encode(points) == "_p~iF~ps|U_ulLnnqC_mqNvxq`@"
    assert polyline.decode("_p~iF~ps|U_ulLnnqC_mqNvxq`@") == points
    assert polyline.decode(polyline.encode(points, 6), 6) == points


@pytest.mark.parametrize("text", ["_p~iF~ps|U_ulLnnqC_mqNvxq", "_p~iF~ps|U_", "ab cd"])
def test_polyline_refuses_broken_strings(text):
    with pytest.raises(ValueError, match="polyline"):
        polyline.decode(text)


# ---------------------------------------------------------------------- real OSRM clients


@pytest.mark.parametrize(
    ("geometries", "tolerance"), [("polyline", 6e-6), ("polyline6", 6e-7), ("geojson", 0)]
)
def test_routingpy_route_matches_router(server, network, geometries, tolerance):
    """routingpy's OSRM client, unchanged: geometry, duration and distance are Router.route's."""
    from routingpy import OSRM

    client = OSRM(base_url=server, timeout=60)
    direction = client.directions(
        locations=[list(A), list(B)], profile="driving", geometries=geometries, overview="full"
    )
    expected = ecoroute.Router(network, "car_petrol").route(_lat_lon(A), _lat_lon(B))
    coordinates = np.asarray(direction.geometry, dtype=np.float64)
    assert coordinates.shape == expected.coordinates.shape
    assert_allclose(coordinates, expected.coordinates, atol=tolerance, rtol=0)
    assert direction.duration == int(expected.time_s)
    assert direction.distance == int(expected.distance_m)
    raw = direction.raw["routes"][0]
    assert raw["duration"] == pytest.approx(expected.time_s, rel=1e-12)
    assert raw["distance"] == pytest.approx(expected.distance_m, rel=1e-12)
    assert raw["co2_g"] == pytest.approx(expected.co2_g, rel=1e-12)
    assert raw["fuel_l"] == pytest.approx(expected.fuel_l, rel=1e-12)
    assert raw["weight_name"] == "co2"


def test_routingpy_matrix_matches_router_matrix(server, network):
    from routingpy import OSRM

    points = [A, B, C, D]
    matrix = OSRM(base_url=server, timeout=60).matrix(
        locations=[list(p) for p in points], profile="driving", annotations=["duration", "distance"]
    )
    expected = ecoroute.Router(network, "car_petrol").matrix(
        [_lat_lon(p) for p in points], [_lat_lon(p) for p in points]
    )
    assert_allclose(matrix.durations, expected.time_s, rtol=1e-12)
    assert_allclose(matrix.distances, expected.distance_m, rtol=1e-12)


def test_osrm_py_client_route_and_nearest(server, network):
    """osrm-py (the other OSRM client on PyPI), unchanged, against the Python API."""
    import osrm

    client = osrm.Client(host=server, timeout=60)
    response = client.route(
        coordinates=[list(A), list(C), list(B)],
        overview=osrm.overview.full,
        geometries=osrm.geometries.geojson,
    )
    router = ecoroute.Router(network, "car_petrol")
    legs = [router.route(_lat_lon(s), _lat_lon(t)) for s, t in [(A, C), (C, B)]]
    route = response["routes"][0]
    assert [leg["duration"] for leg in route["legs"]] == pytest.approx([r.time_s for r in legs])
    assert route["duration"] == pytest.approx(sum(r.time_s for r in legs), rel=1e-12)
    assert route["co2_g"] == pytest.approx(sum(r.co2_g for r in legs), rel=1e-12)
    line = np.concatenate([legs[0].coordinates, legs[1].coordinates[1:]])
    assert_allclose(route["geometry"]["coordinates"], line, rtol=0, atol=0)
    snapped = [(legs[0].source_lon, legs[0].source_lat)] + [
        (r.target_lon, r.target_lat) for r in legs
    ]
    assert [tuple(w["location"]) for w in response["waypoints"]] == snapped

    nearest = client.nearest(coordinates=[list(D)], number=3)
    distances = [w["distance"] for w in nearest["waypoints"]]
    assert distances == sorted(distances)
    first = router.route(_lat_lon(D), _lat_lon(A))
    assert nearest["waypoints"][0]["location"] == pytest.approx(
        [first.source_lon, first.source_lat]
    )
    assert distances == pytest.approx(_nearest_roads_m(network, D, 3), abs=0.5)


def _nearest_roads_m(
    network: ecoroute.RoadNetwork, point: tuple[float, float], k: int
) -> list[float]:
    """Brute force: metres from ``point`` to every road (a pair of nodes), in a local projection."""
    import shapely

    lat0 = point[1]
    scale = np.array([math.cos(math.radians(lat0)), 1.0]) * 6_371_008.8 * math.pi / 180
    router = ecoroute.Router(network, "car_petrol")
    best: dict[frozenset[int], float] = {}
    for arc in router.snapper.usable_arcs.tolist():
        tail = int(network.tail[arc])
        line = (network.path_coordinates([arc], tail) - np.array(point)) * scale
        metres = shapely.LineString(line).distance(shapely.Point(0.0, 0.0))
        road = frozenset((tail, int(network.head[arc])))
        best[road] = min(best.get(road, math.inf), metres)
    return sorted(best.values())[:k]


# ---------------------------------------------------------------------- OSRM's shapes, ecoroute's options


def test_route_body_has_osrms_shape_and_annotations(server):
    body = get(
        server,
        f"/route/v1/driving/{_where(A, B)}",
        overview="full",
        geometries="geojson",
        annotations="true",
    ).json()
    assert body["code"] == "Ok"
    route = body["routes"][0]
    assert set(route) >= {
        "geometry",
        "legs",
        "weight",
        "weight_name",
        "duration",
        "distance",
        "co2_g",
    }
    (leg,) = route["legs"]
    assert leg["steps"] == []
    assert leg["summary"] == ""
    annotation = leg["annotation"]
    segments = len(route["geometry"]["coordinates"]) - 1
    for name in ("duration", "distance", "speed", "weight", "co2_g", "fuel_l"):
        assert len(annotation[name]) == segments, name
    # Distances split the leg's exactly; durations and CO2 leave out turn costs, as OSRM's do.
    assert sum(annotation["distance"]) == pytest.approx(leg["distance"], rel=1e-6)
    assert 0 < sum(annotation["duration"]) <= leg["duration"] * (1 + 1e-9)
    assert all(s >= 0 for s in annotation["speed"])
    for waypoint in body["waypoints"]:
        assert set(waypoint) == {"location", "distance", "name", "hint"}


def test_overview_simplified_and_false(server):
    full = get(server, f"/route/v1/driving/{_where(A, B)}", overview="full").json()
    simple = get(server, f"/route/v1/driving/{_where(A, B)}").json()  # OSRM's default
    none = get(server, f"/route/v1/driving/{_where(A, B)}", overview="false").json()
    full_line = polyline.decode(full["routes"][0]["geometry"])
    simple_line = polyline.decode(simple["routes"][0]["geometry"])
    assert 2 <= len(simple_line) <= len(full_line)
    assert simple_line[0] == full_line[0]
    assert simple_line[-1] == full_line[-1]
    assert "geometry" not in none["routes"][0]
    assert none["routes"][0]["duration"] == full["routes"][0]["duration"]


def test_table_sources_destinations_and_co2(server, network):
    body = get(
        server,
        f"/table/v1/driving/{_where(A, B, C)}",
        sources="0;1",
        destinations="2",
        annotations="duration,distance,co2",
    ).json()
    expected = ecoroute.Router(network, "car_petrol").matrix(
        [_lat_lon(A), _lat_lon(B)], [_lat_lon(C)]
    )
    assert_allclose(body["durations"], expected.time_s, rtol=1e-12)
    assert_allclose(body["distances"], expected.distance_m, rtol=1e-12)
    assert_allclose(body["co2_g"], expected.co2_g, rtol=1e-12)
    assert len(body["sources"]) == 2
    assert len(body["destinations"]) == 1
    scaled = get(server, f"/table/v1/driving/{_where(A, B)}", scale_factor="2").json()
    plain = get(server, f"/table/v1/driving/{_where(A, B)}").json()
    assert_allclose(scaled["durations"], 2 * np.array(plain["durations"]))
    assert "distances" not in plain  # OSRM's default annotations: duration only


@pytest.mark.parametrize(
    ("profile", "params", "router_args"),
    [
        ("driving", {"objective": "time"}, {"vehicle": "car_petrol", "objective": "time"}),
        ("car", {"max_extra_time": "0.05"}, {"vehicle": "car_petrol", "max_extra_time": 0.05}),
        ("van_bev", {"objective": "energy"}, {"vehicle": "van_bev", "objective": "energy"}),
        (
            "truck_40t_diesel",
            {"height_m": "3.5", "axle_load_t": "10", "payload_kg": "20000"},
            {
                "vehicle": ecoroute.vehicle("truck_40t_diesel", height_m=3.5, max_axle_load_t=10.0),
                "payload_kg": 20000.0,
            },
        ),
    ],
)
def test_ecoroute_options_route_as_the_api_does(server, network, profile, params, router_args):
    body = get(
        server,
        f"/route/v1/{profile}/{_where(A, B)}",
        overview="full",
        geometries="geojson",
        **params,
    ).json()
    vehicle = router_args.pop("vehicle")
    expected = ecoroute.Router(network, vehicle, **router_args).route(_lat_lon(A), _lat_lon(B))
    route = body["routes"][0]
    assert route["duration"] == pytest.approx(expected.time_s, rel=1e-12)
    assert route["co2_g"] == pytest.approx(expected.co2_g, rel=1e-12)
    assert_allclose(route["geometry"]["coordinates"], expected.coordinates, atol=0)
    if expected.energy_kwh is not None:
        assert route["energy_kwh"] == pytest.approx(expected.energy_kwh, rel=1e-12)
    if expected.fastest_time_s is not None:
        assert route["fastest_time_s"] == pytest.approx(expected.fastest_time_s, rel=1e-12)
        assert route["duration"] <= 1.05 * route["fastest_time_s"] * (1 + 1e-9)


def test_post_json_answers_as_get(server):
    url = f"{server}/route/v1/driving"
    posted = requests.post(
        url, json={"coordinates": [list(A), list(B)], "overview": "full"}, timeout=60
    )
    assert posted.status_code == 200
    got = get(server, f"/route/v1/driving/{_where(A, B)}", overview="full")
    assert posted.json() == got.json()
    wrong = requests.post(url, data="{}", headers={"content-type": "text/plain"}, timeout=60)
    assert wrong.status_code == 415
    assert wrong.json()["code"] == "InvalidContentType"
    huge = b'{"coordinates": [' + b"[24.94, 60.17]," * 100_000 + b"[24.94, 60.17]]}"
    too_big = requests.post(
        url, data=huge, headers={"content-type": "application/json"}, timeout=60
    )
    assert (too_big.status_code, too_big.json()["code"]) == (413, "TooBig")
    for body in (
        b"{not json",
        b"[1, 2]",
        b'{"coordinates": [[1, "x"]]}',
        b'{"coordinates": [[1, 2], [3, 4]], "steps": {}}',
    ):
        bad = requests.post(
            url, data=body, headers={"content-type": "application/json"}, timeout=60
        )
        assert (bad.status_code, bad.json()["code"]) == (400, "InvalidQuery"), body


def test_health_and_vehicles(server, network):
    health = get(server, "/health").json()
    assert health["status"] == "ok"
    assert health["nodes"] == network.node_count
    vehicles = get(server, "/vehicles").json()
    assert [v["profile"] for v in vehicles["vehicles"]] == ecoroute.vehicles()
    assert vehicles["default_vehicle"] == "car_petrol"


# ---------------------------------------------------------------------- bad requests


FAR = (0.0, 0.0)  # in the Gulf of Guinea, thousands of km from Helsinki

BAD_REQUESTS = [
    (f"/route/v1/driving/{A[0]};{A[1]}", {}, "InvalidQuery"),
    ("/route/v1/driving/abc,def;24.94,60.17", {}, "InvalidQuery"),
    ("/route/v1/driving/24.94,60.17;24.95", {}, "InvalidQuery"),
    ("/route/v1/driving/polyline(!!)", {}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A)};nan,60.17", {}, "InvalidValue"),
    (f"/route/v1/driving/{_where(A)};24.94,95", {}, "InvalidValue"),
    (f"/route/v1/driving/{_where(A)};200,60", {}, "InvalidValue"),
    (f"/route/v1/driving/{_where(A)}", {}, "InvalidOptions"),
    (f"/route/v1/bike/{_where(A, B)}", {}, "InvalidValue"),
    (f"/route/v1/driving/{_where(A, B)}", {"geometries": "wkt"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"overview": "maybe"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"alternatives": "-1"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"alternatives": "9"}, "TooBig"),
    (f"/route/v1/driving/{_where(A, B)}", {"annotations": "colour"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"colour": "green"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"steps": "true"}, "NotImplemented"),
    (f"/route/v1/driving/{_where(A, B)}", {"radiuses": "5"}, "InvalidOptions"),
    (f"/route/v1/driving/{_where(A, B)}", {"radiuses": "1;1"}, "NoSegment"),
    (f"/route/v1/driving/{_where(A, B)}", {"max_extra_time": "-1"}, "InvalidValue"),
    (f"/route/v1/driving/{_where(A, B)}", {"max_extra_time": "lots"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"max_extra_time": "50"}, "InvalidValue"),
    (
        f"/route/v1/driving/{_where(A, B)}",
        {"objective": "time", "max_extra_time": "0.05"},
        "InvalidValue",
    ),
    (f"/route/v1/driving/{_where(A, B)}", {"objective": "beauty"}, "InvalidQuery"),
    (f"/route/v1/driving/{_where(A, B)}", {"departure": "2024-03-04T08:30"}, "InvalidValue"),
    (f"/route/v1/truck_40t_diesel/{_where(A, B)}", {"height_m": "tall"}, "InvalidQuery"),
    (f"/route/v1/truck_40t_diesel/{_where(A, B)}", {"height_m": "-2"}, "InvalidValue"),
    (f"/route/v1/truck_40t_diesel/{_where(A, B)}", {"hazmat": "plutonium"}, "InvalidValue"),
    (f"/route/v1/driving/{_where(A, FAR)}", {}, "NoSegment"),
    (f"/table/v1/driving/{_where(A)};24.94,95", {}, "InvalidOptions"),
    (f"/table/v1/driving/{_where(A, B)}", {"sources": "5"}, "InvalidOptions"),
    (f"/table/v1/driving/{_where(A, B)}", {"sources": "zero"}, "InvalidQuery"),
    (f"/table/v1/driving/{_where(A, B)}", {"annotations": "duration,beauty"}, "InvalidQuery"),
    (f"/table/v1/driving/{_where(A, B)}", {"scale_factor": "0"}, "InvalidOptions"),
    (f"/table/v1/driving/{_where(A, B)}", {"fallback_speed": "10"}, "NotImplemented"),
    (f"/table/v1/driving/{_where(A, FAR)}", {}, "NoSegment"),
    (f"/nearest/v1/driving/{_where(A, B)}", {}, "InvalidOptions"),
    (f"/nearest/v1/driving/{_where(A)}", {"number": "0"}, "InvalidQuery"),
    (f"/nearest/v1/driving/{_where(A)}", {"number": "101"}, "TooBig"),
    (f"/nearest/v1/driving/{_where(FAR)}", {}, "NoSegment"),
    (f"/route/v2/driving/{_where(A, B)}", {}, "InvalidVersion"),
    (f"/teleport/v1/driving/{_where(A, B)}", {}, "InvalidService"),
    (f"/match/v1/driving/{_where(A, B)}", {}, "NotImplemented"),
    ("/no/such/page", {}, "InvalidUrl"),
]


@pytest.mark.parametrize(("path", "params", "code"), BAD_REQUESTS)
def test_bad_requests_get_osrm_errors(server, path, params, code):
    response = get(server, path, **params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code, body
    assert body["message"]
    assert get(server, "/health").status_code == 200  # still serving


def test_huge_requests_are_too_big(server):
    """10,000 coordinates in a GET (a 220 kB URL) reach the service and get TooBig, not a 500."""
    rng = np.random.default_rng(0)
    points = [(24.94 + 0.01 * x, 60.17 + 0.01 * y) for x, y in rng.random((10_000, 2))]
    for service in ("route", "table"):
        response = get(server, f"/{service}/v1/driving/{_where(*points)}")
        assert response.status_code == 400
        assert response.json()["code"] == "TooBig"
    table = get(server, f"/table/v1/driving/{_where(*points[:101])}")
    assert table.json()["code"] == "TooBig"
    ok = get(server, f"/table/v1/driving/{_where(*points[:101])}", sources="0", destinations="1;2")
    assert ok.json()["code"] == "Ok"  # OSRM limits sources x destinations, not the locations
    assert get(server, "/health").status_code == 200


def test_limits_are_configurable(network):
    service = RoutingService(network, limits=Limits(max_table_size=2, max_viaroute_size=2))
    status, body = service.answer("table", "v1", "driving", _where(A, B, C), {})
    assert (status, json.loads(body)["code"]) == (400, "TooBig")
    status, body = service.answer("route", "v1", "driving", _where(A, B, C), {})
    assert (status, json.loads(body)["code"]) == (400, "TooBig")
    status, body = service.answer("route", "v1", "driving", _where(A, B), {})
    assert status == 200


# ---------------------------------------------------------------------- concurrency


def test_concurrent_requests_share_one_network(server, service, network):
    """Many clients at once get the answers one client gets; routers are shared, not copied."""
    paths = [f"/route/v1/driving/{_where(A, B)}", f"/table/v1/driving/{_where(A, B, C, D)}"]
    alone = [get(server, p).json() for p in paths]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda i: get(server, paths[i % 2]).json(), range(64)))
    assert all(answer == alone[i % 2] for i, answer in enumerate(answers))
    routers = get(server, "/health").json()["routers"]
    assert routers <= 8  # one per (vehicle, objective, budget) asked in this module
    assert service.network is network


# ---------------------------------------------------------------------- the map page and the CLI


def test_map_page_draws_both_routes_in_headless_chromium(server):
    """The page at /, opened by Chromium with two points in its URL, draws both routes."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    url = f"{server}/?from={A[0]},{A[1]}&to={B[0]},{B[1]}"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = result.stdout
    assert 'data-routes="2"' in dom, dom[-2000:] or result.stderr[-2000:]
    for route in ("route-time", "route-co2"):
        match = re.search(rf'<path id="{route}"[^>]* d="(M[^"]+)"', dom)
        assert match is not None, route
        assert match.group(1).count("L") >= 2
    assert "Least CO2 saves" in dom


def test_cli_serve_refuses_bad_limits_before_loading(capsys):
    assert main(["serve", "no-such-network.ecoroute", "--max-table-size", "0"]) == 2
    assert "--max-table-size must be at least 1" in capsys.readouterr().err


def test_cli_serve_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["serve", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--max-viaroute-size" in out
    assert "--port" in out


def test_departure_routes_each_leg_when_the_previous_one_arrives(network):
    """With speed profiles, leg 2 departs at leg 1's arrival, as two Router.route calls do."""
    from ecoroute.traffic import departure_seconds, synthetic_profiles

    timed = network.with_speeds(synthetic_profiles(network, fraction=0.8))
    service = RoutingService(timed)
    status, body = service.answer(
        "route", "v1", "driving", _where(A, C, B), {"departure": "2024-03-04T08:00"}
    )
    assert status == 200, body
    legs = json.loads(body)["routes"][0]["legs"]
    router = ecoroute.Router(timed, "car_petrol")
    first = router.route(_lat_lon(A), _lat_lon(C), departure="2024-03-04T08:00")
    start = departure_seconds("2024-03-04T08:00") + first.time_s
    second = router.route(_lat_lon(C), _lat_lon(B), departure=start)
    assert [leg["duration"] for leg in legs] == pytest.approx([first.time_s, second.time_s])
    assert [leg["co2_g"] for leg in legs] == pytest.approx([first.co2_g, second.co2_g])
    status, body = service.answer("table", "v1", "driving", _where(A, B), {"departure": "3600"})
    expected = router.matrix([_lat_lon(A), _lat_lon(B)], [_lat_lon(A), _lat_lon(B)], departure=3600)
    assert_allclose(json.loads(body)["durations"], expected.time_s, rtol=1e-12)
