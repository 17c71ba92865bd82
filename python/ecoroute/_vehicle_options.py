"""
The legal-profile options a vehicle takes on the command line and over HTTP.

One table for ``ecoroute route``'s flags (``--height-m``...) and ``ecoroute serve``'s query
options (``height_m=``...): option name -> the vehicle field it sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Vehicle field -> (command-line flag, help text).
LEGAL_FLAGS = {
    "height_m": ("--height-m", "vehicle height in metres, against maxheight"),
    "width_m": ("--width-m", "vehicle width in metres, against maxwidth"),
    "length_m": ("--length-m", "vehicle length in metres, against maxlength"),
    "max_axle_load_t": ("--axle-load-t", "load on the most loaded axle in tonnes"),
    "top_speed_kph": ("--top-speed-kph", "speed limiter in km/h"),
}


#: Option name (query option, flag without dashes) -> the vehicle field it sets.
VEHICLE_OPTIONS: dict[str, str] = {
    **{
        flag.removeprefix("--").replace("-", "_"): field for field, (flag, _) in LEGAL_FLAGS.items()
    },
    "hazmat": "hazmat",
}


def vehicle_with(name: str, overrides: Mapping[str, Any]) -> Any:
    """
    The catalogue vehicle ``name`` with legal-profile ``overrides`` (vehicle field -> value).

    Without overrides, the name itself (routers resolve it). Raises as
    :func:`ecoroute.vehicle` does: ``UnknownVehicleError`` for an unknown
    name, ``ValueError`` for an override out of range.
    """
    from .emissions.catalogue import vehicle

    return vehicle(name, **overrides) if overrides else name
