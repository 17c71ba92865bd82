"""Load drivable road networks from OpenStreetMap files (.osm, .osm.bz2, .osm.gz, .osm.pbf)."""

from __future__ import annotations

import logging
import math
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from . import _pbf, _topology, access, osm_rules
from ._errors import OsmFileError
from ._geo import haversine_m
from ._osm_files import (  # noqa: F401 (the caps, documented as ecoroute.osm.*)
    MAX_COMPRESSION_RATIO,
    MAX_OSM_BYTES,
    MAX_XML_TAG_BYTES,
    check_osm_file,
    prescan_osm_file,
)
from .network import RoadNetwork
from .speeds import (
    MAX_SPEED_KPH,
    MIN_SPEED_KPH,
    above_ceiling,
    below_floor,
    impute_speeds,
    impute_speeds_by_class,
    parse_maxspeed,
)

log = logging.getLogger("ecoroute")

NetworkType = Literal["drive", "drive_service"]


#: ``service=*`` values excluded on every network type (as osmnx does).
EXCLUDED_SERVICE = frozenset(
    ["alley", "driveway", "emergency_access", "parking", "parking_aisle", "private"]
)
#: ``oneway`` values meaning one-way (osmnx's set) and, of those, the reversed ones.
ONEWAY_VALUES = frozenset({"yes", "true", "1", "-1", "reverse", "T", "F"})
REVERSED_VALUES = frozenset({"-1", "reverse", "T"})
#: Highway classes that are one-way unless tagged ``oneway=no`` (OSM wiki, Key:oneway).
IMPLIED_ONEWAY = frozenset({"motorway", "motorway_link"})


#: ``highway`` values that are roads for some mode (:data:`ecoroute.osm_rules.HIGHWAY_CLASSES`).
ROAD_CLASSES = frozenset(
    [h for h, road in osm_rules.HIGHWAY_CLASSES.items() if road] + list(osm_rules.HIGHWAY_MODES)
)


def drivable(tags: Mapping[str, str], network_type: NetworkType = "drive") -> bool:
    """
    Return whether a way with these tags belongs to the network: some vehicle may drive it.

    Ferries and car trains (``route=ferry`` / ``shuttle_train``,
    :data:`ecoroute.osm_rules.FERRY_ROUTES`) belong to it too, as arcs of those classes.

    The classes are the rules table's (:data:`ecoroute.osm_rules.HIGHWAY_CLASSES`:
    unknown classes, ``runway``, ``construction``... are not roads); ``"drive"``
    leaves service roads out as osmnx's "drive" filter does, ``"drive_service"``
    keeps them. Areas, :data:`EXCLUDED_SERVICE` values, ``oneway=reversible`` ways (their
    direction changes over the day) and ``smoothness=impassable`` ways are left out;
    ``oneway=alternating`` ways (one direction at a time, switching often) are two-way.

    Access decides per mode (:mod:`ecoroute.osm_rules`): a way is kept when any
    mode (car, van, truck, bus) may drive it in some direction, so
    ``access=no`` + ``bus=yes`` and ``motor_vehicle=no`` + ``hgv=yes`` ways are
    kept for the modes they open to, and ``access=private`` ways as
    destination-only roads. Each vehicle then reads its own mode's access
    (:func:`ecoroute.access.vehicle_rules`): arcs closed to it cost ``inf``.
    osmnx keeps ``access=no`` and ``psv`` roads and drops ``access=private``
    ones, whatever vehicle follows.
    """
    highway = tags.get("highway")
    if highway is None and osm_rules.ferry_route(tags) is None:
        return False
    if (
        highway is not None
        and highway not in ROAD_CLASSES
        and not any(osm_rules.class_admits(tags, mode) for mode in osm_rules.MODES)
    ):
        return False
    if highway == "service" and network_type == "drive":
        return False
    if tags.get("area") == "yes":
        return False
    if tags.get("service") in EXCLUDED_SERVICE:
        return False
    if tags.get("oneway") == "reversible":
        return False
    if tags.get("smoothness") == "impassable":  # OSRM's car: no vehicle gets through
        return False
    if _LEGAL_WAY_KEYS.isdisjoint(tags):
        return True
    return any(
        _directed_access(tags, mode, direction) != osm_rules.CLOSED
        for mode in osm_rules.MODES
        for direction in (1, -1)
    )


def oneway(tags: Mapping[str, str]) -> int:
    """
    Return 1 for one-way along the node order, -1 for one-way against it, 0 for two-way.

    ``oneway`` values are osmnx's (``yes``, ``true``, ``1``, ``-1``,
    ``reverse``, and Geofabrik's ``T``/``F``); ``junction=roundabout`` or
    ``circular`` and ``highway=motorway``/``motorway_link`` imply one-way
    unless ``oneway=no`` says otherwise (osmnx implies it for roundabouts only).
    """
    value = tags.get("oneway")
    if value in ONEWAY_VALUES:
        return -1 if value in REVERSED_VALUES else 1
    if value in {"no", "false", "0"}:
        return 0
    if tags.get("junction") in {"roundabout", "circular"} or tags.get("highway") in IMPLIED_ONEWAY:
        return 1
    return 0


class _Ways:
    """The drivable ways of a file as flat arrays (one row per node reference)."""

    def __init__(self) -> None:
        # Lists while pyosmium's reader appends to them, NumPy arrays from the core's.
        self.ref: Any = []  # int64
        self.lat: Any = []  # float64, NaN where the node is missing
        self.lon: Any = []
        self.way_length: Any = []  # references per way
        self.way_id: Any = []
        self.highway: Any = []  # str
        self.direction: Any = []  # 1, -1 or 0 (two-way)
        self.speed_forward: Any = []
        self.speed_backward: Any = []
        #: Ways whose legal record differs from the default (open, no limit): index -> record.
        self.legal: dict[int, _WayLegal] = {}
        #: Nodes that close or limit the roads through them: OSM id -> record.
        self.node_legal: dict[int, _NodeLegal] = {}
        #: Country prefixes of zone speed values ("DE" of "DE:urban") and their counts.
        self.countries: dict[str, int] = {}
        #: Legal tag values the rules could not read, and conditional rules not applied.
        self.unreadable: dict[tuple[str, str], int] = {}
        self.conditional = 0


class _WayLegal:
    """What a way says to each mode, per direction (forward, backward), and its limits."""

    __slots__ = ("access", "conditional", "hazmat", "limits", "maxspeed_hgv", "tags", "tunnel")

    def __init__(self, tags: Mapping[str, str]) -> None:
        self.access = [
            [_directed_access(tags, mode, d) for d in (1, -1)] for mode in osm_rules.MODES
        ]
        #: The tag that decided each restricted (mode, direction), e.g. "hgv=no".
        self.tags = [
            [_directed_tag(tags, mode, d, code) for d, code in zip((1, -1), row, strict=True)]
            for mode, row in zip(osm_rules.MODES, self.access, strict=True)
        ]
        # One limit per way, the stricter direction (maxweight:forward is rare), as a
        # heavy goods vehicle reads it: maxweight:hgv replaces maxweight (osm_rules).
        # Cars and vans, lighter than any truck, meet the trucks' limit as well.
        hgv = osm_rules.way_limits(tags, "hgv")
        self.limits = [hgv[name] for name in access.LIMITS]
        self.hazmat = [osm_rules.hazmat_flags(tags, d) for d in (1, -1)]
        self.tunnel = [osm_rules.tunnel_category(tags, d) for d in (1, -1)]
        if any(key.startswith("maxspeed:hgv") for key in tags):
            self.maxspeed_hgv = [osm_rules.maxspeed_kph(tags, "hgv", d) for d in (1, -1)]
        else:
            self.maxspeed_hgv = [math.nan, math.nan]
        self.conditional = _conditional_access(tags)

    def is_default(self) -> bool:
        return (
            self.conditional is None
            and not any(any(row) for row in self.access)
            and all(math.isinf(x) and x > 0 for x in self.limits)
            and not any(self.hazmat)
            and not any(self.tunnel)
            and all(math.isnan(x) for x in self.maxspeed_hgv)
        )


