"""
The published references each catalogue vehicle is calibrated and checked against.

Every catalogue vehicle has one or more named reference classes: an HBEFA 4.2
subsegment (the polynomial SUMO implements, :mod:`ecoroute.emissions.hbefa4`),
an EMEP/EEA 2019 (COPERT 5) segment with slope and load classes
(:mod:`ecoroute.emissions.copert`), or, for an electric car, measurements of a
cited real vehicle's model. Each reference gives the quantity the vehicle is
compared on at a speed and grade: tank-to-wheel CO2 in g/km for a combustion
vehicle, battery energy in kWh/km for an electric one. ``docs/emissions.md``
("References") says which class stands for which vehicle, at what mass and
load, and why; ``benchmarks/bench_emission_fidelity.py`` writes the ratio
grids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .copert import (
    ARTICULATED_34_40T_DIESEL_EURO_VI_EC,
    LCV_N1_III_DIESEL_EURO_6_EC,
    RIGID_12_14T_DIESEL_EURO_VI_EC,
    RIGID_14_20T_DIESEL_EURO_VI_EC,
    RIGID_20_26T_DIESEL_EURO_VI_EC,
    RIGID_LE_7_5T_DIESEL_EURO_VI_EC,
    URBAN_BUS_STD_DIESEL_EURO_VI_EC,
    CopertTable,
)
from .fuels import FUELS
from .hbefa4 import HBEFA4_CLASSES
from .physics import wheel_work_j_per_m
from .vehicle import RoadVehicle

FloatArray = npt.NDArray[np.float64]

#: Battery energy of the VW ID.3 (SUMO MMPEVEM model, ``data/emissions/MMPEVEM/
#: VW_ID3.xml``: 1794 kg, Cd 0.26, A 2.36 m², Crr 0.007, 360 W auxiliaries), kWh
#: per 100 km at constant speed, measured with SUMO 1.28.0's
#: ``emissionsDrivingCycle`` (300 s at each speed, slope in degrees); rows: speed
#: (km/h), columns: grade -6 % .. +6 %. Measured by the project's research notes;
#: reproduce with the command in docs/emissions.md ("References").
MMPEVEM_ID3_SPEEDS_KPH = (30.0, 50.0, 80.0, 110.0)
MMPEVEM_ID3_GRADES = (-0.06, -0.04, -0.02, 0.0, 0.02, 0.04, 0.06)
MMPEVEM_ID3_KWH_PER_100KM = (
    (-19.5, -10.7, -1.7, 8.0, 18.6, 29.4, 40.4),
    (-18.2, -9.3, -0.3, 9.6, 20.3, 31.1, 42.2),
    (-15.7, -6.8, 2.3, 12.7, 23.4, 34.4, 45.5),
    (-12.2, -3.3, 6.3, 17.0, 28.0, 39.2, 50.6),
)


@dataclass(frozen=True, kw_only=True)
class Reference:
    """
    One published reference class for a vehicle.

    Attributes
    ----------
    name
        Short name, e.g. ``"HBEFA4 TT_AT_gt34-40t_Euro-VI_A-C"``.
    model
        ``"hbefa4"``, ``"copert"``, ``"measured"`` (a cited real vehicle's model)
        or ``"derived"`` (computed from published classes only, see
        :func:`copert_for_battery_drive`).
    description
        What the class is and its mass and load.
    unit
        ``"co2_g_per_km"`` or ``"energy_kwh_per_km"``.
    evaluate
        ``evaluate(speed_kph, grade)``: the reference value, NaN outside what
        the reference covers (e.g. COPERT vans have no grades).
    """

    name: str
    model: str
    description: str
    unit: str
    evaluate: Callable[[FloatArray, FloatArray], FloatArray]

    def __call__(self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike = 0.0) -> FloatArray:
        """Return the reference value at each speed and grade (broadcast together)."""
        speed, slope = np.broadcast_arrays(
            np.asarray(speed_kph, dtype=np.float64), np.asarray(grade, dtype=np.float64)
        )
        return np.asarray(self.evaluate(speed, slope), dtype=np.float64)


def _hbefa4(class_name: str, description: str) -> Reference:
    cls = HBEFA4_CLASSES[class_name]
    unit = "co2_g_per_km" if cls.quantity == "co2_mg_s" else "energy_kwh_per_km"
    return Reference(
        name=f"HBEFA4 {class_name}",
        model="hbefa4",
        description=description,
        unit=unit,
        evaluate=cls.per_km,
    )


def _copert(table: CopertTable, load: float, description: str, *, slopes: bool = True) -> Reference:
    co2_per_mj = FUELS["diesel"].co2_g_per_mj

    def evaluate(speed: FloatArray, grade: FloatArray) -> FloatArray:
        inside = (grade >= table.min_slope - 1e-12) & (grade <= table.max_slope + 1e-12)
        if not slopes:
            inside &= np.abs(grade) < 1e-12
        value = table.value(speed, grade if slopes else None, load) * co2_per_mj
        return np.where(inside, value, np.nan)

    return Reference(
        name=f"COPERT {table.name.split(' / ')[1]}",
        model="copert",
        description=description,
        unit="co2_g_per_km",
        evaluate=evaluate,
    )


def copert_for_battery_drive(
    battery: Reference, copert: Reference, hbefa4_diesel: Reference, weight_class: str
) -> Reference:
    """
    Return COPERT's energy for a weight class, carried over to a battery drive by HBEFA4.

    COPERT 5 has no battery-electric trucks or vans. HBEFA 4.2 has both a
    battery-electric and a diesel class of the same size, and its diesel
    class asks for 30-50 % more energy on the flat than COPERT's (both are
    inventory models averaged over real driving; they disagree on the road
    load, not on the drive). This reference keeps HBEFA4's battery-to-diesel
    ratio and COPERT's road load, cell by cell:
    ``battery(v, x) * copert(v, x) / hbefa4_diesel(v, x)``. Every factor is a
    published class evaluated from its own coefficients; nothing of
    ecoroute's physics enters. NaN where COPERT has no value (vans have no
    slope classes). docs/emissions.md ("References") says why and what it
    changes.
    """

    def evaluate(speed: FloatArray, grade: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return battery(speed, grade) * copert(speed, grade) / hbefa4_diesel(speed, grade)

    return Reference(
        name=f"{copert.name} via HBEFA4 BEV/diesel",
        model="derived",
        description=(
            f"{copert.name} energy x {battery.name} / {hbefa4_diesel.name}: COPERT's road "
            f"load for {weight_class} with HBEFA 4.2's battery-to-diesel energy ratio"
        ),
        unit=battery.unit,
        evaluate=evaluate,
    )


def _bilinear(
    speeds_kph: tuple[float, ...],
    grades: tuple[float, ...],
    kwh_per_100km: tuple[tuple[float, ...], ...],
    divide_by: float = 1.0,
) -> Callable[[FloatArray, FloatArray], FloatArray]:
    """Bilinear interpolation of a speed x grade table in kWh/km; NaN outside the table."""
    table = np.asarray(kwh_per_100km) / (100.0 * divide_by)
    speeds, slopes = np.asarray(speeds_kph), np.asarray(grades)

    def evaluate(speed: FloatArray, grade: FloatArray) -> FloatArray:
        by_grade = np.stack([np.interp(speed, speeds, table[:, k]) for k in range(slopes.size)])
        out = np.empty(speed.shape)
        for index in np.ndindex(speed.shape):
            out[index] = np.interp(grade[index], slopes, by_grade[(slice(None), *index)])
        covered = (speed >= speeds[0]) & (speed <= speeds[-1])
        covered &= (grade >= slopes[0]) & (grade <= slopes[-1])
        return np.where(covered, out, np.nan)

    return evaluate


#: Battery energy of NREL RouteE Powertrain 2.0.2's bundled 2017 Chevrolet Bolt
#: model (``chevrolet/bolt_bev/2017/rf_c3326385/v1``, a random forest trained on
#: drive cycles: link averages, like HBEFA), kWh per 100 km as its ``predict``
#: returns them, i.e. with the model's real-world adjustment factor 1.3958 applied
#: (the reference divides it back out, as docs/emissions.md does for the Camry).
#: Rows: speed (km/h), columns: grade -6 % .. +6 %. Reproduce with
#: ``routee.powertrain.load_model(...).predict`` on 1 km links
#: (``ROUTEE_REGISTRY_BACKEND=local``).
ROUTEE_BOLT_SPEEDS_KPH = (30.0, 50.0, 80.0, 110.0, 130.0)
ROUTEE_BOLT_GRADES = MMPEVEM_ID3_GRADES
ROUTEE_BOLT_KWH_PER_100KM = (
    (-27.04, -16.70, 0.0, 8.62, 21.71, 34.19, 49.34),
    (-17.08, -6.48, 5.52, 14.96, 26.78, 38.96, 53.16),
    (-12.65, -3.98, 8.68, 17.44, 28.73, 41.51, 55.48),
    (-12.65, -0.04, 12.88, 25.72, 37.76, 50.85, 66.75),
    (-5.43, 7.27, 21.54, 33.24, 45.42, 58.37, 71.74),
)
#: RouteE's real-world adjustment factor of the Bolt model (its metadata).
ROUTEE_BOLT_REAL_WORLD_FACTOR = 1.3958

_mmpevem_id3 = _bilinear(MMPEVEM_ID3_SPEEDS_KPH, MMPEVEM_ID3_GRADES, MMPEVEM_ID3_KWH_PER_100KM)
_routee_bolt = _bilinear(
    ROUTEE_BOLT_SPEEDS_KPH,
    ROUTEE_BOLT_GRADES,
    ROUTEE_BOLT_KWH_PER_100KM,
    divide_by=ROUTEE_BOLT_REAL_WORLD_FACTOR,
)


_VAN_DIESEL_HBEFA4 = _hbefa4(
    "LCV_diesel_N1-III_Euro-6ab", "HBEFA 4.2 van N1-III (1.76-3.5 t), diesel, Euro 6ab"
)
_VAN_DIESEL_COPERT = _copert(
    LCV_N1_III_DIESEL_EURO_6_EC,
    0.5,
    "COPERT 5 van N1-III, diesel, Euro 6 (flat only: no slope classes for vans)",
    slopes=False,
)
_VAN_BEV_HBEFA4 = _hbefa4("LCV_BEV_N1-III", "HBEFA 4.2 battery-electric van N1-III (1.76-3.5 t)")
_RIGID_18T_COPERT = _copert(
    RIGID_14_20T_DIESEL_EURO_VI_EC, 0.5, "COPERT 5 rigid 14-20 t, Euro VI, 50 % load"
)
_RIGID_18T_HBEFA4 = _hbefa4("RT_gt14-20t_Euro-VI_A-C", "HBEFA 4.2 rigid truck 14-20 t, Euro VI")
_RIGID_BEV_HBEFA4 = _hbefa4("RigidTruck_BEV_gt12t", "HBEFA 4.2 battery-electric rigid truck > 12 t")
_ARTICULATED_COPERT = _copert(
    ARTICULATED_34_40T_DIESEL_EURO_VI_EC, 0.5, "COPERT 5 articulated 34-40 t, Euro VI, 50 % load"
)
_ARTICULATED_HBEFA4 = _hbefa4(
    "TT_AT_gt34-40t_Euro-VI_A-C", "HBEFA 4.2 tractor-trailer 34-40 t, Euro VI"
)
_ARTICULATED_BEV_HBEFA4 = _hbefa4("TT_AT_BEV", "HBEFA 4.2 battery-electric tractor-trailer")

#: Reference classes per catalogue vehicle (see docs/emissions.md, "References").
REFERENCES: dict[str, tuple[Reference, ...]] = {
    "car_petrol": (
        _hbefa4("PC_petrol_Euro-6ab", "HBEFA 4.2 passenger car, petrol, Euro 6ab (fleet average)"),
    ),
    "car_diesel": (
        _hbefa4("PC_diesel_Euro-6ab", "HBEFA 4.2 passenger car, diesel, Euro 6ab (fleet average)"),
    ),
    "car_bev": (
        _hbefa4("PC_BEV", "HBEFA 4.2 battery-electric passenger car (fleet average)"),
        Reference(
            name="MMPEVEM VW ID.3",
            model="measured",
            description="SUMO MMPEVEM model of the VW ID.3 (1794 kg), constant speed",
            unit="energy_kwh_per_km",
            evaluate=_mmpevem_id3,
        ),
        Reference(
            name="RouteE Bolt",
            model="measured",
            description=(
                "NREL RouteE Powertrain 2.0.2, 2017 Chevrolet Bolt (link averages over drive "
                "cycles), real-world factor 1.3958 removed"
            ),
            unit="energy_kwh_per_km",
            evaluate=_routee_bolt,
        ),
    ),
    "van_diesel": (_VAN_DIESEL_HBEFA4, _VAN_DIESEL_COPERT),
    "van_bev": (
        _VAN_BEV_HBEFA4,
        copert_for_battery_drive(
            _VAN_BEV_HBEFA4, _VAN_DIESEL_COPERT, _VAN_DIESEL_HBEFA4, "N1-III vans"
        ),
    ),
    "truck_7_5t_diesel": (
        _copert(RIGID_LE_7_5T_DIESEL_EURO_VI_EC, 0.5, "COPERT 5 rigid <=7.5 t, Euro VI, 50 % load"),
        _hbefa4("RT_le7.5t_Euro-VI_A-C", "HBEFA 4.2 rigid truck <=7.5 t, Euro VI"),
    ),
    "truck_18t_diesel": (_RIGID_18T_COPERT, _RIGID_18T_HBEFA4),
    "truck_26t_diesel": (
        _copert(RIGID_20_26T_DIESEL_EURO_VI_EC, 0.5, "COPERT 5 rigid 20-26 t, Euro VI, 50 % load"),
        _hbefa4("RT_gt20-26t_Euro-VI_A-C", "HBEFA 4.2 rigid truck 20-26 t, Euro VI"),
    ),
    "truck_18t_bev": (
        _RIGID_BEV_HBEFA4,
        copert_for_battery_drive(
            _RIGID_BEV_HBEFA4, _RIGID_18T_COPERT, _RIGID_18T_HBEFA4, "14-20 t rigid trucks"
        ),
    ),
    "truck_40t_bev": (
        _ARTICULATED_BEV_HBEFA4,
        copert_for_battery_drive(
            _ARTICULATED_BEV_HBEFA4,
            _ARTICULATED_COPERT,
            _ARTICULATED_HBEFA4,
            "34-40 t articulated trucks",
        ),
    ),
    "truck_40t_diesel": (_ARTICULATED_COPERT, _ARTICULATED_HBEFA4),
    "bus_diesel": (
        _copert(
            URBAN_BUS_STD_DIESEL_EURO_VI_EC,
            0.5,
            "EMEP/EEA 2019 urban bus standard 15-18 t, Euro VI, 50 % load",
        ),
        _hbefa4("UBus_Std_gt15-18t_Euro-VI_A-C", "HBEFA 4.2 urban bus standard 15-18 t, Euro VI"),
    ),
}

#: A lighter rigid truck class, shown for the 18 t truck's docs (not in the spread).
RIGID_12_14T = _copert(RIGID_12_14T_DIESEL_EURO_VI_EC, 0.5, "COPERT 5 rigid 12-14 t, 50 % load")

#: Manufacturers' consumption of the battery-electric trucks, kWh per km from the
#: battery (net capacity / range; sources in each vehicle's ``sources``): the
#: eActros 300 (a 19-27 t rigid, heavier than ``truck_18t_bev``) about 0.97, the
#: eActros 600 at 40 t about 1.2. Checked, not calibrated to: conditions unstated.
PUBLISHED_KWH_PER_KM = {"truck_18t_bev": 388.0 / 400.0, "truck_40t_bev": 600.0 / 500.0}


def physics_floor_kwh_per_km(
    vehicle: RoadVehicle,
    speed_kph: npt.ArrayLike,
    grade: npt.ArrayLike = 0.0,
    *,
    drive_efficiency: float = 1.0,
) -> FloatArray:
    """
    Return the least battery energy (kWh per map km) any drive needs to hold a speed on a grade.

    The wheel work of ``vehicle`` itself (its mass at the default payload, drag
    area and rolling resistance; :func:`~ecoroute.emissions.physics.wheel_work_j_per_m`)
    divided by ``drive_efficiency``, with no auxiliaries and no motor losses at
    light load. With ``drive_efficiency=1`` no vehicle of that mass and body can
    use less: energy is conserved. A reference value below it is physically
    impossible for the vehicle, and the fidelity score leaves that reference
    out of the cell (docs/emissions.md, "Validation"). Where the wheels brake
    (steep descents) there is no floor: ``-inf``.
    """
    if not 0.0 < drive_efficiency <= 1.0:
        msg = f"drive_efficiency must be in (0, 1], got {drive_efficiency}."
        raise ValueError(msg)
    speed, slope = np.broadcast_arrays(
        np.asarray(speed_kph, dtype=np.float64), np.asarray(grade, dtype=np.float64)
    )
    work = wheel_work_j_per_m(
        vehicle.mass_kg(),
        vehicle.drag_area_m2,
        vehicle.rolling_resistance,
        speed / 3.6,
        np.array(slope, dtype=np.float64),
        rolling_resistance_per_m_s=vehicle.rolling_resistance_per_m_s,
    )
    floor = work / 3600.0 / drive_efficiency  # J per map m = kJ per map km
    return np.where(work > 0.0, floor, -np.inf)


def references(name: str) -> tuple[Reference, ...]:
    """
    Return the reference classes of catalogue vehicle ``name``.

    Raises
    ------
    KeyError
        If the vehicle has no references (not a catalogue vehicle).
    """
    return REFERENCES[name]
