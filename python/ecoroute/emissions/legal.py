"""
Traffic law as data: the speed limits of vehicle classes, and the dangerous-goods codes.

A truck may not drive a road's posted car speed: national law caps goods
vehicles over 3.5 t and buses by class of road, whatever the signs say
(Germany: 80 km/h on motorways, 60 km/h on other roads outside built-up areas
over 7.5 t), and their speed limiters cap them everywhere. This module holds
those class limits per country, with the law and the sources behind each
value, for :meth:`ecoroute.emissions.RoadVehicle.speed_caps_kph`.

How the table is applied. The limits are those *outside built-up areas*
(rural roads, motorways), looked up by OSM highway class: the class says
whether a road is a motorway but not whether it runs through a town. Inside
built-up areas the general limit (50 km/h nearly everywhere) is below every
rural class cap and is the road's own posted or default ``maxspeed``, so
``min(road speed, class cap)`` is right there too, except on the few urban
roads signed faster than the rural cap (an urban expressway posted 70 km/h
keeps a German truck over 7.5 t at 60): an approximation that errs on the slow,
legal side. Where a country's law depends on what the class cannot tell
(dual carriageway or single, lanes, a French "route prioritaire", an
articulated vehicle or a rigid one), the table takes the lower value and says
so in its comment. Conditional cases (trailers, standing passengers,
dangerous goods, wet roads) are left out; pass
``RoadVehicle(speed_limits_kph=...)`` for them.

Sources checked for every country (values kept only where both agree, or the
lower one is taken and the comment says so): the law named in the comment;
the OpenStreetMap wiki "Default speed limits" (revision 2607051, 2023-10-21,
as machine-readable data in westnordost/osm-legal-default-speeds,
``demo/distribution/legal_default_speeds.json``); and the European
Commission's "Going abroad" road-safety tables (standard speed limits for
heavy goods vehicles over 3.5 t and for buses, per country). Spain and Belgium
are left out: the two sources disagree for Spain (90 or 80 km/h for trucks on
motorways, around the 2021 reform of the Reglamento General de Circulación),
and Belgium's limits differ by region (Flanders 70 km/h outside built-up
areas) with only one source at hand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

__all__ = [
    "ACCESS_CLASSES",
    "ADR_TUNNEL_CODES",
    "HAZMAT_VALUES",
    "HIGHWAY_CLASSES",
    "KPH_PER_MPH",
    "SPEED_LIMITER_KPH",
    "SPEED_LIMITS_KPH",
    "class_speed_limit_kph",
    "closed_tunnel_categories",
    "country_code",
    "legal_speed_limits_kph",
]

#: Kilometres per hour in one mile per hour (exact, by the international yard).
KPH_PER_MPH = 1.609344

#: The legal classes a vehicle can belong to, as OSM access keys name them:
#: ``motorcar`` (cars), ``goods`` (goods vehicles up to 3.5 t permissible
#: mass, vans), ``hgv`` (goods vehicles over 3.5 t) and ``bus``.
ACCESS_CLASSES: tuple[str, ...] = ("motorcar", "goods", "hgv", "bus")

#: ADR tunnel restriction codes a vehicle may carry (ADR 1.9.5.2.2, 8.6.4): a
#: load with code X may not pass tunnels of category X or of a later letter.
ADR_TUNNEL_CODES: tuple[str, ...] = ("B", "C", "D", "E")

#: Values of :attr:`RoadVehicle.hazmat`: ``"yes"`` (dangerous goods, tunnel
#: code unknown: closed as code B), ``"water"`` (goods that pollute water:
#: dangerous goods that ``hazmat:water=no`` also closes) or an ADR tunnel code.
HAZMAT_VALUES: tuple[str, ...] = ("yes", "water", *ADR_TUNNEL_CODES)

#: The OSM highway classes :func:`legal_speed_limits_kph` returns a limit for,
#: besides the catch-all ``"other"``.
HIGHWAY_CLASSES: tuple[str, ...] = (
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
    "busway",
)

#: Speed limiters the law requires, km/h: Council Directive 92/6/EEC as
#: amended by Directive 2002/85/EC, Art. 2 and 3: goods vehicles over 3.5 t
#: (N2, N3) 90 km/h, buses (M2, M3) 100 km/h. Cars and vans (N1) have none.
SPEED_LIMITER_KPH: dict[str, float] = {"hgv": 90.0, "bus": 100.0}

_NONE: tuple[tuple[float, dict[str, float]], ...] = ((math.inf, {}),)

#: Legal speed limits of vehicle classes outside built-up areas, in km/h:
#: country code -> access class -> mass bands. A band is ``(up to t, limits)``
#: for permissible masses up to and including that many tonnes (the first
#: band that holds the mass applies); ``limits`` maps highway classes to km/h,
#: a ``*_link`` class follows its road unless named, and ``"other"`` is every
#: class not named. Cars and vans (``motorcar``, ``goods``) have no class caps
#: in most countries: their roads' speeds already are their posted limits.
#: ``"EU"`` is the default for networks of unknown country.
SPEED_LIMITS_KPH: dict[str, dict[str, tuple[tuple[float, dict[str, float]], ...]]] = {
    # Germany, StVO. §18(5) Nr. 1: on motorways (Autobahn) 80 km/h for motor
    # vehicles over 3.5 t permissible mass (not cars); §3(3) Nr. 2: outside
    # built-up areas 80 km/h over 3.5 t up to 7.5 t (a, aa) and for buses (a, dd),
    # 60 km/h over 7.5 t (b, aa). Buses on motorways: 80 km/h, 100 km/h only with
    # the technical approval of §18(5) Nr. 3 (EC: "100 km/h buses with special
    # technical equipment"); standing passengers 60 km/h (not modelled).
    "DE": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": (
            (7.5, {"motorway": 80.0, "other": 80.0}),
            (math.inf, {"motorway": 80.0, "other": 60.0}),
        ),
        "bus": ((math.inf, {"motorway": 80.0, "other": 80.0}),),
    },
    # Austria (Kraftfahrgesetz 1967 and its Durchführungsverordnung): goods
    # vehicles over 3.5 t 80 km/h on motorways and expressways, 70 km/h on other
    # roads outside built-up areas; buses 100 and 80 km/h. Both sources agree.
    # Austrian expressways (S roads) are mapped as motorways; trunk roads get
    # the rural value.
    "AT": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": ((math.inf, {"motorway": 80.0, "other": 70.0}),),
        "bus": ((math.inf, {"motorway": 100.0, "other": 80.0}),),
    },
    # France, Code de la route R413-8 (goods vehicles over 3.5 t): 90 km/h on
    # motorways; on dual carriageways 90 km/h up to 12 t and 80 km/h over 12 t
    # (trunk: the lower, 80); 80 km/h on other roads, 60 km/h there for
    # combinations over 12 t except on priority roads. A rigid vehicle has at
    # most 32 t (four axles; Directive 96/53/EC Annex I), so over 32 t the vehicle is a
    # combination and gets 60 km/h off motorways and trunk roads (the lower
    # value: priority roads are not in the class). Buses (R413-10): EC tables
    # 90 km/h outside built-up areas and 100 on motorways, the OSM wiki 80 and
    # 90 over 10 t; the lower values are kept (80, trunk 90, motorway 90).
    "FR": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": (
            (32.0, {"motorway": 90.0, "trunk": 80.0, "other": 80.0}),
            (math.inf, {"motorway": 90.0, "trunk": 80.0, "other": 60.0}),
        ),
        "bus": ((math.inf, {"motorway": 90.0, "trunk": 90.0, "other": 80.0}),),
    },
    # Netherlands, RVV 1990 art. 21: goods vehicles over 3.5 t and buses 80 km/h
    # outside built-up areas and on motorways. Buses approved for 100 km/h may
    # drive 100 on motorways (EC tables: 100; OSM wiki: bus 80, coach 100); the
    # lower value is kept.
    "NL": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": ((math.inf, {"motorway": 80.0, "other": 80.0}),),
        "bus": ((math.inf, {"motorway": 80.0, "other": 80.0}),),
    },
    # Italy, Codice della strada art. 142: goods vehicles over 3.5 t up to 12 t
    # 100 km/h on motorways (autostrade) and 80 km/h on other roads outside
    # built-up areas; over 12 t 80 and 70 km/h. Buses: 100 km/h on motorways, 80
    # on other roads (EC tables give 100 on extra-urban main roads, the OSM wiki
    # 80: the lower is kept).
    "IT": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": (
            (12.0, {"motorway": 100.0, "other": 80.0}),
            (math.inf, {"motorway": 80.0, "other": 70.0}),
        ),
        "bus": ((math.inf, {"motorway": 100.0, "other": 80.0}),),
    },
    # Poland, Prawo o ruchu drogowym art. 20: goods vehicles over 3.5 t and buses
    # 80 km/h on motorways and expressways (dual-carriageway expressways, mapped
    # as trunk or motorway) and 70 km/h on other roads; trunk gets 70 (the lower:
    # single-carriageway trunk roads are "other roads"). Buses with a permit may
    # drive 100 on motorways (not modelled).
    "PL": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": ((math.inf, {"motorway": 80.0, "other": 70.0}),),
        "bus": ((math.inf, {"motorway": 80.0, "other": 70.0}),),
    },
    # Czechia, Act 361/2000 Sb. §18: goods vehicles over 3.5 t 80 km/h outside
    # built-up areas, motorways included; buses 90 km/h on rural roads and 130 on
    # motorways (their limiter caps them at 100). Motorroads (trunk) allow buses
    # 110: trunk gets the rural 90 (the lower).
    "CZ": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": ((math.inf, {"motorway": 80.0, "other": 80.0}),),
        "bus": ((math.inf, {"motorway": 130.0, "other": 90.0}),),
    },
    # Great Britain (England and Wales), Road Traffic Regulation Act 1984
    # Schedule 6 as amended in 2015 (gov.uk "Speed limits"): goods vehicles up to
    # 7.5 t (vans included, except car-derived vans) 50 mph on single and 60 mph
    # on dual carriageways, 70 mph on motorways (60 if articulated or towing);
    # over 7.5 t 50, 60 and 60 mph; buses and coaches up to 12 m 50, 60 and 70
    # mph (over 12 m: 60 on motorways). Single or dual carriageway is not in the
    # class: every class but motorways gets the single-carriageway value (the
    # lower). Scotland differs (goods vehicles over 7.5 t 40 and 50 mph on
    # single and dual carriageways): not included.
    "GB": {
        "motorcar": _NONE,
        "goods": ((math.inf, {"motorway": 70 * KPH_PER_MPH, "other": 50 * KPH_PER_MPH}),),
        "hgv": (
            (7.5, {"motorway": 70 * KPH_PER_MPH, "other": 50 * KPH_PER_MPH}),
            (math.inf, {"motorway": 60 * KPH_PER_MPH, "other": 50 * KPH_PER_MPH}),
        ),
        "bus": ((math.inf, {"motorway": 70 * KPH_PER_MPH, "other": 50 * KPH_PER_MPH}),),
    },
    # Default for a network of unknown country. No EU law sets class speed
    # limits (only the limiters, SPEED_LIMITER_KPH); these are the middle values
    # of the national tables above, not law: goods vehicles over 3.5 t 80 km/h
    # on motorways, 80 km/h on other roads up to 7.5 t and 70 km/h over 7.5 t;
    # buses 100 and 80 km/h.
    "EU": {
        "motorcar": _NONE,
        "goods": _NONE,
        "hgv": (
            (7.5, {"motorway": 80.0, "other": 80.0}),
            (math.inf, {"motorway": 80.0, "other": 70.0}),
        ),
        "bus": ((math.inf, {"motorway": 100.0, "other": 80.0}),),
    },
}

#: Other spellings of the table's country codes.
_ALIASES = {"UK": "GB"}


def country_code(country: str) -> str:
    """
    Return the table's code for ``country`` (case-insensitive; ``"UK"`` is ``"GB"``).

    Raises
    ------
    ValueError
        If the country is not in :data:`SPEED_LIMITS_KPH`; the message lists the known ones.
    """
    code = str(country).strip().upper()
    code = _ALIASES.get(code, code)
    if code not in SPEED_LIMITS_KPH:
        msg = (
            f"No traffic-law table for country {country!r}; known countries: "
            f"{', '.join(sorted(SPEED_LIMITS_KPH))} (EU: the default for a network of "
            "unknown country). Give the vehicle speed_limits_kph={highway class: km/h} "
            "for another country's limits, and country='EU' for the rest."
        )
        raise ValueError(msg)
    return code


def legal_speed_limits_kph(
    country: str,
    access_class: str,
    permissible_mass_t: float,
    *,
    overrides: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """
    Return the legal speed limit of each highway class for a vehicle class in a country.

    The limits are those outside built-up areas, applied per road class; roads
    inside built-up areas are bounded by their own posted ``maxspeed``, which
    is lower there (see the module docstring for this approximation and for
    what the table leaves out).

    Parameters
    ----------
    country
        A country code of :data:`SPEED_LIMITS_KPH` (``"DE"``, ``"FR"``, ...;
        ``"EU"`` for the default table).
    access_class
        ``"motorcar"``, ``"goods"``, ``"hgv"`` or ``"bus"``.
    permissible_mass_t
        Permissible (maximum authorised) mass in tonnes, which picks the mass band.
    overrides
        Limits (km/h) that replace the table's for the classes they name
        (``"other"``: the catch-all; a ``*_link`` class follows its road
        unless named).

    Returns
    -------
    dict
        km/h for every class of :data:`HIGHWAY_CLASSES`, every class named in
        ``overrides``, and ``"other"`` (used by :func:`class_speed_limit_kph`
        for classes not listed); ``inf`` where the law sets no class limit.

    Raises
    ------
    ValueError
        For an unknown country (the message lists the known ones) or access
        class, or a mass that is not a positive number.

    Examples
    --------
    >>> limits = legal_speed_limits_kph("DE", "hgv", 40.0)
    >>> limits["motorway"], limits["secondary"]
    (80.0, 60.0)
    """
    code = country_code(country)
    if access_class not in ACCESS_CLASSES:
        msg = f"access_class must be one of {', '.join(ACCESS_CLASSES)}, got {access_class!r}."
        raise ValueError(msg)
    mass = float(permissible_mass_t)
    if not (mass > 0.0 and math.isfinite(mass)):
        msg = f"permissible_mass_t must be a positive number of tonnes, got {permissible_mass_t!r}."
        raise ValueError(msg)
    bands = SPEED_LIMITS_KPH[code][access_class]
    compact = dict(next(limits for upper, limits in bands if mass <= upper))
    if overrides:
        compact.update({str(k): float(v) for k, v in overrides.items()})
    names = dict.fromkeys([*HIGHWAY_CLASSES, *compact, "other"])
    return {name: class_speed_limit_kph(compact, name) for name in names}


def class_speed_limit_kph(limits: Mapping[str, float], highway: str | None) -> float:
    """
    Return the limit of one highway class from a table of limits (km/h, ``inf``: none).

    The class itself if the table names it, else for a ``*_link`` class its
    road (``motorway`` for ``motorway_link``), else ``"other"``, else ``inf``.
    ``None`` (an arc of unknown class) takes ``"other"``.
    """
    if highway is not None:
        if highway in limits:
            return float(limits[highway])
        if highway.endswith("_link") and highway[: -len("_link")] in limits:
            return float(limits[highway[: -len("_link")]])
    return float(limits.get("other", math.inf))


def closed_tunnel_categories(hazmat: str | None) -> tuple[str, ...]:
    """
    Return the ADR tunnel categories a load may not pass (``hazmat:adr_tunnel_cat``).

    A load with tunnel restriction code X may not pass tunnels of category X
    or a later letter (ADR 1.9.5.2.2 and 8.6.4: code D closes D and E).
    ``"yes"`` and ``"water"`` (code unknown) are treated as code B, the
    strictest; ``None`` (no dangerous goods) closes none.

    Examples
    --------
    >>> closed_tunnel_categories("D")
    ('D', 'E')
    """
    if hazmat is None:
        return ()
    code = "B" if hazmat in ("yes", "water") else hazmat
    if code not in ADR_TUNNEL_CODES:
        msg = f"hazmat must be None or one of {', '.join(HAZMAT_VALUES)}, got {hazmat!r}."
        raise ValueError(msg)
    return ADR_TUNNEL_CODES[ADR_TUNNEL_CODES.index(code) :]
