"""Least-CO2 routes and fleet plans on OpenStreetMap road networks."""

from __future__ import annotations

from . import access as access
from . import datasets as datasets
from . import elevation as elevation
from . import emissions as emissions
from . import fleet as fleet
from . import osmnx_io as osmnx_io
from . import speeds as speeds
from . import storage as storage
from . import traffic as traffic
from ._errors import DefaultVehicleWarning as DefaultVehicleWarning
from ._errors import EcoRouteError as EcoRouteError
from ._errors import ElevationError as ElevationError
from ._errors import FleetInputError as FleetInputError
from ._errors import FleetPlanWarning as FleetPlanWarning
from ._errors import NetworkError as NetworkError
from ._errors import NetworkFileError as NetworkFileError
from ._errors import NoRouteError as NoRouteError
from ._errors import OutputError as OutputError
from ._errors import SnapError as SnapError
from ._errors import TooBigError as TooBigError
from ._errors import UnknownNodeError as UnknownNodeError
from ._errors import UnknownVehicleError as UnknownVehicleError
from ._version import __version__ as __version__
from .dimacs import read_dimacs as read_dimacs
from .fleet import FleetPlan as FleetPlan
from .fleet import plan_fleet as plan_fleet
from .hierarchy import Hierarchy as Hierarchy
from .network import RoadNetwork as RoadNetwork
from .osm import OsmFileError as OsmFileError
from .osm import load_osm as load_osm
from .routing import ODMatrix as ODMatrix
from .routing import Route as Route
from .routing import Router as Router
from .traffic import SpeedProfiles as SpeedProfiles
from .traffic import read_speeds as read_speeds
from .traffic import with_speeds as with_speeds
from .vehicles import CombustionVehicle as CombustionVehicle
from .vehicles import ElectricVehicle as ElectricVehicle
from .vehicles import Vehicle as Vehicle
from .vehicles import vehicle as vehicle
from .vehicles import vehicles as vehicles

__all__ = [
    "CombustionVehicle",
    "DefaultVehicleWarning",
    "EcoRouteError",
    "ElectricVehicle",
    "ElevationError",
    "FleetInputError",
    "FleetPlan",
    "FleetPlanWarning",
    "Hierarchy",
    "NetworkError",
    "NetworkFileError",
    "NoRouteError",
    "ODMatrix",
    "OsmFileError",
    "OutputError",
    "RoadNetwork",
    "Route",
    "Router",
    "SnapError",
    "SpeedProfiles",
    "TooBigError",
    "UnknownNodeError",
    "UnknownVehicleError",
    "Vehicle",
    "datasets",
    "elevation",
    "emissions",
    "fleet",
    "load_osm",
    "osmnx_io",
    "plan_fleet",
    "read_dimacs",
    "read_speeds",
    "speeds",
    "storage",
    "traffic",
    "vehicle",
    "vehicles",
    "with_speeds",
]
