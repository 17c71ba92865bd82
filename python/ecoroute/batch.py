"""Batch route jobs: trip tables (CSV, Parquet) in, results out; resumable, threaded, or on Dask."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._errors import BatchError, UnknownVehicleError
from ._validate import check_threads
from .network import RoadNetwork
from .objectives import OBJECTIVE_QUANTITY, Objective, objective_label
from .results import PairResults
from .routing import Router
from .snap_policy import PointSnaps, nearest_snapper, overwrite_pairs, pairs_with_fallback
from .snapping import DEFAULT_MAX_SNAP_M, Endpoints, partway_lines, partway_pairs
from .vehicles import Vehicle
from .vehicles import vehicle as catalogue_vehicle

if TYPE_CHECKING:
    import pyarrow as pa

    from .turns import TurnGraph, TurnRestrictions

log = logging.getLogger("ecoroute")

__all__ = ["BatchError", "BatchSummary", "check_job", "process_chunk", "result_schema", "run"]

Geometry = Literal["wkb", "geojson"]

#: Rows per chunk: one checkpoint (and one C++ call per vehicle group) each.
DEFAULT_CHUNK_ROWS = 100_000

#: Rows per chunk when geometries are written (a route's points take far more
#: memory than its numbers), and routes whose paths are unpacked at once.
GEOMETRY_CHUNK_ROWS = 10_000
GEOMETRY_BATCH_ROUTES = 2_000

#: The largest extra-time budget a job or row may ask for (10 = eleven times the fastest).
MAX_EXTRA_TIME = 10.0

#: Payloads are routed in bins of this many kilograms (one router per bin and vehicle).
PAYLOAD_STEP_KG = 100.0

#: Columns of every result file, in order (``geometry`` is added when asked for).
RESULT_COLUMNS = (
    "trip_id", "status", "message", "vehicle", "payload_kg", "origin_node", "destination_node",
    "origin_snap_m", "destination_snap_m", "origin_snap_lat", "origin_snap_lon",
    "destination_snap_lat", "destination_snap_lon", "cost", "co2_g", "co2e_wtw_g", "fuel_l",
    "energy_kwh", "time_s", "distance_m", "fastest_co2_g", "fastest_time_s", "fastest_distance_m",
    "max_extra_time", "objective_gap", "departure_s",
)  # fmt: skip

#: Result columns added after the first release, absent from older checkpoints: the time
#: budget's, the departure, and where each trip end snapped to (``<end>_snap_lat/lon``:
#: the point on the road where the route starts or ends; the node for node ids).
ADDED_COLUMNS = (
    "max_extra_time", "objective_gap", "departure_s", "origin_snap_lat", "origin_snap_lon",
    "destination_snap_lat", "destination_snap_lon",
)  # fmt: skip

#: Result file types (by name ending).
OUTPUT_SUFFIXES = (".parquet", ".pq", ".csv")

#: Trip table types (by name ending).
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2")


def result_schema(geometry: Geometry | None = None) -> pa.Schema:
    """
    Return the base Arrow schema of the result files and checkpoints of a job with these options.

    The schema depends on the options only, never on the data of a chunk: here
    ``trip_id`` is a string (what :func:`process_chunk` returns: the id's text);
    :func:`run` gives it the trips' own type and appends the carried columns,
    both fixed for the whole job before its first chunk. Node ids are int64 (-1 for rows that were not routed), every quantity is
    float64 (NaN where not routed or not reported), and ``geometry`` is binary
    (WKB) or string (GeoJSON) even in a chunk where every route is missing.
    So every chunk has the same schema and assembling them cannot fail.
    """
    import pyarrow as pa

    types = {"trip_id": pa.string(), "status": pa.string(), "message": pa.string(),
             "vehicle": pa.string(), "origin_node": pa.int64(), "destination_node": pa.int64()}  # fmt: skip
    fields = [pa.field(name, types.get(name, pa.float64())) for name in RESULT_COLUMNS]
    if geometry is not None:
        fields.append(pa.field("geometry", pa.binary() if geometry == "wkb" else pa.string()))
    return pa.schema(fields)


@dataclass(frozen=True)
class BatchSummary:
    """
    What a finished batch job did.

    ``vehicle`` is the vehicle of rows without one of their own and
    ``objective`` what the eco-routes minimised; ``totals`` sums the routed
    rows' ``co2_g``, ``fastest_co2_g``, ``time_s`` and ``distance_m`` (grams,
    seconds, metres).
    """

    output: Path
    trips: int
    ok: int
    no_route: int
    bad_input: int
    chunks: int
    resumed_chunks: int
    #: The most frequent reasons rows failed: (count, an example message), most frequent first.
    reasons: tuple[tuple[int, str], ...] = ()
    vehicle: str = ""
    objective: str = ""
    totals: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        """Rows that got no route (bad input or unreachable)."""
        return self.no_route + self.bad_input

    def __repr__(self) -> str:
        parts = [
            (
                f"{self.trips:,} trips: {self.ok:,} ok, {self.no_route:,} no route, "
                f"{self.bad_input:,} bad input"
            ),
            f"vehicle={self.vehicle!r} (rows without their own)" if self.vehicle else None,
            f"objective={self.objective!r}" if self.objective else None,
        ]
        co2, fastest = self.totals.get("co2_g"), self.totals.get("fastest_co2_g")
        if co2 is not None and fastest is not None:
            saved = f", {100 * (1 - co2 / fastest):.2f} % less than fastest" if fastest else ""
            parts.append(f"{co2 / 1000:,.1f} kg CO2{saved}")
        if "distance_m" in self.totals:
            parts.append(f"{self.totals['distance_m'] / 1000:,.1f} km")
        parts.append(f"out={str(self.output)!r}")
        return f"BatchSummary({'; '.join(p for p in parts if p)})"


# ---------------------------------------------------------------------- reading trips


@dataclass(frozen=True)
class _Trips:
    """A trip table checked before any work: where it is, how to read it, how many rows."""

    source: str | Path | pd.DataFrame
    kind: Literal["frame", "parquet", "csv"]
    rows: int | None = None
    encoding: str | None = None
    columns: tuple[str, ...] = ()


#: Trip-table columns a job reads; every other column is the caller's, carried to the results.
INPUT_COLUMNS = (
    "trip_id", "origin_node", "origin_lat", "origin_lon", "destination_node", "destination_lat",
    "destination_lon", "vehicle", "payload_kg", "departure", "max_extra_time",
)  # fmt: skip


@dataclass(frozen=True)
class _Carried:
    """What a job carries from its trips to its results: the id's type and the caller's columns."""

    id_type: str = "string"  # an Arrow type name: "int64", "double" or "string"
    columns: tuple[tuple[str, str], ...] = ()  # (name, Arrow type name)

    def schema(self, geometry: Geometry | None) -> pa.Schema:
        """The job's result schema: :func:`result_schema` with these types and columns."""
        import pyarrow as pa

        base = result_schema(geometry)
        at = base.get_field_index("trip_id")
        schema = base.set(at, pa.field("trip_id", _arrow(self.id_type)))
        for name, kind in self.columns:
            schema = schema.append(pa.field(name, _arrow(kind)))
        return schema

    def apply(self, result: pd.DataFrame, trips: pd.DataFrame) -> pd.DataFrame:
        """Give ``result`` (rows as ``trips``) the trips' own ids and carried columns."""
        result = result.copy()
        result["trip_id"] = _as_kind(trips["trip_id"], self.id_type).to_numpy()
        for name, kind in self.columns:
            result[name] = _as_kind(trips[name], kind).to_numpy()
        return result


def _arrow(kind: str) -> pa.DataType:
    """The Arrow type of a carried kind."""
    import pyarrow as pa

    return {"int64": pa.int64(), "double": pa.float64(), "bool": pa.bool_()}.get(kind, pa.string())


