"""The loader's sort-based distinct-value helpers against numpy's own np.unique (the oracle)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from ecoroute import _topology
from ecoroute.speeds import impute_speeds, impute_speeds_by_class


@pytest.mark.parametrize("seed", range(5))
def test_unique_first_inverse_equals_np_unique(seed):
    rng = np.random.default_rng(seed)
    values = rng.integers(-50, 50, rng.integers(1, 400)) * 10_000_000_007  # big OSM-like ids
    expected = np.unique(values, return_index=True, return_inverse=True)
    got = _topology.unique_first_inverse(values)
    for e, g in zip(expected, got, strict=True):
        assert_array_equal(g, np.asarray(e).ravel())
    assert_array_equal(_topology.sorted_unique(values), expected[0])


def test_unique_first_inverse_of_one_value():
    got = _topology.unique_first_inverse(np.array([7]))
    assert [a.tolist() for a in got] == [[7], [0], [0]]


def test_impute_by_class_equals_impute_by_names():
    rng = np.random.default_rng(3)
    names = np.array(["primary", "residential", "busway", "ferry"])
    code = rng.integers(0, names.size, 300)
    speed = np.where(rng.random(300) < 0.4, np.nan, rng.uniform(10, 90, 300))
    speed[code == 2] = np.nan  # a class with no known speed takes the table's
    by_names = impute_speeds(speed, names[code])
    by_class = impute_speeds_by_class(speed, code, names)
    assert_array_equal(by_class[0], by_names[0])
    assert by_class[1] == by_names[1]
