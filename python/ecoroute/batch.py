"""Batch route jobs: trip tables (CSV, Parquet) in, results out; resumable, threaded, or on Dask."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._errors import EcoRouteError, UnknownVehicleError
from .network import RoadNetwork
from .routing import Objective, Router
from .vehicles import vehicle as catalogue_vehicle

log = logging.getLogger("ecoroute")

Geometry = Literal["wkb", "geojson"]

#: Rows per chunk: one checkpoint (and one C++ call per vehicle group) each.
DEFAULT_CHUNK_ROWS = 100_000

#: Rows per chunk when geometries are written (a route's points take far more
#: memory than its numbers), and routes whose paths are unpacked at once.
GEOMETRY_CHUNK_ROWS = 10_000
GEOMETRY_BATCH_ROUTES = 2_000

#: Payloads are routed in bins of this many kilograms (one router per bin and vehicle).
PAYLOAD_STEP_KG = 100.0

#: Columns of every result file, in order (``geometry`` is added when asked for).
RESULT_COLUMNS = (
    "trip_id", "status", "message", "vehicle", "payload_kg", "origin_node", "destination_node",
    "origin_snap_m", "destination_snap_m", "cost", "co2_g", "co2e_wtw_g", "fuel_l", "energy_kwh",
    "time_s", "distance_m", "fastest_co2_g", "fastest_time_s", "fastest_distance_m",
)  # fmt: skip


class BatchError(EcoRouteError, ValueError):
    """A batch job that cannot start: unreadable input, missing columns, foreign checkpoints."""


@dataclass(frozen=True)
class BatchSummary:
    """What a finished batch job did."""

    output: Path
    trips: int
    ok: int
    no_route: int
    bad_input: int
    chunks: int
    resumed_chunks: int


# ---------------------------------------------------------------------- reading trips


def _iter_chunks(trips: str | Path | pd.DataFrame, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the trip table in chunks of exactly ``chunk_rows`` rows (the last may be shorter)."""
    if isinstance(trips, pd.DataFrame):
        for begin in range(0, len(trips), chunk_rows):
            yield trips.iloc[begin : begin + chunk_rows].reset_index(drop=True)
        return
    path = Path(trips)
    suffix = path.name.lower()
    if suffix.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        pending: list[pd.DataFrame] = []
        size = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            pending.append(frame)
            size += len(frame)
            while size >= chunk_rows:
                joined = pd.concat(pending, ignore_index=True)
                yield joined.iloc[:chunk_rows].reset_index(drop=True)
                rest = joined.iloc[chunk_rows:].reset_index(drop=True)
                pending, size = ([rest] if len(rest) else []), len(rest)
        if size:
            yield pd.concat(pending, ignore_index=True)
    elif suffix.endswith((".csv", ".csv.gz", ".csv.bz2")):
        yield from pd.read_csv(path, chunksize=chunk_rows)
    else:
        msg = f"{path}: trips must be a .parquet or .csv file."
        raise BatchError(msg)


def _row_count(trips: str | Path | pd.DataFrame) -> int | None:
    if isinstance(trips, pd.DataFrame):
        return len(trips)
    path = Path(trips)
    if path.name.lower().endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    return None


def _check_columns(frame: pd.DataFrame) -> None:
    columns = set(frame.columns)
    missing = []
    if "trip_id" not in columns:
        missing.append("trip_id")
    for end in ("origin", "destination"):
        if f"{end}_node" not in columns and not {f"{end}_lat", f"{end}_lon"} <= columns:
            missing.append(f"{end}_lat/{end}_lon or {end}_node")
    if missing:
        msg = (
            f"the trip table lacks {', '.join(missing)}; it has columns {sorted(columns)}. Give each "
            "end as <end>_lat and <end>_lon (degrees) or as <end>_node (OSM node id)."
        )
        raise BatchError(msg)


# ---------------------------------------------------------------------- routing one chunk


class _Routers:
    """Routers per (vehicle, payload bin): the eco-route one and the fastest-route one, LRU-cached."""

    def __init__(
        self, network: RoadNetwork, objective: Objective, threads: int, size: int = 4
    ) -> None:
        self.network = network
        self.objective = objective
        self.threads = threads
        self.size = size
        self._cache: OrderedDict[tuple[str, float | None], tuple[Router, Router]] = OrderedDict()

    def get(self, name: str, payload: float | None) -> tuple[Router, Router]:
        key = (name, payload)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        vehicle = catalogue_vehicle(name)
        eco = Router(
            self.network, vehicle, self.objective, payload_kg=payload, num_threads=self.threads
        )
        fastest = Router(
            self.network, vehicle, "time", payload_kg=payload, num_threads=self.threads
        )
        self._cache[key] = (eco, fastest)
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return eco, fastest