def _as_kind(column: pd.Series, kind: str) -> pd.Series:
    """A column as one of the carried kinds (missing cells stay missing)."""
    if kind == "int64":
        return pd.to_numeric(column, errors="raise").astype("Int64")
    if kind == "double":
        return pd.to_numeric(column, errors="raise").astype("float64")
    if kind == "bool":
        return column.astype("boolean")
    present = column.notna()
    return pd.Series([str(v) if p else None for v, p in zip(column, present, strict=True)],
                     index=column.index, dtype=object)  # fmt: skip


_INTEGER_TEXT = re.compile(r"\s*[-+]?\d+\s*")


def _kind_of(values: pd.Series, *, text: bool) -> str:
    """
    The narrowest carried kind that holds every value: int64, double, bool or string.

    ``text`` (a CSV, read as text): the kind pandas would read the column as.
    Otherwise the column's own dtype decides (ids ``"007"`` stay text).
    """
    present = values[values.notna()]
    if text:
        cells = present.astype(str)
        if cells.empty:
            return "string"
        if cells.map(lambda v: bool(_INTEGER_TEXT.fullmatch(v))).all():
            return "int64" if len(present) == len(values) else "double"  # NaN makes floats
        if pd.to_numeric(cells, errors="coerce").notna().all():
            return "double"
        return "string"
    if pd.api.types.is_bool_dtype(values.dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(values.dtype):
        return "int64"
    if pd.api.types.is_float_dtype(values.dtype):
        return "double"
    return "string"


def _wider(a: str, b: str) -> str:
    """The kind that holds both (chunks of one CSV column may differ)."""
    if a == b:
        return a
    return "double" if {a, b} == {"int64", "double"} else "string"


def _carried(trips: _Trips, keep: Sequence[str] | None) -> tuple[_Carried, int]:
    """
    Find what a job carries: the type of the caller's ``trip_id`` and the columns to keep.

    ``keep`` None keeps every column the job does not read (:data:`INPUT_COLUMNS`);
    a column named like a result column is not carried (the result's wins).
    CSV has no types: its columns are read once, column by column, and typed as
    pandas would read the whole file (so ``trips.merge(results, on="trip_id")``
    works), with ``NA``-like ids kept as text. Also returns the number of
    rows (which a CSV does not say until it is read: the progress bar's total).
    """
    result_names = set(RESULT_COLUMNS) | {"geometry"}
    if keep is None:
        wanted = [c for c in trips.columns if c not in INPUT_COLUMNS and c not in result_names]
    else:
        unknown = [c for c in keep if c not in trips.columns]
        clash = [c for c in keep if c in result_names and c != "trip_id"]
        if unknown or clash:
            what = "are not columns of the trips" if unknown else "are result columns"
            msg = f"keep={list(keep)}: {unknown or clash} {what}."
            raise BatchError(msg)
        wanted = [c for c in keep if c != "trip_id"]
    kinds: dict[str, str] = {}
    rows = 0
    for chunk in _typed_columns(trips, ["trip_id", *wanted]):
        rows += len(chunk)
        for name in chunk.columns:
            kind = _kind_of(chunk[name], text=trips.kind == "csv")
            kinds[name] = kind if name not in kinds else _wider(kinds[name], kind)
    columns = tuple((c, kinds.get(c, "string")) for c in wanted)
    return _Carried(kinds.get("trip_id", "string"), columns), rows


def _typed_columns(trips: _Trips, names: list[str]) -> Iterator[pd.DataFrame]:
    """The trips' ``names`` columns, chunk by chunk (one read of those columns only)."""
    if isinstance(trips.source, pd.DataFrame):
        yield trips.source[names]
        return
    path = Path(trips.source)
    if trips.kind == "parquet":
        import pyarrow.parquet as pq

        file = pq.ParquetFile(path)
        for piece in file.iter_batches(batch_size=DEFAULT_CHUNK_ROWS, columns=names):
            yield piece.to_pandas()
        return
    as_text = {"trip_id", "vehicle"}
    missing = {name: list(_NA_TEXT) for name in names if name not in as_text}
    missing.update({name: [""] for name in names if name in as_text})
    try:
        yield from pd.read_csv(
            path,
            usecols=names,
            chunksize=DEFAULT_CHUNK_ROWS,
            encoding=trips.encoding,
            dtype=str,
            keep_default_na=False,
            na_values=missing,
        )
    except UnicodeDecodeError as error:
        msg = f"{path} is not UTF-8 text ({error}); save it as a UTF-8 CSV and run the job again."
        raise BatchError(msg) from error
    except (pd.errors.ParserError, OSError, EOFError, ValueError) as error:
        msg = f"{path} cannot be read as CSV ({error}); fix the file and run the job again."
        raise BatchError(msg) from error


def _open_trips(trips: str | Path | pd.DataFrame | _Trips) -> _Trips:
    """Check that the trip table can be read and has the columns a job needs; raise BatchError if not."""
    if isinstance(trips, _Trips):
        return trips
    if isinstance(trips, pd.DataFrame):
        _check_columns(trips.columns, "the trip table")
        return _Trips(trips, "frame", len(trips), None, tuple(map(str, trips.columns)))
    path = Path(trips)
    if not path.exists():
        msg = f"{path}: no such trips file."
        raise BatchError(msg)
    if path.is_dir():
        msg = f"{path} is a folder; give the trips .parquet or .csv file."
        raise BatchError(msg)
    if not path.is_file():  # a pipe or device: reading it could wait for ever, and resuming
        msg = f"{path} is not a regular file (a pipe or device); save the trips to a file first."
        raise BatchError(msg)
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as error:
            msg = f"{path} cannot be read as Parquet ({error}); is it truncated or another format?"
            raise BatchError(msg) from error
        columns = tuple(file.schema_arrow.names)
        _check_columns(columns, str(path))
        return _Trips(path, "parquet", int(file.metadata.num_rows), None, columns)
    if name.endswith(CSV_SUFFIXES):
        encoding = _csv_encoding(path)
        try:
            header = pd.read_csv(path, nrows=0, encoding=encoding)
        except pd.errors.EmptyDataError as error:
            msg = (
                f"{path} is empty: a trips CSV needs a header row (trip_id, origin_..., "
                "destination_...) and one row per trip."
            )
            raise BatchError(msg) from error
        except UnicodeDecodeError as error:
            msg = (
                f"{path} is not UTF-8 text ({error}); save it as a UTF-8 CSV (UTF-16 files "
                "with a byte-order mark are read too)."
            )
            raise BatchError(msg) from error
        except (pd.errors.ParserError, OSError, EOFError) as error:
            msg = f"{path} cannot be read as CSV ({error})."
            raise BatchError(msg) from error
        columns = tuple(map(str, header.columns))
        _check_columns(columns, str(path))
        return _Trips(path, "csv", None, encoding, columns)
    msg = f"{path}: trips must be a .parquet or .csv file (.csv.gz and .csv.bz2 too)."
    raise BatchError(msg)


def _csv_encoding(path: Path) -> str | None:
    """Return the encoding its byte-order mark gives a CSV (None: UTF-8); refuse UTF-16 without one."""
    import bz2
    import gzip

    name = path.name.lower()
    try:
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as f:
                start = f.read(4096)
        elif name.endswith(".bz2"):
            with bz2.open(path, "rb") as f:
                start = f.read(4096)
        else:
            with path.open("rb") as f:
                start = f.read(4096)
    except (OSError, EOFError) as error:
        msg = (
            f"{path} cannot be read ({error}); is it truncated or not compressed as its name says?"
        )
        raise BatchError(msg) from error
    if not start.strip():
        msg = (
            f"{path} is empty: a trips CSV needs a header row (trip_id, origin_..., "
            "destination_...) and one row per trip."
        )
        raise BatchError(msg)
    if start.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32"
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if start.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if b"\x00" in start:
        msg = (
            f"{path} holds NUL bytes: UTF-16 or UTF-32 text without a byte-order mark, or not "
            "text at all; save it as a UTF-8 CSV."
        )
        raise BatchError(msg)
    return None


def _iter_chunks(trips: _Trips, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Yield the trip table in chunks of exactly ``chunk_rows`` rows (the last may be shorter)."""
    if isinstance(trips.source, pd.DataFrame):
        frame = trips.source
        for begin in range(0, len(frame), chunk_rows):
            yield frame.iloc[begin : begin + chunk_rows].reset_index(drop=True)
        return
    path = Path(trips.source)
    if trips.kind == "parquet":
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
        return
    # CSV has no types: trip ids are read as the text they are ("007" stays "007"), and
    # "NA", "null" or "None" in an id or vehicle column is that text, not a missing value.
    as_text = {"trip_id", "vehicle"}
    missing = {name: list(_NA_TEXT) for name in trips.columns if name not in as_text}
    missing.update({name: [""] for name in trips.columns if name in as_text})
    try:
        yield from pd.read_csv(
            path,
            chunksize=chunk_rows,
            encoding=trips.encoding,
            dtype={"trip_id": str},
            keep_default_na=False,
            na_values=missing,
        )
    except UnicodeDecodeError as error:
        msg = f"{path} is not UTF-8 text ({error}); save it as a UTF-8 CSV and run the job again."
        raise BatchError(msg) from error
    except (pd.errors.ParserError, OSError, EOFError) as error:
        msg = f"{path} cannot be read as CSV ({error}); fix the file and run the job again."
        raise BatchError(msg) from error


def _snap_per_vehicle(
    network: RoadNetwork,
    routers: _Routers,
    points: Mapping[
        str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    ],
    names: npt.NDArray[np.object_],
    payload_bin: npt.NDArray[np.float64],
    status: npt.NDArray[np.object_],
    index: dict[str, npt.NDArray[np.int64]],
    ends: dict[str, Endpoints],
    bad: Any,
    max_snap_m: float,
) -> None:
    """
    Snap each row's coordinates again onto the roads its own vehicle may drive (issue 23).

    The first snap (before vehicles are known) is onto every road; a truck's
    point beside a road closed to it moves to the nearest road the truck may
    use (in any part of the network; rows it cannot join fall back to the
    largest part's roads when routed, issue 24), and a row with none within
    ``max_snap_m`` is a bad row that says so.
    """
    for end, (rows_all, lat_all, lon_all) in points.items():
        ok = status[rows_all] == "ok"
        keys = pd.DataFrame(
            {"vehicle": names[rows_all].astype(str), "payload": payload_bin[rows_all]}
        )[ok]
        groups = keys.groupby(["vehicle", "payload"], dropna=False).groups
        for (name, bin_kg), group in groups.items():
            at = np.asarray(group)  # positions within rows_all
            router, _ = routers.get(str(name), None if pd.isna(bin_kg) else float(bin_kg), None)
            if not router.rules.restricts:
                continue
            rows = rows_all[at]
            lat, lon = lat_all[at], lon_all[at]
            snap = router.nearest_snapper.snap(lat, lon, max_snap_m=math.inf)
            on_road = Endpoints.snapped(network, snap, lat, lon)
            index[end][rows] = on_road.node
            ends[end] = ends[end].replace(rows, on_road)
            far = np.zeros(status.size, dtype=bool)
            text = np.full(status.size, None, dtype=object)
            for i, d in zip(rows.tolist(), snap.distance_m.tolist(), strict=True):
                if d > max_snap_m:
                    far[i] = True
                    text[i] = (
                        f"{end} is {d:,.0f} m from the nearest road {name} may drive "
                        f"(limit {max_snap_m:,.0f} m): the roads nearer are closed to it"
                    )
            bad(far, text)


def _check_columns(columns: Iterable[object], where: str) -> None:
    present = {str(c) for c in columns}
    missing = []
    if "trip_id" not in present:
        missing.append("trip_id")
    for end in ("origin", "destination"):
        if f"{end}_node" not in present and not {f"{end}_lat", f"{end}_lon"} <= present:
            missing.append(f"{end}_lat/{end}_lon or {end}_node")
    if missing:
        msg = (
            f"{where} lacks {', '.join(missing)}; it has columns {sorted(present)}. Give each "
            "end as <end>_lat and <end>_lon (degrees) or as <end>_node (OSM node id)."
        )
        raise BatchError(msg)


# ---------------------------------------------------------------------- routing one chunk


def _objective_quantities(objective: Objective) -> tuple[str, ...]:
    """Return the quantities an objective weighs, or raise BatchError for a mistaken one."""
    if isinstance(objective, str):
        names: list[object] = [objective]
    elif isinstance(objective, Mapping) and objective:
        names = list(objective)
        for name, factor in objective.items():
            try:
                value = float(factor)
            except (TypeError, ValueError):
                value = math.nan
            if not math.isfinite(value) or value < 0:
                msg = f"objective weight for {name!r} must be a finite number >= 0, got {factor!r}."
                raise BatchError(msg)
        if not any(float(f) > 0 for f in objective.values()):
            msg = f"objective {dict(objective)!r} needs at least one positive weight."
            raise BatchError(msg)
    else:
        msg = (
            f"objective must be one of {', '.join(OBJECTIVE_QUANTITY)} or a dict of weights "
            f"over them, not {objective!r}."
        )
        raise BatchError(msg)
    unknown = [name for name in names if name not in OBJECTIVE_QUANTITY]
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), OBJECTIVE_QUANTITY, n=2)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        msg = (
            f"Unknown objective {unknown[0]!r}.{hint} Choose from {', '.join(OBJECTIVE_QUANTITY)}."
        )
        raise BatchError(msg)
    return tuple(OBJECTIVE_QUANTITY[str(name)] for name in names)


def _reports(vehicle: Vehicle) -> frozenset[str]:
    """Quantities a vehicle's routes report (see ``Vehicle.arc_quantities``)."""
    return frozenset((*vehicle.quantities, "co2_g", "time_s", "distance_m"))


def check_job(
    vehicle: str, objective: Objective, threads: int = 0, max_extra_time: float | None = None
) -> None:
    """
    Check the options of a whole batch job before any work; raise if the job cannot run.

    Raises
    ------
    UnknownVehicleError
        (a ``KeyError``) if ``vehicle`` is not in the catalogue; close names are suggested.
    BatchError
        (a ``ValueError``) for an unknown objective, one the vehicle cannot
        report (``"fuel"`` for an EV), a thread count below 0 or above
        :data:`ecoroute._validate.MAX_THREADS`, or a ``max_extra_time`` that is
        not a fraction from 0 to :data:`MAX_EXTRA_TIME`, or with an objective
        other than one quantity (a budget trades time for one objective).
    """
    try:
        check_threads(threads, "threads")
    except (TypeError, ValueError) as error:
        raise BatchError(str(error)) from error
    quantities = _objective_quantities(objective)
    if max_extra_time is not None:
        if (
            isinstance(max_extra_time, bool)
            or not isinstance(max_extra_time, int | float | np.number)
            or not 0 <= float(max_extra_time) <= MAX_EXTRA_TIME
        ):
            msg = (
                f"max_extra_time must be a fraction from 0 to {MAX_EXTRA_TIME:g} "
                f"(0.05 = 5 % more time), not {max_extra_time!r}."
            )
            raise BatchError(msg)
        if len(quantities) != 1 or quantities[0] == "time_s":
            msg = "max_extra_time needs a single objective other than time (e.g. 'co2')."
            raise BatchError(msg)
    default = catalogue_vehicle(vehicle)
    missing = [q for q in quantities if q not in _reports(default)]
    if missing:
        msg = (
            f"objective {objective!r} needs {missing[0]}, which {vehicle} does not report; "
            f"it reports {', '.join(sorted(_reports(default)))}."
        )
        raise BatchError(msg)


class _Routers:
    """
    Routers per (vehicle, payload bin): the eco-route one and the fastest-route one, LRU-cached.

    Vehicle names are looked up (and cached) apart from routers so that a row's
    unknown vehicle is a row's problem; anything a Router raises for a vehicle
    and payload that passed those checks is a real error and is not caught.
    """

    def __init__(
        self,
        network: RoadNetwork,
        objective: Objective,
        threads: int,
        size: int = 4,
        turns: TurnRestrictions | TurnGraph | None = None,
    ) -> None:
        self.network = network
        self.turns = turns
        self.objective = objective
        self.quantities = _objective_quantities(objective)
        self.threads = threads
        self.size = size
        self._cache: OrderedDict[tuple[str, float | None, float | None], tuple[Router, Router]] = (
            OrderedDict()
        )
        self._vehicles: dict[str, Vehicle | str] = {}

    def vehicle(self, name: str) -> Vehicle | str:
        """Return the catalogue vehicle ``name``, or why a row cannot use it (a message)."""
        if name not in self._vehicles:
            try:
                found: Vehicle | str = catalogue_vehicle(name)
            except UnknownVehicleError as error:
                found = str(error)
            else:
                assert not isinstance(found, str)
                missing = [q for q in self.quantities if q not in _reports(found)]
                if missing:
                    found = (
                        f"{name} does not report {missing[0]}, which objective "
                        f"{self.objective!r} needs"
                    )
            self._vehicles[name] = found
        return self._vehicles[name]

    def get(
        self, name: str, payload: float | None, budget: float | None = None
    ) -> tuple[Router, Router]:
        key = (name, payload, budget)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        vehicle = self.vehicle(name)
        assert not isinstance(vehicle, str), vehicle
        eco = Router(
            self.network,
            vehicle,
            self.objective,
            payload_kg=payload,
            num_threads=self.threads,
            max_extra_time=budget,
            turns=self.turns,
        )
        fastest = Router(
            self.network,
            vehicle,
            "time",
            payload_kg=payload,
            num_threads=self.threads,
            turns=self.turns,
        )
        self._cache[key] = (eco, fastest)
        if len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return eco, fastest


def _node_ids(
    column: pd.Series, name: str
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.object_]]:
    """
    Parse a node id column: (ids, given, problem) per row.

    ``given`` is False where the cell is empty; ``problem`` holds a message
    where a given cell is not a whole number in the int64 range ("abc", 10.5,
    1e30), else None. Nothing is rounded or truncated.
    """
    n = len(column)
    ids = np.zeros(n, dtype=np.int64)
    problem = np.full(n, None, dtype=object)
    given = column.notna().to_numpy(dtype=bool)
    if pd.api.types.is_integer_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        ids[given] = column[given].to_numpy(dtype=np.int64)
        return ids, given, problem
    numeric = pd.to_numeric(column, errors="coerce")
    if pd.api.types.is_integer_dtype(numeric.dtype):
        ids[given] = numeric[given].to_numpy(dtype=np.int64)
        return ids, given, problem
    values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 2.0**63)
    wrong = given & ~whole
    raw = column.to_numpy(dtype=object)
    for i in np.flatnonzero(wrong).tolist():
        problem[i] = f"{name} {raw[i]!r} is not a node id (a whole number, the OSM node id)"
    ok = given & whole
    ids[ok] = values[ok].astype(np.int64)
    return ids, given, problem


#: What pandas reads as a missing value by default; kept for every CSV column but the ids.
_NA_TEXT = (
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
)  # fmt: skip


def _trip_id_text(column: pd.Series) -> npt.NDArray[np.object_]:
    """Trip ids as text (``7`` and ``7.0`` become ``"7"``), None where missing."""
    missing = column.isna().to_numpy(dtype=bool)
    if pd.api.types.is_float_dtype(column.dtype):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(invalid="ignore"):
            whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 2.0**53)
        text = np.asarray([str(v) for v in values], dtype=object)
        text[whole] = values[whole].astype(np.int64).astype(str).astype(object)
    else:
        text = np.asarray([str(v) for v in column.to_numpy(dtype=object)], dtype=object)
    text[missing] = None
    return text


