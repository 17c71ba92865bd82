"""What a fleet plan is made of: depots, stops and vehicle types, checked and resolved."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .._errors import FleetInputError, SnapError, UnknownVehicleError
from ..snapping import Endpoints, resolve_points
from ..vehicles import RoadVehicle, Vehicle, resolve_vehicle

if TYPE_CHECKING:
    import pandas as pd

    from ..network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

_CLOCK = re.compile(r"^\s*(\d{1,3}):([0-5]\d)(?::([0-5]\d(?:\.\d*)?))?\s*$")


#: Most vehicles of one type a fleet may list (the solver allocates per vehicle).
MAX_COUNT = 100_000


@dataclass(frozen=True)
class Depot:
    """
    Where vehicles start and end their routes.

    Give the location as ``lat``/``lon`` (snapped to the nearest road node) or
    as a network ``node`` id.

    Attributes
    ----------
    id
        Name of the depot, unique among depots.
    lat, lon
        Coordinates in degrees (WGS 84).
    node
        Node id in the network (the OSM id for OSM data), instead of coordinates.
    open_s, close_s
        Opening hours in seconds after midnight of the plan day (default: always open).
    charger_kw
        Power of the depot's charger into a vehicle's battery, kW (None: no
        charger). Electric vehicle types with ``trips > 1`` recharge here
        between trips; see ``docs/fleet.md``.
    """

    id: str
    _: KW_ONLY
    lat: float | None = None
    lon: float | None = None
    node: int | None = None
    open_s: float = 0.0
    close_s: float = math.inf
    charger_kw: float | None = None


@dataclass(frozen=True)
class Stop:
    """
    A delivery: how much, where, for how long, and when.

    Attributes
    ----------
    id
        Name of the stop, unique among stops.
    lat, lon
        Coordinates in degrees (WGS 84), snapped to the nearest road node.
    node
        Node id in the network, instead of coordinates.
    demand_kg
        Mass delivered here (>= 0). It is on board from the depot to this stop.
    service_s
        Time spent at the stop (unloading, paperwork), seconds.
    time_window
        ``(earliest, latest)`` start of service, seconds after midnight; a
        vehicle arriving early waits. None: any time.
    optional
        Whether the plan may skip the stop. An optional stop is served only if
        its ``prize`` outweighs what serving it adds to the objective.
    prize
        Value of serving an optional stop, in the objective's unit: grams of
        CO2 (``"co2"``, ``"co2e_wtw"``), seconds (``"time"``), metres
        (``"distance"``) or money (``"cost"``).
    """

    id: str
    _: KW_ONLY
    lat: float | None = None
    lon: float | None = None
    node: int | None = None
    demand_kg: float = 0.0
    service_s: float = 0.0
    time_window: tuple[float, float] | None = None
    optional: bool = False
    prize: float = 0.0


@dataclass(frozen=True)
class VehicleType:
    """
    A group of identical vehicles: an emission model from the catalogue, how many, and limits.

    Attributes
    ----------
    vehicle
        A catalogue name (``"van_diesel"``, ``"van_bev"``, ``"truck_18t_diesel"``,
        ... see :func:`ecoroute.vehicles`) or a :class:`ecoroute.Vehicle`.
    name
        Name of this vehicle type in the plan, unique in the fleet (default:
        the vehicle's name). Two types of the same vehicle need two names.
    count
        Number of vehicles available (>= 1).
    capacity_kg
        Most mass a vehicle carries; default and upper bound: the vehicle
        model's ``max_payload_kg``.
    fixed_cost
        Money per vehicle used (the ``"cost"`` objective; reported for all).
    cost_per_km, cost_per_hour
        Money per km driven and per hour on duty (driving, service, waiting).
    energy_price
        Money per litre of fuel (per kg for a gas), or per kWh for an EV.
    max_duration_s
        Longest route, depot to depot, in seconds (default: no limit).
    shift
        ``(start, end)`` of the working day in seconds after midnight: routes
        leave no earlier and return no later (default: any time).
    start_depot, end_depot
        Depot ids; default: the first depot, and the start depot.
    matrix_payload_kg
        Payload at which the solver's cost matrices are computed (the solver
        cannot see load changing along a route). Default: half the capacity,
        the average load of a route that leaves full and returns empty. Reported
        numbers always use the real payload of every leg.
    battery_kwh
        Battery capacity of an electric vehicle, kWh (None: no range limit).
        No route may use more than the usable energy
        ``start_soc * battery_kwh - reserve_kwh``, with every leg's energy
        evaluated on its road path at the payload on board, regeneration
        included; the state of charge never exceeds ``battery_kwh`` (energy
        recovered on a full battery is lost). See ``docs/fleet.md``.
    reserve_kwh
        Energy that must stay in the battery at every point of a route, kWh.
    start_soc
        State of charge leaving the depot, as a fraction of ``battery_kwh``.
    trips
        Trips per vehicle and day (default 1). With ``trips > 1`` the shift
        (required) is cut into that many equal slots; each vehicle may drive
        one route per slot, back at the depot early enough to recharge to
        ``start_soc`` on the depot's charger (``Depot.charger_kw``) before the
        next slot starts.
    """

    vehicle: str | Vehicle
    _: KW_ONLY
    name: str | None = None
    count: int = 1
    capacity_kg: float | None = None
    fixed_cost: float = 0.0
    cost_per_km: float = 0.0
    cost_per_hour: float = 0.0
    energy_price: float = 0.0
    max_duration_s: float | None = None
    shift: tuple[float, float] | None = None
    start_depot: str | None = None
    end_depot: str | None = None
    matrix_payload_kg: float | None = None
    battery_kwh: float | None = None
    reserve_kwh: float = 0.0
    start_soc: float = 1.0
    trips: int = 1


@dataclass(frozen=True)
class ResolvedType:
    """A :class:`VehicleType` with its vehicle model, limits and depots resolved."""

    spec: VehicleType
    name: str
    vehicle: Vehicle
    count: int
    capacity_kg: float
    start_depot: int
    end_depot: int
    shift_start_s: float
    shift_end_s: float
    max_duration_s: float
    matrix_payload_kg: float
    battery_kwh: float | None = None
    reserve_kwh: float = 0.0
    start_soc: float = 1.0
    trips: int = 1
    charger_kw: float | None = None

    @property
    def has_battery(self) -> bool:
        """Whether routes of this type are limited by a battery."""
        return self.battery_kwh is not None

    @property
    def start_kwh(self) -> float:
        """Energy in the battery leaving the depot (0 without a battery)."""
        return 0.0 if self.battery_kwh is None else self.start_soc * self.battery_kwh

    @property
    def usable_kwh(self) -> float:
        """Energy a route may use: start energy minus the reserve (inf without a battery)."""
        if self.battery_kwh is None:
            return math.inf
        return self.start_kwh - self.reserve_kwh

    @property
    def recharge_s(self) -> float:
        """Time the depot charger needs to put back the usable energy (0 without trips)."""
        if self.charger_kw is None or self.battery_kwh is None:
            return 0.0
        return self.usable_kwh / self.charger_kw * 3600.0

    @property
    def fuel_quantity(self) -> str:
        """``fuel_l``, ``fuel_kg`` or ``energy_kwh``: what this vehicle's energy is measured in."""
        quantities = self.vehicle.quantities
        for name in ("fuel_l", "fuel_kg", "energy_kwh"):
            if name in quantities:
                return name
        return ""

    @property
    def is_electric(self) -> bool:
        """Whether the vehicle runs on electricity (no tank-to-wheel emissions)."""
        return self.vehicle.energy_carrier == "electricity"


