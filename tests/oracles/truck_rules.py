"""
A second reading of what OSM lets a truck drive, written from the OSM wiki, to judge ecoroute by.

Nothing here imports ecoroute's own tag reading: the file is read again with
pyosmium and the tags are interpreted from the wiki pages (Key:access,
Key:hgv, Key:maxweight, Key:maxweightrating, Key:maxaxleload, Key:maxheight,
Key:maxwidth, Key:maxlength, Key:oneway, Key:barrier, Key:hazmat,
Key:maxspeed) and the German road traffic law (StVO §3, §18; the EU limiter
directive 92/6/EEC), so that a route ecoroute returns can be checked by code
that did not compute it.

The reading, per way and per direction of its node order:

* ``highway`` must be a road for motor vehicles (:data:`MOTOR_ROADS`);
  ``oneway`` (and the one-way implied by motorways and roundabouts) and
  ``oneway:hgv`` close the direction against it.
* Access, most specific key first (:func:`access_modes`): ``hgv_articulated``
  (articulated trucks only), ``hgv``, ``motor_vehicle``, ``vehicle``,
  ``access`` for a truck over 3.5 t; ``goods`` instead of ``hgv`` for one up to
  3.5 t. Per key, ``key:forward``/``key:backward`` before ``key``. The first
  key with a known value decides: :data:`OPEN_VALUES`,
  :data:`DESTINATION_VALUES` (only to reach or leave a place on that road) or
  :data:`CLOSED_VALUES`; unknown values are skipped.
* Limits close the way whatever the access says when the truck exceeds them
  (strictly): ``maxweight`` (``maxweight:hgv`` first, per direction),
  ``maxweightrating`` (likewise), ``maxaxleload``, ``maxheight`` and
  ``maxheight:physical`` (``below_default``: below the 4 m default),
  ``maxwidth`` and ``maxwidth:physical``, ``maxlength``; ``hazmat=no`` for a
  truck carrying dangerous goods.
* Nodes of the way: limits on a node close it as on a way; a ``barrier`` node
  passes the truck by its own access tags when it has some, otherwise by the
  barrier's kind (:data:`PASSABLE_BARRIERS` pass, :data:`CLOSING_BARRIERS`
  stop every motor vehicle, OSRM's car barrier table: gate and lift_gate
  pass, bollard, block, wall and fence stop; other kinds pass).
* Not read: ``*:conditional`` (time- or use-dependent rules), turn
  restrictions, low emission zones, tunnel categories.

Speeds: the truck drives at most ``maxspeed:hgv`` (per direction), the
German limit of its class (over 3.5 t: 80 km/h on motorways; other roads
outside built-up areas 80 km/h up to 7.5 t, 60 km/h above; StVO §3(3),
§18(5)) and its limiter (90 km/h over 3.5 t, directive 92/6/EEC as amended by
2002/85/EC).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

OPEN = "open"
DESTINATION = "destination"
CLOSED = "closed"
_RANK = {OPEN: 0, DESTINATION: 1, CLOSED: 2}

#: ``highway`` values that are roads for motor vehicles (the wiki's road classes).
MOTOR_ROADS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
        "track",
    }
)
#: Access values that let the vehicle through (Key:access).
#: ``official`` is not among them: the way is for the mode whose sign is posted (OSRM's car
#: closes it too).
OPEN_VALUES = frozenset({"yes", "designated", "permissive", "discouraged", "public"})
#: Access values that let it in only to reach or leave a place on the road (no through traffic).
#: ``private``, ``permit`` and ``residents`` are read so too, as OSRM's car profile reads them
#: (``restricted_access_tag_list`` in ``profiles/car.lua``: routable at a route's ends only):
#: a private yard or a residents' street is where a trip starts or ends, never passes.
DESTINATION_VALUES = frozenset(
    {"destination", "delivery", "customers", "private", "permit", "residents"}
)
#: Access values that keep it out.
CLOSED_VALUES = frozenset(
    {
        "no",
        "agricultural",
        "forestry",
        "emergency",
        "psv",
        "bus",
        "military",
        "restricted",
        "official",
        "use_sidepath",
    }
)
#: Barriers a motor vehicle passes unless access tags on the node say otherwise.
PASSABLE_BARRIERS = frozenset(
    {
        "gate",
        "lift_gate",
        "swing_gate",
        "sliding_gate",
        "toll_booth",
        "border_control",
        "cattle_grid",
        "entrance",
        "height_restrictor",
        "sally_port",
        "checkpoint",
        "no",
    }
)
#: Barriers that stop every motor vehicle unless access tags on the node open them.
CLOSING_BARRIERS = frozenset(
    {
        "bollard",
        "block",
        "jersey_barrier",
        "cycle_barrier",
        "motorcycle_barrier",
        "kissing_gate",
        "stile",
        "turnstile",
        "full-height_turnstile",
        "chain",
        "rope",
        "log",
        "debris",
        "fence",
        "wall",
        "hedge",
        "bar",
        "planter",
        "ditch",
    }
)
#: One-way values along the node order and against it (Key:oneway).
_ONEWAY_ALONG = frozenset({"yes", "true", "1"})
_ONEWAY_AGAINST = frozenset({"-1", "reverse"})

#: Node keys worth keeping (limits, access and barriers).
_NODE_KEYS = (
    "barrier",
    "access",
    "vehicle",
    "motor_vehicle",
    "motorcar",
    "goods",
    "hgv",
    "hgv_articulated",
    "maxheight",
    "maxheight:physical",
    "maxwidth",
    "maxwidth:physical",
    "maxweight",
    "maxweight:hgv",
    "maxlength",
    "maxaxleload",
)
#: Keys counted by :meth:`OsmRoads.tag_counts`.
COUNTED_KEYS = (
    "hgv",
    "hgv:forward",
    "hgv:backward",
    "hgv_articulated",
    "goods",
    "motor_vehicle",
    "vehicle",
    "access",
    "oneway:hgv",
    "maxweight",
    "maxweight:hgv",
    "maxweightrating",
    "maxweightrating:hgv",
    "maxaxleload",
    "maxheight",
    "maxheight:physical",
    "maxwidth",
    "maxlength",
    "hazmat",
    "maxspeed:hgv",
    "hgv:conditional",
    "maxweight:conditional",
)

# ---------------------------------------------------------------------------- the vehicle


@dataclass(frozen=True)
class Truck:
    """
    A vehicle as the rules see it: plain numbers.

    Attributes
    ----------
    mass_t
        Gross mass in tonnes (compared with maxweight and maxweightrating).
    axle_t
        Heaviest axle load in tonnes (maxaxleload).
    height_m, width_m, length_m
        Dimensions in metres (maxheight, maxwidth, maxlength).
    hazmat
        Whether it carries dangerous goods (hazmat=no closes the way).
    articulated
        Tractor and semi-trailer: ``hgv_articulated`` is read before ``hgv``.
    car
        A private car: ``motorcar`` is read instead of ``hgv``/``goods``, and no
        class speed limit or limiter applies.
    """

    mass_t: float
    axle_t: float
    height_m: float
    width_m: float
    length_m: float
    hazmat: bool = False
    articulated: bool = False
    car: bool = False


#: ecoroute's ``truck_40t_diesel`` as issue 23 specifies it (40 t, 5 axles).
TRUCK_40T = Truck(
    mass_t=40.0, axle_t=11.5, height_m=4.0, width_m=2.55, length_m=16.5, articulated=True
)


#: ecoroute's ``car_petrol`` as the rules see it (a 1.7 t car; no limit closes a road to it here).
CAR = Truck(mass_t=1.7, axle_t=0.85, height_m=1.46, width_m=1.79, length_m=4.28, car=True)


def access_modes(truck: Truck) -> tuple[str, ...]:
    """Access keys the truck reads, most specific first (Key:access, transport mode hierarchy)."""
    if truck.car:
        return ("motorcar", "motor_vehicle", "vehicle", "access")
    if truck.mass_t <= 3.5:
        return ("goods", "motor_vehicle", "vehicle", "access")
    first = ("hgv_articulated",) if truck.articulated else ()
    return (*first, "hgv", "motor_vehicle", "vehicle", "access")


# ---------------------------------------------------------------------------- values

_NUMBER = r"([0-9]+(?:[.,][0-9]+)?)"
_WEIGHT = re.compile(rf"^{_NUMBER}\s*(t|kg|st|lbs?)?$")
_METRES = re.compile(rf"^{_NUMBER}\s*(m|cm)?$")
_FEET = re.compile(r"^([0-9]+)\s*(?:'|ft)\s*(?:([0-9]+(?:\.[0-9]+)?)\s*(?:\"|''|in)?)?$")
_SPEED = re.compile(r"^([0-9]+(?:\.[0-9]+)?)\s*(mph|km/h|kmh|kph)?$")
_NO_LIMIT = frozenset({"none", "default", "unsigned", "no"})


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_weight_t(value: str) -> float | None:
    """
    Tonnes of a ``maxweight``-like value; ``inf`` for no limit, None when unreadable.

    Bare numbers are tonnes; units ``t``, ``kg``, ``st`` (short tons,
    0.90718474 t) and ``lbs`` (0.45359237 kg) as the wiki lists them.
    """
    text = value.strip().lower()
    if text in _NO_LIMIT:
        return math.inf
    match = _WEIGHT.match(text)
    if match is None:
        return None
    amount, unit = _number(match.group(1)), match.group(2) or "t"
    factor = {"t": 1.0, "kg": 1e-3, "st": 0.90718474, "lb": 0.45359237e-3, "lbs": 0.45359237e-3}
    return amount * factor[unit]


def parse_length_m(value: str) -> float | None:
    """
    Metres of a ``maxheight``-like value; ``inf`` for no limit, None when unreadable.

    Bare numbers are metres; ``m``, ``cm``, and feet and inches (``12'6"``,
    ``12 ft``) as the wiki writes them. ``below_default`` is the caller's.
    """
    text = value.strip().lower()
    if text in _NO_LIMIT:
        return math.inf
    match = _METRES.match(text)
    if match is not None:
        amount = _number(match.group(1))
        return amount / 100.0 if match.group(2) == "cm" else amount
    match = _FEET.match(text)
    if match is not None:
        inches = float(match.group(2)) if match.group(2) else 0.0
        return int(match.group(1)) * 0.3048 + inches * 0.0254
    return None


def parse_speed_kph(value: str) -> float | None:
    """km/h of a ``maxspeed``-like value (bare numbers km/h, ``mph``); None otherwise."""
    match = _SPEED.match(value.strip().lower())
    if match is None:
        return None
    speed = float(match.group(1))
    return speed * 1.609344 if match.group(2) == "mph" else speed


# ---------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class Verdict:
    """Whether the truck may use a way in one direction (or pass a node), and the tag why."""

    status: str
    reason: str = ""


_OPEN = Verdict(OPEN)


def _value_status(value: str) -> str | None:
    """open, destination or closed for an access value (lists: the most permissive), or None."""
    parts = {p.strip() for p in value.lower().split(";")}
    if parts & OPEN_VALUES:
        return OPEN
    if parts & DESTINATION_VALUES:
        return DESTINATION
    if parts & CLOSED_VALUES:
        return CLOSED
    return None


def _access(tags: Mapping[str, str], truck: Truck, suffix: str | None) -> Verdict:
    for mode in access_modes(truck):
        for key in (f"{mode}:{suffix}", mode) if suffix else (mode,):
            value = tags.get(key)
            if value is None:
                continue
            status = _value_status(value)
            if status is not None:
                return Verdict(status, f"{key}={value}")
    return _OPEN


def _oneway(tags: Mapping[str, str], forward: bool) -> Verdict | None:
    value = tags.get("oneway")
    if value in {"reversible", "alternating"}:
        return Verdict(CLOSED, f"oneway={value}")
    if value in _ONEWAY_ALONG and not forward:
        return Verdict(CLOSED, f"oneway={value}")
    if value in _ONEWAY_AGAINST and forward:
        return Verdict(CLOSED, f"oneway={value}")
    if value is None and not forward:  # implied one-way (Key:oneway)
        if tags.get("junction") in {"roundabout", "circular"}:
            return Verdict(CLOSED, f"junction={tags['junction']} (implied one-way)")
        if tags.get("highway") in {"motorway", "motorway_link"}:
            return Verdict(CLOSED, f"highway={tags['highway']} (implied one-way)")
    hgv = tags.get("oneway:hgv")
    if hgv in _ONEWAY_ALONG and not forward:
        return Verdict(CLOSED, f"oneway:hgv={hgv}")
    if hgv in _ONEWAY_AGAINST and forward:
        return Verdict(CLOSED, f"oneway:hgv={hgv}")
    return None


def _first_tag(tags: Mapping[str, str], keys: Iterable[str]) -> tuple[str, str] | None:
    for key in keys:
        if key in tags:
            return key, tags[key]
    return None


def _limits(tags: Mapping[str, str], truck: Truck, suffix: str | None) -> Verdict | None:
    """The first limit (weight, axle load, height, width, length) the truck exceeds, if any."""

    def keys(base: str) -> list[str]:
        hgv = [f"{base}:hgv:{suffix}", f"{base}:hgv"] if truck.mass_t > 3.5 else []
        if suffix is None:
            hgv = hgv[1:]
        return [*hgv, *([f"{base}:{suffix}"] if suffix else []), base]

    weight_checks = (("maxweight", truck.mass_t), ("maxweightrating", truck.mass_t))
    for base, amount in (*weight_checks, ("maxaxleload", truck.axle_t)):
        found = _first_tag(tags, keys(base))
        if found is not None:
            limit = parse_weight_t(found[1])
            if limit is not None and amount > limit:
                return Verdict(CLOSED, f"{found[0]}={found[1]}")
    for base, size in (
        ("maxheight", truck.height_m),
        ("maxheight:physical", truck.height_m),
        ("maxwidth", truck.width_m),
        ("maxwidth:physical", truck.width_m),
        ("maxlength", truck.length_m),
    ):
        key_list = [f"{base}:{suffix}", base] if suffix else [base]
        found = _first_tag(tags, key_list)
        if found is None:
            continue
        if found[1].strip().lower() == "below_default":
            if base.startswith("maxheight") and size >= 4.0:
                return Verdict(CLOSED, f"{found[0]}={found[1]}")
            continue
        limit = parse_length_m(found[1])
        if limit is not None and size > limit:
            return Verdict(CLOSED, f"{found[0]}={found[1]}")
    if truck.hazmat:
        found = _first_tag(tags, [f"hazmat:{suffix}", "hazmat"] if suffix else ["hazmat"])
        if found is not None and found[1] == "no":
            return Verdict(CLOSED, f"{found[0]}={found[1]}")
    return None


def way_verdict(tags: Mapping[str, str], truck: Truck, forward: bool) -> Verdict:
    """
    Whether ``truck`` may drive a way with ``tags`` along its node order (``forward``) or against it.

    Returns
    -------
    Verdict
        ``open``, ``destination`` (only at the start or end of a route) or
        ``closed``, with the tag that decided (``"hgv=no"``,
        ``"maxweight=7.5"``, ``"oneway=yes"``, ...).
    """
    highway = tags.get("highway")
    if highway not in MOTOR_ROADS:
        return Verdict(CLOSED, f"highway={highway}")
    one = _oneway(tags, forward)
    if one is not None:
        return one
    suffix = "forward" if forward else "backward"
    access = _access(tags, truck, suffix)
    if access.status == CLOSED:
        return access
    limit = _limits(tags, truck, suffix)
    if limit is not None:
        return limit
    return access


def node_verdict(tags: Mapping[str, str], truck: Truck) -> Verdict:
    """
    Whether ``truck`` may pass a node with ``tags`` (limits, then its access tags, then a barrier).

    Access tags on a node close it (or open a barrier) with or without a
    barrier: OSRM's car profile reads them so (``process_node`` in
    ``profiles/car.lua``; its ``access.feature`` routes round ``access=no``
    nodes), and the wiki's Key:access applies to any element.
    """
    limit = _limits(tags, truck, None)
    if limit is not None:
        return limit
    barrier = tags.get("barrier")
    for mode in access_modes(truck):
        value = tags.get(mode)
        if value is not None:
            status = _value_status(value)
            if status is not None:
                # A destination-only node (a private gate) lets through only those whose
                # trip starts or ends behind it: the roads at it are destination-only.
                where = f"barrier={barrier} + " if barrier else ""
                return _OPEN if status == OPEN else Verdict(status, f"{where}{mode}={value}")
    if barrier is None:
        return _OPEN
    if barrier in CLOSING_BARRIERS:
        return Verdict(CLOSED, f"barrier={barrier}")
    return _OPEN


def germany_limit_kph(mass_t: float, highway: str) -> float:
    """
    The German speed limit of a vehicle of ``mass_t`` on a road class, outside built-up areas.

    Over 3.5 t: 80 km/h on motorways (StVO §18(5)); on other roads 80 km/h up
    to 7.5 t and 60 km/h above (StVO §3(3) Nr. 2). Inside built-up areas the
    general 50 km/h is already the road's speed.
    """
    if mass_t <= 3.5:
        return math.inf
    if highway in {"motorway", "motorway_link"}:
        return 80.0
    return 80.0 if mass_t <= 7.5 else 60.0


#: The EU speed limiter of goods vehicles over 3.5 t (92/6/EEC as amended by 2002/85/EC).
LIMITER_KPH = 90.0


def truck_speed_kph(road_kph: float, tags: Mapping[str, str], truck: Truck, forward: bool) -> float:
    """The truck's speed on a way: road speed, ``maxspeed:hgv``, German class limit, limiter."""
    speed = road_kph
    found = _first_tag(tags, ["maxspeed:hgv:forward" if forward else "maxspeed:hgv:backward"])
    found = found or _first_tag(tags, ["maxspeed:hgv"])
    if found is not None:
        hgv = parse_speed_kph(found[1])
        if hgv is not None:
            speed = min(speed, hgv)
    speed = min(speed, germany_limit_kph(truck.mass_t, tags.get("highway", "")))
    if truck.mass_t > 3.5:
        speed = min(speed, LIMITER_KPH)
    return speed


