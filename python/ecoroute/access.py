"""
Which arcs a vehicle may drive, and how fast: the network's legal attributes read against a vehicle.

The OSM loader keeps, per arc, what the map says about access and limits
(:data:`LEGAL_PREFIX` attachments, see :func:`legal_attachments`): an access
code per mode (open, destination-only, closed; barriers on nodes included),
the weight, axle-load, height, width and length limits, hazmat flags, ADR
tunnel categories and ``maxspeed:hgv``. :func:`vehicle_rules` compares them with a
vehicle's legal profile (its access class, mass at the payload, axle load,
dimensions and dangerous goods) and gives pure arrays: which arcs are closed to
it and why, which may be used only at the start or end of a route, and the
highest speed it may drive on each arc. Everything is vectorised over arcs;
nothing is computed per query.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from .emissions.vehicle import Vehicle
    from .network import RoadNetwork

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Prefix of the per-arc legal attachments a network carries (saved with it).
LEGAL_PREFIX = "legal."


#: The modes whose access the loader keeps, in this order (``legal.access.<mode>``).
MODES = ("motorcar", "goods", "hgv", "bus")

#: Access codes per arc and mode.
OPEN, DESTINATION, CLOSED = 0, 1, 2

#: Per-arc limits kept by the loader: attachment name -> what the vehicle compares.
LIMITS = ("maxweight_t", "maxaxleload_t", "maxheight_m", "maxwidth_m", "maxlength_m")

#: Hazmat flag bits (``legal.hazmat``).
HAZMAT_NO, HAZMAT_WATER_NO = 1, 2

#: Why an arc is closed to a vehicle (``VehicleRules.reason``); 0: open.
REASONS = (
    "",
    "access",
    "maxweight",
    "maxaxleload",
    "maxheight",
    "maxwidth",
    "maxlength",
    "hazmat",
    "tunnel",
    "destination",
    "conditional",
)
_REASON_CODE = {name: code for code, name in enumerate(REASONS)}

#: ADR tunnel categories (``legal.tunnel_category``: 0 none or A, 1 B ... 4 E).
TUNNEL_LETTERS = ("", "B", "C", "D", "E")

#: What a condition that cannot be decided does (:mod:`ecoroute.osm_conditional`):
#: ``"restrict"`` (the default) takes the stricter value, ``"ignore"`` the unconditional one.
CONDITIONAL_POLICIES = ("restrict", "ignore")

#: Attachments that are tables, not one value per arc.
LEGAL_TABLES = ("access_tags", "country", "conditional_profiles")

#: Hours of the week in a conditional access profile (as in ecoroute.traffic).
_HOURS = 168


@dataclass(frozen=True, eq=False)
class VehicleRules:
    """
    A vehicle's view of a network's rules: per arc, closed or not and why, and its speed cap.

    Attributes
    ----------
    closed
        Arcs the vehicle may not drive (bool per arc).
    destination
        Arcs it may drive only at the start or end of a route: destination,
        delivery, customers, residents (no through traffic).
    reason
        Per arc, an index into :data:`REASONS` naming the first rule that
        closed it (0 where open).
    speed_cap_kph
        Per arc, the highest speed the vehicle may drive there (its limiter,
        the legal limit of its class on that road class, ``maxspeed:hgv``);
        ``inf`` where nothing caps it; None when nothing caps it anywhere.
    """

    closed: BoolArray
    destination: BoolArray
    reason: npt.NDArray[np.uint8]
    speed_cap_kph: FloatArray | None
    mode: str = "motorcar"

    @property
    def restricts(self) -> bool:
        """Whether any arc is closed or destination-only for this vehicle."""
        return bool(self.closed.any() or self.destination.any())

    def describe(self, network: RoadNetwork, arcs: npt.ArrayLike, *, limit: int = 3) -> str:
        """
        Name the closures on ``arcs``, most frequent rule first, e.g. "hgv=no access (way 264)".

        Used by refusals: which rules closed the roads around an endpoint.
        """
        index = np.asarray(arcs, dtype=np.intp).ravel()
        index = index[self.reason[index] != 0]
        if index.size == 0:
            return ""
        codes, counts = np.unique(self.reason[index], return_counts=True)
        parts = []
        for code in codes[np.argsort(-counts, kind="stable")][:limit]:
            first = int(index[self.reason[index] == code][0])
            way = int(network.osm_way_id[first])
            where = f" (e.g. way {way})" if way >= 0 else f" (e.g. arc {first})"
            parts.append(f"{_reason_text(network, first, int(code), self.mode)}{where}")
        return "; ".join(parts)


def _reason_text(network: RoadNetwork, arc: int, code: int, mode: str) -> str:
    name = REASONS[code]
    legal = network.attachments
    if name in ("maxweight", "maxaxleload"):
        return f"{name} {float(legal[LEGAL_PREFIX + name + '_t'][arc]):g} t"
    if name in ("maxheight", "maxwidth", "maxlength"):
        return f"{name} {float(legal[LEGAL_PREFIX + name + '_m'][arc]):g} m"
    if name == "tunnel":
        letter = TUNNEL_LETTERS[int(legal[LEGAL_PREFIX + "tunnel_category"][arc])]
        return f"ADR tunnel category {letter}"
    if name == "hazmat":
        return "hazmat=no"
    if name == "conditional":
        return "a conditional restriction (key:conditional) in force"
    tag = _access_tag(network, arc, mode)
    if name == "destination":
        return f"{tag or 'a destination-only road'} (no through traffic)"
    return tag or "access tags or a barrier closed to this vehicle class"


def _access_tag(network: RoadNetwork, arc: int, mode: str) -> str:
    """The tag that closed ``arc`` to ``mode`` (e.g. ``"hgv=no"``), if the network kept it."""
    legal = network.attachments
    table = legal.get(f"{LEGAL_PREFIX}access_tags")
    if table is None:
        return ""
    names = bytes(np.asarray(table, dtype=np.uint8)).decode("utf-8").split("\n")
    index = legal.get(f"{LEGAL_PREFIX}access_tag.{mode}")
    if index is not None and 0 < int(index[arc]) < len(names):
        return names[int(index[arc])]
    return ""


#: Per-arc legal attachments exported to osmnx edges as plain numbers, with their units.
_EDGE_LIMITS = (
    "maxweight_t",
    "maxaxleload_t",
    "maxheight_m",
    "maxwidth_m",
    "maxlength_m",
    "maxspeed_hgv_kph",
)
_ACCESS_WORDS = {DESTINATION: "destination", CLOSED: "no"}
_ACCESS_CODES = {word: code for code, word in _ACCESS_WORDS.items()}


def edge_attributes(network: RoadNetwork) -> list[dict[str, Any]]:
    """
    Per arc, the legal attributes as osmnx edge attributes (only those that restrict).

    ``access_<mode>`` (``"destination"`` or ``"no"``) and ``access_tag_<mode>``
    (the tag that decided, e.g. ``"hgv=no"``); ``maxweight_t``,
    ``maxaxleload_t``, ``maxheight_m``, ``maxwidth_m``, ``maxlength_m``,
    ``maxspeed_hgv_kph`` where the map gives one; ``hazmat`` (bit flags: 1
    ``hazmat=no``, 2 ``hazmat:water=no``) and ``tunnel`` (ADR category
    letter). :func:`from_edge_attributes` reads them back.
    """
    m = network.arc_count
    rows: list[dict[str, Any]] = [{} for _ in range(m)]
    if not has_legal_attributes(network):
        return rows
    legal = network.attachments
    table = legal.get(f"{LEGAL_PREFIX}access_tags")
    names = (
        bytes(np.asarray(table, dtype=np.uint8)).decode("utf-8").split("\n")
        if table is not None
        else [""]
    )
    for mode in MODES:
        code = np.asarray(legal[f"{LEGAL_PREFIX}access.{mode}"])
        tag = legal.get(f"{LEGAL_PREFIX}access_tag.{mode}")
        for a in np.flatnonzero(code != OPEN).tolist():
            rows[a][f"access_{mode}"] = _ACCESS_WORDS[int(code[a])]
            if tag is not None and 0 < int(tag[a]) < len(names):
                rows[a][f"access_tag_{mode}"] = names[int(tag[a])]
    for name in _EDGE_LIMITS:
        values = legal.get(LEGAL_PREFIX + name)
        if values is None:
            continue
        values = np.asarray(values, dtype=np.float64)
        shown = np.isfinite(values)
        for a in np.flatnonzero(shown).tolist():
            rows[a][name] = float(values[a])
    hazmat = legal.get(f"{LEGAL_PREFIX}hazmat")
    if hazmat is not None:
        for a in np.flatnonzero(np.asarray(hazmat)).tolist():
            rows[a]["hazmat"] = int(hazmat[a])
    tunnel = legal.get(f"{LEGAL_PREFIX}tunnel_category")
    if tunnel is not None:
        for a in np.flatnonzero(np.asarray(tunnel)).tolist():
            rows[a]["tunnel"] = TUNNEL_LETTERS[int(tunnel[a])]
    return rows


def from_edge_attributes(
    edges: list[dict[str, Any]], country: str | None
) -> dict[str, npt.NDArray[Any]] | None:
    """
    The legal attachments of arcs given as osmnx edge attributes (:func:`edge_attributes`).

    None when no edge carries any (a graph from osmnx itself): such a
    network restricts nothing, as before. Unknown words and unreadable
    numbers raise ``ValueError`` naming the edge.
    """
    keys = {f"access_{mode}" for mode in MODES} | set(_EDGE_LIMITS) | {"hazmat", "tunnel"}
    if not any(keys & data.keys() for data in edges):
        return None
    m = len(edges)
    out: dict[str, npt.NDArray[Any]] = {}
    table: dict[str, int] = {"": 0}
    for mode in MODES:
        code = np.zeros(m, dtype=np.uint8)
        tag = np.zeros(m, dtype=np.int32)
        for a, data in enumerate(edges):
            word = data.get(f"access_{mode}")
            if word is None:
                continue
            if word not in _ACCESS_CODES:
                msg = f"edge {a}: access_{mode}={word!r} is not 'destination' or 'no'"
                raise ValueError(msg)
            code[a] = _ACCESS_CODES[word]
            tag[a] = table.setdefault(str(data.get(f"access_tag_{mode}", "")), len(table))
        out[f"{LEGAL_PREFIX}access.{mode}"] = code
        out[f"{LEGAL_PREFIX}access_tag.{mode}"] = tag
    for name in _EDGE_LIMITS:
        default = np.nan if name == "maxspeed_hgv_kph" else np.inf
        values = np.full(m, default)
        for a, data in enumerate(edges):
            if name in data:
                value = float(data[name])
                if not value > 0:
                    msg = f"edge {a}: {name}={data[name]!r} is not a positive number"
                    raise ValueError(msg)
                values[a] = value
        out[LEGAL_PREFIX + name] = values
    out[f"{LEGAL_PREFIX}hazmat"] = np.array(
        [int(data.get("hazmat", 0)) for data in edges], dtype=np.uint8
    )
    letters = {letter: i for i, letter in enumerate(TUNNEL_LETTERS)}
    tunnel = np.zeros(m, dtype=np.uint8)
    for a, data in enumerate(edges):
        if "tunnel" in data:
            if data["tunnel"] not in letters:
                msg = f"edge {a}: tunnel={data['tunnel']!r} is not an ADR category B..E"
                raise ValueError(msg)
            tunnel[a] = letters[data["tunnel"]]
    out[f"{LEGAL_PREFIX}tunnel_category"] = tunnel
    names = sorted(table, key=table.__getitem__)
    out[f"{LEGAL_PREFIX}access_tags"] = np.frombuffer(
        "\n".join(names).encode("utf-8"), dtype=np.uint8
    ).copy()
    out[f"{LEGAL_PREFIX}country"] = country_attachment(country)
    return out


def has_legal_attributes(network: RoadNetwork) -> bool:
    """Whether the network carries the loader's per-arc legal attributes."""
    return f"{LEGAL_PREFIX}access.motorcar" in network.attachments


