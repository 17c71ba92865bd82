"""Least-CO2 routes and fleet plans on OpenStreetMap road networks."""

from __future__ import annotations

from . import speeds as speeds
from ._errors import EcoRouteError as EcoRouteError
from ._errors import NetworkError as NetworkError
from ._errors import NoRouteError as NoRouteError
from ._errors import UnknownNodeError as UnknownNodeError
from ._errors import UnknownVehicleError as UnknownVehicleError
from .dimacs import read_dimacs as read_dimacs
from .hierarchy import Hierarchy as Hierarchy
from .hierarchy import ODMatrix as ODMatrix
from .network import RoadNetwork as RoadNetwork
from .routing import Route as Route
from .routing import Router as Router
from .vehicles import Vehicle as Vehicle
from .vehicles import vehicle as vehicle
from .vehicles import vehicles as vehicles

__version__ = "0.1.0"

__all__ = [
    "EcoRouteError",
    "Hierarchy",
    "NetworkError",
    "NoRouteError",
    "ODMatrix",
    "RoadNetwork",
    "Route",
    "Router",
    "UnknownNodeError",
    "UnknownVehicleError",
    "Vehicle",
    "read_dimacs",
    "speeds",
    "vehicle",
    "vehicles",
]
