"""The rules of the map (ecoroute.osm_rules) against hand-worked tables of OSM tags."""

from __future__ import annotations

import doctest
import math

import pytest

from ecoroute import osm, osm_rules
from ecoroute.osm_rules import (
    ACCESS_VALUES,
    CLOSED,
    DESTINATION,
    HAZMAT_EXPLOSIVE_NO,
    HAZMAT_NO,
    HAZMAT_WATER_NO,
    HIERARCHY,
    MODES,
    OPEN,
    REVERSIBLE,
    WAY_KEYS,
    access_code,
    access_value_code,
    conditional_keys,
    drivable_highway,
    hazmat_flags,
    maxspeed_kph,
    node_access_code,
    node_limits,
    oneway_for,
    parse_length_m,
    parse_speed_kph,
    parse_weight_t,
    tunnel_category,
    unreadable_values,
    way_limits,
)

INF, NAN = math.inf, math.nan
O, D, C = OPEN, DESTINATION, CLOSED


def same(a: float, b: float) -> bool:
    """Equal floats, with NaN equal to NaN and a relative tolerance of 1e-12."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12)


def test_contract_constants():
    assert (OPEN, DESTINATION, CLOSED) == (0, 1, 2)
    assert MODES == ("motorcar", "goods", "hgv", "bus")
    assert HIERARCHY == {
        "motorcar": ("motorcar", "motor_vehicle", "vehicle", "access"),
        "goods": ("goods", "motor_vehicle", "vehicle", "access"),
        "hgv": ("hgv", "motor_vehicle", "vehicle", "access"),
        "bus": ("bus", "psv", "motor_vehicle", "vehicle", "access"),
    }
    assert (HAZMAT_NO, HAZMAT_WATER_NO, HAZMAT_EXPLOSIVE_NO) == (1, 2, 4)


# --- access values ------------------------------------------------------------------------

#: value -> (motorcar, goods, hgv, bus), worked out by hand from the OSM wiki meanings and the
#: choices argued in osm_rules (None: not read).
VALUE_TABLE = {
    "yes": (O, O, O, O),
    "designated": (O, O, O, O),
    "permissive": (O, O, O, O),
    "official": (C, C, C, C),  # OSRM car access.feature: not routable
    "public": (O, O, O, O),
    "allowed": (O, O, O, O),
    "vehicle": (O, O, O, O),
    "motor_vehicle": (O, O, O, O),
    "destination": (D, D, D, D),
    "delivery": (D, D, D, D),
    "customers": (D, D, D, D),
    "residents": (D, D, D, D),
    "private": (D, D, D, D),
    "permit": (D, D, D, D),
    "local": (D, D, D, D),
    "discouraged": (D, D, D, D),
    "unsuitable": (D, D, D, D),
    "restricted": (C, C, C, C),  # OSRM car access.feature: not routable
    "no": (C, C, C, C),
    "agricultural": (C, C, C, C),
    "forestry": (C, C, C, C),
    "emergency": (C, C, C, C),
    "emergency_vehicle": (C, C, C, C),
    "military": (C, C, C, C),
    "foot": (C, C, C, C),
    "use_sidepath": (C, C, C, C),
    "dismount": (C, C, C, C),
    "hov": (C, C, C, C),
    "psv": (C, C, C, O),
    "bus": (C, C, C, O),
    "taxi": (C, C, C, C),
    "minibus": (C, C, C, C),
    "share_taxi": (C, C, C, C),
    "motorcar": (O, C, C, C),
    "goods": (C, O, C, C),
    "hgv": (C, C, O, C),
    # Not read: the next key decides.
    "unknown": (None, None, None, None),
    "residential": (None, None, None, None),
    "Schranke! Nur für Anwohner": (None, None, None, None),
    "": (None, None, None, None),
    # Case does not matter.
    "Yes": (O, O, O, O),
    "NO": (C, C, C, C),
    # Lists: the most permissive element that is understood.
    "agricultural;forestry": (C, C, C, C),
    "destination;delivery": (D, D, D, D),
    "agricultural;destination": (D, D, D, D),
    "agricultural; destination": (D, D, D, D),
    "private; yes": (O, O, O, O),
    "no;psv": (C, C, C, O),
    "no;foo": (C, C, C, C),
    "foo;bar": (None, None, None, None),
}


def test_value_table_covers_every_value_of_the_module():
    assert set(ACCESS_VALUES) <= set(VALUE_TABLE)


@pytest.mark.parametrize(("value", "expected"), list(VALUE_TABLE.items()))
def test_access_values(value, expected):
    for mode, code in zip(MODES, expected, strict=True):
        assert access_value_code(value, mode) == code, mode
        # Through a way: a value not read leaves the way open (no other key says anything).
        assert access_code({"access": value}, mode, 1) == (OPEN if code is None else code)


# --- access hierarchy and directions --------------------------------------------------------

#: (tags, direction, {mode: code}), by hand.
WAYS = [
    ({}, 1, {"motorcar": O, "goods": O, "hgv": O, "bus": O}),
    (
        {"motor_vehicle": "no", "motorcar": "yes"},
        1,
        {"motorcar": O, "goods": C, "hgv": C, "bus": C},
    ),
    ({"hgv": "destination"}, 1, {"motorcar": O, "goods": O, "hgv": D, "bus": O}),
    ({"goods": "no"}, 1, {"motorcar": O, "goods": C, "hgv": O, "bus": O}),
    ({"access": "no", "hgv": "yes"}, 1, {"motorcar": C, "goods": C, "hgv": O, "bus": C}),
    ({"access": "no", "psv": "yes"}, 1, {"motorcar": C, "goods": C, "hgv": C, "bus": O}),
    ({"access": "no", "bus": "designated"}, 1, {"motorcar": C, "hgv": C, "bus": O}),
    ({"psv": "yes", "bus": "no"}, 1, {"bus": C}),  # bus is more specific than psv
    ({"access": "psv"}, 1, {"motorcar": C, "hgv": C, "bus": O}),
    ({"motor_vehicle": "bus"}, 1, {"motorcar": C, "bus": O}),
    ({"vehicle": "no", "motor_vehicle": "destination"}, 1, dict.fromkeys(MODES, D)),
    ({"access": "private"}, 1, dict.fromkeys(MODES, D)),
    ({"access": "private", "motorcar": "yes"}, 1, {"motorcar": O, "hgv": D}),
    ({"access": "destination", "hgv": "no"}, 1, {"motorcar": D, "goods": D, "hgv": C}),
    ({"hgv": "delivery", "motor_vehicle": "no"}, 1, {"motorcar": C, "hgv": D}),
    # Unknown values are skipped: the more general key decides.
    ({"hgv": "maybe", "motor_vehicle": "no"}, 1, {"hgv": C, "motorcar": C}),
    ({"hgv": "unknown", "access": "destination"}, 1, {"hgv": D}),
    ({"hgv": "", "access": "no"}, 1, {"hgv": C}),
    ({"motorcar": "noexit"}, 1, {"motorcar": O}),
    # Directions: key:forward / key:backward before key, per key of the hierarchy.
    ({"hgv:forward": "no"}, 1, {"hgv": C, "motorcar": O}),
    ({"hgv:forward": "no"}, -1, {"hgv": O}),
    ({"hgv:backward": "no", "hgv": "destination"}, 1, {"hgv": D}),
    ({"hgv:backward": "no", "hgv": "destination"}, -1, {"hgv": C}),
    ({"motor_vehicle:backward": "no", "hgv": "yes"}, -1, {"hgv": O, "motorcar": C}),
    ({"motor_vehicle:backward": "no", "hgv": "yes"}, 1, {"hgv": O, "motorcar": O}),
    ({"access:forward": "no"}, 1, dict.fromkeys(MODES, C)),
    ({"access:forward": "no"}, -1, dict.fromkeys(MODES, O)),
    ({"hgv:forward": "garbage", "hgv": "no"}, 1, {"hgv": C}),
    ({"vehicle:backward": "destination", "access": "no"}, -1, dict.fromkeys(MODES, D)),
    ({"vehicle:backward": "destination", "access": "no"}, 1, dict.fromkeys(MODES, C)),
]


@pytest.mark.parametrize(("tags", "direction", "expected"), WAYS)
def test_access_code(tags, direction, expected):
    for mode, code in expected.items():
        assert access_code(tags, mode, direction) == code, mode


@pytest.mark.parametrize(
    ("call", "args"),
    [
        (access_code, ({}, "car", 1)),
        (access_code, ({}, "hgv", 0)),
        (access_code, ({}, "hgv", 2)),
        (access_value_code, ("yes", "truck")),
        (oneway_for, ({}, "bicycle")),
        (way_limits, ({}, "hgv", 2)),
        (way_limits, ({}, "lorry")),
        (hazmat_flags, ({}, 5)),
        (node_access_code, ({}, "tram")),
        (drivable_highway, ("primary", "tram")),
        (maxspeed_kph, ({}, "hgv", 0)),
    ],
)
def test_bad_mode_or_direction_raises(call, args):
    with pytest.raises(ValueError, match=r"mode|direction"):
        call(*args)


# --- one-way --------------------------------------------------------------------------------

#: (tags, {mode: answer}), by hand.
ONEWAYS = [
    ({}, dict.fromkeys(MODES, 0)),
    ({"oneway": "yes"}, dict.fromkeys(MODES, 1)),
    ({"oneway": "true"}, {"motorcar": 1}),
    ({"oneway": "1"}, {"motorcar": 1}),
    ({"oneway": "Yes"}, {"motorcar": 1}),
    ({"oneway": "-1"}, dict.fromkeys(MODES, -1)),
    ({"oneway": "reverse"}, {"motorcar": -1}),
    ({"oneway": "T"}, {"motorcar": -1}),
    ({"oneway": "F"}, {"motorcar": 1}),
    ({"oneway": "no"}, {"motorcar": 0}),
    ({"oneway": "false"}, {"motorcar": 0}),
    ({"oneway": "0"}, {"motorcar": 0}),
    ({"oneway": "reversible"}, dict.fromkeys(MODES, REVERSIBLE)),
    ({"oneway": "alternating"}, dict.fromkeys(MODES, 0)),  # both ways, one at a time (OSRM)
    ({"oneway": "alternating", "highway": "motorway"}, dict.fromkeys(MODES, 1)),
    ({"junction": "roundabout"}, dict.fromkeys(MODES, 1)),
    ({"junction": "circular"}, {"hgv": 1}),
    ({"highway": "motorway"}, {"hgv": 1}),
    ({"highway": "motorway_link"}, {"hgv": 1}),
    ({"highway": "motorway", "oneway": "no"}, {"hgv": 0}),
    ({"junction": "roundabout", "oneway": "maybe"}, {"motorcar": 1}),  # unknown: implied
    ({"oneway": "maybe"}, {"motorcar": 0}),
    ({"oneway": "yes", "oneway:bus": "no"}, {"motorcar": 1, "goods": 1, "hgv": 1, "bus": 0}),
    ({"oneway": "yes", "oneway:psv": "no"}, {"motorcar": 1, "hgv": 1, "bus": 0}),
    ({"oneway": "yes", "oneway:psv": "no", "oneway:bus": "yes"}, {"bus": 1}),
    ({"oneway": "no", "oneway:motor_vehicle": "yes"}, dict.fromkeys(MODES, 1)),
    ({"oneway": "yes", "oneway:vehicle": "no"}, dict.fromkeys(MODES, 0)),
    ({"oneway": "yes", "oneway:hgv": "-1"}, {"hgv": -1, "goods": 1}),
    ({"oneway": "yes", "oneway:bicycle": "no"}, dict.fromkeys(MODES, 1)),  # bicycles not read
    ({"oneway": "yes", "oneway:bus": "garbage"}, {"bus": 1}),
    ({"oneway": "no", "junction": "roundabout", "oneway:goods": "yes"}, {"goods": 1, "hgv": 0}),
]


@pytest.mark.parametrize(("tags", "expected"), ONEWAYS)
def test_oneway_for(tags, expected):
    for mode, answer in expected.items():
        assert oneway_for(tags, mode) == answer, mode


@pytest.mark.parametrize(
    "value", sorted(osm.ONEWAY_VALUES | {"no", "false", "0", "maybe", "reversible"})
)
@pytest.mark.parametrize("context", [{}, {"junction": "roundabout"}, {"highway": "motorway"}])
def test_oneway_for_agrees_with_the_loader_on_plain_oneway(value, context):
    """Without ``oneway:<mode>`` keys the answer is ecoroute.osm.oneway's, except reversible."""
    tags = {"oneway": value, **context}
    expected = REVERSIBLE if value == "reversible" else osm.oneway(tags)
    assert all(oneway_for(tags, mode) == expected for mode in MODES)


