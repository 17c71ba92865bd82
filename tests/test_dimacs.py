"""The DIMACS reader on small hand-written files, including broken ones."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from numpy.testing import assert_allclose

import ecoroute
from ecoroute.dimacs import read_gr

GR_D = "c tiny\np sp 3 3\na 1 2 1000\na 2 3 500\na 3 1 2000\n"
GR_T = "c tiny\np sp 3 3\na 1 2 2500\na 2 3 1250\na 3 1 5000\n"
CO = "p aux sp co 3\nv 1 -73000000 41000000\nv 2 -73001000 41000000\nv 3 -73002000 41000000\n"


def _write(tmp_path, name, text, *, gz=False):
    path = tmp_path / name
    if gz:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def test_reads_units_and_coordinates(tmp_path):
    d = _write(tmp_path, "d.gr.gz", GR_D, gz=True)
    t = _write(tmp_path, "t.gr", GR_T)
    co = _write(tmp_path, "x.co", CO)
    network = ecoroute.read_dimacs(d, t, co)
    assert network.node_count == 3
    assert network.node_id.tolist() == [1, 2, 3]
    assert_allclose(network.length_m, [100.0, 50.0, 200.0])  # decimetres -> metres
    assert_allclose(network.travel_time_s, np.array([2500, 1250, 5000]) * 0.0036)
    assert_allclose(network.speed_kph, 40.0)  # d/t = 0.4 -> 40 km/h
    assert_allclose(network.lon, [-73.0, -73.001, -73.002])
    assert_allclose(network.lat, 41.0)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "no 'p sp"),
        ("p sp 3 4\na 1 2 1\n", "declares 4 arcs"),
        ("p sp 2 1\na 1 3 1\n", "outside 1..2"),
        ("p sp 2 1\na 1 x 1\n", "do not hold 3 integers"),
        ("this is not a graph\n", "no 'p sp"),
    ],
)
def test_broken_gr_files_raise(tmp_path, text, match):
    with pytest.raises(ecoroute.NetworkError, match=match):
        read_gr(_write(tmp_path, "bad.gr", text))


def test_truncated_gzip_raises(tmp_path):
    path = _write(tmp_path, "d.gr.gz", GR_D * 50, gz=True)
    path.write_bytes(path.read_bytes()[:30])
    with pytest.raises(ecoroute.NetworkError, match="cannot be read"):
        read_gr(path)


def test_mismatched_distance_and_time_files(tmp_path):
    d = _write(tmp_path, "d.gr", GR_D)
    t = _write(tmp_path, "t.gr", "p sp 3 3\na 1 2 1\na 3 2 1\na 3 1 1\n")
    co = _write(tmp_path, "x.co", CO)
    with pytest.raises(ecoroute.NetworkError, match="same arcs"):
        ecoroute.read_dimacs(d, t, co)