class _NodeLegal:
    """What a node (a barrier, an access tag, a height restrictor) says to each mode."""

    __slots__ = ("access", "limits", "tags")

    def __init__(self, tags: Mapping[str, str]) -> None:
        self.access = [osm_rules.node_access_code(tags, mode) for mode in osm_rules.MODES]
        self.tags = [
            osm_rules.node_tag(tags, mode) if code else ""
            for mode, code in zip(osm_rules.MODES, self.access, strict=True)
        ]
        limits = osm_rules.node_limits(tags)
        self.limits = [limits[name] for name in access.LIMITS]

    def is_default(self) -> bool:
        return not any(self.access) and all(math.isinf(x) and x > 0 for x in self.limits)


def _conditional_access(
    tags: Mapping[str, str],
) -> tuple[list[list[npt.NDArray[np.uint8] | None]], list[str]] | None:
    """
    Per mode and direction, the way's access per policy and hour (None: no conditional), and unread conditions.

    None when the way has no conditional access or one-way tag.
    """
    if not any(
        key.endswith(":conditional") and key[:-12] in osm_rules.CONDITIONAL_ACCESS_KEYS
        for key in tags
    ):
        return None
    from .osm_conditional import code_profile, parse_conditional

    def wanted(key: str) -> bool:
        return key in osm_rules.CONDITIONAL_ACCESS_KEYS

    def reader(mode: str, direction: int) -> Callable[[Mapping[str, str]], int]:
        return lambda t: _directed_access(t, mode, direction)

    profiles = [
        [code_profile(tags, reader(mode, d), wanted) for d in (1, -1)] for mode in osm_rules.MODES
    ]
    unread = [
        f"{key}={value}"
        for key, value in tags.items()
        if key.endswith(":conditional") and wanted(key[:-12])
        if not all(rule.condition.understood for rule in parse_conditional(value))
    ]
    if all(p is None for row in profiles for p in row) and not unread:
        return None
    return profiles, unread


def _directed_tag(tags: Mapping[str, str], mode: str, direction: int, code: int) -> str:
    if code == osm_rules.OPEN:
        return ""
    tag = osm_rules.access_tag(tags, mode, direction)
    if osm_rules.access_code(tags, mode, direction) == code:
        return tag
    for key in (f"oneway:{mode}", "oneway:motor_vehicle", "oneway:vehicle", "oneway"):
        if key in tags:
            return f"{key}={tags[key]}"
    return tag


def _directed_access(tags: Mapping[str, str], mode: str, direction: int) -> int:
    """
    The mode's access in one direction, its class and its own one-way rules included.

    A class the mode may not drive (``busway`` for a car) closes it unless an
    explicit motor access opens it (:func:`ecoroute.osm_rules.class_admits`).
    """
    if not osm_rules.class_admits(tags, mode):
        return osm_rules.CLOSED
    code = osm_rules.access_code(tags, mode, direction)
    one = osm_rules.oneway_for(tags, mode)
    if one == osm_rules.REVERSIBLE or (one != 0 and one != direction):
        return osm_rules.CLOSED
    return code


#: Keys whose presence on a way sends it through the rules table (others are open, unlimited).
_LEGAL_WAY_KEYS = frozenset(
    osm_rules.WAY_KEYS - {"highway", "junction", "maxspeed", "oneway", "route", "duration"}
) | frozenset(f"{key}:conditional" for key in osm_rules.CONDITIONAL_ACCESS_KEYS)
#: Keys whose explicit value can make a way of any class a road (osm_rules.class_admits).
_MOTOR_ACCESS_KEYS = frozenset(k for keys in osm_rules._MOTOR_KEYS.values() for k in keys)
#: Keys that make a node worth reading (a barrier, access or a limit on it).
_LEGAL_NODE_KEYS = frozenset(osm_rules.NODE_KEYS - {"highway"})
#: Tags whose zone values ("DE:urban") name the country whose traffic law applies.
_ZONE_KEYS = ("maxspeed", "source:maxspeed", "maxspeed:type", "zone:maxspeed")
_COUNTRY = re.compile(r"^([A-Z]{2})(?:-[A-Z0-9]+)?:")


#: Absurd maxspeed values met while reading: (way id, value), and whether some were above
#: the ceiling, some below the floor.
_Absurd = tuple[list[tuple[int, str]], bool, bool]

Reader = Literal["auto", "pbf", "osmium"]


def _read_ways(
    path: Path,
    network_type: NetworkType,
    max_bytes: int | None,
    bar: Any = None,
    reader: Reader = "auto",
) -> _Ways:
    """
    Read the drivable ways of a file with their node locations.

    The file is first checked for what the readers would read wrongly or at
    an unbounded cost (``_osm_files.prescan_osm_file``: its decompressed
    size, overlong XML tags, unreadable coordinates, node ids given twice in
    XML). .pbf files are then read by the core (:func:`_read_ways_pbf`, two
    passes in C++), others by pyosmium (:func:`_read_ways_osmium`), as are
    the PBF files the core leaves to libosmium (``_pbf.Unsupported``).
    ``reader`` forces one (tests compare them).
    """
    prescan_osm_file(path, max_bytes)
    if reader != "osmium" and path.name.lower().endswith(".pbf"):
        try:
            ways, absurd = _read_ways_pbf(path, network_type, bar)
        except _pbf.Unsupported as why:
            if reader == "pbf":
                raise
            log.info("%s: read by libosmium (%s)", path.name, why)
        except _pbf.BrokenPbf as error:
            msg = f"{path} could not be read as OSM data ({error}); is it truncated or not an OSM file?"
            raise OsmFileError(msg) from error
        else:
            _warn_read(path, ways, absurd)
            return ways
    ways, absurd = _read_ways_osmium(path, network_type, bar)
    _warn_read(path, ways, absurd)
    return ways


