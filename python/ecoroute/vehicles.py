"""Vehicles and their emission models (re-exported from :mod:`ecoroute.emissions`)."""

from __future__ import annotations

from .emissions.catalogue import resolve_vehicle, vehicle, vehicles
from .emissions.physics import GRAVITY_M_S2
from .emissions.vehicle import (
    MAX_ABS_GRADE,
    CombustionVehicle,
    ElectricVehicle,
    RoadVehicle,
    Vehicle,
)

__all__ = [
    "GRAVITY_M_S2",
    "MAX_ABS_GRADE",
    "CombustionVehicle",
    "ElectricVehicle",
    "RoadVehicle",
    "Vehicle",
    "resolve_vehicle",
    "vehicle",
    "vehicles",
]