def process_chunk(
    network: RoadNetwork,
    trips: pd.DataFrame,
    *,
    vehicle: str = "car_petrol",
    objective: Objective = "co2",
    geometry: Geometry | None = None,
    routers: _Routers | None = None,
    num_threads: int = 0,
) -> pd.DataFrame:
    """
    Route one table of trips; every row gets a result row, bad rows included.

    Rows are grouped by vehicle and payload bin; each group is one C++ call for
    the eco-routes and one for the fastest routes. A row whose coordinates are
    missing or out of range, whose node id is unknown, whose vehicle is not in
    the catalogue or whose payload is invalid gets ``status="bad_input"`` and a
    message; an unreachable destination gets ``status="no_route"``.
    """
    _check_columns(trips)
    routers = routers or _Routers(network, objective, num_threads)
    n = len(trips)
    out: dict[str, Any] = {name: np.full(n, np.nan) for name in RESULT_COLUMNS}
    out["trip_id"] = trips["trip_id"].to_numpy()
    status = np.full(n, "ok", dtype=object)
    message = np.full(n, "", dtype=object)
    origin_node = np.full(n, -1, dtype=np.int64)
    destination_node = np.full(n, -1, dtype=np.int64)

    def bad(mask: npt.NDArray[np.bool_], text: str) -> None:
        fresh = mask & (status == "ok")
        status[fresh] = "bad_input"
        message[fresh] = text

    index = {}
    snap = {}
    for end in ("origin", "destination"):
        idx = np.zeros(n, dtype=np.int64)
        dist = np.zeros(n)
        if f"{end}_node" in trips.columns and trips[f"{end}_node"].notna().any():
            raw = pd.to_numeric(trips[f"{end}_node"], errors="coerce").to_numpy(dtype=float)
            given = ~np.isnan(raw)
            found = np.zeros(n, dtype=bool)
            if given.any():
                found_idx, ok = network.find_nodes(raw[given].astype(np.int64))
                idx[given] = found_idx
                found[given] = ok
            bad(given & ~found, f"{end}_node is not in the network")
            use_coords = ~given
        else:
            use_coords = np.ones(n, dtype=bool)
        if use_coords.any():
            if {f"{end}_lat", f"{end}_lon"} <= set(trips.columns):
                lat = pd.to_numeric(trips[f"{end}_lat"], errors="coerce").to_numpy(dtype=float)
                lon = pd.to_numeric(trips[f"{end}_lon"], errors="coerce").to_numpy(dtype=float)
                valid = (
                    use_coords
                    & np.isfinite(lat)
                    & np.isfinite(lon)
                    & (np.abs(lat) <= 90)
                    & (np.abs(lon) <= 180)
                )
                bad(use_coords & ~valid, f"{end} coordinates are missing, NaN or out of range")
                if valid.any():
                    near, meters = network.nearest_nodes(lat[valid], lon[valid])
                    idx[valid], dist[valid] = near, meters
            else:
                bad(use_coords, f"{end} has neither a node id nor coordinates")
        index[end], snap[end] = idx, dist

    names = np.full(n, vehicle, dtype=object)
    if "vehicle" in trips.columns:
        given = trips["vehicle"].astype(object).where(trips["vehicle"].notna(), None).to_numpy()
        names = np.where(
            [v is not None and str(v).strip() != "" for v in given], given, vehicle
        ).astype(object)
    payload = np.full(n, np.nan)
    if "payload_kg" in trips.columns:
        payload = pd.to_numeric(trips["payload_kg"], errors="coerce").to_numpy(dtype=float)
        negative = ~np.isnan(payload) & ((payload < 0) | ~np.isfinite(payload))
        bad(negative, "payload_kg must be a finite number >= 0")
    payload_bin = np.where(
        np.isnan(payload), np.nan, np.round(payload / PAYLOAD_STEP_KG) * PAYLOAD_STEP_KG
    )

    geometry_column = np.full(n, None, dtype=object)
    quantity_columns = ("co2_g", "co2e_wtw_g", "fuel_l", "energy_kwh", "time_s", "distance_m")
    routable = status == "ok"
    groups = pd.DataFrame({"vehicle": names.astype(str), "payload": payload_bin})[routable].groupby(
        ["vehicle", "payload"], dropna=False, sort=True
    )
    for (name, bin_kg), rows in groups.groups.items():
        rows = np.asarray(rows)
        try:
            eco, fastest = routers.get(str(name), None if pd.isna(bin_kg) else float(bin_kg))
        except UnknownVehicleError as error:
            bad(_mask(n, rows), str(error))
            continue
        except (ValueError, TypeError) as error:  # e.g. payload above the vehicle's maximum
            bad(_mask(n, rows), f"{name}: {error}")
            continue
        s, t = index["origin"][rows], index["destination"][rows]
        result = eco.route_indices(s, t, progress=False)
        best = fastest.route_indices(s, t, progress=False)
        out["cost"][rows] = result.cost
        for q in quantity_columns:
            if q in result.quantities:
                out[q][rows] = result.quantities[q]
        out["fastest_co2_g"][rows] = best.quantities["co2_g"]
        out["fastest_time_s"][rows] = best.quantities["time_s"]
        out["fastest_distance_m"][rows] = best.quantities["distance_m"]
        unreachable = ~np.isfinite(result.cost)
        status[rows[unreachable]] = "no_route"
        message[rows[unreachable]] = "the destination cannot be reached from the origin"
        if geometry is not None:
            # Paths in small batches: memory stays bounded however long the routes are.
            for begin in range(0, rows.size, GEOMETRY_BATCH_ROUTES):
                part = slice(begin, begin + GEOMETRY_BATCH_ROUTES)
                paths = eco.route_indices(s[part], t[part], with_paths=True, progress=False)
                assert paths.path_offsets is not None
                assert paths.path_arcs is not None
                geometry_column[rows[part]] = _geometries(
                    network,
                    s[part],
                    paths.path_offsets,
                    paths.path_arcs,
                    unreachable[part],
                    geometry,
                )

    failed = status != "ok"
    for q in (*quantity_columns, "cost", "fastest_co2_g", "fastest_time_s", "fastest_distance_m"):
        out[q][failed] = np.nan
    origin_node[routable] = network.node_id[index["origin"][routable]]
    destination_node[routable] = network.node_id[index["destination"][routable]]
    out["status"], out["message"] = status, message
    out["vehicle"] = names.astype(str)
    out["payload_kg"] = payload
    out["origin_node"], out["destination_node"] = origin_node, destination_node
    out["origin_snap_m"] = np.where(routable, snap["origin"], np.nan)
    out["destination_snap_m"] = np.where(routable, snap["destination"], np.nan)
    frame = pd.DataFrame({name: out[name] for name in RESULT_COLUMNS})
    if geometry is not None:
        frame["geometry"] = geometry_column
    return frame