@dataclass(frozen=True)
class FleetInputs:
    """Everything ``plan_fleet`` works from, validated: node indices, arrays, resolved types."""

    depots: tuple[Depot, ...]
    stops: tuple[Stop, ...]
    types: tuple[ResolvedType, ...]
    depot_node: npt.NDArray[np.intp]
    stop_node: npt.NDArray[np.intp]
    depot_snap_m: FloatArray
    stop_snap_m: FloatArray
    demand_kg: FloatArray
    service_s: FloatArray
    tw_start_s: FloatArray
    tw_end_s: FloatArray
    optional: npt.NDArray[np.bool_]
    prize: FloatArray
    carbon_price_per_t: float
    stop_node_id: npt.NDArray[np.int64] = field(repr=False)
    location_lonlat: FloatArray = field(repr=False)
    stop_index: Mapping[str, int] = field(repr=False)
    depot_index: Mapping[str, int] = field(repr=False)
    location_ends: Endpoints | None = field(default=None, repr=False)

    @property
    def location_node(self) -> npt.NDArray[np.intp]:
        """Network node of every location: depots first, then stops (the matrices' order)."""
        return np.concatenate([self.depot_node, self.stop_node])


def resolve_inputs(
    network: RoadNetwork,
    depots: Sequence[Depot] | Depot,
    stops: Sequence[Stop] | pd.DataFrame,
    fleet: Sequence[VehicleType] | VehicleType,
    *,
    carbon_price_per_t: float = 0.0,
    max_snap_m: float | None = None,
) -> FleetInputs:
    """
    Check every input and resolve names, locations and defaults.

    Coordinates snap to the nearest usable road within ``max_snap_m``
    (default :data:`ecoroute.snapping.DEFAULT_MAX_SNAP_M`).

    Raises
    ------
    FleetInputError
        (a ``ValueError``) naming the depot, stop or vehicle type at fault and
        what to change.
    UnknownVehicleError
        (a ``KeyError``) for a vehicle name that is not in the catalogue.
    """
    depot_list = _as_tuple(depots, Depot, "depots")
    if not depot_list:
        msg = "depots is empty; give at least one Depot for the vehicles to start from."
        raise FleetInputError(msg)
    stop_list = _stops_tuple(stops)
    type_list = _as_tuple(fleet, VehicleType, "fleet")
    if not type_list:
        msg = "fleet is empty; give at least one VehicleType."
        raise FleetInputError(msg)

    depot_index = _unique_ids([d.id for d in depot_list], "depot")
    stop_index = _unique_ids([s.id for s in stop_list], "stop")
    depot_ends = _locate(network, depot_list, "depot", max_snap_m)
    stop_ends = _locate(network, stop_list, "stop", max_snap_m)
    depot_node = depot_ends.node.astype(np.intp)
    stop_node = stop_ends.node.astype(np.intp)
    for depot in depot_list:
        _window((depot.open_s, depot.close_s), f"depot {depot.id!r}: opening hours")
        if depot.charger_kw is not None:
            power = _number(depot.charger_kw, f"depot {depot.id!r}: charger_kw", low=0.0)
            if power <= 0.0:
                msg = f"depot {depot.id!r}: charger_kw must be > 0 (or left out: no charger)."
                raise FleetInputError(msg)

    n = len(stop_list)
    demand = np.empty(n)
    service = np.empty(n)
    tw_start = np.zeros(n)
    tw_end = np.full(n, math.inf)
    optional = np.zeros(n, dtype=bool)
    prize = np.zeros(n)
    for i, stop in enumerate(stop_list):
        where = f"stop {stop.id!r}"
        demand[i] = _number(stop.demand_kg, f"{where}: demand_kg", low=0.0)
        service[i] = _number(stop.service_s, f"{where}: service_s", low=0.0)
        if stop.time_window is not None:
            tw_start[i], tw_end[i] = _window(stop.time_window, where)
        optional[i] = bool(stop.optional)
        prize[i] = _number(stop.prize, f"{where}: prize", low=0.0)

    price = _number(carbon_price_per_t, "carbon_price_per_t", low=0.0)
    names: set[str] = set()
    types = tuple(
        _resolve_type(spec, k, depot_list, depot_index, names) for k, spec in enumerate(type_list)
    )
    return FleetInputs(
        depots=depot_list,
        stops=stop_list,
        types=types,
        depot_node=depot_node,
        stop_node=stop_node,
        depot_snap_m=depot_ends.distance_m,
        stop_snap_m=stop_ends.distance_m,
        demand_kg=demand,
        service_s=service,
        tw_start_s=tw_start,
        tw_end_s=tw_end,
        optional=optional,
        prize=prize,
        carbon_price_per_t=price,
        stop_node_id=np.asarray(network.node_id[stop_node], dtype=np.int64),
        location_lonlat=np.column_stack(
            [
                np.concatenate([depot_ends.lon, stop_ends.lon]),
                np.concatenate([depot_ends.lat, stop_ends.lat]),
            ]
        ),
        location_ends=_concatenate(depot_ends, stop_ends),
        stop_index=stop_index,
        depot_index=depot_index,
    )