def process_chunk(
    network: RoadNetwork,
    trips: pd.DataFrame,
    *,
    vehicle: str = "car_petrol",
    objective: Objective = "co2",
    geometry: Geometry | None = None,
    routers: _Routers | None = None,
    num_threads: int = 0,
    max_extra_time: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
) -> pd.DataFrame:
    """
    Route one table of trips; every row gets a result row, bad rows included.

    Coordinates snap to the nearest point of the nearest road of the
    network's largest strongly connected part that the row's vehicle may
    drive (a truck's point beside an ``hgv=no`` road snaps to the nearest
    road open to it), and the route starts (ends)
    there, part-way along the road, as :meth:`Router.route_many` does
    (``<end>_snap_m`` and ``<end>_snap_lat``/``_lon`` say where; ``<end>_node``
    is the road's nearer end); rows with a departure too, on the metric of
    their departure hour, rows with a time budget under it. A trip end
    farther than ``max_snap_m``
    from every such road is a ``bad_input`` row.

    With ``max_extra_time`` (or a per-row ``max_extra_time`` column, which
    wins where filled) the eco-route is the least-objective route within that
    much extra time over the fastest one (see ``Router(max_extra_time=...)``);
    ``objective_gap`` then says how far it can be from the exact optimum.

    Rows are grouped by vehicle and payload bin; each group is one C++ call for
    the eco-routes and one for the fastest routes. A row whose coordinates are
    missing or out of range, whose node id is unknown or not a whole number,
    whose vehicle is not in the catalogue (or cannot report the objective) or
    whose payload is negative or above the vehicle's maximum gets
    ``status="bad_input"`` and a message; an unreachable destination gets
    ``status="no_route"``. Mistakes of the whole job (the default ``vehicle``,
    ``objective``, ``num_threads``) raise before any row is routed (see
    :func:`check_job`), and so does anything else that goes wrong.

    Payloads are checked as given, then routed in bins of
    :data:`PAYLOAD_STEP_KG` (never above the vehicle's maximum).
    """
    _check_columns(trips.columns, "the trip table")
    if routers is None:
        check_job(vehicle, objective, num_threads, max_extra_time)
        routers = _Routers(network, objective, num_threads)
    n = len(trips)
    out: dict[str, Any] = {name: np.full(n, np.nan) for name in RESULT_COLUMNS}
    out["trip_id"] = _trip_id_text(trips["trip_id"])
    status = np.full(n, "ok", dtype=object)
    message = np.full(n, "", dtype=object)
    origin_node = np.full(n, -1, dtype=np.int64)
    destination_node = np.full(n, -1, dtype=np.int64)

    def bad(mask: npt.NDArray[np.bool_], text: str | npt.NDArray[np.object_]) -> None:
        fresh = mask & (status == "ok")
        status[fresh] = "bad_input"
        message[fresh] = text if isinstance(text, str) else text[fresh]

    ids_text = out["trip_id"]
    bad(
        pd.Series(ids_text).duplicated(keep="first").to_numpy() & ~pd.isna(ids_text),
        "trip_id repeats an earlier row: ids must be unique to join results back",
    )

    index = {}
    ends: dict[str, Endpoints] = {}
    points: dict[
        str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    ] = {}
    for end in ("origin", "destination"):
        idx = np.zeros(n, dtype=np.int64)
        snapped: tuple[npt.NDArray[np.intp], Endpoints] | None = None
        if f"{end}_node" in trips.columns and trips[f"{end}_node"].notna().any():
            ids, given, problem = _node_ids(trips[f"{end}_node"], f"{end}_node")
            wrong = np.asarray([p is not None for p in problem], dtype=bool)
            bad(wrong, problem)
            usable = given & ~wrong
            found = np.zeros(n, dtype=bool)
            if usable.any():
                found_idx, ok = network.find_nodes(ids[usable])
                idx[usable] = found_idx
                found[usable] = ok
            bad(usable & ~found, f"{end}_node is not in the network")
            use_coords = ~given
            if {f"{end}_lat", f"{end}_lon"} <= set(trips.columns):
                both = given & (
                    trips[f"{end}_lat"].notna().to_numpy(dtype=bool)
                    | trips[f"{end}_lon"].notna().to_numpy(dtype=bool)
                )
                bad(both, f"give {end}_node or {end}_lat/{end}_lon, not both")
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
                    # The nearest road (any part: routing falls back to the largest part's
                    # where a pair is not joined, issue 24); a point farther than
                    # max_snap_m from every road is a bad row (issue 11).
                    snap_to = nearest_snapper(network, None).snap(
                        lat[valid], lon[valid], max_snap_m=math.inf
                    )
                    on_road = Endpoints.snapped(network, snap_to, lat[valid], lon[valid])
                    idx[valid] = on_road.node
                    snapped = (np.flatnonzero(valid), on_road)
                    points[end] = (np.flatnonzero(valid), lat[valid], lon[valid])
                    far = np.zeros(n, dtype=bool)
                    far[np.flatnonzero(valid)[snap_to.distance_m > max_snap_m]] = True
                    text = np.full(n, None, dtype=object)
                    for i, d in zip(
                        np.flatnonzero(valid).tolist(), snap_to.distance_m.tolist(), strict=True
                    ):
                        if d > max_snap_m:
                            text[i] = (
                                f"{end} is {d:,.0f} m from the nearest road the vehicle can use "
                                f"(limit {max_snap_m:,.0f} m); check the coordinates (lat, lon order)"
                            )
                    bad(far, text)
            else:
                bad(use_coords, f"{end} has neither a node id nor coordinates")
        index[end] = idx
        ends[end] = Endpoints.at_nodes(network, idx)
        if snapped is not None:
            ends[end] = ends[end].replace(*snapped)

    names = np.full(n, vehicle, dtype=object)
    if "vehicle" in trips.columns:
        text = trips["vehicle"].astype("string").str.strip()  # missing cells stay missing
        named = (text.notna() & (text != "")).to_numpy(dtype=bool)
        names[named] = text[named].to_numpy(dtype=object)
    payload = np.full(n, np.nan)
    if "payload_kg" in trips.columns:
        payload = pd.to_numeric(trips["payload_kg"], errors="coerce").to_numpy(dtype=float)
        unreadable = trips["payload_kg"].notna().to_numpy(dtype=bool) & np.isnan(payload)
        bad(unreadable, "payload_kg is not a number")
        negative = ~np.isnan(payload) & ((payload < 0) | ~np.isfinite(payload))
        bad(negative, "payload_kg must be a finite number >= 0")

    # Departures (issue 12): seconds since Monday 00:00, from ISO strings, datetimes or
    # numbers; routed on the network's speed profiles (RoadNetwork.with_speeds).
    departure = np.full(n, np.nan)
    if "departure" in trips.columns:
        from .traffic import departure_seconds

        filled = trips["departure"].notna().to_numpy(dtype=bool)
        text = np.full(n, None, dtype=object)
        for i in np.flatnonzero(filled).tolist():
            try:
                departure[i] = departure_seconds(trips["departure"].iloc[i])
            except (TypeError, ValueError) as error:
                text[i] = f"departure is not a time: {error}"
        bad(np.array([t is not None for t in text]), text)
        if (filled & (status == "ok")).any() and not _carries_speeds(network):
            msg = (
                "the trips have departure times but the network carries no speed profiles: "
                "give it some with network.with_speeds(ecoroute.read_speeds(path))."
            )
            raise BatchError(msg)
    budget = np.full(n, np.nan if max_extra_time is None else float(max_extra_time))
    if "max_extra_time" in trips.columns:
        given = pd.to_numeric(trips["max_extra_time"], errors="coerce").to_numpy(dtype=float)
        filled = trips["max_extra_time"].notna().to_numpy(dtype=bool)
        bad(filled & np.isnan(given), "max_extra_time is not a number (0.05 means 5 % more time)")
        bad(
            filled & ~np.isnan(given) & ~((given >= 0) & (given <= MAX_EXTRA_TIME)),
            f"max_extra_time must be a fraction from 0 to {MAX_EXTRA_TIME:g} (0.05 = 5 %)",
        )
        budget = np.where(filled & np.isfinite(given), given, budget)
    bad(
        np.isfinite(departure) & np.isfinite(budget),
        "a departure and a time budget (max_extra_time) cannot be combined yet",
    )

    # Vehicles and payloads are checked as given, per row, before any rounding.
    payload_bin = np.full(n, np.nan)
    for name in sorted(set(names[status == "ok"].tolist())):
        rows = (names == name) & (status == "ok")
        model = routers.vehicle(name)
        if isinstance(model, str):
            bad(rows, model)
            continue
        limit = getattr(model, "max_payload_kg", None)
        if limit is not None:
            over = rows & (payload > limit)
            text = np.full(n, None, dtype=object)
            for i in np.flatnonzero(over).tolist():
                text[i] = (
                    f"payload_kg={payload[i]:g} is above {name}'s maximum payload of "
                    f"{limit:g} kg; split the load or pick a bigger vehicle"
                )
            bad(over, text)
        binned = np.round(payload[rows] / PAYLOAD_STEP_KG) * PAYLOAD_STEP_KG
        payload_bin[rows] = binned if limit is None else np.minimum(binned, limit)

    _snap_per_vehicle(
        network, routers, points, names, payload_bin, status, index, ends, bad, max_snap_m
    )

    geometry_column = np.full(n, None, dtype=object)
    quantity_columns = ("co2_g", "co2e_wtw_g", "fuel_l", "energy_kwh", "time_s", "distance_m")
    routable = status == "ok"
    used = {end: ends[end].as_nodes(network) for end in ends}  # where routes start and end
    keys = pd.DataFrame({"vehicle": names.astype(str), "payload": payload_bin, "budget": budget})
    groups = keys[routable].groupby(["vehicle", "payload", "budget"], dropna=False, sort=True)
    for (name, bin_kg, extra), rows in groups.groups.items():
        rows = np.asarray(rows)
        eco, fastest = routers.get(
            str(name),
            None if pd.isna(bin_kg) else float(bin_kg),
            None if pd.isna(extra) else float(extra),
        )
        # The nearest roads first, the largest part's for the pairs they cannot join, as
        # Router.route_many (issue 24); part-way along the snapped roads, rows with a
        # departure on their hour's metric, rows with a time budget under it (docs/turns.md).
        routed = pairs_with_fallback(
            functools.partial(_route_group, eco, fastest, departure[rows]),
            _group_snaps(ends["origin"], points.get("origin"), rows, eco, max_snap_m),
            _group_snaps(ends["destination"], points.get("destination"), rows, eco, max_snap_m),
            joined=lambda pair: np.isfinite(pair[0].cost),
            overwrite=lambda base, at, part, picked: (
                overwrite_pairs(base[0], at, part[0], picked),
                overwrite_pairs(base[1], at, part[1], picked),
            ),
        )
        result, best = routed.result
        src, dst = routed.source, routed.target
        s, t = src.node, dst.node
        index["origin"][rows], index["destination"][rows] = s, t
        partway = src.partway | dst.partway
        for end, chosen in (("origin", src), ("destination", dst)):
            here = chosen.as_nodes(network).replace(np.flatnonzero(partway), chosen.take(partway))
            used[end] = used[end].replace(rows, here)
        out["cost"][rows] = result.cost
        for q in quantity_columns:
            if q in result.quantities:
                out[q][rows] = result.quantities[q]
        out["fastest_co2_g"][rows] = best.quantities["co2_g"]
        out["fastest_time_s"][rows] = best.quantities["time_s"]
        out["fastest_distance_m"][rows] = best.quantities["distance_m"]
        if result.bounds:
            gap = next(v for k, v in result.bounds.items() if not k.startswith("fastest_"))
            out["objective_gap"][rows] = gap
            out["max_extra_time"][rows] = extra
        unreachable = ~np.isfinite(result.cost)
        status[rows[unreachable]] = "no_route"
        message[rows[unreachable]] = "the destination cannot be reached from the origin"
        if geometry is not None:
            # Paths in small batches: memory stays bounded however long the routes are.
            for begin in range(0, rows.size, GEOMETRY_BATCH_ROUTES):
                part = np.arange(begin, min(rows.size, begin + GEOMETRY_BATCH_ROUTES))
                along = part[partway[part]]
                if along.size:  # part-way routes: lines from and to the snapped points
                    paths = _partway_with_departures(
                        eco,
                        src.take(along),
                        dst.take(along),
                        departure[rows][along],
                        with_paths=True,
                    )
                    lines = partway_lines(network, s[along], paths)
                    geometry_column[rows[along]] = _encode_lines(lines, geometry)
                part = part[~partway[part]]
                if not part.size:
                    continue
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
    for q in (*quantity_columns, "cost", "fastest_co2_g", "fastest_time_s", "fastest_distance_m",
              "objective_gap"):  # fmt: skip
        out[q][failed] = np.nan
    origin_node[routable] = network.node_id[index["origin"][routable]]
    destination_node[routable] = network.node_id[index["destination"][routable]]
    out["status"], out["message"] = status, message
    out["vehicle"] = names.astype(str)
    out["payload_kg"] = payload
    out["departure_s"] = np.where(status == "ok", departure, np.nan)
    out["origin_node"], out["destination_node"] = origin_node, destination_node
    for end in ("origin", "destination"):
        out[f"{end}_snap_m"] = np.where(routable, used[end].distance_m, np.nan)
        out[f"{end}_snap_lat"] = np.where(routable, used[end].lat, np.nan)
        out[f"{end}_snap_lon"] = np.where(routable, used[end].lon, np.nan)
    frame = pd.DataFrame({name: out[name] for name in RESULT_COLUMNS})
    if geometry is not None:
        frame["geometry"] = geometry_column
    return frame


