"""Emission and energy models: physics, HBEFA 4.2, EMEP/EEA (COPERT), fuels, the Vehicle classes and the catalogue."""

from __future__ import annotations

from .catalogue import CATALOGUE as CATALOGUE
from .catalogue import resolve_vehicle as resolve_vehicle
from .catalogue import vehicle as vehicle
from .catalogue import vehicles as vehicles
from .copert import URBAN_BUS_STD_DIESEL_EURO_VI_EC as URBAN_BUS_STD_DIESEL_EURO_VI_EC
from .copert import CopertTable as CopertTable
from .copert import read_emep_eea_csv as read_emep_eea_csv
from .fuels import EU27_GRID_G_PER_KWH as EU27_GRID_G_PER_KWH
from .fuels import FUELS as FUELS
from .fuels import RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ as RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ
from .fuels import Fuel as Fuel
from .fuels import biofuel as biofuel
from .fuels import blend as blend
from .fuels import fuel as fuel
from .hbefa4 import HBEFA4_CLASSES as HBEFA4_CLASSES
from .hbefa4 import Hbefa4Class as Hbefa4Class
from .physics import AIR_DENSITY_KG_M3 as AIR_DENSITY_KG_M3
from .physics import GRAVITY_M_S2 as GRAVITY_M_S2
from .physics import battery_power_w as battery_power_w
from .physics import road_load_n as road_load_n
from .physics import traffic_work_j_per_kg_km as traffic_work_j_per_kg_km
from .physics import willans_fuel_power_w as willans_fuel_power_w
from .vehicle import MAX_ABS_GRADE as MAX_ABS_GRADE
from .vehicle import CombustionVehicle as CombustionVehicle
from .vehicle import ElectricVehicle as ElectricVehicle
from .vehicle import RoadVehicle as RoadVehicle
from .vehicle import Vehicle as Vehicle

__all__ = [
    "AIR_DENSITY_KG_M3",
    "CATALOGUE",
    "EU27_GRID_G_PER_KWH",
    "FUELS",
    "GRAVITY_M_S2",
    "HBEFA4_CLASSES",
    "MAX_ABS_GRADE",
    "RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ",
    "URBAN_BUS_STD_DIESEL_EURO_VI_EC",
    "CombustionVehicle",
    "CopertTable",
    "ElectricVehicle",
    "Fuel",
    "Hbefa4Class",
    "RoadVehicle",
    "Vehicle",
    "battery_power_w",
    "biofuel",
    "blend",
    "fuel",
    "read_emep_eea_csv",
    "resolve_vehicle",
    "road_load_n",
    "traffic_work_j_per_kg_km",
    "vehicle",
    "vehicles",
    "willans_fuel_power_w",
]
