"""Readers for the 9th DIMACS Implementation Challenge road graphs (.gr and .co files)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._errors import NetworkError
from .network import RoadNetwork

#: DIMACS USA-road-d arc lengths are in decimetres. Checked on New York: the
#: median ratio of the stored length to the great-circle distance between the
#: arc's end coordinates is 9.99.
DECIMETRES_PER_UNIT = 1.0

#: DIMACS USA-road-t travel times are ``distance / category speed`` in a unit
#: the challenge leaves open ("somewhat arbitrarily chosen"). On New York the
#: ratio d/t takes four values, 0.4, 0.6, 0.8 and 1.0 decimetres per unit, one
#: per road category; reading the unit as 1e-6 hours (3.6 ms) gives 40, 60, 80
#: and 100 km/h, plausible speeds for local streets up to highways.
SECONDS_PER_TIME_UNIT = 0.0036


def _read_records(
    path: Path, kind: bytes, fields: int
) -> tuple[list[bytes], npt.NDArray[np.int64]]:
    """Return the header lines and the integer fields of every ``kind`` line of a DIMACS file."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path) as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except (OSError, EOFError) as error:
        msg = f"{path}: cannot be read ({error})."
        raise NetworkError(msg) from error
    lines = raw.splitlines()
    problem = [line for line in lines if line.startswith(b"p ")]
    body = [line[len(kind) + 1 :] for line in lines if line.startswith(kind + b" ")]
    try:
        values = (
            np.fromstring(b" ".join(body), dtype=np.int64, sep=" ")
            if body
            else np.empty(0, np.int64)
        )
    except ValueError:  # NumPy 2 refuses trailing garbage
        values = np.empty(0, np.int64)
    if values.size != fields * len(body):
        msg = f"{path}: some '{kind.decode()}' lines do not hold {fields} integers."
        raise NetworkError(msg)
    return problem, values.reshape(-1, fields)


def read_gr(path: str | Path) -> tuple[int, npt.NDArray[np.int64]]:
    """
    Read a DIMACS ``.gr`` file (optionally gzipped).

    Returns
    -------
    node_count, arcs
        The declared node count, and an ``(m, 3)`` int64 array of
        ``tail, head, weight`` with 0-based node ids.

    Raises
    ------
    NetworkError
        If the file has no ``p sp`` line, or its arcs disagree with it.
    """
    path = Path(path)
    problem, arcs = _read_records(path, b"a", 3)
    parts = problem[0].split() if problem else []
    if len(parts) != 4 or parts[1] != b"sp":
        msg = f"{path}: no 'p sp <nodes> <arcs>' line; is this a DIMACS .gr file?"
        raise NetworkError(msg)
    node_count, arc_count = int(parts[2]), int(parts[3])
    if len(arcs) != arc_count:
        msg = f"{path}: the problem line declares {arc_count} arcs but the file has {len(arcs)}."
        raise NetworkError(msg)
    arcs[:, :2] -= 1
    if len(arcs) and (arcs[:, :2].min() < 0 or arcs[:, :2].max() >= node_count):
        msg = f"{path}: arcs reference nodes outside 1..{node_count}."
        raise NetworkError(msg)
    return node_count, arcs


def read_co(path: str | Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Read a DIMACS ``.co`` file: return node latitudes and longitudes in degrees."""
    path = Path(path)
    _, rows = _read_records(path, b"v", 3)
    n = len(rows)
    ids = rows[:, 0] - 1
    if n == 0 or not np.array_equal(np.sort(ids), np.arange(n)):
        msg = f"{path}: expected one 'v <id> <lon> <lat>' line for every node 1..n."
        raise NetworkError(msg)
    lat = np.empty(n)
    lon = np.empty(n)
    lon[ids] = rows[:, 1] / 1e6  # micro-degrees, longitude first
    lat[ids] = rows[:, 2] / 1e6
    return lat, lon


def read_dimacs(
    distance_gr: str | Path, time_gr: str | Path, coordinates: str | Path
) -> RoadNetwork:
    """
    Build a network from a DIMACS challenge graph: distance file, time file and coordinates.

    The two ``.gr`` files must list the same arcs in the same order (as the
    challenge's ``USA-road-d`` and ``USA-road-t`` files do). Lengths are
    converted from decimetres to metres and times to seconds (see
    :data:`SECONDS_PER_TIME_UNIT`); speeds follow as length / time.

    Example
    -------
    >>> net = read_dimacs("USA-road-d.NY.gr.gz", "USA-road-t.NY.gr.gz", "USA-road-d.NY.co.gz")
    """
    n, dist = read_gr(distance_gr)
    n_time, time = read_gr(time_gr)
    if n != n_time or dist.shape != time.shape or not np.array_equal(dist[:, :2], time[:, :2]):
        msg = "The distance and time files must describe the same arcs in the same order."
        raise NetworkError(msg)
    lat, lon = read_co(coordinates)
    if lat.size != n:
        msg = f"The coordinate file has {lat.size} nodes, the graph {n}."
        raise NetworkError(msg)
    length_m = dist[:, 2] * 0.1 * DECIMETRES_PER_UNIT
    time_s = time[:, 2] * SECONDS_PER_TIME_UNIT
    if (time_s <= 0).any():
        msg = "The time file has arcs with zero travel time; speeds would be infinite."
        raise NetworkError(msg)
    speed_kph = length_m / time_s * 3.6
    return RoadNetwork.from_arrays(
        dist[:, 0],
        dist[:, 1],
        length_m,
        speed_kph,
        lat,
        lon,
        travel_time_s=time_s,
        node_id=np.arange(1, n + 1, dtype=np.int64),
    )