def _group_snaps(
    ends: Endpoints,
    coordinates: tuple[npt.NDArray[np.intp], npt.NDArray[np.float64], npt.NDArray[np.float64]]
    | None,
    rows: npt.NDArray[np.intp],
    router: Router,
    max_snap_m: float,
) -> PointSnaps:
    """
    One group's trip ends at their nearest snaps, movable onto its vehicle's largest part.

    ``coordinates`` holds the rows given by coordinates and their (lat, lon);
    the other rows (node ids) stay where they are.
    """
    lat = np.full(ends.node.size, np.nan)
    lon = np.full(ends.node.size, np.nan)
    if coordinates is not None:
        at, lat_given, lon_given = coordinates
        lat[at], lon[at] = lat_given, lon_given
    mine = ends.take(rows)
    by_id = np.isnan(lat[rows])
    return PointSnaps(mine, lat[rows], lon[rows], router.snapper, max_snap_m, by_id)


def _route_group(
    eco: Router,
    fastest: Router,
    departures: npt.NDArray[np.float64],
    pairs: npt.NDArray[np.int64],
    src: Endpoints,
    dst: Endpoints,
) -> tuple[PairResults, PairResults]:
    """
    Eco and fastest routes of a group's ``pairs`` between ``src`` and ``dst`` (one per pair).

    Part-way where a point is snapped, node to node elsewhere; ``departures``
    (the group's, NaN: none) leave on their hour's metric.
    """
    s, t = src.node, dst.node
    seconds = departures[pairs]
    timed = np.isfinite(seconds)
    partway = src.partway | dst.partway
    at = ~partway
    if timed[at].any():  # departures: the metric of each departure hour
        result = _route_with_departures(eco, s[at], t[at], seconds[at])
        best = _route_with_departures(fastest, s[at], t[at], seconds[at])
    else:
        result = eco.route_indices(s[at], t[at], progress=False)
        best = fastest.route_indices(s[at], t[at], progress=False)
    if partway.any():
        ways = (src.take(partway), dst.take(partway), seconds[partway])
        result = _merge_pairs(result, partway, _partway_with_departures(eco, *ways))
        best = _merge_pairs(best, partway, _partway_with_departures(fastest, *ways))
    return result, best