def _read_ways_osmium(path: Path, network_type: NetworkType, bar: Any) -> tuple[_Ways, _Absurd]:
    """
    Read the drivable ways of a file with their node locations, in one pass of pyosmium.

    Nodes stay in libosmium. References to negative ids (JOSM's new
    objects), which libosmium's location index skips, get their locations in
    a second pass over the nodes.
    """
    import osmium

    ways = _Ways()
    ref, lat, lon = ways.ref.append, ways.lat.append, ways.lon.append
    legal_way_keys = _LEGAL_WAY_KEYS
    road_classes = ROAD_CLASSES
    ferry_routes = osm_rules.FERRY_ROUTES
    mode_classes = osm_rules.HIGHWAY_MODES  # classes open to some modes only (busway)
    nan = math.nan
    absurd: list[tuple[int, str]] = []  # (way id, maxspeed value) outside the floor and ceiling
    below = above = False
    try:
        highways = osmium.filter.KeyFilter("highway", "route")
        highways.enable_for(osmium.osm.WAY)
        node_rules = osmium.filter.KeyFilter(*sorted(_LEGAL_NODE_KEYS))
        node_rules.enable_for(osmium.osm.NODE)
        processor = (
            osmium.FileProcessor(str(path))
            .with_locations()
            .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY | osmium.osm.NODE))
            .with_filter(highways)
            .with_filter(node_rules)
        )
        for entity in processor:
            way: Any = entity  # the entity filter passes ways and nodes only
            way_tags = way.tags
            if way.is_node():  # a barrier, access tag or limit on a node (read before ways)
                node_tags = {t.k: t.v for t in way_tags}
                on_node = _NodeLegal(node_tags)
                if not on_node.is_default():
                    ways.node_legal[way.id] = on_node
                continue
            highway = way_tags.get("highway")
            if (
                highway not in road_classes
                and way_tags.get("route") not in ferry_routes
                and not (highway and _MOTOR_ACCESS_KEYS.intersection(t.k for t in way_tags))
            ):
                continue  # most non-drivable ways stop here, before reading other tags
            tags = {t.k: t.v for t in way_tags}  # one pass over the tags, not a get per key
            if not drivable(tags, network_type):
                continue
            count = 0
            for node in way.nodes:
                ref(node.ref)
                location = node.location
                if location.valid():
                    lat(location.lat)
                    lon(location.lon)
                else:  # a reference to a node outside the extract (or with an id < 0)
                    lat(nan)
                    lon(nan)
                count += 1
            speeds = [
                tags.get(key) for key in ("maxspeed", "maxspeed:forward", "maxspeed:backward")
            ]
            for value in speeds:
                if value is None:
                    continue
                high, low = above_ceiling(value), below_floor(value)
                if high or low:
                    absurd.append((way.id, value))
                    above, below = above or high, below or low
                    break
            maxspeed, forward, backward = (parse_maxspeed(value) for value in speeds)
            ferry = osm_rules.ferry_route(tags) if highway not in road_classes else None
            if ferry is not None:  # its speed is its length over its duration
                maxspeed = forward = backward = _ferry_speed_kph(tags, ferry, ways, count)
            _note_country(ways, tags)
            if not legal_way_keys.isdisjoint(tags) or highway in mode_classes:
                record = _WayLegal(tags)
                for pair in osm_rules.unreadable_values(tags):
                    ways.unreadable[pair] = ways.unreadable.get(pair, 0) + 1
                ways.conditional += len(osm_rules.conditional_keys(tags))
                if not record.is_default():
                    ways.legal[len(ways.way_id)] = record
            ways.way_length.append(count)
            ways.way_id.append(way.id)
            if bar is not None and not len(ways.way_id) & _PROGRESS_EVERY:
                bar.update(_PROGRESS_EVERY + 1)
            ways.highway.append(tags["highway"] if ferry is None else ferry)
            ways.direction.append(oneway(tags))
            ways.speed_forward.append(maxspeed if math.isnan(forward) else forward)
            ways.speed_backward.append(maxspeed if math.isnan(backward) else backward)
    except RuntimeError as error:  # libosmium: truncated, corrupt or not OSM
        msg = f"{path} could not be read as OSM data ({error}); is it truncated or not an OSM file?"
        raise OsmFileError(msg) from error
    except osmium.InvalidLocationError as error:  # the pre-scan names the node in most cases
        msg = f"{path}: a node has a coordinate libosmium cannot read ({error}); fix or delete it."
        raise OsmFileError(msg) from error
    _fill_negative(path, ways)
    return ways, (absurd, above, below)


def _warn_read(path: Path, ways: _Ways, absurd_values: _Absurd) -> None:
    """Report what the rules could not read, once per file."""
    absurd, above, below = absurd_values
    if ways.unreadable:
        (key, value), _ = max(ways.unreadable.items(), key=lambda item: item[1])
        total = sum(ways.unreadable.values())
        warnings.warn(
            f"{path.name}: {total:,} access or limit values could not be read (e.g. "
            f"{key}={value!r}); they restrict nothing (ecoroute.osm_rules).",
            stacklevel=4,
        )
    if ways.conditional:
        unread = [t for r in ways.legal.values() if r.conditional for t in r.conditional[1]]
        log.info(
            "%s: %d conditional tags (key:conditional) on ways; access and one-way ones are "
            "applied per hour, %d of them with conditions not understood (the router's "
            "conditional= policy decides those)",
            path.name,
            ways.conditional,
            len(unread),
        )
    if absurd:
        way_id, value = absurd[0]
        broken = [(f"above {MAX_SPEED_KPH:g} km/h", "MAX_SPEED_KPH")] if above else []
        if below:
            broken.append((f"below {MIN_SPEED_KPH:g} km/h", "MIN_SPEED_KPH"))
        warnings.warn(
            f"{path.name}: {len(absurd):,} ways have a maxspeed "
            f"{' or '.join(bound for bound, _ in broken)} (e.g. way {way_id}: {value!r}); "
            "ignored, and their speeds imputed from the highway class "
            f"(ecoroute.speeds.{', '.join(name for _, name in broken)}).",
            stacklevel=4,
        )


def _ferry_speed_kph(tags: Mapping[str, str], route: str, ways: _Ways, count: int) -> float:
    """
    The speed of a ferry or car-train way just read (its last ``count`` references).

    Its length over its ``duration`` when tagged and readable, else the route's
    speed (:data:`ecoroute.osm_rules.FERRY_ROUTES`); never below
    :data:`~ecoroute.speeds.MIN_SPEED_KPH`.
    """
    duration_s = osm_rules.parse_duration_s(tags.get("duration", ""))
    if math.isnan(duration_s):
        return osm_rules.FERRY_ROUTES[route]
    return _timed_speed_kph(duration_s, ways.lat[-count:], ways.lon[-count:])


def _timed_speed_kph(duration_s: float, lat_deg: Any, lon_deg: Any) -> float:
    """The speed of a way of these node locations driven in ``duration_s``."""
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    length_m = float(np.nansum(haversine_m(lat[:-1], lon[:-1], lat[1:], lon[1:])))
    return max(MIN_SPEED_KPH, 3.6 * length_m / duration_s)


