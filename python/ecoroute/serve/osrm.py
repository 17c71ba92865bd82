"""OSRM v5's HTTP API shapes: parse a request's path and options, shape errors and results."""

from __future__ import annotations

import base64
import json
import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from . import polyline

#: The services ``ecoroute serve`` answers, and OSRM's others (answered ``NotImplemented``).
SERVICES = ("route", "table", "nearest")
OTHER_OSRM_SERVICES = ("match", "trip", "tile")

#: Options every OSRM service takes (docs/http.md, "General options").
GENERAL_OPTIONS = frozenset(
    {
        "bearings",
        "radiuses",
        "generate_hints",
        "hints",
        "approaches",
        "exclude",
        "snapping",
        "skip_waypoints",
        "format",
    }
)
ROUTE_OPTIONS = frozenset(
    {
        "alternatives",
        "steps",
        "annotations",
        "geometries",
        "overview",
        "continue_straight",
        "waypoints",
    }
)
TABLE_OPTIONS = frozenset(
    {
        "sources",
        "destinations",
        "annotations",
        "fallback_speed",
        "fallback_coordinate",
        "scale_factor",
    }
)
NEAREST_OPTIONS = frozenset({"number"})

#: ecoroute's own options, beside OSRM's (route and table; nearest takes the vehicle's).
LOAD_OPTIONS = frozenset({"payload_kg"})  # and the legal-profile options, see RequestParser
TRIP_OPTIONS = frozenset({"objective", "max_extra_time", "departure"})

#: Per-segment annotations a route can return (OSRM's names), and ecoroute's additions.
ROUTE_ANNOTATIONS = ("duration", "distance", "speed", "weight")
OSRM_ONLY_ANNOTATIONS = ("nodes", "datasources")
ECO_ANNOTATIONS = {"co2": "co2_g", "fuel": "fuel_l", "energy": "energy_kwh"}

#: Table annotations: OSRM's (response key ``durations``/``distances``) and ecoroute's.
TABLE_ANNOTATIONS = {
    "duration": ("durations", "time_s"),
    "distance": ("distances", "distance_m"),
    "co2": ("co2_g", "co2_g"),
    "fuel": ("fuel_l", "fuel_l"),
    "energy": ("energy_kwh", "energy_kwh"),
}

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class OsrmError(Exception):
    """
    A request OSRM would refuse: its ``code`` (``InvalidQuery``, ``NoRoute``, ...) and message.

    ``status`` is the HTTP status that goes with it: 400 for every error
    code, as osrm-routed answers (docs/http.md: "In case of an error the
    HTTP status code will be 400").
    """

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def body(self) -> dict[str, str]:
        """The JSON body OSRM sends with this error."""
        return {"code": self.code, "message": self.message}


def not_implemented(*, feature: str) -> OsrmError:
    """The error for an OSRM feature ``ecoroute serve`` does not offer (docs/serve.md)."""
    return OsrmError(f"{feature} is not supported by ecoroute serve.", code="NotImplemented")


# ---------------------------------------------------------------------- requests


@dataclass(frozen=True)
class Query:
    """
    What every request asks: where, which vehicle, and the ecoroute options.

    Attributes
    ----------
    profile
        The profile of the URL (a vehicle name, or ``driving``/``car``).
    lonlat
        The coordinates, as (lon, lat) pairs (OSRM's order).
    radiuses_m
        Largest snap distance per coordinate (``inf``: OSRM's ``unlimited``),
        or None when not given.
    generate_hints, skip_waypoints
        OSRM's general options.
    vehicle_overrides
        Vehicle field -> value from the legal-profile options
        (``height_m=4.1``, ``axle_load_t=10``, ``hazmat=yes``, ...).
    payload_kg, objective, max_extra_time, departure
        ecoroute's options (None where not given).
    """

    profile: str
    lonlat: list[tuple[float, float]]
    radiuses_m: list[float] | None = None
    generate_hints: bool = True
    skip_waypoints: bool = False
    vehicle_overrides: dict[str, Any] = field(default_factory=dict)
    payload_kg: float | None = None
    objective: str | None = None
    max_extra_time: float | None = None
    departure: float | str | None = None

    @property
    def lat_lon(self) -> list[tuple[float, float]]:
        """The coordinates as ecoroute takes them: (lat, lon)."""
        return [(lat, lon) for lon, lat in self.lonlat]


