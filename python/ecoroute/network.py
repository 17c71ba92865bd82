"""The routable road network: an immutable value of CSR topology plus per-arc and per-node arrays."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import numpy.typing as npt

from . import _checks, _core, elevation, osmnx_io, storage
from ._errors import NetworkError, NetworkFileError, UnknownNodeError
from ._geo import NearestNodeIndex
from ._validate import as_float_array, as_index_array, as_int64_array
from .hierarchy import prepare_network
from .speeds import MAX_SPEED_KPH

if TYPE_CHECKING:
    import networkx as nx
    import shapely

    from .hierarchy import Hierarchy

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Attributes :meth:`RoadNetwork.replace` can change (the topology and the node ids and
#: coordinates cannot: they define the graph and its node lookups).
REPLACEABLE = (
    "length_m",
    "speed_kph",
    "travel_time_s",
    "grade",
    "elevation_m",
    "highway_code",
    "highway_names",
    "osm_way_id",
    "geometry_offsets",
    "geometry_lonlat",
)


@dataclass
class _Lookups:
    """Node lookups built on first use from a network's (immutable) node ids and coordinates."""

    id_order: npt.NDArray[np.intp] | None = None
    sorted_ids: IntArray | None = None
    nearest: NearestNodeIndex | None = None


class RoadNetwork:
    """
    A routable road network: a directed graph with per-arc and per-node attributes.

    Arc ``a`` runs from node ``tail[a]`` to node ``head[a]``; arcs are stored in
    compressed sparse row order (grouped by tail): the arcs leaving node ``x``
    are ``first_out[x] .. first_out[x + 1] - 1``, and every per-arc array is
    aligned with that order. Nodes are dense indices ``0 .. node_count - 1``;
    ``node_id[i]`` is the id users know node ``i`` by (the OSM node id for OSM
    data). Parallel arcs (two roads between the same junctions) are all kept:
    each search takes whichever is cheapest for its own weight.

    A network is an immutable value. It copies the arrays it is built from
    (the caller's arrays stay the caller's, writable, and changing them never
    changes the network), every array it exposes is read-only, and every
    operation that changes data returns a new network (:meth:`replace`,
    :meth:`with_elevation`, :meth:`prepared`, :meth:`with_attachments`)
    that shares the unchanged arrays. A :class:`ecoroute.Router` built on a
    network therefore always sees the data it was built from, and any number
    of Routers and threads can share one network.

    Build one with :meth:`from_arrays`, :meth:`from_osmnx`,
    :func:`ecoroute.load_osm`, :func:`ecoroute.read_dimacs` or :meth:`load`.

    Attributes
    ----------
    node_id
        Id of each node (int64), e.g. the OSM node id.
    lat, lon
        Node coordinates in degrees (WGS 84).
    elevation_m
        Node elevation in metres, or None when unknown.
    first_out
        CSR offsets (uint32, ``node_count + 1`` entries).
    tail, head
        Dense node index at which each arc starts and ends (uint32).
    length_m
        Arc length along the road in metres.
    speed_kph
        Free-flow speed in km/h (> 0).
    travel_time_s
        Free-flow travel time in seconds.
    grade
        Road grade, rise over run (0.05 is a 5 % climb in the arc's direction).
    highway_code, highway_names
        OSM highway class of each arc as an index into ``highway_names``
        (-1 when unknown); :attr:`highway` decodes it.
    osm_way_id
        OSM way each arc comes from (-1 when unknown).
    geometry_offsets, geometry_lonlat
        Shape points between the end nodes: arc ``a`` bends through
        ``geometry_lonlat[geometry_offsets[a]:geometry_offsets[a+1]]`` (lon, lat).
    hierarchy
        The contraction hierarchy (:class:`ecoroute.Hierarchy`) of a network
        returned by :meth:`prepared`, or None.
    attachments
        Extra named arrays saved with the network (read-only mapping).
    """

    # Declared for type checkers; set once, in __init__ or _evolve, through __dict__.
    _graph: _core.CsrGraph
    _lookups: _Lookups
    hierarchy: Hierarchy | None
    attachments: Mapping[str, npt.NDArray[Any]]
    node_id: IntArray
    lat: FloatArray
    lon: FloatArray
    elevation_m: FloatArray | None
    length_m: FloatArray
    speed_kph: FloatArray
    travel_time_s: FloatArray
    grade: FloatArray
    highway_code: npt.NDArray[np.int16]
    highway_names: tuple[str, ...]
    osm_way_id: IntArray
    geometry_offsets: IntArray
    geometry_lonlat: FloatArray

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
        attachments: Mapping[str, npt.ArrayLike] | None = None,
        copy: bool = True,
    ) -> None:
        """
        Assemble a network from arrays already in CSR order (see :meth:`from_arrays`).

        With ``copy=False`` arrays that can never change (read-only views of a
        read-only buffer, such as the memory maps :meth:`load` makes) are kept
        without copying; every other array is copied all the same.
        """
        fo = np.asarray(first_out)
        if fo.ndim != 1 or fo.size == 0 or fo.dtype.kind not in "iu":
            msg = "first_out must be a non-empty 1-D integer array."
            raise NetworkError(msg)
        n = fo.size - 1
        node_count_limit = np.iinfo(np.uint32).max
        if n >= node_count_limit:
            msg = f"{n} nodes is more than ecoroute supports ({node_count_limit - 1})."
            raise NetworkError(msg)
        if fo.size and (int(fo.min()) < 0 or int(fo.max()) > node_count_limit):
            msg = "first_out holds offsets outside 0..2**32-1."
            raise NetworkError(msg)
        hd = as_index_array(head, "head", upper=n)
        try:  # the C++ graph copies both arrays
            graph = _core.CsrGraph(np.ascontiguousarray(fo, dtype=np.uint32), hd)
        except (ValueError, IndexError) as error:
            raise NetworkError(str(error)) from error
        m = int(graph.arc_count)

        fields: dict[str, Any] = {
            "_graph": graph,
            "_lookups": _Lookups(),
            "hierarchy": None,
            "node_id": _frozen(as_int64_array(node_id, "node_id", size=n), copy),
            "lat": _frozen(
                as_float_array(lat, "lat", size=n, min_value=-90.0, max_value=90.0), copy
            ),
            "lon": _frozen(
                as_float_array(lon, "lon", size=n, min_value=-180.0, max_value=180.0), copy
            ),
        }
        fields.update(
            _attribute_fields(
                n,
                m,
                {
                    "length_m": length_m,
                    "speed_kph": speed_kph,
                    "travel_time_s": travel_time_s,
                    "grade": grade,
                    "elevation_m": elevation_m,
                    "highway_code": highway_code,
                    "highway_names": highway_names,
                    "osm_way_id": osm_way_id,
                    "geometry_offsets": geometry_offsets,
                    "geometry_lonlat": geometry_lonlat,
                },
                copy=copy,
            )
        )
        fields["attachments"] = _frozen_attachments(attachments or {}, copy=copy)
        self.__dict__.update(fields)
        _check_unique_ids(self.node_id)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        msg = (
            f"RoadNetwork is immutable: cannot set {name!r}. Use replace(), with_elevation(), "
            "prepared() or with_attachments(), which return a new network."
        )
        raise AttributeError(msg)

    def __delattr__(self, name: str) -> NoReturn:
        msg = f"RoadNetwork is immutable: cannot delete {name!r}."
        raise AttributeError(msg)

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
        forbidden_turns: npt.ArrayLike | None = None,
    ) -> RoadNetwork:
        """
        Build a network from one entry per arc and one entry per node.

        Every array is copied: the caller's arrays stay writable and changing
        them later does not change the network.

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
        forbidden_turns
            Turns no route may take, as ``(from_arc, to_arc)`` pairs of arc
            positions in the arrays given here (``head[from_arc] ==
            tail[to_arc]``). When given (even empty), the network carries turn
            restrictions (:func:`ecoroute.turns.attach`) and every Router on it
            runs on the turn-expanded graph: U-turns are then allowed only at
            dead ends (docs/turns.md). ``None`` (default): a node-based network.

        Returns
        -------
        RoadNetwork
            Arcs are reordered by tail (stably); attributes follow their arcs.

        Raises
        ------
        NetworkError
            (a ``ValueError``) if any array has the wrong size, NaN values,
            negative lengths or non-positive speeds, or a forbidden turn names
            an arc that does not exist or two arcs that do not meet;
            ``IndexError`` if ``tail`` or ``head`` name a node that does not exist.
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

        pairs = None
        if forbidden_turns is not None:
            pairs = _forbidden_turn_pairs(forbidden_turns, tail_array, head_array)
            new_position = np.empty(m, dtype=np.int64)
            new_position[order] = np.arange(m)
            pairs = new_position[pairs]

        network = cls(
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
        if pairs is None:
            return network
        from . import turns

        return turns.attach(network, turns.TurnRestrictions.from_arc_pairs(network, pairs))

    @classmethod
    def from_osmnx(cls, G: nx.MultiDiGraph) -> RoadNetwork:
        """
        Build a network from an osmnx graph (or any networkx graph with osmnx attributes).

        See :func:`ecoroute.osmnx_io.network_arrays` for the attributes used;
        every edge becomes an arc, parallel edges included. The legal
        attributes :meth:`to_osmnx` writes (``access_hgv``, ``maxheight_m``...)
        are read back, so trucks keep their closures through networkx.

        Raises
        ------
        NetworkError
            If the graph is empty, projected, or has nodes without coordinates.
        """
        arrays = osmnx_io.network_arrays(G)
        network = cls.from_arrays(**arrays)
        legal = osmnx_io.legal_arrays(G)  # what to_osmnx wrote of the rules, if anything
        if legal is None:
            return network
        order = np.argsort(arrays["tail"], kind="stable")  # the arc order from_arrays chose
        per_network = ("legal.access_tags", "legal.country")  # tables, not one value per arc
        return network.with_attachments(
            **{
                name: values if name in per_network else values[order]
                for name, values in legal.items()
            }
        )

    def to_osmnx(self) -> nx.MultiDiGraph:
        """Return the network as an osmnx-style graph (see :func:`ecoroute.osmnx_io.to_osmnx`)."""
        return osmnx_io.to_osmnx(self)

    @classmethod
    def load(cls, path: str | Path, *, verify: bool = True) -> RoadNetwork:
        """
        Load a network saved with :meth:`save`; arrays are memory-mapped, not copied.

        The file is opened once and mapped once, so a concurrent :meth:`save`
        to the same path (which writes a new file and renames it into place)
        is never seen half-way. Do not overwrite a loaded file in place (as
        ``cp`` does): replace it with a rename (``mv``), as :meth:`save` does.

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
            from another format version, is truncated or corrupted, or its
            header is inconsistent (the message names the field), or an
            array holds an index or code out of range, even under a valid
            checksum (the message names the array, the value and where).
        """
        saved = storage.read_network(path, verify=verify)
        arrays: dict[str, Any] = saved.arrays
        try:
            network = cls(**arrays, highway_names=saved.highway_names, copy=False)
            if saved.attachments:
                network = network.with_attachments(**saved.attachments)
        except (ValueError, IndexError, TypeError) as error:
            msg = f"{path} holds an invalid network: {error}"
            raise NetworkFileError(msg) from error
        _checks.check_attachments(path, network)
        if saved.hierarchy is not None:
            try:
                network = network.prepared(arrays=saved.hierarchy)
            except (ValueError, IndexError, TypeError) as error:
                msg = f"{path} holds an invalid contraction hierarchy: {error}"
                raise NetworkFileError(msg) from error
        return network

    def save(self, path: str | Path) -> Path:
        """
        Save the network to one file that :meth:`load` reads back in well under a second.

        The file holds every array (checksummed, aligned for memory mapping),
        the contraction hierarchy of a prepared network, the attachments and a
        versioned header. It is always written to a new temporary file in the
        same folder and renamed into place, never written in place: an
        interrupted save leaves any earlier file intact, and a process loading
        the path meanwhile sees either the old network or the new one.
        """
        return storage.save(self, path)

    # ------------------------------------------------------------------ new networks

    def replace(self, **changes: Any) -> RoadNetwork:
        """
        Return a new network with some attribute arrays replaced; this one is unchanged.

        The topology, node ids and coordinates are shared (so is the
        contraction hierarchy, which depends on the topology only); the new
        arrays are validated and copied as in the constructor.

        Parameters
        ----------
        **changes
            Any of ``length_m``, ``speed_kph``, ``travel_time_s``, ``grade``,
            ``elevation_m`` (None removes them), ``highway_code`` with
            ``highway_names``, ``osm_way_id``, ``geometry_offsets`` with
            ``geometry_lonlat``. When ``length_m`` or ``speed_kph`` change and
            ``travel_time_s`` is not given, travel times are recomputed.
        """
        unknown = sorted(set(changes) - set(REPLACEABLE))
        if unknown:
            msg = (
                f"replace() cannot change {', '.join(unknown)}; it changes only "
                f"{', '.join(REPLACEABLE)}. Build a new network with from_arrays() instead."
            )
            raise TypeError(msg)
        inputs: dict[str, Any] = {name: getattr(self, name) for name in REPLACEABLE}
        if ("length_m" in changes or "speed_kph" in changes) and "travel_time_s" not in changes:
            inputs["travel_time_s"] = None
        if "highway_code" in changes and "highway_names" not in changes:
            inputs["highway_names"] = ()
        if "geometry_offsets" in changes and "geometry_lonlat" not in changes:
            inputs["geometry_lonlat"] = None
        inputs.update(changes)
        fields = _attribute_fields(self.node_count, self.arc_count, inputs, copy=True)
        for name in REPLACEABLE:  # share what did not change (validated all the same)
            if inputs[name] is getattr(self, name):
                fields[name] = getattr(self, name)
        return self._evolve(**fields)

    def with_elevation(
        self, dem_paths: Iterable[str | Path] | str | Path, **options: float
    ) -> RoadNetwork:
        """
        Return a new network with node elevations and arc grades from DEM tiles.

        SRTM ``.hgt`` files (zipped or not) and GeoTIFFs are read; see
        :func:`ecoroute.elevation.with_elevation` for the method (along-road
        smoothing, grades consistent with elevations, clipping) and options.
        This network is unchanged.
        """
        return elevation.with_elevation(self, dem_paths, **options)

    def with_speeds(self, speeds: Any, **options: Any) -> RoadNetwork:
        """
        Return a new network carrying hour-of-week speed profiles (this one is unchanged).

        ``speeds`` is a table from :func:`ecoroute.read_speeds` (mapped onto the
        arcs by :func:`ecoroute.traffic.with_speeds`, which takes ``options``)
        or a :class:`ecoroute.traffic.SpeedProfiles`. Every Router on the new
        network routes with them when given a ``departure=``, and ``save``
        keeps them (see docs/traffic.md).
        """
        from . import traffic

        profiles = (
            speeds
            if isinstance(speeds, traffic.SpeedProfiles)
            else traffic.with_speeds(self, speeds, **options)
        )
        return traffic.attach_speeds(self, profiles)

    def add_elevation(
        self, dem_paths: Iterable[str | Path] | str | Path, **options: float
    ) -> RoadNetwork:
        """
        Deprecated alias of :meth:`with_elevation`: returns the new network.

        Unlike before, this network is no longer changed in place: use the
        returned network (``network = network.with_elevation(dem)``).
        """
        warnings.warn(
            "RoadNetwork.add_elevation() is deprecated and no longer changes the network in "
            "place: use network = network.with_elevation(dem_paths).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.with_elevation(dem_paths, **options)

    def prepared(
        self,
        *,
        order: npt.ArrayLike | None = None,
        arrays: Mapping[str, npt.ArrayLike] | None = None,
        num_threads: int = 0,
        progress: bool | None = None,
    ) -> RoadNetwork:
        """
        Return this network with its contraction hierarchy (a new network; this one is unchanged).

        A ``Router`` on the returned network customizes the hierarchy for its
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
        progress
            A progress bar over the steps (node order, contraction): None
            (the default) on a terminal only, unless ``ECOROUTE_QUIET`` is
            set (``ecoroute --quiet``); True always; False never.

        Returns
        -------
        RoadNetwork
            With ``hierarchy`` set. A network that is already prepared is
            returned as it is when neither ``order`` nor ``arrays`` is given.
        """
        if self.hierarchy is not None and order is None and arrays is None:
            return self
        hierarchy = prepare_network(
            self, order=order, arrays=arrays, num_threads=num_threads, progress=progress
        )
        return self._evolve(hierarchy=hierarchy)

    def prepare(
        self,
        *,
        order: npt.ArrayLike | None = None,
        arrays: Mapping[str, npt.ArrayLike] | None = None,
        num_threads: int = 0,
    ) -> Hierarchy:
        """
        Deprecated: use :meth:`prepared`, which returns a new, prepared network.

        Kept working for old callers: builds the hierarchy, attaches it to this
        network and returns it. This is the one change a network still
        accepts: the hierarchy is an index derived from the topology alone, so
        no array changes, and Routers built earlier keep the search they were
        built with.
        """
        warnings.warn(
            "RoadNetwork.prepare() is deprecated: use network = network.prepared(), which "
            "returns a new network carrying the contraction hierarchy.",
            DeprecationWarning,
            stacklevel=2,
        )
        hierarchy = self.prepared(order=order, arrays=arrays, num_threads=num_threads).hierarchy
        assert hierarchy is not None
        self.__dict__["hierarchy"] = hierarchy
        return hierarchy

    def with_hierarchy(self, hierarchy: Hierarchy | None) -> RoadNetwork:
        """
        Return a new network carrying ``hierarchy`` (or none); this one is unchanged.

        The hierarchy must have been built for this network's topology: by
        :meth:`prepared` on this network or on one it was derived from with
        :meth:`replace`, :meth:`with_elevation` or :meth:`with_attachments`.
        """
        if hierarchy is not None and hierarchy.node_count != self.node_count:
            msg = (
                f"the hierarchy has {hierarchy.node_count} nodes, the network {self.node_count}; "
                "it belongs to another network."
            )
            raise NetworkError(msg)
        return self._evolve(hierarchy=hierarchy)

    def with_attachments(self, **arrays: npt.ArrayLike) -> RoadNetwork:
        """Return a new network with extra named arrays (copied) saved along with it."""
        merged = {**self.attachments, **_frozen_attachments(arrays, copy=True)}
        return self._evolve(attachments=MappingProxyType(merged))

    def without_attachments(self, *prefixes: str) -> RoadNetwork:
        """
        Return a new network without the attachments whose names start with ``prefixes``.

        ``network.without_attachments("legal.")`` is the same roads with no rules
        of the map (every vehicle may drive every arc at any size), e.g. to
        compare with a router that knows no rules; ``"turns."`` drops turn data.
        """
        kept = {k: v for k, v in self.attachments.items() if not k.startswith(prefixes)}
        return self._evolve(attachments=MappingProxyType(kept))

    def _evolve(self, **fields: Any) -> RoadNetwork:
        """A new network sharing this one's arrays, with ``fields`` replaced."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.update(fields)
        return new

    # ------------------------------------------------------------------ properties

    @property
    def graph(self) -> _core.CsrGraph:
        """The C++ CSR graph (what searches and hierarchies are built on)."""
        return self._graph

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
        prepared = ", prepared" if self.hierarchy is not None else ""
        return f"RoadNetwork(nodes={self.node_count:,}, arcs={self.arc_count:,}{prepared})"

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
        id_order, sorted_ids = self._id_lookup()
        pos = np.minimum(np.searchsorted(sorted_ids, wanted), self.node_count - 1)
        found = sorted_ids[pos] == wanted
        return id_order[pos], found

    def node_index_of(self, node_id: int) -> int:
        """
        Return the dense index of one node id (the scalar fast path of :meth:`node_index`).

        Raises
        ------
        UnknownNodeError
            (a ``KeyError``) if the id is not in the network.
        """
        id_order, sorted_ids = self._id_lookup()
        if not -(2**63) <= node_id < 2**63:
            raise UnknownNodeError(node_id)
        position = int(sorted_ids.searchsorted(node_id))
        if position == sorted_ids.size or sorted_ids[position] != node_id:
            raise UnknownNodeError(node_id)
        return int(id_order[position])

    def _id_lookup(self) -> tuple[npt.NDArray[np.intp], IntArray]:
        """Node ids sorted, and the index of each: built once per network, on first use."""
        lookups = self._lookups
        if lookups.id_order is None or lookups.sorted_ids is None:
            lookups.id_order = np.argsort(self.node_id, kind="stable")
            lookups.sorted_ids = self.node_id[lookups.id_order]
        return lookups.id_order, lookups.sorted_ids

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
        lookups = self._lookups
        if lookups.nearest is None:
            lookups.nearest = NearestNodeIndex(self.lat, self.lon)
        return lookups.nearest.query(lat_array, lon_array)

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


