"""
The rules of the map in one readable table: access, one-way, limits, dangerous goods, barriers.

Pure functions over the tags of one OSM element (a ``Mapping[str, str]``): no pyosmium, no
network, no state. The OSM loader calls them once per way (and per barrier node) and stores
the answers in arrays; everything here can be read, tested and documented without a file.

How the tags are read:

* **Access** is read per travel mode (:data:`MODES`), most specific key first
  (:data:`HIERARCHY`, after the OSM wiki's land-based transport hierarchy on *Key:access*),
  and per direction: for each key, ``key:forward`` (or ``key:backward``) first, then ``key``.
  The first key whose value is understood decides (:func:`access_code`); a value that is not
  understood is skipped, so the next, more general key decides, and
  :func:`unreadable_values` reports it. OSRM reads the same order and direction forms
  (``profiles/car.lua`` ``access_tags_hierarchy``, ``lib/tags.lua``
  ``get_forward_backward_by_set``).
* **Values** mean one of three things (:data:`ACCESS_VALUES`): :data:`OPEN`,
  :data:`DESTINATION` (only to reach or leave a place on that road: a route may start or end
  there but not pass through; OSRM calls these "restricted", Valhalla "destination only") or
  :data:`CLOSED`. A value that names a vehicle class (``psv``, ``bus``, ``hgv``...) opens the
  modes whose hierarchy holds that class and closes the others.
* **Lists** (``agricultural;forestry``, ``destination;delivery``) name every group allowed, so
  the most permissive element that is understood decides, as OSRM's ``resolve_access``
  (``lib/access.lua``) and Valhalla's ``any_in`` (``lua/graph.lua``) do.
* **Limits** (:data:`LIMIT_KEYS`, :func:`way_limits`) are parsed with their units
  (:func:`parse_weight_t`, :func:`parse_length_m`): ``inf`` where no limit applies, ``nan``
  where a limit is tagged but gives no number the router can use.
* **Dangerous goods** and ADR tunnel categories: :func:`hazmat_flags`,
  :func:`tunnel_category`. **Barriers** on nodes: :func:`node_access_code`.
* **Conditional** forms (``hgv:conditional=no @ (22:00-06:00)``, OSM wiki *Conditional
  restrictions*) are not evaluated: the unconditional value applies at all times, and
  :func:`conditional_keys` lists the conditional keys a way carries so the loader can count them.

Sources: OSM wiki pages *Key:access*, *Key:oneway*, *Key:maxheight*, *Key:maxweight*,
*Key:maxweightrating*, *Map features/Units*, *Key:hgv*, *Key:hazmat*, *Tag:barrier=swing_gate*;
OSRM ``profiles/car.lua``, ``profiles/lib/access.lua``, ``lib/way_handlers.lua``,
``lib/measure.lua`` (osrm-backend @4fc76cad); Valhalla ``lua/graph.lua`` (@14582d25);
GraphHopper ``OSMHazmatTunnelParser.java``. Facts are taken from them, not code.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Iterable, Mapping

from .speeds import parse_maxspeed

OPEN, DESTINATION, CLOSED = 0, 1, 2
"""Access codes, ordered from most to least permissive (stored as ``uint8`` in arrays)."""

REVERSIBLE = 2
""":func:`oneway_for`'s answer for ``oneway=reversible`` (the loader closes those ways)."""

MODES = ("motorcar", "goods", "hgv", "bus")
"""
The travel modes whose access is read.

``motorcar`` is a private car, ``goods`` a light goods vehicle (van, up to 3.5 t), ``hgv`` a
heavy goods vehicle (over 3.5 t, OSM wiki *Key:hgv*), ``bus`` a public-service bus.
"""

HIERARCHY: dict[str, tuple[str, ...]] = {
    "motorcar": ("motorcar", "motor_vehicle", "vehicle", "access"),
    "goods": ("goods", "motor_vehicle", "vehicle", "access"),
    "hgv": ("hgv", "motor_vehicle", "vehicle", "access"),
    "bus": ("bus", "psv", "motor_vehicle", "vehicle", "access"),
}
"""
Access keys per mode, most specific first (OSM wiki *Key:access*, land-based transport).

``goods`` and ``hgv`` are siblings under ``motor_vehicle``, as are ``motorcar`` and ``hgv``:
``motor_vehicle=no`` + ``motorcar=yes`` opens the road to cars and leaves it closed to vans
and trucks. ``bus`` sits under ``psv`` (public service vehicles), which sits under
``motor_vehicle``. OSRM's car profile reads the same chain for cars.
"""

ACCESS_VALUES: dict[str, int] = {
    # Open.
    "yes": OPEN,
    "designated": OPEN,
    "permissive": OPEN,
    "public": OPEN,  # Valhalla's tables
    "allowed": OPEN,  # Valhalla's tables
    "vehicle": OPEN,  # a class as a value: "only vehicles", which every mode here is
    "motor_vehicle": OPEN,  # "only motor vehicles", which every mode here is
    # Destination only: a route may start or end on the road, never pass through it.
    # OSRM (restricted_access_tag_list) and Valhalla (its "private" table, destonly) both treat
    # private, delivery, destination, customers, permit and residents so. osmnx drops private
    # roads and ecoroute's loader has closed them so far; DESTINATION is chosen because private
    # roads are mostly driveways, yards and company grounds (depots, customers' sites) that are
    # the ends of routes and never through routes: closed, a depot in a private yard could not
    # be reached at all, while DESTINATION still keeps all through traffic out.
    "destination": DESTINATION,
    "delivery": DESTINATION,
    "customers": DESTINATION,
    "residents": DESTINATION,
    "private": DESTINATION,
    "permit": DESTINATION,
    "local": DESTINATION,  # Valhalla truck table: "local traffic only"
    # Legal but through traffic is asked to go elsewhere (Key:access "discouraged"; the UK's
    # "unsuitable for HGVs" signs). Valhalla closes these to cars and trucks, OSRM opens them:
    # DESTINATION keeps the places on them reachable and routes through traffic around them.
    "discouraged": DESTINATION,
    "unsuitable": DESTINATION,  # Valhalla truck table (closed there)
    # Closed.
    "no": CLOSED,
    # "official": the way is for the mode whose sign is posted there (Key:access: a legal
    # obligation for that mode), which is not a car, van or truck on the ways routed here.
    # OSRM's car closes it; Valhalla opens it. Closed: a router cannot tell the mode signed.
    "official": CLOSED,
    # Not documented on Key:access, "some restriction applies": OSRM closes it, Valhalla
    # opens it. Closed, the conservative reading (its access.feature expects so).
    "restricted": CLOSED,
    "agricultural": CLOSED,
    "forestry": CLOSED,
    "emergency": CLOSED,
    "emergency_vehicle": CLOSED,  # OSRM blacklist
    "military": CLOSED,
    "foot": CLOSED,  # OSRM blacklist: "only pedestrians"
    "use_sidepath": CLOSED,  # a parallel way must be used instead (Key:access)
    "dismount": CLOSED,  # only when pushed: no motor vehicle can be
    "hov": CLOSED,  # high-occupancy vehicles only: a router cannot know the occupancy
    # Vehicle classes as values ("only buses"): open to the modes whose HIERARCHY names them,
    # closed to the others (OSRM blacklists psv, bus, taxi, minibus, share_taxi for cars;
    # Valhalla opens access=psv to buses and taxis).
    "psv": CLOSED,
    "bus": CLOSED,
    "taxi": CLOSED,
    "minibus": CLOSED,
    "share_taxi": CLOSED,
    "motorcar": CLOSED,
    "goods": CLOSED,
    "hgv": CLOSED,
}
"""
What each access value means: :data:`OPEN`, :data:`DESTINATION` or :data:`CLOSED`.

The table is read case-insensitively. A value that names a key of a mode's
:data:`HIERARCHY` (``psv`` or ``bus`` for buses, ``hgv`` for trucks...) is :data:`OPEN` to
that mode whatever the table says. Values missing from the table (``residential``, free
text) are not read: the next key of the hierarchy decides, and :func:`unreadable_values`
reports them. The comments in the source give the reason and source of each row.
"""