def _merge_pairs(
    nodes: PairResults, partway: npt.NDArray[np.bool_], along: PairResults
) -> PairResults:
    """Costs, quantities and budget bounds of a group: ``along`` where ``partway``, ``nodes`` elsewhere."""
    cost = np.empty(partway.size)
    cost[~partway], cost[partway] = nodes.cost, along.cost
    merged_fields: list[dict[str, npt.NDArray[np.float64]]] = []
    for node_part, along_part in (
        (nodes.quantities, along.quantities),
        (nodes.bounds, along.bounds),
    ):
        fields = {}
        for name, values in node_part.items():
            merged = np.empty(partway.size)
            merged[~partway], merged[partway] = values, along_part[name]
            fields[name] = merged
        merged_fields.append(fields)
    return PairResults(cost=cost, quantities=merged_fields[0], bounds=merged_fields[1])


def _encode_lines(lines: list[Any], kind: Geometry) -> npt.NDArray[np.object_]:
    """(lon, lat) point arrays as WKB bytes or GeoJSON strings (None stays None)."""
    import shapely

    values = np.full(len(lines), None, dtype=object)
    have = [i for i, line in enumerate(lines) if line is not None]
    if have:
        coords = np.concatenate([lines[i] for i in have])
        which = np.repeat(np.arange(len(have)), [len(lines[i]) for i in have])
        shapes = shapely.linestrings(coords, indices=which)
        encoded = shapely.to_wkb(shapes) if kind == "wkb" else shapely.to_geojson(shapes)
        values[have] = np.asarray(encoded, dtype=object)
    return values


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
    max_extra_time: float | None = None,
    keep: Sequence[str] | None = None,
    turns: TurnRestrictions | TurnGraph | None = None,
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
    keep
        The trips' columns to carry into the results, beside ``trip_id``
        (which keeps the trips' own type: int ids stay ints). None (the
        default) carries every column the job does not read (order numbers,
        customers, depots...), so ``trips.merge(results, on="trip_id")``
        needs no second join; ``[]`` carries none.
    overwrite
        Replace an existing output file, and start afresh: checkpoints of an
        earlier run of the job are deleted, not resumed. Without it an
        existing result is refused, and checkpoints are resumed.
    max_extra_time
        Eco-routes within this fraction of extra time over the fastest route
        (0.05 = 5 %); a ``max_extra_time`` column in the trips wins where
        filled. The result's ``objective_gap`` bounds the distance to the
        exact optimum.
    turns
        Turn restrictions and intersection costs
        (:func:`ecoroute.turns.read_turns`): every trip then obeys them (not
        with ``dask`` yet).

    Returns
    -------
    BatchSummary
        Counts of trips by status, chunks, and how many were resumed.

    Raises
    ------
    BatchError
        (a ``ValueError``), before any routing, if the trips cannot be read
        (missing, empty, not UTF-8/UTF-16 text, not Parquet) or lack columns,
        the objective is unknown or not reported by ``vehicle``, ``threads``
        is not 0..4096, ``out`` is a folder or has an unknown suffix, or
        ``<out>.parts`` holds checkpoints of a different job.
    UnknownVehicleError
        (a ``KeyError``) if ``vehicle`` is not in the catalogue.
    FileExistsError
        If ``out`` exists and ``overwrite`` is False.

    Notes
    -----
    Every result file and checkpoint has the schema :func:`result_schema`
    gives for the options; in particular ``trip_id`` is always text.
    """
    out = Path(out)
    if geometry is True:
        geometry = "wkb"
    if geometry not in (None, False, "wkb", "geojson"):
        msg = f"geometry must be 'wkb' or 'geojson', not {geometry!r}."
        raise BatchError(msg)
    geometry = geometry or None
    if chunk_rows is None:
        chunk_rows = GEOMETRY_CHUNK_ROWS if geometry else DEFAULT_CHUNK_ROWS
    if (
        isinstance(chunk_rows, bool)
        or not isinstance(chunk_rows, int | np.integer)
        or chunk_rows < 1
    ):
        msg = f"chunk_rows must be a whole number >= 1, not {chunk_rows!r}."
        raise BatchError(msg)
    chunk_rows = int(chunk_rows)
    check_job(vehicle, objective, threads, max_extra_time)
    sources = [x for x in (trips, network) if isinstance(x, str | os.PathLike)]
    parts = _check_output(out, overwrite, sources)
    lock = _take_lock(out)
    try:
        _remove_stale_temporaries(out, parts)
        if overwrite and parts.exists():  # --overwrite starts afresh, checkpoints included
            shutil.rmtree(parts)
        if not isinstance(network, RoadNetwork) and not Path(network).is_file():
            msg = f"{network}: no such network file (a saved network or an OSM file)."
            raise BatchError(msg)
        table = _open_trips(trips)
        carried, rows = _carried(table, keep)
        if table.rows is None:  # a CSV: now its length is known, for the progress bar
            table = dataclasses.replace(table, rows=rows)
        schema = carried.schema(geometry)

        job: dict[str, Any] = {
            "trips": _fingerprint(table.source),
            "network": _fingerprint(network),
            "vehicle": vehicle,
            "objective": objective if isinstance(objective, str) else dict(objective),
            "geometry": geometry,
            "chunk_rows": chunk_rows,
            "format": 1,
        }
        if max_extra_time is not None:  # jobs without a budget resume checkpoints of older versions
            job["max_extra_time"] = max_extra_time
        if carried.columns:  # likewise: jobs that carry nothing resume older checkpoints
            job["carried"] = [list(column) for column in carried.columns]
        if turns is not None:
            if dask is not None:
                msg = (
                    "turn restrictions are not sent to Dask workers yet: run this job without dask."
                )
                raise BatchError(msg)
            job["turns"] = _turns_fingerprint(turns)
        _open_parts(parts, job)
        total = table.rows

        from tqdm.auto import tqdm

        from ._progress import quiet

        show = (
            progress
            if progress is not None
            else not quiet() and (total is None or total > chunk_rows)
        )
        resumed = 0
        chunks = 0
        with tqdm(total=total, disable=not show, unit="trip", desc="batch") as bar:
            if dask is not None:
                chunks, resumed = _run_dask(
                    dask, network, table, parts, job, threads, bar, carried, schema
                )
            else:
                net = network if isinstance(network, RoadNetwork) else _load_network(network)
                routers = _Routers(net, objective, threads, turns=turns)
                for number, chunk in enumerate(_iter_chunks(table, chunk_rows)):
                    chunks += 1
                    part = parts / f"part-{number:06d}.parquet"
                    if part.exists():
                        resumed += 1
                    else:
                        result = process_chunk(net, chunk, vehicle=vehicle, objective=objective,
                                               geometry=geometry, routers=routers,
                                               max_extra_time=max_extra_time)  # fmt: skip
                        _write_atomic(carried.apply(result, chunk), part, schema)
                    bar.update(len(chunk))

        counts, reasons, totals = _assemble(parts, chunks, out, schema)
        shutil.rmtree(parts)
        summary = BatchSummary(output=out, trips=sum(counts.values()), ok=counts.get("ok", 0),
                               no_route=counts.get("no_route", 0), bad_input=counts.get("bad_input", 0),
                               chunks=chunks, resumed_chunks=resumed, reasons=reasons,
                               vehicle=vehicle, objective=objective_label(objective),
                               totals=totals)  # fmt: skip
    finally:
        lock.unlink(missing_ok=True)
    log.info("batch: %s", summary)
    return summary


def _turns_fingerprint(turns: TurnRestrictions | TurnGraph) -> str:
    """A digest of the restrictions, so that a resumed job keeps the rules it started with."""
    from .turns import TurnGraph

    rules = turns.turns if isinstance(turns, TurnGraph) else turns
    digest = hashlib.sha256()
    for name in ("forbidden", "via_way_offsets", "via_way_arcs", "penalty_arcs", "penalty_s"):
        digest.update(np.ascontiguousarray(getattr(rules, name)).tobytes())
    digest.update(f"{rules.u_turns}:{rules.intersection_costs}".encode())
    return digest.hexdigest()[:16]


def _carries_speeds(network: RoadNetwork) -> bool:
    return any(name.startswith("speeds.") for name in network.attachments)


def _route_with_departures(
    router: Router,
    s: npt.NDArray[np.int64],
    t: npt.NDArray[np.int64],
    seconds: npt.NDArray[np.float64],
) -> PairResults:
    """route_indices where some pairs leave at a time: those on their hour's metric."""
    timed = np.isfinite(seconds)
    if timed.all():
        return router.route_indices(s, t, departure=seconds, progress=False)
    free = router.route_indices(s[~timed], t[~timed], progress=False)
    hourly = router.route_indices(s[timed], t[timed], departure=seconds[timed], progress=False)
    cost = np.empty(s.size)
    cost[~timed], cost[timed] = free.cost, hourly.cost
    quantities = {}
    for name, values in free.quantities.items():
        merged = np.empty(s.size)
        merged[~timed], merged[timed] = values, hourly.quantities[name]
        quantities[name] = merged
    return PairResults(cost=cost, quantities=quantities)