# ---------------------------------------------------------------------- validation


def _frozen(array: npt.NDArray[Any], copy: bool) -> npt.NDArray[Any]:
    """
    Return a read-only array that nobody else can change: ``array`` itself or a copy.

    An array is kept (``copy=False``) only when it is read-only, no array it
    views is writable, and the memory underneath is a read-only buffer (a
    memory map opened read-only, bytes); a read-only flag alone is not enough,
    since the owner of a writable base can still change the data.
    """
    if copy or not _is_immutable(array):
        array = np.array(array, copy=True, order="C")
    array.flags.writeable = False
    return array


def _is_immutable(array: npt.NDArray[Any]) -> bool:
    base: object = array
    while isinstance(base, np.ndarray):
        if base.flags.writeable:
            return False
        base = base.base
    if base is None:  # a read-only array owning its data can be made writable again
        return False
    try:
        with memoryview(base) as view:  # type: ignore[arg-type]
            return bool(view.readonly)
    except TypeError:
        return False


def _attribute_fields(n: int, m: int, inputs: Mapping[str, Any], *, copy: bool) -> dict[str, Any]:
    """Validate the per-arc and per-node attributes (all of :data:`REPLACEABLE`)."""
    length = _frozen(as_float_array(inputs["length_m"], "length_m", size=m, min_value=0.0), copy)
    speed = _frozen(
        as_float_array(
            inputs["speed_kph"],
            "speed_kph",
            size=m,
            min_value=0.0,
            min_exclusive=True,
            max_value=MAX_SPEED_KPH,
        ),
        copy,
    )
    time = inputs["travel_time_s"]
    if time is None:
        time = length / (speed / 3.6)
    grade = inputs["grade"]
    elevation = inputs["elevation_m"]
    fields: dict[str, Any] = {
        "length_m": length,
        "speed_kph": speed,
        "travel_time_s": _frozen(
            as_float_array(time, "travel_time_s", size=m, min_value=0.0), copy
        ),
        "grade": _frozen(
            np.zeros(m)
            if grade is None
            else as_float_array(grade, "grade", size=m, min_value=-1.0, max_value=1.0),
            copy,
        ),
        "elevation_m": None
        if elevation is None
        else _frozen(as_float_array(elevation, "elevation_m", size=n, allow_inf=False), copy),
    }

    names = inputs["highway_names"]
    if isinstance(names, str) or not all(isinstance(name, str) for name in names):
        msg = "highway_names must be a sequence of strings."
        raise NetworkError(msg)
    fields["highway_names"] = tuple(names)
    code_in = inputs["highway_code"]
    if code_in is None:
        code = np.full(m, -1, dtype=np.int16)
    else:
        raw = np.asarray(code_in)
        if raw.size and raw.dtype.kind not in "iu":
            msg = f"highway_code must hold integers, not {raw.dtype}."
            raise NetworkError(msg)
        if raw.shape != (m,) or (
            raw.size and (int(raw.min()) < -1 or int(raw.max()) >= len(fields["highway_names"]))
        ):
            msg = "highway_code must hold one index into highway_names (or -1) per arc."
            raise NetworkError(msg)
        code = raw.astype(np.int16, copy=False)
    fields["highway_code"] = _frozen(code, copy)

    way = inputs["osm_way_id"]
    fields["osm_way_id"] = _frozen(
        np.full(m, -1, dtype=np.int64)
        if way is None
        else as_int64_array(way, "osm_way_id", size=m),
        copy,
    )

    offsets_in = inputs["geometry_offsets"]
    if offsets_in is None:
        offsets = np.zeros(m + 1, dtype=np.int64)
        coords = np.empty((0, 2), dtype=np.float64)
    else:
        offsets = as_int64_array(offsets_in, "geometry_offsets")
        coords_in = inputs["geometry_lonlat"]
        coords = np.asarray(np.empty((0, 2)) if coords_in is None else coords_in)
        if coords.dtype.kind not in "biuf" or coords.size % 2:
            msg = "geometry_lonlat must be numeric (lon, lat) rows."
            raise NetworkError(msg)
        coords = np.ascontiguousarray(coords, dtype=np.float64).reshape(-1, 2)
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
    fields["geometry_offsets"] = _frozen(offsets, copy)
    fields["geometry_lonlat"] = _frozen(coords, copy)
    return fields


