"""Fleet planning files: stops CSV and fleet TOML in, report files out (what ``ecoroute fleet`` uses)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import FleetInputError
from .model import Depot, Stop, VehicleType, parse_time, stops_from_frame

if TYPE_CHECKING:
    from .plan import FleetPlan

#: Plan options a fleet TOML may set at its top level.
PLAN_KEYS = (
    "objective",
    "carbon_price_per_t",
    "max_iterations",
    "time_limit_s",
    "seed",
    "baselines",
    "departure",
)

_DEPOT_KEYS = ("id", "lat", "lon", "node", "open", "close", "charger_kw")
_VEHICLE_KEYS = (
    "vehicle",
    "name",
    "count",
    "capacity_kg",
    "fixed_cost",
    "cost_per_km",
    "cost_per_hour",
    "energy_price",
    "max_duration",
    "shift",
    "start_depot",
    "end_depot",
    "matrix_payload_kg",
    "battery_kwh",
    "reserve_kwh",
    "start_soc",
    "trips",
    "model",
)


@dataclass(frozen=True)
class FleetFile:
    """A fleet TOML file: depots, vehicle types and plan options."""

    depots: tuple[Depot, ...]
    fleet: tuple[VehicleType, ...]
    options: dict[str, Any] = field(default_factory=dict)


def read_stops(path: str | Path) -> tuple[Stop, ...]:
    """
    Read stops from a CSV file.

    Columns (header row required): ``id``; ``lat`` and ``lon`` (degrees) or
    ``node`` (a node id of the network); optional ``demand_kg`` (default 0),
    ``service_s`` (default 0), ``tw_start`` and ``tw_end`` (the window for the
    start of service: seconds after midnight or ``HH:MM``; both or neither),
    ``optional`` (true/false, default false) and ``prize`` (in the
    objective's unit). Empty cells take the defaults.

    Raises
    ------
    FleetInputError
        For a missing or unknown column or an unreadable value, naming the row.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype={"id": str}, keep_default_na=True, skipinitialspace=True)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        msg = f"Cannot read stops from {path}: {error}"
        raise FleetInputError(msg) from error
    return stops_from_frame(frame)


def read_fleet(path: str | Path) -> FleetFile:
    """
    Read depots, vehicle types and plan options from a TOML file.

    Schema::

        objective = "co2"            # optional: co2, co2e_wtw, time, distance, cost
        carbon_price_per_t = 80.0    # optional, money per t CO2e
        max_iterations = 2000        # optional (or time_limit_s = 30)
        seed = 0                     # optional
        baselines = ["distance", "time"]
        departure = 2024-03-04T08:00:00  # optional: plan in traffic (a network saved with
                                     #   speed profiles; see docs/fleet.md)

        [[depots]]
        id = "D1"
        lat = 35.90                  # or node = <node id>
        lon = 14.45
        open = "06:00"               # optional, HH:MM or seconds after midnight
        close = "20:00"              # optional
        charger_kw = 22              # optional: depot charger power into the battery, kW

        [[vehicles]]
        vehicle = "van_bev"          # catalogue name (see `ecoroute.vehicles()`)
        name = "e-van"               # optional, unique
        count = 3
        capacity_kg = 900            # optional, <= the model's max payload
        fixed_cost = 40              # optional money, also cost_per_km,
        cost_per_hour = 30           #   cost_per_hour, energy_price (per l or kWh)
        max_duration = "09:00"       # optional, longest route
        shift = ["07:00", "18:00"]   # optional
        start_depot = "D1"           # optional (default: the first depot)
        end_depot = "D1"             # optional (default: the start depot)
        battery_kwh = 75             # optional, electric only: no route uses more than
        reserve_kwh = 7.5            #   start_soc x battery_kwh - reserve_kwh
        start_soc = 1.0              # optional, fraction of battery_kwh at departure
        trips = 2                    # optional: trips a day, recharging at the depot between
        [vehicles.model]             # optional overrides of the vehicle model
        grid_g_per_kwh = 120

    Raises
    ------
    FleetInputError
        For a TOML syntax error or an unknown or malformed key, naming it.
    UnknownVehicleError
        For a vehicle name not in the catalogue.
    """
    try:
        with Path(path).open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        msg = f"{path} is not valid TOML: {error}"
        raise FleetInputError(msg) from error
    except OSError as error:
        msg = f"Cannot read the fleet file {path}: {error}"
        raise FleetInputError(msg) from error
    known = (*PLAN_KEYS, "depots", "vehicles")
    _check_keys(data, known, str(path))
    depots = tuple(_depot(item, i) for i, item in enumerate(_tables(data, "depots", path)))
    fleet = tuple(_vehicle(item, i) for i, item in enumerate(_tables(data, "vehicles", path)))
    options = {k: data[k] for k in PLAN_KEYS if k in data}
    return FleetFile(depots=depots, fleet=fleet, options=options)