def stops_from_frame(frame: pd.DataFrame) -> tuple[Stop, ...]:
    """
    Return one :class:`Stop` per row of a table.

    Columns: ``id``, and ``lat`` + ``lon`` or ``node``; optional
    ``demand_kg``, ``service_s``, ``tw_start`` and ``tw_end`` (seconds after
    midnight or ``HH:MM``; both or neither, per row), ``optional`` and
    ``prize``. Empty cells take the defaults. The CLI reads its stops CSV
    through this.

    Raises
    ------
    FleetInputError
        If a required column is missing or a value is not a number.
    """
    columns = set(frame.columns)
    if "id" not in columns:
        msg = f"The stops table needs an 'id' column; it has {', '.join(map(str, frame.columns))}."
        raise FleetInputError(msg)
    if not ({"lat", "lon"} <= columns or "node" in columns):
        msg = "The stops table needs 'lat' and 'lon' columns (or a 'node' column of node ids)."
        raise FleetInputError(msg)
    known = {"id", "lat", "lon", "node", "demand_kg", "service_s", "tw_start", "tw_end"}
    known |= {"optional", "prize"}
    unknown = sorted(map(str, columns - known))
    if unknown:
        msg = (
            f"The stops table has unknown columns {', '.join(unknown)}; known columns: "
            f"{', '.join(sorted(known))}."
        )
        raise FleetInputError(msg)

    out = []
    for row_number, row in enumerate(frame.to_dict("records")):
        where = f"stops row {row_number + 1} (id {row.get('id')!r})"
        values: dict[str, Any] = {}
        for name in ("lat", "lon", "demand_kg", "service_s", "prize"):
            if name in row and not _blank(row[name]):
                values[name] = _float_cell(row[name], name, where)
        if "node" in row and not _blank(row["node"]):
            node = _float_cell(row["node"], "node", where)
            if not node.is_integer():
                msg = f"{where}: node must be a whole node id, not {row['node']!r}."
                raise FleetInputError(msg)
            values["node"] = int(node)
        start, end = row.get("tw_start"), row.get("tw_end")
        if _blank(start) != _blank(end):
            msg = f"{where}: give both tw_start and tw_end, or neither."
            raise FleetInputError(msg)
        if not _blank(start):
            values["time_window"] = (
                _float_cell(start, "tw_start", where),
                _float_cell(end, "tw_end", where),
            )
        if "optional" in row and not _blank(row["optional"]):
            values["optional"] = _bool_cell(row["optional"], where)
        if _blank(row["id"]):
            msg = f"{where}: the id is empty; every stop needs one."
            raise FleetInputError(msg)
        out.append(Stop(str(row["id"]), **values))
    return tuple(out)