NO_INFORMATION_VALUES = frozenset({"unknown"})
"""Access values that say nothing: skipped like unknown values, but not reported as unreadable."""

# --- one-way --------------------------------------------------------------------------------

#: ``oneway`` values, as osmnx and ecoroute.osm read them (Geofabrik's T/F included).
_ONEWAY_CODES: dict[str, int] = {
    "yes": 1,
    "true": 1,
    "1": 1,
    "-1": -1,
    "reverse": -1,
    "no": 0,
    "false": 0,
    "0": 0,
    "reversible": REVERSIBLE,
}
#: ``oneway=alternating``: one direction at a time, switching often (a single lane with
#: lights): both directions are driven, as OSRM does; implied one-way rules still apply.
_ALTERNATING = "alternating"
_ONEWAY_CASED = {"T": -1, "F": 1}  # Geofabrik shapefile values, case matters
#: Highway classes and junctions one-way unless ``oneway`` says otherwise (OSM wiki Key:oneway).
_IMPLIED_ONEWAY_HIGHWAY = frozenset({"motorway", "motorway_link"})
_IMPLIED_ONEWAY_JUNCTION = frozenset({"roundabout", "circular"})

# --- limits ---------------------------------------------------------------------------------

LIMIT_KEYS: dict[str, tuple[str, ...]] = {
    "maxweight_t": ("maxweight",),
    "maxweightrating_t": ("maxweightrating",),
    "maxaxleload_t": ("maxaxleload",),
    "maxheight_m": ("maxheight:physical", "maxheight"),
    # The road's own width binds too (OSRM's car reads width and est_width so): a vehicle
    # wider than the carriageway does not fit, whatever is signed.
    "maxwidth_m": ("maxwidth:physical", "maxwidth", "width", "est_width"),
    "maxlength_m": ("maxlength",),
}
"""
The keys of each limit that :func:`way_limits` and :func:`node_limits` return.

Every listed key binds, so the **smallest** readable value of the listed keys is the limit
(a physical clearance and a signed legal limit both stop a truck; the wiki asks ``maxheight``
to be the lesser of the two anyway). Each legal key is also read in its vehicle-specific
forms, most specific first, for the mode asked (``maxweight:hgv``, then
``maxweight:motor_vehicle``, then ``maxweight`` for a truck; ``maxweight:bus`` for a bus),
and the first readable form decides that key: a vehicle-specific limit replaces the general
one for that vehicle, larger or smaller (``maxweight=7.5`` + ``maxweight:bus=18`` lets buses
of 18 t cross), as the wiki's "maxspeed extended tagging" conventions, to which
*Key:maxweight* refers, say. So ``maxweight:hgv`` binds trucks only: call ``way_limits(tags,
"hgv")`` for them; ``mode=None`` reads the forms without a vehicle, which bind everyone.
``*:physical`` keys have no vehicle forms (a bridge is as low for every vehicle).

``maxweight`` is the actual (laden) weight and ``maxweightrating`` the permissible maximum
mass the vehicle is registered for (OSM wiki *Key:maxweightrating*); OSRM reads
``maxweightrating`` before ``maxweight``. A loader that knows only a vehicle's gross mass
compares it with both, which is safe for a loaded truck.
"""

#: Limit values that say there is no limit to apply: no sign, or only the country's default
#: rules, which a legal vehicle already meets (Key:maxheight non-numerical values: ``default``,
#: ``no_sign``; ``none``; Key:maxweight: ``unsigned``, ``none``). OSRM reads
#: default/none/no-sign/unsigned maxheight as 4.5 m, above the EU's 4 m vehicle height limit.
_NO_LIMIT_WORDS = frozenset({"none", "no", "default", "unsigned", "no_sign", "no-sign"})
#: Limit values that say a limit exists without giving it: ``below_default`` (no sign, but
#: physically lower than the country's default, mostly private building passages) and
#: ``no_indications`` (Key:maxheight). They read as NaN (a limit with no usable number), not
#: as ``inf``, which would claim there is none; OSRM ignores both.
_UNKNOWN_LIMIT_WORDS = frozenset({"below_default", "no_indications"})

#: Tonnes per unit of weight (OSM wiki Map features/Units: t (default), kg, st (short ton,
#: 2000 lb), lt (long ton, 2240 lb), lbs). ``to`` is listed on Key:maxweight as a mistaken
#: spelling of ``t``; ``ton``/``tons`` is how US signs write short tons (Key:maxweight, United
#: States), and also the smaller, safer of the two readings.
_TONNES_PER: dict[str, float] = {
    "t": 1.0,
    "to": 1.0,
    "tonne": 1.0,
    "tonnes": 1.0,
    "kg": 0.001,
    "st": 0.90718474,
    "ton": 0.90718474,
    "tons": 0.90718474,
    "lt": 1.0160469088,
    "lb": 0.00045359237,
    "lbs": 0.00045359237,
}
#: Metres per unit of length (Map features/Units: m (default), km, mi, feet and inches).
_METRES_PER: dict[str, float] = {
    "m": 1.0,
    "meter": 1.0,
    "meters": 1.0,
    "metre": 1.0,
    "metres": 1.0,
    "cm": 0.01,
    "mm": 0.001,
    "km": 1000.0,
    "mi": 1609.344,
}
_FOOT_M = 0.3048
_INCH_M = 0.0254

