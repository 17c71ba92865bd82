"""Fleet route planning: least-CO2 plans for a heterogeneous fleet, scored ISO 14083-style."""

from __future__ import annotations

from .evaluate import PlannedRoute as PlannedRoute
from .files import FleetFile as FleetFile
from .files import read_fleet as read_fleet
from .files import read_stops as read_stops
from .files import write_outputs as write_outputs
from .matrices import OBJECTIVES as OBJECTIVES
from .matrices import od_matrices as od_matrices
from .model import Depot as Depot
from .model import Stop as Stop
from .model import VehicleType as VehicleType
from .model import parse_time as parse_time
from .model import stops_from_frame as stops_from_frame
from .plan import METHOD as METHOD
from .plan import FleetPlan as FleetPlan
from .plan import Leg as Leg
from .plan import Savings as Savings
from .plan import Unassigned as Unassigned
from .plan import VehicleRoute as VehicleRoute
from .plan import Violation as Violation
from .plan import Visit as Visit
from .planner import DEFAULT_MAX_ITERATIONS as DEFAULT_MAX_ITERATIONS
from .planner import evaluate_routes as evaluate_routes
from .planner import plan_fleet as plan_fleet
from .tradeoff import leg_tradeoff as leg_tradeoff

__all__ = [
    "DEFAULT_MAX_ITERATIONS",
    "METHOD",
    "OBJECTIVES",
    "Depot",
    "FleetFile",
    "FleetPlan",
    "Leg",
    "PlannedRoute",
    "Savings",
    "Stop",
    "Unassigned",
    "VehicleRoute",
    "VehicleType",
    "Violation",
    "Visit",
    "evaluate_routes",
    "leg_tradeoff",
    "od_matrices",
    "parse_time",
    "plan_fleet",
    "read_fleet",
    "read_stops",
    "stops_from_frame",
    "write_outputs",
]