# ---------------------------------------------------------------------------- the file


def _key(lon: float, lat: float) -> tuple[float, float]:
    return (round(float(lon), 7), round(float(lat), 7))


class OsmRoads:
    """
    The ``highway=*`` ways of an OSM file (tags and node references), node coordinates and tags.

    Read once with pyosmium (:meth:`read`); :class:`TruckRules` then judges
    them for one truck.
    """

    def __init__(self) -> None:
        self.way_tags: dict[int, dict[str, str]] = {}
        self.way_nodes: dict[int, tuple[int, ...]] = {}
        self.lonlat: dict[int, tuple[float, float]] = {}
        self.node_tags: dict[int, dict[str, str]] = {}
        #: (a, b) -> [(way id, along the way's node order)], both orientations of every segment.
        self.segments: dict[tuple[int, int], list[tuple[int, bool]]] = {}
        #: rounded (lon, lat) -> node ids there.
        self.at: dict[tuple[float, float], list[int]] = {}
        self._arrays: tuple[np.ndarray, ...] | None = None

    @classmethod
    def read(cls, path: str | Path) -> OsmRoads:
        """Read every ``highway=*`` way of an .osm/.osm.pbf file, its nodes, and node limits."""
        import osmium

        roads = cls()
        interesting = set(_NODE_KEYS)
        for obj in osmium.FileProcessor(str(path)).with_locations():
            if obj.is_node():
                tags = obj.tags
                if len(tags) and any(t.k in interesting for t in tags):
                    roads.node_tags[obj.id] = {t.k: t.v for t in tags}
            elif obj.is_way() and "highway" in obj.tags:
                refs = []
                for node in obj.nodes:
                    refs.append(node.ref)
                    if node.location.valid():
                        roads.lonlat[node.ref] = (node.location.lon, node.location.lat)
                roads.way_tags[obj.id] = {t.k: t.v for t in obj.tags}
                roads.way_nodes[obj.id] = tuple(refs)
        for way, refs in roads.way_nodes.items():
            for a, b in itertools.pairwise(refs):
                if a == b or a not in roads.lonlat or b not in roads.lonlat:
                    continue
                roads.segments.setdefault((a, b), []).append((way, True))
                roads.segments.setdefault((b, a), []).append((way, False))
        for node, (lon, lat) in roads.lonlat.items():
            roads.at.setdefault(_key(lon, lat), []).append(node)
        return roads

    def road_nodes(self) -> set[int]:
        """Ids of the nodes of some ``highway=*`` way."""
        return {n for refs in self.way_nodes.values() for n in refs}

    def tag_counts(self) -> dict[str, int]:
        """How many ``highway=*`` ways carry each key of :data:`COUNTED_KEYS`, and node limits."""
        counts: Counter[str] = Counter()
        for tags in self.way_tags.values():
            for key in COUNTED_KEYS:
                if key in tags:
                    counts[key] += 1
            if tags.get("hgv") in DESTINATION_VALUES:
                counts["hgv=destination/delivery"] += 1
            if tags.get("hgv") == "no":
                counts["hgv=no"] += 1
        on_roads = self.road_nodes()
        for node, tags in self.node_tags.items():
            if node not in on_roads:
                continue
            for key in ("barrier", "maxheight", "maxwidth", "maxweight"):
                if key in tags:
                    counts[f"node {key}"] += 1
        return dict(counts)

    # -- geometry of segments, for points part-way along one

    def _segment_arrays(self) -> tuple[np.ndarray, ...]:
        if self._arrays is None:
            pairs = np.array([k for k in self.segments if k[0] < k[1]], dtype=np.int64)
            pairs = pairs.reshape(-1, 2)
            a = np.array([self.lonlat[n] for n in pairs[:, 0]]).reshape(-1, 2)
            b = np.array([self.lonlat[n] for n in pairs[:, 1]]).reshape(-1, 2)
            self._arrays = (pairs, a, b)
        return self._arrays

    def segments_near(
        self, lon: float, lat: float, tolerance_m: float = 1.0
    ) -> list[tuple[int, int, float, float]]:
        """Segments (a, b) within ``tolerance_m`` of a point: (a, b, distance m, position 0..1)."""
        pairs, a, b = self._segment_arrays()
        m_per_deg = 6_371_008.8 * math.pi / 180.0
        kx = m_per_deg * math.cos(math.radians(lat))
        ax, ay = (a[:, 0] - lon) * kx, (a[:, 1] - lat) * m_per_deg
        bx, by = (b[:, 0] - lon) * kx, (b[:, 1] - lat) * m_per_deg
        near = (
            (np.minimum(ax, bx) <= tolerance_m)
            & (np.maximum(ax, bx) >= -tolerance_m)
            & (np.minimum(ay, by) <= tolerance_m)
            & (np.maximum(ay, by) >= -tolerance_m)
        )
        out = []
        for i in np.flatnonzero(near).tolist():
            dx, dy = bx[i] - ax[i], by[i] - ay[i]
            length2 = dx * dx + dy * dy
            t = 0.0 if length2 == 0 else min(1.0, max(0.0, -(ax[i] * dx + ay[i] * dy) / length2))
            distance = math.hypot(ax[i] + t * dx, ay[i] + t * dy)
            if distance <= tolerance_m:
                out.append((int(pairs[i, 0]), int(pairs[i, 1]), distance, t))
        return out


