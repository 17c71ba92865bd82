"""The routing behind ``ecoroute serve``: one network, shared routers, OSRM-shaped answers."""

from __future__ import annotations

import contextlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._errors import EcoRouteError, NoRouteError, SnapError, TooBigError
from .._geo import haversine_m
from ..objectives import OBJECTIVE_QUANTITY
from ..routing import Router
from ..vehicles import vehicles
from . import osrm
from .osrm import NearestQuery, OsrmError, Query, RouteQuery, TableQuery

if TYPE_CHECKING:
    from ..network import RoadNetwork
    from ..results import Route

FloatArray = npt.NDArray[np.float64]

#: Profiles that mean "the service's default vehicle", as OSRM's car profile is named.
DEFAULT_PROFILES = ("driving", "car")


@dataclass(frozen=True)
class Limits:
    """
    Request size limits, with osrm-routed's defaults; a request over one is ``TooBig``.

    Attributes
    ----------
    max_table_size
        Largest table side: ``sources x destinations`` may not exceed its square.
    max_viaroute_size
        Most coordinates of one route.
    max_nearest_size
        Most results of one nearest query.
    max_alternatives
        Most alternatives a route may ask for (ecoroute answers one route).
    """

    max_table_size: int = 100
    max_viaroute_size: int = 500
    max_nearest_size: int = 100
    max_alternatives: int = 3


