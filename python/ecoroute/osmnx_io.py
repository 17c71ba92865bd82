"""Conversion between osmnx graphs (networkx MultiDiGraphs) and road networks."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ._errors import NetworkError
from ._geo import haversine_m
from .speeds import impute_speeds

if TYPE_CHECKING:
    import networkx as nx

    from .network import RoadNetwork

__all__ = ["network_arrays", "to_osmnx"]


def network_arrays(G: nx.MultiDiGraph) -> dict[str, Any]:
    """
    Read an osmnx graph into the keyword arguments of :meth:`RoadNetwork.from_arrays`.

    ``RoadNetwork.from_osmnx(G)`` is ``RoadNetwork.from_arrays(**network_arrays(G))``.
    Every edge becomes an arc, parallel edges included (never only
    ``key == 0``): each search then uses whichever parallel arc is cheapest
    for its own weight. Undirected graphs give two arcs per edge.

    Node attributes used: ``x`` (longitude), ``y`` (latitude), and
    ``elevation`` when every node has one. Edge attributes used: ``length``
    (metres; the straight-line distance when missing), ``speed_kph``
    (imputed from the graph's own speeds per highway class, then a fallback
    table, with a warning, when missing), ``travel_time``, ``grade``,
    ``highway``, ``osmid`` and ``geometry``.

    Raises
    ------
    NetworkError
        If the graph is empty, projected (convert it with
        ``ox.project_graph(G, to_latlong=True)``), or has nodes without
        coordinates or with ids that are not integers.
    """
    if G.number_of_nodes() == 0:
        msg = "The graph has no nodes."
        raise NetworkError(msg)
    _check_unprojected(G)

    ids = list(G.nodes)
    try:
        node_id = np.array(ids, dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as error:
        msg = "from_osmnx needs integer node ids (as osmnx graphs have)."
        raise NetworkError(msg) from error
    position = {node: i for i, node in enumerate(ids)}
    try:
        lon = np.array([G.nodes[v]["x"] for v in ids], dtype=np.float64)
        lat = np.array([G.nodes[v]["y"] for v in ids], dtype=np.float64)
    except KeyError as error:
        msg = f"Every node needs 'x' and 'y' coordinates; one lacks {error}."
        raise NetworkError(msg) from error
    elevations = [G.nodes[v].get("elevation") for v in ids]
    elevation = (
        np.array(elevations, dtype=np.float64) if all(e is not None for e in elevations) else None
    )

    directed = G.is_directed()
    edges: Iterable[tuple[Any, Any, dict[str, Any]]] = (
        ((u, v, d) for u, v, _, d in G.edges(keys=True, data=True))
        if G.is_multigraph()
        else G.edges(data=True)
    )
    tail: list[int] = []
    head: list[int] = []
    length: list[float] = []
    speed: list[float] = []
    time: list[float] = []
    grade: list[float] = []
    highway: list[str | None] = []
    way: list[int] = []
    geometry: list[Any] = []
    for u, v, data in edges:
        directions = [(u, v, 1.0)] if directed else [(u, v, 1.0), (v, u, -1.0)]
        for a, b, sign in directions:
            tail.append(position[a])
            head.append(position[b])
            length.append(float(data.get("length", math.nan)))
            speed.append(float(data.get("speed_kph", math.nan)))
            time.append(float(data.get("travel_time", math.nan)))
            grade.append(sign * float(data.get("grade", 0.0) or 0.0))
            highway.append(_first(data.get("highway")))
            way.append(_first_int(data.get("osmid")))
            shape = data.get("geometry")
            if shape is not None and sign < 0:
                shape = shape.reverse()
            geometry.append(shape)

    length_array = np.array(length)
    no_length = np.isnan(length_array)
    if no_length.any():
        t, h = np.array(tail)[no_length], np.array(head)[no_length]
        length_array[no_length] = haversine_m(lat[t], lon[t], lat[h], lon[h])
    speed_array, imputed = impute_speeds(np.array(speed), np.array(highway, dtype=object))
    if imputed:
        warnings.warn(
            f"{imputed} of {len(speed)} edges have no 'speed_kph'; imputed from the graph's "
            "own speeds per highway class (or ecoroute.speeds.FALLBACK_SPEED_KPH). Call "
            "ox.add_edge_speeds(G) first to choose the imputation yourself.",
            stacklevel=3,  # the caller of RoadNetwork.from_osmnx
        )
    time_array = np.array(time)
    no_time = np.isnan(time_array)
    time_array[no_time] = length_array[no_time] / (speed_array[no_time] / 3.6)

    return {
        "tail": np.array(tail, dtype=np.int64),
        "head": np.array(head, dtype=np.int64),
        "length_m": length_array,
        "speed_kph": speed_array,
        "lat": lat,
        "lon": lon,
        "node_id": node_id,
        "travel_time_s": time_array,
        "grade": np.array(grade),
        "highway": highway,
        "osm_way_id": np.array(way, dtype=np.int64),
        "geometry": geometry,
        "elevation_m": elevation,
    }


def to_osmnx(network: RoadNetwork) -> nx.MultiDiGraph:
    """
    Return ``network`` as an osmnx-style ``networkx.MultiDiGraph``.

    Nodes carry ``x``, ``y`` (and ``elevation``); edges carry ``osmid``,
    ``length``, ``speed_kph``, ``travel_time``, ``grade``, ``highway``,
    for arcs with shape points a shapely ``geometry``, and what restricts
    vehicles on them (``access_hgv``, ``maxheight_m``...: see
    :func:`ecoroute.access.edge_attributes`). Parallel arcs get
    keys 0, 1, ...; the graph's ``crs`` is ``epsg:4326``.
    """
    import networkx as nx
    import shapely

    graph = nx.MultiDiGraph(crs="epsg:4326", created_with="ecoroute")
    ids = network.node_id.tolist()
    lon, lat = network.lon.tolist(), network.lat.tolist()
    elevation = None if network.elevation_m is None else network.elevation_m.tolist()
    graph.add_nodes_from(
        (
            ids[i],
            {"x": lon[i], "y": lat[i]} | ({} if elevation is None else {"elevation": elevation[i]}),
        )
        for i in range(network.node_count)
    )
    from .access import edge_attributes, network_country

    country = network_country(network)
    if country:
        graph.graph["country"] = country
    legal = edge_attributes(network)
    tail, head = network.tail.tolist(), network.head.tolist()
    highway = network.highway.tolist()
    seen: dict[tuple[int, int], int] = {}
    for a in range(network.arc_count):
        u, v = ids[tail[a]], ids[head[a]]
        key = seen.get((u, v), 0)
        seen[(u, v)] = key + 1
        data: dict[str, Any] = {
            "length": float(network.length_m[a]),
            "speed_kph": float(network.speed_kph[a]),
            "travel_time": float(network.travel_time_s[a]),
            "grade": float(network.grade[a]),
        }
        if network.osm_way_id[a] >= 0:
            data["osmid"] = int(network.osm_way_id[a])
        if highway[a] is not None:
            data["highway"] = highway[a]
        if network.geometry_offsets[a + 1] > network.geometry_offsets[a]:
            data["geometry"] = shapely.LineString(network.path_coordinates([a], tail[a]))
        data.update(legal[a])
        graph.add_edge(u, v, key=key, **data)
    return graph


def legal_arrays(G: nx.MultiDiGraph) -> dict[str, Any] | None:
    """
    The legal attachments carried by the edges of ``G``, in :func:`network_arrays`' arc order.

    What :func:`to_osmnx` writes (``access_hgv``, ``maxheight_m``, ...; see
    :func:`ecoroute.access.edge_attributes`), so that a network sent through
    networkx keeps what trucks may not drive; None for a graph without them.
    """
    from .access import from_edge_attributes

    edges: Iterable[tuple[Any, Any, dict[str, Any]]] = (
        ((u, v, d) for u, v, _, d in G.edges(keys=True, data=True))
        if G.is_multigraph()
        else G.edges(data=True)
    )
    rows = []
    for _, _, data in edges:
        rows.extend([data] if G.is_directed() else [data, data])
    country = G.graph.get("country")
    return from_edge_attributes(rows, str(country) if country else None)


def _first(value: Any) -> Any:
    """Return the first element of an osmnx list-valued attribute, or the value itself."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


def _first_int(value: Any) -> int:
    first = _first(value)
    try:
        return int(first)
    except (TypeError, ValueError):
        return -1


def _check_unprojected(G: Any) -> None:
    crs = G.graph.get("crs")
    if crs is None:
        return
    text = str(crs).lower()
    if text in {"epsg:4326", "wgs84", "wgs 84", "ogc:crs84"}:
        return
    try:
        from pyproj import CRS

        geographic = CRS.from_user_input(crs).is_geographic
    except Exception:  # noqa: BLE001 (pyproj missing or unknown CRS: judge by the coordinates)
        return
    if not geographic:
        msg = (
            f"The graph is projected ({crs}); ecoroute needs latitude/longitude. "
            "Use ox.project_graph(G, to_latlong=True) first."
        )
        raise NetworkError(msg)