def parse_time(value: Any, where: str) -> float:
    """
    Return a time in seconds from seconds (a number) or a clock time ``"HH:MM"`` / ``"HH:MM:SS"``.

    Clock times count from midnight of the plan day; hours may exceed 23
    (``"26:00"`` is 2 am the next day). The same form gives durations
    (``"09:30"`` is nine and a half hours).

    Raises
    ------
    FleetInputError
        If the value is neither.
    """
    if isinstance(value, bool):
        msg = f"{where}: expected seconds or HH:MM, got {value!r}."
        raise FleetInputError(msg)
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    match = _CLOCK.match(text)
    if match:
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600.0 + int(minutes) * 60.0 + float(seconds or 0.0)
    try:
        return float(text)
    except ValueError:
        msg = f"{where}: expected seconds or HH:MM[:SS], got {value!r}."
        raise FleetInputError(msg) from None


# ---------------------------------------------------------------------- helpers


def _resolve_type(
    spec: VehicleType,
    k: int,
    depots: tuple[Depot, ...],
    depot_index: Mapping[str, int],
    names: set[str],
) -> ResolvedType:
    where = f"fleet[{k}]"
    try:
        vehicle = resolve_vehicle(spec.vehicle)
    except UnknownVehicleError as error:
        msg = f"{where}: {error}"
        raise UnknownVehicleError(msg) from None
    name = spec.name if spec.name is not None else vehicle.name
    if not isinstance(name, str) or not name.strip():
        msg = f"a vehicle type's name must be a non-empty string, not {name!r}."
        raise FleetInputError(msg)
    where = f"vehicle type {name!r}"
    if name in names:
        msg = (
            f"{where} appears twice in the fleet; give each VehicleType of the same vehicle its "
            "own name=..."
        )
        raise FleetInputError(msg)
    names.add(name)
    if isinstance(spec.count, bool) or not isinstance(spec.count, int | np.integer):
        msg = f"{where}: count must be a whole number of vehicles, got {spec.count!r}."
        raise FleetInputError(msg)
    if spec.count < 1:
        msg = f"{where}: count must be >= 1, got {spec.count}; leave the type out instead."
        raise FleetInputError(msg)
    if spec.count > MAX_COUNT:
        msg = (
            f"{where}: count must be at most {MAX_COUNT:,} vehicles of a type, got "
            f"{spec.count:,} (a plan uses at most one vehicle per stop)."
        )
        raise FleetInputError(msg)

    max_payload = float(vehicle.max_payload_kg) if isinstance(vehicle, RoadVehicle) else math.inf
    if spec.capacity_kg is None:
        if not math.isfinite(max_payload):
            msg = f"{where}: give capacity_kg (the vehicle model has no maximum payload)."
            raise FleetInputError(msg)
        capacity = max_payload
    else:
        capacity = _number(spec.capacity_kg, f"{where}: capacity_kg", low=0.0)
        if capacity > max_payload:
            msg = (
                f"{where}: capacity_kg={capacity:g} is above the {vehicle.name} model's maximum "
                f"payload of {max_payload:g} kg; lower it or pick a bigger vehicle."
            )
            raise FleetInputError(msg)
    for option in ("fixed_cost", "cost_per_km", "cost_per_hour", "energy_price"):
        _number(getattr(spec, option), f"{where}: {option}", low=0.0)

    start = _depot_of(spec.start_depot, depots, depot_index, f"{where}: start_depot")
    end = (
        start
        if spec.end_depot is None
        else _depot_of(spec.end_depot, depots, depot_index, f"{where}: end_depot")
    )
    shift_start, shift_end = 0.0, math.inf
    if spec.shift is not None:
        shift_start, shift_end = _window(spec.shift, f"{where}: shift")
    max_duration = math.inf
    if spec.max_duration_s is not None:
        max_duration = _number(spec.max_duration_s, f"{where}: max_duration_s", low=0.0)
    payload = capacity / 2.0
    if spec.matrix_payload_kg is not None:
        payload = _number(spec.matrix_payload_kg, f"{where}: matrix_payload_kg", low=0.0)
        if payload > capacity:
            msg = f"{where}: matrix_payload_kg={payload:g} is above capacity_kg={capacity:g}."
            raise FleetInputError(msg)
    battery = _battery(spec, vehicle, where)
    trips, charger = _trips(spec, where, depots, start, end, battery, (shift_start, shift_end))
    return ResolvedType(
        spec=spec,
        name=name,
        vehicle=vehicle,
        count=int(spec.count),
        capacity_kg=capacity,
        start_depot=start,
        end_depot=end,
        shift_start_s=shift_start,
        shift_end_s=shift_end,
        max_duration_s=max_duration,
        matrix_payload_kg=payload,
        battery_kwh=battery[0],
        reserve_kwh=battery[1],
        start_soc=battery[2],
        trips=trips,
        charger_kw=charger,
    )