# --- units ----------------------------------------------------------------------------------

SHORT_TON_T = 2000 * 0.45359237 / 1000  # 0.90718474
LONG_TON_T = 2240 * 0.45359237 / 1000
POUND_T = 0.45359237 / 1000


@pytest.mark.parametrize(
    ("value", "tonnes"),
    [
        ("7.5", 7.5),
        ("30", 30.0),
        ("7.5 t", 7.5),
        ("7.5t", 7.5),
        ("8.9t", 8.9),
        (" 7.5 ", 7.5),
        ("3.5 T", 3.5),
        ("7,5", 7.5),
        ("3,500 t", 3.5),  # a decimal comma: 3500 t is no road limit
        ("3500 kg", 3.5),
        ("3500kg", 3.5),
        ("3,500 kg", 3.5),  # thousands of kilograms
        ("12 st", 12 * SHORT_TON_T),
        ("10 tons", 10 * SHORT_TON_T),
        ("10 ton", 10 * SHORT_TON_T),
        ("2 lt", 2 * LONG_TON_T),
        ("5000 lbs", 5000 * POUND_T),
        ("80,000 lbs", 80000 * POUND_T),
        ("12 to", 12.0),
        ("3.5 tonnes", 3.5),
        ("none", INF),
        ("NONE", INF),
        ("no", INF),
        ("unsigned", INF),
        ("default", INF),
        ("no_sign", INF),
        ("no-sign", INF),
        (None, NAN),
        ("", NAN),
        ("heavy", NAN),
        ("0", NAN),
        ("0 t", NAN),
        ("-5", NAN),
        ("3.5;7.5", NAN),
        ("7.5 t 3.5 t", NAN),
        ("3 persons", NAN),
        ("1.2.3", NAN),
        ("7,5,5", NAN),
        ("below_default", NAN),
    ],
)
def test_parse_weight_t(value, tonnes):
    assert same(parse_weight_t(value), tonnes)