_NUMBER_UNIT = re.compile(r"^(\d+(?:[.,]\d+)*)\s*([a-z]+)?$")
_FEET_INCHES = re.compile(
    r"^(\d+(?:\.\d+)?)\s*(?:'|ft|feet|foot)\s*-?\s*(?:(\d+(?:\.\d+)?)\s*(?:\"|in|inch|inches)?)?$"
)
_INCHES = re.compile(r'^(\d+(?:\.\d+)?)\s*(?:"|in|inch|inches)$')
#: Typographic primes and quotes that mappers type for feet and inches.
_PRIMES = str.maketrans(
    {
        "\u2032": "'",  # prime
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",  # left single quotation mark
        "\u00b4": "'",  # acute accent
        "\u2033": '"',  # double prime
        "\u201d": '"',  # right double quotation mark
        "\u201c": '"',  # left double quotation mark
    }
)

# --- dangerous goods ------------------------------------------------------------------------

HAZMAT_NO, HAZMAT_WATER_NO, HAZMAT_EXPLOSIVE_NO = 1, 2, 4
"""
Bits of :func:`hazmat_flags`: the three Vienna Convention signs (OSM wiki *Key:hazmat*).

``hazmat=no``: no vehicles carrying dangerous goods; ``hazmat:water=no``: none carrying goods
that pollute water; ``hazmat:explosive=no``: none carrying explosive or readily inflammable
goods.
"""

_HAZMAT_BITS = (
    ("hazmat", HAZMAT_NO),
    ("hazmat:water", HAZMAT_WATER_NO),
    ("hazmat:explosive", HAZMAT_EXPLOSIVE_NO),
)
#: ADR tunnel categories A (no restriction) to E (strictest).
_TUNNEL_LETTERS = "ABCDE"
#: Single-key forms of the tunnel category, read by GraphHopper before the key suffixes.
_TUNNEL_CATEGORY_KEYS = ("hazmat:adr_tunnel_cat", "hazmat:tunnel_cat")

# --- barriers -------------------------------------------------------------------------------

BARRIER_OPEN = frozenset(
    {
        # OSRM profiles/car.lua barrier_whitelist:
        "cattle_grid",
        "border_control",
        "toll_booth",
        "sally_port",
        "entrance",
        "height_restrictor",  # passable, but its maxheight is a limit (node_limits)
        "arch",  # passable, its maxheight/maxwidth are limits
        "no",
        # Addition: a speed bump is traffic_calming=bump (Key:traffic_calming), not a barrier;
        # barrier=speed_bump is a mis-tag of it, and every vehicle drives over a bump.
        "speed_bump",
    }
)
"""
``barrier`` values that every motor vehicle passes when the node has no access tags.

OSRM's car whitelist plus ``speed_bump`` (see the source). :func:`node_access_code` also
passes the exceptions OSRM makes: ``bollard=rising`` (rising bollards let authorised vehicles
by), ``barrier=kerb`` with ``kerb=lowered``/``flush`` or on a ``highway=crossing`` node, and
``barrier=fence`` with ``sensory=audible``/``audio`` (virtual livestock fences).
"""

BARRIER_GATES = frozenset({"gate", "lift_gate", "swing_gate"})
"""
Gates: passable unless access tags on the node close them, at a cost in time.

OSRM passes ``gate`` and ``lift_gate`` with a 60 s penalty (``barrier_penalties``); a
``swing_gate`` is a lift gate that swings sideways (OSM wiki *Tag:barrier=swing_gate*), so it
is read the same. Kept apart from :data:`BARRIER_OPEN` so the loader can add the delay.
"""

# --- highway classes ------------------------------------------------------------------------

HIGHWAY_CLASSES: dict[str, bool] = {
    # Roads for motor vehicles (osmnx "drive", OSRM car speeds table, Valhalla highway table).
    "motorway": True,
    "motorway_link": True,
    "trunk": True,
    "trunk_link": True,
    "primary": True,
    "primary_link": True,
    "secondary": True,
    "secondary_link": True,
    "tertiary": True,
    "tertiary_link": True,
    "unclassified": True,
    "residential": True,
    "living_street": True,
    "service": True,  # the loader's "drive" network type still leaves them out, as osmnx
    "road": True,  # unknown classification, routed by osmnx and Valhalla
    "winter_road": True,  # OSRM car routes both (seasonal; ecoroute is not time-dependent)
    "ice_road": True,
    # Not for motor vehicles.
    "track": False,  # agricultural/forestry roads: osmnx and OSRM car leave them out
    "busway": False,  # buses only (HIGHWAY_MODES)
    "bus_guideway": False,  # guided buses only, which no mode here is
    "raceway": False,
    "construction": False,
    "proposed": False,
    "planned": False,
    "abandoned": False,
    "disused": False,
    "razed": False,
    "no": False,
    "runway": False,
    "pier": False,
    "footway": False,
    "pedestrian": False,
    "path": False,
    "cycleway": False,
    "bridleway": False,
    "steps": False,
    "corridor": False,
    "elevator": False,
    "escalator": False,
    "platform": False,
    "via_ferrata": False,
    "ladder": False,
    "rest_area": False,
    "services": False,
    "escape": False,  # emergency escape lanes
    "emergency_bay": False,
    "traffic_island": False,
}
"""
Whether a ``highway`` value is a road motor vehicles may be routed on.

Classes missing from the table are not drivable (:func:`drivable_highway`), as OSRM routes
only the classes it lists; osmnx keeps every class it does not exclude. ``track`` is left
out as by osmnx and OSRM's car profile (Valhalla routes tracks). The loader keeps the
classes marked True (:data:`ecoroute.osm.ROAD_CLASSES`); network types (``drive`` without
service roads) stay its choice.
"""

HIGHWAY_MODES: dict[str, frozenset[str]] = {"busway": frozenset({"bus"})}
"""Classes not drivable in general but open to some modes (``highway=busway``: buses)."""

FERRY_ROUTES: dict[str, float] = {"ferry": 5.0, "shuttle_train": 10.0}
"""
``route`` values that carry vehicles, and the speed (km/h) assumed without a ``duration``.

A ``route=ferry`` way (a ferry line) or ``route=shuttle_train`` way (a car train, such as the
Channel Tunnel's) is loaded as an arc of class ``ferry`` / ``shuttle_train``: its time is the
way's ``duration`` (:func:`parse_duration_s`) when tagged, else its length at these speeds,
which are OSRM's car ``route_speeds``; access tags (``motor_vehicle=no``) close it as any
road. The vehicle's own engine is off on board: its emissions there are zero (the vessel's
or train's are not modelled).
"""


def ferry_route(tags: Mapping[str, str]) -> str | None:
    """Return ``"ferry"`` or ``"shuttle_train"`` for a way that carries vehicles, else None."""
    route = tags.get("route")
    return route if route in FERRY_ROUTES else None


_ISO_DURATION = re.compile(
    r"^P(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?"
    r"(?:(\d+(?:[.,]\d+)?)S)?)?$"
)
_CLOCK_DURATION = re.compile(r"^(\d+)(?::(\d{1,2}))?(?::(\d{1,2}))?$")


