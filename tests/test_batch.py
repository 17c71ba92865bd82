"""Batch jobs: results against single routes, bad rows, kills and restarts, Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

import ecoroute
from ecoroute import batch

from .helpers import to_networkx


@pytest.fixture(scope="module")
def helsinki():
    return ecoroute.datasets.helsinki()


@pytest.fixture(scope="module")
def saved(helsinki, tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "helsinki.ecoroute"
    helsinki.save(path)
    return path


def _trips(network, count, seed=0):
    rng = np.random.default_rng(seed)
    i = rng.integers(0, network.node_count, count)
    j = rng.integers(0, network.node_count, count)
    return pd.DataFrame(
        {
            "trip_id": [f"t{k}" for k in range(count)],
            "origin_lat": network.lat[i] + rng.normal(0, 1e-4, count),
            "origin_lon": network.lon[i] + rng.normal(0, 1e-4, count),
            "destination_node": network.node_id[j],
        }
    )


def test_results_equal_single_routes_and_networkx(helsinki, saved, tmp_path):
    """
    Tests every ok row against Router.route on the same snapped nodes, and a
    sample against networkx's Dijkstra on the CO2 weights.
    """
    trips = _trips(helsinki, 300)
    summary = batch.run(saved, trips, tmp_path / "out.parquet", chunk_rows=70)
    assert summary.trips == 300
    assert summary.chunks == 5
    result = pd.read_parquet(tmp_path / "out.parquet")
    assert result["trip_id"].tolist() == trips["trip_id"].tolist()
    router = ecoroute.Router(helsinki, "car_petrol", "co2")
    fastest = ecoroute.Router(helsinki, "car_petrol", "time")
    graph = to_networkx(helsinki, router.weight)
    for row in result.itertuples():
        route = router.route(int(row.origin_node), int(row.destination_node))
        assert row.co2_g == pytest.approx(route.co2_g, rel=1e-12)
        assert row.time_s == pytest.approx(route.time_s, rel=1e-12)
        assert row.fastest_time_s == pytest.approx(
            fastest.route(int(row.origin_node), int(row.destination_node)).time_s
        )
        assert row.fastest_co2_g >= row.co2_g - 1e-9  # the eco-route is never worse
    for row in result.iloc[:40].itertuples():
        s, t = helsinki.node_index([row.origin_node, row.destination_node])
        assert row.co2_g == pytest.approx(nx.dijkstra_path_length(graph, int(s), int(t)), rel=1e-9)
    # Snap distances are the distance to the node actually used.
    i = helsinki.node_index(result["origin_node"])
    expected = ecoroute._geo.haversine_m(
        trips["origin_lat"], trips["origin_lon"], helsinki.lat[i], helsinki.lon[i]
    )
    assert_allclose(result["origin_snap_m"], expected, rtol=1e-6)


def test_bad_rows_get_a_status_and_the_job_goes_on(helsinki, tmp_path):
    trips = _trips(helsinki, 8)
    trips["vehicle"] = ["car_petrol"] * 7 + ["hovercraft"]
    trips["payload_kg"] = [0.0, -5.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0]
    trips.loc[2, "origin_lat"] = np.nan
    trips.loc[3, "origin_lon"] = 500.0
    trips.loc[4, "destination_node"] = 42
    summary = batch.run(helsinki, trips, tmp_path / "out.csv")
    result = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert summary.bad_input == 5
    status = dict(zip(result["trip_id"], result["status"], strict=True))
    message = dict(zip(result["trip_id"], result["message"], strict=True))
    assert status["t0"] == "ok"
    assert status["t5"] == "ok"
    assert "payload_kg must be a finite number >= 0" in message["t1"]
    assert "origin coordinates are missing" in message["t2"]
    assert "origin coordinates are missing, NaN or out of range" in message["t3"]
    assert "destination_node is not in the network" in message["t4"]
    assert "Unknown vehicle 'hovercraft'" in message["t7"]


def test_unreachable_trips_are_no_route_rows():
    network = ecoroute.RoadNetwork.from_arrays(
        [0], [1], [100.0], [36.0], [60.0, 60.0, 60.0], [24.0, 24.001, 24.002]
    )
    trips = pd.DataFrame({"trip_id": [1, 2], "origin_node": [0, 1], "destination_node": [1, 0]})
    result = batch.process_chunk(network, trips)
    assert result["status"].tolist() == ["ok", "no_route"]
    assert np.isnan(result.loc[1, "co2_g"])
    assert result.loc[0, "time_s"] == pytest.approx(10.0)


def test_geometry_columns(helsinki, tmp_path):
    trips = _trips(helsinki, 20)
    for kind in ("wkb", "geojson"):
        out = tmp_path / f"{kind}.parquet"
        batch.run(helsinki, trips, out, geometry=kind)
        result = pd.read_parquet(out)
        for row in result.itertuples():
            line = (
                shapely.from_wkb(row.geometry)
                if kind == "wkb"
                else shapely.from_geojson(row.geometry)
            )
            start = helsinki.node_index([row.origin_node])[0]
            end = helsinki.node_index([row.destination_node])[0]
            assert_allclose(line.coords[0], (helsinki.lon[start], helsinki.lat[start]))
            assert_allclose(line.coords[-1], (helsinki.lon[end], helsinki.lat[end]))


def test_missing_columns_and_foreign_checkpoints(helsinki, tmp_path):
    with pytest.raises(
        batch.BatchError, match="lacks destination_lat/destination_lon or destination_node"
    ):
        batch.run(
            helsinki, pd.DataFrame({"trip_id": [1], "origin_node": [1]}), tmp_path / "a.parquet"
        )
    (tmp_path / "b.parquet.parts").mkdir()
    (tmp_path / "b.parquet.parts" / "job.json").write_text('{"other": "job"}')
    with pytest.raises(batch.BatchError, match="checkpoints of a different job"):
        batch.run(helsinki, _trips(helsinki, 3), tmp_path / "b.parquet")
    batch.run(helsinki, _trips(helsinki, 3), tmp_path / "c.parquet")
    with pytest.raises(FileExistsError, match="already exists"):
        batch.run(helsinki, _trips(helsinki, 3), tmp_path / "c.parquet")
    batch.run(helsinki, _trips(helsinki, 3), tmp_path / "c.parquet", overwrite=True)


def test_killed_job_finishes_with_every_trip_exactly_once(helsinki, saved, tmp_path):
    """
    Tests resumability: the CLI is killed (SIGKILL) at random moments, several
    times, and restarted until it finishes; the output equals an uninterrupted run.
    """
    trips = _trips(helsinki, 200_000, seed=3)
    trips_path = tmp_path / "trips.parquet"
    trips.to_parquet(trips_path)
    reference = tmp_path / "reference.parquet"
    batch.run(saved, trips_path, reference, chunk_rows=2000, progress=False)

    out = tmp_path / "killed.parquet"
    parts = tmp_path / "killed.parquet.parts"
    command = [sys.executable, "-m", "ecoroute.cli", "batch", "--network", str(saved), "--trips", str(trips_path),
               "--out", str(out), "--chunk-rows", "2000", "--threads", "1"]  # fmt: skip
    rng = np.random.default_rng(7)
    kills = 0
    for attempt in range(60):
        done_before = len(list(parts.glob("part-*.parquet")))
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Kill at a random moment: once during start-up, then a random delay after the run
        # has written a new checkpoint (so every kill lands mid-job, however fast the machine).
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if attempt == 0 or len(list(parts.glob("part-*.parquet"))) > done_before:
                time.sleep(
                    float(rng.uniform(0.0, 0.3)) if attempt else float(rng.uniform(0.2, 0.6))
                )
                break
            time.sleep(0.01)
        if process.poll() is None and kills < 5:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            kills += 1
            continue
        assert process.wait(timeout=300) == 0
        break
    assert kills >= 3, "the job finished before it could be killed three times"
    assert out.exists()
    assert not (tmp_path / "killed.parquet.parts").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(reference))


def test_dask_local_cluster_gives_the_local_results(saved, helsinki, tmp_path):
    distributed = pytest.importorskip("distributed")
    trips = _trips(helsinki, 2000, seed=5)
    trips["vehicle"] = "car_petrol"
    local = tmp_path / "local.parquet"
    batch.run(saved, trips, local, chunk_rows=300)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        started = time.perf_counter()
        remote = tmp_path / "remote.parquet"
        summary = batch.run(saved, trips, remote, chunk_rows=300, dask=client)
        assert time.perf_counter() - started < 300
    assert summary.chunks == 7
    pd.testing.assert_frame_equal(pd.read_parquet(remote), pd.read_parquet(local))