FOOT, INCH = 0.3048, 0.0254


@pytest.mark.parametrize(
    ("value", "metres"),
    [
        ("3.8", 3.8),
        ("3.8 m", 3.8),
        ("3.8m", 3.8),
        ("3,8", 3.8),
        ("4 metres", 4.0),
        ("4 meters", 4.0),
        ("350 cm", 3.5),
        ("2500 mm", 2.5),
        ("12'6\"", 12 * FOOT + 6 * INCH),  # 3.81 m
        ("12' 6\"", 12 * FOOT + 6 * INCH),
        ("12'6''", 12 * FOOT + 6 * INCH),
        ("12\u20326\u2033", 12 * FOOT + 6 * INCH),  # typographic primes
        ("12\u20196\u201d", 12 * FOOT + 6 * INCH),  # typographic quotes
        ("12'", 12 * FOOT),
        ("12 ft", 12 * FOOT),
        ("13 feet", 13 * FOOT),
        ("12 ft 6 in", 12 * FOOT + 6 * INCH),
        ("12ft6in", 12 * FOOT + 6 * INCH),
        ("14'-6\"", 14 * FOOT + 6 * INCH),
        ("5'6\"", 5 * FOOT + 6 * INCH),  # 1.6764 m, on a maxwidth in Rhein-Neckar
        ('6"', 6 * INCH),
        ("none", INF),
        ("default", INF),
        ("Default", INF),
        ("unsigned", INF),
        ("no_sign", INF),
        ("no-sign", INF),
        ("no", INF),
        ("below_default", NAN),  # a limit below the default, number unknown
        ("no_indications", NAN),
        (None, NAN),
        ("", NAN),
        ("narrow", NAN),
        ("0", NAN),
        ("3.8;4", NAN),
        ("4 m 20", NAN),
        ("12'6\"x", NAN),
        ("1.2.3", NAN),
        ("3 furlongs", NAN),
    ],
)
def test_parse_length_m(value, metres):
    assert same(parse_length_m(value), metres)


