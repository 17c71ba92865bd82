"""Traffic in time: hour-of-week speed data, per-arc profiles, departure times, congestion."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._errors import NoRouteError, SpeedDataError, SpeedDataWarning
from ._geo import haversine_m, unit_vectors
from .objectives import ALGORITHM_ENUM, reduced_weight
from .results import PairResults, Route
from .speeds import KPH_PER_MPH

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .routing import Router
    from .snapping import Endpoints
    from .vehicles import Vehicle

FloatArray = npt.NDArray[np.float64]

#: Hours in a profile: a week, Monday 00:00-01:00 is hour 0, Sunday 23:00-24:00 hour 167.
HOURS_PER_WEEK = 168
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_WEEK = HOURS_PER_WEEK * SECONDS_PER_HOUR

#: Fastest mean speed a row of speed data may hold, km/h. Above it a row is
#: refused as a unit or data error: no public road's *mean* hourly speed comes
#: near it (the highest posted limits are 130-160 km/h; German Autobahn
#: sections without a limit average well below 150 km/h).
MAX_SPEED_KPH = 250.0

#: ``hour_of_week`` of a row that holds for every hour (OSRM's static speeds).
EVERY_HOUR = -1

#: Cap of :func:`congestion_factor`: stop-and-go never multiplies the
#: traffic-dynamics term by more than this.
MAX_CONGESTION_FACTOR = 3.0

#: Hour metrics kept per router for matrices and batches (least recently used go first).
_ENGINE_CACHE_HOURS = 4

#: Hours of per-arc quantities kept per router (for reporting time-dependent routes).
_QUANTITY_CACHE_HOURS = 8

SpeedFormat = Literal["auto", "uber", "osrm"]


# ---------------------------------------------------------------------- reading


@dataclass(frozen=True, eq=False)
class SpeedTable:
    """
    Observed speeds per directed OSM segment (a pair of adjacent OSM nodes) and hour of week.

    Returned by :func:`read_speeds`; turned into per-arc profiles by
    :func:`with_speeds`. One row per segment and hour (several observations
    of the same segment and hour are already combined).

    Attributes
    ----------
    start_node, end_node
        OSM node ids of each segment, in driving direction (int64).
    hour_of_week
        0 (Monday 00:00-01:00) .. 167, or :data:`EVERY_HOUR` (-1) for a row
        that holds all week (OSRM's static speeds).
    speed_kph
        Mean speed in km/h (converted from mph where the file gives mph).
    source
        The file read.
    format
        ``"uber"`` (hourly, Uber Movement style) or ``"osrm"`` (static segment speeds).
    rows_read
        Data rows in the file.
    """

    start_node: npt.NDArray[np.int64]
    end_node: npt.NDArray[np.int64]
    hour_of_week: npt.NDArray[np.int16]
    speed_kph: FloatArray
    source: str = ""
    format: str = ""
    rows_read: int = 0

    def __len__(self) -> int:
        return int(self.speed_kph.size)

    def to_frame(self) -> pd.DataFrame:
        """Return the table as a DataFrame with one column per attribute."""
        return pd.DataFrame(
            {
                "start_node": self.start_node,
                "end_node": self.end_node,
                "hour_of_week": self.hour_of_week,
                "speed_kph": self.speed_kph,
            }
        )


def read_speeds(
    path: str | Path, *, format: SpeedFormat = "auto", timezone: str | None = None
) -> SpeedTable:
    """
    Read segment speeds from an Uber-Movement-style hourly file or an OSRM segment-speed CSV.

    Formats:

    * ``"uber"`` (CSV or Parquet, with a header; extra columns are ignored):
      ``osm_start_node_id``, ``osm_end_node_id``, ``hour_of_day`` (or
      Uber's ``hour``; 0-23), ``speed_kph_mean`` or ``speed_mph_mean``, and
      for the day one of ``day_of_week`` (0 = Monday), Uber's ``year``,
      ``month``, ``day`` (a local date), or ``utc_timestamp`` (converted to
      ``timezone``, UTC by default; it then gives the hour too). Without a
      day the hour holds for every day of the week. Several observations
      of one segment and hour (e.g. several weeks) are combined by their
      mean travel time per metre (the harmonic mean of their speeds).
    * ``"osrm"`` (CSV without a header, as ``osrm-contract --segment-speed-file``
      reads it): ``from_osm_id,to_osm_id,speed_kph[,rate]``; the rate is
      ignored and the speed holds all week. Where a segment appears twice the
      last row wins, as in OSRM.

    ``"auto"`` picks Uber for Parquet files and for CSV files whose first
    line names ``osm_start_node_id``, OSRM otherwise.

    Parameters
    ----------
    path
        The file (``.csv``, ``.csv.gz``, ``.parquet``).
    format
        ``"auto"`` (the default), ``"uber"`` or ``"osrm"``.
    timezone
        Time zone for ``utc_timestamp`` (e.g. ``"Europe/Malta"``); ignored otherwise.

    Returns
    -------
    SpeedTable
        One row per directed segment and hour of week.

    Raises
    ------
    SpeedDataError
        (a ``ValueError``) naming the file, line and field of the first bad
        row: a missing column, a node id that is not an integer, an hour or
        day out of range, a speed that is not a number, <= 0 or above
        :data:`MAX_SPEED_KPH`.
    FileNotFoundError
        If the file does not exist.
    """
    path = Path(path)
    if not path.exists():
        msg = f"Speed file {path} does not exist."
        raise FileNotFoundError(msg)
    parquet = path.suffix.lower() in {".parquet", ".pq"}
    if format == "auto":
        format = "uber" if parquet or _first_line_names_columns(path) else "osrm"
    if format == "uber":
        if parquet:
            frame = pd.read_parquet(path)
            line_of_first_row, unit = 1, "row"
        else:
            frame = _read_csv(path, header=0, dtype=str)
            line_of_first_row, unit = 2, "line"
        return _uber_table(frame, path, line_of_first_row, unit, timezone)
    if format == "osrm":
        if parquet:
            msg = f"{path}: OSRM segment speeds are a CSV file, not Parquet."
            raise SpeedDataError(msg)
        return _osrm_table(path)
    msg = f"format must be 'auto', 'uber' or 'osrm', not {format!r}."
    raise ValueError(msg)


def _first_line_names_columns(path: Path) -> bool:
    import gzip

    opener: Any = gzip.open if path.suffix.lower() == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    return "osm_start_node_id" in first


def _read_csv(path: Path, **options: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(path, skipinitialspace=True, keep_default_na=False, **options)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError as error:
        msg = f"{path}: not a readable CSV file ({error})."
        raise SpeedDataError(msg) from error


def _refuse(path: Path, where: str, field: str, value: Any, reason: str) -> SpeedDataError:
    return SpeedDataError(
        f"{path}, {where}: {field} = {value!r} {reason}. Fix or delete the row and read again."
    )


def _integers(
    frame: pd.DataFrame, column: str, path: Path, where: Any, low: int | None, high: int | None
) -> npt.NDArray[np.int64]:
    """A column as int64, refusing the first value that is not an integer in [low, high]."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values))
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        span = "" if low is None else f" from {low} to {high}"
        raise _refuse(path, where(i), column, raw.iloc[i], f"is not an integer{span}")
    if column.startswith("osm_") or column.endswith("osm_id"):
        # Node ids above 2**53 do not survive float64: read them exactly.
        return np.asarray(pd.to_numeric(raw).to_numpy(), dtype=np.int64)
    return values.astype(np.int64)


def _speeds(frame: pd.DataFrame, column: str, path: Path, where: Any, factor: float) -> FloatArray:
    """A speed column in km/h, refusing NaN, non-numbers, <= 0 and > MAX_SPEED_KPH."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64) * factor
    bad = ~np.isfinite(values) | (values <= 0) | (values > MAX_SPEED_KPH)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        reason = f"is not a speed above 0 and at most {MAX_SPEED_KPH:g} km/h" + (
            f" ({MAX_SPEED_KPH / factor:.4g} mph)" if factor != 1.0 else ""
        )
        raise _refuse(path, where(i), column, raw.iloc[i], reason)
    return values


def _uber_table(
    frame: pd.DataFrame, path: Path, first: int, unit: str, timezone: str | None
) -> SpeedTable:
    def where(i: int) -> str:
        return f"{unit} {i + first}"

    columns = set(frame.columns)
    needed = ["osm_start_node_id", "osm_end_node_id"]
    hour_column = next((c for c in ("hour_of_day", "hour") if c in columns), None)
    speed_column = next((c for c in ("speed_kph_mean", "speed_mph_mean") if c in columns), None)
    missing = [c for c in needed if c not in columns]
    if speed_column is None:
        missing.append("speed_kph_mean (or speed_mph_mean)")
    if hour_column is None and "utc_timestamp" not in columns:
        missing.append("hour_of_day (or hour, or utc_timestamp)")
    if missing:
        msg = (
            f"{path}: lacks the column(s) {', '.join(missing)}; an hourly speed file needs "
            "osm_start_node_id, osm_end_node_id, hour_of_day and speed_kph_mean or speed_mph_mean."
        )
        raise SpeedDataError(msg)
    assert speed_column is not None
    start = _integers(frame, "osm_start_node_id", path, where, None, None)
    end = _integers(frame, "osm_end_node_id", path, where, None, None)
    factor = KPH_PER_MPH if speed_column == "speed_mph_mean" else 1.0
    speed = _speeds(frame, speed_column, path, where, factor)

    day: npt.NDArray[np.int64] | None = None
    hour: npt.NDArray[np.int64]
    if "day_of_week" in columns:
        day = _integers(frame, "day_of_week", path, where, 0, 6)
    elif {"year", "month", "day"} <= columns:
        parts = {c: _integers(frame, c, path, where, 1, None) for c in ("year", "month", "day")}
        dates = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
        if dates.isna().any():
            i = int(np.flatnonzero(dates.isna().to_numpy())[0])
            value = f"{parts['year'][i]}-{parts['month'][i]}-{parts['day'][i]}"
            raise _refuse(path, where(i), "year-month-day", value, "is not a date")
        day = dates.dt.day_of_week.to_numpy(dtype=np.int64)
    elif "utc_timestamp" in columns:
        stamps = pd.to_datetime(frame["utc_timestamp"], utc=True, errors="coerce")
        if stamps.isna().any():
            i = int(np.flatnonzero(stamps.isna().to_numpy())[0])
            raise _refuse(
                path, where(i), "utc_timestamp", frame["utc_timestamp"].iloc[i], "is not a time"
            )
        local = stamps.dt.tz_convert(timezone or "UTC")
        day = local.dt.day_of_week.to_numpy(dtype=np.int64)
        hour_column = None
        hour = local.dt.hour.to_numpy(dtype=np.int64)
    if hour_column is not None:
        hour = _integers(frame, hour_column, path, where, 0, 23)

    if day is None:  # the hour of every day
        hour_of_week = (hour[:, None] + 24 * np.arange(7)[None, :]).ravel()
        start, end = np.repeat(start, 7), np.repeat(end, 7)
        speed = np.repeat(speed, 7)
    else:
        hour_of_week = day * 24 + hour
    # Several observations of one segment-hour: mean pace (time per metre).
    grouped = (
        pd.DataFrame({"s": start, "e": end, "h": hour_of_week, "pace": 1.0 / speed})
        .groupby(["s", "e", "h"], sort=True)["pace"]
        .mean()
    )
    index = grouped.index
    return SpeedTable(
        start_node=index.get_level_values(0).to_numpy(dtype=np.int64),
        end_node=index.get_level_values(1).to_numpy(dtype=np.int64),
        hour_of_week=index.get_level_values(2).to_numpy().astype(np.int16),
        speed_kph=1.0 / grouped.to_numpy(dtype=np.float64),
        source=str(path),
        format="uber",
        rows_read=len(frame),
    )


def _osrm_table(path: Path) -> SpeedTable:
    names = ["from_osm_id", "to_osm_id", "speed_kph", "rate"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path,
                header=None,
                names=names,
                index_col=False,
                dtype=str,
                skipinitialspace=True,
                keep_default_na=False,
            )
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame(columns=names)
        except (pd.errors.ParserWarning, pd.errors.ParserError) as error:
            msg = (
                f"{path}: a row has more than 4 fields ({error}); an OSRM segment-speed file "
                "has from_osm_id,to_osm_id,speed_kph[,rate] and no header."
            )
            raise SpeedDataError(msg) from error
    if frame.empty:
        return SpeedTable(
            np.empty(0, np.int64),
            np.empty(0, np.int64),
            np.empty(0, np.int16),
            np.empty(0),
            source=str(path),
            format="osrm",
        )
    frame = frame[names[:3]]
    if frame.isna().any(axis=None):
        i = int(np.flatnonzero(frame.isna().any(axis=1).to_numpy())[0])
        msg = f"{path}, line {i + 1}: has fewer than 3 fields; expected from_osm_id,to_osm_id,speed_kph."
        raise SpeedDataError(msg)

    def where(i: int) -> str:
        return f"line {i + 1}"

    start = _integers(frame, "from_osm_id", path, where, None, None)
    end = _integers(frame, "to_osm_id", path, where, None, None)
    speed = _speeds(frame, "speed_kph", path, where, 1.0)
    # The last row of a segment wins (OSRM's rule across and within files).
    last = pd.DataFrame({"s": start, "e": end}).duplicated(keep="last").to_numpy()
    keep = ~last
    return SpeedTable(
        start_node=start[keep],
        end_node=end[keep],
        hour_of_week=np.full(int(keep.sum()), EVERY_HOUR, dtype=np.int16),
        speed_kph=speed[keep],
        source=str(path),
        format="osrm",
        rows_read=len(frame),
    )


# ---------------------------------------------------------------------- profiles


@dataclass(frozen=True, eq=False)
class SpeedProfiles:
    """
    A 168-hour speed profile for the arcs of one network that have speed data.

    Stored compactly: the arcs with a profile (sorted) and one row of 168
    speeds per such arc; every other arc keeps its free-flow speed at every
    hour. Build one with :func:`with_speeds`; give it to
    ``Router(network, ..., speeds=profiles)`` and route with ``departure=``.
    Hours are local time as in the data, hour 0 = Monday 00:00-01:00.

    Attributes
    ----------
    arcs
        Arc indices with a profile, ascending (uint32).
    speed_kph
        Speeds, shape ``(len(arcs), 168)``, float32, km/h.
    arc_count
        Arcs of the network the profiles belong to (checked by the router).
    congestion
        Whether the emission models scale their traffic-dynamics term by
        :func:`congestion_factor` on these arcs (True by default).
    label
        Where the speeds come from (a file name, or what a synthetic profile is).
    report
        Counts from the mapping: rows read, segments matched and unmatched,
        arcs with a profile (empty for profiles built from arrays).
    """

    arcs: npt.NDArray[np.uint32]
    speed_kph: npt.NDArray[np.float32]
    arc_count: int
    congestion: bool = True
    label: str = ""
    report: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        arcs = np.ascontiguousarray(self.arcs)
        speed = np.ascontiguousarray(self.speed_kph, dtype=np.float32)
        if arcs.ndim != 1 or (arcs.size and arcs.dtype.kind not in "iu"):
            msg = "SpeedProfiles.arcs must be a 1-D array of arc indices."
            raise ValueError(msg)
        if arcs.size and (arcs.min() < 0 or arcs.max() >= self.arc_count):
            msg = f"SpeedProfiles.arcs holds indices outside 0..{self.arc_count - 1}."
            raise IndexError(msg)
        if arcs.size > 1 and (np.diff(arcs.astype(np.int64)) <= 0).any():
            msg = "SpeedProfiles.arcs must be strictly ascending (one profile per arc)."
            raise ValueError(msg)
        if speed.shape != (arcs.size, HOURS_PER_WEEK):
            msg = (
                f"SpeedProfiles.speed_kph must have shape ({arcs.size}, {HOURS_PER_WEEK}), "
                f"got {speed.shape}."
            )
            raise ValueError(msg)
        if speed.size and not (
            np.isfinite(speed).all() and speed.min() > 0 and speed.max() <= MAX_SPEED_KPH
        ):
            msg = f"SpeedProfiles.speed_kph must hold speeds above 0 and at most {MAX_SPEED_KPH:g}."
            raise ValueError(msg)
        arcs = arcs.astype(np.uint32)
        arcs.flags.writeable = False
        speed.flags.writeable = False
        object.__setattr__(self, "arcs", arcs)
        object.__setattr__(self, "speed_kph", speed)

    def __len__(self) -> int:
        return int(self.arcs.size)

    def __repr__(self) -> str:
        return (
            f"SpeedProfiles({self.arcs.size:,} of {self.arc_count:,} arcs, "
            f"congestion={self.congestion}, label={self.label!r})"
        )

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the profiles (arc ids and speeds)."""
        return int(self.arcs.nbytes + self.speed_kph.nbytes)

    def speeds_at(self, hour: int, free_flow_kph: npt.ArrayLike) -> FloatArray:
        """Return every arc's speed at ``hour`` of the week (free flow where there is no profile)."""
        out = np.array(free_flow_kph, dtype=np.float64)
        if out.shape != (self.arc_count,):
            msg = f"free_flow_kph must have one entry per arc ({self.arc_count})."
            raise ValueError(msg)
        out[self.arcs] = self.speed_kph[:, int(hour) % HOURS_PER_WEEK]
        return out

    def replace(self, **changes: Any) -> SpeedProfiles:
        """Return a copy with fields changed (e.g. ``congestion=False``)."""
        import dataclasses

        return dataclasses.replace(self, **changes)

    def to_arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Return the profiles as plain arrays (for saving beside the network)."""
        return {
            "arcs": self.arcs,
            "speed_kph": self.speed_kph,
            "arc_count": np.array([self.arc_count], dtype=np.int64),
            "congestion": np.array([self.congestion], dtype=np.bool_),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[Any]], *, label: str = "") -> SpeedProfiles:
        """
        Rebuild profiles from :meth:`to_arrays` output.

        Raises
        ------
        ValueError
            If an array is missing or inconsistent.
        """
        try:
            count = np.asarray(arrays["arc_count"]).ravel()
            congestion = np.asarray(arrays.get("congestion", [True])).ravel()
            return cls(
                arcs=np.asarray(arrays["arcs"]),
                speed_kph=np.asarray(arrays["speed_kph"]),
                arc_count=int(count[0]),
                congestion=bool(congestion[0]),
                label=label,
            )
        except KeyError as error:
            msg = f"Speed profile arrays lack {error}; expected arcs, speed_kph and arc_count."
            raise ValueError(msg) from error


#: Attachment names of speed profiles a network carries (:func:`attach_speeds`).
_ATTACHMENT_PREFIX = "speeds."


def attach_speeds(network: RoadNetwork, profiles: SpeedProfiles) -> RoadNetwork:
    """
    Return ``network`` carrying ``profiles`` (a new network; ``save`` keeps them).

    Every :class:`ecoroute.Router` on the returned network routes with them
    when given a ``departure=``, without a ``speeds=`` argument.
    """
    if profiles.arc_count != network.arc_count:
        msg = (
            f"these profiles are for a network of {profiles.arc_count:,} arcs, "
            f"not {network.arc_count:,}."
        )
        raise ValueError(msg)
    arrays = profiles.to_arrays()
    return network.with_attachments(**{_ATTACHMENT_PREFIX + k: v for k, v in arrays.items()})


def attached_speeds(network: RoadNetwork) -> SpeedProfiles | None:
    """The speed profiles a network carries (:func:`attach_speeds`), or None."""
    arrays = {
        name[len(_ATTACHMENT_PREFIX) :]: np.asarray(values)
        for name, values in network.attachments.items()
        if name.startswith(_ATTACHMENT_PREFIX)
    }
    if not arrays:
        return None
    return SpeedProfiles.from_arrays(arrays, label="saved with the network")


def with_speeds(
    network: RoadNetwork,
    table: SpeedTable,
    *,
    arc_nodes: tuple[npt.ArrayLike, npt.ArrayLike] | None = None,
    congestion: bool = True,
) -> SpeedProfiles:
    """
    Map segment speeds onto the network's arcs as 168-hour profiles.

    An arc is a chain of OSM segments (a simplified road between two
    junctions). Each segment the data has drives at the data's speed for
    the hour, the others at the arc's free-flow speed, and the arc's speed
    for the hour is its length over the sum of its segments' times (time =
    sum of length over speed). Hours the data lacks stay at free flow.
    Parallel arcs with the same OSM end nodes all get the speeds.

    The OSM node sequence inside a simplified arc is not kept by
    :func:`ecoroute.load_osm` (shape points are kept as coordinates only),
    so by default an arc is matched by its end nodes only: data for the
    segments inside a simplified arc cannot be placed and is counted as
    unmatched (a :class:`SpeedDataWarning` says how many). Load the network
    with ``simplify=False`` to match every segment, or pass ``arc_nodes``
    (e.g. from :func:`arc_nodes_from` and the file loaded unsimplified).

    Parameters
    ----------
    network
        The network (node ids must be OSM node ids).
    table
        Speeds from :func:`read_speeds`.
    arc_nodes
        Optional ``(offsets, node_ids)``: the OSM nodes along arc ``a`` are
        ``node_ids[offsets[a]:offsets[a + 1]]`` (its tail first, its head
        last). Segment lengths come from the arc's shape points when their
        count fits, else the arc's length is split evenly.
    congestion
        Stored on the profiles: whether emission models scale their
        traffic-dynamics term by :func:`congestion_factor`.

    Returns
    -------
    SpeedProfiles
        With ``report`` counting ``rows``, ``segments`` (distinct segments
        in the data), ``segments_matched``, ``segments_unmatched`` and
        ``arcs_with_profile``.

    Raises
    ------
    ValueError
        If ``arc_nodes`` does not describe every arc.
    """
    m = network.arc_count
    seg_start, seg_end, seg_arc, seg_length = _network_segments(network, arc_nodes)

    rows = pd.DataFrame(
        {"start": table.start_node, "end": table.end_node, "row": np.arange(len(table))}
    )
    keys = pd.DataFrame(
        {"start": seg_start, "end": seg_end, "segment": np.arange(seg_start.size, dtype=np.int64)}
    )
    pairs = rows.merge(keys, on=["start", "end"], how="left")
    matched = pairs["segment"].notna().to_numpy()
    distinct = rows.drop_duplicates(["start", "end"])
    known = distinct.merge(keys.drop_duplicates(["start", "end"]), on=["start", "end"], how="left")
    unmatched_segments = int(known["segment"].isna().sum())
    report = {
        "rows": len(table),
        "segments": len(distinct),
        "segments_matched": len(distinct) - unmatched_segments,
        "segments_unmatched": unmatched_segments,
    }
    if unmatched_segments:
        examples = known.loc[known["segment"].isna(), ["start", "end"]].head(3)
        listed = ", ".join(f"{s}->{e}" for s, e in examples.itertuples(index=False))
        hint = (
            ""
            if arc_nodes is not None
            else " Segments inside simplified arcs cannot be matched by arc end nodes: load the "
            "network with simplify=False, or pass arc_nodes."
        )
        warnings.warn(
            f"{table.source or 'speed table'}: {unmatched_segments:,} of {len(distinct):,} "
            f"segments are not in the network (e.g. {listed}); their speeds are not used.{hint}",
            SpeedDataWarning,
            stacklevel=2,
        )

    hit = pairs[matched]
    segment = hit["segment"].to_numpy(dtype=np.int64)
    row = hit["row"].to_numpy(dtype=np.int64)
    arcs = np.unique(seg_arc[segment])
    report["arcs_with_profile"] = int(arcs.size)
    if arcs.size == 0:
        return SpeedProfiles(
            arcs=np.empty(0, np.uint32),
            speed_kph=np.empty((0, HOURS_PER_WEEK), np.float32),
            arc_count=m,
            congestion=congestion,
            label=table.source,
            report=report,
        )

    # Every segment of an arc with data, observed speed per hour or NaN.
    in_profile = np.isin(seg_arc, arcs)
    segments = np.flatnonzero(in_profile)  # grouped by arc, in arc order
    local = np.full(seg_arc.size, -1, dtype=np.int64)
    local[segments] = np.arange(segments.size)
    observed = np.full((segments.size, HOURS_PER_WEEK), np.nan)
    hours = table.hour_of_week[row].astype(np.int64)
    speeds = table.speed_kph[row]
    every = hours == EVERY_HOUR
    observed[local[segment[every]], :] = speeds[every][:, None]
    observed[local[segment[~every]], hours[~every]] = speeds[~every]

    free = network.speed_kph[seg_arc[segments]]
    speed = np.where(np.isnan(observed), free[:, None], observed)
    seconds = seg_length[segments][:, None] / (speed / 3.6)
    starts = np.flatnonzero(np.r_[True, np.diff(seg_arc[segments]) != 0])
    arc_seconds = np.add.reduceat(seconds, starts, axis=0)
    length = network.length_m[arcs]
    with np.errstate(divide="ignore", invalid="ignore"):
        arc_speed = length[:, None] * 3.6 / arc_seconds
    zero = ~np.isfinite(arc_speed) | (arc_speed <= 0)
    if zero.any():  # zero-length arcs: the mean of their segments' speeds
        fallback = (
            np.add.reduceat(speed, starts, axis=0) / np.diff(np.r_[starts, segments.size])[:, None]
        )
        arc_speed = np.where(zero, fallback, arc_speed)
    return SpeedProfiles(
        arcs=arcs.astype(np.uint32),
        speed_kph=np.minimum(arc_speed, MAX_SPEED_KPH).astype(np.float32),
        arc_count=m,
        congestion=congestion,
        label=table.source,
        report=report,
    )


def _network_segments(
    network: RoadNetwork, arc_nodes: tuple[npt.ArrayLike, npt.ArrayLike] | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], FloatArray]:
    """Return (start id, end id, arc, length_m) of every OSM segment, grouped by arc in order."""
    m = network.arc_count
    tail = network.tail.astype(np.int64)
    head = network.head.astype(np.int64)
    if arc_nodes is None:
        return (
            network.node_id[tail],
            network.node_id[head],
            np.arange(m, dtype=np.int64),
            np.asarray(network.length_m, dtype=np.float64),
        )
    offsets = np.asarray(arc_nodes[0], dtype=np.int64)
    ids = np.asarray(arc_nodes[1], dtype=np.int64)
    counts = np.diff(offsets) if offsets.size else offsets
    if (
        offsets.shape != (m + 1,)
        or offsets[0] != 0
        or offsets[-1] != ids.size
        or (counts < 2).any()
    ):
        msg = (
            "arc_nodes must be (offsets, node_ids) with m + 1 offsets from 0 to len(node_ids) "
            "and at least two nodes (tail and head) per arc."
        )
        raise ValueError(msg)
    if (ids[offsets[:-1]] != network.node_id[tail]).any() or (
        ids[offsets[1:] - 1] != network.node_id[head]
    ).any():
        arc = int(
            np.flatnonzero(
                (ids[offsets[:-1]] != network.node_id[tail])
                | (ids[offsets[1:] - 1] != network.node_id[head])
            )[0]
        )
        msg = f"arc_nodes of arc {arc} does not start at its tail and end at its head."
        raise ValueError(msg)
    last = np.zeros(ids.size, dtype=bool)
    last[offsets[1:] - 1] = True
    first_of_segment = np.flatnonzero(~last)
    seg_arc = np.repeat(np.arange(m, dtype=np.int64), counts - 1)
    seg_start, seg_end = ids[first_of_segment], ids[first_of_segment + 1]

    # Lengths: the shape points give each segment's share where they fit.
    shape_count = np.diff(network.geometry_offsets)
    fits = shape_count == counts - 2
    share = np.repeat(1.0 / (counts - 1), counts - 1)
    if fits.any():
        points_per_arc = counts  # tail, shape points, head
        lat = np.empty(ids.size)
        lon = np.empty(ids.size)
        lat[offsets[:-1]] = network.lat[tail]
        lon[offsets[:-1]] = network.lon[tail]
        lat[offsets[1:] - 1] = network.lat[head]
        lon[offsets[1:] - 1] = network.lon[head]
        interior = ~last.copy()
        interior[offsets[:-1]] = False
        arc_of_point = np.repeat(np.arange(m), points_per_arc)
        inside = interior & fits[arc_of_point]
        rows = network.geometry_offsets[arc_of_point[inside]] + (
            np.flatnonzero(inside) - offsets[arc_of_point[inside]] - 1
        )
        lon[inside] = network.geometry_lonlat[rows, 0]
        lat[inside] = network.geometry_lonlat[rows, 1]
        piece = haversine_m(
            lat[first_of_segment],
            lon[first_of_segment],
            lat[first_of_segment + 1],
            lon[first_of_segment + 1],
        )
        total = np.bincount(seg_arc, weights=piece, minlength=m)
        use = fits[seg_arc] & (total[seg_arc] > 0)
        share[use] = piece[use] / total[seg_arc[use]]
    seg_length = share * network.length_m[seg_arc]
    return seg_start, seg_end, seg_arc, seg_length


def arc_nodes_from(
    network: RoadNetwork, detailed: RoadNetwork
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """
    Return the OSM node sequence of every arc of a simplified network, for :func:`with_speeds`.

    ``detailed`` is the same file loaded with ``simplify=False``: a
    simplified arc's shape points are the coordinates of the OSM nodes it
    runs through, so each is looked up there by its exact coordinates.
    Shape points found at no node, or at two nodes with the same
    coordinates, get id -1 (their segments then count as unmatched).

    Returns
    -------
    tuple
        ``(offsets, node_ids)``: the nodes of arc ``a`` are
        ``node_ids[offsets[a]:offsets[a + 1]]``, tail first, head last.
    """
    lookup = pd.DataFrame(
        {"lon": detailed.lon, "lat": detailed.lat, "id": detailed.node_id}
    ).drop_duplicates(["lon", "lat"], keep=False)
    shape = network.geometry_lonlat
    found = (
        pd.DataFrame({"lon": shape[:, 0], "lat": shape[:, 1]})
        .merge(lookup, on=["lon", "lat"], how="left")["id"]
        .fillna(-1)
        .to_numpy(dtype=np.int64)
    )
    counts = np.diff(network.geometry_offsets) + 2
    offsets = np.zeros(network.arc_count + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    ids = np.empty(int(offsets[-1]), dtype=np.int64)
    ends = np.zeros(ids.size, dtype=bool)
    ends[offsets[:-1]] = True
    ends[offsets[1:] - 1] = True
    ids[offsets[:-1]] = network.node_id[network.tail]
    ids[offsets[1:] - 1] = network.node_id[network.head]
    ids[~ends] = found
    return offsets, ids


def synthetic_profiles(
    network: RoadNetwork,
    *,
    fraction: float = 0.2,
    highways: Collection[str] | None = None,
    seed: int = 0,
    congestion: bool = True,
) -> SpeedProfiles:
    """
    Return a synthetic, documented weekday congestion profile on a random share of arcs.

    For benchmarks and examples only (labelled ``"synthetic"``); never a
    default. On the chosen arcs, Monday to Friday, the speed is the
    free-flow speed times a factor that dips to 0.45 in the morning peak
    (07:00-09:00), 0.5 in the evening peak (16:00-19:00), 0.8 around them
    and 0.9 in the working day, and stays 1.0 at night and at weekends
    (the shape of TomTom Traffic Index hourly congestion curves: peaks of
    +50 to +120 % travel time in large cities). Each arc's factors are
    scaled by a random 0.9-1.1 (capped at free flow).

    Parameters
    ----------
    network
        The network.
    fraction
        Share of arcs, chosen at random, that get the profile.
    highways
        Instead of a random share: every arc of these OSM highway classes
        (e.g. ``{"primary", "secondary"}``: congestion where it happens).
    seed
        Random seed.
    congestion
        Stored on the profiles (see :class:`SpeedProfiles`).
    """
    rng = np.random.default_rng(seed)
    m = network.arc_count
    if highways is not None:
        arcs = np.flatnonzero(np.isin(network.highway, list(highways))).astype(np.uint32)
        what = "/".join(sorted(highways))
    else:
        count = round(fraction * m)
        arcs = np.sort(rng.choice(m, size=count, replace=False)).astype(np.uint32)
        what = f"{fraction:.0%} of arcs"
    count = arcs.size
    day = np.ones(24)
    day[6] = day[9] = 0.8
    day[7:9] = 0.45
    day[10:16] = 0.9
    day[16:19] = 0.5
    day[19] = 0.8
    week = np.concatenate([np.tile(day, 5), np.ones(48)])
    jitter = rng.uniform(0.9, 1.1, size=(count, 1))
    factor = np.minimum(1.0, week[None, :] * jitter)
    speed = network.speed_kph[arcs.astype(np.intp)][:, None] * factor
    return SpeedProfiles(
        arcs=arcs,
        speed_kph=np.clip(speed, 1.0, MAX_SPEED_KPH).astype(np.float32),
        arc_count=m,
        congestion=congestion,
        label=f"synthetic: weekday peaks on {what} (seed {seed})",
    )


# ---------------------------------------------------------------------- departures


def departure_seconds(value: Any) -> float:
    """
    Return a departure as seconds since Monday 00:00 (local time), in ``[0, 604800)``.

    Accepts a ``datetime`` (its wall-clock time and weekday are used, time
    zone or not), a ``pandas.Timestamp`` or ``numpy.datetime64``, an ISO
    8601 string (``"2024-03-04T08:30"``), or a number of seconds since
    Monday 00:00 (taken modulo a week).

    Raises
    ------
    ValueError
        For an unreadable string or a number that is NaN or infinite.
    TypeError
        For anything else.
    """
    if isinstance(value, bool):
        msg = "departure must be a datetime, an ISO string or seconds since Monday 00:00, not bool."
        raise TypeError(msg)
    if isinstance(value, int | float | np.integer | np.floating):
        seconds = float(value)
        if not math.isfinite(seconds):
            msg = f"departure must be a finite number of seconds, got {value}."
            raise ValueError(msg)
        return seconds % SECONDS_PER_WEEK
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError as error:
            msg = f"departure {value!r} is not an ISO 8601 date-time such as '2024-03-04T08:30'."
            raise ValueError(msg) from error
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value).to_pydatetime()
    if isinstance(value, dt.datetime):
        return (
            value.weekday() * 86400.0
            + value.hour * 3600.0
            + value.minute * 60.0
            + value.second
            + value.microsecond / 1e6
        )
    msg = (
        "departure must be a datetime, an ISO string or seconds since Monday 00:00, "
        f"not {type(value).__name__}."
    )
    raise TypeError(msg)


def departure_seconds_array(values: Any, count: int) -> FloatArray:
    """Return one departure (seconds since Monday 00:00) per pair: a scalar is repeated."""
    if isinstance(values, str | dt.datetime | int | float | np.generic):
        return np.full(count, departure_seconds(values))
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if len(series) != count:
        msg = f"departure must be one value or {count} values (one per pair), got {len(series)}."
        raise ValueError(msg)
    if series.dtype.kind in "iuf":
        seconds = series.to_numpy(dtype=np.float64)
        if not np.isfinite(seconds).all():
            i = int(np.flatnonzero(~np.isfinite(seconds))[0])
            msg = f"departure[{i}] must be a finite number of seconds, got {seconds[i]}."
            raise ValueError(msg)
        return cast("FloatArray", seconds % SECONDS_PER_WEEK)
    stamps = series
    if series.dtype.kind != "M":
        try:
            stamps = pd.to_datetime(series, format="ISO8601")
        except (ValueError, TypeError):  # mixed or bad values: one by one, naming the bad one
            return np.array([departure_seconds(v) for v in series.tolist()], dtype=np.float64)
    if stamps.isna().any():
        i = int(np.flatnonzero(stamps.isna().to_numpy())[0])
        msg = f"departure[{i}] is missing (NaT); give every pair a departure."
        raise ValueError(msg)
    times = stamps.dt
    return cast(
        "FloatArray",
        (
            times.day_of_week.to_numpy(dtype=np.float64) * 86400.0
            + times.hour.to_numpy(dtype=np.float64) * 3600.0
            + times.minute.to_numpy(dtype=np.float64) * 60.0
            + times.second.to_numpy(dtype=np.float64)
            + times.microsecond.to_numpy(dtype=np.float64) / 1e6
        ),
    )


def hour_of_week(seconds: float) -> int:
    """Hour of the week (0..167) that ``seconds`` since Monday 00:00 fall in."""
    return int(seconds // SECONDS_PER_HOUR) % HOURS_PER_WEEK


# ---------------------------------------------------------------------- congestion


def congestion_factor(speed_ratio: npt.ArrayLike) -> FloatArray:
    """
    Return the multiplier of the traffic-dynamics term at a congested / free-flow speed ratio.

    HBEFA describes traffic by situations (free flow, heavy, saturated,
    stop and go; INFRAS, HBEFA 4.1 Development Report, 2019): at the same
    average speed, a road in stop-and-go costs more than a road that flows,
    because the time lost in queues is spent stopping and accelerating
    again. This function is a documented heuristic for that, not HBEFA's
    tables (which are licensed): the acceleration work per km grows with the
    lost time, i.e. with ``free / congested`` speed, so the factor is
    ``1 / speed_ratio``, 1 at free flow (ratio >= 1) and at most
    :data:`MAX_CONGESTION_FACTOR` (3, reached at a third of the free-flow
    speed, HBEFA's stop-and-go range). See docs/traffic.md.
    """
    ratio = np.asarray(speed_ratio, dtype=np.float64)
    with np.errstate(divide="ignore"):
        factor = 1.0 / np.clip(ratio, 1e-9, 1.0)
    return np.minimum(factor, MAX_CONGESTION_FACTOR)


class _ArcSubset:
    """The per-arc inputs of a vehicle model for a subset of arcs, at given speeds."""

    def __init__(self, network: RoadNetwork, arcs: npt.NDArray[np.intp]) -> None:
        #: The network and arcs this is a subset of (a vehicle's speed caps are read there).
        self.parent_network = network
        self.parent_arcs = arcs
        self.grade = network.grade[arcs]
        self.length_m = network.length_m[arcs]
        self.tail = network.tail[arcs]
        self.head = network.head[arcs]
        self.elevation_m = network.elevation_m
        self.arc_count = int(arcs.size)
        self.speed_kph: FloatArray = network.speed_kph[arcs]
        self.travel_time_s: FloatArray = network.travel_time_s[arcs]
        self.highway_code = network.highway_code[arcs]  # which arcs a ferry carries
        self.highway_names = network.highway_names

    def at(self, speed_kph: FloatArray) -> _ArcSubset:
        out = cast("_ArcSubset", object.__new__(_ArcSubset))
        out.__dict__.update(self.__dict__)
        out.speed_kph = np.asarray(speed_kph, dtype=np.float64)
        out.travel_time_s = self.length_m / (out.speed_kph / 3.6)
        return out


def congested_arc_quantities(
    vehicle: Vehicle,
    network: RoadNetwork,
    speed_kph: npt.ArrayLike,
    *,
    arcs: npt.ArrayLike,
    payload_kg: float | None = None,
    congestion: bool = True,
) -> dict[str, FloatArray]:
    """
    Return a vehicle's quantities on ``arcs`` driven at ``speed_kph`` in congestion.

    The vehicle model is evaluated at the congested speed; where the model
    has a traffic-dynamics term (the physics model with
    ``traffic_dynamics=True``: the difference between its rates and its
    constant-speed rates), that term is multiplied by
    :func:`congestion_factor` of ``speed_kph / network.speed_kph`` (an EV
    keeps recovering its share of it, as the model says). HBEFA4 and COPERT
    models have no such term: congestion reaches them only through the lower
    speed. ``time_s`` is ``length / speed``.

    Parameters
    ----------
    vehicle
        The vehicle.
    network
        The network; its ``speed_kph`` is the free-flow speed.
    speed_kph
        Congested speed of each arc in ``arcs``.
    arcs
        Arc indices.
    payload_kg
        Payload (None: the vehicle's default).
    congestion
        False: only the lower speed, no scaling.
    """
    index = np.asarray(arcs, dtype=np.intp).ravel()
    speed = np.asarray(speed_kph, dtype=np.float64).ravel()
    if speed.shape != index.shape:
        msg = "speed_kph must have one entry per arc in arcs."
        raise ValueError(msg)
    subset = _ArcSubset(network, index)
    return _quantities_at(vehicle, subset, speed, payload_kg, congestion)


def _quantities_at(
    vehicle: Vehicle,
    subset: _ArcSubset,
    speed: FloatArray,
    payload_kg: float | None,
    congestion: bool,
) -> dict[str, FloatArray]:
    view = cast("RoadNetwork", subset.at(speed))
    out = vehicle.arc_quantities(view, payload_kg)
    if congestion and getattr(vehicle, "traffic_dynamics", False):
        factor = congestion_factor(speed / subset.speed_kph)
        if (factor > 1.0).any():
            steady = vehicle.replace(traffic_dynamics=False).arc_quantities(view, payload_kg)
            for name, values in out.items():
                if name in ("time_s", "distance_m"):
                    continue
                out[name] = steady[name] + factor * (values - steady[name])
    return out


# ---------------------------------------------------------------------- routing


class TrafficRouting:
    """
    What a :class:`ecoroute.Router` with ``speeds=`` needs for departures.

    * single routes: a time-dependent Dijkstra in C++ over the profiles, A*
      towards the target unless the router's algorithm is ``"dijkstra"``
      (exact earliest arrival for ``objective="time"``; for other objectives
      nodes are settled by least weight, each arc driven at the time its
      least-weight path reaches it: see docs/traffic.md);
    * matrices and batches: one metric per departure hour (every arc at that
      hour's speed), customized on the hierarchy when the network is
      prepared, the last few kept.

    Private to the router; built lazily, not thread-safe while building.
    """

    def __init__(self, router: Router, profiles: SpeedProfiles, payload_kg: float | None) -> None:
        network = router.network
        if not isinstance(profiles, SpeedProfiles):
            msg = f"speeds must be SpeedProfiles (from ecoroute.with_speeds), not {type(profiles).__name__}."
            raise TypeError(msg)
        if profiles.arc_count != network.arc_count:
            msg = (
                f"speeds were built for a network of {profiles.arc_count:,} arcs; this one has "
                f"{network.arc_count:,}. Map the speed table onto this network with with_speeds."
            )
            raise ValueError(msg)
        self.router = router
        self.profiles = profiles
        self.payload_kg = payload_kg
        self._arcs = profiles.arcs.astype(np.intp)
        self._subset = _ArcSubset(network, self._arcs)
        self._slot_time_s: npt.NDArray[np.float32] | None = None
        self._hours: OrderedDict[int, dict[str, FloatArray]] = OrderedDict()
        self._engines: OrderedDict[int, Any] = OrderedDict()
        self._td: _NodeSearch | _ExpandedSearch | None = None
        self.by_time = set(router.objective_weights) == {"time_s"}

    # -- per-hour values of the profiled arcs

    @property
    def _slot_time(self) -> npt.NDArray[np.float32]:
        """Seconds to drive each profiled arc whole at each hour's speed, (k, 168) float32."""
        if self._slot_time_s is None:
            length = self.router.network.length_m[self._arcs]
            speed = self.profiles.speed_kph.astype(np.float64) / 3.6
            self._slot_time_s = (length[:, None] / speed).astype(np.float32)
        return self._slot_time_s

    def hour_quantities(self, hour: int, *, keep: bool = True) -> dict[str, FloatArray]:
        """Quantities of every profiled arc driven whole at ``hour``'s speed (recent hours kept)."""
        hour %= HOURS_PER_WEEK
        if hour in self._hours:
            self._hours.move_to_end(hour)
            return self._hours[hour]
        speed = self.profiles.speed_kph[:, hour].astype(np.float64)
        quantities = _quantities_at(
            self.router.vehicle, self._subset, speed, self.payload_kg, self.profiles.congestion
        )
        if keep:
            self._hours[hour] = quantities
            while len(self._hours) > _QUANTITY_CACHE_HOURS:
                self._hours.popitem(last=False)
        return quantities

    def _hour_weight(self, hour: int, *, keep: bool = True) -> FloatArray:
        quantities = self.hour_quantities(hour, keep=keep)
        weight = np.zeros(self._arcs.size)
        for quantity, factor in self.router.objective_weights.items():
            if factor:  # 0 * inf (a closed arc) is NaN
                weight += factor * quantities[quantity]
        return weight

    def _shut(self) -> npt.NDArray[np.bool_] | None:
        """
        The network arcs the node-based search may not drive (None: every arc is open).

        Destination-only arcs among them: only a turn graph tells a route's
        ends from its middle, and a router with such arcs always has one.
        """
        rules = self.router.rules
        return rules.closed | rules.destination if rules.restricts else None

    def _reduced(self, weight: FloatArray) -> FloatArray:

        view = cast("RoadNetwork", self._subset)
        return reduced_weight(
            view, weight, self.router.node_potential, self.router.vehicle.name
        ).astype(np.float64, copy=False)

    # -- single routes: time-dependent Dijkstra

    def _dijkstra(self) -> _NodeSearch | _ExpandedSearch:
        """The time-dependent search, on the turn-expanded graph when the router obeys turns."""
        if self._td is None and self.router.turns is not None:
            self._td = _ExpandedSearch(self)
        if self._td is None:
            router = self.router
            network = router.network
            static_time = np.array(network.travel_time_s, dtype=np.float64)
            slot_time = self._slot_time
            shut = self._shut()
            if shut is not None:  # arcs closed to the vehicle: +inf at every hour
                static_time[shut] = np.inf
                slot_time = np.array(slot_time)
                slot_time[shut[self._arcs]] = np.inf
            if self.by_time:
                static_weight = np.empty(0)
                slot_weight = np.empty(0)
            else:
                static_weight = reduced_weight(
                    network, np.array(router.weight), router.node_potential, router.vehicle.name
                )
                slot_weight = np.empty((self._arcs.size, HOURS_PER_WEEK))
                for hour in range(HOURS_PER_WEEK):
                    slot_weight[:, hour] = self._reduced(self._hour_weight(hour, keep=False))
                if shut is not None:
                    slot_weight[shut[self._arcs]] = np.inf
            self._td = _NodeSearch(
                _core.TimeDependentDijkstra(
                    network._graph,
                    static_time,
                    np.ascontiguousarray(static_weight, dtype=np.float64),
                    self.profiles.arcs,
                    np.ascontiguousarray(slot_time, dtype=np.float32).ravel(),
                    np.ascontiguousarray(slot_weight, dtype=np.float64).ravel(),
                    slot_length=SECONDS_PER_HOUR,
                    slot_count=HOURS_PER_WEEK,
                    points=None
                    if router.algorithm == "dijkstra"
                    else _core.SpherePoints(*unit_vectors(network.lat, network.lon)),
                )
            )
        return self._td

    def route(self, source: int, target: int, departure: Any, snaps: tuple[float, float]) -> Route:
        """The time-dependent route leaving ``source`` (dense index) at ``departure``."""

        router = self.router
        network = router.network
        start = departure_seconds(departure)
        arrival, cost, path, entry, extra = self._dijkstra().route(source, target, start)
        if not math.isfinite(arrival):
            msg = (
                f"No route from node {network.node_id[source]} to node {network.node_id[target]} "
                f"for {router.vehicle.name}: the target cannot be reached."
            )
            raise NoRouteError(msg)
        path = np.asarray(path, dtype=np.uint32)
        values = self.path_quantities(path, np.asarray(entry), start, arrival)
        for name, added in extra.items():  # what turns and junctions add (turn-aware routers)
            if name not in ("time_s", "distance_m"):
                values[name] += float(added[0])
        if self.by_time:
            value = router.objective_weights["time_s"] * (arrival - start)
        else:
            value = float(cost)
            if router.node_potential is not None:
                value += float(router.node_potential[target] - router.node_potential[source])
        row = [values[name] for name in router._report]
        return router._route_object(source, value, row, path, *snaps, {}, departure_s=start)

    def path_quantities(
        self, path: npt.NDArray[np.uint32], entry: FloatArray, start: float, arrival: float
    ) -> dict[str, float]:
        """Sum every reported quantity along ``path``, each arc driven from its entry time."""
        router = self.router
        arcs = path.astype(np.intp)
        row = np.searchsorted(self.profiles.arcs, path)
        row = np.minimum(row, max(self.profiles.arcs.size - 1, 0))
        profiled = self.profiles.arcs[row] == path if self.profiles.arcs.size else np.zeros(0, bool)
        totals = {
            name: float(router.arc_quantities[name][arcs[~profiled]].sum())
            for name in router._report
        }
        for r, when in zip(row[profiled].tolist(), entry[profiled].tolist(), strict=True):
            for hour, share in self._pieces(r, when):
                quantities = self.hour_quantities(hour)
                for name in router._report:
                    if name not in ("time_s", "distance_m"):
                        totals[name] += share * float(quantities[name][r])
            totals["distance_m"] += float(router.network.length_m[self._arcs[r]])
        totals["time_s"] = arrival - start
        return totals

    def _pieces(self, row: int, entry: float, share: float = 1.0) -> list[tuple[int, float]]:
        """
        Hours and fractions of profiled arc ``row`` driven from ``entry`` (as the C++ does).

        ``share``: the fraction of the arc driven (a part-way first or last arc).
        """
        slot = self._slot_time[row].astype(np.float64)
        t, remaining, out = entry, share, []
        while True:
            index = math.floor(t / SECONDS_PER_HOUR)
            hour = index % HOURS_PER_WEEK
            end = (index + 1) * SECONDS_PER_HOUR
            whole = float(slot[hour])
            if whole <= 0.0 or t + remaining * whole <= end:
                out.append((hour, remaining))
                return out
            part = (end - t) / whole
            out.append((hour, part))
            remaining -= part
            t = end

    def route_indices_exact(
        self,
        sources: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.uint32],
        departures: FloatArray,
        *,
        with_paths: bool,
        num_threads: int,
    ) -> PairResults:
        """Every pair by the single-route time-dependent search (in C++, over threads)."""

        router = self.router
        arrival, cost, offsets, arcs, entry, extra = self._dijkstra().route_pairs(
            sources, targets, departures, num_threads=num_threads
        )
        reachable = np.isfinite(arrival)
        if self.by_time:
            value = router.objective_weights["time_s"] * (arrival - departures)
        else:
            value = np.asarray(cost, dtype=np.float64)
            if router.node_potential is not None:
                phi = router.node_potential
                value = value - phi[sources.astype(np.intp)] + phi[targets.astype(np.intp)]
        quantities = self._paths_quantities(offsets, arcs, entry)
        for name, values in extra.items():  # what turns and junctions add (turn-aware routers)
            if name not in ("time_s", "distance_m"):
                quantities[name] += values
        quantities["time_s"] = arrival - departures
        for values in (value, *quantities.values()):
            values[~reachable] = np.inf
        return PairResults(
            cost=value,
            quantities=quantities,
            path_offsets=offsets if with_paths else None,
            path_arcs=arcs if with_paths else None,
        )

    def _paths_quantities(
        self,
        offsets: npt.NDArray[np.uint64],
        arcs: npt.NDArray[np.uint32],
        entry: FloatArray,
        shares: FloatArray | None = None,
    ) -> dict[str, FloatArray]:
        """
        Every reported quantity summed along each path, each arc driven from its entry time.

        ``shares`` (one per arc of ``arcs``, 1 by default): the fraction of each
        arc driven, for routes that start or end part-way along an arc; a
        fraction of an arc counts that fraction of it (the static part-way rule,
        :mod:`ecoroute.snapping`), hour by hour on profiled arcs.
        """
        router = self.router
        count = offsets.size - 1
        bounds = np.asarray(offsets).astype(np.int64)
        sizes = bounds[1:] - bounds[:-1]
        pair = np.repeat(np.arange(count), sizes)
        index = arcs.astype(np.intp)
        share = np.ones(index.size) if shares is None else np.asarray(shares, dtype=np.float64)
        known = self.profiles.arcs
        row = np.minimum(np.searchsorted(known, arcs), max(known.size - 1, 0))
        profiled = known[row] == arcs if known.size else np.zeros(arcs.size, dtype=bool)
        out: dict[str, FloatArray] = {}
        for name in router._report:
            values = share * router.arc_quantities[name][index]
            if name != "distance_m":
                values = np.where(profiled, 0.0, values)
            out[name] = np.bincount(pair, weights=values, minlength=count).astype(np.float64)
        rows, when, owner = row[profiled], entry[profiled], pair[profiled]
        part = share[profiled]
        slot = np.floor(when / SECONDS_PER_HOUR)
        hour = slot.astype(np.int64) % HOURS_PER_WEEK
        whole = self._slot_time[rows, hour].astype(np.float64)
        inside = (when + part * whole <= (slot + 1) * SECONDS_PER_HOUR) | (whole <= 0)
        names = [n for n in router._report if n not in ("time_s", "distance_m")]
        for h in np.unique(hour[inside]).tolist():
            take = inside & (hour == h)
            quantities = self.hour_quantities(h)
            for name in names:
                out[name] += np.bincount(
                    owner[take], weights=part[take] * quantities[name][rows[take]], minlength=count
                )
        for r, t, p, f in zip(
            rows[~inside].tolist(),
            when[~inside].tolist(),
            owner[~inside].tolist(),
            part[~inside].tolist(),
            strict=True,
        ):
            for h, piece in self._pieces(r, t, f):
                quantities = self.hour_quantities(h)
                for name in names:
                    out[name][p] += piece * float(quantities[name][r])
        return out

    # -- part-way routes: start and end where the snapped points are (issue 11 x 12)

    def drive(
        self, arcs: npt.ArrayLike, entry: npt.ArrayLike, share: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray]:
        """
        Drive ``share`` of each arc from ``entry`` at the speed in force: arrival and weight.

        A profiled arc is driven hour by hour as the C++ search drives a whole
        one (the rest of it at the next hour's speed when an hour ends on it),
        its weight shared by the fraction driven in each hour; any other arc
        takes ``share`` of its static time and weight. The weight is the
        router's objective (not shifted by a potential).
        """
        router = self.router
        index = np.asarray(arcs, dtype=np.intp).ravel()
        when = np.asarray(entry, dtype=np.float64).ravel()
        part = np.asarray(share, dtype=np.float64).ravel()
        arrival = when + part * np.asarray(router.network.travel_time_s)[index]
        weight = part * np.asarray(router.weight)[index]
        known = self.profiles.arcs
        if not known.size or not index.size:
            return arrival, weight
        row = np.minimum(np.searchsorted(known, index), known.size - 1)
        profiled = np.flatnonzero(known[row] == index)
        if not profiled.size:
            return arrival, weight
        rows = row[profiled]
        t, remaining = when[profiled].copy(), part[profiled].copy()
        done_at = np.empty(profiled.size)
        weight[profiled] = 0.0
        active = np.arange(profiled.size)
        while active.size:
            slot = np.floor(t[active] / SECONDS_PER_HOUR)
            hour = slot.astype(np.int64) % HOURS_PER_WEEK
            end = (slot + 1.0) * SECONDS_PER_HOUR
            whole = self._slot_time[rows[active], hour].astype(np.float64)
            finish = t[active] + remaining[active] * whole
            fits = (finish <= end) | (whole <= 0.0)
            driven = np.where(fits, remaining[active], (end - t[active]) / np.where(fits, 1, whole))
            for h in [] if self.by_time else np.unique(hour).tolist():
                take = active[hour == h]
                weight[profiled[take]] += driven[hour == h] * self._hour_weight(h)[rows[take]]
            done_at[active[fits]] = finish[fits]
            go = active[~fits]
            remaining[go] -= driven[~fits]
            t[go] = end[~fits]
            active = go
        arrival[profiled] = done_at
        if self.by_time:
            weight[profiled] = router.objective_weights["time_s"] * (done_at - when[profiled])
        return arrival, weight

    def partway_pairs(
        self,
        sources: Endpoints,
        targets: Endpoints,
        departures: FloatArray,
        *,
        num_threads: int,
    ) -> TimedPartway:
        """
        Time-dependent routes ``sources[i] -> targets[i]`` that start and end part-way along arcs.

        What :func:`ecoroute.snapping.partway_pairs` does for static routes, on
        the time-dependent search: a point part-way along arc ``a`` drives the
        rest of ``a`` from its departure (:meth:`drive`), and the search starts
        at ``a``'s head (on a turn-aware router: at arc node ``a``) at that
        time; on a two-way road also back along the reverse arc. A target
        part-way along ``b`` is reached from ``b``'s tail (turn-aware: by the
        search into arc node ``b``, whose whole drive is replaced by its first
        fraction) at the time the search gets there. Every combination (at
        most four per pair) is one search; the cheapest, or the direct drive
        when the target lies ahead on the same arc, wins. For
        ``objective="time"`` that is the exact earliest arrival on the network
        with the two arcs split at the points (arcs are FIFO).
        """
        from .snapping import _candidates

        router = self.router
        graph = router.turns
        search = self._dijkstra()
        src = _candidates(router, sources, "source")
        dst = _candidates(router, targets, "target")
        k = len(sources)
        departures = np.asarray(departures, dtype=np.float64)
        # The first arcs: what is left of each source candidate's arc, from the departure.
        s_share = 1.0 - src.fraction
        t0 = np.repeat(departures[:, None], 2, axis=1)
        w0 = np.zeros((k, 2))
        s_part = src.arc >= 0
        if s_part.any():
            t0[s_part], w0[s_part] = self.drive(src.arc[s_part], t0[s_part], s_share[s_part])
        pair = np.repeat(np.arange(k), 4)
        js = np.tile([0, 0, 1, 1], k)
        jt = np.tile([0, 1, 0, 1], k)
        s_eng, t_eng = src.engine[pair, js], dst.engine[pair, jt]
        s_arc, t_arc = src.arc[pair, js], dst.arc[pair, jt]
        f, g = src.fraction[pair, js], dst.fraction[pair, jt]
        valid = (s_eng >= 0) & (t_eng >= 0)
        loop = valid & (s_eng == t_eng) if graph is not None else np.zeros(valid.size, bool)
        # The way round back onto the same arc is searched apart where the target is
        # behind the source on it (ahead of it, the direct drive below wins).
        looped = np.flatnonzero(loop & ~((s_arc >= 0) & (f <= g)))
        run = np.flatnonzero(valid & ~loop)
        found = search.search_pairs(
            s_eng[run], t_eng[run], t0[pair[run], js[run]], num_threads=num_threads
        )
        if looped.size:
            assert isinstance(search, _ExpandedSearch)
            found = _concatenate_found(
                found,
                search.loop_pairs(
                    s_eng[looped], t0[pair[looped], js[looped]], num_threads=num_threads
                ),
            )
            run = np.concatenate([run, looped])
        arrival, cost, offsets, arcs, entry, extra = found
        offsets = np.asarray(offsets, dtype=np.int64)
        arcs = np.asarray(arcs, dtype=np.uint32)
        entry = np.asarray(entry, dtype=np.float64)
        found = (arrival, cost, offsets, arcs, entry, extra)
        arrival = np.asarray(arrival, dtype=np.float64).copy()
        value = np.asarray(cost, dtype=np.float64) + w0[pair[run], js[run]]
        if router.node_potential is not None and not self.by_time:
            phi = router.node_potential
            value += -phi[src.phi[pair[run], js[run]]] + phi[dst.phi[pair[run], jt[run]]]
        # The last arcs: their first fraction, from when the search reaches them.
        reached = np.isfinite(arrival)
        last_entry = arrival.copy()
        ends = np.flatnonzero(reached & (t_arc[run] >= 0))
        if graph is not None and ends.size:  # the search drove all of b: take it off again
            last_entry[ends] = entry[offsets[ends + 1] - 1]
            _, whole_w = self.drive(t_arc[run[ends]], last_entry[ends], np.ones(ends.size))
            value[ends] -= whole_w
        if ends.size:
            arrival[ends], w_end = self.drive(t_arc[run[ends]], last_entry[ends], g[run[ends]])
            value[ends] += w_end
        if self.by_time:
            value = router.objective_weights["time_s"] * (arrival - departures[pair[run]])
        value[~reached] = np.inf
        total = np.full(pair.size, np.inf)
        final = np.full(pair.size, np.inf)
        total[run], final[run] = value, arrival
        # The target ahead of the source on the same arc: drive straight there.
        direct = valid & (s_arc >= 0) & (s_arc == t_arc) & (f <= g)
        at = np.flatnonzero(direct)
        if at.size:
            d_arrival, d_value = self.drive(s_arc[at], departures[pair[at]], g[at] - f[at])
            keep = ~(total[at] < d_value)
            direct[at[~keep]] = False
            total[at[keep]], final[at[keep]] = d_value[keep], d_arrival[keep]
        best = np.argmin(total.reshape(k, 4), axis=1)
        chosen = np.arange(k) * 4 + best
        return self._partway_result(
            src, dst, departures, chosen, total, final, direct, run, found, last_entry
        )

    def _partway_result(
        self,
        src: Any,
        dst: Any,
        departures: FloatArray,
        chosen: npt.NDArray[np.intp],
        total: FloatArray,
        final: FloatArray,
        direct: npt.NDArray[np.bool_],
        run: npt.NDArray[np.intp],
        found: tuple[Any, ...],
        last_entry: FloatArray,
    ) -> TimedPartway:
        """The chosen combination of each pair as a path, with entry times, shares and quantities."""
        router = self.router
        turn_aware = router.turns is not None
        _, _, offsets, arcs, entry, extra = found
        k = chosen.size
        position = np.full(total.size, -1, dtype=np.int64)
        position[run] = np.arange(run.size)
        js = np.array([0, 0, 1, 1])[chosen % 4]
        jt = np.array([0, 1, 0, 1])[chosen % 4]
        rows = np.arange(k)
        source_arc, f = src.arc[rows, js].copy(), src.fraction[rows, js]
        target_arc, g = dst.arc[rows, jt].copy(), dst.fraction[rows, jt]
        paths: list[npt.NDArray[np.uint32]] = []
        entries: list[FloatArray] = []
        shares: list[FloatArray] = []
        empty = np.empty(0)
        for i, c in enumerate(chosen.tolist()):
            dep = float(departures[i])
            if not math.isfinite(total[c]):
                paths.append(np.empty(0, np.uint32))
                entries.append(empty)
                shares.append(empty)
                continue
            if direct[c]:
                paths.append(np.array([source_arc[i]], np.uint32))
                entries.append(np.array([dep]))
                shares.append(np.array([g[i] - f[i]]))
                continue
            j = int(position[c])
            path = arcs[offsets[j] : offsets[j + 1]]
            when = entry[offsets[j] : offsets[j + 1]]
            share = np.ones(path.size)
            if source_arc[i] >= 0 and f[i] >= 1.0:  # at the very end of its arc: from its head
                source_arc[i] = -1
            if source_arc[i] >= 0:
                path = np.concatenate([[source_arc[i]], path])
                when = np.concatenate([[dep], when])
                share = np.concatenate([[1.0 - f[i]], share])
            if target_arc[i] >= 0:
                if g[i] <= 0.0:  # at the very start of its arc: nothing of it is driven
                    target_arc[i] = -1
                    if turn_aware:
                        path, when, share = path[:-1], when[:-1], share[:-1]
                elif turn_aware:  # the search drove all of it: only its first fraction counts
                    share[-1] = g[i]
                else:
                    path = np.concatenate([path, [target_arc[i]]])
                    when = np.concatenate([when, [last_entry[j]]])
                    share = np.concatenate([share, [g[i]]])
            paths.append(path.astype(np.uint32))
            entries.append(when)
            shares.append(share)
        lengths = np.array([p.size for p in paths], dtype=np.int64)
        path_offsets = np.zeros(k + 1, dtype=np.uint64)
        np.cumsum(lengths, out=path_offsets[1:])
        path_arcs = np.concatenate(paths).astype(np.uint32) if k else np.empty(0, np.uint32)
        entry_s = np.concatenate(entries) if k else empty
        share_all = np.concatenate(shares) if k else empty
        quantities = self._paths_quantities(path_offsets, path_arcs, entry_s, share_all)
        searched = position[chosen]
        use = np.flatnonzero((searched >= 0) & ~direct[chosen])
        for name, values in extra.items():  # what turns and junctions add (turn-aware routers)
            if name not in ("time_s", "distance_m"):
                quantities[name][use] += np.asarray(values)[searched[use]]
        cost = total[chosen]
        arrival_s = final[chosen]
        quantities["time_s"] = arrival_s - departures
        reachable = np.isfinite(cost)
        for values in quantities.values():
            values[~reachable] = np.inf
        source_arc = np.where(reachable, source_arc, -1)
        target_arc = np.where(reachable, target_arc, -1)
        result = PairResults(
            cost=cost,
            quantities=quantities,
            path_offsets=path_offsets,
            path_arcs=path_arcs,
            source_arc=source_arc,
            source_fraction=np.where(source_arc >= 0, f, np.nan),
            target_arc=target_arc,
            target_fraction=np.where(target_arc >= 0, g, np.nan),
        )
        return TimedPartway(result=result, entry_s=entry_s, shares=share_all, arrival_s=arrival_s)

    # -- matrices and batches: one metric per departure hour

    def engine_at(self, departure: Any) -> Any:
        """The router's query engine with every arc at the speed of ``departure``'s hour."""
        return self.router_at(departure)._engine

    def router_at(self, departure: Any) -> Router:
        """
        The router as it is at ``departure``'s hour: every arc driven at that hour's speed.

        A shallow copy of the router whose engine, per-arc weight and
        quantities (and, turn-aware, per-expanded-arc quantities) are the
        hour's, so that every query of the router, part-way routes and
        matrices included (:mod:`ecoroute.snapping`), runs on the hour's metric
        without a second copy of its code. The last few hours are kept.
        """
        import copy

        hour = hour_of_week(departure_seconds(departure))
        if hour in self._engines:
            self._engines.move_to_end(hour)
            return cast("Router", self._engines[hour])

        router = self.router
        network = router.network
        quantities = self.hour_quantities(hour)
        at_hour: dict[str, FloatArray] = {}
        for name, static in router.arc_quantities.items():
            values = np.array(static)
            values[self._arcs] = quantities[name]
            values.flags.writeable = False
            at_hour[name] = values
        weight = np.array(router.weight)
        weight[self._arcs] = self._hour_weight(hour)
        rules = router.rules
        if rules.restricts:  # arcs closed to the vehicle stay closed at every hour
            # Destination-only arcs are left to the turn graph's phases, which every
            # router with such arcs searches (ecoroute.destination).
            shut = rules.closed if router.turns is not None else rules.closed | rules.destination
            weight[shut] = np.inf
            for name, values in at_hour.items():
                values = np.array(values)
                values[shut] = np.inf
                values.flags.writeable = False
                at_hour[name] = values
        weight.flags.writeable = False
        view = copy.copy(router)
        view.arc_quantities = at_hour
        view.weight = weight
        if router.turns is not None:  # the turn-expanded graph, its arcs entered at the hour
            from .turns import turn_engine

            view._engine, _, view.turn_quantities = turn_engine(
                network,
                router.turns,
                vehicle=router.vehicle,
                payload_kg=self.payload_kg,
                arc_quantities=at_hour,
                report=router._report,
                objective_weights=router.objective_weights,
                node_potential=router.node_potential,
                algorithm=router.algorithm,
                num_threads=router.num_threads,
                speed_kph=self.profiles.speeds_at(hour, network.speed_kph),
                destination=router._destination_arcs(),
                conditional=(router.conditional, router.conditional_hour),
            )
        else:
            reported = [at_hour[name] for name in router._report]
            search = reduced_weight(network, weight, router.node_potential, router.vehicle.name)
            metric = _core.Metric(network._graph, search)
            if router.algorithm == "cch":
                from .hierarchy import lazy_hierarchy

                hierarchy = lazy_hierarchy(network, num_threads=router.num_threads)
                customized = hierarchy.customize(metric, num_threads=router.num_threads)
                view._engine = _core.QueryEngine(customized, reported)
            else:
                points = (
                    _core.SpherePoints(*unit_vectors(network.lat, network.lon))
                    if "astar" in router.algorithm
                    else None
                )
                view._engine = _core.QueryEngine(
                    metric, ALGORITHM_ENUM[router.algorithm], reported, points
                )
        self._engines[hour] = view
        while len(self._engines) > _ENGINE_CACHE_HOURS:
            self._engines.popitem(last=False)
        return view

    def partway_departures(
        self,
        sources: Endpoints,
        targets: Endpoints,
        departure: Any,
        *,
        with_paths: bool,
        num_threads: int,
        progress: bool,
        time_dependent: bool,
    ) -> PairResults:
        """
        Part-way routes with departures (one, or one per pair): ``Router.route_many``'s batch.

        On the metric of each pair's departure hour (pairs grouped by hour,
        :func:`ecoroute.snapping.partway_pairs` on :meth:`router_at`), or with
        ``time_dependent`` the search of :meth:`partway_pairs`.
        """
        from .snapping import partway_pairs

        count = len(sources)
        seconds = departure_seconds_array(departure, count)
        if time_dependent:
            result = self.partway_pairs(sources, targets, seconds, num_threads=num_threads).result
            if not with_paths:
                result = replace(result, path_offsets=None, path_arcs=None)
            return result
        hours = (seconds // SECONDS_PER_HOUR).astype(np.int64) % HOURS_PER_WEEK
        groups = [np.flatnonzero(hours == h) for h in np.unique(hours).tolist()]
        parts = [
            partway_pairs(
                self.router_at(float(seconds[group[0]])),
                sources.take(group),
                targets.take(group),
                with_paths=with_paths,
                num_threads=num_threads,
                progress=progress,
            )
            for group in groups
        ]
        if len(parts) == 1:
            return parts[0]
        return gather_pairs(parts, groups, count)

    def route_indices_by_hour(
        self,
        sources: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.uint32],
        departures: FloatArray,
        *,
        with_paths: bool,
        num_threads: int | None,
        progress: bool | None,
    ) -> PairResults:
        """Route pairs with one departure each: one batch per departure hour, reassembled."""

        router = self.router
        hours = (departures // SECONDS_PER_HOUR).astype(np.int64) % HOURS_PER_WEEK
        count = sources.size
        cost = np.empty(count)
        sums = {name: np.empty(count) for name in router._report}
        paths: list[npt.NDArray[np.uint32]] = [np.empty(0, np.uint32)] * count
        for hour in np.unique(hours).tolist():
            group = np.flatnonzero(hours == hour)
            part = router.route_indices(
                sources[group],
                targets[group],
                with_paths=with_paths,
                num_threads=num_threads,
                progress=progress,
                departure=float(hour * SECONDS_PER_HOUR),
            )
            cost[group] = part.cost
            for name, values in sums.items():
                values[group] = part.quantities[name]
            if with_paths:
                assert part.path_offsets is not None
                assert part.path_arcs is not None
                for j, i in enumerate(group.tolist()):
                    paths[i] = part.path_arcs[part.path_offsets[j] : part.path_offsets[j + 1]]
        offsets = arcs = None
        if with_paths:
            offsets = np.zeros(count + 1, dtype=np.uint64)
            np.cumsum([p.size for p in paths], out=offsets[1:])
            arcs = np.concatenate(paths) if paths else np.empty(0, np.uint32)
        return PairResults(cost=cost, quantities=sums, path_offsets=offsets, path_arcs=arcs)


def gather_pairs(
    parts: list[PairResults], groups: list[npt.NDArray[np.intp]], count: int
) -> PairResults:
    """Results of groups of pairs (``groups[i]``: the pairs of ``parts[i]``) back in pair order."""
    first = parts[0]

    def put(values: list[Any], fill: Any) -> Any:
        out = np.full(count, fill, dtype=np.asarray(values[0]).dtype)
        for group, v in zip(groups, values, strict=True):
            out[group] = v
        return out

    offsets = arcs = None
    if first.path_offsets is not None:
        paths: list[Any] = [None] * count
        for group, part in zip(groups, parts, strict=True):
            assert part.path_offsets is not None
            assert part.path_arcs is not None
            for j, i in enumerate(group.tolist()):
                paths[i] = part.path_arcs[part.path_offsets[j] : part.path_offsets[j + 1]]
        offsets = np.zeros(count + 1, dtype=np.uint64)
        np.cumsum([p.size for p in paths], out=offsets[1:])
        arcs = np.concatenate(paths).astype(np.uint32) if count else np.empty(0, np.uint32)
    optional = {
        name: put([getattr(p, name) for p in parts], np.nan if "fraction" in name else -1)
        for name in ("source_arc", "source_fraction", "target_arc", "target_fraction")
        if getattr(first, name) is not None
    }
    return PairResults(
        cost=put([p.cost for p in parts], np.inf),
        quantities={
            name: put([p.quantities[name] for p in parts], np.inf) for name in first.quantities
        },
        path_offsets=offsets,
        path_arcs=arcs,
        **optional,
    )


def _concatenate_found(
    first: tuple[Any, ...], second: tuple[Any, ...]
) -> tuple[Any, Any, Any, Any, Any, dict[str, FloatArray]]:
    """Two results of ``search_pairs`` (arrival, cost, CSR paths, entries, extras) as one."""
    offsets_1 = np.asarray(first[2], dtype=np.uint64)
    offsets_2 = np.asarray(second[2], dtype=np.uint64)
    return (
        np.concatenate([np.asarray(first[0]), np.asarray(second[0])]),
        np.concatenate([np.asarray(first[1]), np.asarray(second[1])]),
        np.concatenate([offsets_1, offsets_2[1:] + offsets_1[-1]]),
        np.concatenate([np.asarray(first[3]), np.asarray(second[3])]).astype(np.uint32),
        np.concatenate([np.asarray(first[4]), np.asarray(second[4])]),
        {
            name: np.concatenate([np.asarray(values), np.asarray(second[5][name])])
            for name, values in first[5].items()
        },
    )


class _NodeSearch:
    """The time-dependent search on the network itself (nothing added at junctions)."""

    def __init__(self, td: Any) -> None:
        self.td = td

    def route(
        self, source: int, target: int, departure: float
    ) -> tuple[float, float, Any, Any, dict[str, FloatArray]]:
        arrival, cost, path, entry = self.td.route(source, target, departure)
        return arrival, cost, path, entry, {}

    def route_pairs(
        self, sources: Any, targets: Any, departures: Any, *, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any, Any, dict[str, FloatArray]]:
        found = self.td.route_pairs(sources, targets, departures, num_threads=num_threads)
        return (*found, {})

    def search_pairs(
        self, starts: Any, ends: Any, departures: Any, *, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any, Any, dict[str, FloatArray]]:
        """:meth:`route_pairs` between search nodes (here: the network's own nodes)."""
        return self.route_pairs(starts, ends, departures, num_threads=num_threads)


def _turn_share(expanded: FloatArray, entered: FloatArray) -> FloatArray:
    """What a turn adds to the arc it enters (0 into an arc closed to the vehicle: inf - inf)."""
    finite = np.isfinite(entered)
    return np.where(finite, expanded - np.where(finite, entered, 0.0), 0.0)


class _ExpandedSearch:
    """
    The time-dependent search on a turn-aware router's expanded graph, answered in network arcs.

    An expanded arc that enters network arc ``b`` (a turn into ``b``, or the
    start of a route on ``b``) takes the turn's seconds plus ``b``'s time at
    the speed in force when it is entered, and costs ``b``'s weight at that
    hour plus what the turn adds: its seconds of idling and the energy of
    pulling away again to ``b``'s speed at that hour
    (:func:`ecoroute.turns.intersection_quantities`). The search is the same
    C++ time-dependent Dijkstra (or A*) as on the network, so it obeys every
    restriction the router's other queries obey. Paths come back as the
    network arcs driven, each with the moment it is entered (after the
    turn's seconds), and with what the turns added per path, so that
    reported quantities include them as the router's static queries do.
    """

    def __init__(self, traffic: TrafficRouting) -> None:
        router = traffic.router
        graph = router.turns
        expanded = router.turn_quantities
        assert graph is not None
        assert expanded is not None
        network = router.network
        self.graph = graph
        self.traffic = traffic
        entered = graph.entered
        driven = entered >= 0
        index = np.where(driven, entered, 0)
        self.turn_s = np.where(driven, graph.time_s, 0.0)
        #: What each expanded arc adds to the entered arc's own quantities, at free flow.
        self.extra = {
            name: _turn_share(expanded[name], np.where(driven, np.asarray(values)[index], 0.0))
            for name, values in router.arc_quantities.items()
        }
        row_of_arc = np.full(network.arc_count, -1, dtype=np.int64)
        row_of_arc[traffic._arcs] = np.arange(traffic._arcs.size)
        #: Profile row of the network arc each expanded arc enters (-1: none).
        self.row = np.where(driven, row_of_arc[index], -1)
        profiled = np.flatnonzero(self.row >= 0)
        rows = self.row[profiled]
        slot_time = traffic._slot_time[rows] + graph.time_s[profiled, None].astype(np.float32)
        # An expanded arc closed to the vehicle (into a closed arc, or a turn the phases
        # of destination-only arcs forbid, ecoroute.destination) costs +inf at every hour.
        closed_rows = ~np.isfinite(np.asarray(expanded["time_s"])[profiled])
        slot_time[closed_rows] = np.inf
        if traffic.by_time:
            static_weight = np.empty(0)
            slot_weight = np.empty(0)
        else:
            weight = np.zeros(graph.arc_count)
            for name, factor in router.objective_weights.items():
                if factor:  # 0 * inf (a closed arc) is NaN
                    weight += factor * expanded[name]
            static_weight = self._reduced(weight)
            slot_weight = np.empty((profiled.size, HOURS_PER_WEEK))
            ends = (graph.arc_tail[profiled], graph.graph.head.astype(np.int64)[profiled])
            for hour in range(HOURS_PER_WEEK):
                extra = self._turn_extra(profiled, np.full(profiled.size, hour))
                at_hour = traffic._hour_weight(hour, keep=False)[rows]
                for name, factor in router.objective_weights.items():
                    at_hour = at_hour + factor * extra[name]
                slot_weight[:, hour] = self._reduced(at_hour, ends)
            slot_weight[closed_rows] = np.inf
        self.td = _core.TimeDependentDijkstra(
            graph.graph,
            np.ascontiguousarray(expanded["time_s"], dtype=np.float64),
            np.ascontiguousarray(static_weight, dtype=np.float64),
            profiled.astype(np.uint32),
            np.ascontiguousarray(slot_time, dtype=np.float32).ravel(),
            np.ascontiguousarray(slot_weight, dtype=np.float64).ravel(),
            slot_length=SECONDS_PER_HOUR,
            slot_count=HOURS_PER_WEEK,
            points=None
            if router.algorithm == "dijkstra"
            else _core.SpherePoints(*graph.unit_vectors()),
        )

    def _turn_extra(
        self, arcs: npt.NDArray[np.intp], hours: npt.NDArray[np.int64]
    ) -> dict[str, FloatArray]:
        """What profiled expanded ``arcs`` add when entered at ``hours`` (0 for absent names)."""
        from .turns import intersection_quantities

        traffic = self.traffic
        graph = self.graph
        speed = traffic.profiles.speed_kph[self.row[arcs], hours].astype(np.float64)
        found = intersection_quantities(
            traffic.router.vehicle,
            speed,
            graph.stop_work_at(speed, arcs),
            graph.time_s[arcs],
            traffic.payload_kg,
        )
        zero = np.zeros(arcs.size)
        return {name: found.get(name, zero) for name in self.extra}

    def _reduced(
        self,
        weight: FloatArray,
        ends: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None,
    ) -> FloatArray:
        """Shift expanded weights by the router's node potential (where it has one)."""
        router = self.traffic.router
        if router.node_potential is None:
            return np.maximum(weight, 0.0)
        graph = self.graph
        phi = np.asarray(router.node_potential)[graph.node_position]
        tail, head = ends or (graph.arc_tail, graph.graph.head.astype(np.int64))
        return np.maximum(weight + phi[tail] - phi[head], 0.0)

    def _added(self, expanded: npt.NDArray[np.intp], when: FloatArray) -> dict[str, FloatArray]:
        """What each expanded arc adds to the arc it enters (turns, controls), taken at ``when``."""
        values = {name: extra[expanded] for name, extra in self.extra.items()}
        timed = np.flatnonzero(self.row[expanded] >= 0)
        if timed.size:
            hours = np.floor(when[timed] / SECONDS_PER_HOUR).astype(np.int64) % HOURS_PER_WEEK
            for name, at_hour in self._turn_extra(expanded[timed], hours).items():
                values[name][timed] = at_hour
        return values

    def loop_pairs(
        self, nodes: Any, departures: Any, *, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any, Any, dict[str, FloatArray]]:
        """
        :meth:`search_pairs` from arc node ``a`` round and back into ``a`` (the search answers 0).

        One search from ``a`` to every expanded node that may turn into ``a``,
        then that turn and all of ``a`` (driven from when it is entered); the
        least-cost way round wins (earliest for ``objective="time"``). Costs
        are true costs (a way round starts and ends at ``head(a)``, so a
        potential shift cancels). ``inf`` where no way leads back.
        """
        traffic = self.traffic
        router = traffic.router
        graph = self.graph
        nodes = np.asarray(nodes, dtype=np.int64)
        departures = np.asarray(departures, dtype=np.float64)
        head_e = np.asarray(graph.graph.head, dtype=np.int64)
        tail_e = np.asarray(graph.arc_tail, dtype=np.int64)
        into = np.flatnonzero(np.isin(head_e, nodes) & (tail_e < graph.out_offset))
        by_node: dict[int, list[int]] = {}
        for e in into.tolist():
            by_node.setdefault(int(head_e[e]), []).append(e)
        item = [i for i, a in enumerate(nodes.tolist()) for _ in by_node.get(a, [])]
        turn = np.array([e for a in nodes.tolist() for e in by_node.get(a, [])], dtype=np.intp)
        owner = np.array(item, dtype=np.intp)
        arrival, cost, offsets, arcs, entry, extra = self.search_pairs(
            nodes[owner], tail_e[turn], departures[owner], num_threads=num_threads
        )
        arrival = np.asarray(arrival, dtype=np.float64)
        value = np.asarray(cost, dtype=np.float64).copy()
        if router.node_potential is not None and not traffic.by_time:
            position = np.asarray(graph.node_position)
            phi = router.node_potential
            value += -phi[position[nodes[owner]]] + phi[position[tail_e[turn]]]
        enter = arrival + self.turn_s[turn]  # when the arc itself is entered, after the turn
        a_arcs = graph.node_arc[nodes[owner]]
        ok = np.isfinite(arrival)
        done, weight = np.full(turn.size, np.inf), np.full(turn.size, np.inf)
        if ok.any():
            done[ok], weight[ok] = traffic.drive(a_arcs[ok], enter[ok], np.ones(int(ok.sum())))
        added = self._added(turn, np.where(ok, arrival, 0.0))
        if traffic.by_time:
            value = router.objective_weights["time_s"] * (done - departures[owner])
        else:
            for name, factor in router.objective_weights.items():
                value += factor * added[name]
            value += weight
        value[~ok] = np.inf
        k = nodes.size
        best = np.full(k, -1, dtype=np.int64)
        for j in np.flatnonzero(np.isfinite(value)).tolist():
            i = int(owner[j])
            if best[i] < 0 or value[j] < value[best[i]]:
                best[i] = j
        bounds = np.asarray(offsets, dtype=np.int64)
        arcs = np.asarray(arcs, dtype=np.uint32)
        entry = np.asarray(entry, dtype=np.float64)
        out_arrival, out_cost = np.full(k, np.inf), np.full(k, np.inf)
        out_extra = {name: np.zeros(k) for name in extra}
        paths: list[npt.NDArray[np.uint32]] = []
        entries: list[FloatArray] = []
        for i in range(k):
            j = int(best[i])
            if j < 0:
                paths.append(np.empty(0, np.uint32))
                entries.append(np.empty(0))
                continue
            out_arrival[i], out_cost[i] = done[j], value[j]
            for name, values in out_extra.items():
                values[i] = float(np.asarray(extra[name])[j]) + float(added[name][j])
            piece = slice(int(bounds[j]), int(bounds[j + 1]))
            paths.append(np.append(arcs[piece], a_arcs[j]).astype(np.uint32))
            entries.append(np.append(entry[piece], enter[j]))
        out_offsets = np.zeros(k + 1, dtype=np.uint64)
        np.cumsum([p.size for p in paths], out=out_offsets[1:])
        out_arcs = np.concatenate(paths) if k else np.empty(0, np.uint32)
        out_entry = np.concatenate(entries) if k else np.empty(0)
        return out_arrival, out_cost, out_offsets, out_arcs, out_entry, out_extra

    def _network_paths(
        self, offsets: Any, arcs: Any, entry: Any
    ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint32], FloatArray, dict[str, FloatArray]]:
        graph = self.graph
        expanded = np.asarray(arcs, dtype=np.intp)
        when = np.asarray(entry, dtype=np.float64)
        bounds = np.asarray(offsets, dtype=np.int64)
        count = bounds.size - 1
        pair = np.repeat(np.arange(count), np.diff(bounds))
        values = self._added(expanded, when)
        extra = {
            name: np.bincount(pair, weights=v, minlength=count).astype(np.float64)
            for name, v in values.items()
        }
        keep = graph.entered[expanded] >= 0
        net_offsets, net_arcs = graph.network_paths(
            np.asarray(offsets, dtype=np.uint64), np.asarray(arcs, dtype=np.uint32)
        )
        net_entry = (when + self.turn_s[expanded])[keep]
        return net_offsets, net_arcs, net_entry, extra

    def route(
        self, source: int, target: int, departure: float
    ) -> tuple[float, float, Any, Any, dict[str, FloatArray]]:
        graph = self.graph
        start = int(graph.start_nodes([source])[0])
        end = int(graph.end_nodes([target])[0])
        arrival, cost, path, entry = self.td.route(start, end, departure)
        offsets = np.array([0, np.asarray(path).size], dtype=np.uint64)
        _, arcs, net_entry, extra = self._network_paths(offsets, path, entry)
        return arrival, cost, arcs, net_entry, extra

    def route_pairs(
        self, sources: Any, targets: Any, departures: Any, *, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any, Any, dict[str, FloatArray]]:
        graph = self.graph
        return self.search_pairs(
            graph.start_nodes(sources),
            graph.end_nodes(targets),
            departures,
            num_threads=num_threads,
        )

    def search_pairs(
        self, starts: Any, ends: Any, departures: Any, *, num_threads: int = 0
    ) -> tuple[Any, Any, Any, Any, Any, dict[str, FloatArray]]:
        """
        :meth:`route_pairs` between expanded nodes (start, end or arc nodes), in network arcs.

        From arc node ``a`` the search leaves ``head(a)`` by an allowed turn; into
        arc node ``b`` it drives all of ``b`` (the last network arc of the path).
        """
        arrival, cost, offsets, arcs, entry = self.td.route_pairs(
            np.ascontiguousarray(starts, dtype=np.uint32),
            np.ascontiguousarray(ends, dtype=np.uint32),
            departures,
            num_threads=num_threads,
        )
        net_offsets, net_arcs, net_entry, extra = self._network_paths(offsets, arcs, entry)
        return arrival, cost, net_offsets, net_arcs, net_entry, extra


# ---------------------------------------------------------------------- fleet legs (issue 12)


@dataclass(frozen=True)
class TimedPaths:
    """
    Time-dependent paths of many legs, each leaving at its own time (:func:`timed_paths`).

    Attributes
    ----------
    offsets, arcs
        CSR paths: leg ``i`` drives ``arcs[offsets[i]:offsets[i + 1]]``.
    entry_s
        When each arc of ``arcs`` is entered, seconds since Monday 00:00 (on
        the scale of the departures given, so it may pass the end of the week).
    arrival_s
        When each leg arrives (``inf`` where the target cannot be reached).
    shares
        The fraction of each arc of ``arcs`` driven: 1 but for a first arc
        left, or a last arc entered, part-way (legs between snapped points);
        arcs of which nothing is driven are left out of the paths.
    """

    offsets: npt.NDArray[np.uint64]
    arcs: npt.NDArray[np.uint32]
    entry_s: FloatArray
    arrival_s: FloatArray
    shares: FloatArray | None = None


@dataclass(frozen=True)
class TimedPartway:
    """
    Time-dependent routes that start and end part-way along arcs (:meth:`TrafficRouting.partway_pairs`).

    Attributes
    ----------
    result
        Costs, quantities, paths (CSR) and where each route starts and ends
        (``source_arc``, ``source_fraction``, ...), as
        :func:`ecoroute.snapping.partway_pairs` gives them.
    entry_s
        When each arc of ``result.path_arcs`` is entered (seconds since Monday 00:00).
    shares
        The fraction of each arc of ``result.path_arcs`` driven (1 but for a
        part-way first or last arc).
    arrival_s
        When each route reaches its target (``inf`` where it cannot).
    """

    result: PairResults
    entry_s: FloatArray
    shares: FloatArray
    arrival_s: FloatArray


def timed_paths(
    router: Router,
    sources: npt.NDArray[np.uint32] | Endpoints,
    targets: npt.NDArray[np.uint32] | Endpoints,
    departures_s: FloatArray,
    *,
    num_threads: int | None = None,
) -> TimedPaths:
    """
    Route legs each leaving at its departure, as ``router.route`` does.

    The same time-dependent search as :meth:`ecoroute.Router.route` with
    ``departure=`` (exact earliest arrival for ``objective="time"``, the
    documented heuristic otherwise), over the router's threads, returning
    when every arc is entered: what a fleet plan's leg replay needs to
    evaluate each arc at the hours it is driven in. ``sources`` and
    ``targets`` are dense node indices, or resolved points
    (:class:`~ecoroute.snapping.Endpoints`): legs between snapped points
    start and end part-way along their roads (:meth:`TrafficRouting.partway_pairs`).
    """
    from .snapping import Endpoints

    departures = np.ascontiguousarray(departures_s, dtype=np.float64)
    traffic = router._traffic_for(departures[0] if departures.size else 0.0)
    threads = router.num_threads if num_threads is None else num_threads
    if isinstance(sources, Endpoints) and isinstance(targets, Endpoints):
        if bool(sources.partway.any() or targets.partway.any()):
            timed = traffic.partway_pairs(sources, targets, departures, num_threads=threads)
            found = timed.result
            assert found.path_offsets is not None
            assert found.path_arcs is not None
            keep = timed.shares > 0.0  # two points at one place: an arc nothing of is driven
            kept = np.concatenate([[0], np.cumsum(keep)])
            return TimedPaths(
                offsets=kept[found.path_offsets.astype(np.int64)].astype(np.uint64),
                arcs=found.path_arcs[keep],
                entry_s=timed.entry_s[keep],
                arrival_s=timed.arrival_s,
                shares=timed.shares[keep],
            )
        sources, targets = sources.node.astype(np.uint32), targets.node.astype(np.uint32)
    arrival, _, offsets, arcs, entry, _ = traffic._dijkstra().route_pairs(
        np.ascontiguousarray(sources, dtype=np.uint32),
        np.ascontiguousarray(targets, dtype=np.uint32),
        departures,
        num_threads=threads,
    )
    return TimedPaths(
        offsets=np.asarray(offsets, dtype=np.uint64),
        arcs=np.asarray(arcs, dtype=np.uint32),
        entry_s=np.asarray(entry, dtype=np.float64),
        arrival_s=np.asarray(arrival, dtype=np.float64),
    )


def timed_arc_quantities(
    vehicle: Vehicle,
    network: RoadNetwork,
    profiles: SpeedProfiles,
    arcs: npt.NDArray[np.uint32],
    entry_s: FloatArray,
    arrival_s: float,
    static: dict[str, FloatArray],
    *,
    payload_kg: float | None,
    shares: FloatArray | None = None,
) -> dict[str, FloatArray]:
    """
    Return a vehicle's quantities on each arc of a path driven from the given entry times.

    ``static`` holds the quantities of the path's arcs at free flow (at the
    same payload); arcs without a profile keep them. A profiled arc is
    driven at the speed in force at each moment: the share of it driven in
    each hour is evaluated at that hour's speed, congestion included
    (:func:`congested_arc_quantities`), as the router's time-dependent
    routes are reported. ``time_s`` comes from the entry times (the next
    arc's entry, ``arrival_s`` for the last), ``distance_m`` is unchanged.
    ``shares`` (1 by default): the fraction of each arc driven, for legs that
    start or end part-way along an arc (``static`` already counts only those
    fractions); a profiled arc's share is driven hour by hour likewise.
    """
    index = np.asarray(arcs, dtype=np.intp)
    out = {name: np.array(values, dtype=np.float64) for name, values in static.items()}
    entry = np.asarray(entry_s, dtype=np.float64)
    if index.size:
        out["time_s"] = np.diff(np.append(entry, arrival_s))
    known = profiles.arcs
    if not known.size or not index.size:
        return out
    row = np.minimum(np.searchsorted(known, index), known.size - 1)
    where = np.flatnonzero(known[row] == index)
    if not where.size:
        return out
    # Pieces (position on the path, profile row, hour, share of the arc), as the C++ drives them.
    position: list[int] = []
    rows: list[int] = []
    hours: list[int] = []
    pieces: list[float] = []
    length = network.length_m[index[where]]
    driven = np.ones(index.size) if shares is None else np.asarray(shares, dtype=np.float64)
    for p, r, t, metres, share in zip(
        where.tolist(),
        row[where].tolist(),
        entry[where].tolist(),
        length.tolist(),
        driven[where].tolist(),
        strict=True,
    ):
        remaining = share
        while True:
            slot = math.floor(t / SECONDS_PER_HOUR)
            hour = slot % HOURS_PER_WEEK
            end = (slot + 1) * SECONDS_PER_HOUR
            whole = metres / (float(profiles.speed_kph[r, hour]) / 3.6)
            if whole <= 0.0 or t + remaining * whole <= end:
                position.append(p)
                rows.append(r)
                hours.append(hour)
                pieces.append(remaining)
                break
            part = (end - t) / whole
            position.append(p)
            rows.append(r)
            hours.append(hour)
            pieces.append(part)
            remaining -= part
            t = end
    pos_a, row_a, hour_a, share_a = (
        np.array(position),
        np.array(rows),
        np.array(hours),
        np.array(pieces),
    )
    names = [n for n in out if n not in ("time_s", "distance_m")]
    for name in names:
        out[name][where] = 0.0
    for h in np.unique(hour_a).tolist():
        take = hour_a == h
        speed = profiles.speed_kph[row_a[take], h].astype(np.float64)
        values = congested_arc_quantities(
            vehicle,
            network,
            speed,
            arcs=index[pos_a[take]],
            payload_kg=payload_kg,
            congestion=profiles.congestion,
        )
        for name in names:
            np.add.at(out[name], pos_a[take], share_a[take] * values[name])
    return out


__all__ = [
    "EVERY_HOUR",
    "HOURS_PER_WEEK",
    "MAX_CONGESTION_FACTOR",
    "MAX_SPEED_KPH",
    "SpeedProfiles",
    "SpeedTable",
    "TimedPaths",
    "arc_nodes_from",
    "congested_arc_quantities",
    "congestion_factor",
    "departure_seconds",
    "read_speeds",
    "synthetic_profiles",
    "timed_arc_quantities",
    "timed_paths",
    "with_speeds",
]