def network_country(network: RoadNetwork) -> str | None:
    """The country code the loader found on the network's speed tags (e.g. ``"DE"``), or None."""
    code = network.attachments.get(f"{LEGAL_PREFIX}country")
    if code is None or code.size == 0:
        return None
    return bytes(np.asarray(code, dtype=np.uint8)).decode("ascii", errors="replace") or None


def country_attachment(country: str | None) -> npt.NDArray[np.uint8]:
    """Encode a country code for :data:`LEGAL_PREFIX` ``country`` (empty when unknown)."""
    return np.frombuffer((country or "").encode("ascii"), dtype=np.uint8).copy()


def _attr(vehicle: Any, name: str, default: Any) -> Any:
    value = getattr(vehicle, name, default)
    return default if value is None else value


def _mass_t(vehicle: Any, payload_kg: float | None) -> float:
    """
    The mass the weight limits judge: at ``payload_kg``, or fully laden when it is None.

    A plan made without a payload must be legal whatever the truck carries
    that day, so an unknown load is the permissible mass (a 40 t truck is 40 t
    at a ``maxweight=30`` bridge), not the emission model's average load.
    """
    if payload_kg is None and hasattr(vehicle, "permissible_mass_t"):
        return float(vehicle.permissible_mass_t)
    if hasattr(vehicle, "gross_mass_t"):
        return float(vehicle.gross_mass_t(payload_kg))
    if hasattr(vehicle, "mass_kg"):
        return float(vehicle.mass_kg(payload_kg)) / 1000.0
    return 0.0