def test_hand_worked_imperial_values():
    assert parse_length_m("12'6\"") == pytest.approx(3.81)
    assert parse_length_m("12'") == pytest.approx(3.6576)
    assert parse_weight_t("12 st") == pytest.approx(10.88621688)


@pytest.mark.parametrize(
    ("value", "kph"), [("60", 60.0), ("50 mph", 80.4672), ("DE:urban", 50.0), ("signals", NAN)]
)
def test_parse_speed_kph(value, kph):
    assert same(round(parse_speed_kph(value), 4), kph)


@pytest.mark.parametrize(
    ("tags", "mode", "direction", "kph"),
    [
        ({"maxspeed": "100", "maxspeed:hgv": "60"}, "hgv", 1, 60.0),
        ({"maxspeed": "100", "maxspeed:hgv": "60"}, "goods", 1, 100.0),
        ({"maxspeed": "100", "maxspeed:hgv": "garbage"}, "hgv", 1, 100.0),
        ({"maxspeed:forward": "70", "maxspeed": "100", "maxspeed:hgv": "60"}, "hgv", 1, 60.0),
        ({"maxspeed:forward": "70", "maxspeed": "100"}, "hgv", 1, 70.0),
        ({"maxspeed:forward": "70", "maxspeed": "100"}, "hgv", -1, 100.0),
        ({"maxspeed:hgv:backward": "40", "maxspeed:hgv": "60"}, "hgv", -1, 40.0),
        ({"maxspeed:psv": "50", "maxspeed": "30"}, "bus", 1, 50.0),
        ({}, "hgv", 1, NAN),
    ],
)
def test_maxspeed_kph(tags, mode, direction, kph):
    assert same(maxspeed_kph(tags, mode, direction), kph)