@dataclass(frozen=True)
class RouteQuery(Query):
    """A ``/route`` request: OSRM's route options on top of :class:`Query`."""

    overview: str = "simplified"
    geometries: str = "polyline"
    alternatives: int = 0
    annotations: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableQuery(Query):
    """A ``/table`` request: source and destination indices (None: all), the matrices asked."""

    sources: list[int] | None = None
    destinations: list[int] | None = None
    annotations: tuple[str, ...] = ("duration",)
    scale_factor: float = 1.0


@dataclass(frozen=True)
class NearestQuery(Query):
    """A ``/nearest`` request: how many nearest roads."""

    number: int = 1


class RequestParser:
    """
    Turns an OSRM URL (service, version, profile, coordinates and options) into a :class:`Query`.

    Parameters
    ----------
    vehicle_options
        ecoroute's legal-profile options by name (``height_m``, ``axle_load_t``,
        ...) and the vehicle field each one sets: the options of
        ``ecoroute route`` (:data:`ecoroute._vehicle_options.VEHICLE_OPTIONS`).
    objectives
        The objective names a router accepts.
    """

    def __init__(self, vehicle_options: Mapping[str, str], objectives: tuple[str, ...]) -> None:
        self.vehicle_options = dict(vehicle_options)
        self.objectives = objectives

    def parse(
        self, service: str, version: str, profile: str, coordinates: str, params: Mapping[str, str]
    ) -> RouteQuery | TableQuery | NearestQuery:
        """
        Parse one request, as OSRM does; raise :class:`OsrmError` for what it would refuse.

        Syntax errors (an unknown option, a value that does not parse) are
        ``InvalidQuery``; values that parse but make no sense (a latitude of
        95, NaN) are ``InvalidValue`` or ``InvalidOptions``, as OSRM's
        services answer them.
        """
        if service not in SERVICES:
            if service in OTHER_OSRM_SERVICES:
                raise not_implemented(feature=f"OSRM's {service} service")
            msg = f"Service {service} not found!"
            raise OsrmError(msg, code="InvalidService")
        if version != "v1":
            msg = f"Service {service} not found!"
            raise OsrmError(msg, code="InvalidVersion")
        if coordinates.endswith(".json"):
            coordinates = coordinates.removesuffix(".json")
        elif coordinates.endswith(".flatbuffers"):
            raise not_implemented(feature="format=flatbuffers")
        allowed = (
            GENERAL_OPTIONS
            | LOAD_OPTIONS
            | set(self.vehicle_options)
            | {
                "route": ROUTE_OPTIONS | TRIP_OPTIONS,
                "table": TABLE_OPTIONS | TRIP_OPTIONS,
                "nearest": NEAREST_OPTIONS,
            }[service]
        )
        unknown = sorted(set(params) - allowed)
        if unknown:
            msg = (
                f"Query string malformed: unknown option {unknown[0]!r} for the {service} "
                f"service (docs/serve.md lists the options)."
            )
            raise OsrmError(msg, code="InvalidQuery")
        lonlat = parse_coordinates(coordinates)
        common = self._common(profile, lonlat, params)
        if service == "route":
            return self._route(common, params)
        if service == "table":
            return self._table(common, params)
        return self._nearest(common, params)

    # ------------------------------------------------------------------ options

    def _common(
        self, profile: str, lonlat: list[tuple[float, float]], params: Mapping[str, str]
    ) -> dict[str, Any]:
        count = len(lonlat)
        for name in ("bearings", "approaches"):
            values = _per_coordinate(params, name, count)
            if values and any(v not in ("", "unrestricted") for v in values):
                raise not_implemented(feature=name)
        if params.get("exclude", ""):
            raise not_implemented(feature="exclude")
        if params.get("snapping", "default") != "default":
            if params["snapping"] == "any":
                raise not_implemented(feature="snapping=any")
            raise _bad_value(params["snapping"], option="snapping", expected="default or any")
        if params.get("format", "json") != "json":
            if params["format"] == "flatbuffers":
                raise not_implemented(feature="format=flatbuffers")
            raise _bad_value(params["format"], option="format", expected="json or flatbuffers")
        _per_coordinate(params, "hints", count)  # accepted and ignored, as OSRM's POST API does
        radiuses = _per_coordinate(params, "radiuses", count)
        radiuses_m = None
        if radiuses is not None:
            radiuses_m = [
                math.inf if r in ("", "unlimited") else _float("radiuses", r, min_value=0.0)
                for r in radiuses
            ]
        overrides: dict[str, Any] = {}
        for option, vehicle_field in self.vehicle_options.items():
            if option in params:
                text = params[option]
                overrides[vehicle_field] = (
                    text if option == "hazmat" else _float(option, text, min_value=0.0)
                )
        objective = params.get("objective")
        if objective is not None and objective not in self.objectives:
            raise _bad_value(objective, option="objective", expected=" or ".join(self.objectives))
        departure: float | str | None = params.get("departure")
        if isinstance(departure, str) and _NUMBER.match(departure):
            departure = float(departure)
        max_extra_time = None
        if "max_extra_time" in params:
            text = params["max_extra_time"]
            percent = text.endswith("%")
            value = _float("max_extra_time", text.removesuffix("%"), min_value=0.0)
            max_extra_time = value / 100 if percent else value
        return {
            "profile": profile,
            "lonlat": lonlat,
            "radiuses_m": radiuses_m,
            "generate_hints": _bool(params, "generate_hints", default=True),
            "skip_waypoints": _bool(params, "skip_waypoints", default=False),
            "vehicle_overrides": overrides,
            "payload_kg": _float("payload_kg", params["payload_kg"], min_value=0.0)
            if "payload_kg" in params
            else None,
            "objective": objective,
            "max_extra_time": max_extra_time,
            "departure": departure,
        }

    def _route(self, common: dict[str, Any], params: Mapping[str, str]) -> RouteQuery:
        check_coordinates(
            common["lonlat"], code="InvalidValue", message="Invalid coordinate value."
        )
        if len(common["lonlat"]) < 2:
            msg = "Number of coordinates needs to be at least two."
            raise OsrmError(msg, code="InvalidOptions")
        if _bool(params, "steps", default=False):
            raise not_implemented(feature="steps=true (turn-by-turn instructions)")
        if params.get("continue_straight", "default") not in ("default", "false"):
            if params["continue_straight"] == "true":
                raise not_implemented(feature="continue_straight=true")
            raise _bad_value(
                params["continue_straight"],
                option="continue_straight",
                expected="default, true or false",
            )
        if params.get("waypoints", ""):
            raise not_implemented(feature="waypoints")
        alternatives_text = params.get("alternatives", "false")
        if alternatives_text in ("true", "false"):
            alternatives = int(alternatives_text == "true")
        elif alternatives_text.isdigit():
            alternatives = int(alternatives_text)
        else:
            raise _bad_value(
                alternatives_text, option="alternatives", expected="true, false or a number"
            )
        overview = params.get("overview", "simplified")
        if overview not in ("simplified", "full", "false"):
            if overview == "by_legs":
                raise not_implemented(feature="overview=by_legs")
            raise _bad_value(overview, option="overview", expected="simplified, full or false")
        geometries = params.get("geometries", "polyline")
        if geometries not in ("polyline", "polyline6", "geojson"):
            raise _bad_value(
                geometries, option="geometries", expected="polyline, polyline6 or geojson"
            )
        annotations = _route_annotations(params.get("annotations", "false"))
        return RouteQuery(
            **common,
            overview=overview,
            geometries=geometries,
            alternatives=alternatives,
            annotations=annotations,
        )

    def _table(self, common: dict[str, Any], params: Mapping[str, str]) -> TableQuery:
        check_coordinates(
            common["lonlat"], code="InvalidOptions", message="Coordinates are invalid"
        )
        count = len(common["lonlat"])
        if count < 2:
            msg = "Number of coordinates needs to be at least two."
            raise OsrmError(msg, code="InvalidOptions")
        if "fallback_speed" in params or "fallback_coordinate" in params:
            raise not_implemented(feature="fallback_speed")
        sources = _indices(params, "sources", count)
        destinations = _indices(params, "destinations", count)
        names = params.get("annotations", "duration").split(",")
        for name in names:
            if name not in TABLE_ANNOTATIONS:
                expected = ", ".join(TABLE_ANNOTATIONS)
                raise _bad_value(name, option="annotations", expected=f"a list of {expected}")
        scale_factor = 1.0
        if "scale_factor" in params:
            scale_factor = _float("scale_factor", params["scale_factor"])
            if not scale_factor > 0:
                msg = "scale_factor must be > 0"
                raise OsrmError(msg, code="InvalidOptions")
        return TableQuery(
            **common,
            sources=sources,
            destinations=destinations,
            annotations=tuple(dict.fromkeys(names)),
            scale_factor=scale_factor,
        )

    def _nearest(self, common: dict[str, Any], params: Mapping[str, str]) -> NearestQuery:
        check_coordinates(
            common["lonlat"], code="InvalidOptions", message="Coordinates are invalid"
        )
        if len(common["lonlat"]) != 1:
            msg = "Only one input coordinate is supported"
            raise OsrmError(msg, code="InvalidOptions")
        text = params.get("number", "1")
        if not text.isdigit() or int(text) < 1:
            raise _bad_value(text, option="number", expected="an integer >= 1")
        return NearestQuery(**common, number=int(text))