# ---------------------------------------------------------------------------- routes


@dataclass(frozen=True)
class Violation:
    """
    A rule a route breaks.

    Attributes
    ----------
    kind
        ``"closed"`` (a way closed to the truck in the driven direction),
        ``"destination"`` (a destination-only way driven through, not at the
        start or end of the route), ``"barrier"`` (a node the truck cannot
        pass) or ``"unmatched"`` (two consecutive points that are no segment
        of any way: the polyline does not follow the map).
    osm_id
        The way (or for barriers, the node) concerned.
    reason
        The tag that decided, e.g. ``"hgv=no"``.
    index
        Position in the polyline of the first point of the offending step.
    """

    kind: str
    osm_id: int
    reason: str
    index: int


@dataclass
class _Step:
    a: int
    b: int
    way: int
    verdict: Verdict


@dataclass
class TruckRules:
    """The ways and nodes of one file judged for one truck (verdicts computed on demand)."""

    roads: OsmRoads
    truck: Truck = TRUCK_40T
    _ways: dict[tuple[int, bool], Verdict] = field(default_factory=dict, repr=False)
    _nodes: dict[int, Verdict] = field(default_factory=dict, repr=False)

    @classmethod
    def read(cls, path: str | Path, truck: Truck = TRUCK_40T) -> TruckRules:
        """Read ``path`` (:meth:`OsmRoads.read`) and judge it for ``truck``."""
        return cls(OsmRoads.read(path), truck)

    def way(self, way_id: int, forward: bool) -> Verdict:
        """The verdict of a way along (``forward``) or against its node order."""
        key = (way_id, forward)
        verdict = self._ways.get(key)
        if verdict is None:
            verdict = way_verdict(self.roads.way_tags[way_id], self.truck, forward)
            self._ways[key] = verdict
        return verdict

    def node(self, node_id: int) -> Verdict:
        """Whether the truck may pass a node (open for nodes without limits or barriers)."""
        verdict = self._nodes.get(node_id)
        if verdict is None:
            tags = self.roads.node_tags.get(node_id)
            verdict = _OPEN if tags is None else node_verdict(tags, self.truck)
            self._nodes[node_id] = verdict
        return verdict

    def segment(self, a: int, b: int) -> tuple[int, Verdict] | None:
        """The most permissive (way, verdict) of the ways driving from node ``a`` to ``b``."""
        ways = self.roads.segments.get((a, b))
        if not ways:
            return None
        return min(((w, self.way(w, f)) for w, f in ways), key=lambda x: _RANK[x[1].status])

    def closed_ways(self) -> Counter[str]:
        """Ways closed to the truck in at least one direction, by the key that closed them."""
        counts: Counter[str] = Counter()
        for way in self.roads.way_tags:
            if self.roads.way_tags[way].get("highway") not in MOTOR_ROADS:
                continue
            for forward in (True, False):
                verdict = self.way(way, forward)
                if verdict.status != OPEN and not verdict.reason.startswith(
                    ("oneway", "junction", "highway")
                ):
                    key = verdict.reason.split("=")[0]
                    counts[f"{key} ({verdict.status})"] += 1
                    break
        return counts

    def check_route(self, polyline: Sequence[Sequence[float]] | np.ndarray) -> list[Violation]:
        """
        The rules a route's (lon, lat) polyline breaks for this truck (empty when it is legal).

        Consecutive points are matched to OSM node pairs by their coordinates;
        the first and last points may lie part-way along a segment (snapped
        coordinates), and are matched to the segment they lie on.
        Destination-only ways are legal as a prefix or a suffix of the route.
        """
        points = _dedup([(float(p[0]), float(p[1])) for p in polyline])
        if len(points) < 2:
            return []
        ids = [self.roads.at.get(_key(*p), []) for p in points]
        near: dict[int, list[tuple[int, int, float, float]]] = {}

        def segments_at(i: int) -> list[tuple[int, int, float, float]]:
            if i not in near:
                found = self.roads.segments_near(*points[i])
                if found:  # the segment the point lies on, and any as close (overlaps)
                    best = min(d for _, _, d, _ in found)
                    found = [s for s in found if s[2] <= best + 0.05]
                near[i] = found
            return near[i]

        steps: list[_Step | None] = []
        violations: list[Violation] = []
        for i in range(len(points) - 1):
            pairs: list[tuple[int, int]] = []
            if ids[i] and ids[i + 1]:
                pairs = [
                    (a, b) for a in ids[i] for b in ids[i + 1] if (a, b) in self.roads.segments
                ]
            elif ids[i + 1]:  # from a point part-way along a segment to one of its ends
                pairs = [(other, end) for end, other in _ends(segments_at(i), ids[i + 1])]
            elif ids[i]:  # from one end of a segment to a point part-way along it
                pairs = _ends(segments_at(i + 1), ids[i])
            else:  # both part-way along the same segment
                there = {(u, v): t for u, v, _, t in segments_at(i + 1)}
                for u, v, _, t in segments_at(i):
                    if (u, v) in there:
                        pairs.append((u, v) if t <= there[(u, v)] else (v, u))
            options = [(a, b, *found) for a, b in pairs if (found := self.segment(a, b))]
            if not options:
                steps.append(None)
                violations.append(Violation("unmatched", 0, f"points {i} and {i + 1}", i))
                continue
            a, b, way, verdict = min(options, key=lambda x: _RANK[x[3].status])
            steps.append(_Step(a, b, way, verdict))

        # Nodes passed through: the end of one step that is the start of the next.
        for i in range(1, len(steps)):
            before, after = steps[i - 1], steps[i]
            if before is None or after is None or before.b != after.a:
                continue
            verdict = self.node(before.b)
            if verdict.status == CLOSED:
                violations.append(Violation("barrier", before.b, verdict.reason, i))

        for i, step in enumerate(steps):  # a destination-only node makes its roads so
            if step is not None and step.verdict.status == OPEN:
                at = [self.node(n) for n in (step.a, step.b)]
                node = next((v for v in at if v.status == DESTINATION), None)
                if node is not None:
                    steps[i] = _Step(step.a, step.b, step.way, node)
        status = [s.verdict.status if s is not None else OPEN for s in steps]
        first = next((i for i, x in enumerate(status) if x != DESTINATION), len(status))
        last = max((i for i, x in enumerate(status) if x != DESTINATION), default=-1)
        previous: tuple[str, int] | None = None
        for i, step in enumerate(steps):
            if step is None:
                previous = None
                continue
            kind = None
            if step.verdict.status == CLOSED:
                kind = "closed"
            elif step.verdict.status == DESTINATION and first <= i <= last:
                kind = "destination"
            if kind is not None and previous != (kind, step.way):
                violations.append(Violation(kind, step.way, step.verdict.reason, i))
            previous = (kind, step.way) if kind is not None else None
        violations.sort(key=lambda v: v.index)
        return violations