# --- limits ---------------------------------------------------------------------------------

NONE_SET = {
    "maxweight_t": INF,
    "maxweightrating_t": INF,
    "maxaxleload_t": INF,
    "maxheight_m": INF,
    "maxwidth_m": INF,
    "maxlength_m": INF,
}

#: (tags, mode, direction, {limit: value}); limits not named are inf.
LIMITS = [
    ({}, None, 0, {}),
    ({"maxweight": "7.5"}, None, 0, {"maxweight_t": 7.5}),
    ({"maxweight": "heavy"}, None, 0, {"maxweight_t": NAN}),
    ({"maxweightrating:hgv": "7.5"}, "hgv", 0, {"maxweightrating_t": 7.5}),
    ({"maxweightrating:hgv": "7.5"}, None, 0, {}),
    ({"maxaxleload": "10"}, None, 0, {"maxaxleload_t": 10.0}),
    ({"maxwidth": "5'6\""}, None, 0, {"maxwidth_m": 5 * FOOT + 6 * INCH}),
    ({"maxlength": "12"}, "hgv", 0, {"maxlength_m": 12.0}),
    # The smallest of the listed keys binds.
    ({"maxheight": "4", "maxheight:physical": "3.8"}, None, 0, {"maxheight_m": 3.8}),
    ({"maxheight": "3.5", "maxheight:physical": "3.8"}, None, 0, {"maxheight_m": 3.5}),
    ({"maxwidth": "2.2", "maxwidth:physical": "2"}, None, 0, {"maxwidth_m": 2.0}),
    ({"maxheight": "default"}, None, 0, {}),
    ({"maxheight": "none", "maxheight:physical": "4.7"}, None, 0, {"maxheight_m": 4.7}),
    ({"maxheight": "below_default"}, None, 0, {"maxheight_m": NAN}),
    ({"maxheight": "below_default", "maxheight:physical": "3.2"}, None, 0, {"maxheight_m": 3.2}),
    ({"maxheight": "garbage", "maxheight:physical": "none"}, None, 0, {"maxheight_m": NAN}),
    ({"maxheight": "garbage", "maxheight:physical": "4"}, None, 0, {"maxheight_m": 4.0}),
    # Vehicle-specific forms replace the general key for their mode only.
    ({"maxweight": "30", "maxweight:hgv": "7.5"}, "hgv", 0, {"maxweight_t": 7.5}),
    ({"maxweight": "30", "maxweight:hgv": "7.5"}, None, 0, {"maxweight_t": 30.0}),
    ({"maxweight": "30", "maxweight:hgv": "7.5"}, "goods", 0, {"maxweight_t": 30.0}),
    ({"maxweight": "30", "maxweight:hgv": "7.5"}, "motorcar", 0, {"maxweight_t": 30.0}),
    ({"maxweight:hgv": "7.5"}, "hgv", 0, {"maxweight_t": 7.5}),
    ({"maxweight:hgv": "7.5"}, None, 0, {}),
    ({"maxweight": "7.5", "maxweight:bus": "18"}, "bus", 0, {"maxweight_t": 18.0}),
    ({"maxweight": "7.5", "maxweight:bus": "18"}, "hgv", 0, {"maxweight_t": 7.5}),
    ({"maxweight": "7.5", "maxweight:psv": "18"}, "bus", 0, {"maxweight_t": 18.0}),
    ({"maxweight:hgv": "garbage", "maxweight": "12"}, "hgv", 0, {"maxweight_t": 12.0}),
    ({"maxweight:motor_vehicle": "3.5"}, "hgv", 0, {"maxweight_t": 3.5}),
    ({"maxheight:physical:hgv": "2"}, "hgv", 0, {}),  # physical limits have no vehicle forms
    # Directions: key:forward / key:backward first; 0 is the stricter of the two.
    ({"maxheight:forward": "3.5", "maxheight": "4.5"}, None, 1, {"maxheight_m": 3.5}),
    ({"maxheight:forward": "3.5", "maxheight": "4.5"}, None, -1, {"maxheight_m": 4.5}),
    ({"maxheight:forward": "3.5", "maxheight": "4.5"}, None, 0, {"maxheight_m": 3.5}),
    ({"maxweight:backward": "3"}, None, 1, {}),
    ({"maxweight:backward": "3"}, None, -1, {"maxweight_t": 3.0}),
    ({"maxweight:backward": "3"}, None, 0, {"maxweight_t": 3.0}),
    ({"maxweight:forward": "x"}, None, 0, {"maxweight_t": NAN}),
    ({"maxweight:hgv:backward": "7.5", "maxweight": "40"}, "hgv", -1, {"maxweight_t": 7.5}),
    ({"maxweight:hgv:backward": "7.5", "maxweight": "40"}, "hgv", 1, {"maxweight_t": 40.0}),
]