def parse_coordinates(text: str) -> list[tuple[float, float]]:
    """
    Parse OSRM's coordinates: ``lon,lat;lon,lat...``, ``polyline(...)`` or ``polyline6(...)``.

    Raises
    ------
    OsrmError
        ``InvalidQuery`` where the text does not parse (values are checked
        for range by :func:`check_coordinates`).
    """
    for name, precision in (("polyline", 5), ("polyline6", 6)):
        if text.startswith(f"{name}(") and text.endswith(")"):
            try:
                return polyline.decode(text[len(name) + 1 : -1], precision)
            except ValueError as error:
                msg = f"Query string malformed: {name}(...) does not decode ({error})."
                raise OsrmError(msg, code="InvalidQuery") from error
    lonlat: list[tuple[float, float]] = []
    position = 0
    for pair in text.split(";"):
        parts = pair.split(",")
        if len(parts) != 2 or not all(_NUMBER.match(p) or _is_nan_or_inf(p) for p in parts):
            msg = (
                f"Query string malformed close to position {position}: expected "
                f"{{longitude}},{{latitude}} pairs separated by ';', got {pair[:40]!r}."
            )
            raise OsrmError(msg, code="InvalidQuery")
        lonlat.append((float(parts[0]), float(parts[1])))
        position += len(pair) + 1
    return lonlat