#: The way keys that the core's PBF reader hands on: every key the rules, the speeds, the
#: filters and the zone countries read (a tag set is a way's tags restricted to these, so
#: that ways share them), and the conditional forms of the rules' keys.
_PBF_WAY_KEYS = sorted(
    osm_rules.WAY_KEYS
    | osm_rules.NODE_KEYS
    | {f"{key}:conditional" for key in osm_rules.WAY_KEYS}
    | set(_ZONE_KEYS)
    | {"area", "service", "smoothness", "oneway", "junction"}
    | {"maxspeed:forward", "maxspeed:backward"}
)
#: Key prefixes the rules test (``_WayLegal``: any ``maxspeed:hgv*`` key).
_PBF_WAY_PREFIXES = ["maxspeed:hgv"]


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _read_ways_pbf(path: Path, network_type: NetworkType, bar: Any) -> tuple[_Ways, _Absurd]:
    """
    Read the drivable ways of a .pbf file with the core's reader: no Python object per way.

    The core (``_core.PbfScan``) decodes the file in two passes (ways and
    tagged nodes, then the locations of the referenced nodes) and numbers the
    distinct tag sets of the ways (their tags restricted to
    :data:`_PBF_WAY_KEYS`); the rules here run once per tag set, and their
    answers are spread to the ways with NumPy. The result is
    :func:`_read_ways_osmium`'s, array for array.
    """
    from . import _core

    scan = _core.PbfScan(
        way_filter=["highway", "route"],
        way_keys=_PBF_WAY_KEYS,
        way_key_prefixes=_PBF_WAY_PREFIXES,
        node_filter=sorted(_LEGAL_NODE_KEYS),
        node_keys=sorted(osm_rules.NODE_KEYS),
    )
    sets: list[dict[str, str]] = []
    first_highway: list[str | None] = []  # pyosmium's tags.get: the first of repeated keys

    def decide(new: list[list[tuple[bytes, bytes]]]) -> list[bool]:
        keep = []
        for raw in new:
            pairs = [(_text(k), _text(v)) for k, v in raw]
            tags = dict(pairs)  # the last of repeated keys, as pyosmium's dict
            highway = next((v for k, v in pairs if k == "highway"), None)
            route = next((v for k, v in pairs if k == "route"), None)
            sets.append(tags)
            first_highway.append(highway)
            keep.append(
                (
                    highway in ROAD_CLASSES
                    or route in osm_rules.FERRY_ROUTES
                    or (highway is not None and not _MOTOR_ACCESS_KEYS.isdisjoint(tags))
                )
                and drivable(tags, network_type)
            )
        return keep

    progress = None
    if bar is not None:
        bar.reset(total=path.stat().st_size)
        bar.unit, bar.unit_scale, bar.unit_divisor = "B", True, 1024

        def progress(offset: int) -> None:
            bar.update(offset - bar.n)

    _pbf.read(path, scan, decide, progress)
    arrays = scan.take_ways()
    ways = _Ways()
    set_of = arrays["way_tag_set"].astype(np.intp)
    way_id = arrays["way_id"]
    count = np.bincount(set_of, minlength=len(sets))
    n_sets = len(sets)
    highway = np.empty(n_sets, dtype=object)
    direction = np.zeros(n_sets, dtype=np.int8)
    forward_kph = np.full(n_sets, math.nan)
    backward_kph = np.full(n_sets, math.nan)
    timed = np.full(n_sets, math.nan)  # a ferry's duration, when its speed is length over it
    absurd_value: dict[int, str] = {}
    legal_of: dict[int, _WayLegal] = {}
    above = below = False
    for s in np.flatnonzero(count).tolist():
        tags, ways_with = sets[s], int(count[s])
        speeds = [tags.get(key) for key in ("maxspeed", "maxspeed:forward", "maxspeed:backward")]
        for value in speeds:
            if value is None:
                continue
            high, low = above_ceiling(value), below_floor(value)
            if high or low:
                absurd_value[s] = value
                above, below = above or high, below or low
                break
        maxspeed, forward, backward = (parse_maxspeed(value) for value in speeds)
        ferry = osm_rules.ferry_route(tags) if first_highway[s] not in ROAD_CLASSES else None
        if ferry is not None:
            duration_s = osm_rules.parse_duration_s(tags.get("duration", ""))
            maxspeed = forward = backward = osm_rules.FERRY_ROUTES[ferry]
            timed[s] = duration_s
        for key in _ZONE_KEYS:
            value = tags.get(key)
            if value is not None and (match := _COUNTRY.match(value)):
                ways.countries[match[1]] = ways.countries.get(match[1], 0) + ways_with
                break
        if not _LEGAL_WAY_KEYS.isdisjoint(tags) or tags.get("highway") in osm_rules.HIGHWAY_MODES:
            record = _WayLegal(tags)
            for pair in osm_rules.unreadable_values(tags):
                ways.unreadable[pair] = ways.unreadable.get(pair, 0) + ways_with
            ways.conditional += len(osm_rules.conditional_keys(tags)) * ways_with
            if not record.is_default():
                legal_of[s] = record
        highway[s] = tags["highway"] if ferry is None else ferry
        direction[s] = oneway(tags)
        forward_kph[s] = maxspeed if math.isnan(forward) else forward
        backward_kph[s] = maxspeed if math.isnan(backward) else backward

    ways.ref = arrays["ref"]
    ways.lat, ways.lon = arrays["lat"], arrays["lon"]
    ways.way_length = arrays["way_length"]
    ways.way_id = way_id
    ways.highway = highway[set_of]
    ways.direction = direction[set_of]
    ways.speed_forward = forward_kph[set_of]
    ways.speed_backward = backward_kph[set_of]
    timed_ways = np.flatnonzero(~np.isnan(timed[set_of]))
    if timed_ways.size:
        start = np.concatenate([[0], np.cumsum(ways.way_length, dtype=np.int64)])
        for i in timed_ways.tolist():
            at = slice(int(start[i]), int(start[i + 1]))
            speed = _timed_speed_kph(float(timed[set_of[i]]), ways.lat[at], ways.lon[at])
            ways.speed_forward[i] = ways.speed_backward[i] = speed
    if legal_of:
        has_record = np.zeros(n_sets, dtype=bool)
        has_record[list(legal_of)] = True
        for i in np.flatnonzero(has_record[set_of]).tolist():
            ways.legal[i] = legal_of[int(set_of[i])]
    absurd: list[tuple[int, str]] = []
    if absurd_value:
        is_absurd = np.zeros(n_sets, dtype=bool)
        is_absurd[list(absurd_value)] = True
        absurd = [
            (int(way_id[i]), absurd_value[int(set_of[i])])
            for i in np.flatnonzero(is_absurd[set_of]).tolist()
        ]
    node_records: list[_NodeLegal | None] = []
    for raw in scan.node_tag_sets():
        on_node = _NodeLegal({_text(k): _text(v) for k, v in raw})
        node_records.append(None if on_node.is_default() else on_node)
    node_set_of = arrays["node_tag_set"]
    legal_nodes = np.flatnonzero(
        np.asarray([r is not None for r in node_records], dtype=bool)[node_set_of]
    ) if node_records else np.empty(0, dtype=np.intp)  # fmt: skip
    for i in legal_nodes.tolist():
        ways.node_legal[int(arrays["node_id"][i])] = node_records[int(node_set_of[i])]  # type: ignore[assignment]
    return ways, (absurd, above, below)


def _note_country(ways: _Ways, tags: Mapping[str, str]) -> None:
    for key in _ZONE_KEYS:
        value = tags.get(key)
        if value is not None and (match := _COUNTRY.match(value)):
            ways.countries[match[1]] = ways.countries.get(match[1], 0) + 1
            return


