"""Road speeds: a fallback table by OSM highway class and imputation of missing speeds."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

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
    missing = np.isnan(speed)
    count = int(missing.sum())
    if count == 0:
        return speed, 0
    names, code = np.unique(np.asarray(highway).astype(str), return_inverse=True)
    known = ~missing
    known_sum = np.bincount(code[known], weights=speed[known], minlength=names.size)
    known_count = np.bincount(code[known], minlength=names.size)
    table = np.array([FALLBACK_SPEED_KPH.get(name, DEFAULT_SPEED_KPH) for name in names])
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(known_count > 0, known_sum / np.maximum(known_count, 1), table)
    speed[missing] = fill[code[missing]]
    return speed, count