def check_coordinates(lonlat: list[tuple[float, float]], *, code: str, message: str) -> None:
    """Refuse a longitude outside -180..180 or a latitude outside -90..90 (NaN included)."""
    for i, (lon, lat) in enumerate(lonlat):
        if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            msg = f"{message} Coordinate {i} is ({lon}, {lat}) as longitude, latitude."
            raise OsrmError(msg, code=code)


def _is_nan_or_inf(text: str) -> bool:
    return text.strip().lower().lstrip("+-") in ("nan", "inf", "infinity")


def _per_coordinate(params: Mapping[str, str], name: str, count: int) -> list[str] | None:
    """A per-coordinate option (``a;b;;d``): one element per coordinate, or InvalidOptions."""
    if name not in params:
        return None
    values = params[name].split(";")
    if len(values) != count:
        msg = f"Number of elements in {name} size {len(values)} does not match coordinate size {count}"
        raise OsrmError(msg, code="InvalidOptions")
    return values


def _indices(params: Mapping[str, str], name: str, count: int) -> list[int] | None:
    """``sources``/``destinations``: ``all`` (None) or indices into the coordinates."""
    text = params.get(name, "all")
    if text == "all":
        return None
    items = text.split(";")
    if not all(item.isdigit() for item in items):
        raise _bad_value(text, option=name, expected="'all' or indices such as 0;2;5")
    indices = [int(item) for item in items]
    if max(indices) >= count:
        msg = f"{name} index {max(indices)} is out of range: there are {count} coordinates."
        raise OsrmError(msg, code="InvalidOptions")
    return indices


def _route_annotations(text: str) -> tuple[str, ...]:
    """``annotations`` of a route: true (all ecoroute has), false, or a list."""
    if text == "false":
        return ()
    if text == "true":
        return (*ROUTE_ANNOTATIONS, *ECO_ANNOTATIONS)
    names = text.split(",")
    for name in names:
        if name in OSRM_ONLY_ANNOTATIONS:
            raise not_implemented(feature=f"annotations={name}")
        if name not in ROUTE_ANNOTATIONS and name not in ECO_ANNOTATIONS:
            expected = ", ".join((*ROUTE_ANNOTATIONS, *ECO_ANNOTATIONS))
            raise _bad_value(
                name, option="annotations", expected=f"true, false or a list of {expected}"
            )
    return tuple(dict.fromkeys(names))


def _bool(params: Mapping[str, str], name: str, *, default: bool) -> bool:
    text = params.get(name)
    if text is None:
        return default
    if text not in ("true", "false"):
        raise _bad_value(text, option=name, expected="true or false")
    return text == "true"


def _float(name: str, text: str, *, min_value: float = -math.inf) -> float:
    if not _NUMBER.match(text):
        raise _bad_value(text, option=name, expected="a number")
    value = float(text)
    if not value >= min_value:
        msg = f"{name} must be at least {min_value:g}, got {text}."
        raise OsrmError(msg, code="InvalidValue")
    return value