@pytest.mark.parametrize(("tags", "mode", "direction", "expected"), LIMITS)
def test_way_limits(tags, mode, direction, expected):
    got = way_limits(tags, mode, direction)
    want = {**NONE_SET, **expected}
    assert set(got) == set(want)
    for name, value in want.items():
        assert same(got[name], value), name


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({"barrier": "height_restrictor", "maxheight": "2.1"}, {"maxheight_m": 2.1}),
        (
            {"barrier": "height_restrictor", "maxheight:physical": "2.0", "maxheight": "2.1"},
            {"maxheight_m": 2.0},
        ),
        ({"barrier": "bollard", "maxwidth": "1.2"}, {"maxwidth_m": 1.2}),
        ({"barrier": "arch", "maxheight": "12'"}, {"maxheight_m": 12 * FOOT}),
        ({"maxweight": "3.5 t"}, {"maxweight_t": 3.5}),
        ({"barrier": "gate"}, {}),
    ],
)
def test_node_limits(tags, expected):
    got = node_limits(tags)
    for name, value in {**NONE_SET, **expected}.items():
        assert same(got[name], value), name


# --- dangerous goods ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "direction", "flags"),
    [
        ({}, 0, 0),
        ({"hazmat": "no"}, 0, HAZMAT_NO),
        ({"hazmat": "No"}, 0, HAZMAT_NO),
        ({"hazmat:water": "no"}, 0, HAZMAT_WATER_NO),
        ({"hazmat:explosive": "no"}, 0, HAZMAT_EXPLOSIVE_NO),
        ({"hazmat": "no", "hazmat:water": "no"}, 0, 3),
        ({"hazmat": "designated"}, 0, 0),
        ({"hazmat": "yes"}, 0, 0),
        ({"hazmat": "destination"}, 0, 0),
        ({"hazmat:water": "permissive"}, 0, 0),  # German sign 354: an advisory
        ({"hazmat:forward": "no"}, 1, HAZMAT_NO),
        ({"hazmat:forward": "no"}, -1, 0),
        ({"hazmat:forward": "no"}, 0, HAZMAT_NO),
        ({"hazmat:backward": "no", "hazmat": "yes"}, 1, 0),
        ({"hazmat:backward": "no", "hazmat": "yes"}, -1, HAZMAT_NO),
    ],
)
def test_hazmat_flags(tags, direction, flags):
    assert hazmat_flags(tags, direction) == flags


@pytest.mark.parametrize(
    ("tags", "direction", "category"),
    [
        ({}, 0, 0),
        ({"tunnel": "yes"}, 0, 0),
        ({"hazmat:B": "no", "tunnel": "yes"}, 0, 1),
        ({"hazmat:B": "no", "hazmat:C": "no"}, 0, 2),
        ({"hazmat:B": "no", "hazmat:C": "no", "hazmat:D": "no"}, 0, 3),
        ({"hazmat:B": "no", "hazmat:C": "no", "hazmat:D": "no", "hazmat:E": "no"}, 0, 4),
        ({"hazmat:E": "no"}, 0, 4),  # as on Heidelberg's roads to its tunnels
        ({"hazmat:E": "destination"}, 0, 0),
        ({"hazmat:adr_tunnel_cat": "A"}, 0, 0),
        ({"hazmat:adr_tunnel_cat": "C"}, 0, 2),
        ({"hazmat:adr_tunnel_cat": "d"}, 0, 3),
        ({"hazmat:adr_tunnel_cat": "X"}, 0, 0),
        ({"hazmat:tunnel_cat": "E"}, 0, 4),
        ({"hazmat:adr_tunnel_cat": "B", "hazmat:D": "no"}, 0, 3),  # the strictest form
        ({"hazmat:E:backward": "no"}, 1, 0),
        ({"hazmat:E:backward": "no"}, -1, 4),
        ({"hazmat:E:backward": "no"}, 0, 4),
        ({"hazmat:C:forward": "yes", "hazmat:C": "no"}, 1, 0),
        ({"hazmat:C:forward": "yes", "hazmat:C": "no"}, -1, 2),
    ],
)
def test_tunnel_category(tags, direction, category):
    assert tunnel_category(tags, direction) == category