def _mask(n: int, rows: npt.NDArray[np.intp]) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return mask


def _geometries(
    network: RoadNetwork,
    starts: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.uint64],
    arcs: npt.NDArray[np.uint32],
    unreachable: npt.NDArray[np.bool_],
    kind: Geometry,
) -> npt.NDArray[np.object_]:
    """Route geometries as WKB bytes or GeoJSON strings (None where unreachable), vectorised."""
    import shapely

    coords, point_offsets = network.paths_coordinates(starts, offsets, arcs)
    which = np.repeat(np.arange(starts.size), np.diff(point_offsets))
    lines = shapely.linestrings(coords, indices=which)
    values = shapely.to_wkb(lines) if kind == "wkb" else shapely.to_geojson(lines)
    values = np.asarray(values, dtype=object)
    values[unreachable] = None
    return values


# ---------------------------------------------------------------------- the job


def run(
    network: str | Path | RoadNetwork,
    trips: str | Path | pd.DataFrame,
    out: str | Path,
    *,
    vehicle: str = "car_petrol",
    objective: Objective = "co2",
    geometry: Geometry | bool | None = None,
    threads: int = 0,
    chunk_rows: int | None = None,
    dask: Any = None,
    progress: bool | None = None,
    overwrite: bool = False,
) -> BatchSummary:
    """
    Route every trip of a table and write one result row per trip; safe to kill and restart.

    Trips are read in chunks of ``chunk_rows``; each finished chunk is written
    atomically to ``<out>.parts/`` (a checkpoint), and the output is assembled
    from the parts at the end. Started again after being killed at any
    moment, the job skips the chunks it has and finishes with every trip
    exactly once. Memory stays bounded by the chunk size.

    Parameters
    ----------
    network
        A saved network (``RoadNetwork.save``), an OSM file, or a ``RoadNetwork``.
        With ``dask`` it must be a path every worker can read.
    trips
        A .parquet or .csv file, or a DataFrame, with columns ``trip_id``,
        ``origin_lat``/``origin_lon`` or ``origin_node`` (OSM id),
        ``destination_lat``/``destination_lon`` or ``destination_node``, and
        optionally ``vehicle`` (per row) and ``payload_kg``.
    out
        Result file, .parquet (recommended) or .csv.
    vehicle
        Vehicle for rows without one.
    objective
        What the eco-route minimises (see :class:`ecoroute.Router`); the
        fastest route is always computed too, for the savings.
    geometry
        Add a ``geometry`` column: ``"wkb"`` (``True``) or ``"geojson"``.
    threads
        C++ threads per process; 0 uses every core.
    chunk_rows
        Rows per chunk (and per checkpoint); by default 100,000, or 10,000
        with geometry (a route's points take much more memory than its numbers).
    dask
        A ``dask.distributed`` scheduler address (``"tcp://host:8786"``), a
        ``Client``, or ``"local"`` for a local cluster; None runs here.
    progress
        Show a progress bar (default: when more than one chunk).
    overwrite
        Replace an existing output file.

    Returns
    -------
    BatchSummary
        Counts of trips by status, chunks, and how many were resumed.

    Raises
    ------
    BatchError
        (a ``ValueError``) if the trips cannot be read or lack columns, or if
        ``<out>.parts`` holds checkpoints of a different job.
    """
    out = Path(out)
    if geometry is True:
        geometry = "wkb"
    if geometry not in (None, False, "wkb", "geojson"):
        msg = f"geometry must be 'wkb' or 'geojson', not {geometry!r}."
        raise ValueError(msg)
    geometry = geometry or None
    if chunk_rows is None:
        chunk_rows = GEOMETRY_CHUNK_ROWS if geometry else DEFAULT_CHUNK_ROWS
    if chunk_rows < 1:
        msg = "chunk_rows must be >= 1."
        raise ValueError(msg)
    parts = out.with_name(out.name + ".parts")
    if out.exists() and not parts.exists() and not overwrite:
        msg = f"{out} already exists; pass overwrite=True (--overwrite) to replace it."
        raise FileExistsError(msg)
    if isinstance(trips, str | Path) and not Path(trips).is_file():
        msg = f"{trips}: no such trips file."
        raise BatchError(msg)

    job = {
        "trips": _fingerprint(trips),
        "network": _fingerprint(network),
        "vehicle": vehicle,
        "objective": objective if isinstance(objective, str) else dict(objective),
        "geometry": geometry,
        "chunk_rows": chunk_rows,
        "format": 1,
    }
    _open_parts(parts, job)
    total = _row_count(trips)

    from tqdm.auto import tqdm

    show = progress if progress is not None else (total is None or total > chunk_rows)
    resumed = 0
    chunks = 0
    with tqdm(total=total, disable=not show, unit="trip", desc="batch") as bar:
        if dask is not None:
            chunks, resumed = _run_dask(dask, network, trips, parts, job, threads, bar)
        else:
            net = network if isinstance(network, RoadNetwork) else _load_network(network)
            routers = _Routers(net, objective, threads)
            for number, chunk in enumerate(_iter_chunks(trips, chunk_rows)):
                chunks += 1
                if number == 0:
                    _check_columns(chunk)
                part = parts / f"part-{number:06d}.parquet"
                if part.exists():
                    resumed += 1
                else:
                    result = process_chunk(net, chunk, vehicle=vehicle, objective=objective,
                                           geometry=geometry, routers=routers)  # fmt: skip
                    _write_atomic(result, part)
                bar.update(len(chunk))

    counts = _assemble(parts, chunks, out)
    shutil.rmtree(parts)
    summary = BatchSummary(output=out, trips=sum(counts.values()), ok=counts.get("ok", 0),
                           no_route=counts.get("no_route", 0), bad_input=counts.get("bad_input", 0),
                           chunks=chunks, resumed_chunks=resumed)  # fmt: skip
    log.info("batch: %s", summary)
    return summary