class RoutingService:
    """
    Answers OSRM requests on one network: every request shares its index and routers.

    Routers (one per vehicle, overrides, payload, objective and time budget)
    are built on first use and kept, the least recently used dropped past
    ``max_routers``; their queries run in C++ without the GIL, so a pool of
    threads can call :meth:`answer` at once.

    Parameters
    ----------
    network
        The road network, prepared (:func:`ecoroute.cli.prepared_network`) so
        that every router starts on its hierarchy.
    vehicle
        The vehicle of the ``driving`` and ``car`` profiles.
    objective
        What routes minimise when a request names no ``objective``.
    limits
        Request size limits.
    max_routers
        How many routers to keep.
    """

    def __init__(
        self,
        network: RoadNetwork,
        *,
        vehicle: str = "car_petrol",
        objective: str = "co2",
        limits: Limits | None = None,
        max_routers: int = 32,
    ) -> None:
        from .._vehicle_options import VEHICLE_OPTIONS

        if vehicle not in vehicles():
            msg = f"Unknown vehicle {vehicle!r}; choose one of {', '.join(vehicles())}."
            raise ValueError(msg)
        if objective not in OBJECTIVE_QUANTITY:
            msg = f"Unknown objective {objective!r}; choose one of {', '.join(OBJECTIVE_QUANTITY)}."
            raise ValueError(msg)
        self.network = network
        self.vehicle = vehicle
        self.objective = objective
        self.limits = limits or Limits()
        self.parser = osrm.RequestParser(VEHICLE_OPTIONS, tuple(OBJECTIVE_QUANTITY))
        self._max_routers = max_routers
        self._routers: OrderedDict[Any, Router] = OrderedDict()
        self._lock = threading.Lock()
        self._drawn_m = _drawn_lengths(network)
        self.router_for(self.vehicle, {}, None, self.objective, None)  # fail at start, not later

    # ------------------------------------------------------------------ entry point

    def answer(
        self, service: str, version: str, profile: str, coordinates: str, params: Mapping[str, str]
    ) -> tuple[int, bytes]:
        """
        Answer one OSRM request: the HTTP status and the JSON body.

        Every refusal is an OSRM error body (``{"code": ..., "message": ...}``)
        with status 400; only a bug gives a 500, and that is the caller's to
        catch.
        """
        try:
            query = self.parser.parse(service, version, profile, coordinates, params)
            self._check_limits(query)
            if isinstance(query, RouteQuery):
                body = self.route(query)
            elif isinstance(query, TableQuery):
                body = self.table(query)
            else:
                body = self.nearest(query)
        except OsrmError as error:
            return error.status, _json(error.body())
        return 200, _json(body)

    def _check_limits(self, query: Query) -> None:
        limits = self.limits
        if isinstance(query, RouteQuery):
            if len(query.lonlat) > limits.max_viaroute_size:
                msg = (
                    f"Number of entries {len(query.lonlat)} is higher than current maximum "
                    f"({limits.max_viaroute_size})"
                )
                raise OsrmError(msg, code="TooBig")
            if query.alternatives > limits.max_alternatives:
                msg = (
                    "Requested number of alternatives is higher than current maximum "
                    f"({limits.max_alternatives})"
                )
                raise OsrmError(msg, code="TooBig")
        elif isinstance(query, TableQuery):
            count = len(query.lonlat)
            rows = count if query.sources is None else len(query.sources)
            columns = count if query.destinations is None else len(query.destinations)
            if rows * columns > limits.max_table_size**2:
                msg = (
                    f"Too many table coordinates: {rows} x {columns} cells, at most "
                    f"{limits.max_table_size} x {limits.max_table_size}"
                )
                raise OsrmError(msg, code="TooBig")
        elif isinstance(query, NearestQuery) and query.number > limits.max_nearest_size:
            msg = (
                f"Number of results {query.number} is higher than current maximum "
                f"({limits.max_nearest_size})"
            )
            raise OsrmError(msg, code="TooBig")

    # ------------------------------------------------------------------ routers

    def vehicle_of(self, profile: str) -> str:
        """The catalogue vehicle a profile names (``driving``/``car``: the service's vehicle)."""
        if profile in DEFAULT_PROFILES:
            return self.vehicle
        if profile in vehicles():
            return profile
        msg = (
            f"Unknown profile {profile!r}: use driving (or car) for {self.vehicle}, or a "
            f"vehicle of GET /vehicles: {', '.join(vehicles())}."
        )
        raise OsrmError(msg, code="InvalidValue")

    def router_for(
        self,
        vehicle: str,
        overrides: Mapping[str, Any],
        payload_kg: float | None,
        objective: str,
        max_extra_time: float | None,
    ) -> Router:
        """The router of one vehicle setup and objective, built once and shared."""
        from .._vehicle_options import vehicle_with

        key = (vehicle, tuple(sorted(overrides.items())), payload_kg, objective, max_extra_time)
        with self._lock:  # one build at a time; queries never take this lock for long
            router = self._routers.get(key)
            if router is not None:
                self._routers.move_to_end(key)
                return router
            try:
                router = Router(
                    self.network,
                    vehicle_with(vehicle, overrides),
                    objective,  # type: ignore[arg-type]
                    payload_kg=payload_kg,
                    max_extra_time=max_extra_time,
                    num_threads=1,  # one request per thread: the pool gives the parallelism
                )
            except (EcoRouteError, ValueError, TypeError, KeyError) as error:
                raise OsrmError(_message(error), code="InvalidValue") from error
            # A first query, here under the lock, builds what a router builds lazily (a
            # time budget's engines, ...), so concurrent first requests do not race to.
            node = int(self.network.node_id[0])
            with contextlib.suppress(EcoRouteError):
                router.route(node, node)
            self._routers[key] = router
            while len(self._routers) > self._max_routers:
                self._routers.popitem(last=False)
            return router

    def _router(self, query: Query) -> Router:
        return self.router_for(
            self.vehicle_of(query.profile),
            query.vehicle_overrides,
            query.payload_kg,
            query.objective or self.objective,
            query.max_extra_time,
        )

    def _departure_s(self, departure: float | str | None) -> float | None:
        """A departure as seconds since Monday 00:00; InvalidValue where it cannot apply."""
        if departure is None:
            return None
        if not any(key.startswith("speeds.") for key in self.network.attachments):
            msg = (
                f"departure={departure} needs a network with hour-of-week speeds "
                "(RoadNetwork.with_speeds, docs/traffic.md); this one has none."
            )
            raise OsrmError(msg, code="InvalidValue")
        from ..traffic import departure_seconds

        try:
            return departure_seconds(departure)
        except (ValueError, TypeError) as error:
            raise OsrmError(_message(error), code="InvalidValue") from error

    # ------------------------------------------------------------------ services

    def route(self, query: RouteQuery) -> dict[str, Any]:
        """
        An OSRM route response: one route through the coordinates, one leg between each two.

        Each leg is :meth:`Router.route` between its two coordinates (with a
        departure, the next leg leaves when the previous one arrives).
        """
        router = self._router(query)
        limit = _snap_limit(query.radiuses_m)
        legs: list[Route] = []
        departure = self._departure_s(query.departure)
        for source, target in pairwise(query.lat_lon):
            try:
                leg = router.route(source, target, departure=departure, max_snap_m=limit)
            except SnapError as error:
                raise OsrmError(_message(error), code="NoSegment") from error
            except NoRouteError as error:
                raise OsrmError(_message(error), code="NoRoute") from error
            except (EcoRouteError, ValueError, TypeError, KeyError) as error:
                raise OsrmError(_message(error), code="InvalidValue") from error
            legs.append(leg)
            if departure is not None:
                departure += leg.time_s
        snaps = [legs[0].source_snap_m, *(leg.target_snap_m for leg in legs)]
        _check_radiuses(snaps, query.radiuses_m)
        coordinates = [leg.coordinates for leg in legs]
        line = np.concatenate([coordinates[0], *(c[1:] for c in coordinates[1:])])
        out: dict[str, Any] = {}
        if query.overview != "false":
            shown = line if query.overview == "full" else osrm.simplified(line)
            out["geometry"] = osrm.geometry(shown, query.geometries)
        out["legs"] = [
            self._leg(router, leg, c, query.annotations)
            for leg, c in zip(legs, coordinates, strict=True)
        ]
        out["weight_name"] = router.objective if isinstance(router.objective, str) else "mix"
        out |= _totals(legs)
        body: dict[str, Any] = {"code": "Ok", "routes": [out]}
        if not query.skip_waypoints:
            ends = [(legs[0], "source"), *((leg, "target") for leg in legs)]
            body["waypoints"] = [
                osrm.waypoint(
                    float(getattr(leg, f"{side}_lon")),
                    float(getattr(leg, f"{side}_lat")),
                    float(getattr(leg, f"{side}_snap_m")),
                    place=int(getattr(leg, f"{side}_arc")),
                    with_hint=query.generate_hints,
                )
                for leg, side in ends
            ]
        return body

    def _leg(
        self, router: Router, leg: Route, lonlat: FloatArray, annotations: tuple[str, ...]
    ) -> dict[str, Any]:
        """An OSRM RouteLeg, with ecoroute's quantities and the annotation asked for."""
        out: dict[str, Any] = {"steps": [], "summary": ""}
        out |= _totals([leg])
        if annotations:
            out["annotation"] = self._annotation(router, leg, lonlat, annotations)
        return out

    def _annotation(
        self, router: Router, leg: Route, lonlat: FloatArray, names: tuple[str, ...]
    ) -> dict[str, list[float]]:
        """
        Per-segment values along a leg's full geometry (each pair of successive points).

        Each segment belongs to the arc it lies on; it gets the part of the
        arc's quantity that its length is of the arc's drawn length. As OSRM's,
        these leave out turn costs, so durations may sum to less than the
        leg's; they are the free-flow values.
        """
        arcs = leg.arcs.astype(np.intp)
        segment_m = haversine_m(lonlat[:-1, 1], lonlat[:-1, 0], lonlat[1:, 1], lonlat[1:, 0])
        values: dict[str, FloatArray] = {}
        if arcs.size == 0:
            values = {q: np.zeros(segment_m.size) for q in router.arc_quantities}
            weight = np.zeros(segment_m.size)
        else:
            fractions = leg.arc_fractions
            driven_m = self._drawn_m[arcs] * fractions
            middle = np.cumsum(segment_m) - segment_m / 2
            which = np.minimum(np.searchsorted(np.cumsum(driven_m), middle), arcs.size - 1)
            share = np.divide(
                segment_m[:],
                driven_m[which],
                out=np.zeros(segment_m.size),
                where=driven_m[which] > 0,
            )
            scale = fractions[which] * share
            for quantity, per_arc in router.arc_quantities.items():
                values[quantity] = np.asarray(per_arc)[arcs][which] * scale
            weight = np.asarray(router.weight)[arcs][which] * scale
        out: dict[str, list[float]] = {}
        for name in names:
            if name == "duration":
                out["duration"] = values["time_s"].tolist()
            elif name == "distance":
                out["distance"] = values["distance_m"].tolist()
            elif name == "speed":
                speed = np.divide(
                    values["distance_m"],
                    values["time_s"],
                    out=np.zeros(segment_m.size),
                    where=values["time_s"] > 0,
                )
                out["speed"] = np.round(speed, 1).tolist()
            elif name == "weight":
                out["weight"] = weight.tolist()
            elif osrm.ECO_ANNOTATIONS[name] in values:
                out[osrm.ECO_ANNOTATIONS[name]] = values[osrm.ECO_ANNOTATIONS[name]].tolist()
        return out

    def table(self, query: TableQuery) -> dict[str, Any]:
        """An OSRM table response: one :meth:`Router.matrix` over the chosen coordinates."""
        router = self._router(query)
        points = query.lat_lon
        rows = query.sources if query.sources is not None else list(range(len(points)))
        columns = query.destinations if query.destinations is not None else list(range(len(points)))
        radiuses = query.radiuses_m
        try:
            matrix = router.matrix(
                [points[i] for i in rows],
                [points[j] for j in columns],
                departure=self._departure_s(query.departure),
                max_snap_m=_snap_limit(radiuses),
            )
        except SnapError as error:
            raise OsrmError(_message(error), code="NoSegment") from error
        except TooBigError as error:
            raise OsrmError(_message(error), code="TooBig") from error
        except (EcoRouteError, ValueError, TypeError, KeyError) as error:
            raise OsrmError(_message(error), code="InvalidValue") from error
        if radiuses is not None:
            _check_radiuses(list(matrix.source_snap_m), [radiuses[i] for i in rows])
            _check_radiuses(list(matrix.target_snap_m), [radiuses[j] for j in columns])
        body: dict[str, Any] = {"code": "Ok"}
        for name in query.annotations:
            key, quantity = osrm.TABLE_ANNOTATIONS[name]
            if quantity not in matrix.quantities:
                msg = f"{router.vehicle.name} does not report {quantity} (annotations={name})."
                raise OsrmError(msg, code="InvalidValue")
            values = np.asarray(matrix.quantities[quantity])
            if name == "duration":
                values = values * query.scale_factor
            body[key] = osrm.finite_or_none(values)
        if not query.skip_waypoints:
            for key, lat, lon, snap, nodes in (
                (
                    "sources",
                    matrix.source_lat,
                    matrix.source_lon,
                    matrix.source_snap_m,
                    matrix.sources,
                ),
                (
                    "destinations",
                    matrix.target_lat,
                    matrix.target_lon,
                    matrix.target_snap_m,
                    matrix.targets,
                ),
            ):
                assert lat is not None
                assert lon is not None
                body[key] = [
                    osrm.waypoint(
                        float(lon[i]),
                        float(lat[i]),
                        float(snap[i]),
                        place=int(self.network.node_index_of(int(nodes[i]))),
                        with_hint=query.generate_hints,
                    )
                    for i in range(len(lat))
                ]
        return body

    def nearest(self, query: NearestQuery) -> dict[str, Any]:
        """
        An OSRM nearest response: the nearest roads this vehicle may drive, nearest first.

        Roads in any part of the network, as routes snap first (issue 24); a
        route from or to one that cannot reach the other end falls back to
        the largest strongly connected part's.
        """
        router = self._router(query)
        (lat, lon) = query.lat_lon[0]
        limit = _snap_limit(query.radiuses_m)
        snap = router.nearest_snapper.nearest_roads(lat, lon, query.number, max_snap_m=limit)
        if len(snap) == 0:
            msg = "Could not find a matching segments for coordinate"
            raise OsrmError(msg, code="NoSegment")
        body: dict[str, Any] = {"code": "Ok"}
        if not query.skip_waypoints:
            node_id = self.network.node_id
            tail, head = self.network.tail, self.network.head
            waypoints = []
            for i in range(len(snap)):
                arc = int(snap.arc[i])
                point = osrm.waypoint(
                    float(snap.lon[i]),
                    float(snap.lat[i]),
                    float(snap.distance_m[i]),
                    place=arc,
                    with_hint=query.generate_hints,
                )
                point["nodes"] = [int(node_id[tail[arc]]), int(node_id[head[arc]])]
                waypoints.append(point)
            body["waypoints"] = waypoints
        return body

    # ------------------------------------------------------------------ metadata

    def health(self) -> dict[str, Any]:
        """What ``/health`` says: the network's size and the service's setup."""
        return {
            "status": "ok",
            "nodes": self.network.node_count,
            "arcs": self.network.arc_count,
            "vehicle": self.vehicle,
            "objective": self.objective,
            "routers": len(self._routers),
            "limits": {
                "max_table_size": self.limits.max_table_size,
                "max_viaroute_size": self.limits.max_viaroute_size,
                "max_nearest_size": self.limits.max_nearest_size,
            },
            "bbox": self.bbox(),
        }

    def bbox(self) -> list[float]:
        """The network's bounding box: [min lon, min lat, max lon, max lat]."""
        lon, lat = self.network.lon, self.network.lat
        return [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]

    def vehicles(self) -> dict[str, Any]:
        """What ``/vehicles`` says: every profile, its vehicle and what it reports."""
        from ..emissions.catalogue import describe_vehicle

        rows = []
        for name in vehicles():
            about = describe_vehicle(name)
            rows.append(
                {
                    "profile": name,
                    "default": name == self.vehicle,
                    "energy": about["energy"],
                    "legal_profile": about["legal_profile"],
                }
            )
        return {
            "code": "Ok",
            "default_profiles": list(DEFAULT_PROFILES),
            "default_vehicle": self.vehicle,
            "objectives": list(OBJECTIVE_QUANTITY),
            "vehicles": rows,
        }


