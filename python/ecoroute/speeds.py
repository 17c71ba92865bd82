"""Road speeds: OSM maxspeed parsing, a fallback table by highway class, imputation."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

KPH_PER_MPH = 1.609344
KPH_PER_KNOT = 1.852

#: Speed assumed for ``maxspeed=none`` (no legal limit, e.g. German Autobahn
#: sections): the German advisory speed (Richtgeschwindigkeit), 130 km/h.
NO_LIMIT_KPH = 130.0

#: Speed for ``maxspeed=walk`` (walking pace, German/Austrian living streets):
#: courts read "Schrittgeschwindigkeit" as roughly 4-7 km/h; 7 km/h is used.
WALK_KPH = 7.0

#: Highest speed ecoroute believes, in km/h. No public road has a posted limit
#: above 160 km/h and free-flow speeds on unlimited motorways stay well below
#: 300 km/h; a larger ``maxspeed`` (``999999``, ``1e300``) is a tagging error,
#: and used as a speed it would make an arc free to drive or, through a model's
#: ``v**3`` terms, infinitely expensive (closed). :func:`parse_maxspeed`
#: ignores such values (the OSM loader counts them in a warning and imputes the
#: speed) and :meth:`ecoroute.RoadNetwork.from_arrays` refuses them.
MAX_SPEED_KPH = 300.0

#: Lowest speed ecoroute believes, in km/h. Posted limits go down to walking
#: pace (``maxspeed=walk``, :data:`WALK_KPH`) and a few km/h; a smaller
#: ``maxspeed`` (``0``, ``0.0001``) is a tagging error, and used as a speed it
#: would make an arc of 137 m take 57 days. :func:`parse_maxspeed` ignores such values as it
#: ignores those above :data:`MAX_SPEED_KPH` (the OSM loader counts both in one
#: warning and imputes the speed; :func:`below_floor` tells them apart).
MIN_SPEED_KPH = 1.0

#: Legal default limits for ``maxspeed=<country>:<context>`` zone values, in km/h
#: (OpenStreetMap wiki, "Default speed limits"; only the contexts seen most
#: often are listed, per country where they differ from :data:`ZONE_DEFAULT_KPH`).
ZONE_KPH: dict[str, float] = {
    "AT:urban": 50.0,
    "AT:rural": 100.0,
    "AT:motorway": 130.0,
    "AT:trunk": 100.0,
    "BE:urban": 50.0,
    "BE:rural": 90.0,
    "BE-VLG:rural": 70.0,
    "BE:motorway": 120.0,
    "CH:urban": 50.0,
    "CH:rural": 80.0,
    "CH:trunk": 100.0,
    "CH:motorway": 120.0,
    "CZ:urban": 50.0,
    "CZ:rural": 90.0,
    "CZ:trunk": 110.0,
    "CZ:motorway": 130.0,
    "DE:urban": 50.0,
    "DE:rural": 100.0,
    "DE:motorway": NO_LIMIT_KPH,
    "DE:trunk": 100.0,
    "DE:zone30": 30.0,
    "DE:zone:30": 30.0,
    "DE:bicycle_road": 30.0,
    "DK:urban": 50.0,
    "DK:rural": 80.0,
    "DK:motorway": 130.0,
    "ES:urban": 50.0,
    "ES:rural": 90.0,
    "ES:trunk": 100.0,
    "ES:motorway": 120.0,
    "FI:urban": 50.0,
    "FI:rural": 80.0,
    "FI:motorway": 120.0,
    "FR:urban": 50.0,
    "FR:rural": 80.0,
    "FR:trunk": 110.0,
    "FR:motorway": 130.0,
    "GB:nsl_single": 60 * KPH_PER_MPH,
    "GB:nsl_dual": 70 * KPH_PER_MPH,
    "GB:motorway": 70 * KPH_PER_MPH,
    "UK:nsl_single": 60 * KPH_PER_MPH,
    "UK:nsl_dual": 70 * KPH_PER_MPH,
    "UK:motorway": 70 * KPH_PER_MPH,
    "IT:urban": 50.0,
    "IT:rural": 90.0,
    "IT:trunk": 110.0,
    "IT:motorway": 130.0,
    "MT:urban": 50.0,
    "MT:rural": 80.0,
    "NL:urban": 50.0,
    "NL:rural": 80.0,
    "NL:trunk": 100.0,
    "NL:motorway": 100.0,
    "PL:urban": 50.0,
    "PL:rural": 90.0,
    "PL:trunk": 100.0,
    "PL:motorway": 140.0,
    "RU:urban": 60.0,
    "RU:rural": 90.0,
    "RU:motorway": 110.0,
    "RU:living_street": 20.0,
    "SE:urban": 50.0,
    "SE:rural": 70.0,
    "SE:motorway": 110.0,
}

#: Defaults for a zone context in a country missing from :data:`ZONE_KPH`, in km/h.
ZONE_DEFAULT_KPH: dict[str, float] = {
    "urban": 50.0,
    "rural": 90.0,
    "trunk": 100.0,
    "motorway": 120.0,
    "living_street": 20.0,
    "zone20": 20.0,
    "zone30": 30.0,
    "zone:20": 20.0,
    "zone:30": 30.0,
    "school": 30.0,
    "pedestrian_zone": WALK_KPH,
}

_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph|knots|kn|km/h|kmh|kph)?\s*$", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def parse_maxspeed(value: str | None) -> float:
    """
    Return an OSM ``maxspeed`` value in km/h, or NaN when it says nothing usable.

    Understands numbers (km/h by default, ``mph``, ``knots``), ``none``
    (:data:`NO_LIMIT_KPH`), ``walk`` (:data:`WALK_KPH`), country zones such as
    ``RU:urban`` or ``DE:zone30`` (:data:`ZONE_KPH`, then
    :data:`ZONE_DEFAULT_KPH` by context), and lists such as ``50;30`` (their
    mean, as osmnx does). ``signals``, ``variable``, anything unknown and
    speeds above :data:`MAX_SPEED_KPH` or below :data:`MIN_SPEED_KPH` (see
    :func:`above_ceiling` and :func:`below_floor`) give NaN.

    Examples
    --------
    >>> parse_maxspeed("30 mph")
    48.28032
    >>> parse_maxspeed("RU:urban")
    60.0
    """
    speed = _parse(value)
    return speed if MIN_SPEED_KPH <= speed <= MAX_SPEED_KPH else math.nan


@functools.lru_cache(maxsize=4096)
def above_ceiling(value: str | None) -> bool:
    """
    Return whether a ``maxspeed`` value names a speed above :data:`MAX_SPEED_KPH`.

    Such values are tagging errors (``999999``); :func:`parse_maxspeed`
    ignores them and the OSM loader counts them.

    Examples
    --------
    >>> above_ceiling("999999"), above_ceiling("130")
    (True, False)
    """
    return _parse(value) > MAX_SPEED_KPH


@functools.lru_cache(maxsize=4096)
def below_floor(value: str | None) -> bool:
    """
    Return whether a ``maxspeed`` value names a speed below :data:`MIN_SPEED_KPH`.

    Such values are tagging errors (``0``, ``0.0001``); :func:`parse_maxspeed`
    ignores them and the OSM loader counts them, with those above the ceiling.

    Examples
    --------
    >>> below_floor("0.0001"), below_floor("0"), below_floor("walk"), below_floor("fast")
    (True, True, False, False)
    """
    return _parse(value) < MIN_SPEED_KPH


def _parse(value: str | None) -> float:
    """
    ``parse_maxspeed`` without the floor and ceiling (``0`` is 0.0).

    A list with a part above the ceiling is ``inf``, else one with a part
    below the floor is 0.0: one absurd part makes the whole value untrustworthy.
    """
    if value is None:
        return math.nan
    text = str(value).strip()
    if not text:
        return math.nan
    if ";" in text or "|" in text:
        parts = [_parse(part) for part in re.split(r"[;|]", text)]
        if any(p > MAX_SPEED_KPH for p in parts):
            return math.inf
        if any(p < MIN_SPEED_KPH for p in parts):
            return 0.0
        known = [p for p in parts if not math.isnan(p)]
        return sum(known) / len(known) if known else math.nan
    match = _NUMBER.match(text)
    if match:
        number = float(match.group(1).replace(",", "."))  # may be inf: "1" followed by 400 zeros
        unit = (match.group(2) or "").lower()
        if unit == "mph":
            number *= KPH_PER_MPH
        elif unit in {"knots", "kn"}:
            number *= KPH_PER_KNOT
        return number
    lowered = text.lower()
    if lowered == "none":
        return NO_LIMIT_KPH
    if lowered == "walk":
        return WALK_KPH
    if ":" in text:
        if text in ZONE_KPH:
            return ZONE_KPH[text]
        context = text.split(":", 1)[1].lower()
        return ZONE_DEFAULT_KPH.get(context, math.nan)
    return math.nan


#: Free-flow speed assumed for a highway class when nothing better is known, in km/h.
#: Values are typical European urban/rural defaults for cars: roughly the legal
#: limit of the class where one exists (motorway 100-130, rural roads 80-100,
#: built-up areas 50, residential zones 30) lowered for the mix of built-up and
#: open sections an OSM class covers. They are only used when neither the arc,
#: nor other arcs of the same class in the same network, carry a speed.
FALLBACK_SPEED_KPH: dict[str, float] = {
    "motorway": 110.0,
    "motorway_link": 60.0,
    "trunk": 90.0,
    "trunk_link": 50.0,
    "primary": 65.0,
    "primary_link": 45.0,
    "secondary": 55.0,
    "secondary_link": 40.0,
    "tertiary": 45.0,
    "tertiary_link": 35.0,
    "unclassified": 40.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 40.0,
    "busway": 30.0,
}

#: Speed for classes missing from :data:`FALLBACK_SPEED_KPH`, in km/h.
DEFAULT_SPEED_KPH = 30.0


def impute_speeds(
    speed_kph: npt.ArrayLike, highway: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], int]:
    """
    Fill missing (NaN) speeds from the network's own known speeds, then from a table.

    A missing speed takes the mean known speed of arcs of the same highway
    class in the same network (what osmnx's ``add_edge_speeds`` does); a class
    without any known speed takes :data:`FALLBACK_SPEED_KPH` (or
    :data:`DEFAULT_SPEED_KPH` for classes not in the table).

    Parameters
    ----------
    speed_kph
        Known speeds in km/h, NaN where unknown.
    highway
        OSM highway class of each arc (strings).

    Returns
    -------
    speeds, imputed_count
        The completed speeds and how many were filled in.
    """
    speed = np.array(speed_kph, dtype=np.float64)
    if not np.isnan(speed).any():
        return speed, 0
    names, code = np.unique(np.asarray(highway).astype(str), return_inverse=True)
    return impute_speeds_by_class(speed, code, names)


def impute_speeds_by_class(
    speed_kph: npt.ArrayLike, code: npt.ArrayLike, names: Sequence[str] | npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], int]:
    """
    :func:`impute_speeds` with the classes given as codes into ``names``.

    The loader's form: its arcs already carry class codes, and turning millions of them
    back into strings only for ``np.unique`` to code them again costs seconds.
    """
    speed = np.array(speed_kph, dtype=np.float64)
    code = np.asarray(code, dtype=np.intp)
    names = [str(name) for name in np.asarray(names, dtype=object).tolist()]
    missing = np.isnan(speed)
    count = int(missing.sum())
    if count == 0:
        return speed, 0
    known = ~missing
    known_sum = np.bincount(code[known], weights=speed[known], minlength=len(names))
    known_count = np.bincount(code[known], minlength=len(names))
    table = np.array([FALLBACK_SPEED_KPH.get(name, DEFAULT_SPEED_KPH) for name in names])
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(known_count > 0, known_sum / np.maximum(known_count, 1), table)
    speed[missing] = fill[code[missing]]
    return speed, count