def _fill_negative(path: Path, ways: _Ways) -> None:
    """Give references to negative node ids (new objects in JOSM files) their locations."""
    refs = np.asarray(ways.ref, dtype=np.int64)
    wanted = np.flatnonzero((refs < 0) & np.isnan(np.asarray(ways.lat, dtype=np.float64)))
    if wanted.size == 0:
        return
    import osmium

    needed = set(refs[wanted].tolist())
    found: dict[int, tuple[float, float]] = {}
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        location = node.location  # type: ignore[union-attr]
        if node.id in needed and location.valid():
            found[node.id] = (location.lat, location.lon)
    for i in wanted.tolist():
        where = found.get(int(refs[i]))
        if where is not None:
            ways.lat[i], ways.lon[i] = where


def load_osm(
    path: str | Path,
    *,
    network_type: NetworkType = "drive",
    simplify: bool = True,
    largest_component: bool | Literal["weak", "strong"] = True,
    dem: Iterable[str | Path] | str | Path | None = None,
    turn_restrictions: bool = True,
    max_decompressed_bytes: int | None = None,
    progress: bool | None = None,
) -> RoadNetwork:
    """
    Load the drivable road network of an OpenStreetMap file.

    Reads .osm.pbf files with ecoroute's own PBF reader (compiled, two passes
    over the file, the tag rules run once per distinct set of tags), and
    .osm, .osm.bz2 and .osm.gz files with pyosmium, and builds the network's
    arrays directly (no networkx); both readers give the same network. Ways are filtered as
    :func:`drivable` says, one-way rules are :func:`oneway`'s, lengths are
    great-circle distances between consecutive nodes (as osmnx), speeds come
    from ``maxspeed`` (:func:`ecoroute.speeds.parse_maxspeed`; per direction
    with ``maxspeed:forward``/``backward``), missing ones are imputed per
    highway class (:func:`ecoroute.speeds.impute_speeds`), and travel times are
    length over speed, summed along merged chains.

    Ways clipped at the extract's boundary (references to nodes missing from
    the file) keep the stretches whose nodes are present; the number of
    dropped references is reported in a warning.

    Parameters
    ----------
    path
        The OSM file.
    network_type
        ``"drive"`` (osmnx's "drive": public roads without service roads) or
        ``"drive_service"`` (service roads included).
    simplify
        Merge chains of degree-2 nodes into single arcs with full geometry,
        node for node as ``osmnx.simplify_graph`` does.
    largest_component
        Keep only the largest connected part: ``True`` or ``"weak"`` (weakly
        connected, as osmnx's ``retain_all=False``), ``"strong"`` (every node
        can reach every other: no pair is unreachable), or ``False``.
    dem
        DEM tiles (SRTM .hgt, zipped or not, or GeoTIFF). When given,
        simplification also keeps the nodes where a road's elevation profile
        turns (:func:`ecoroute.elevation.profile_turning_points`: a mountain
        road between two junctions keeps its climb and its descent as separate
        arcs instead of one net grade), and elevations and grades are added
        (:meth:`RoadNetwork.with_elevation`).
    turn_restrictions
        Also read the file's turn restrictions and intersection controls
        (:func:`ecoroute.turns.read_turns`, for cars: forbidden turns, U-turns
        only at dead ends, and the time and energy of turns, signals and
        stop signs) and attach them to the network (default): every
        :class:`ecoroute.Router` on it then obeys them (a turn-expanded
        graph; see docs/turns.md), and ``save`` keeps them. ``False`` gives
        the plain node-based network.
    max_decompressed_bytes
        Refuse a file that holds more OSM data than this, in bytes after
        decompression (the XML text; for .pbf files, the raw size its blob
        headers state). By default :data:`MAX_OSM_BYTES` (64 GiB), and for
        .osm.bz2 and .osm.gz files :data:`MAX_COMPRESSION_RATIO` (1000) times
        the file's size, which no OSM extract approaches (they compress about
        10:1) but a decompression bomb does. The check reads the file once
        before libosmium does, in linear time and flat memory; it also refuses
        XML tags longer than :data:`MAX_XML_TAG_BYTES`, node ids given twice
        and coordinates libosmium would misread.
    progress
        A progress bar (ways read, with their rate, then each later step):
        None (the default) shows it on a terminal only, True always, False never.

    Returns
    -------
    RoadNetwork
        Node ids are OSM node ids, arcs carry their OSM way id and highway class.

    Raises
    ------
    OsmFileError
        (a ``ValueError``) if the file is missing, empty, of an unknown type,
        truncated or not OSM data, larger than ``max_decompressed_bytes``, has
        a node id twice or a node coordinate that is not a finite number
        within ±214.7 degrees (naming the node), or has no drivable road.
    """
    from tqdm.auto import tqdm

    from ._progress import disable

    path = Path(path)
    check_osm_file(path)
    started = time.perf_counter()
    # A bar on a terminal (progress=None), always (True) or never (False): ways read,
    # then each later step by name.
    bar = tqdm(
        desc=f"reading {path.name}",
        unit=" ways",
        unit_scale=True,
        disable=disable(progress),
    )
    try:
        network = _load(
            path, network_type, simplify, largest_component, dem, turn_restrictions,
            max_decompressed_bytes, bar,
        )  # fmt: skip
    finally:
        bar.close()
    log.info(
        "%s: %d nodes, %d arcs in %.2f s",
        path.name,
        network.node_count,
        network.arc_count,
        time.perf_counter() - started,
    )
    return network


#: Ways between two updates of the loading bar (a power of two, minus one: a mask).
_PROGRESS_EVERY = 2**14 - 1


