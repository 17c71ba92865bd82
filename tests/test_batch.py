"""Batch jobs: results against single routes, bad rows, kills and restarts, Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

import ecoroute
from ecoroute import NoRouteError, batch

from .helpers import legal_cost


@pytest.fixture(scope="module")
def helsinki():
    # Node-based: the networkx oracle below runs on the node graph (batch jobs on a
    # turn-aware network are tested in test_turns.py).
    return ecoroute.datasets.helsinki(turn_restrictions=False)


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
    # Every row is the Router's part-way route from the snapped origin (issue 11), or its
    # refusal (this clip of Helsinki reaches a few nodes only through destination-only roads).
    assert (result["status"] == "ok").mean() > 0.8
    for row, trip in zip(result.itertuples(), trips.itertuples(), strict=True):
        origin = (trip.origin_lat, trip.origin_lon)
        if row.status != "ok":
            assert row.status == "no_route"
            with pytest.raises(NoRouteError):
                router.route(origin, int(row.destination_node))
            continue
        route = router.route(origin, int(row.destination_node))
        assert row.co2_g == pytest.approx(route.co2_g, rel=1e-9)
        assert row.time_s == pytest.approx(route.time_s, rel=1e-9)
        assert row.fastest_time_s == pytest.approx(
            fastest.route(origin, int(row.destination_node)).time_s, rel=1e-9
        )
        assert row.fastest_co2_g >= row.co2_g - 1e-9  # the eco-route is never worse
        assert row.origin_snap_m == pytest.approx(route.source_snap_m, rel=1e-9)
        assert (row.origin_snap_lat, row.origin_snap_lon) == pytest.approx(
            (route.source_lat, route.source_lon), abs=1e-12
        )
        assert row.destination_snap_m == 0.0
    # Node to node (the same trips by node ids) against networkx's Dijkstra.
    by_node = trips.drop(columns=["origin_lat", "origin_lon"]).assign(
        origin_node=result["origin_node"]
    )
    batch.run(saved, by_node, tmp_path / "nodes.parquet", chunk_rows=70)
    nodes = pd.read_parquet(tmp_path / "nodes.parquet")
    destination = router.rules.destination
    for row in nodes.iloc[:40].itertuples():
        s, t = helsinki.node_index([row.origin_node, row.destination_node])
        expected = legal_cost(helsinki, router.weight, destination, int(s), int(t))
        if row.status != "ok":
            assert expected == np.inf
            continue
        assert row.co2_g == pytest.approx(expected, rel=1e-9)
    # Snap distances are the distance to the point on the road the route starts from.
    expected = ecoroute._geo.haversine_m(
        trips["origin_lat"],
        trips["origin_lon"],
        result["origin_snap_lat"],
        result["origin_snap_lon"],
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
        assert (result["status"] == "ok").sum() >= 15
        for row in result.itertuples():
            if row.status != "ok":  # refused (no legal road): no line
                assert pd.isna(row.geometry)
                continue
            line = (
                shapely.from_wkb(row.geometry)
                if kind == "wkb"
                else shapely.from_geojson(row.geometry)
            )
            # Lines run from the snapped origin on the road to the destination node,
            # and are as long as the route (part-way arcs counted in part).
            end = helsinki.node_index([row.destination_node])[0]
            assert_allclose(line.coords[0], (row.origin_snap_lon, row.origin_snap_lat))
            assert_allclose(line.coords[-1], (helsinki.lon[end], helsinki.lat[end]))
            xy = np.asarray(line.coords)
            length = ecoroute._geo.haversine_m(xy[:-1, 1], xy[:-1, 0], xy[1:, 1], xy[1:, 0])
            assert length.sum() == pytest.approx(row.distance_m, rel=5e-3, abs=0.5)


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


# ---------------------------------------------------------------------- issue 14 regressions


def _two_nodes():
    """Two nodes 100 m apart joined both ways at 36 km/h (10 s): ids 10 and 11."""
    return ecoroute.RoadNetwork.from_arrays(
        [0, 1],
        [1, 0],
        [100.0, 100.0],
        [36.0, 36.0],
        [60.0, 60.0],
        [24.0, 24.0018],
        node_id=[10, 11],
    )


def test_geometry_chunk_where_every_route_is_missing_still_assembles(tmp_path):
    """
    Tests that a chunk whose geometries are all null (its only trip has an
    unknown node) is written with the job's binary geometry column, so the
    job finishes (it used to fail every time with "Table schema does not match").
    """
    network = _two_nodes()
    trips = pd.DataFrame(
        {"trip_id": [1, 2, 3], "origin_node": [10, 11, 10], "destination_node": [11, 10, 99]}
    )
    summary = batch.run(network, trips, tmp_path / "out.parquet", geometry=True, chunk_rows=2)
    assert (summary.ok, summary.bad_input, summary.chunks) == (2, 1, 2)
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "out.parquet")
    import pyarrow as pa

    # The result schema, with the trips' own (integer) ids.
    assert table.schema == batch.result_schema("wkb").set(0, pa.field("trip_id", pa.int64()))
    lines = table.column("geometry").to_pylist()
    assert lines[2] is None
    assert shapely.from_wkb(lines[0]).length == pytest.approx(0.0018)  # degrees, 10 -> 11


@pytest.mark.parametrize(
    "ids", [["1", "2", "x3", "x4"], ["1", "2", "", "4"]], ids=["int-then-text", "empty-later"]
)
def test_trip_ids_whose_type_changes_between_csv_chunks(tmp_path, ids):
    """
    Tests trip ids whose chunks look like different types: the job finishes, and the ids
    have the one type pandas reads the whole file with, so a merge on them works.
    """
    path = tmp_path / "trips.csv"
    path.write_text("trip_id,origin_node,destination_node\n" + "".join(f"{i},10,11\n" for i in ids))
    summary = batch.run(_two_nodes(), path, tmp_path / "out.parquet", chunk_rows=2)
    assert summary.ok == 4
    result = pd.read_parquet(tmp_path / "out.parquet")
    trips = pd.read_csv(path)
    assert result["trip_id"].dtype == trips["trip_id"].dtype
    merged = trips.merge(result, on="trip_id", how="left", suffixes=("", "_result"))
    assert (merged["status"] == "ok").all()


def test_integer_and_float_trip_ids_are_written_as_their_text(tmp_path):
    trips = pd.DataFrame({"trip_id": [7.0, np.nan, 2.5], "origin_node": 10, "destination_node": 11})
    result = batch.process_chunk(_two_nodes(), trips)
    assert [None if pd.isna(v) else v for v in result["trip_id"]] == ["7", None, "2.5"]


def test_resumed_job_with_checkpoints_of_the_old_format_stays_consistent(tmp_path):
    """
    Tests a job resumed from a checkpoint written before the schema was fixed
    (integer trip ids, an all-null geometry column typed null): the part is
    cast to the job's schema and the output has one type per column.
    """
    import json

    network = _two_nodes()
    trips = pd.DataFrame({"trip_id": [1, 2, 3], "origin_node": [10, 99, 10],
                          "destination_node": [11, 10, 11]})  # fmt: skip
    reference = tmp_path / "reference.parquet"
    batch.run(network, trips, reference, geometry=True, chunk_rows=2)
    # The checkpoint folder of the same job, killed after its first chunk by the old code.
    out = tmp_path / "out.parquet"
    parts = tmp_path / "out.parquet.parts"
    parts.mkdir()
    job = {"trips": batch._fingerprint(trips), "network": batch._fingerprint(network),
           "vehicle": "car_petrol", "objective": "co2", "geometry": "wkb", "chunk_rows": 2,
           "format": 1}  # fmt: skip
    (parts / "job.json").write_text(json.dumps(job))
    old = batch.process_chunk(network, trips.iloc[:2].reset_index(drop=True), geometry="wkb")
    old = old.drop(columns=list(batch.ADDED_COLUMNS))  # the old code had no budget columns
    old["trip_id"] = [1, 2]  # integers, as the old code wrote them
    old["geometry"] = None  # pandas writes an all-None column as Arrow's null type
    old.to_parquet(parts / "part-000000.parquet", index=False)
    summary = batch.run(network, trips, out, geometry=True, chunk_rows=2)
    assert summary.resumed_chunks == 1
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = batch.result_schema("wkb").set(0, pa.field("trip_id", pa.int64()))
    assert pq.read_table(out).schema == schema
    result = pd.read_parquet(out)
    assert result["trip_id"].tolist() == [1, 2, 3]
    assert result["status"].tolist() == pd.read_parquet(reference)["status"].tolist()


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"vehicle": "spaceship"}, ecoroute.UnknownVehicleError, "Unknown vehicle 'spaceship'"),
        ({"vehicle": "car_petorl"}, ecoroute.UnknownVehicleError, "Did you mean car_petrol"),
        ({"threads": -1}, batch.BatchError, "threads=-1 is not a thread count"),
        ({"threads": 2**40}, batch.BatchError, "is not a thread count"),
        ({"threads": 2.5}, batch.BatchError, "whole number of threads"),
        ({"objective": "speed"}, batch.BatchError, "Unknown objective 'speed'"),
        ({"objective": {"co2": -1.0}}, batch.BatchError, "finite number >= 0"),
        ({"vehicle": "car_bev", "objective": "fuel"}, batch.BatchError, "car_bev does not report"),
        ({"geometry": "svg"}, batch.BatchError, "geometry must be"),
        ({"chunk_rows": 0}, batch.BatchError, "chunk_rows must be"),
    ],
)
def test_job_level_mistakes_raise_before_any_work(tmp_path, monkeypatch, options, error, match):
    """Tests that a wrong option of the whole job raises (it used to give a file of bad rows)."""

    def no_routing(*args, **kwargs):
        msg = "routing started"
        raise AssertionError(msg)

    monkeypatch.setattr(batch, "process_chunk", no_routing)
    trips = pd.DataFrame({"trip_id": [1, 2], "origin_node": [10, 11], "destination_node": [11, 10]})
    with pytest.raises(error, match=match):
        batch.run(_two_nodes(), trips, tmp_path / "out.parquet", **options)
    assert not (tmp_path / "out.parquet").exists()
    assert not (tmp_path / "out.parquet.parts").exists()


def test_a_bug_inside_router_construction_raises_with_its_traceback(tmp_path, monkeypatch):
    """Tests that an unexpected error building a Router ends the job (no per-row bad_input)."""

    def broken(*args, **kwargs):
        msg = "a bug deep inside the Router"
        raise ValueError(msg)

    monkeypatch.setattr(batch, "Router", broken)
    trips = pd.DataFrame({"trip_id": [1], "origin_node": [10], "destination_node": [11]})
    with pytest.raises(ValueError, match="a bug deep inside the Router"):
        batch.run(_two_nodes(), trips, tmp_path / "out.parquet")
    assert not (tmp_path / "out.parquet").exists()


def test_payloads_are_checked_as_given_before_binning():
    """
    Tests van_diesel (maximum payload 1575 kg): 1560 and 1575 kg are routed,
    1575.5 kg is refused and the message quotes 1575.5, not a rounded value.
    """
    trips = pd.DataFrame({"trip_id": ["a", "b", "c", "d"], "origin_node": 10,
                          "destination_node": 11, "vehicle": "van_diesel",
                          "payload_kg": [1560.0, 1575.0, 1575.5, 40.0]})  # fmt: skip
    result = batch.process_chunk(_two_nodes(), trips)
    assert result["status"].tolist() == ["ok", "ok", "bad_input", "ok"]
    assert (
        "payload_kg=1575.5 is above van_diesel's maximum payload of 1575 kg"
        in result.loc[2, "message"]
    )
    van = ecoroute.vehicle("van_diesel")
    network = _two_nodes()
    for row in (0, 1):  # binned to 1575 kg at most (the bin of 1560 would be 1600)
        expected = ecoroute.Router(network, van, payload_kg=1575.0).route(10, 11).co2_g
        assert result.loc[row, "co2_g"] == pytest.approx(expected, rel=1e-12)
    expected = ecoroute.Router(network, van, payload_kg=0.0).route(10, 11).co2_g
    assert result.loc[3, "co2_g"] == pytest.approx(expected, rel=1e-12)


def test_fractional_and_unreadable_node_ids_are_bad_rows_not_truncated():
    trips = pd.DataFrame({"trip_id": ["a", "b", "c", "d"],
                          "origin_node": [10.5, "abc", 1e30, 10],
                          "destination_node": [11, 11, 11, 11.0]})  # fmt: skip
    result = batch.process_chunk(_two_nodes(), trips)
    assert result["status"].tolist() == ["bad_input", "bad_input", "bad_input", "ok"]
    assert "origin_node 10.5 is not a node id" in result.loc[0, "message"]
    assert "origin_node 'abc' is not a node id" in result.loc[1, "message"]
    assert (result.loc[:2, "origin_node"] == -1).all()


def test_per_row_vehicle_that_cannot_report_the_objective_is_a_bad_row():
    trips = pd.DataFrame({"trip_id": ["a", "b"], "origin_node": 10, "destination_node": 11,
                          "vehicle": ["car_petrol", "car_bev"]})  # fmt: skip
    result = batch.process_chunk(_two_nodes(), trips, objective="fuel")
    assert result["status"].tolist() == ["ok", "bad_input"]
    assert "car_bev does not report fuel_l" in result.loc[1, "message"]


def test_empty_csv_names_the_file(tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text("")
    with pytest.raises(batch.BatchError, match=r"trips\.csv is empty"):
        batch.run(_two_nodes(), path, tmp_path / "out.parquet")
    path.write_text("\n\n")
    with pytest.raises(batch.BatchError, match=r"trips\.csv is empty"):
        batch.run(_two_nodes(), path, tmp_path / "out.parquet")


def test_utf16_csv_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text("trip_id,origin_node,destination_node\nä1,10,11\n", encoding="utf-16")
    summary = batch.run(_two_nodes(), path, tmp_path / "out.parquet")
    assert summary.ok == 1
    assert pd.read_parquet(tmp_path / "out.parquet")["trip_id"].tolist() == ["ä1"]


def test_utf16_csv_without_a_byte_order_mark_is_a_clear_error(tmp_path):
    path = tmp_path / "trips.csv"
    path.write_bytes("trip_id,origin_node,destination_node\n1,10,11\n".encode("utf-16-le"))
    with pytest.raises(batch.BatchError, match=r"trips\.csv holds NUL bytes.*UTF-8"):
        batch.run(_two_nodes(), path, tmp_path / "out.parquet")
    path.write_bytes(b"trip_id,origin_node,destination_node\n\xff\xfe\xfa,10,11\n")
    with pytest.raises(batch.BatchError, match=r"trips\.csv is not UTF-8 text"):
        batch.run(_two_nodes(), path, tmp_path / "out.parquet")


def test_malformed_csv_row_names_the_file(tmp_path):
    path = tmp_path / "trips.csv"
    path.write_text("trip_id,origin_node,destination_node\n1,10,11\n2,10,11,12,13\n")
    with pytest.raises(batch.BatchError, match=r"trips\.csv cannot be read as CSV.*line 3"):
        batch.run(_two_nodes(), path, tmp_path / "out.parquet")


def test_output_path_that_is_a_folder_fails_before_routing(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "process_chunk", None)  # any routing would crash
    (tmp_path / "out.parquet").mkdir()
    trips = pd.DataFrame({"trip_id": [1], "origin_node": [10], "destination_node": [11]})
    for overwrite in (False, True):
        with pytest.raises(batch.BatchError, match="is a folder"):
            batch.run(_two_nodes(), trips, tmp_path / "out.parquet", overwrite=overwrite)
    with pytest.raises(batch.BatchError, match=r"must end in \.parquet"):
        batch.run(_two_nodes(), trips, tmp_path / "out.txt")


def test_missing_network_file_and_unreadable_parquet_fail_before_routing(tmp_path):
    trips = pd.DataFrame({"trip_id": [1], "origin_node": [10], "destination_node": [11]})
    with pytest.raises(batch.BatchError, match="no such network file"):
        batch.run(tmp_path / "nowhere.ecoroute", trips, tmp_path / "out.parquet")
    broken = tmp_path / "trips.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(batch.BatchError, match="cannot be read as Parquet"):
        batch.run(_two_nodes(), broken, tmp_path / "out.parquet")


def test_time_budgets_equal_bounded_single_routes(helsinki, saved, tmp_path):
    """
    Tests max_extra_time in batch jobs (job option, per-row column, and a bad
    row) against Router(max_extra_time=...).route from the same points (part-way).
    """
    trips = _trips(helsinki, 60, seed=3)
    trips["vehicle"] = "van_diesel"
    budget = np.full(60, np.nan)
    budget[:20] = 0.2  # the column wins where filled
    trips["max_extra_time"] = budget
    trips.loc[59, "max_extra_time"] = -1  # a bad row, not a failed job
    batch.run(saved, trips, tmp_path / "out.parquet", max_extra_time=0.05, chunk_rows=25)
    result = pd.read_parquet(tmp_path / "out.parquet")
    assert result["status"].iloc[59] == "bad_input"
    assert "max_extra_time" in result["message"].iloc[59]
    routers = {
        b: ecoroute.Router(helsinki, "van_diesel", "co2", max_extra_time=b) for b in (0.05, 0.2)
    }
    for row in result.iloc[:59].itertuples():
        if row.status != "ok":
            continue
        expected = 0.2 if row.Index < 20 else 0.05
        assert row.max_extra_time == expected
        origin = (trips["origin_lat"].iloc[row.Index], trips["origin_lon"].iloc[row.Index])
        route = routers[expected].route(origin, int(row.destination_node))
        assert row.co2_g == pytest.approx(route.co2_g, rel=1e-12)
        assert row.origin_snap_lat == pytest.approx(route.source_lat, abs=1e-12)
        assert row.origin_snap_m == pytest.approx(route.source_snap_m, abs=1e-9)
        assert row.time_s <= (1 + expected) * row.fastest_time_s * (1 + 1e-9)
        assert row.objective_gap == pytest.approx(route.objective_gap, rel=1e-9, abs=1e-9)


def test_time_budget_mistakes_stop_the_job(saved, helsinki, tmp_path):
    trips = _trips(helsinki, 3)
    for budget, match in [(-0.1, "fraction"), (50.0, "fraction"), ("5%", "fraction")]:
        with pytest.raises(batch.BatchError, match=match):
            batch.run(saved, trips, tmp_path / "a.parquet", max_extra_time=budget)
    with pytest.raises(batch.BatchError, match="other than time"):
        batch.run(saved, trips, tmp_path / "a.parquet", objective="time", max_extra_time=0.1)


def test_trip_ends_far_from_every_usable_road_are_bad_rows(helsinki, tmp_path):
    """Tests the snapping limit in batch jobs: a far end is a bad row saying how far it is."""
    trips = _trips(helsinki, 3)
    trips.loc[1, "origin_lat"], trips.loc[1, "origin_lon"] = 24.94, 60.17  # swapped
    result = batch.process_chunk(helsinki, trips)
    assert result["status"].tolist() == ["ok", "bad_input", "ok"]
    assert "m from the nearest road the vehicle can use (limit 1,000 m)" in result["message"][1]