def _partway_with_departures(
    router: Router,
    src: Endpoints,
    dst: Endpoints,
    seconds: npt.NDArray[np.float64],
    *,
    with_paths: bool = False,
) -> PairResults:
    """Part-way pairs where some leave at a time (NaN: none): those on their hour's metric."""
    from .traffic import gather_pairs

    timed = np.isfinite(seconds)
    if router.budget is not None:  # rows with a budget have no departure (bad_input rows)
        threads = router.num_threads
        return router._bounded_partway_pairs(src, dst, with_paths=with_paths, threads=threads)
    if not timed.any():
        return partway_pairs(router, src, dst, with_paths=with_paths)
    hourly = router._traffic_for(seconds[timed]).partway_departures(
        src.take(timed),
        dst.take(timed),
        seconds[timed],
        with_paths=with_paths,
        num_threads=router.num_threads,
        progress=False,
        time_dependent=False,
    )
    if timed.all():
        return hourly
    free = partway_pairs(router, src.take(~timed), dst.take(~timed), with_paths=with_paths)
    groups = [np.flatnonzero(~timed), np.flatnonzero(timed)]
    return gather_pairs([free, hourly], groups, timed.size)


def _check_output(out: Path, overwrite: bool, inputs: Sequence[Any] = ()) -> Path:
    """Refuse an output path that cannot be written before any work; return the checkpoint folder."""
    from ._outputs import OutputError, output_file

    if out.is_dir():
        msg = f"{out} is a folder; give the result file's name, such as {out / 'results.parquet'}."
        raise BatchError(msg)
    if not out.name.lower().endswith(OUTPUT_SUFFIXES):
        msg = f"{out}: the result file must end in .parquet (recommended) or .csv."
        raise BatchError(msg)
    parts = out.with_name(out.name + ".parts")
    if parts.exists() and not parts.is_dir():
        msg = f"{parts} is in the way of the job's checkpoint folder; move or remove it."
        raise BatchError(msg)
    if out.exists() and not parts.exists() and not overwrite:
        msg = f"{out} already exists; pass overwrite=True (--overwrite) to replace it."
        raise FileExistsError(msg)
    try:  # never over an input (trips or network), a device or into a missing folder
        output_file(out, inputs=inputs, what="the result file")
    except OutputError as error:
        raise BatchError(str(error)) from error
    return parts