def _totals(legs: list[Route]) -> dict[str, Any]:
    """Weight, duration, distance and every other quantity, summed over legs."""
    out: dict[str, Any] = {
        "weight": math.fsum(leg.cost for leg in legs),
        "duration": math.fsum(leg.time_s for leg in legs),
        "distance": math.fsum(leg.distance_m for leg in legs),
    }
    for name in legs[0].quantities:
        if name not in ("time_s", "distance_m"):
            out[name] = math.fsum(leg.quantities[name] for leg in legs)
    for name in ("fastest_time_s", "fastest_co2_g", "objective_gap"):
        values = [getattr(leg, name) for leg in legs]
        if all(v is not None for v in values):
            out[name] = math.fsum(values)
    return out


def _drawn_lengths(network: RoadNetwork) -> FloatArray:
    """Each arc's length along its drawn shape (what geometries are cut by), metres."""
    arcs = np.arange(network.arc_count)
    points, offsets = network.paths_coordinates(network.tail, np.arange(arcs.size + 1), arcs)
    segment = haversine_m(points[:-1, 1], points[:-1, 0], points[1:, 1], points[1:, 0])
    within = np.ones(segment.size, dtype=bool)
    within[offsets[1:-1] - 1] = False  # the joins between two arcs' points
    cumulative = np.concatenate(([0.0], np.cumsum(np.where(within, segment, 0.0))))
    return cumulative[offsets[1:] - 1] - cumulative[offsets[:-1]]


def _snap_limit(radiuses_m: list[float] | None) -> float | None:
    """The snapping limit of a request: its largest radius (None: the router's)."""
    if not radiuses_m:
        return None
    return max(max(radiuses_m), 1e-6)  # 0: only a point on a road snaps


def _check_radiuses(snap_m: list[float], radiuses_m: list[float] | None) -> None:
    """NoSegment where a coordinate snapped farther than its own radius."""
    if radiuses_m is None:
        return
    for i, (distance, radius) in enumerate(zip(snap_m, radiuses_m, strict=True)):
        if distance > radius:
            msg = (
                f"Could not find a matching segment for coordinate {i}: the nearest road is "
                f"{distance:.0f} m away, its radius {radius:g} m."
            )
            raise OsrmError(msg, code="NoSegment")


def _message(error: BaseException) -> str:
    """An exception's message (a KeyError's without its quotes)."""
    if isinstance(error, KeyError) and error.args:
        return str(error.args[0])
    return str(error)


def _json(body: Mapping[str, Any]) -> bytes:
    """Compact JSON; NaN and infinity are refused (OSRM writes ``null`` where there is none)."""
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode("utf-8")