def _load_network(path: str | Path) -> RoadNetwork:
    from .osm import SUFFIXES, load_osm

    path = Path(path)
    if path.name.lower().endswith(SUFFIXES):
        return load_osm(path)
    return RoadNetwork.load(path)


def _fingerprint(source: Any) -> dict[str, Any]:
    """Identify an input: path, size and modification time (or a hash of a DataFrame's contents)."""
    if isinstance(source, pd.DataFrame):
        digest = hashlib.sha256(pd.util.hash_pandas_object(source, index=True).to_numpy().tobytes())
        return {"dataframe": digest.hexdigest(), "rows": len(source)}
    if isinstance(source, RoadNetwork):
        return {"network": f"{source.node_count}/{source.arc_count}"}
    path = Path(source)
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _open_parts(parts: Path, job: dict[str, Any]) -> None:
    """Create the checkpoint folder, or check that the one there belongs to this job."""
    manifest = parts / "job.json"
    if parts.exists():
        try:
            previous = json.loads(manifest.read_text())
        except (OSError, ValueError):
            previous = None
        if previous != json.loads(json.dumps(job)):
            msg = (
                f"{parts} holds checkpoints of a different job (other trips, network or options); "
                "remove it to start over."
            )
            raise BatchError(msg)
        return
    parts.mkdir(parents=True)
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps(job))
    tmp.replace(manifest)