def parse_duration_s(value: str) -> float:
    """
    Seconds of a ``duration`` value; NaN when unreadable or not positive.

    Forms (OSM wiki *Key:duration*): ``mm``, ``hh:mm``, ``hh:mm:ss`` and ISO 8601
    (``PT1H30M``, ``P1DT2H``).

    Examples
    --------
    >>> parse_duration_s("00:01:00"), parse_duration_s("0:10"), parse_duration_s("PT1M")
    (60.0, 600.0, 60.0)
    >>> parse_duration_s("45"), parse_duration_s("soon")
    (2700.0, nan)
    """
    text = value.strip().upper()
    seconds = math.nan
    if (match := _CLOCK_DURATION.match(text)) is not None:
        parts = [int(x) for x in match.groups() if x is not None]
        if len(parts) == 1:
            seconds = 60.0 * parts[0]
        else:
            seconds = 3600.0 * parts[0] + 60.0 * parts[1] + (parts[2] if len(parts) == 3 else 0)
    elif text.startswith("P") and (match := _ISO_DURATION.match(text)) is not None:
        d, h, m, sec = (float(x.replace(",", ".")) if x else 0.0 for x in match.groups())
        if any(match.groups()):
            seconds = 86400.0 * d + 3600.0 * h + 60.0 * m + sec
    return seconds if seconds > 0 else math.nan


# ============================================================================================
# Access
# ============================================================================================


def _check_mode(mode: str) -> None:
    if mode not in HIERARCHY:
        msg = f"Unknown mode {mode!r}; expected one of {', '.join(MODES)}."
        raise ValueError(msg)


def _check_direction(direction: int, *, allow_both: bool = False) -> None:
    allowed = (1, -1, 0) if allow_both else (1, -1)
    if direction not in allowed:
        both = ", 0 (both)" if allow_both else ""
        msg = f"direction must be 1 (along the way), -1 (against it){both}, not {direction!r}."
        raise ValueError(msg)


_SUFFIX = {1: ":forward", -1: ":backward"}
#: Every key of every hierarchy but ``access``: the vehicle classes a key can be suffixed with.
_VEHICLE_KEYS = tuple(
    dict.fromkeys(k for keys in HIERARCHY.values() for k in keys if k != "access")
)
_MODE_VEHICLE_KEYS = {m: tuple(k for k in keys if k != "access") for m, keys in HIERARCHY.items()}


def _directional(key: str, direction: int) -> tuple[str, ...]:
    """``key:forward``/``key:backward`` then ``key`` for one direction; ``key`` alone for 0."""
    return (key + _SUFFIX[direction], key) if direction else (key,)


_ACCESS_CANDIDATES = {
    (mode, direction): tuple(k for key in keys for k in _directional(key, direction))
    for mode, keys in HIERARCHY.items()
    for direction in (1, -1)
}


def _single_code(part: str, mode: str | None) -> int | None:
    if mode is not None and part in _MODE_VEHICLE_KEYS[mode]:
        return OPEN
    return ACCESS_VALUES.get(part)


@functools.lru_cache(maxsize=8192)
def _value_code(value: str, mode: str | None) -> int | None:
    codes = [
        code
        for part in value.split(";")
        if (code := _single_code(part.strip().lower(), mode)) is not None
    ]
    return min(codes) if codes else None


def access_value_code(value: str, mode: str) -> int | None:
    """
    Return what one access value means for ``mode``, or None when it is not read.

    Parameters
    ----------
    value
        An access value, possibly a ``;``-separated list (the most permissive element that
        is understood decides, as OSRM's ``resolve_access`` and Valhalla's ``any_in``).
    mode
        One of :data:`MODES`.

    Examples
    --------
    >>> access_value_code("agricultural;forestry", "hgv")  # CLOSED
    2
    >>> access_value_code("destination;delivery", "hgv")  # DESTINATION
    1
    >>> access_value_code("psv", "bus"), access_value_code("psv", "motorcar")
    (0, 2)
    >>> access_value_code("Schranke! Nur für Anwohner", "motorcar") is None
    True
    """
    _check_mode(mode)
    return _value_code(value, mode)


def _first_code(tags: Mapping[str, str], keys: Iterable[str], mode: str | None) -> int | None:
    for key in keys:
        value = tags.get(key)
        if value:
            code = _value_code(value, mode)
            if code is not None:
                return code
    return None


def access_code(tags: Mapping[str, str], mode: str, direction: int) -> int:
    """
    Return whether ``mode`` may drive a way in one direction: OPEN, DESTINATION or CLOSED.

    Reads :data:`HIERARCHY` most specific key first and, for each key, ``key:forward``
    (direction 1) or ``key:backward`` (direction -1) before ``key``; the first key whose
    value :data:`ACCESS_VALUES` understands decides. A value it does not understand is
    skipped, so the next key decides (``hgv=maybe`` + ``motor_vehicle=no`` is closed to
    trucks): a typo falls back to the rule the mapper stated more generally rather than
    opening the way. With no access tag at all the way is OPEN; whether the highway class
    admits motor vehicles is :func:`drivable_highway`'s question, and one-way rules are
    :func:`oneway_for`'s.

    Parameters
    ----------
    tags
        The way's tags.
    mode
        One of :data:`MODES`.
    direction
        1 along the way's node order, -1 against it.

    Examples
    --------
    >>> tags = {"motor_vehicle": "no", "motorcar": "yes"}
    >>> access_code(tags, "motorcar", 1), access_code(tags, "hgv", 1)
    (0, 2)
    >>> access_code({"hgv:backward": "no"}, "hgv", -1), access_code({"hgv:backward": "no"}, "hgv", 1)
    (2, 0)
    """
    _check_mode(mode)
    _check_direction(direction)
    code = _first_code(tags, _ACCESS_CANDIDATES[mode, direction], mode)
    return OPEN if code is None else code


def access_tag(tags: Mapping[str, str], mode: str, direction: int) -> str:
    """
    Name the tag that decides :func:`access_code` (``"motor_vehicle=no"``), or ``""`` if none does.

    For refusals: which tag closed the way to the vehicle.

    Examples
    --------
    >>> access_tag({"motor_vehicle": "no", "motorcar": "yes"}, "hgv", 1)
    'motor_vehicle=no'
    """
    _check_mode(mode)
    _check_direction(direction)
    for key in _ACCESS_CANDIDATES[mode, direction]:
        value = tags.get(key)
        if value is not None and _value_code(value, mode) is not None:
            return f"{key}={value}"
    return ""


def node_tag(tags: Mapping[str, str], mode: str) -> str:
    """Name the tag that decides :func:`node_access_code` (its access tag, else its barrier)."""
    _check_mode(mode)
    for key in HIERARCHY[mode]:
        value = tags.get(key)
        if value is not None and _value_code(value, mode) is not None:
            return f"{key}={value}"
    barrier = tags.get("barrier")
    return f"barrier={barrier}" if barrier is not None else ""