def _load(
    path: Path,
    network_type: NetworkType,
    simplify: bool,
    largest_component: bool | Literal["weak", "strong"],
    dem: Iterable[str | Path] | str | Path | None,
    turn_restrictions: bool,
    max_decompressed_bytes: int | None,
    bar: Any,
) -> RoadNetwork:
    """The body of :func:`load_osm`, reporting its steps on ``bar``."""
    ways = _read_ways(path, network_type, max_decompressed_bytes, bar)
    bar.set_description(f"building {path.name}")
    if len(ways.way_id) == 0:
        msg = f"{path} has no drivable road ({network_type!r} ways); nothing to route on."
        raise OsmFileError(msg)

    ref = np.asarray(ways.ref, dtype=np.int64)
    lat = np.asarray(ways.lat, dtype=np.float64)
    lon = np.asarray(ways.lon, dtype=np.float64)
    way_of_ref = np.repeat(np.arange(len(ways.way_id)), ways.way_length)
    present = ~np.isnan(lat)
    dropped = int((~present).sum())
    if dropped:
        warnings.warn(
            f"{path.name}: {dropped:,} way node references point outside the file (clipped "
            "extract) or to nodes without a valid location (latitude beyond ±90, longitude "
            "beyond ±180); the ways are kept where their nodes exist.",
            stacklevel=2,
        )

    # Segments between consecutive references of the same way, both present,
    # skipping repeated nodes (osmnx drops consecutive duplicates too).
    a = np.arange(ref.size - 1)
    b = a + 1
    segment = (way_of_ref[a] == way_of_ref[b]) & present[a] & present[b] & (ref[a] != ref[b])
    a, b = a[segment], b[segment]
    if a.size == 0:
        msg = f"{path} has drivable ways but no two consecutive nodes of one are in the file."
        raise OsmFileError(msg)

    used = np.concatenate([a, b])
    node_id, first, inverse = _topology.unique_first_inverse(ref[used])
    node_lat, node_lon = lat[used][first], lon[used][first]
    u_seg, v_seg = inverse[: a.size], inverse[a.size :]
    seg_way = way_of_ref[a]
    seg_length = haversine_m(lat[a], lon[a], lat[b], lon[b])

    # One arc per direction a segment may be driven in, in osmnx's insertion
    # order (way by way: arcs along the node order, then the reverse arcs; a
    # reversed one-way's arcs from its last segment to its first). The order
    # only decides ties in simplification, as it does in osmnx.
    direction = np.asarray(ways.direction, dtype=np.int8)[seg_way]
    along = np.flatnonzero(direction >= 0)
    against = np.flatnonzero(direction <= 0)
    arc_seg = np.concatenate([along, against])
    arc_along = np.r_[np.ones(along.size, dtype=bool), np.zeros(against.size, dtype=bool)]
    position = np.where(direction[arc_seg] < 0, -arc_seg, arc_seg)
    order = np.lexsort((position, ~arc_along, seg_way[arc_seg]))
    arc_seg, arc_along = arc_seg[order], arc_along[order]
    tail = np.where(arc_along, u_seg[arc_seg], v_seg[arc_seg])
    head = np.where(arc_along, v_seg[arc_seg], u_seg[arc_seg])
    arc_speed = np.where(
        arc_along,
        np.asarray(ways.speed_forward)[seg_way[arc_seg]],
        np.asarray(ways.speed_backward)[seg_way[arc_seg]],
    )
    arc_length = seg_length[arc_seg]
    arc_way = seg_way[arc_seg]
    legal = _arc_legal(ways, arc_way, arc_along, ref[a][arc_seg], ref[b][arc_seg])

    highway_names, highway_code = np.unique(
        np.asarray(ways.highway, dtype=object).astype(str), return_inverse=True
    )
    arc_highway = highway_code[arc_way]
    arc_speed, imputed = impute_speeds_by_class(arc_speed, arc_highway, highway_names)
    log.info(
        "%s: imputed %d of %d arc speeds from highway classes", path.name, imputed, arc_speed.size
    )
    arc_time = arc_length / (arc_speed / 3.6)

    n = node_id.size
    keep_node = np.ones(n, dtype=bool)
    if largest_component:
        keep_node = _topology.largest_component(n, tail, head, strong=largest_component == "strong")
    if not keep_node.all():
        keep_arc = keep_node[tail] & keep_node[head]
        remap = np.cumsum(keep_node) - 1
        tail, head = remap[tail[keep_arc]], remap[head[keep_arc]]
        arc_length, arc_time, arc_way, arc_highway = (
            x[keep_arc] for x in (arc_length, arc_time, arc_way, arc_highway)
        )
        legal = {
            name: values if name in access.LEGAL_TABLES else values[keep_arc]
            for name, values in legal.items()
        }
        node_id, node_lat, node_lon = node_id[keep_node], node_lat[keep_node], node_lon[keep_node]
        n = node_id.size

    if simplify:
        # Self-contained rings (parts without a junction or dead end) keep one node:
        # osmnx deletes them, but a ring is a road the caller asked for.
        keep = _ring_anchors(n, tail, head)
        if dem is not None:
            from .elevation import profile_turning_points

            chains = _topology.simplify(n, tail, head, keep)
            chain_nodes = np.empty(chains.chain_arcs.size + chains.tail.size, dtype=np.int64)
            # Node sequence of each chain: its first tail, then every piece's head.
            node_offsets = chains.chain_offsets + np.arange(chains.chain_offsets.size)
            first = node_offsets[:-1]
            chain_nodes[first] = chains.tail
            rest = np.ones(chain_nodes.size, dtype=bool)
            rest[first] = False
            chain_nodes[rest] = head[chains.chain_arcs]
            keep |= profile_turning_points(
                node_lat, node_lon, node_offsets, chain_nodes, _as_list(dem)
            )
        if legal is not None:
            keep |= _destination_borders(n, tail, head, legal)
        keep |= _ferry_terminals(n, tail, head, arc_highway, highway_names)
        if turn_restrictions:
            keep |= np.isin(node_id, _restriction_nodes(path, ways))
        merged = _topology.simplify(n, tail, head, keep)
        chain = merged.chain_arcs
        chain_of = np.repeat(np.arange(merged.tail.size), np.diff(merged.chain_offsets))
        length = np.bincount(chain_of, weights=arc_length[chain], minlength=merged.tail.size)
        travel_time = np.bincount(chain_of, weights=arc_time[chain], minlength=merged.tail.size)
        # Class and way of a merged arc: those of its longest piece.
        longest = _argmax_per_group(arc_length[chain], merged.chain_offsets)
        out_highway = arc_highway[chain[longest]]
        out_way = arc_way[chain[longest]]
        # A merged arc is as restricted as its most restricted piece: a chain is driven
        # end to end (its inner nodes have no other roads), so one closed piece closes it.
        legal = _merge_legal(legal, chain, merged.chain_offsets)
        # Shape points: the heads of every piece but the last.
        interior = np.ones(chain.size, dtype=bool)
        interior[merged.chain_offsets[1:] - 1] = False
        shape_nodes = head[chain[interior]]
        shape_counts = np.diff(merged.chain_offsets) - 1
        geometry_offsets = np.zeros(merged.tail.size + 1, dtype=np.int64)
        np.cumsum(shape_counts, out=geometry_offsets[1:])
        geometry_lonlat = np.column_stack([node_lon[shape_nodes], node_lat[shape_nodes]])
        kept = merged.node_kept
        remap = np.cumsum(kept) - 1
        tail, head = remap[merged.tail], remap[merged.head]
        node_id, node_lat, node_lon = node_id[kept], node_lat[kept], node_lon[kept]
        arc_length, arc_time, arc_way, arc_highway = length, travel_time, out_way, out_highway
    else:
        geometry_offsets = np.zeros(tail.size + 1, dtype=np.int64)
        geometry_lonlat = np.empty((0, 2))

    if tail.size == 0:  # cannot happen: a segment makes an arc and rings are kept
        msg = f"{path}: no drivable arcs are left."
        raise OsmFileError(msg)

    network = _build(
        node_id,
        node_lat,
        node_lon,
        tail,
        head,
        arc_length,
        arc_time,
        arc_highway,
        highway_names,
        np.asarray(ways.way_id, dtype=np.int64)[arc_way],
        geometry_offsets,
        geometry_lonlat,
        legal,
        _majority(ways.countries),
    )
    if dem is not None:
        bar.set_description("elevations")
        network = network.with_elevation(_as_list(dem))
    if turn_restrictions:
        from . import turns

        bar.set_description("turn restrictions")
        network = turns.attach(network, turns.read_turns(path, network))
    bar.set_description(f"loaded {path.name}")
    bar.set_postfix_str(f"{network.node_count:,} nodes, {network.arc_count:,} arcs")
    return network