# --- barriers and nodes ---------------------------------------------------------------------

#: (node tags, {mode: code}), by hand after OSRM's barrier rules and the OSM wiki.
NODES = [
    ({}, dict.fromkeys(MODES, O)),
    ({"highway": "traffic_signals"}, {"motorcar": O}),
    *(
        ({"barrier": barrier}, dict.fromkeys(MODES, O))
        for barrier in (
            "cattle_grid",
            "border_control",
            "toll_booth",
            "sally_port",
            "entrance",
            "height_restrictor",
            "arch",
            "no",
            "speed_bump",
            "gate",
            "lift_gate",
            "swing_gate",
        )
    ),
    *(
        ({"barrier": barrier}, dict.fromkeys(MODES, C))
        for barrier in (
            "bollard",
            "block",
            "chain",
            "cycle_barrier",
            "kissing_gate",
            "stile",
            "wall",
            "fence",
            "kerb",
            "yes",
            "some_tag",
            "garage door",
        )
    ),
    # OSRM's exceptions.
    ({"barrier": "bollard", "bollard": "rising"}, {"motorcar": O}),
    ({"barrier": "bollard", "bollard": "removable"}, {"motorcar": C}),
    ({"barrier": "kerb", "kerb": "lowered"}, {"motorcar": O}),
    ({"barrier": "kerb", "kerb": "flush"}, {"motorcar": O}),
    ({"barrier": "kerb", "kerb": "raised"}, {"motorcar": C}),
    ({"barrier": "kerb", "highway": "crossing"}, {"motorcar": O}),
    ({"barrier": "fence", "sensory": "audible"}, {"motorcar": O}),
    ({"barrier": "fence", "sensory": "audio"}, {"motorcar": O}),
    # Access tags decide before the barrier.
    ({"barrier": "gate", "access": "no"}, dict.fromkeys(MODES, C)),
    ({"barrier": "gate", "access": "private"}, dict.fromkeys(MODES, D)),
    ({"barrier": "gate", "access": "agricultural"}, {"motorcar": C}),
    ({"barrier": "gate", "access": "yes"}, {"motorcar": O}),
    ({"barrier": "wall", "access": "yes"}, {"motorcar": O}),
    ({"barrier": "bollard", "motor_vehicle": "yes"}, dict.fromkeys(MODES, O)),
    ({"barrier": "bollard", "access": "no", "motor_vehicle": "yes"}, {"hgv": O}),
    ({"barrier": "bollard", "motorcar": "no"}, {"motorcar": C, "hgv": C}),
    ({"barrier": "lift_gate", "motorcar": "yes"}, {"motorcar": O, "hgv": O}),
    ({"barrier": "lift_gate", "hgv": "no"}, {"motorcar": O, "hgv": C}),
    ({"barrier": "bollard", "psv": "yes"}, {"bus": O, "motorcar": C, "hgv": C}),
    ({"barrier": "bollard", "access": "foo"}, {"motorcar": C}),  # unknown: the barrier decides
    ({"barrier": "height_restrictor", "maxheight": "1"}, {"motorcar": O}),  # a limit, not access
    # Access tags without a barrier.
    ({"access": "no"}, dict.fromkeys(MODES, C)),
    ({"motor_vehicle": "no"}, dict.fromkeys(MODES, C)),
    ({"access": "yes"}, dict.fromkeys(MODES, O)),
    ({"access": "destination"}, dict.fromkeys(MODES, D)),
    ({"access:forward": "no"}, dict.fromkeys(MODES, O)),  # nodes have no direction
]


@pytest.mark.parametrize(("tags", "expected"), NODES)
def test_node_access_code(tags, expected):
    for mode, code in expected.items():
        assert node_access_code(tags, mode) == code, mode