# ============================================================================================
# One-way
# ============================================================================================


def _oneway_code(value: str) -> int | None:
    if value in _ONEWAY_CASED:
        return _ONEWAY_CASED[value]
    return _ONEWAY_CODES.get(value.strip().lower())


_ONEWAY_CANDIDATES = {
    mode: (*(f"oneway:{k}" for k in keys), "oneway") for mode, keys in _MODE_VEHICLE_KEYS.items()
}


def oneway_for(tags: Mapping[str, str], mode: str) -> int:
    """
    Return 1 (one-way along the node order), -1 (against it), 0 (two-way) or 2 (reversible).

    Reads ``oneway:<key>`` for the mode's vehicle keys, most specific first
    (``oneway:bus``, ``oneway:psv``, ``oneway:motor_vehicle``, ``oneway:vehicle`` for a bus),
    then ``oneway``, as OSRM does for cars (``get_value_by_prefixed_sequence``); the first
    readable value decides, unreadable ones are skipped. Values are those of
    :func:`ecoroute.osm.oneway` (``yes``, ``true``, ``1``, ``-1``, ``reverse``, Geofabrik's
    ``T``/``F``, ``no``, ``false``, ``0``); ``reversible`` gives :data:`REVERSIBLE` (its
    direction changes over the day, so the loader closes it), ``alternating`` (one direction
    at a time, switching often) counts as two-way, as in OSRM. With
    no readable value, ``junction=roundabout``/``circular`` and ``highway=motorway``/
    ``motorway_link`` are one-way (OSM wiki *Key:oneway*), everything else two-way.

    Examples
    --------
    >>> tags = {"oneway": "yes", "oneway:bus": "no"}
    >>> oneway_for(tags, "motorcar"), oneway_for(tags, "bus")
    (1, 0)
    """
    _check_mode(mode)
    for key in _ONEWAY_CANDIDATES[mode]:
        value = tags.get(key)
        if value:
            if value.strip().lower() == _ALTERNATING:
                break  # both ways, one at a time: what the class implies
            code = _oneway_code(value)
            if code is not None:
                return code
    if (
        tags.get("junction") in _IMPLIED_ONEWAY_JUNCTION
        or tags.get("highway") in _IMPLIED_ONEWAY_HIGHWAY
    ):
        return 1
    return 0


# ============================================================================================
# Units
# ============================================================================================


def _to_number(text: str, *, comma_thousands: bool) -> float | None:
    """A decimal number with a point or a comma; ``3,500`` is 3500 when ``comma_thousands``."""
    if "," in text:
        if "." in text:
            return None
        parts = text.split(",")
        if comma_thousands and len(parts) > 1 and all(len(p) == 3 for p in parts[1:]):
            return float("".join(parts))
        if len(parts) != 2:
            return None
        text = ".".join(parts)
    try:
        return float(text)
    except ValueError:  # "1.2.3"
        return None


def _positive(number: float) -> float:
    return number if 0 < number < math.inf else math.nan


@functools.lru_cache(maxsize=4096)
def parse_weight_t(value: str) -> float:
    """
    Return a weight value (``maxweight``, ``maxaxleload``...) in tonnes.

    Numbers are tonnes unless a unit follows, with or without a space: ``t``, ``kg``, ``st``
    (short tons), ``lt`` (long tons), ``lbs`` (OSM wiki *Map features/Units*); also ``to``,
    ``tonne(s)``, and ``ton(s)`` as short tons, the US reading (see the source). A comma is a
    decimal separator (``7,5``) unless it groups thousands of kilograms or pounds
    (``3,500 kg``). ``none``, ``no``, ``unsigned``, ``default``, ``no_sign`` give ``inf`` (no
    limit to apply); anything else, zero and lists (``3.5;7.5``) give NaN, which the loader
    counts.

    Examples
    --------
    >>> parse_weight_t("7,5"), parse_weight_t("3500 kg"), parse_weight_t("8.9t")
    (7.5, 3.5, 8.9)
    >>> round(parse_weight_t("12 st"), 6)
    10.886217
    """
    if value is None:
        return math.nan
    text = str(value).strip().lower()
    if text in _NO_LIMIT_WORDS:
        return math.inf
    match = _NUMBER_UNIT.match(text)
    if match is None:
        return math.nan
    number_text, unit = match.groups()
    factor = _TONNES_PER.get(unit or "t")
    if factor is None:
        return math.nan
    number = _to_number(number_text, comma_thousands=unit in {"kg", "lb", "lbs"})
    return math.nan if number is None else _positive(number * factor)


@functools.lru_cache(maxsize=4096)
def parse_length_m(value: str) -> float:
    """
    Return a height, width or length value (``maxheight``, ``maxwidth``...) in metres.

    Numbers are metres unless a unit follows: ``m``, ``cm``, ``mm``, ``km``, ``mi``, feet and
    inches as ``12'6"``, ``12'``, ``6"``, ``12 ft 6 in``, ``12' 6"`` or ``12'6''``
    (typographic primes too); a comma is a decimal separator (``3,8``). ``none``, ``no``,
    ``default``, ``unsigned``, ``no_sign``/``no-sign`` give ``inf``: no limit beyond the
    country's default rules, which a legal vehicle meets. ``below_default`` and
    ``no_indications`` give NaN: the wiki says a limit may exist (below the default for
    ``below_default``) but gives no number, so ``inf`` would be wrong; they are not reported by
    :func:`unreadable_values`. Anything else and zero give NaN.

    Examples
    --------
    >>> parse_length_m("3,8"), parse_length_m("350 cm")
    (3.8, 3.5)
    >>> round(parse_length_m("12'6\\""), 4), round(parse_length_m("12 ft 6 in"), 4)
    (3.81, 3.81)
    """
    if value is None:
        return math.nan
    text = str(value).strip().translate(_PRIMES).replace("''", '"').lower()
    if text in _NO_LIMIT_WORDS:
        return math.inf
    if text in _UNKNOWN_LIMIT_WORDS:
        return math.nan
    match = _NUMBER_UNIT.match(text)
    if match is not None and (match.group(2) or "m") in _METRES_PER:
        number = _to_number(match.group(1), comma_thousands=False)
        return (
            math.nan if number is None else _positive(number * _METRES_PER[match.group(2) or "m"])
        )
    match = _FEET_INCHES.match(text)
    if match is not None:
        feet, inches = match.groups()
        return _positive(float(feet) * _FOOT_M + float(inches or 0) * _INCH_M)
    match = _INCHES.match(text)
    if match is not None:
        return _positive(float(match.group(1)) * _INCH_M)
    return math.nan


def parse_speed_kph(value: str) -> float:
    """
    Return a speed value (``maxspeed:hgv``...) in km/h, NaN when unusable.

    The same reading as the ``maxspeed`` key (:func:`ecoroute.speeds.parse_maxspeed`):
    numbers in km/h, ``mph``, ``knots``, ``none``, ``walk``, country zones.

    Examples
    --------
    >>> parse_speed_kph("60"), round(parse_speed_kph("50 mph"), 3)
    (60.0, 80.467)
    """
    return parse_maxspeed(value)