def _ends(segments: list[tuple[int, int, float, float]], nodes: list[int]) -> list[tuple[int, int]]:
    """(end, other end) of the segments that have one of ``nodes`` as an end."""
    out = []
    for u, v, _, _ in segments:
        if u in nodes:
            out.append((u, v))
        elif v in nodes:
            out.append((v, u))
    return out


def _dedup(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for p in points:
        if not out or _key(*p) != _key(*out[-1]):
            out.append(p)
    return out


def check_route(
    polyline: Sequence[Sequence[float]] | np.ndarray, rules: TruckRules
) -> list[Violation]:
    """The rules a (lon, lat) polyline breaks for ``rules``' truck (:meth:`TruckRules.check_route`)."""
    return rules.check_route(polyline)


# ---------------------------------------------------------------------------- network arcs


def arc_ways(network: Any, roads: OsmRoads) -> tuple[np.ndarray, np.ndarray]:
    """
    The OSM way and direction of every arc of an unsimplified network (``simplify=False``).

    Each arc must be one OSM segment (its tail and head consecutive nodes of
    its ``osm_way_id``); the direction is read from the way's node order.

    Returns
    -------
    (way id, along) per arc, as int64 and bool arrays.
    """
    tail = network.node_id[network.tail]
    head = network.node_id[network.head]
    ways = np.asarray(network.osm_way_id, dtype=np.int64)
    along = np.zeros(ways.size, dtype=bool)
    for i, (a, b, w) in enumerate(zip(tail.tolist(), head.tolist(), ways.tolist(), strict=True)):
        found = [f for way, f in roads.segments.get((a, b), []) if way == w]
        if not found:
            msg = f"arc {i} ({a} -> {b}, way {w}) is no segment of way {w}; simplify=False?"
            raise ValueError(msg)
        along[i] = found[0]
    return ways, along


def arc_verdicts(network: Any, rules: TruckRules) -> tuple[list[Verdict], np.ndarray]:
    """
    Every arc's verdict for the truck (:meth:`TruckRules.way`), and arcs into or out of closed nodes.

    Returns
    -------
    (verdict per arc, bool array: the arc touches a node the truck cannot pass)
    """
    ways, along = arc_ways(network, rules.roads)
    verdicts = [rules.way(w, f) for w, f in zip(ways.tolist(), along.tolist(), strict=True)]
    node_verdicts = [rules.node(int(n)) for n in network.node_id.tolist()]
    closed_node = np.array([v.status == CLOSED for v in node_verdicts], dtype=bool)
    barrier = closed_node[network.tail] | closed_node[network.head]
    # An open arc at a destination-only node (a private gate) is destination-only.
    for i, (a, b) in enumerate(zip(network.tail.tolist(), network.head.tolist(), strict=True)):
        if verdicts[i].status == OPEN:
            at = next(
                (v for v in (node_verdicts[a], node_verdicts[b]) if v.status == DESTINATION), None
            )
            if at is not None:
                verdicts[i] = at
    return verdicts, barrier


def arc_truck_speeds(network: Any, rules: TruckRules) -> np.ndarray:
    """Every arc's truck speed (:func:`truck_speed_kph`) from its road speed and its way's tags."""
    ways, along = arc_ways(network, rules.roads)
    road = np.asarray(network.speed_kph, dtype=np.float64)
    return np.array(
        [
            truck_speed_kph(s, rules.roads.way_tags[w], rules.truck, f)
            for s, w, f in zip(road.tolist(), ways.tolist(), along.tolist(), strict=True)
        ]
    )


def legal_digraph(
    network: Any, weight: np.ndarray, verdicts: Sequence[Verdict], barrier: np.ndarray
) -> Any:
    """
    A networkx DiGraph on which shortest paths are the truck's legal routes.

    Closed arcs (and arcs touching impassable nodes) are left out. Three
    copies of the nodes, ``(node, phase)``: phase 0 is the start stretch on
    destination-only arcs, phase 1 the open middle, phase 2 the end stretch on
    destination-only arcs. Open arcs go 0->1 and 1->1, destination-only arcs
    0->0, 1->2 and 2->2. A route from ``s`` to ``t`` starts at ``(s, 0)`` and
    ends at ``("sink", t)``, reached from every phase of ``t`` at no cost.
    Node labels are OSM node ids; parallel arcs keep their lightest weight.
    """
    import networkx as nx

    graph = nx.DiGraph()
    tail = network.node_id[network.tail].tolist()
    head = network.node_id[network.head].tolist()
    edges: dict[tuple[Any, Any], float] = {}

    def add(u: Any, v: Any, w: float) -> None:
        if w < edges.get((u, v), math.inf):
            edges[(u, v)] = w

    for i, (a, b) in enumerate(zip(tail, head, strict=True)):
        status = verdicts[i].status
        w = float(weight[i])
        if status == CLOSED or barrier[i] or not math.isfinite(w):
            continue
        if status == OPEN:
            add((a, 0), (b, 1), w)
            add((a, 1), (b, 1), w)
        else:
            add((a, 0), (b, 0), w)
            add((a, 1), (b, 2), w)
            add((a, 2), (b, 2), w)
    graph.add_weighted_edges_from((u, v, w) for (u, v), w in edges.items())
    for node in network.node_id.tolist():
        for phase in (0, 1, 2):
            graph.add_edge((node, phase), ("sink", node), weight=0.0)
    return graph


def legal_cost(graph: Any, source: int, target: int) -> float:
    """The least cost of a legal route from OSM node ``source`` to ``target`` (inf if none)."""
    import networkx as nx

    if source == target:
        return 0.0
    try:
        cost, _ = nx.bidirectional_dijkstra(graph, (source, 0), ("sink", target))
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return math.inf
    return float(cost)