def _write_atomic(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)


def _assemble(parts: Path, chunks: int, out: Path) -> dict[str, int]:
    """Concatenate the parts in order into ``out`` (atomically), streaming one part at a time."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    csv = out.name.lower().endswith(".csv")
    writer: Any = None
    try:
        for number in range(chunks):
            table = pq.read_table(parts / f"part-{number:06d}.parquet")
            for value, count in zip(*np.unique(table.column("status").to_numpy(zero_copy_only=False),
                                               return_counts=True), strict=True):  # fmt: skip
                counts[str(value)] = counts.get(str(value), 0) + int(count)
            if csv:
                if "geometry" in table.column_names and pa.types.is_binary(
                    table.schema.field("geometry").type
                ):
                    table = table.set_column(table.schema.get_field_index("geometry"), "geometry",
                                             pa.array([None if g is None else g.hex() for g in
                                                       table.column("geometry").to_pylist()], pa.string()))  # fmt: skip
                if writer is None:
                    writer = pacsv.CSVWriter(str(tmp), table.schema)
                writer.write_table(table)
            else:
                if writer is None:
                    writer = pq.ParquetWriter(str(tmp), table.schema)
                writer.write_table(table)
        if writer is None:  # no trips at all
            empty = pd.DataFrame({name: [] for name in RESULT_COLUMNS})
            if csv:
                empty.to_csv(tmp, index=False)
            else:
                empty.to_parquet(tmp, index=False)
        else:
            writer.close()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    return counts


# ---------------------------------------------------------------------- Dask


_WORKER_STATE: dict[str, Any] = {}


def _process_on_worker(
    network_path: str, chunk: pd.DataFrame, job: dict[str, Any], threads: int
) -> pd.DataFrame:
    """Route a chunk on a Dask worker, loading (memory-mapping) the network once per worker process."""
    key = json.dumps([network_path, job["objective"], threads])
    state = _WORKER_STATE.get(key)
    if state is None:
        network = _load_network(network_path)
        state = _WORKER_STATE[key] = _Routers(network, job["objective"], threads)
    return process_chunk(state.network, chunk, vehicle=job["vehicle"], objective=job["objective"],
                         geometry=job["geometry"], routers=state)  # fmt: skip


def _run_dask(
    address: Any, network: Any, trips: Any, parts: Path, job: dict[str, Any], threads: int, bar: Any
) -> tuple[int, int]:
    """Send the chunks that have no checkpoint to Dask workers; write each result as it arrives."""
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as error:
        msg = "The Dask backend needs dask.distributed: pip install 'ecoroute[dask]'."
        raise BatchError(msg) from error
    if isinstance(network, RoadNetwork):
        msg = "With dask, pass the network as a file path that every worker can read."
        raise BatchError(msg)
    network_path = str(Path(network).resolve())

    owned: list[Any] = []
    if isinstance(address, Client):
        client = address
    elif address == "local":
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)
        owned = [client, cluster]
    else:
        client = Client(address)
        owned = [client]
    chunks = resumed = 0
    try:
        workers = max(1, len(client.scheduler_info().get("workers", {})))
        in_flight = as_completed()
        numbers: dict[Any, tuple[int, int]] = {}

        def drain(limit: int) -> None:
            while in_flight.count() > limit:
                future = next(in_flight)
                number, rows = numbers.pop(future)
                _write_atomic(future.result(), parts / f"part-{number:06d}.parquet")
                bar.update(rows)

        for number, chunk in enumerate(_iter_chunks(trips, job["chunk_rows"])):
            chunks += 1
            if number == 0:
                _check_columns(chunk)
            if (parts / f"part-{number:06d}.parquet").exists():
                resumed += 1
                bar.update(len(chunk))
                continue
            future = client.submit(
                _process_on_worker, network_path, chunk, job, threads, pure=False
            )
            numbers[future] = (number, len(chunk))
            in_flight.add(future)
            drain(2 * workers)  # bounded: at most two chunks per worker in flight
        drain(0)
    finally:
        for thing in owned:
            thing.close()
    return chunks, resumed