def _battery(spec: VehicleType, vehicle: Vehicle, where: str) -> tuple[float | None, float, float]:
    """Check battery_kwh, reserve_kwh and start_soc; return them (battery None: no limit)."""
    if spec.battery_kwh is None:
        if spec.reserve_kwh or spec.start_soc != 1.0:
            msg = f"{where}: reserve_kwh and start_soc need battery_kwh (the battery's capacity)."
            raise FleetInputError(msg)
        return None, 0.0, 1.0
    if "energy_kwh" not in vehicle.quantities:
        msg = (
            f"{where}: battery_kwh is for electric vehicles, and {vehicle.name} runs on "
            f"{vehicle.energy_carrier}; remove battery_kwh or pick an electric model (van_bev, ...)."
        )
        raise FleetInputError(msg)
    battery = _number(spec.battery_kwh, f"{where}: battery_kwh", low=0.0)
    if battery <= 0.0:
        msg = f"{where}: battery_kwh must be > 0, got {spec.battery_kwh!r}."
        raise FleetInputError(msg)
    soc = _number(spec.start_soc, f"{where}: start_soc", low=0.0, high=1.0)
    reserve = _number(spec.reserve_kwh, f"{where}: reserve_kwh", low=0.0)
    if reserve >= soc * battery:
        msg = (
            f"{where}: reserve_kwh={reserve:g} leaves nothing to drive on: a route starts with "
            f"start_soc x battery_kwh = {soc * battery:g} kWh. Lower the reserve or raise start_soc."
        )
        raise FleetInputError(msg)
    return battery, reserve, soc


