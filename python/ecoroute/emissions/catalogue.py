"""
The vehicle catalogue: a logistics fleet's vehicles, their parameters and where they come from.

Which model each vehicle uses by default, and why (``docs/emissions.md`` has
the details, the references and the validation grids):

* **Cars, vans and trucks use the physics model.** It is the only model that
  covers every vehicle of the fleet with one set of equations, so comparisons
  between vehicles (which one should serve a job) are fair; it is the only one
  with payload, any grade, and battery-electric recuperation that respects the
  energy bound the EV router needs. Masses, drag and rolling resistance come
  from published vehicle data (PHEMlight5, carculator, SUMO); the engine's
  Willans parameters (``zero_load_fuel_power_kw``, ``engine_efficiency``) and
  the EV's drive efficiency and constant losses are calibrated so that the
  arcs' rates (traffic included) sit inside the spread of each vehicle's
  reference classes (:mod:`ecoroute.emissions.references`: HBEFA 4.2, COPERT 5,
  a measured ID.3) on flat and uphill roads.
* **The urban bus uses COPERT** (EMEP/EEA 2019, full precision, with slope and
  load classes). An urban bus's energy is dominated by stops and
  accelerations, which a constant-speed physics model cannot see (422 vs 686 g
  CO2/km at 50 km/h); COPERT's average-speed curves include them.

Every vehicle can switch model (``ecoroute.vehicle("truck_40t_diesel",
model="hbefa4")``) and override any parameter.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from .._errors import UnknownVehicleError
from .copert import URBAN_BUS_STD_DIESEL_EURO_VI_EC
from .hbefa4 import HBEFA4_CLASSES
from .legal import SPEED_LIMITER_KPH

# Willans parameters of the rigid trucks added for issue 15, calibrated like the
# others (docs/emissions.md, References).
ENGINE_7_5T, P0_7_5T = 0.50, 7.5
ENGINE_26T, P0_26T = 0.50, 40.0
from .vehicle import CombustionVehicle, ElectricVehicle, Vehicle


def car_petrol() -> CombustionVehicle:
    """Compact passenger car, petrol, Euro 6, 84 kW."""
    return CombustionVehicle(
        name="car_petrol",
        description="Compact passenger car, petrol, Euro 6 (84 kW), driver + 180 kg",
        fuel="petrol",
        euro_class="Euro 6",
        curb_mass_kg=1193.7,
        payload_kg=179.7,
        max_payload_kg=500.0,
        drag_area_m2=0.3745 * 2.12,
        rolling_resistance=0.0095104,
        rolling_resistance_per_m_s=7.08e-5,
        auxiliary_power_kw=1.26,
        driveline_efficiency=0.92,
        engine_efficiency=0.41,
        zero_load_fuel_power_kw=12.0,
        hbefa4=HBEFA4_CLASSES["PC_petrol_Euro-6ab"],
        hbefa4_reference_mass_kg=1193.7 + 179.7,
        access_class="motorcar",
        length_m=4.284,
        width_m=1.789,
        height_m=1.456,
        sources=(
            "Body: SUMO PHEMlight5 PC_EU4_G.PHEMLight.veh (mass 1193.7 kg, loading 179.7 kg, "
            "Cw 0.3745, A 2.12 m², Fr0 0.0095104, Fr1 7.08e-5 s/m, aux 1.5 % of 84 kW). "
            "Willans P0 12 kW and eta_m 0.41 calibrated to HBEFA 4.2 PC_petrol_Euro-6ab "
            "on 0..+6 % and 30-130 km/h (docs/emissions.md, References); eta_dt 0.92. Max "
            "payload 500 kg: a typical compact car (assumption). "
            "Legal profile: VW Golf 8 body, 4.284 x 1.789 x 1.456 m (length x width without "
            "mirrors x height; Volkswagen launch data, 2019), 2 axles, no speed limiter."
        ),
    )


def car_diesel() -> CombustionVehicle:
    """Compact passenger car, diesel, Euro 6."""
    return CombustionVehicle(
        name="car_diesel",
        description="Compact passenger car, diesel, Euro 6, driver + 180 kg",
        fuel="diesel",
        euro_class="Euro 6",
        curb_mass_kg=1240.0,
        payload_kg=180.0,
        max_payload_kg=500.0,
        drag_area_m2=0.3745 * 2.12,
        rolling_resistance=0.0095104,
        rolling_resistance_per_m_s=7.08e-5,
        auxiliary_power_kw=1.26,
        driveline_efficiency=0.92,
        engine_efficiency=0.37,
        zero_load_fuel_power_kw=10.5,
        hbefa4=HBEFA4_CLASSES["PC_diesel_Euro-6ab"],
        hbefa4_reference_mass_kg=1240.0 + 180.0,
        access_class="motorcar",
        length_m=4.284,
        width_m=1.789,
        height_m=1.456,
        sources=(
            "Body as car_petrol, ~45 kg heavier for the diesel engine (assumption). "
            "Willans P0 10.5 kW and eta_m 0.37 calibrated to HBEFA 4.2 PC_diesel_Euro-6ab "
            "on 0..+6 % and 30-130 km/h. The low eta_m absorbs that the HBEFA diesel class "
            "averages larger cars than the petrol class (docs/emissions.md, References). "
            "Legal profile: VW Golf 8 body, 4.284 x 1.789 x 1.456 m (length x width without "
            "mirrors x height; Volkswagen launch data, 2019), 2 axles, no speed limiter."
        ),
    )


def car_bev() -> ElectricVehicle:
    """Compact battery-electric car (VW ID.3 class)."""
    return ElectricVehicle(
        name="car_bev",
        description="Compact battery-electric car (VW ID.3 class), driver",
        euro_class="zero emission",
        curb_mass_kg=1794.0,
        payload_kg=75.0,
        max_payload_kg=500.0,
        drag_area_m2=0.26 * 2.36,
        rolling_resistance=0.007,
        auxiliary_power_kw=1.5,
        propulsion_efficiency=0.92,
        regeneration_efficiency=0.75,
        max_regeneration_power_kw=42.8,
        charging_efficiency=0.85,
        hbefa4=HBEFA4_CLASSES["PC_BEV"],
        hbefa4_reference_mass_kg=1794.0 + 75.0,
        access_class="motorcar",
        length_m=4.261,
        width_m=1.809,
        height_m=1.568,
        sources=(
            "SUMO MMPEVEM VW_ID3.xml: mass 1794 kg, Cd 0.26, A 2.36 m², Crr 0.007, "
            "regeneration limit 42.8 kW. The drive is a line like the Willans engine's: "
            "marginal battery->wheel efficiency 0.92 (the ID.3 model's climb costs 5.4 "
            "kWh/100 km per % of grade, its potential energy 5.1) plus 1.5 kW of constant "
            "losses (the file's 360 W auxiliaries and the motor and inverter at light load), "
            "calibrated to HBEFA 4.2 PC_BEV and the ID.3 model on the flat (docs/emissions.md). "
            "Wheel->battery 0.75 (effective, with blended friction braking). Charging 0.85 "
            "(carculator 1.9.5 battery charge efficiency). Grid: EU-27 2023. "
            "Legal profile: VW ID.3 body, 4.261 x 1.809 x 1.568 m (length x width without mirrors "
            "x height; motor1.com, 2022), 2 axles, no speed limiter."
        ),
    )


def van_diesel() -> CombustionVehicle:
    """3.5 t panel van, diesel, Euro 6, half loaded."""
    return CombustionVehicle(
        name="van_diesel",
        description="3.5 t panel van (N1-III), diesel, Euro 6, 50 % load",
        fuel="diesel",
        euro_class="Euro 6",
        curb_mass_kg=1925.0,
        payload_kg=787.5,
        max_payload_kg=1575.0,
        drag_area_m2=1.8,
        rolling_resistance=0.00905,
        auxiliary_power_kw=1.0,
        driveline_efficiency=0.92,
        engine_efficiency=0.41,
        zero_load_fuel_power_kw=7.4,
        hbefa4=HBEFA4_CLASSES["LCV_diesel_N1-III_Euro-6ab"],
        hbefa4_reference_mass_kg=1925.0 + 787.5,
        access_class="goods",
        length_m=5.9,
        width_m=2.0,
        height_m=2.7,
        sources=(
            "carculator 1.9.5 'Van': Crr 0.00905, aux 1 kW; curb mass = 3.5 t - 1575 kg "
            "payload (carculator_truck 3.5 t). Drag area 1.8 m² (a high-roof N1-III van, "
            "Cd ~0.35 x A ~5 m²; carculator's 1.29 is a smaller van) and Willans P0 7.4 kW, "
            "eta_m 0.41 calibrated to HBEFA 4.2 LCV_diesel_N1-III and COPERT 5 N1-III "
            "(docs/emissions.md, References). "
            "Legal profile: goods vehicle up to 3.5 t (N1; curb 1925 + payload 1575 kg = 3.5 t "
            "permissible), about 5.9 x 2.0 x 2.7 m (a medium-wheelbase high-roof panel van of the "
            "Sprinter/Crafter class; approximate, assumption), 2 axles, no speed limiter "
            "(Directive 92/6/EEC covers N2/N3 only)."
        ),
    )


def van_bev() -> ElectricVehicle:
    """3.5 t battery-electric panel van, half loaded."""
    return ElectricVehicle(
        name="van_bev",
        description="3.5 t battery-electric panel van, 50 % load",
        euro_class="zero emission",
        curb_mass_kg=2500.0,
        payload_kg=500.0,
        max_payload_kg=1000.0,
        drag_area_m2=1.8,
        rolling_resistance=0.00905,
        auxiliary_power_kw=2.6,
        propulsion_efficiency=0.92,
        regeneration_efficiency=0.75,
        max_regeneration_power_kw=60.0,
        charging_efficiency=0.85,
        hbefa4=HBEFA4_CLASSES["LCV_BEV_N1-III"],
        hbefa4_reference_mass_kg=3000.0,
        access_class="goods",
        length_m=5.9,
        width_m=2.0,
        height_m=2.7,
        sources=(
            "Body as van_diesel; 3000 kg at 50 % load (docs/emissions.md), i.e. 2500 kg "
            "curb and 1000 kg payload under a 3.5 t gross weight (the battery takes the "
            "rest; assumption). Marginal drive efficiency 0.92 as car_bev (the ID.3's "
            "motor). Constant load 2.6 kW (auxiliaries and the drive at light load), "
            "calibrated: least squares towards the middle of its two references (HBEFA 4.2 "
            "LCV_BEV_N1-III and COPERT N1-III via HBEFA4's battery/diesel ratio) gives "
            "3.6 kW, which puts the van 20 % above a measured Mercedes eSprinter (21.9 "
            "kWh/100 km, 475 km, TUV Sud); 2.6 kW is the most that keeps it within 15 % of "
            "that drive at 50-70 km/h (docs/emissions.md, References). Regeneration limit "
            "60 kW (unverified assumption). "
            "Legal profile as van_diesel: goods vehicle up to 3.5 t (2500 + 1000 kg), about 5.9 x "
            "2.0 x 2.7 m (assumption), 2 axles, no speed limiter."
        ),
    )


def truck_18t_diesel() -> CombustionVehicle:
    """18 t rigid truck, diesel, Euro VI, half loaded."""
    return CombustionVehicle(
        name="truck_18t_diesel",
        description="18 t rigid truck, diesel, Euro VI, 50 % load",
        fuel="diesel",
        euro_class="Euro VI",
        curb_mass_kg=8600.0,
        payload_kg=4700.0,
        max_payload_kg=9400.0,
        drag_area_m2=4.5,
        rolling_resistance=0.0055,
        auxiliary_power_kw=4.0,
        driveline_efficiency=0.89,
        engine_efficiency=0.50,
        zero_load_fuel_power_kw=17.5,
        hbefa4=HBEFA4_CLASSES["RT_gt14-20t_Euro-VI_A-C"],
        hbefa4_reference_mass_kg=8600.0 + 4700.0,
        access_class="hgv",
        length_m=12.0,
        width_m=2.55,
        height_m=4.0,
        axle_count=2,
        max_axle_load_t=11.5,
        top_speed_kph=SPEED_LIMITER_KPH["hgv"],
        sources=(
            "carculator_truck 0.5.0, 18 t: A 7.5 m², Crr 0.0055 (ICCT), aux 4000 W (Weller "
            "2020), transmission 0.89, max payload 9400 kg. Drag area 4.5 m² (Cd 0.6, a box "
            "body; carculator's Cd 0.473 is a streamlined one) and Willans eta_m 0.50, P0 "
            "17.5 kW calibrated to COPERT 5 Rigid 14-20 t and HBEFA 4.2 RT 14-20 t, its "
            "size classes (docs/emissions.md, References). "
            "Legal profile: goods vehicle over 3.5 t (N3), 18 t permissible on 2 axles (the "
            "two-axle limit), built to the EU maxima of Directive 96/53/EC as amended by (EU) "
            "2015/719, Annex I: rigid length 12.0 m, width 2.55 m, height 4.0 m; heaviest axle "
            "11.5 t (the driving-axle limit), speed limiter 90 km/h (Directive 92/6/EEC as "
            "amended by 2002/85/EC)."
        ),
    )


def truck_40t_diesel() -> CombustionVehicle:
    """40 t articulated truck (tractor + semi-trailer), diesel, Euro VI, half loaded."""
    return CombustionVehicle(
        name="truck_40t_diesel",
        description="40 t articulated truck, diesel, Euro VI, 50 % load",
        fuel="diesel",
        euro_class="Euro VI",
        curb_mass_kg=14700.0,
        payload_kg=12650.0,
        max_payload_kg=25300.0,
        drag_area_m2=5.7,
        rolling_resistance=0.0055,
        auxiliary_power_kw=5.0,
        driveline_efficiency=0.89,
        engine_efficiency=0.50,
        zero_load_fuel_power_kw=36.5,
        hbefa4=HBEFA4_CLASSES["TT_AT_gt34-40t_Euro-VI_A-C"],
        hbefa4_reference_mass_kg=14700.0 + 12650.0,
        access_class="hgv",
        length_m=16.5,
        width_m=2.55,
        height_m=4.0,
        axle_count=5,
        max_axle_load_t=11.5,
        top_speed_kph=SPEED_LIMITER_KPH["hgv"],
        sources=(
            "carculator_truck 0.5.0, 40 t: A 10 m², Crr 0.0055, aux 5000 W, payload "
            "25300 kg. Drag area 5.7 m² (Cd 0.57; tractor-trailers are 5-6 m², carculator's "
            "4.73 the low end) and Willans eta_m 0.50, P0 36.5 kW calibrated to COPERT 5 "
            "Articulated 34-40 t and HBEFA 4.2 TT_AT 34-40 t (docs/emissions.md, References). "
            "Legal profile: goods vehicle over 3.5 t (N3), 40 t permissible: a two-axle tractor "
            "with a three-axle semi-trailer, 5 axles (Directive 96/53/EC as amended by (EU) "
            "2015/719, Annex I: articulated vehicle 40 t, length 16.5 m, width 2.55 m, height 4.0 "
            "m), heaviest axle 11.5 t (the driving-axle limit), speed limiter 90 km/h (Directive "
            "92/6/EEC as amended by 2002/85/EC)."
        ),
    )


def bus_diesel() -> CombustionVehicle:
    """12 m urban bus, diesel, Euro VI; COPERT average-speed model by default."""
    return CombustionVehicle(
        name="bus_diesel",
        description="12 m urban bus (15-18 t), diesel, Euro VI, 50 % load",
        fuel="diesel",
        euro_class="Euro VI",
        model="copert",
        curb_mass_kg=11500.0,
        payload_kg=3250.0,
        max_payload_kg=6500.0,
        drag_area_m2=0.65 * 8.07,
        rolling_resistance=0.0055,
        auxiliary_power_kw=5.0,
        driveline_efficiency=0.89,
        engine_efficiency=0.42,
        zero_load_fuel_power_kw=20.0,
        copert=URBAN_BUS_STD_DIESEL_EURO_VI_EC,
        hbefa4=HBEFA4_CLASSES["UBus_Std_gt15-18t_Euro-VI_A-C"],
        hbefa4_reference_mass_kg=11500.0 + 3250.0,
        access_class="bus",
        length_m=12.0,
        width_m=2.55,
        height_m=3.2,
        axle_count=2,
        max_axle_load_t=11.5,
        top_speed_kph=SPEED_LIMITER_KPH["bus"],
        sources=(
            "Default model: EMEP/EEA 2019 Ubus Std 15-18 t diesel Euro VI (DPF+SCR) energy "
            "consumption, full precision (ecoroute.emissions.copert). Physics parameters: "
            "carculator_bus 0.1.0 13 m city bus (Cd 0.65, A 8.07 m², aux 5000 W), Crr "
            "0.0055, eta_m 0.42, P0 20 kW (docs/emissions.md); curb mass 11.5 t "
            "(unverified) and max payload 6.5 t to the class's 18 t gross weight; the "
            "default payload is COPERT's 50 % load, about 43 passengers of 75 kg. "
            "Legal profile: bus (M3), 18 t permissible on 2 axles (the Directive 96/53/EC "
            "two-axle limit), 12.0 m long and 2.55 m wide (the Annex I maxima for a rigid bus), "
            "about 3.2 m high with roof-mounted air conditioning (assumption), heaviest axle 11.5 "
            "t (the driving-axle limit), speed limiter 100 km/h (Directive 92/6/EEC as amended by "
            "2002/85/EC)."
        ),
    )


def truck_7_5t_diesel() -> CombustionVehicle:
    """7.5 t rigid truck, diesel, Euro VI, half loaded."""
    return CombustionVehicle(
        name="truck_7_5t_diesel",
        description="7.5 t rigid truck, diesel, Euro VI, 50 % load",
        fuel="diesel",
        euro_class="Euro VI",
        curb_mass_kg=3900.0,
        payload_kg=1800.0,
        max_payload_kg=3600.0,
        drag_area_m2=0.75 * 5.3,
        rolling_resistance=0.0055,
        auxiliary_power_kw=3.0,
        driveline_efficiency=0.89,
        engine_efficiency=ENGINE_7_5T,
        zero_load_fuel_power_kw=P0_7_5T,
        hbefa4=HBEFA4_CLASSES["RT_le7.5t_Euro-VI_A-C"],
        hbefa4_reference_mass_kg=3900.0 + 1800.0,
        access_class="hgv",
        length_m=8.0,
        width_m=2.55,
        height_m=3.6,
        top_speed_kph=SPEED_LIMITER_KPH["hgv"],
        sources=(
            "carculator_truck 0.5.0, 7.5t (2020): gross 7500 kg, max payload 3600 kg, frontal "
            "area 5.3 m², aux 3000 W (Weller 2020), Crr 0.0055 (ICCT), transmission 0.89. Cd "
            "0.75 (a small box body without aerodynamic kit; assumption) and Willans eta_m "
            "0.50, P0 7.5 kW calibrated to COPERT 5 Rigid <=7.5 t and HBEFA 4.2 RT_le7.5t "
            "(docs/emissions.md, References). "
            "Legal profile: goods vehicle over 3.5 t (N2), 7.5 t permissible (3900 + 3600 kg), 2 "
            "axles (axle load: the mass spread evenly, no axle split at hand), a box body of "
            "about 8.0 m x 2.55 m x 3.6 m (typical, assumption; inside the limits of Directive "
            "96/53/EC Annex I), speed limiter 90 km/h (Directive 92/6/EEC as amended by "
            "2002/85/EC)."
        ),
    )


def truck_26t_diesel() -> CombustionVehicle:
    """26 t rigid truck, diesel, Euro VI, half loaded."""
    return CombustionVehicle(
        name="truck_26t_diesel",
        description="26 t rigid truck, diesel, Euro VI, 50 % load",
        fuel="diesel",
        euro_class="Euro VI",
        curb_mass_kg=10600.0,
        payload_kg=7700.0,
        max_payload_kg=15400.0,
        drag_area_m2=0.6 * 7.5,
        rolling_resistance=0.0055,
        auxiliary_power_kw=4.2,
        driveline_efficiency=0.89,
        engine_efficiency=ENGINE_26T,
        zero_load_fuel_power_kw=P0_26T,
        hbefa4=HBEFA4_CLASSES["RT_gt20-26t_Euro-VI_A-C"],
        hbefa4_reference_mass_kg=10600.0 + 7700.0,
        access_class="hgv",
        length_m=12.0,
        width_m=2.55,
        height_m=4.0,
        axle_count=3,
        max_axle_load_t=11.5,
        top_speed_kph=SPEED_LIMITER_KPH["hgv"],
        sources=(
            "carculator_truck 0.5.0, 26t (2020): gross 26000 kg, max payload 15400 kg, frontal "
            "area 7.5 m², aux 4200 W (Weller 2020), Crr 0.0055 (ICCT), transmission 0.89. Cd 0.6 "
            "(box body). Willans eta_m 0.50 and P0 40 kW calibrated to COPERT 5 Rigid 20-26 t "
            "and HBEFA 4.2 RT_gt20-26t (docs/emissions.md, References). "
            "Legal profile: goods vehicle over 3.5 t (N3), 26 t permissible on 3 axles (Directive "
            "96/53/EC Annex I: 25 t, 26 t with twin tyres and air suspension on the driving "
            "axle), rigid length 12.0 m, width 2.55 m, height 4.0 m (the Annex I maxima), "
            "heaviest axle 11.5 t (the driving-axle limit), speed limiter 90 km/h (Directive "
            "92/6/EEC as amended by 2002/85/EC)."
        ),
    )


def truck_18t_bev() -> ElectricVehicle:
    """18 t battery-electric rigid truck (Mercedes-Benz eActros 300 class), half loaded."""
    battery_kg = 336.0 / (0.16 * 0.8)  # installed kWh / (LFP cell kWh/kg x cell mass share)
    curb = 8600.0 + battery_kg
    return ElectricVehicle(
        name="truck_18t_bev",
        description="18 t battery-electric rigid truck (eActros 300 class, 336 kWh), 50 % load",
        euro_class="zero emission",
        curb_mass_kg=curb,
        payload_kg=(18000.0 - curb) / 2,
        max_payload_kg=18000.0 - curb,
        drag_area_m2=0.6 * 7.5,
        rolling_resistance=0.0055,
        auxiliary_power_kw=4.0,
        propulsion_efficiency=0.85,
        regeneration_efficiency=0.75,
        max_regeneration_power_kw=330.0,
        charging_efficiency=0.85,
        hbefa4=HBEFA4_CLASSES["RigidTruck_BEV_gt12t"],
        hbefa4_reference_mass_kg=18000.0 - (18000.0 - curb) / 2,
        access_class="hgv",
        length_m=12.0,
        width_m=2.55,
        height_m=4.0,
        axle_count=2,
        max_axle_load_t=11.5,
        top_speed_kph=SPEED_LIMITER_KPH["hgv"],
        sources=(
            "Mercedes-Benz eActros 300: three battery packs of 112 kWh installed (336 kWh; "
            "freightcarbonzero.com, 2023), about 97 kWh net each and up to 400 km with four "
            "(bilmagasinet.dk), i.e. about 0.97 kWh/km; 330 kW continuous motor power (taken "
            "as the regeneration limit). Body as truck_18t_diesel (curb 8600 kg, A 7.5 m², Cd "
            "0.6, Crr 0.0055, aux 4 kW); plus the battery, 336 kWh at carculator_truck's LFP "
            "cell 0.16 kWh/kg and 80 % cell mass share = 2625 kg (the e-axle is taken to "
            "weigh what engine and gearbox did; assumption); gross 18 t. Drive efficiencies "
            "0.85 / 0.75 and charging 0.85 (carculator_truck, Cox et al. 2020). "
            "Legal profile as truck_18t_diesel: N3, 18 t on 2 axles, 12.0 x 2.55 x 4.0 m (the "
            "Directive 96/53/EC maxima), heaviest axle 11.5 t, speed limiter 90 km/h."
        ),
    )


def truck_40t_bev() -> ElectricVehicle:
    """40 t battery-electric articulated truck (Mercedes-Benz eActros 600 class), half loaded."""
    return ElectricVehicle(
        name="truck_40t_bev",
        description="40 t battery-electric articulated truck (eActros 600 class, 600 kWh), 50 % load",
        euro_class="zero emission",
        curb_mass_kg=18000.0,
        payload_kg=11000.0,
        max_payload_kg=22000.0,
        drag_area_m2=5.7,
        rolling_resistance=0.0055,
        auxiliary_power_kw=5.0,
        propulsion_efficiency=0.85,
        regeneration_efficiency=0.75,
        max_regeneration_power_kw=400.0,
        charging_efficiency=0.85,
        hbefa4=HBEFA4_CLASSES["TT_AT_BEV"],
        hbefa4_reference_mass_kg=29000.0,
        access_class="hgv",
        length_m=16.5,
        width_m=2.55,
        height_m=4.0,
        axle_count=5,
        max_axle_load_t=11.5,
        top_speed_kph=SPEED_LIMITER_KPH["hgv"],
        sources=(
            "Mercedes-Benz eActros 600: more than 600 kWh net battery, about 500 km range "
            "(e-medienportal.net, autonews.autoua.net, 2023), i.e. about 1.2 kWh/km; 400 kW "
            "continuous power (taken as the regeneration limit); payload about 22 t with a "
            "standard semi-trailer at 40 t, so tractor + trailer about 18 t. Body as "
            "truck_40t_diesel (CdA 5.7 m², Crr 0.0055, aux 5 kW). Drive efficiencies 0.85 / "
            "0.75 and charging 0.85 (carculator_truck, Cox et al. 2020). "
            "Legal profile as truck_40t_diesel: N3 articulated, 40 t on 5 axles, 16.5 x 2.55 x "
            "4.0 m, heaviest axle 11.5 t, speed limiter 90 km/h (the extra mass Directive "
            "96/53/EC allows zero-emission vehicles is not used)."
        ),
    )


#: The vehicle catalogue: name -> factory returning the vehicle with its default parameters.
CATALOGUE: dict[str, Callable[[], Vehicle]] = {
    factory.__name__: factory
    for factory in (
        car_petrol,
        car_diesel,
        car_bev,
        van_diesel,
        van_bev,
        truck_7_5t_diesel,
        truck_18t_diesel,
        truck_26t_diesel,
        truck_40t_diesel,
        truck_18t_bev,
        truck_40t_bev,
        bus_diesel,
    )
}


def vehicles() -> list[str]:
    """Return the names of every vehicle in the catalogue."""
    return sorted(CATALOGUE)


def describe_vehicle(name: str) -> dict[str, Any]:
    """
    What ``ecoroute vehicles`` and the service's ``/vehicles`` say of catalogue vehicle ``name``.

    Its kind (``combustion``, ``electric``...), access class, curb mass and largest
    payload in kg, energy (the fuel's name or ``electricity``), emission model and legal
    profile (:meth:`RoadVehicle.legal_summary`).
    """
    model = vehicle(name)
    fuel = getattr(model, "fuel", None)
    return {
        "name": name,
        "kind": type(model).__name__.removesuffix("Vehicle").lower(),
        "access_class": getattr(model, "access_class", ""),
        "curb_mass_kg": getattr(model, "curb_mass_kg", None),
        "max_payload_kg": getattr(model, "max_payload_kg", None),
        "energy": getattr(fuel, "name", None) or "electricity",
        "model": getattr(model, "model", ""),
        "legal_profile": model.legal_summary() if hasattr(model, "legal_summary") else "",
    }


def vehicle(name: str, **overrides: Any) -> Vehicle:
    """
    Return the catalogue vehicle ``name``, with any parameter overridden by keyword.

    Examples: ``vehicle("truck_40t_diesel", payload_kg=20000)``,
    ``vehicle("car_bev", grid_g_per_kwh=50)``, ``vehicle("bus_diesel",
    model="physics")``. See :mod:`ecoroute.emissions.catalogue` for every
    vehicle's parameters and their sources.

    Raises
    ------
    UnknownVehicleError
        (a ``KeyError``) if ``name`` is not in the catalogue; the message
        suggests close matches.
    TypeError
        If an override names a parameter the vehicle does not have.
    ValueError
        If an override is out of range (e.g. a payload above the maximum).
    """
    factory = CATALOGUE.get(name)
    if factory is None:
        close = difflib.get_close_matches(str(name), CATALOGUE, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        msg = f"Unknown vehicle {name!r}.{hint} Known vehicles: {', '.join(vehicles())}."
        raise UnknownVehicleError(msg)
    return factory().replace(**overrides)


def resolve_vehicle(value: str | Vehicle) -> Vehicle:
    """Return ``value`` if it is a Vehicle, else the catalogue vehicle of that name."""
    if isinstance(value, Vehicle):
        return value
    if isinstance(value, str):
        return vehicle(value)
    msg = f"vehicle must be a catalogue name or a Vehicle, not {type(value).__name__}."
    raise TypeError(msg)