def _frozen_attachments(
    arrays: Mapping[str, npt.ArrayLike], *, copy: bool
) -> Mapping[str, npt.NDArray[Any]]:
    out: dict[str, npt.NDArray[Any]] = {}
    for name, values in arrays.items():
        if not isinstance(name, str) or not name or "/" in name:
            msg = f"attachment names must be non-empty strings without '/', not {name!r}."
            raise NetworkError(msg)
        array = np.asarray(values)
        if array.dtype.hasobject:
            msg = f"attachment {name!r} holds Python objects; only numeric arrays can be saved."
            raise NetworkError(msg)
        out[name] = _frozen(array, copy)
    return MappingProxyType(out)


def _check_unique_ids(node_id: IntArray) -> None:
    if node_id.size > 1:
        ordered = np.sort(node_id)
        duplicate = np.flatnonzero(ordered[1:] == ordered[:-1])
        if duplicate.size:
            msg = f"node_id must be unique; {int(ordered[duplicate[0]])} appears twice."
            raise NetworkError(msg)


def _first(value: Any) -> Any:
    """Return the first element of an osmnx list-valued attribute, or the value itself."""
    if isinstance(value, list | tuple):
        return value[0] if value else None
    return value


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


def _forbidden_turn_pairs(
    forbidden_turns: npt.ArrayLike, tail: npt.NDArray[Any], head: npt.NDArray[Any]
) -> IntArray:
    """Check ``from_arrays``' forbidden turns against the arcs as given; return them as (k, 2)."""
    try:
        pairs = np.asarray(forbidden_turns)
        if pairs.size == 0:
            return np.empty((0, 2), dtype=np.int64)
        if pairs.ndim != 2 or pairs.shape[1] != 2 or pairs.dtype.kind not in "iu":
            raise TypeError
    except (TypeError, ValueError):
        msg = (
            "forbidden_turns must be (from_arc, to_arc) pairs of integer arc positions, "
            "e.g. [(0, 3), (4, 1)]."
        )
        raise NetworkError(msg) from None
    pairs = pairs.astype(np.int64)
    m = tail.size
    for row, (a, b) in enumerate(pairs.tolist()):
        for arc in (a, b):
            if not 0 <= arc < m:
                msg = (
                    f"forbidden_turns row {row} ({a}, {b}): arc {arc} does not exist "
                    f"(arcs are 0 .. {m - 1})."
                )
                raise NetworkError(msg)
        if head[a] != tail[b]:
            msg = (
                f"forbidden_turns row {row} ({a}, {b}): arc {a} ends at node {head[a]} but arc {b} "
                f"starts at node {tail[b]}; a turn goes from an arc to one leaving the node it "
                "ends at."
            )
            raise NetworkError(msg)
    return pairs