# ============================================================================================
# Limits
# ============================================================================================


def _smallest(values: Iterable[float]) -> float:
    """The smallest finite value; else NaN if any is NaN; else ``inf`` (nothing binds)."""
    finite = math.inf
    unknown = False
    for value in values:
        if math.isnan(value):
            unknown = True
        elif value < finite:
            finite = value
    if finite < math.inf:
        return finite
    return math.nan if unknown else math.inf


@functools.lru_cache(maxsize=1024)
def _limit_candidates(key: str, mode: str | None, direction: int) -> tuple[str, ...]:
    """Forms of one limit key, most specific first: vehicle, then direction, then plain."""
    vehicles = () if mode is None or key.endswith(":physical") else _MODE_VEHICLE_KEYS[mode]
    forms = [*(f"{key}:{vehicle}" for vehicle in vehicles), key]
    return tuple(k for form in forms for k in _directional(form, direction))


def _parser(name: str) -> Callable[[str], float]:
    return parse_weight_t if name.endswith("_t") else parse_length_m


def _read_limit(tags: Mapping[str, str], name: str, mode: str | None, direction: int) -> float:
    parse = _parser(name)
    per_key = []
    for key in LIMIT_KEYS[name]:
        found = math.inf  # absent: binds nothing
        for candidate in _limit_candidates(key, mode, direction):
            value = tags.get(candidate)
            if value is None:
                continue
            number = parse(value)
            if not math.isnan(number):
                found = number
                break
            found = math.nan  # present but unreadable: unless a later form is readable
        per_key.append(found)
    return _smallest(per_key)


def way_limits(
    tags: Mapping[str, str], mode: str | None = None, direction: int = 0
) -> dict[str, float]:
    """
    Return each limit of :data:`LIMIT_KEYS` for a way: ``inf`` when absent, NaN when unreadable.

    For each listed key the most specific readable form decides (vehicle forms for ``mode``,
    then ``key:forward``/``key:backward``, then ``key``); across the listed keys the smallest
    value binds (see :data:`LIMIT_KEYS`). A limit is NaN only when it is tagged and nothing
    readable (including ``below_default``) is.

    Parameters
    ----------
    tags
        The way's tags.
    mode
        One of :data:`MODES` to read vehicle-specific forms (``maxweight:hgv`` for ``"hgv"``),
        or None for the limits that bind every vehicle.
    direction
        1 along the node order, -1 against it, or 0 (default) for both: the stricter of the
        two, for a loader that keeps one limit per way.

    Examples
    --------
    >>> limits = way_limits({"maxweight": "30", "maxweight:hgv": "7.5"}, "hgv")
    >>> limits["maxweight_t"], way_limits({"maxweight": "30", "maxweight:hgv": "7.5"})["maxweight_t"]
    (7.5, 30.0)
    >>> way_limits({"maxheight": "4", "maxheight:physical": "3.8"})["maxheight_m"]
    3.8
    """
    if mode is not None:
        _check_mode(mode)
    _check_direction(direction, allow_both=True)
    if not any(key in _LIMIT_KEY_NAMES for key in tags):  # most ways: a few cheap lookups
        return dict.fromkeys(LIMIT_KEYS, math.inf)
    if direction == 0:
        forward = way_limits(tags, mode, 1)
        backward = way_limits(tags, mode, -1)
        return {name: _smallest((forward[name], backward[name])) for name in LIMIT_KEYS}
    return {name: _read_limit(tags, name, mode, direction) for name in LIMIT_KEYS}


def node_limits(tags: Mapping[str, str], mode: str | None = None) -> dict[str, float]:
    """
    Return the limits a node sets (``barrier=height_restrictor``, an arch, a width restrictor).

    The same keys and reading as :func:`way_limits` (both directions): ``maxheight``,
    ``maxwidth``, ``maxweight``... and their ``:physical`` forms. The loader applies them to
    the arcs through the node.

    Examples
    --------
    >>> node_limits({"barrier": "height_restrictor", "maxheight": "2.1"})["maxheight_m"]
    2.1
    """
    return way_limits(tags, mode, 0)


def maxspeed_kph(tags: Mapping[str, str], mode: str, direction: int) -> float:
    """
    Return the speed limit tagged for ``mode`` in one direction, NaN when none is readable.

    Reads ``maxspeed:<key>:forward``/``backward`` and ``maxspeed:<key>`` for the mode's
    vehicle keys (``maxspeed:hgv`` first for a truck), then ``maxspeed:forward``/``backward``
    and ``maxspeed``; the first readable value (:func:`parse_speed_kph`) decides. Legal
    defaults per vehicle class that the map does not repeat (80 km/h for trucks on German
    motorways) are not applied here.

    Examples
    --------
    >>> maxspeed_kph({"maxspeed": "100", "maxspeed:hgv": "60"}, "hgv", 1)
    60.0
    >>> maxspeed_kph({"maxspeed": "100", "maxspeed:hgv": "60"}, "motorcar", 1)
    100.0
    """
    _check_mode(mode)
    _check_direction(direction)
    for key in _limit_candidates("maxspeed", mode, direction):
        value = tags.get(key)
        if value:
            speed = parse_speed_kph(value)
            if not math.isnan(speed):
                return speed
    return math.nan


# ============================================================================================
# Dangerous goods
# ============================================================================================


def _closes(tags: Mapping[str, str], key: str, direction: int) -> bool:
    """Whether ``key`` (in its direction forms) closes the way; both directions for 0."""
    if direction:
        return _first_code(tags, _directional(key, direction), None) == CLOSED
    return any(_first_code(tags, _directional(key, d), None) == CLOSED for d in (1, -1))


def hazmat_flags(tags: Mapping[str, str], direction: int = 0) -> int:
    """
    Return the dangerous-goods bans of a way as bits (:data:`HAZMAT_NO` ...).

    A bit is set when ``hazmat``, ``hazmat:water`` or ``hazmat:explosive`` (or its
    ``:forward``/``:backward`` form, read first for a direction) has a :data:`CLOSED` value.
    ``destination`` does not set a bit (Valhalla reads it as closed to hazmat; here it is
    "only to reach a place on that road", which the loader may treat like other
    destination-only ways), nor does ``permissive`` (the German sign 354 advisory).

    Parameters
    ----------
    tags
        The way's tags.
    direction
        1, -1, or 0 (default) for both directions (a ban in either sets the bit).

    Examples
    --------
    >>> hazmat_flags({"hazmat": "no", "hazmat:water": "no"}) == HAZMAT_NO | HAZMAT_WATER_NO
    True
    >>> hazmat_flags({"hazmat:water": "permissive"})
    0
    """
    _check_direction(direction, allow_both=True)
    if not any(key in _HAZMAT_KEYS for key in tags):
        return 0
    return sum(bit for key, bit in _HAZMAT_BITS if _closes(tags, key, direction))