def _ring_anchors(
    node_count: int, tail: npt.NDArray[np.int64], head: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """
    Mark one node of every self-contained ring: its smallest OSM id (nodes are in id order).

    A ring is a weakly connected part in which no node is an endpoint of
    simplification (:func:`ecoroute._topology.endpoints`): a closed way on its
    own. Kept as an endpoint, that node becomes the start and end of a loop
    arc that carries the whole ring's geometry.
    """
    anchors = np.zeros(node_count, dtype=bool)
    is_endpoint = _topology.endpoints(node_count, tail, head)
    if is_endpoint.all():
        return anchors
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    matrix = csr_matrix((np.ones(tail.size, np.int8), (tail, head)), shape=(node_count, node_count))
    _, labels = connected_components(matrix, directed=True, connection="weak")
    has_endpoint = np.zeros(labels.max() + 1, dtype=bool)
    has_endpoint[labels[is_endpoint]] = True
    component, first = np.unique(labels, return_index=True)
    anchors[first[~has_endpoint[component]]] = True
    return anchors


def _as_list(paths: Iterable[str | Path] | str | Path) -> list[str | Path]:
    return [paths] if isinstance(paths, str | Path) else list(paths)


def _argmax_per_group(
    values: npt.NDArray[np.float64], offsets: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Index (into ``values``) of the largest value of each group ``offsets[i]:offsets[i+1]``."""
    group = np.repeat(np.arange(offsets.size - 1), np.diff(offsets))
    order = np.lexsort((-values, group))  # within each group, largest first
    return order[offsets[:-1]]


def _build(
    node_id: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    tail: npt.NDArray[np.int64],
    head: npt.NDArray[np.int64],
    length_m: npt.NDArray[np.float64],
    time_s: npt.NDArray[np.float64],
    highway_code: npt.NDArray[np.intp],
    highway_names: npt.NDArray[np.str_],
    way_id: npt.NDArray[np.int64],
    geometry_offsets: npt.NDArray[np.int64],
    geometry_lonlat: npt.NDArray[np.float64],
    legal: Mapping[str, npt.NDArray[Any]] | None = None,
    country: str | None = None,
) -> RoadNetwork:
    """Renumber nodes along a space-filling curve (memory locality for searches) and build."""
    order = spatial_order(lat, lon)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    speed = np.divide(length_m * 3.6, time_s, out=np.full(length_m.size, 1.0), where=time_s > 0)
    # Zero-length arcs (two OSM nodes at one spot) have no speed of their own.
    speed[time_s <= 0] = np.nan
    speed, _ = impute_speeds(speed, np.asarray(highway_names, dtype=object)[highway_code])
    network = RoadNetwork.from_arrays(
        rank[tail],
        rank[head],
        length_m,
        speed,
        lat[order],
        lon[order],
        node_id=node_id[order],
        travel_time_s=time_s,
        highway=np.asarray(highway_names, dtype=object)[highway_code],
        osm_way_id=way_id,
        geometry_offsets=geometry_offsets,
        geometry_lonlat=geometry_lonlat,
    )
    if legal is None:
        return network
    csr = np.argsort(rank[tail], kind="stable")  # the arc order from_arrays chose
    arrays = {
        access.LEGAL_PREFIX + name: values if name in access.LEGAL_TABLES else values[csr]
        for name, values in legal.items()
    }
    arrays[access.LEGAL_PREFIX + "country"] = access.country_attachment(country)
    return network.with_attachments(**arrays)


def _arc_legal(
    ways: _Ways,
    arc_way: npt.NDArray[np.int64],
    along: npt.NDArray[np.bool_],
    first_ref: npt.NDArray[np.int64],
    second_ref: npt.NDArray[np.int64],
) -> dict[str, npt.NDArray[Any]]:
    """
    Per arc (one direction of one segment), what its way and its end nodes say to each mode.

    ``first_ref``/``second_ref`` are the OSM ids of the segment's nodes in the
    way's order. Node records (barriers, access tags, height restrictors) act
    on both arcs through the node: a vehicle that may not pass a node may not
    drive the roads on either side of it through that node.
    """
    w, modes, limits = len(ways.way_id), len(osm_rules.MODES), len(access.LIMITS)
    way_access = np.zeros((w, modes, 2), dtype=np.uint8)
    way_limits = np.full((w, limits), np.inf)
    way_hazmat = np.zeros((w, 2), dtype=np.uint8)
    way_tunnel = np.zeros((w, 2), dtype=np.uint8)
    way_hgv_speed = np.full((w, 2), np.nan)
    table: dict[str, int] = {"": 0}  # the tags that decided, numbered
    way_tag = np.zeros((w, modes, 2), dtype=np.int32)
    for i, record in ways.legal.items():
        way_access[i] = record.access
        way_tag[i] = [[table.setdefault(t, len(table)) for t in row] for row in record.tags]
        way_limits[i] = record.limits
        way_hazmat[i] = record.hazmat
        way_tunnel[i] = record.tunnel
        way_hgv_speed[i] = record.maxspeed_hgv
    column = np.where(along, 0, 1)
    out: dict[str, npt.NDArray[Any]] = {}
    arc_access = way_access[arc_way, :, column]  # (arcs, modes)
    arc_node = np.zeros(arc_access.shape, dtype=np.uint8)  # what nodes alone say
    arc_limits = way_limits[arc_way]
    arc_tag = way_tag[arc_way, :, column]
    if ways.node_legal:
        ids = np.fromiter(ways.node_legal, dtype=np.int64, count=len(ways.node_legal))
        order = np.argsort(ids)
        ids = ids[order]
        records = [ways.node_legal[int(x)] for x in ids]
        node_access = np.asarray([r.access for r in records], dtype=np.uint8)
        node_limits = np.asarray([r.limits for r in records], dtype=np.float64)
        node_tag = np.asarray(
            [[table.setdefault(t, len(table)) for t in r.tags] for r in records], dtype=np.int32
        )
        for ends in (first_ref, second_ref):
            at = np.minimum(np.searchsorted(ids, ends), ids.size - 1)
            hit = ids[at] == ends
            stricter = np.zeros(arc_access.shape, dtype=bool)
            stricter[hit] = node_access[at[hit]] > arc_access[hit]
            arc_tag[stricter] = np.broadcast_to(node_tag[at][:, :], arc_tag.shape)[stricter]
            arc_access[hit] = np.maximum(arc_access[hit], node_access[at[hit]])
            arc_node[hit] = np.maximum(arc_node[hit], node_access[at[hit]])
            arc_limits[hit] = np.fmin(arc_limits[hit], node_limits[at[hit]])
    for k, mode in enumerate(osm_rules.MODES):
        out[f"access.{mode}"] = np.ascontiguousarray(arc_access[:, k])
        out[f"access_tag.{mode}"] = np.ascontiguousarray(arc_tag[:, k])
    for k, name in enumerate(access.LIMITS):
        out[name] = np.ascontiguousarray(arc_limits[:, k])
    out["hazmat"] = way_hazmat[arc_way, column]
    out["tunnel_category"] = way_tunnel[arc_way, column]
    out["maxspeed_hgv_kph"] = way_hgv_speed[arc_way, column]
    names = sorted(table, key=table.__getitem__)
    out["access_tags"] = np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8).copy()
    out.update(_arc_conditional(ways, arc_way, column, arc_node))
    return out


def _arc_conditional(
    ways: _Ways,
    arc_way: npt.NDArray[np.int64],
    column: npt.NDArray[np.int64],
    arc_node: npt.NDArray[np.uint8],
) -> dict[str, npt.NDArray[Any]]:
    """
    Per arc and mode, an index into a table of conditional access profiles (0: none).

    A node that closes or limits the road (a barrier) holds at every hour:
    the profile of an arc through it is at least the node's code.
    """
    modes = len(osm_rules.MODES)
    way_index = np.zeros((len(ways.way_id), modes, 2), dtype=np.int32)
    index: dict[bytes, int] = {}
    rows: list[npt.NDArray[np.uint8]] = [np.zeros((2, 168), dtype=np.uint8)]
    for i, record in ways.legal.items():
        if record.conditional is None:
            continue
        for k, row in enumerate(record.conditional[0]):
            for d, profile in enumerate(row):
                if profile is not None:
                    way_index[i, k, d] = access.add_profile(index, rows, profile)
    arc_index = way_index[arc_way, :, column]  # (arcs, modes)
    floored = np.flatnonzero((arc_index > 0).any(axis=1) & (arc_node > 0).any(axis=1))
    for a in floored.tolist():
        for k in range(modes):
            if arc_index[a, k] and arc_node[a, k]:
                profile = np.maximum(rows[arc_index[a, k]], arc_node[a, k])
                arc_index[a, k] = access.add_profile(index, rows, profile)
    out: dict[str, npt.NDArray[Any]] = {
        f"conditional.{mode}": np.ascontiguousarray(arc_index[:, k])
        for k, mode in enumerate(osm_rules.MODES)
    }
    out["conditional_profiles"] = np.stack(rows).reshape(len(rows), 2 * 168)
    return out


def _restriction_nodes(path: Path, ways: _Ways) -> npt.NDArray[np.int64]:
    """
    OSM ids of the nodes a turn restriction names: its via nodes and its ways' end nodes.

    Simplification keeps them, so a via way in a chain of two-node junctions stays an arc of
    its own and the restriction can still be matched (:func:`ecoroute.turns.read_turns`).
    """
    from .turns import _read_relations

    relations, _, _ = _read_relations(path, "motorcar")
    if not relations:
        return np.empty(0, dtype=np.int64)
    wanted = {w for r in relations for w in (*r.from_ways, *r.via_ways, *r.to_ways)}
    ends = np.cumsum(ways.way_length)
    starts = ends - np.asarray(ways.way_length)
    refs = np.asarray(ways.ref, dtype=np.int64)
    nodes = [v for r in relations for v in r.via_nodes]
    for i, way_id in enumerate(ways.way_id):
        if way_id in wanted and ends[i] > starts[i]:
            nodes += [int(refs[starts[i]]), int(refs[ends[i] - 1])]
    return np.asarray(nodes, dtype=np.int64)


def _ferry_terminals(
    n: int,
    tail: npt.NDArray[np.int64],
    head: npt.NDArray[np.int64],
    arc_highway: npt.NDArray[np.integer[Any]],
    highway_names: npt.NDArray[np.str_],
) -> npt.NDArray[np.bool_]:
    """
    Nodes where a ferry or car train meets a road: simplification keeps them.

    A merged arc has one class; merged with the roads at its ends, a ferry
    would carry the car along them too (or the road would take its speed).
    """
    carried = [i for i, name in enumerate(highway_names.tolist()) if name in osm_rules.FERRY_ROUTES]
    if not carried:
        return np.zeros(n, dtype=bool)
    on_board = np.isin(arc_highway, carried).astype(np.int64)
    ends = np.concatenate([tail, head])
    touching = np.bincount(ends, weights=np.concatenate([on_board, on_board]), minlength=n)
    incident = np.bincount(ends, minlength=n)
    return (touching > 0) & (touching < incident)


def _destination_borders(
    n: int, tail: npt.NDArray[np.int64], head: npt.NDArray[np.int64], legal: Mapping[str, Any]
) -> npt.NDArray[np.bool_]:
    """
    Nodes where a destination-only stretch meets other roads, for some mode.

    Simplification keeps them: a route may drive a destination-only stretch
    at its start or end, so merging it with the open road before it would
    make the whole chain destination-only (and a pass along it legal).
    """
    border = np.zeros(n, dtype=bool)
    for mode in osm_rules.MODES:
        code = legal.get(f"access.{mode}")
        if code is None:
            continue
        dest = (np.asarray(code) == osm_rules.DESTINATION).astype(np.int64)
        if not dest.any():
            continue
        ends = np.concatenate([tail, head])
        touching = np.bincount(ends, weights=np.concatenate([dest, dest]), minlength=n)
        incident = np.bincount(ends, minlength=n)
        border |= (touching > 0) & (touching < incident)
    return border


def _merge_legal(
    legal: Mapping[str, npt.NDArray[Any]],
    chain: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
) -> dict[str, npt.NDArray[Any]]:
    """Combine the pieces of each merged arc: the strictest access, limit and speed wins."""
    starts = offsets[:-1]
    out: dict[str, npt.NDArray[Any]] = {}
    access.merge_conditional(dict(legal), chain, offsets, out)
    for name, values in legal.items():
        if name in access.LEGAL_TABLES:  # tables (tag names, profiles), not per arc
            out.setdefault(name, values)
            continue
        if name.startswith("conditional."):  # merged above
            continue
        pieces = values[chain]
        if name.startswith("access_tag."):  # the tag of the piece whose access is strictest
            code = legal["access." + name.split(".", 1)[1]][chain].astype(np.float64)
            out[name] = pieces[_argmax_per_group(code, offsets)]
        elif name == "hazmat":
            out[name] = np.bitwise_or.reduceat(pieces, starts)
        elif name.startswith("access.") or name == "tunnel_category":
            out[name] = np.maximum.reduceat(pieces, starts)
        else:  # limits and maxspeed:hgv: the smallest (NaN: unknown, ignored)
            out[name] = np.fmin.reduceat(pieces, starts)
    return out


def _majority(counts: Mapping[str, int]) -> str | None:
    return max(counts, key=counts.__getitem__) if counts else None


def spatial_order(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> npt.NDArray[np.int64]:
    """Return node indices sorted along a Hilbert curve over their bounding box."""
    if lat.size == 0:
        return np.empty(0, dtype=np.int64)
    side = 1 << 16

    def scale(values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        low, span = values.min(), np.ptp(values)
        if span == 0:
            return np.zeros(values.size, dtype=np.int64)
        return np.minimum(((values - low) / span * side).astype(np.int64), side - 1)

    x, y = scale(lon), scale(lat)
    d = np.zeros(x.size, dtype=np.int64)
    s = side >> 1
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx.astype(np.int64)) ^ ry.astype(np.int64))
        flip = ~ry & rx
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        x, y = np.where(~ry, y, x), np.where(~ry, x, y)
        s >>= 1
    return np.argsort(d, kind="stable")
