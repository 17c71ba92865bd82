"""
Nothing lost under hostile input (issue 29): outputs never destroy inputs, arguments are checked.

Each case builds its hostile input in ``tmp_path`` and states what must
happen instead: a clear error before any work, the input intact, or the
value kept as the data it is.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import ecoroute
from ecoroute import batch
from ecoroute._outputs import output_file, output_folder
from ecoroute.cli import main
from ecoroute.fleet import Depot, Stop, VehicleType, plan_fleet

from .fleet_helpers import grid_town
from .test_truck_oracle import detour_map

# ------------------------------------------------------------------ outputs never destroy inputs


def test_build_refuses_to_write_over_its_own_osm_file(tmp_path, capsys):
    osm = detour_map(tmp_path / "map.osm", {})
    before = osm.read_bytes()
    assert main(["build", str(osm), "-o", str(osm), "--no-prepare"]) == 2
    assert "also an input" in capsys.readouterr().err
    assert osm.read_bytes() == before


def test_build_into_a_missing_folder_names_the_folder(tmp_path, capsys):
    osm = detour_map(tmp_path / "map.osm", {})
    target = tmp_path / "nowhere" / "net.ecoroute"
    assert main(["build", str(osm), "-o", str(target), "--no-prepare"]) == 2
    err = capsys.readouterr().err
    assert f"the folder {tmp_path / 'nowhere'} does not exist" in err
    assert ".tmp" not in err


def test_save_never_replaces_a_pipe_or_a_folder(tmp_path):
    network = ecoroute.load_osm(detour_map(tmp_path / "map.osm", {}), largest_component=False)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(ecoroute.OutputError, match="not a regular file"):
        network.save(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a pipe, as /dev/null stays a device
    (tmp_path / "folder").mkdir()
    with pytest.raises(ecoroute.OutputError, match="not a regular file"):
        network.save(tmp_path / "folder")
    with pytest.raises(ecoroute.OutputError, match="standard output"):
        network.save("-")


def test_output_checks_see_through_links_and_spellings(tmp_path):
    source = tmp_path / "trips.csv"
    source.write_text("x\n")
    link = tmp_path / "link.csv"
    link.symlink_to(source)
    for spelling in (source, link, tmp_path / "." / "trips.csv"):
        with pytest.raises(ecoroute.OutputError, match="also an input"):
            output_file(spelling, inputs=[source])
    with pytest.raises(ecoroute.OutputError, match="exists"):
        output_file(source, overwrite=False)
    assert output_file(tmp_path / "new.csv", inputs=[source]) == tmp_path / "new.csv"


def _two_nodes():
    """Two nodes 100 m apart joined both ways at 36 km/h: ids 10 and 11."""
    return ecoroute.RoadNetwork.from_arrays(
        [0, 1], [1, 0], [100.0, 100.0], [36.0, 36.0], [60.0, 60.0], [24.0, 24.0018],
        node_id=[10, 11],
    )  # fmt: skip


def test_batch_refuses_to_write_its_results_over_its_trips(tmp_path):
    trips = tmp_path / "same.csv"
    trips.write_text("trip_id,origin_node,destination_node\n1,10,11\n")
    before = trips.read_bytes()
    with pytest.raises(ecoroute.EcoRouteError, match="also an input"):
        batch.run(_two_nodes(), trips, trips, overwrite=True)
    assert trips.read_bytes() == before


def test_batch_refuses_a_pipe_as_its_trips_without_waiting(tmp_path):
    fifo = tmp_path / "trips.csv"
    os.mkfifo(fifo)  # nobody writes: reading it would wait for ever
    with pytest.raises(ecoroute.EcoRouteError, match="not a regular file"):
        batch.run(_two_nodes(), fifo, tmp_path / "out.parquet")


def test_fleet_refuses_an_earlier_plan_folder_without_overwrite(tmp_path):
    out = tmp_path / "plan"
    out.mkdir()
    (out / "plan.json").write_text("{}")
    with pytest.raises(ecoroute.OutputError, match="not empty"):
        output_folder(out, overwrite=False)
    assert output_folder(out, overwrite=True) == out
    (out / "stops.csv").write_text("id\n")
    with pytest.raises(ecoroute.OutputError, match="holds an input"):
        output_folder(out, inputs=[out / "stops.csv"], overwrite=True)


def test_fleet_cli_keeps_an_earlier_plan(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "plan.json").write_text('{"earlier": true}')
    for name in ("n.ecoroute", "stops.csv", "fleet.toml"):
        (tmp_path / name).write_text("")
    code = main(
        ["fleet", "--network", str(tmp_path / "n.ecoroute"), "--stops",
         str(tmp_path / "stops.csv"), "--fleet", str(tmp_path / "fleet.toml"), "--out", str(out)]
    )  # fmt: skip
    assert code == 2
    assert "--overwrite" in capsys.readouterr().err
    assert json.loads((out / "plan.json").read_text()) == {"earlier": True}


# ------------------------------------------------------------------ one job per output


def test_a_second_job_on_the_same_output_refuses_while_the_first_runs(tmp_path):
    out = tmp_path / "out.parquet"
    lock = out.with_name(out.name + ".lock")
    import socket

    lock.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    trips = pd.DataFrame({"trip_id": [1], "origin_node": [10], "destination_node": [11]})
    with pytest.raises(ecoroute.EcoRouteError, match="being written by another job"):
        batch.run(_two_nodes(), trips, out)
    assert lock.exists()  # the other job's lock is left alone


def test_a_lock_left_by_a_dead_job_and_its_half_written_file_are_cleared(tmp_path):
    out = tmp_path / "out.parquet"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    import socket

    lock = out.with_name(out.name + ".lock")
    lock.write_text(json.dumps({"pid": int(dead.stdout), "host": socket.gethostname()}))
    stale = tmp_path / f".{out.name}.999999.tmp"  # an assembly killed half-way
    stale.write_bytes(b"\0" * 1000)
    trips = pd.DataFrame({"trip_id": [1], "origin_node": [10], "destination_node": [11]})
    summary = batch.run(_two_nodes(), trips, out)
    assert summary.ok == 1
    assert not stale.exists()
    assert not lock.exists()


def test_overwrite_starts_afresh_instead_of_resuming(tmp_path, monkeypatch):
    trips = pd.DataFrame(
        {"trip_id": [1, 2, 3, 4], "origin_node": [10, 11, 10, 11], "destination_node": 11}
    )
    out = tmp_path / "out.parquet"
    real = batch.process_chunk
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed after its first chunk
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "process_chunk", failing)
    with pytest.raises(KeyboardInterrupt):
        batch.run(_two_nodes(), trips, out, chunk_rows=2, progress=False)
    assert (tmp_path / "out.parquet.parts").is_dir()
    monkeypatch.setattr(batch, "process_chunk", lambda *a, **k: calls.append(1) or real(*a, **k))
    calls.clear()
    batch.run(_two_nodes(), trips, out, chunk_rows=2, overwrite=True, progress=False)
    assert len(calls) == 2  # both chunks routed again: nothing resumed


# ------------------------------------------------------------------ values kept as the data they are


def test_csv_ids_that_look_missing_are_ids(tmp_path):
    words = ["NA", "N/A", "null", "None", "nan", "#N/A"]
    lines = ["trip_id,vehicle,origin_node,destination_node"]
    lines += [f"{w},car_petrol,10,11" for w in words] + ["x,NA,10,11"]
    path = tmp_path / "trips.csv"
    path.write_text("\n".join(lines) + "\n")
    summary = batch.run(_two_nodes(), path, tmp_path / "out.parquet", progress=False)
    result = pd.read_parquet(tmp_path / "out.parquet")
    assert result["trip_id"].tolist() == [*words, "x"]
    assert result["status"].tolist() == ["ok"] * len(words) + ["bad_input"]
    assert "NA" in result["message"].iloc[-1]  # the vehicle "NA" is unknown, not the default
    assert summary.ok == len(words)


def test_a_row_with_a_node_and_coordinates_is_refused_not_guessed():
    trips = pd.DataFrame(
        {"trip_id": [1, 2], "origin_node": [10, None], "origin_lat": [60.0, 60.0],
         "origin_lon": [24.0, 24.0], "destination_node": [11, 11]}
    )  # fmt: skip
    result = batch.process_chunk(_two_nodes(), trips)
    assert result["status"].tolist() == ["bad_input", "ok"]
    assert "not both" in result["message"].iloc[0]


def test_repeated_trip_ids_are_flagged_across_chunks(tmp_path):
    trips = pd.DataFrame({"trip_id": [1, 2, 1, 3, 2], "origin_node": 10, "destination_node": 11})
    batch.run(_two_nodes(), trips, tmp_path / "out.parquet", chunk_rows=2, progress=False)
    result = pd.read_parquet(tmp_path / "out.parquet")
    assert result["status"].tolist() == ["ok", "ok", "bad_input", "ok", "bad_input"]
    assert result["message"].iloc[2].startswith("trip_id repeats an earlier row")


# ------------------------------------------------------------------ arguments checked


@pytest.fixture(scope="module")
def town():
    return grid_town(3, side=4)


@pytest.mark.parametrize(
    ("option", "value", "text"),
    [
        ("time_limit_s", float("nan"), "time_limit_s"),
        ("time_limit_s", float("inf"), "time_limit_s"),
        ("time_limit_s", -1.0, "time_limit_s"),
        ("max_iterations", 10**12, "max_iterations"),
        ("max_iterations", 0, "max_iterations"),
        ("seed", -1, "seed"),
        ("seed", 2**40, "seed"),
    ],
)
def test_fleet_stop_rules_that_would_never_stop_are_refused(town, option, value, text):
    depot = Depot("D", node=int(town.node_id[0]))
    stops = [Stop("S", node=int(town.node_id[5]), demand_kg=10.0)]
    with pytest.raises(ecoroute.FleetInputError, match=text):
        plan_fleet(town, depot, stops, [VehicleType("van_diesel")], **{option: value})


def test_a_fleet_of_a_billion_vans_is_refused(town):
    depot = Depot("D", node=int(town.node_id[0]))
    stops = [Stop("S", node=int(town.node_id[5]), demand_kg=10.0)]
    with pytest.raises(ecoroute.FleetInputError, match="at most 100,000"):
        plan_fleet(town, depot, stops, [VehicleType("van_diesel", count=10**9)])


def test_a_grid_of_ids_is_not_read_as_coordinates(town):
    router = ecoroute.Router(town, "car_petrol")
    ids = town.node_id[:4].reshape(2, 2)
    with pytest.raises(ValueError, match="node ids go in a flat list"):
        router.matrix(ids, town.node_id[:2])
    with pytest.raises(ecoroute.UnknownNodeError, match="64-bit"):
        router.route_many([2**70], [int(town.node_id[1])])


def test_a_matrix_too_big_for_memory_is_refused_before_any_work(town, monkeypatch):
    from ecoroute import routing

    monkeypatch.setattr(routing, "available_memory_bytes", lambda: 10_000)
    router = ecoroute.Router(town, "car_petrol")
    with pytest.raises(ecoroute.TooBigError, match="GiB") as error:
        router.matrix(town.node_id, town.node_id)
    assert "blocks of sources" in str(error.value)
    monkeypatch.setattr(routing, "available_memory_bytes", lambda: None)
    assert np.isfinite(router.matrix(town.node_id[:2], town.node_id[:2]).cost).all()
