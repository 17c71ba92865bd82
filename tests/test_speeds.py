"""maxspeed parsing and speed imputation against hand-worked values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from ecoroute.speeds import FALLBACK_SPEED_KPH, impute_speeds, parse_maxspeed


@pytest.mark.parametrize(
    ("value", "kph"),
    [
        ("50", 50.0),
        ("30 mph", 30 * 1.609344),
        ("30mph", 30 * 1.609344),
        ("10 knots", 18.52),
        ("50 km/h", 50.0),
        ("50;30", 40.0),  # several values: their mean, as osmnx
        ("90;30;90;30;90;30", 60.0),  # Andorra has this one
        ("RU:urban", 60.0),
        ("DE:rural", 100.0),
        ("GB:nsl_single", 60 * 1.609344),
        ("XX:urban", 50.0),  # unknown country, known context
        ("none", 130.0),
        ("walk", 7.0),
    ],
)
def test_parse_maxspeed(value, kph):
    assert parse_maxspeed(value) == pytest.approx(kph)


@pytest.mark.parametrize("value", [None, "", "signals", "variable", "0", "fast", "XX:moon"])
def test_parse_maxspeed_unknown_is_nan(value):
    assert math.isnan(parse_maxspeed(value))


def test_impute_from_the_networks_own_speeds_then_the_table():
    """
    Tests imputation: a missing residential speed takes the mean of the known
    residential speeds (30 and 50 -> 40); a class with no known speed takes the
    fallback table; known speeds are untouched.
    """
    speed = np.array([30.0, 50.0, np.nan, np.nan, 80.0])
    highway = np.array(["residential", "residential", "residential", "service", "primary"])
    out, count = impute_speeds(speed, highway)
    assert count == 2
    assert_allclose(out, [30.0, 50.0, 40.0, FALLBACK_SPEED_KPH["service"], 80.0])