def _trips(
    spec: VehicleType,
    where: str,
    depots: tuple[Depot, ...],
    start: int,
    end: int,
    battery: tuple[float | None, float, float],
    shift: tuple[float, float],
) -> tuple[int, float | None]:
    """Check trips (and the depot charger it needs); return trips and the charger's kW."""
    charger = depots[start].charger_kw
    charger = None if charger is None else float(charger)  # checked with the depots
    trips = spec.trips
    if isinstance(trips, bool) or not isinstance(trips, int | np.integer) or trips < 1:
        msg = f"{where}: trips must be a whole number >= 1, got {trips!r}."
        raise FleetInputError(msg)
    if trips == 1:
        return 1, charger
    if not math.isfinite(shift[1]):
        msg = (
            f"{where}: trips={trips} needs a shift (start, end): the day is cut into {trips} "
            "equal slots, one trip each."
        )
        raise FleetInputError(msg)
    if battery[0] is not None:
        if start != end:
            msg = f"{where}: trips > 1 with a battery needs start_depot == end_depot (it recharges there)."
            raise FleetInputError(msg)
        if charger is None:
            msg = (
                f"{where}: trips={trips} with battery_kwh needs a charger at depot "
                f"{depots[start].id!r}; give that depot charger_kw."
            )
            raise FleetInputError(msg)
        usable = battery[2] * battery[0] - battery[1]
        recharge = usable / charger * 3600.0
        slot = (shift[1] - shift[0]) / trips
        if recharge >= slot:
            msg = (
                f"{where}: recharging {usable:g} kWh at {charger:g} kW takes "
                f"{recharge / 3600:.2f} h, longer than a slot of the shift cut into {trips} trips "
                f"({slot / 3600:.2f} h); use fewer trips or a faster charger."
            )
            raise FleetInputError(msg)
    return int(trips), charger


def _depot_of(
    depot: str | None, depots: tuple[Depot, ...], index: Mapping[str, int], where: str
) -> int:
    if depot is None:
        return 0
    if depot not in index:
        msg = f"{where} is {depot!r}, which is not a depot; depots: {', '.join(d.id for d in depots)}."
        raise FleetInputError(msg)
    return index[depot]


def _locate(
    network: RoadNetwork,
    items: Sequence[Depot | Stop],
    kind: str,
    max_snap_m: float | None = None,
) -> Endpoints:
    """
    Resolve every location: a node id stays that exact node; coordinates snap part-way.

    Coordinates snap (one vectorised lookup) to the nearest point of the
    nearest usable road (largest strongly connected part, so that a vehicle
    can leave and come back), within the snapping limit (issue 11); the legs
    start and end at that point, part-way along the road (docs/turns.md).
    """
    node = np.zeros(len(items), dtype=np.int64)
    by_coordinates: list[int] = []
    lat: list[float] = []
    lon: list[float] = []
    for i, item in enumerate(items):
        has_point = item.lat is not None or item.lon is not None
        if has_point == (item.node is not None):
            msg = f"{kind} {item.id!r}: give either lat and lon, or node (exactly one of them)."
            raise FleetInputError(msg)
        if item.node is not None:
            found, ok = network.find_nodes(np.array([item.node], dtype=np.int64))
            if not ok[0]:
                msg = f"{kind} {item.id!r}: node {item.node} is not in the road network."
                raise FleetInputError(msg)
            node[i] = found[0]
            continue
        if item.lat is None or item.lon is None:
            msg = f"{kind} {item.id!r}: give both lat and lon."
            raise FleetInputError(msg)
        y = _number(item.lat, f"{kind} {item.id!r}: lat", low=-90.0, high=90.0)
        x = _number(item.lon, f"{kind} {item.id!r}: lon", low=-180.0, high=180.0)
        by_coordinates.append(i)
        lat.append(y)
        lon.append(x)
    ends = Endpoints.at_nodes(network, node)
    if by_coordinates:
        labels = [repr(items[i].id) for i in by_coordinates]
        try:
            snapped = resolve_points(
                network,
                np.array(lat),
                np.array(lon),
                name=kind,
                labels=labels,
                max_snap_m=max_snap_m,
            )
        except SnapError as error:
            raise FleetInputError(str(error)) from error
        ends = ends.replace(by_coordinates, snapped)
    return ends