def _axle_t(vehicle: Any, payload_kg: float | None) -> float:
    """The most loaded axle's load, fully laden when ``payload_kg`` is None (see :func:`_mass_t`)."""
    if hasattr(vehicle, "axle_load_t"):
        if payload_kg is None and hasattr(vehicle, "max_payload_kg"):
            return float(vehicle.axle_load_t(float(vehicle.max_payload_kg)))
        return float(vehicle.axle_load_t(payload_kg))
    return _mass_t(vehicle, payload_kg) / 2.0


def access_mode(vehicle: Any) -> str:
    """The access class whose tags the vehicle reads (``motorcar`` unless it says otherwise)."""
    mode = str(_attr(vehicle, "access_class", "motorcar"))
    return mode if mode in MODES else "motorcar"


def speed_caps(network: RoadNetwork, vehicle: Any) -> FloatArray | None:
    """
    Per arc, the highest speed ``vehicle`` may drive (km/h; ``inf``: no cap), or None for none.

    The minimum of the vehicle's limiter and its class's legal limit on the
    arc's road class (``vehicle.speed_caps_kph``, for the vehicle's country or
    else the network's), and, for heavy goods vehicles, ``maxspeed:hgv``.
    """
    key = ("caps", _vehicle_key(vehicle))
    cached = _cache_get(network, key)
    if cached is not None:
        return cached[0]
    caps: FloatArray | None = None
    method = getattr(vehicle, "speed_caps_kph", None)
    if method is not None:
        names = np.asarray([*network.highway_names, ""], dtype=object)
        code = np.asarray(network.highway_code, dtype=np.intp)
        try:
            per_class = np.asarray(method(names, network_country(network)), dtype=np.float64)
        except ValueError:  # a country the law table does not know: its EU default
            per_class = np.asarray(method(names, None), dtype=np.float64)
        # An arc of unknown class (code -1: networks from arrays, DIMACS) has no class
        # limit to read, only the limiter.
        limiter = getattr(vehicle, "top_speed_kph", None)
        per_class[-1] = np.inf if limiter is None else float(limiter)
        caps = per_class[code]
    if access_mode(vehicle) == "hgv":
        hgv = network.attachments.get(f"{LEGAL_PREFIX}maxspeed_hgv_kph")
        if hgv is not None:
            hgv = np.where(np.isfinite(hgv) & (hgv > 0), hgv, np.inf).astype(np.float64)
            caps = hgv if caps is None else np.minimum(caps, hgv)
    if caps is not None and not np.isfinite(caps).any():
        caps = None
    if caps is not None:
        caps.flags.writeable = False
    _cache_put(network, key, (caps,))
    return caps