def _bad_value(text: str, *, option: str, expected: str) -> OsrmError:
    """InvalidQuery for an option's value that does not parse."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    msg = f"Query string malformed: {option}={shown!r}; expected {expected}."
    return OsrmError(msg, code="InvalidQuery")


# ---------------------------------------------------------------------- responses


def hint(place: int) -> str:
    """
    A waypoint's ``hint``: where it snapped (an arc or node index), URL-safe base64.

    Ephemeral as OSRM's (valid for one network only); hints sent back in
    requests are accepted and ignored.
    """
    return base64.urlsafe_b64encode(struct.pack("<q", place)).decode("ascii")


def waypoint(
    lon: float, lat: float, distance_m: float, *, place: int, with_hint: bool, name: str = ""
) -> dict[str, Any]:
    """An OSRM Waypoint object: snapped ``location`` [lon, lat], ``distance`` to it, ``name``."""
    out: dict[str, Any] = {"location": [lon, lat], "distance": distance_m, "name": name}
    if with_hint:
        out["hint"] = hint(place)
    return out


def geometry(lonlat: npt.NDArray[np.float64], geometries: str) -> Any:
    """A line in the format ``geometries`` names: polyline, polyline6 or a GeoJSON LineString."""
    if geometries == "geojson":
        return {"type": "LineString", "coordinates": lonlat.tolist()}
    return polyline.encode(lonlat, 6 if geometries == "polyline6" else 5)


def simplified(lonlat: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """
    The line for ``overview=simplified``: Douglas-Peucker at a thousandth of its extent.

    OSRM simplifies for the highest zoom level that shows the whole route;
    a tolerance of 1/1000 of the larger side of the route's bounding box is
    below a pixel of a map 1000 pixels wide that shows it whole.
    """
    import shapely

    if len(lonlat) <= 2:
        return lonlat
    extent = float(np.ptp(lonlat, axis=0).max())
    line = shapely.LineString(lonlat).simplify(extent / 1000.0, preserve_topology=False)
    return np.asarray(line.coords, dtype=np.float64)


def finite_or_none(values: npt.NDArray[np.float64]) -> list[Any]:
    """A matrix as nested lists, ``null`` where a value is infinite (unreachable)."""
    array = np.asarray(values, dtype=np.float64)
    out = array.astype(object)
    out[~np.isfinite(array)] = None
    result: list[Any] = out.tolist()
    return result


def params_from_json(body: bytes) -> tuple[str, dict[str, str]]:
    """
    A POST request's JSON body as the coordinates and options of the same GET request.

    Keys mirror the URL options (docs/http.md, "POST requests with a JSON
    body"): ``coordinates`` as ``[[lon, lat], ...]`` or a ``"polyline(...)"``
    string, per-coordinate options as arrays (``null``: the default), lists
    (``annotations``, ``exclude``) as arrays, booleans as booleans.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as error:
        msg = f"The request body is not JSON: {error}"
        raise OsrmError(msg, code="InvalidQuery") from error
    if not isinstance(data, dict) or "coordinates" not in data:
        msg = "The request body must be a JSON object with 'coordinates'."
        raise OsrmError(msg, code="InvalidQuery")
    coordinates = data.pop("coordinates")
    if isinstance(coordinates, str):
        text = coordinates
    elif isinstance(coordinates, list) and all(
        isinstance(p, list) and len(p) == 2 and all(_is_number(v) for v in p) for p in coordinates
    ):
        text = ";".join(f"{float(lon)!r},{float(lat)!r}" for lon, lat in coordinates)
    else:
        msg = "coordinates must be [[longitude, latitude], ...] or a polyline(...) string."
        raise OsrmError(msg, code="InvalidQuery")
    params: dict[str, str] = {}
    for key, value in data.items():
        params[str(key)] = _option_text(str(key), value)
    return text, params


def _option_text(key: str, value: Any) -> str:
    """One JSON option as its URL text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value) or isinstance(value, str):
        return str(value)
    if isinstance(value, list):
        separator = "," if key in ("annotations", "exclude") else ";"
        return separator.join(_element_text(item) for item in value)
    msg = f"Query string malformed: {key} cannot be {type(value).__name__}."
    raise OsrmError(msg, code="InvalidQuery")


def _element_text(item: Any) -> str:
    if item is None:
        return ""
    if isinstance(item, list):  # a bearing: [value, range]
        return ",".join(_element_text(v) for v in item)
    if isinstance(item, bool):
        return "true" if item else "false"
    if _is_number(item) or isinstance(item, str):
        return str(item)
    msg = f"Query string malformed: unexpected {type(item).__name__} in a list option."
    raise OsrmError(msg, code="InvalidQuery")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
