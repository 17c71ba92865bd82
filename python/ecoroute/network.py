"""The routable road network: CSR topology plus per-arc and per-node attributes."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._errors import NetworkError, UnknownNodeError
from ._geo import NearestNodeIndex, haversine_m
from ._validate import as_float_array, as_index_array, as_int64_array, read_only
from .speeds import MAX_SPEED_KPH, impute_speeds

if TYPE_CHECKING:
    import networkx as nx
    import shapely

    from .hierarchy import Hierarchy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class RoadNetwork:
    """
    A routable road network: a directed graph with per-arc and per-node attributes.

    Arc ``a`` runs from node ``tail[a]`` to node ``head[a]``; arcs are stored in
    compressed sparse row order (grouped by tail), and every per-arc array is
    aligned with that order. Nodes are dense indices ``0 .. node_count - 1``;
    ``node_id[i]`` is the id users know node ``i`` by (the OSM node id for OSM
    data). Parallel arcs (two roads between the same junctions) are all kept:
    each search takes whichever is cheapest for its own weight.

    Build one with :meth:`from_osmnx` or :meth:`from_arrays`. The topology is
    immutable and the attribute arrays are read-only, so a network can be
    shared by any number of :class:`ecoroute.Router` objects and threads.

    Attributes
    ----------
    node_id
        Id of each node (int64), e.g. the OSM node id.
    lat, lon
        Node coordinates in degrees (WGS 84).
    elevation_m
        Node elevation in metres, or None when unknown.
    tail, head
        Dense node index at which each arc starts and ends (uint32).
    first_out
        CSR offsets: the arcs leaving node ``x`` are ``first_out[x] .. first_out[x+1]-1``.
    length_m
        Arc length along the road in metres.
    speed_kph
        Free-flow speed in km/h (> 0).
    travel_time_s
        Free-flow travel time in seconds.
    grade
        Road grade, rise over run (0.05 is a 5 % climb in the arc's direction).
    osm_way_id
        OSM way each arc comes from (-1 when unknown).
    geometry_offsets, geometry_lonlat
        Shape points between the end nodes: arc ``a`` bends through
        ``geometry_lonlat[geometry_offsets[a]:geometry_offsets[a+1]]`` (lon, lat).
    """

    #: The contraction hierarchy from :meth:`prepare`, or None before it.
    hierarchy: Hierarchy | None = None

    def __init__(
        self,
        *,
        first_out: npt.ArrayLike,
        head: npt.ArrayLike,
        node_id: npt.ArrayLike,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        length_m: npt.ArrayLike,
        speed_kph: npt.ArrayLike,
        travel_time_s: npt.ArrayLike | None = None,
        grade: npt.ArrayLike | None = None,
        highway_code: npt.ArrayLike | None = None,
        highway_names: Sequence[str] = (),
        osm_way_id: npt.ArrayLike | None = None,
        geometry_offsets: npt.ArrayLike | None = None,
        geometry_lonlat: npt.ArrayLike | None = None,
        elevation_m: npt.ArrayLike | None = None,
    ) -> None:
        """Assemble a network from arrays already in CSR order (see :meth:`from_arrays`)."""
        fo = np.asarray(first_out)
        if fo.ndim != 1 or fo.size == 0 or fo.dtype.kind not in "iu":
            msg = "first_out must be a non-empty 1-D integer array."
            raise NetworkError(msg)
        n = fo.size - 1
        node_count_limit = np.iinfo(np.uint32).max
        if n >= node_count_limit:
            msg = f"{n} nodes is more than ecoroute supports ({node_count_limit - 1})."
            raise NetworkError(msg)
        hd = as_index_array(head, "head", upper=n)
        m = hd.size
        try:
            self._graph = _core.CsrGraph(np.ascontiguousarray(fo, dtype=np.uint32), hd)
        except (ValueError, IndexError) as error:
            raise NetworkError(str(error)) from error

        self.node_id: IntArray = read_only(as_int64_array(node_id, "node_id", size=n))
        self.lat: FloatArray = read_only(
            as_float_array(lat, "lat", size=n, min_value=-90.0, max_value=90.0)
        )
        self.lon: FloatArray = read_only(
            as_float_array(lon, "lon", size=n, min_value=-180.0, max_value=180.0)
        )
        self.elevation_m: FloatArray | None = (
            None
            if elevation_m is None
            else read_only(as_float_array(elevation_m, "elevation_m", size=n, allow_inf=False))
        )

        self.length_m: FloatArray = read_only(
            as_float_array(length_m, "length_m", size=m, min_value=0.0)
        )
        self.speed_kph: FloatArray = read_only(
            as_float_array(
                speed_kph,
                "speed_kph",
                size=m,
                min_value=0.0,
                min_exclusive=True,
                max_value=MAX_SPEED_KPH,
            )
        )
        if travel_time_s is None:
            travel_time_s = self.length_m / (self.speed_kph / 3.6)
        self.travel_time_s: FloatArray = read_only(
            as_float_array(travel_time_s, "travel_time_s", size=m, min_value=0.0)
        )
        self.grade: FloatArray = read_only(
            np.zeros(m)
            if grade is None
            else as_float_array(grade, "grade", size=m, min_value=-1.0, max_value=1.0)
        )

        self.highway_names: tuple[str, ...] = tuple(str(name) for name in highway_names)
        if highway_code is None:
            code = np.full(m, -1, dtype=np.int16)
        else:
            code = np.ascontiguousarray(highway_code, dtype=np.int16)
            if code.shape != (m,) or (
                code.size and (code.min() < -1 or code.max() >= len(self.highway_names))
            ):
                msg = "highway_code must hold one index into highway_names (or -1) per arc."
                raise NetworkError(msg)
        self.highway_code: npt.NDArray[np.int16] = read_only(code)

        self.osm_way_id: IntArray = read_only(
            np.full(m, -1, dtype=np.int64)
            if osm_way_id is None
            else as_int64_array(osm_way_id, "osm_way_id", size=m)
        )

        if geometry_offsets is None:
            offsets = np.zeros(m + 1, dtype=np.int64)
            coords = np.empty((0, 2), dtype=np.float64)
        else:
            offsets = np.ascontiguousarray(geometry_offsets, dtype=np.int64)
            coords = np.ascontiguousarray(geometry_lonlat, dtype=np.float64).reshape(-1, 2)
            if (
                offsets.shape != (m + 1,)
                or offsets[0] != 0
                or offsets[-1] != len(coords)
                or (np.diff(offsets) < 0).any()
            ):
                msg = "geometry_offsets must run from 0 to len(geometry_lonlat) with one step per arc."
                raise NetworkError(msg)
            if not np.isfinite(coords).all():
                msg = "geometry_lonlat holds NaN or infinite coordinates."
                raise NetworkError(msg)
        self.geometry_offsets: IntArray = read_only(offsets)
        self.geometry_lonlat: FloatArray = read_only(coords)

        #: Extra arrays saved with the network (e.g. a prepared hierarchy), by name.
        self.attachments: dict[str, npt.NDArray[Any]] = {}
        self._id_order: npt.NDArray[np.intp] | None = None
        self._sorted_ids: IntArray | None = None
        self._nearest: NearestNodeIndex | None = None
        self._check_unique_ids()

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_arrays(
        cls,
        tail: npt.ArrayLike,
        head: npt.ArrayLike,
        length_m: npt.ArrayLike,
        speed_kph: npt.ArrayLike,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        *,
        node_id: npt.ArrayLike | None = None,
        travel_time_s: npt.ArrayLike | None = None,
        grade: npt.ArrayLike | None = None,
        highway: Sequence[str | None] | npt.ArrayLike | None = None,
        osm_way_id: npt.ArrayLike | None = None,
        geometry: Sequence[shapely.LineString | None] | None = None,
        geometry_offsets: npt.ArrayLike | None = None,
        geometry_lonlat: npt.ArrayLike | None = None,
        elevation_m: npt.ArrayLike | None = None,
    ) -> RoadNetwork:
        """
        Build a network from one entry per arc and one entry per node.

        Parameters
        ----------
        tail, head
            Index (into ``lat``/``lon``) of the node each arc starts and ends at.
        length_m
            Arc lengths in metres (>= 0).
        speed_kph
            Free-flow speeds in km/h (> 0).
        lat, lon
            Node coordinates in degrees (WGS 84).
        node_id
            Id users know each node by (int64); defaults to ``0 .. n - 1``.
        travel_time_s
            Travel times in seconds; defaults to ``length_m / speed``.
        grade
            Grades as rise over run; defaults to 0.
        highway
            OSM highway class of each arc (strings, None for unknown).
        osm_way_id
            OSM way id of each arc.
        geometry
            Shape of each arc as a shapely LineString from tail to head, or None
            for a straight arc.
        geometry_offsets, geometry_lonlat
            The same shapes as flat arrays (instead of ``geometry``): arc ``a``
            bends through ``geometry_lonlat[geometry_offsets[a]:geometry_offsets[a+1]]``
            (lon, lat rows; interior points only, the end nodes excluded).
        elevation_m
            Node elevations in metres.

        Returns
        -------
        RoadNetwork
            Arcs are reordered by tail (stably); attributes follow their arcs.

        Raises
        ------
        NetworkError
            (a ``ValueError``) if any array has the wrong size, NaN values,
            negative lengths or non-positive speeds; ``IndexError`` if ``tail``
            or ``head`` name a node that does not exist.
        """
        lat_array = as_float_array(lat, "lat")
        n = lat_array.size
        tail_array = as_index_array(tail, "tail", upper=n)
        m = tail_array.size
        head_array = as_index_array(head, "head", size=m, upper=n)

        order = np.argsort(tail_array, kind="stable")
        first_out = np.zeros(n + 1, dtype=np.uint32)
        np.cumsum(np.bincount(tail_array, minlength=n), out=first_out[1:])

        def per_arc(values: npt.ArrayLike | None, name: str) -> FloatArray | None:
            if values is None:
                return None
            return as_float_array(values, name, size=m, allow_inf=True)[order]

        length = per_arc(length_m, "length_m")
        speed = per_arc(speed_kph, "speed_kph")
        assert length is not None
        assert speed is not None

        highway_code: npt.NDArray[np.int16] | None = None
        highway_names: tuple[str, ...] = ()
        if highway is not None:
            codes, names = _encode_highway(highway, m)
            highway_code, highway_names = codes[order], names

        offsets, coords = None, None
        if geometry is not None:
            if len(geometry) != m:
                msg = f"geometry must have {m} entries, got {len(geometry)}."
                raise NetworkError(msg)
            offsets, coords = _encode_geometry([geometry[i] for i in order])
        elif geometry_offsets is not None:
            offsets, coords = _reorder_ragged(geometry_offsets, geometry_lonlat, order, m)

        return cls(
            first_out=first_out,
            head=head_array[order],
            node_id=np.arange(n, dtype=np.int64) if node_id is None else node_id,
            lat=lat_array,
            lon=lon,
            length_m=length,
            speed_kph=speed,
            travel_time_s=per_arc(travel_time_s, "travel_time_s"),
            grade=per_arc(grade, "grade"),
            highway_code=highway_code,
            highway_names=highway_names,
            osm_way_id=None
            if osm_way_id is None
            else as_int64_array(osm_way_id, "osm_way_id", size=m)[order],
            geometry_offsets=offsets,
            geometry_lonlat=coords,
            elevation_m=elevation_m,
        )

    @classmethod
    def from_osmnx(cls, G: nx.MultiDiGraph) -> RoadNetwork:
        """
        Build a network from an osmnx graph (or any networkx graph with osmnx attributes).

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
            coordinates.
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
            np.array(elevations, dtype=np.float64)
            if all(e is not None for e in elevations)
            else None
        )

        directed = G.is_directed()
        multi = G.is_multigraph()
        edges: Iterable[tuple[Any, Any, dict[str, Any]]] = (
            ((u, v, d) for u, v, _, d in G.edges(keys=True, data=True))
            if multi
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
                stacklevel=2,
            )
        time_array = np.array(time)
        no_time = np.isnan(time_array)
        time_array[no_time] = length_array[no_time] / (speed_array[no_time] / 3.6)

        return cls.from_arrays(
            tail,
            head,
            length_array,
            speed_array,
            lat,
            lon,
            node_id=node_id,
            travel_time_s=time_array,
            grade=np.array(grade),
            highway=highway,
            osm_way_id=np.array(way, dtype=np.int64),
            geometry=geometry,
            elevation_m=elevation,
        )

    def prepare(
        self,
        *,
        order: npt.ArrayLike | None = None,
        arrays: Mapping[str, npt.ArrayLike] | None = None,
        num_threads: int = 0,
    ) -> Hierarchy:
        """
        Build the contraction hierarchy once; every Router on this network then uses it.

        Afterwards ``Router(network, ...)`` customizes the hierarchy for its
        vehicle (milliseconds) and answers queries and matrices in
        microseconds per route. See :class:`ecoroute.hierarchy.Hierarchy`.

        Parameters
        ----------
        order
            Rebuild from a stored node order (``hierarchy.to_arrays()["order"]``)
            instead of computing one.
        arrays
            Load a hierarchy saved with ``hierarchy.to_arrays()`` (validated,
            nothing recomputed).
        num_threads
            Threads for computing the order; 0 uses every core.

        Returns
        -------
        Hierarchy
            Also kept as ``network.hierarchy``. Without arguments, an existing
            hierarchy is returned as is.
        """
        if self.hierarchy is None or order is not None or arrays is not None:
            from .hierarchy import prepare_network

            self.hierarchy = prepare_network(
                self, order=order, arrays=arrays, num_threads=num_threads
            )
        return self.hierarchy

    # ------------------------------------------------------------------ properties

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return int(self._graph.node_count)

    @property
    def arc_count(self) -> int:
        """Number of arcs (directed road segments)."""
        return int(self._graph.arc_count)

    @property
    def first_out(self) -> npt.NDArray[np.uint32]:
        """CSR offsets (read-only view of the C++ graph)."""
        return self._graph.first_out

    @property
    def tail(self) -> npt.NDArray[np.uint32]:
        """Node index each arc leaves (read-only view of the C++ graph)."""
        return self._graph.tail

    @property
    def head(self) -> npt.NDArray[np.uint32]:
        """Node index each arc enters (read-only view of the C++ graph)."""
        return self._graph.head

    @property
    def highway(self) -> npt.NDArray[np.object_]:
        """OSM highway class of each arc (None where unknown), as an object array."""
        names = np.array([*self.highway_names, None], dtype=object)
        return names[self.highway_code]  # code -1 picks the trailing None

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the topology and every per-arc and per-node array."""
        arrays: list[npt.NDArray[Any]] = [
            self.node_id,
            self.lat,
            self.lon,
            self.length_m,
            self.speed_kph,
            self.travel_time_s,
            self.grade,
            self.highway_code,
            self.osm_way_id,
            self.geometry_offsets,
            self.geometry_lonlat,
        ]
        if self.elevation_m is not None:
            arrays.append(self.elevation_m)
        return int(self._graph.memory_bytes) + sum(a.nbytes for a in arrays)

    def __repr__(self) -> str:
        return f"RoadNetwork(nodes={self.node_count:,}, arcs={self.arc_count:,})"

    # ------------------------------------------------------------------ node lookups

    def node_index(self, ids: npt.ArrayLike) -> npt.NDArray[np.intp]:
        """
        Return the dense index of each node id.

        Raises
        ------
        UnknownNodeError
            (a ``KeyError``) naming the first id that is not in the network.
        """
        wanted = np.asarray(ids)
        if wanted.size and wanted.dtype.kind not in "iu":
            msg = f"Node ids must be integers, not {wanted.dtype}."
            raise TypeError(msg)
        index, found = self.find_nodes(wanted)
        if not found.all():
            missing = int(np.asarray(wanted).ravel()[np.flatnonzero(~found)[0]])
            raise UnknownNodeError(missing)
        return index

    def find_nodes(self, ids: npt.ArrayLike) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
        """
        Return the dense index of each node id and whether it was found (no exception).

        Where ``found`` is False the index is meaningless; batch jobs use this
        to mark bad rows instead of failing the whole batch.
        """
        wanted = np.asarray(ids).astype(np.int64, copy=False).ravel()
        if self._sorted_ids is None:
            self._id_order = np.argsort(self.node_id, kind="stable")
            self._sorted_ids = self.node_id[self._id_order]
        assert self._id_order is not None
        pos = np.minimum(np.searchsorted(self._sorted_ids, wanted), self.node_count - 1)
        found = self._sorted_ids[pos] == wanted
        return self._id_order[pos], found

    def nearest_nodes(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike
    ) -> tuple[npt.NDArray[np.intp], FloatArray]:
        """
        Return the nearest node (dense index) to each point and the distance to it in metres.

        Raises
        ------
        ValueError
            If a coordinate is NaN, infinite or out of range.
        """
        lat_array = as_float_array(np.atleast_1d(lat), "lat", min_value=-90.0, max_value=90.0)
        lon_array = as_float_array(
            np.atleast_1d(lon), "lon", size=lat_array.size, min_value=-180.0, max_value=180.0
        )
        if self._nearest is None:
            self._nearest = NearestNodeIndex(self.lat, self.lon)
        return self._nearest.query(lat_array, lon_array)

    # ------------------------------------------------------------------ geometry

    def path_coordinates(self, arcs: npt.ArrayLike, start_node: int) -> FloatArray:
        """Return the (lon, lat) points along a path given by its arcs, shape points included."""
        arc_array = np.asarray(arcs, dtype=np.int64)
        if arc_array.size == 0:
            point = [self.lon[start_node], self.lat[start_node]]
            return np.array([point, point])
        pieces = [np.array([[self.lon[start_node], self.lat[start_node]]])]
        heads = self.head
        for a in arc_array:
            begin, end = self.geometry_offsets[a], self.geometry_offsets[a + 1]
            if end > begin:
                pieces.append(self.geometry_lonlat[begin:end])
            y = heads[a]
            pieces.append(np.array([[self.lon[y], self.lat[y]]]))
        return np.concatenate(pieces)

    # ------------------------------------------------------------------ saving

    def save(self, path: str | Path) -> Path:
        """
        Save the network to one file that :meth:`load` reads back in well under a second.

        The file holds every array (checksummed, aligned for memory mapping),
        the contraction hierarchy when the network is prepared (:meth:`prepare`),
        and a versioned header; it is written to a temporary file and renamed
        into place, so an interrupted save never leaves a half-written network.
        """
        from . import storage

        arrays: dict[str, npt.NDArray[Any]] = {
            "first_out": np.asarray(self.first_out),
            "head": np.asarray(self.head),
            "node_id": self.node_id,
            "lat": self.lat,
            "lon": self.lon,
            "length_m": self.length_m,
            "speed_kph": self.speed_kph,
            "travel_time_s": self.travel_time_s,
            "grade": self.grade,
            "highway_code": self.highway_code,
            "osm_way_id": self.osm_way_id,
            "geometry_offsets": self.geometry_offsets,
            "geometry_lonlat": self.geometry_lonlat,
        }
        if self.elevation_m is not None:
            arrays["elevation_m"] = self.elevation_m
        for name, array in self.attachments.items():
            arrays[f"attachment/{name}"] = array
        if self.hierarchy is not None:
            for name, array in self.hierarchy.to_arrays().items():
                arrays[f"hierarchy/{name}"] = np.asarray(array)
        meta = {
            "highway_names": list(self.highway_names),
            "node_count": self.node_count,
            "arc_count": self.arc_count,
            "ecoroute_version": _version(),
        }
        return storage.write(path, arrays, meta)

    @classmethod
    def load(cls, path: str | Path, *, verify: bool = True) -> RoadNetwork:
        """
        Load a network saved with :meth:`save`; arrays are memory-mapped, not copied.

        Parameters
        ----------
        path
            The saved network.
        verify
            Check every array against its checksum (reads the whole file once).

        Raises
        ------
        NetworkFileError
            (a ``ValueError``) if the file is not an ecoroute network, comes
            from another format version, is truncated or corrupted.
        """
        from . import storage

        arrays, meta = storage.read(path, verify=verify)
        try:
            network = cls(
                first_out=arrays["first_out"],
                head=arrays["head"],
                node_id=arrays["node_id"],
                lat=arrays["lat"],
                lon=arrays["lon"],
                length_m=arrays["length_m"],
                speed_kph=arrays["speed_kph"],
                travel_time_s=arrays["travel_time_s"],
                grade=arrays["grade"],
                highway_code=arrays["highway_code"],
                highway_names=meta.get("highway_names", []),
                osm_way_id=arrays["osm_way_id"],
                geometry_offsets=arrays["geometry_offsets"],
                geometry_lonlat=arrays["geometry_lonlat"],
                elevation_m=arrays.get("elevation_m"),
            )
        except KeyError as error:
            msg = f"{path} lacks the array {error}; it is not a complete ecoroute network."
            raise storage.NetworkFileError(msg) from error
        except (ValueError, IndexError) as error:
            msg = f"{path} holds an invalid network: {error}"
            raise storage.NetworkFileError(msg) from error
        prefix = "attachment/"
        network.attachments = {
            k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)
        }
        hierarchy = {k.split("/", 1)[1]: v for k, v in arrays.items() if k.startswith("hierarchy/")}
        if hierarchy:
            try:
                network.prepare(arrays=hierarchy)
            except (ValueError, IndexError) as error:
                msg = f"{path} holds an invalid contraction hierarchy: {error}"
                raise storage.NetworkFileError(msg) from error
        return network

    # ------------------------------------------------------------------ elevation

    def add_elevation(
        self, dem_paths: Iterable[str | Path] | str | Path, **options: float
    ) -> RoadNetwork:
        """
        Set node elevations and arc grades from DEM tiles (SRTM .hgt, zipped or not, GeoTIFF).

        Updates this network in place and returns it. See
        :func:`ecoroute.elevation.add_elevation` for the method (along-road
        smoothing, grades consistent with elevations, clipping) and options.
        """
        from .elevation import add_elevation

        return add_elevation(self, dem_paths, **options)

    def _set_elevation(self, elevation_m: npt.ArrayLike, grade: npt.ArrayLike) -> None:
        self.elevation_m = read_only(
            as_float_array(elevation_m, "elevation_m", size=self.node_count)
        )
        self.grade = read_only(
            as_float_array(grade, "grade", size=self.arc_count, min_value=-1.0, max_value=1.0)
        )

    def paths_coordinates(
        self,
        start_nodes: npt.ArrayLike,
        path_offsets: npt.ArrayLike,
        path_arcs: npt.ArrayLike,
    ) -> tuple[FloatArray, IntArray]:
        """
        Return the (lon, lat) points of many paths at once, vectorised.

        Path ``i`` starts at dense node ``start_nodes[i]`` and follows arcs
        ``path_arcs[path_offsets[i]:path_offsets[i + 1]]``. The points of path
        ``i`` are ``coords[offsets[i]:offsets[i + 1]]``: the start node, then
        each arc's shape points and head. A path without arcs is its start
        node twice (a degenerate line).
        """
        starts = np.asarray(start_nodes, dtype=np.int64)
        offsets = np.asarray(path_offsets, dtype=np.int64)
        arcs = np.asarray(path_arcs, dtype=np.int64)
        shape_count = np.diff(self.geometry_offsets)
        per_arc = shape_count[arcs] + 1  # shape points, then the head
        arcs_per_path = np.diff(offsets)
        arc_points = np.repeat(arcs, per_arc)
        within = np.arange(arc_points.size) - np.repeat(np.cumsum(per_arc) - per_arc, per_arc)
        is_head = within == shape_count[arc_points]
        row = np.minimum(
            self.geometry_offsets[arc_points] + within, max(len(self.geometry_lonlat) - 1, 0)
        )
        heads = self.head[arc_points].astype(np.int64)
        body = np.empty((arc_points.size, 2))
        if len(self.geometry_lonlat):
            body[:] = self.geometry_lonlat[row]
        body[is_head, 0] = self.lon[heads[is_head]]
        body[is_head, 1] = self.lat[heads[is_head]]

        # Points per path: the start node, its arcs' points (or the start again if it has none).
        body_per_path = (
            np.add.reduceat(per_arc, offsets[:-1]) if arcs.size else np.zeros(starts.size, np.int64)
        )
        body_per_path = np.where(arcs_per_path > 0, body_per_path, 0)
        counts = 1 + np.where(arcs_per_path > 0, body_per_path, 1)
        out_offsets = np.zeros(starts.size + 1, dtype=np.int64)
        np.cumsum(counts, out=out_offsets[1:])
        coords = np.empty((out_offsets[-1], 2))
        coords[out_offsets[:-1], 0] = self.lon[starts]
        coords[out_offsets[:-1], 1] = self.lat[starts]
        empty = arcs_per_path == 0
        coords[out_offsets[:-1][empty] + 1, 0] = self.lon[starts[empty]]
        coords[out_offsets[:-1][empty] + 1, 1] = self.lat[starts[empty]]
        body_slot = np.ones(out_offsets[-1], dtype=bool)
        body_slot[out_offsets[:-1]] = False
        body_slot[out_offsets[:-1][empty] + 1] = False
        coords[body_slot] = body
        return coords, out_offsets

    # ------------------------------------------------------------------ conversion

    def to_osmnx(self) -> nx.MultiDiGraph:
        """
        Return the network as an osmnx-style ``networkx.MultiDiGraph``.

        Nodes carry ``x``, ``y`` (and ``elevation``); edges carry ``osmid``,
        ``length``, ``speed_kph``, ``travel_time``, ``grade``, ``highway`` and,
        for arcs with shape points, a shapely ``geometry``. Parallel arcs get
        keys 0, 1, ...; the graph's ``crs`` is ``epsg:4326``.
        """
        import networkx as nx
        import shapely

        graph = nx.MultiDiGraph(crs="epsg:4326", created_with="ecoroute")
        ids = self.node_id.tolist()
        lon, lat = self.lon.tolist(), self.lat.tolist()
        elevation = None if self.elevation_m is None else self.elevation_m.tolist()
        graph.add_nodes_from(
            (
                ids[i],
                {"x": lon[i], "y": lat[i]}
                | ({} if elevation is None else {"elevation": elevation[i]}),
            )
            for i in range(self.node_count)
        )
        tail, head = self.tail.tolist(), self.head.tolist()
        highway = self.highway.tolist()
        seen: dict[tuple[int, int], int] = {}
        for a in range(self.arc_count):
            u, v = ids[tail[a]], ids[head[a]]
            key = seen.get((u, v), 0)
            seen[(u, v)] = key + 1
            data: dict[str, Any] = {
                "length": float(self.length_m[a]),
                "speed_kph": float(self.speed_kph[a]),
                "travel_time": float(self.travel_time_s[a]),
                "grade": float(self.grade[a]),
            }
            if self.osm_way_id[a] >= 0:
                data["osmid"] = int(self.osm_way_id[a])
            if highway[a] is not None:
                data["highway"] = highway[a]
            if self.geometry_offsets[a + 1] > self.geometry_offsets[a]:
                data["geometry"] = shapely.LineString(self.path_coordinates([a], tail[a]))
            graph.add_edge(u, v, key=key, **data)
        return graph

    # ------------------------------------------------------------------ internals

    def _check_unique_ids(self) -> None:
        if self.node_count > 1:
            ordered = np.sort(self.node_id)
            duplicate = np.flatnonzero(ordered[1:] == ordered[:-1])
            if duplicate.size:
                msg = f"node_id must be unique; {int(ordered[duplicate[0]])} appears twice."
                raise NetworkError(msg)


def _version() -> str:
    from . import __version__

    return __version__


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


def _encode_highway(values: Any, m: int) -> tuple[npt.NDArray[np.int16], tuple[str, ...]]:
    """Encode highway classes as small integer codes into a tuple of names (-1 = unknown)."""
    names_in = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else str(_first(v))
        for v in values
    ]
    if len(names_in) != m:
        msg = f"highway must have {m} entries, got {len(names_in)}."
        raise NetworkError(msg)
    names = tuple(sorted({name for name in names_in if name is not None}))
    index = {name: i for i, name in enumerate(names)}
    codes = np.array([-1 if name is None else index[name] for name in names_in], dtype=np.int16)
    return codes, names


def _encode_geometry(shapes: Sequence[Any]) -> tuple[IntArray, FloatArray]:
    """Keep the interior points of each LineString (the end points are the nodes)."""
    counts = np.zeros(len(shapes), dtype=np.int64)
    pieces: list[FloatArray] = []
    for i, shape in enumerate(shapes):
        if shape is None:
            continue
        coords = np.asarray(shape.coords, dtype=np.float64)[:, :2]
        interior = coords[1:-1]
        if interior.size:
            counts[i] = len(interior)
            pieces.append(interior)
    offsets = np.zeros(len(shapes) + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    coords_all = np.concatenate(pieces) if pieces else np.empty((0, 2))
    return offsets, coords_all


def _reorder_ragged(
    offsets: npt.ArrayLike, coords: npt.ArrayLike | None, order: npt.NDArray[np.intp], m: int
) -> tuple[IntArray, FloatArray]:
    """Permute ragged per-arc shape points (CSR offsets + rows) into ``order``."""
    offsets = np.asarray(offsets, dtype=np.int64)
    rows = np.asarray(coords if coords is not None else np.empty((0, 2)), dtype=np.float64).reshape(
        -1, 2
    )
    if (
        offsets.shape != (m + 1,)
        or offsets[0] != 0
        or offsets[-1] != len(rows)
        or (np.diff(offsets) < 0).any()
    ):
        msg = "geometry_offsets must run from 0 to len(geometry_lonlat) with one step per arc."
        raise NetworkError(msg)
    counts = np.diff(offsets)[order]
    new_offsets = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(counts, out=new_offsets[1:])
    starts = offsets[:-1][order]
    # Row of every output shape point: its arc's first row plus its rank within the arc.
    within = np.arange(new_offsets[-1]) - np.repeat(new_offsets[:-1], counts)
    return new_offsets, rows[np.repeat(starts, counts) + within]


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