def _concatenate(first: Endpoints, second: Endpoints) -> Endpoints:
    """Two lists of resolved points as one (depots first, then stops: the matrices' order)."""
    fields = {
        name: np.concatenate([getattr(first, name), getattr(second, name)])
        for name in ("node", "arc", "fraction", "reverse_arc", "lat", "lon", "distance_m",
                     "node_distance_m")
    }  # fmt: skip
    return Endpoints(**fields)


def _stops_tuple(stops: Sequence[Stop] | pd.DataFrame | Stop) -> tuple[Stop, ...]:
    import pandas as pd

    if isinstance(stops, pd.DataFrame):
        return stops_from_frame(stops)
    return _as_tuple(stops, Stop, "stops")


def _as_tuple(values: Any, kind: type, name: str) -> tuple[Any, ...]:
    if isinstance(values, kind):
        return (values,)
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | tuple | list):
        try:
            values = list(values)
        except TypeError:
            msg = f"{name} must be a list of {kind.__name__}, not {type(values).__name__}."
            raise FleetInputError(msg) from None
    out = tuple(values)
    for i, value in enumerate(out):
        if not isinstance(value, kind):
            msg = f"{name}[{i}] is a {type(value).__name__}; expected a {kind.__name__}."
            raise FleetInputError(msg)
    return out


def _unique_ids(ids: list[str], kind: str) -> dict[str, int]:
    index: dict[str, int] = {}
    for i, value in enumerate(ids):
        if not isinstance(value, str) or not value:
            msg = f"{kind} {i} has id {value!r}; ids must be non-empty strings."
            raise FleetInputError(msg)
        if value in index:
            msg = f"{kind} id {value!r} is used twice (positions {index[value]} and {i})."
            raise FleetInputError(msg)
        index[value] = i
    return index


def _number(
    value: Any,
    where: str,
    *,
    low: float | None = None,
    high: float | None = None,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as a float, or raise a FleetInputError saying what is wrong with it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        msg = f"{where} must be a number, got {value!r}."
        raise FleetInputError(msg) from None
    if math.isnan(number) or (math.isinf(number) and not allow_inf):
        msg = f"{where} must be a finite number, got {value!r}."
        raise FleetInputError(msg)
    if low is not None and number < low:
        msg = f"{where} must be >= {low:g}, got {value!r}."
        raise FleetInputError(msg)
    if high is not None and number > high:
        msg = f"{where} must be <= {high:g}, got {value!r}."
        raise FleetInputError(msg)
    return number


def _window(window: Any, where: str) -> tuple[float, float]:
    try:
        start, end = window
    except (TypeError, ValueError):
        msg = f"{where}: a time window is (start_s, end_s), got {window!r}."
        raise FleetInputError(msg) from None
    start = _number(start, f"{where}: window start", low=0.0)
    end = _number(end, f"{where}: window end", low=0.0, allow_inf=True)
    if end < start:
        msg = f"{where}: the window ends ({end:g} s) before it starts ({start:g} s)."
        raise FleetInputError(msg)
    if math.isfinite(end) and math.ceil(start - 1e-6) > math.floor(end + 1e-6):
        msg = (
            f"{where}: the window ({start:g} s to {end:g} s) holds no whole second; the "
            "solver counts in seconds, so widen it."
        )
        raise FleetInputError(msg)
    return start, end


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def _float_cell(value: Any, column: str, where: str) -> float:
    if column.startswith("tw_") and isinstance(value, str):
        return parse_time(value, f"{where}: {column}")
    try:
        return float(value)
    except (TypeError, ValueError):
        msg = f"{where}: {column} must be a number, got {value!r}."
        raise FleetInputError(msg) from None


def _bool_cell(value: Any, where: str) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "y", "1.0"}:
        return True
    if text in {"0", "false", "no", "n", "0.0"}:
        return False
    msg = f"{where}: optional must be true or false, got {value!r}."
    raise FleetInputError(msg)