def vehicle_rules(
    network: RoadNetwork,
    vehicle: Vehicle,
    payload_kg: float | None,
    *,
    conditional: str = "restrict",
    hour: int | None = None,
) -> VehicleRules:
    """
    Compare the network's legal attributes with ``vehicle`` at ``payload_kg`` (cached per network).

    A network without legal attributes (built from arrays, osmnx or an old
    save) closes nothing; speed caps from the vehicle's class still apply.
    Conditional access (``access:conditional``, ``hgv:conditional``,
    ``oneway:conditional``, ...) is read at ``hour`` of the week, or without
    one by the ``conditional`` policy (:func:`conditional_access`).
    """
    check_conditional_policy(conditional)
    key = (
        "rules",
        _vehicle_key(vehicle),
        None if payload_kg is None else float(payload_kg),
        conditional,
        None if hour is None else int(hour) % _HOURS,
    )
    cached = _cache_get(network, key)
    if cached is not None:
        return cached[0]
    m = network.arc_count
    closed = np.zeros(m, dtype=bool)
    destination = np.zeros(m, dtype=bool)
    reason = np.zeros(m, dtype=np.uint8)
    legal = network.attachments
    if has_legal_attributes(network):
        mode = access_mode(vehicle)
        base = np.asarray(legal[f"{LEGAL_PREFIX}access.{mode}"])
        code = conditional_access(network, mode, conditional, hour)
        _close(closed, reason, base == CLOSED, "access")
        _close(closed, reason, code == CLOSED, "conditional")
        destination = code == DESTINATION
        mass = _mass_t(vehicle, payload_kg)
        checks = (
            ("maxweight", "maxweight_t", mass),
            ("maxaxleload", "maxaxleload_t", _axle_t(vehicle, payload_kg)),
            ("maxheight", "maxheight_m", float(_attr(vehicle, "height_m", 0.0))),
            ("maxwidth", "maxwidth_m", float(_attr(vehicle, "width_m", 0.0))),
            ("maxlength", "maxlength_m", float(_attr(vehicle, "length_m", 0.0))),
        )
        for name, field, value in checks:
            limit = legal.get(LEGAL_PREFIX + field)
            if limit is not None and value > 0:
                # NaN (unreadable) compares False: such a limit closes nothing.
                _close(closed, reason, np.asarray(limit) < value, name)
        hazmat = _attr(vehicle, "hazmat", None)
        if hazmat:
            flags = np.asarray(legal.get(f"{LEGAL_PREFIX}hazmat", np.zeros(m, np.uint8)))
            bits = HAZMAT_NO | (HAZMAT_WATER_NO if hazmat == "water" else 0)
            _close(closed, reason, (flags & bits) != 0, "hazmat")
            tunnel = legal.get(f"{LEGAL_PREFIX}tunnel_category")
            if tunnel is not None:
                # A load with tunnel code X may not enter tunnels of category X or above
                # (ADR 1.9.5.2.2); a code we do not know closes every categorised tunnel.
                letter = str(hazmat).upper()
                lowest = TUNNEL_LETTERS.index(letter) if letter in TUNNEL_LETTERS[1:] else 1
                _close(closed, reason, np.asarray(tunnel) >= lowest, "tunnel")
        destination = destination & ~closed
        reason[destination] = _REASON_CODE["destination"]
    rules = VehicleRules(
        closed=closed,
        destination=destination,
        reason=reason,
        speed_cap_kph=speed_caps(network, vehicle),
        mode=access_mode(vehicle),
    )
    for array in (closed, destination, reason):
        array.flags.writeable = False
    _cache_put(network, key, (rules,))
    return rules


