"""
Property tests (hypothesis, fixed seed, a few seconds): random trip tables with every kind
of bad cell give one result row per trip whose status is what the documented rules say
(an oracle written here, cell by cell), ok rows cost what Router.route says, and a whole
job over small chunks, with geometries, always finishes.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecoroute
from ecoroute import batch

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = settings(derandomize=True, max_examples=40, deadline=None)

#: Nodes 10 <-> 11 both ways, 10 -> 12 one way (so 12 -> anything is no_route).
LAT = [60.0, 60.0, 60.001]
LON = [24.0, 24.0018, 24.0]
NETWORK = ecoroute.RoadNetwork.from_arrays(
    [0, 1, 0], [1, 0, 2], [100.0, 100.0, 111.0], [36.0, 36.0, 30.0], LAT, LON, node_id=[10, 11, 12]
)
REACHABLE = {(10, 11), (11, 10), (10, 12), (11, 12), (10, 10), (11, 11), (12, 12)}
MAX_PAYLOAD_KG = {name: getattr(ecoroute.vehicle(name), "max_payload_kg", None)
                  for name in ecoroute.vehicles()}  # fmt: skip

NODES = st.sampled_from([10, 11, 12, 99, 10.0, 10.5, "11", "abc", None, math.nan, -3])
VEHICLES = st.sampled_from([None, "", "car_petrol", "van_diesel", "car_bev", "spaceship"])
PAYLOADS = st.sampled_from([None, 0, 40.0, 1560, 1575, 1575.5, 600, -5, "heavy", math.inf])
TRIP_IDS = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none(), st.floats(0, 3))


@st.composite
def trip_tables(draw):
    rows = []
    for _ in range(draw(st.integers(1, 8))):
        row = {"trip_id": draw(TRIP_IDS), "vehicle": draw(VEHICLES), "payload_kg": draw(PAYLOADS)}
        for end in ("origin", "destination"):
            row[f"{end}_node"] = draw(NODES)
            k = draw(st.integers(0, 3))  # coordinates of a node, or broken ones
            row[f"{end}_lat"] = [LAT[0], LAT[1], LAT[2], math.nan][k]
            row[f"{end}_lon"] = [LON[0], LON[1], LON[2], 200.0][k]
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def _number(cell):
    """A cell as a float, None when empty, or "bad" when it is not a number."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell == "":
        return None
    try:
        return float(cell)
    except ValueError:
        return "bad"


def _snapped(lat, lon):
    """
    The node a coordinate snaps to: the nearer end of the nearest road of the largest
    strongly connected part, which here is the one road 10 <-> 11 (node 12 is the end of a
    one-way stub: a vehicle there could not come back).
    """
    scale = math.cos(math.radians(60.0))  # local metres per degree of longitude, relative
    a = np.array([LAT[0], LON[0] * scale])
    b = np.array([LAT[1], LON[1] * scale])
    p = np.array([lat, lon * scale])
    fraction = float(np.clip(np.dot(p - a, b - a) / np.dot(b - a, b - a), 0.0, 1.0))
    return 10 if fraction < 0.5 else 11


def _id_key(value):
    """A trip id as the text it is written as (7 and 7.0 are "7"), None when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return None
    if isinstance(value, float) and value == math.floor(value):
        return str(int(value))
    return str(value)


def _repeats(ids):
    """Per row, whether an earlier row had the same trip id (missing ids never repeat)."""
    seen, out = set(), []
    for value in ids:
        key = _id_key(value)
        out.append(key is not None and key in seen)
        seen.add(key)
    return out


def _expected(row, default="car_petrol", repeat=False):
    """(status, origin id, destination id, payload bin) by the rules in batch.process_chunk."""
    if repeat:  # a trip id given twice
        return ("bad_input",)
    ends = []
    for end in ("origin", "destination"):
        node = _number(row[f"{end}_node"])
        lat, lon = _number(row[f"{end}_lat"]), _number(row[f"{end}_lon"])
        if node is not None and (lat is not None or lon is not None):
            return ("bad_input",)  # a node and coordinates: which one was meant?
        if node is None:
            lat, lon = _number(row[f"{end}_lat"]), _number(row[f"{end}_lon"])
            if lat is None or lon is None or not abs(lon) <= 180:
                return ("bad_input",)
            ends.append(_snapped(lat, lon))
        elif node == "bad" or node != math.floor(node) or int(node) not in (10, 11, 12):
            return ("bad_input",)
        else:
            ends.append(int(node))
    vehicle = row["vehicle"]
    missing = (
        vehicle is None or vehicle == "" or (isinstance(vehicle, float) and math.isnan(vehicle))
    )
    name = default if missing else vehicle
    if name not in MAX_PAYLOAD_KG:
        return ("bad_input",)
    payload = _number(row["payload_kg"])
    if payload == "bad" or (payload is not None and not (0 <= payload < math.inf)):
        return ("bad_input",)
    limit = MAX_PAYLOAD_KG[name]
    if payload is not None and limit is not None and payload > limit:
        return ("bad_input",)
    bin_kg = None if payload is None else min(round(payload / 100.0) * 100.0, limit)
    status = "ok" if tuple(ends) in REACHABLE else "no_route"
    return (status, *ends, name, bin_kg)


@FUZZ
@given(trip_tables())
def test_every_trip_gets_the_status_the_rules_give(trips):
    result = batch.process_chunk(NETWORK, trips)
    assert len(result) == len(trips)
    repeats = _repeats(trips["trip_id"].tolist())
    for row, out, repeat in zip(
        trips.to_dict("records"), result.itertuples(), repeats, strict=True
    ):
        expected = _expected(row, repeat=repeat)
        assert out.status == expected[0], (row, out.message)
        assert (out.message == "") == (out.status == "ok")
        if out.status != "ok":
            assert math.isnan(out.co2_g)
            continue
        s, t, name, bin_kg = expected[1:]
        assert (out.origin_node, out.destination_node) == (s, t)
        route = ecoroute.Router(NETWORK, name, payload_kg=bin_kg).route(s, t)
        assert out.co2_g == pytest.approx(route.co2_g, rel=1e-12)


@settings(derandomize=True, max_examples=12, deadline=None)
@given(trip_tables(), st.integers(1, 3), st.sampled_from(["wkb", "geojson", None]))
def test_a_csv_job_over_small_chunks_always_finishes(trips, chunk_rows, geometry):
    """Tests the CSV round trip: trip ids and cells typed per chunk, geometry often all null."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trips.csv"
        trips.to_csv(path, index=False)
        out = Path(folder) / "out.parquet"
        summary = batch.run(NETWORK, path, out, chunk_rows=chunk_rows, geometry=geometry,
                            progress=False)  # fmt: skip
        result = pd.read_parquet(out)
        assert summary.trips == len(trips) == len(result)
        read_back = pd.read_csv(path, dtype=object)
        # Ids are the text in the file ("NA" is an id, not a missing value).
        ids = pd.read_csv(path, dtype=str, keep_default_na=False)["trip_id"].tolist()
        expected = [
            _expected(row, repeat=repeat)[0]
            for row, repeat in zip(read_back.to_dict("records"), _repeats(ids), strict=True)
        ]
        assert result["status"].tolist() == expected