#: Seconds after which a lock whose process cannot be asked (another host) counts as stale.
_LOCK_STALE_S = 24 * 3600


def _take_lock(out: Path) -> Path:
    """
    Take ``<out>.lock`` for this job (pid and host inside), or say who holds it.

    A second job on the same output refuses at once instead of deleting the
    first one's checkpoints. A lock left by a dead process on this host (or
    older than a day from another host) is taken over.
    """
    import socket
    import time

    lock = out.with_name(out.name + ".lock")
    mine = json.dumps({"pid": os.getpid(), "host": socket.gethostname()})
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text())
                age = time.time() - lock.stat().st_mtime
            except (OSError, ValueError):
                holder, age = {}, math.inf
            if _alive(holder) and age < _LOCK_STALE_S:
                msg = (
                    f"{out} is being written by another job (process {holder.get('pid')} on "
                    f"{holder.get('host')}, lock {lock}); wait for it to finish, or remove the "
                    "lock if that job is gone."
                )
                raise BatchError(msg) from None
            lock.unlink(missing_ok=True)  # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            f.write(mine)
        return lock
    msg = f"could not take the lock {lock}; remove it if no job is writing {out}."
    raise BatchError(msg)


def _alive(holder: Mapping[str, Any]) -> bool:
    """Whether the process that wrote a lock may still run (unknown hosts: assume so)."""
    import socket

    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False
    if holder.get("host") != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _remove_stale_temporaries(out: Path, parts: Path) -> None:
    """Remove what a killed job left half-written (it holds the lock, so none is live)."""
    for tmp in out.parent.glob(f".{out.name}.*.tmp"):
        tmp.unlink(missing_ok=True)
    if parts.is_dir():
        for tmp in parts.glob(".*.tmp"):
            tmp.unlink(missing_ok=True)