# --- highway classes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("highway", "mode", "drivable"),
    [
        ("motorway", "hgv", True),
        ("residential", "motorcar", True),
        ("living_street", "goods", True),
        ("service", "motorcar", True),
        ("road", "motorcar", True),
        ("winter_road", "motorcar", True),
        ("track", "motorcar", False),
        ("footway", "motorcar", False),
        ("pedestrian", "goods", False),
        ("cycleway", "motorcar", False),
        ("steps", "motorcar", False),
        ("busway", "motorcar", False),
        ("busway", "hgv", False),
        ("busway", "bus", True),
        ("bus_guideway", "bus", False),
        ("construction", "motorcar", False),
        ("proposed", "motorcar", False),
        ("raceway", "motorcar", False),
        ("runway", "motorcar", False),
        ("pier", "motorcar", False),
        ("escape", "hgv", False),
        ("made_up_class", "motorcar", False),
        (None, "motorcar", False),
    ],
)
def test_drivable_highway(highway, mode, drivable):
    assert drivable_highway(highway, mode) is drivable


# --- what could not be read, and what is not evaluated --------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ({}, []),
        (
            {"hgv": "maybe", "maxheight": "4 m", "maxweight": "heavy"},
            [("hgv", "maybe"), ("maxweight", "heavy")],
        ),
        ({"access": "Schranke! Nur für Anwohner"}, [("access", "Schranke! Nur für Anwohner")]),
        ({"access": "foo;bar"}, [("access", "foo;bar")]),
        ({"motor_vehicle:forward": "xx"}, [("motor_vehicle:forward", "xx")]),
        ({"oneway": "sometimes"}, [("oneway", "sometimes")]),
        ({"oneway:psv": "sometimes"}, [("oneway:psv", "sometimes")]),
        ({"maxweight:hgv:backward": "x"}, [("maxweight:hgv:backward", "x")]),
        ({"maxheight:physical": "low"}, [("maxheight:physical", "low")]),
        ({"hazmat:adr_tunnel_cat": "X"}, [("hazmat:adr_tunnel_cat", "X")]),
        ({"hazmat": "sometimes"}, [("hazmat", "sometimes")]),
        # Read, or saying "no information": not reported.
        ({"access": "unknown"}, []),
        ({"access": "private;yes", "hgv": "destination;delivery"}, []),
        ({"maxheight": "below_default", "maxwidth": "no_indications"}, []),
        ({"maxheight": "default", "maxweight": "none"}, []),
        ({"hazmat:water": "permissive", "oneway": "-1"}, []),
        # Keys the rules do not read: not reported.
        ({"name": "x", "oneway:bicycle": "x", "highway": "made_up_class"}, []),
    ],
)
def test_unreadable_values(tags, expected):
    assert unreadable_values(tags) == expected


def test_conditional_keys():
    tags = {
        "hgv:conditional": "no @ (22:00-06:00)",
        "maxweight:hgv:conditional": "3.5 @ (wet)",
        "access:conditional": "no @ (Mo-Fr)",
        "oneway:conditional": "yes @ (07:00-09:00)",
        "name:conditional": "x",
        "parking:conditional": "x",
    }
    assert conditional_keys(tags) == [
        "access:conditional",
        "hgv:conditional",
        "maxweight:hgv:conditional",
        "oneway:conditional",
    ]


def test_way_keys_hold_everything_the_way_rules_read():
    """Keeping only WAY_KEYS of a way changes none of the answers (what the loader extracts)."""
    tags = {
        "highway": "primary",
        "name": "B 44",
        "motor_vehicle": "no",
        "motorcar:forward": "yes",
        "psv": "yes",
        "oneway": "yes",
        "oneway:bus": "no",
        "maxweight:hgv:backward": "7.5",
        "maxheight:physical": "4.1",
        "maxspeed:hgv": "60",
        "hazmat:E:forward": "no",
        "hazmat:water": "no",
        "hazmat:adr_tunnel_cat": "C",
        "surface": "asphalt",
    }
    kept = {key: value for key, value in tags.items() if key in WAY_KEYS}
    assert set(tags) - set(kept) == {"name", "surface"}
    for mode in MODES:
        assert oneway_for(kept, mode) == oneway_for(tags, mode)
        for direction in (1, -1):
            assert access_code(kept, mode, direction) == access_code(tags, mode, direction)
            assert way_limits(kept, mode, direction) == way_limits(tags, mode, direction)
            assert same(maxspeed_kph(kept, mode, direction), maxspeed_kph(tags, mode, direction))
    assert hazmat_flags(kept, 1) == hazmat_flags(tags, 1) == HAZMAT_WATER_NO
    assert tunnel_category(kept, 1) == tunnel_category(tags, 1) == 4


def test_docstring_examples_run():
    failures, tried = doctest.testmod(osm_rules)
    assert tried >= 20
    assert failures == 0


def test_public_names_are_exported():
    assert set(osm_rules.__all__) <= set(dir(osm_rules))