def _close(closed: BoolArray, reason: npt.NDArray[np.uint8], mask: Any, name: str) -> None:
    new = np.asarray(mask, dtype=bool) & ~closed
    reason[new] = _REASON_CODE[name]
    closed |= new


def capped_inputs(
    network: RoadNetwork,
    vehicle: Any,
    arcs: npt.ArrayLike | None,
    speed: FloatArray,
    time: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """
    Speed and travel time of arcs as ``vehicle`` drives them: no faster than its caps.

    ``speed``/``time`` are the network's values for ``arcs`` (all arcs when
    None). Where the cap binds, the time becomes the length at the cap (a
    merged arc's time is its pieces' sum, so the larger of the two is kept).
    """
    parent = getattr(network, "parent_network", None)  # a subset view (ecoroute.traffic)
    if parent is not None:
        caps = speed_caps(parent, vehicle)
        if caps is not None:
            view: Any = network  # a traffic subset, which knows its parent's arcs
            caps = caps[np.asarray(view.parent_arcs, dtype=np.intp)]
    else:
        caps = speed_caps(network, vehicle)
    if caps is None:
        return speed, time
    cap = caps if arcs is None else caps[np.asarray(arcs, dtype=np.intp).ravel()]
    binding = speed > cap
    if not binding.any():
        return speed, time
    length = (
        network.length_m if arcs is None else network.length_m[np.asarray(arcs, np.intp).ravel()]
    )
    new_speed = np.where(binding, cap, speed)
    capped_time = np.divide(length * 3.6, cap, out=np.zeros_like(time), where=binding)
    new_time = np.where(binding, np.maximum(time, capped_time), time)
    return new_speed, new_time


# ---------------------------------------------------------------------- conditional access


def check_conditional_policy(policy: str) -> None:
    """Raise ``ValueError`` unless ``policy`` is one of :data:`CONDITIONAL_POLICIES`."""
    if policy not in CONDITIONAL_POLICIES:
        msg = f"conditional must be 'restrict' or 'ignore', not {policy!r}."
        raise ValueError(msg)


def conditional_profiles(network: RoadNetwork) -> npt.NDArray[np.uint8] | None:
    """
    The network's table of conditional access profiles, ``(P, 2, 168)`` uint8, or None.

    Row ``p`` holds, per policy (0 ``"ignore"``, 1 ``"restrict"``) and hour
    of the week, the access code of the arcs whose ``legal.conditional.<mode>``
    is ``p``; row 0 is unused (index 0: no conditional access).
    """
    table = network.attachments.get(f"{LEGAL_PREFIX}conditional_profiles")
    if table is None:
        return None
    return np.asarray(table, dtype=np.uint8).reshape(-1, 2, _HOURS)


def conditional_access(
    network: RoadNetwork, mode: str, policy: str = "restrict", hour: int | None = None
) -> npt.NDArray[np.uint8]:
    """
    Per arc, ``mode``'s access code with the conditional tags read at ``hour`` of the week.

    Without an hour (no departure), ``"ignore"`` gives the unconditional
    code and ``"restrict"`` the strictest code at any hour (a road closed at
    night is closed). At an hour, conditions that a time of the week
    decides are applied; the others go by the policy
    (:func:`ecoroute.osm_conditional.code_profile`).
    """
    check_conditional_policy(policy)
    base = np.asarray(network.attachments[f"{LEGAL_PREFIX}access.{mode}"], dtype=np.uint8)
    index = network.attachments.get(f"{LEGAL_PREFIX}conditional.{mode}")
    table = conditional_profiles(network)
    if index is None or table is None or not np.any(index):
        return base
    index = np.asarray(index, dtype=np.intp)
    row = 1 if policy == "restrict" else 0
    if hour is None:
        if row == 0:
            return base
        per_profile = table[:, row, :].max(axis=1)
    else:
        per_profile = table[:, row, int(hour) % _HOURS]
    return np.where(index > 0, per_profile[index], base).astype(np.uint8)


def conditional_hours_of(network: RoadNetwork) -> npt.NDArray[np.int64]:
    """
    Per hour of the week, a label: hours with equal labels give every mode the same access.

    Routers with a departure build one static state per label, not per hour.
    """
    table = conditional_profiles(network)
    if table is None:
        return np.zeros(_HOURS, dtype=np.int64)
    columns = np.ascontiguousarray(table.transpose(2, 0, 1).reshape(_HOURS, -1))
    _, label = np.unique(columns, axis=0, return_inverse=True)
    return np.asarray(label, dtype=np.int64).ravel()


def conditional_table(
    profiles: list[npt.NDArray[np.uint8]],
) -> tuple[dict[bytes, int], list[npt.NDArray[np.uint8]]]:
    """A new profile table (row 0 unused) and its index by content, for the loader."""
    rows = [np.zeros((2, _HOURS), dtype=np.uint8)]
    index: dict[bytes, int] = {}
    for profile in profiles:
        index.setdefault(profile.tobytes(), len(rows))
        if len(rows) == index[profile.tobytes()]:
            rows.append(profile)
    return index, rows


def add_profile(index: dict[bytes, int], rows: list[npt.NDArray[np.uint8]], profile: Any) -> int:
    """Row of ``profile`` in the table, added if new."""
    profile = np.ascontiguousarray(profile, dtype=np.uint8).reshape(2, _HOURS)
    key = profile.tobytes()
    if key not in index:
        index[key] = len(rows)
        rows.append(profile)
    return index[key]


def merge_conditional(
    legal: dict[str, npt.NDArray[Any]],
    chain: npt.NDArray[np.int64],
    offsets: npt.NDArray[np.int64],
    out: dict[str, npt.NDArray[Any]],
) -> None:
    """
    The conditional access of merged arcs: per hour the strictest piece (its base where it has none).

    Writes ``conditional.<mode>`` and ``conditional_profiles`` into ``out``
    (the loader's ``_merge_legal``): a chain is driven end to end, so one
    piece closed at an hour closes the merged arc at that hour.
    """
    table = legal.get("conditional_profiles")
    if table is None:
        return
    rows_in = np.asarray(table, dtype=np.uint8).reshape(-1, 2, _HOURS)
    index, rows = conditional_table(list(rows_in[1:]))
    starts = offsets[:-1]
    for mode in MODES:
        pieces = np.asarray(legal[f"conditional.{mode}"])[chain]
        merged = np.zeros(starts.size, dtype=np.int32)
        has = np.maximum.reduceat(pieces, starts) > 0 if pieces.size else np.zeros(0, bool)
        base = np.asarray(legal[f"access.{mode}"])[chain]
        for k in np.flatnonzero(has).tolist():
            lo, hi = int(offsets[k]), int(offsets[k + 1])
            profile = np.zeros((2, _HOURS), dtype=np.uint8)
            for j in range(lo, hi):
                piece = rows_in[pieces[j]] if pieces[j] else np.full((2, _HOURS), base[j])
                profile = np.maximum(profile, piece)
            merged[k] = add_profile(index, rows, profile)
        out[f"conditional.{mode}"] = merged
    out["conditional_profiles"] = np.stack(rows).reshape(len(rows), 2 * _HOURS)


# ---------------------------------------------------------------------- cache

_CACHE: weakref.WeakKeyDictionary[RoadNetwork, OrderedDict[Any, tuple[Any, ...]]] = (
    weakref.WeakKeyDictionary()
)
_CACHE_ENTRIES = 32


def _vehicle_key(vehicle: Any) -> Any:
    try:
        hash(vehicle)
    except TypeError:
        return id(vehicle)
    return vehicle


def _cache_get(network: RoadNetwork, key: Any) -> tuple[Any, ...] | None:
    cache = _CACHE.get(network)
    if cache is None or key not in cache:
        return None
    cache.move_to_end(key)
    return cache[key]


def _cache_put(network: RoadNetwork, key: Any, value: tuple[Any, ...]) -> None:
    cache = _CACHE.setdefault(network, OrderedDict())
    cache[key] = value
    while len(cache) > _CACHE_ENTRIES:
        cache.popitem(last=False)


__all__ = [
    "CLOSED",
    "CONDITIONAL_POLICIES",
    "DESTINATION",
    "LEGAL_PREFIX",
    "MODES",
    "OPEN",
    "REASONS",
    "VehicleRules",
    "capped_inputs",
    "conditional_access",
    "has_legal_attributes",
    "network_country",
    "speed_caps",
    "vehicle_rules",
]