def _load_network(path: str | Path) -> RoadNetwork:
    from ._osm_files import SUFFIXES
    from .osm import load_osm

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


def _write_atomic(frame: pd.DataFrame, path: Path, schema: pa.Schema) -> None:
    """Write a chunk's results with the job's schema, atomically (write, fsync, rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table.replace_schema_metadata(None), tmp)
    with tmp.open("rb") as f:
        os.fsync(f.fileno())
    tmp.replace(path)


def _conform(table: pa.Table, schema: pa.Schema, part: Path) -> pa.Table:
    """
    Return a checkpoint's table in the job's schema.

    Parts written by this version already have it; parts of a job started by
    an earlier version (integer trip ids, a null-typed geometry column) are
    cast, so a resumed job stays consistent. A part that cannot be cast is
    reported by name.
    """
    import pyarrow as pa

    for name in ADDED_COLUMNS:  # parts of jobs started before these columns existed
        if name not in table.column_names:
            table = table.append_column(name, pa.nulls(table.num_rows, pa.float64()))
    missing = [name for name in schema.names if name not in table.column_names]
    try:
        if missing:
            msg = f"lacks column {missing[0]}"
            raise TypeError(msg)
        return table.select(schema.names).cast(schema)
    except (TypeError, pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        msg = (
            f"checkpoint {part} does not fit this job's result schema ({error}); remove "
            f"{part.parent} to run the job again from the start."
        )
        raise BatchError(msg) from error


def _assemble(
    parts: Path, chunks: int, out: Path, schema: pa.Schema
) -> tuple[dict[str, int], tuple[tuple[int, str], ...], dict[str, float]]:
    """
    Concatenate the parts in order into ``out`` (atomically), streaming one part at a time.

    Returns the rows per status, the most frequent failure reasons and the
    sums of :data:`SUMMED_COLUMNS` over the routed rows.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    totals = dict.fromkeys(SUMMED_COLUMNS, 0.0)
    reasons: dict[str, list[Any]] = {}  # message with its numbers blanked -> [count, example]
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    csv = out.name.lower().endswith(".csv")
    geometry = schema.get_field_index("geometry")
    hex_geometry = csv and geometry >= 0 and pa.types.is_binary(schema.field(geometry).type)
    if hex_geometry:  # CSV holds text: WKB is written as hex
        file_schema = schema.set(geometry, pa.field("geometry", pa.string()))
    else:
        file_schema = schema
    writer: Any = (
        pacsv.CSVWriter(str(tmp), file_schema) if csv else pq.ParquetWriter(str(tmp), file_schema)
    )
    seen: set[str] = set()
    try:
        for number in range(chunks):
            part = parts / f"part-{number:06d}.parquet"
            table = _flag_repeated_ids(_conform(pq.read_table(part), schema, part), seen)
            for value, count in zip(*np.unique(table.column("status").to_numpy(zero_copy_only=False),
                                               return_counts=True), strict=True):  # fmt: skip
                counts[str(value)] = counts.get(str(value), 0) + int(count)
            _count_reasons(table, reasons)
            _add_totals(table, totals)
            if hex_geometry:
                text = [None if g is None else g.hex() for g in table.column(geometry).to_pylist()]
                table = table.set_column(geometry, "geometry", pa.array(text, pa.string()))
            writer.write_table(table)
        writer.close()
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)
    ranked = sorted(reasons.values(), key=lambda r: -int(r[0]))[:_REASONS_SHOWN]
    return counts, tuple((int(n), str(text)) for n, text in ranked), totals


#: Result columns a job's summary sums over its routed rows (BatchSummary.totals).
SUMMED_COLUMNS = ("co2_g", "fastest_co2_g", "time_s", "distance_m")


def _add_totals(table: pa.Table, totals: dict[str, float]) -> None:
    """Add the routed rows' sums of :data:`SUMMED_COLUMNS` in ``table`` to ``totals``."""
    ok = table.column("status").to_numpy(zero_copy_only=False) == "ok"
    for name in SUMMED_COLUMNS:
        values = table.column(name).to_numpy(zero_copy_only=False)
        totals[name] += float(np.asarray(values[ok], dtype=np.float64).sum())


#: Failure reasons a job summary lists.
_REASONS_SHOWN = 5
_NUMBER = re.compile(r"-?\d[\d,.]*")


def _count_reasons(table: pa.Table, reasons: dict[str, list[Any]]) -> None:
    """Count the messages of the part's failed rows, by their text with numbers blanked."""
    status = table.column("status").to_numpy(zero_copy_only=False)
    failed = np.flatnonzero(status != "ok")
    if failed.size == 0:
        return
    messages = table.column("message").to_numpy(zero_copy_only=False)[failed]
    for text in messages.tolist():
        key = _NUMBER.sub("#", str(text))
        entry = reasons.setdefault(key, [0, text])
        entry[0] += 1


def _flag_repeated_ids(table: pa.Table, seen: set[str]) -> pa.Table:
    """Mark rows whose trip_id an earlier row of the job had (``seen``, updated) as bad input."""
    import pyarrow as pa

    ids = table.column("trip_id").to_pylist()
    repeat = np.zeros(len(ids), dtype=bool)
    for k, value in enumerate(ids):
        if value is None:
            continue
        if value in seen:
            repeat[k] = True
        else:
            seen.add(value)
    status = np.asarray(table.column("status").to_pylist(), dtype=object)
    fresh = repeat & (status == "ok")
    if not fresh.any():
        return table
    message = np.asarray(table.column("message").to_pylist(), dtype=object)
    status[fresh] = "bad_input"
    message[fresh] = "trip_id repeats an earlier row: ids must be unique to join results back"
    for name, values in (("status", status), ("message", message)):
        at = table.schema.get_field_index(name)
        table = table.set_column(at, name, pa.array(values.tolist(), table.schema.field(at).type))
    return table


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
                         geometry=job["geometry"], routers=state,
                         max_extra_time=job.get("max_extra_time"))  # fmt: skip


def _run_dask(
    address: Any,
    network: Any,
    trips: _Trips,
    parts: Path,
    job: dict[str, Any],
    threads: int,
    bar: Any,
    carried: _Carried,
    schema: pa.Schema,
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
        numbers: dict[Any, tuple[int, pd.DataFrame]] = {}

        def drain(limit: int) -> None:
            while in_flight.count() > limit:
                future = next(in_flight)
                number, chunk = numbers.pop(future)
                result = carried.apply(future.result(), chunk)
                _write_atomic(result, parts / f"part-{number:06d}.parquet", schema)
                bar.update(len(chunk))

        for number, chunk in enumerate(_iter_chunks(trips, job["chunk_rows"])):
            chunks += 1
            if (parts / f"part-{number:06d}.parquet").exists():
                resumed += 1
                bar.update(len(chunk))
                continue
            future = client.submit(
                _process_on_worker, network_path, chunk, job, threads, pure=False
            )
            numbers[future] = (number, chunk)
            in_flight.add(future)
            drain(2 * workers)  # bounded: at most two chunks per worker in flight
        drain(0)
    finally:
        for thing in owned:
            thing.close()
    return chunks, resumed