def tunnel_category(tags: Mapping[str, str], direction: int = 0) -> int:
    """
    Return the way's ADR tunnel category: 0 for none or A, 1 for B ... 4 for E.

    The OSM wiki (*Key:hazmat*, ADR tunnel restriction key suffixes) tags a category X tunnel
    with ``hazmat:<code>=no`` for the tunnel restriction codes it forbids (B for category B;
    B, C for C; ...; B to E for E), so the category is the highest letter with a
    :data:`CLOSED` value; GraphHopper also reads ``hazmat:adr_tunnel_cat`` and
    ``hazmat:tunnel_cat`` (a letter A to E), and the strictest of all forms counts. Unlike
    GraphHopper, ``tunnel=*`` is not required: the signs stand on the roads leading to a
    tunnel and mappers tag those too (the Rhein-Neckar extract has ``hazmat:E*=no`` on 3
    tunnels and on 27 other ways, such as Heidelberg's Friedrich-Ebert-Anlage and Am Karlstor,
    roads to the Gaisberg and Schlossberg tunnels).
    (In Finland ``hazmat:A``/``hazmat:B`` name quantity groups instead, Key:hazmat; read as a
    category B they still close the way to the heaviest loads only.) A vehicle whose load
    has tunnel restriction code c (1 = B ... 4 = E) may not use a way of category >= c.

    Examples
    --------
    >>> tunnel_category({"hazmat:B": "no", "hazmat:C": "no", "tunnel": "yes"})
    2
    >>> tunnel_category({"hazmat:E:backward": "no"}, 1), tunnel_category({"hazmat:E:backward": "no"}, -1)
    (0, 4)
    """
    _check_direction(direction, allow_both=True)
    if not any(key in _HAZMAT_KEYS or key in _TUNNEL_CATEGORY_KEYS for key in tags):
        return 0
    category = 0
    for key in _TUNNEL_CATEGORY_KEYS:
        letter = tags.get(key, "").strip().upper()
        if len(letter) == 1 and letter in _TUNNEL_LETTERS:
            category = max(category, _TUNNEL_LETTERS.index(letter))
    for index, letter in enumerate(_TUNNEL_LETTERS[1:], start=1):
        if _closes(tags, f"hazmat:{letter}", direction):
            category = max(category, index)
    return category


# ============================================================================================
# Nodes
# ============================================================================================


def barrier_passable(tags: Mapping[str, str]) -> bool:
    """
    Return whether a node's ``barrier`` lets motor vehicles by, access tags aside.

    True without a barrier, for :data:`BARRIER_OPEN` and :data:`BARRIER_GATES`, and for
    OSRM's exceptions: ``bollard=rising``; ``barrier=kerb`` with ``kerb=lowered``/``flush``
    or ``highway=crossing``; ``barrier=fence`` with ``sensory=audible``/``audio``. Everything
    else (``bollard``, ``block``, ``chain``, ``cycle_barrier``, ``yes``, unknown values) stops
    them, as in OSRM (barriers are closed unless whitelisted).
    """
    barrier = tags.get("barrier")
    if not barrier or barrier in BARRIER_OPEN or barrier in BARRIER_GATES:
        return True
    if barrier == "bollard":
        return tags.get("bollard") == "rising"
    if barrier == "kerb":
        return tags.get("kerb") in {"lowered", "flush"} or tags.get("highway") == "crossing"
    if barrier == "fence":
        return tags.get("sensory") in {"audible", "audio"}
    return False


def node_access_code(tags: Mapping[str, str], mode: str) -> int:
    """
    Return whether ``mode`` may pass a node: OPEN, DESTINATION or CLOSED.

    Access tags on the node decide first (:data:`HIERARCHY` for the mode, no directions), so
    ``barrier=gate`` + ``access=private`` is DESTINATION, ``barrier=bollard`` +
    ``motor_vehicle=yes`` is OPEN, and a node with ``access=no`` closes even without a
    barrier, as in OSRM's ``process_node``. Without readable access tags the barrier decides
    (:func:`barrier_passable`). ``barrier=height_restrictor`` passes, but its ``maxheight``
    is a limit (:func:`node_limits`).

    Examples
    --------
    >>> node_access_code({"barrier": "bollard"}, "motorcar")
    2
    >>> node_access_code({"barrier": "lift_gate", "motorcar": "yes"}, "motorcar")
    0
    """
    _check_mode(mode)
    code = _first_code(tags, HIERARCHY[mode], mode)
    if code is not None:
        return code
    return OPEN if barrier_passable(tags) else CLOSED


# ============================================================================================
# Highway classes
# ============================================================================================


def drivable_highway(highway: str | None, mode: str = "motorcar") -> bool:
    """
    Return whether a ``highway`` class is a road ``mode`` may be routed on.

    :data:`HIGHWAY_CLASSES` decides, with :data:`HIGHWAY_MODES` for classes open to some
    modes only (``busway`` to buses); classes missing from the table, and no class, are not
    drivable.

    Examples
    --------
    >>> drivable_highway("residential"), drivable_highway("busway"), drivable_highway("busway", "bus")
    (True, False, True)
    """
    _check_mode(mode)
    if highway is None:
        return False
    if HIGHWAY_CLASSES.get(highway, False):
        return True
    return mode in HIGHWAY_MODES.get(highway, ())


#: Per mode, the keys whose explicit OPEN value makes a road of any class (not ``vehicle`` or
#: ``access``: ``access=yes`` on a footway or ``vehicle=yes`` on a cycleway is about walkers
#: and cyclists, not cars).
_MOTOR_KEYS = {
    mode: tuple(
        k
        for key in keys
        if key not in ("vehicle", "access")
        for k in (key, key + ":forward", key + ":backward")
    )
    for mode, keys in HIERARCHY.items()
}


def class_admits(tags: Mapping[str, str], mode: str) -> bool:
    """
    Return whether a way's class lets ``mode`` drive it, before its access tags say more.

    A road class of :data:`HIGHWAY_CLASSES` (and :data:`HIGHWAY_MODES` for the modes listed
    there), a ferry or car train (:data:`FERRY_ROUTES`), or any class that an explicit motor
    access opens to the mode (``highway=runway`` + ``motorcar=yes``, ``highway=cycleway`` +
    ``motor_vehicle=designated``: OSRM's car reads access before the class so).

    Examples
    --------
    >>> class_admits({"highway": "busway"}, "motorcar"), class_admits({"highway": "busway"}, "bus")
    (False, True)
    >>> class_admits({"highway": "runway", "motorcar": "yes"}, "motorcar")
    True
    >>> class_admits({"highway": "footway", "access": "yes"}, "motorcar")
    False
    """
    _check_mode(mode)
    highway = tags.get("highway")
    if highway is None:
        return ferry_route(tags) is not None
    if drivable_highway(highway, mode):
        return True
    return _first_code(tags, _MOTOR_KEYS[mode], mode) == OPEN