def write_outputs(plan: FleetPlan, folder: str | Path) -> list[Path]:
    """
    Write the plan's report files into ``folder`` (created if needed); return their paths.

    ``plan.json`` (the whole report), ``vehicles.csv``, ``legs.csv``,
    ``stops.csv``, ``unassigned.csv``, ``violations.csv`` (empty for a
    feasible plan), ``plan.geojson`` and ``map.png``.
    """
    import json

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "plan.json"]
    plan.to_json(written[0])
    for level in ("vehicles", "legs", "stops", "unassigned", "violations"):
        target = out / f"{level}.csv"
        plan.to_dataframe(level).to_csv(target, index=False)
        written.append(target)
    geojson = out / "plan.geojson"
    geojson.write_text(json.dumps(plan.to_geojson()))
    written.append(geojson)
    png = out / "map.png"
    plan.plot(png)
    written.append(png)
    return written


# ---------------------------------------------------------------------- helpers


def _tables(data: dict[str, Any], key: str, path: str | Path) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        msg = f"{path}: '{key}' must be an array of tables ([[{key}]] sections)."
        raise FleetInputError(msg)
    if not items:
        msg = f"{path} has no [[{key}]] section; add at least one."
        raise FleetInputError(msg)
    return items


def _depot(item: dict[str, Any], i: int) -> Depot:
    where = f"depots[{i}]"
    _check_keys(item, _DEPOT_KEYS, where)
    if "id" not in item:
        msg = f"{where} needs an id."
        raise FleetInputError(msg)
    return Depot(
        str(item["id"]),
        lat=item.get("lat"),
        lon=item.get("lon"),
        node=item.get("node"),
        open_s=parse_time(item.get("open", 0.0), f"{where}.open"),
        close_s=parse_time(item.get("close", math.inf), f"{where}.close"),
        charger_kw=item.get("charger_kw"),
    )


def _vehicle(item: dict[str, Any], i: int) -> VehicleType:
    where = f"vehicles[{i}]"
    _check_keys(item, _VEHICLE_KEYS, where)
    if "vehicle" not in item:
        msg = f'{where} needs vehicle = <catalogue name>, e.g. vehicle = "van_diesel".'
        raise FleetInputError(msg)
    vehicle: Any = item["vehicle"]
    overrides = item.get("model", {})
    if not isinstance(overrides, dict):
        msg = f"{where}.model must be a table of vehicle parameters ([vehicles.model])."
        raise FleetInputError(msg)
    if overrides:
        from ..vehicles import vehicle as catalogue_vehicle

        try:
            vehicle = catalogue_vehicle(str(vehicle), **overrides)
        except (TypeError, ValueError) as error:  # unknown parameter, or a value out of range
            if isinstance(error, KeyError):  # an unknown vehicle name stays UnknownVehicleError
                raise
            msg = f"{where}.model: {error}"
            raise FleetInputError(msg) from error
    shift = item.get("shift")
    if shift is not None:
        if not isinstance(shift, list) or len(shift) != 2:
            msg = f'{where}.shift must be [start, end], e.g. ["07:00", "17:00"].'
            raise FleetInputError(msg)
        shift = (parse_time(shift[0], f"{where}.shift"), parse_time(shift[1], f"{where}.shift"))
    duration = item.get("max_duration")
    return VehicleType(
        vehicle,
        name=item.get("name", str(item["vehicle"]) if overrides else None),
        count=item.get("count", 1),
        capacity_kg=item.get("capacity_kg"),
        fixed_cost=item.get("fixed_cost", 0.0),
        cost_per_km=item.get("cost_per_km", 0.0),
        cost_per_hour=item.get("cost_per_hour", 0.0),
        energy_price=item.get("energy_price", 0.0),
        max_duration_s=None if duration is None else parse_time(duration, f"{where}.max_duration"),
        shift=shift,
        start_depot=item.get("start_depot"),
        end_depot=item.get("end_depot"),
        matrix_payload_kg=item.get("matrix_payload_kg"),
        battery_kwh=item.get("battery_kwh"),
        reserve_kwh=item.get("reserve_kwh", 0.0),
        start_soc=item.get("start_soc", 1.0),
        trips=item.get("trips", 1),
    )


def _check_keys(table: dict[str, Any], known: tuple[str, ...], where: str) -> None:
    import difflib

    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            msg = f"{where}: unknown key {key!r}.{hint} Known keys: {', '.join(known)}."
            raise FleetInputError(msg)