# ============================================================================================
# Which keys are read, and which values could not be
# ============================================================================================


def _all_directions(key: str) -> tuple[str, str, str]:
    return (key, key + ":forward", key + ":backward")


_ACCESS_KEYS = frozenset(k for key in (*_VEHICLE_KEYS, "access") for k in _all_directions(key))
_HAZMAT_KEYS = frozenset(
    k
    for key in (*(name for name, _ in _HAZMAT_BITS), *(f"hazmat:{x}" for x in "BCDE"))
    for k in _all_directions(key)
)
_ONEWAY_KEYS = frozenset(("oneway", *(f"oneway:{k}" for k in _VEHICLE_KEYS)))
_LIMIT_KEY_NAMES = {
    k: name
    for name, keys in LIMIT_KEYS.items()
    for key in keys
    for form in (key, *(f"{key}:{v}" for v in _VEHICLE_KEYS if not key.endswith(":physical")))
    for k in _all_directions(form)
}
_MAXSPEED_KEYS = frozenset(
    k
    for form in ("maxspeed", *(f"maxspeed:{v}" for v in _VEHICLE_KEYS))
    for k in _all_directions(form)
)

WAY_KEYS = frozenset(
    {
        "highway",
        "route",
        "duration",
        "junction",
        "tunnel",
        *_ACCESS_KEYS,
        *_HAZMAT_KEYS,
        *_TUNNEL_CATEGORY_KEYS,
        *_ONEWAY_KEYS,
        *_LIMIT_KEY_NAMES,
        *_MAXSPEED_KEYS,
    }
)
"""Every way key the functions of this module read: what the loader needs to keep of a way."""

NODE_KEYS = frozenset(
    {
        "barrier",
        "bollard",
        "kerb",
        "highway",
        "sensory",
        *(k for k in _ACCESS_KEYS if ":" not in k),
        *_LIMIT_KEY_NAMES,
    }
)
"""Every node key :func:`node_access_code` and :func:`node_limits` read."""


def _access_readable(value: str) -> bool:
    parts = [part.strip().lower() for part in value.split(";")]
    parts = [part for part in parts if part and part not in NO_INFORMATION_VALUES]
    return not parts or any(part in ACCESS_VALUES or part in _VEHICLE_KEYS for part in parts)


def _limit_readable(value: str, name: str) -> bool:
    if str(value).strip().lower() in _UNKNOWN_LIMIT_WORDS:
        return True
    return not math.isnan(_parser(name)(value))


#: Road widths: free-form in the map ("3-4", "narrow"); an unreadable one is not worth a warning.
_ROAD_WIDTH_KEYS = frozenset(k for key in ("width", "est_width") for k in _all_directions(key))


def _is_readable(key: str, value: str) -> bool:
    if key in _ROAD_WIDTH_KEYS:
        return True
    if key in _ACCESS_KEYS or key in _HAZMAT_KEYS:
        return _access_readable(value)
    if key in _ONEWAY_KEYS:
        return _oneway_code(value) is not None or value.strip().lower() == _ALTERNATING
    if key in _TUNNEL_CATEGORY_KEYS:
        letter = value.strip().upper()
        return len(letter) == 1 and letter in _TUNNEL_LETTERS
    if key in _LIMIT_KEY_NAMES:
        return _limit_readable(value, _LIMIT_KEY_NAMES[key])
    return True


def unreadable_values(tags: Mapping[str, str]) -> list[tuple[str, str]]:
    """
    Return the ``(key, value)`` pairs of an element that the rules read but cannot understand.

    Covers the access keys of every mode (and their direction forms), ``hazmat`` keys,
    tunnel categories, ``oneway`` keys and the limit keys of :data:`LIMIT_KEYS` in all their
    forms. Such values are skipped (access, one-way) or read as NaN (limits); the loader sums
    these pairs into one warning per file. Values that say "no information" (``unknown``,
    ``below_default``, ``no_indications``) are not reported. ``highway`` classes are not
    checked here: unknown classes are simply not drivable (:func:`drivable_highway`).

    Examples
    --------
    >>> unreadable_values({"hgv": "maybe", "maxheight": "4 m", "maxweight": "heavy"})
    [('hgv', 'maybe'), ('maxweight', 'heavy')]
    """
    return sorted(
        (key, value)
        for key, value in tags.items()
        if key in WAY_KEYS or key in NODE_KEYS
        if not _is_readable(key, value)
    )


_CONDITIONAL = ":conditional"

#: Keys whose ``key:conditional`` the loader applies per hour (access and one-way rules,
#: :func:`ecoroute.osm_conditional.code_profile`); other conditionals are only counted.
CONDITIONAL_ACCESS_KEYS = frozenset(_ACCESS_KEYS | _ONEWAY_KEYS)


def conditional_keys(tags: Mapping[str, str]) -> list[str]:
    """
    Return the ``*:conditional`` keys of a way whose plain key this module reads.

    Conditional restrictions (``hgv:conditional=no @ (22:00-06:00)``, OSM wiki *Conditional
    restrictions*): those of :data:`CONDITIONAL_ACCESS_KEYS` are applied per hour of the
    week (:mod:`ecoroute.osm_conditional`); the others (``maxspeed:conditional``,
    ``maxweight:conditional``...) are not, the unconditional value applies at all times.
    The loader counts them all.

    Examples
    --------
    >>> conditional_keys({"hgv:conditional": "no @ (22:00-06:00)", "name:conditional": "x"})
    ['hgv:conditional']
    """
    return sorted(
        key for key in tags if key.endswith(_CONDITIONAL) and key[: -len(_CONDITIONAL)] in WAY_KEYS
    )


__all__ = [
    "ACCESS_VALUES",
    "BARRIER_GATES",
    "BARRIER_OPEN",
    "CLOSED",
    "DESTINATION",
    "FERRY_ROUTES",
    "HAZMAT_EXPLOSIVE_NO",
    "HAZMAT_NO",
    "HAZMAT_WATER_NO",
    "HIERARCHY",
    "HIGHWAY_CLASSES",
    "HIGHWAY_MODES",
    "LIMIT_KEYS",
    "MODES",
    "NODE_KEYS",
    "NO_INFORMATION_VALUES",
    "OPEN",
    "REVERSIBLE",
    "WAY_KEYS",
    "access_code",
    "access_value_code",
    "barrier_passable",
    "class_admits",
    "conditional_keys",
    "drivable_highway",
    "ferry_route",
    "hazmat_flags",
    "maxspeed_kph",
    "node_access_code",
    "node_limits",
    "oneway_for",
    "parse_duration_s",
    "parse_length_m",
    "parse_speed_kph",
    "parse_weight_t",
    "tunnel_category",
    "unreadable_values",
    "way_limits",
]
