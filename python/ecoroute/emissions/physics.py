"""
Longitudinal vehicle dynamics at constant speed: road load, Willans-line engine, battery.

The equations, their sources and the calibration of every parameter are in
``docs/emissions.md`` (sections "Physics model" and "Descents"). In short:

* road load ``F = m g (Crr(v) cos theta + sin theta) + ½ rho CdA v²`` with
  ``theta = atan(grade)`` and ``Crr(v) = Crr0 + Crr1 v``. Network lengths are map
  (horizontal) lengths and a road of grade ``x`` is ``s = sqrt(1 + x²)`` times
  longer than its map length, so the wheel work per map metre is
  ``W = m g (Crr(v) + x) + ½ rho CdA v² s`` (:func:`wheel_work_j_per_m`);
* combustion engine (Willans line): brake power ``P_e = P_wheel / eta_dt + P_aux``
  (``P_wheel eta_dt + P_aux`` while the wheels brake), fuel power
  ``max(P_overrun, P0 + P_e / eta_m)``: the engine's own friction (the ``P0``
  of the Willans line) brakes the vehicle before the injection is cut off, and
  ``P_overrun`` is what the engine burns while it is driven by the road (0 with
  fuel cut-off, the idle fuel for a vehicle that coasts in neutral). The fuel
  is a convex function of the grade, so a hill's climb always costs more than
  its descent saves (:func:`willans_fuel_power_w`);
* battery: ``P_batt = P_wheel / eta_prop + P_aux`` when driving,
  ``max(P_wheel, -P_regen,max) eta_regen + P_aux`` when recovering;
* traffic: a road driven at an *average* speed in traffic costs the positive
  wheel work of its accelerations on top of the constant-speed road load
  (:func:`traffic_work_j_per_kg_km`).

Every function is vectorised over NumPy arrays that broadcast together.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Standard gravity, m/s².
GRAVITY_M_S2 = 9.81

#: Density of air at 20 °C and sea level, kg/m³ (the value SUMO's energy model uses).
AIR_DENSITY_KG_M3 = 1.2041

#: Joules in a kilowatt hour.
J_PER_KWH = 3.6e6


def road_load_n(
    mass_kg: npt.ArrayLike,
    drag_area_m2: float,
    rolling_resistance: float,
    speed_m_s: npt.ArrayLike,
    grade: npt.ArrayLike,
    *,
    rolling_resistance_per_m_s: float = 0.0,
    air_density_kg_m3: float = AIR_DENSITY_KG_M3,
) -> FloatArray:
    """
    Return the force (N) the wheels must deliver to hold ``speed_m_s`` on ``grade``.

    Parameters
    ----------
    mass_kg
        Vehicle mass including payload.
    drag_area_m2
        Drag coefficient times frontal area, ``Cd A``.
    rolling_resistance
        Rolling resistance coefficient ``Crr0`` (dimensionless).
    speed_m_s
        Constant speed.
    grade
        Rise over run (0.04 is a 4 % climb); negative downhill.
    rolling_resistance_per_m_s
        Speed-dependent part ``Crr1`` of ``Crr(v) = Crr0 + Crr1 v`` (PHEMlight form).
    air_density_kg_m3
        Air density.

    Returns
    -------
    numpy.ndarray
        Negative where gravity pulls harder than rolling and air resistance
        hold back: the vehicle must brake (or recover energy) to keep its speed.
    """
    v = np.asarray(speed_m_s, dtype=np.float64)
    g = np.asarray(grade, dtype=np.float64)
    cos_theta = 1.0 / np.sqrt(1.0 + g * g)  # theta = atan(grade), without the trig calls
    sin_theta = g * cos_theta
    crr = rolling_resistance + rolling_resistance_per_m_s * v
    weight_n = np.asarray(mass_kg, dtype=np.float64) * GRAVITY_M_S2
    return (
        weight_n * (crr * cos_theta + sin_theta) + (0.5 * air_density_kg_m3 * drag_area_m2) * v * v
    )


def wheel_work_j_per_m(
    mass_kg: float,
    drag_area_m2: float,
    rolling_resistance: float,
    speed_m_s: FloatArray,
    grade: FloatArray | None = None,
    *,
    rolling_resistance_per_m_s: float = 0.0,
    air_density_kg_m3: float = AIR_DENSITY_KG_M3,
    road_m_per_map_m: FloatArray | None = None,
) -> FloatArray:
    """
    Return the wheel work (J) per metre of map length at constant speed; negative: braking.

    ``m g (Crr0 + Crr1 v + grade) + ½ rho CdA v² sqrt(1 + grade²)``: the road
    load of :func:`road_load_n` times the road length per map metre. Rolling
    resistance per map metre does not depend on the grade and gravity's work is
    exactly ``m g`` times the height change, so a loop's work is never below the
    flat road's. ``grade=None`` is a flat road (fewer operations);
    ``road_m_per_map_m`` passes ``sqrt(1 + grade²)`` if the caller has it. Returns
    a new array the caller may change.
    """
    weight_n = mass_kg * GRAVITY_M_S2
    work = speed_m_s * speed_m_s
    work *= 0.5 * air_density_kg_m3 * drag_area_m2
    if grade is not None:
        if road_m_per_map_m is None:
            road_m_per_map_m = np.sqrt(grade * grade + 1.0)
        work *= road_m_per_map_m
        work += weight_n * grade
    if rolling_resistance_per_m_s:
        work += (weight_n * rolling_resistance_per_m_s) * speed_m_s
    work += weight_n * rolling_resistance
    return work


def willans_fuel_power_w(
    wheel_power_w: npt.ArrayLike,
    *,
    driveline_efficiency: float,
    engine_efficiency: float,
    zero_load_fuel_power_w: float,
    auxiliary_power_w: float,
    overrun_fuel_power_w: float = 0.0,
) -> FloatArray:
    """
    Return the fuel power (W, lower heating value) a combustion engine burns for ``wheel_power_w``.

    The Willans line ``P0 + P_e / eta_m`` for the brake power
    ``P_e = P_wheel / eta_dt + P_aux`` (``P_wheel eta_dt + P_aux`` while the
    wheels brake), but never below ``overrun_fuel_power_w``. ``P0`` is the fuel
    that overcomes the engine's own friction and pumping at driving speed, so
    in overrun the engine brakes the vehicle with ``eta_m P0`` before the
    injection is cut off: the fuel falls continuously to the overrun value as
    the road turns downhill, instead of jumping from ``P0`` to 0 the moment the
    wheels stop pulling. That makes the fuel a convex function of the wheel
    power, so no hill is cheaper than the flat (``docs/emissions.md``,
    "Descents").

    Parameters
    ----------
    wheel_power_w
        Power at the wheels, ``F v``.
    driveline_efficiency
        ``eta_dt``, gearbox and final drive (0..1].
    engine_efficiency
        ``eta_m``, the Willans marginal efficiency: extra brake power per extra fuel power.
    zero_load_fuel_power_w
        ``P0``, the fuel power the engine burns at zero output at driving
        speed (friction and pumping losses).
    auxiliary_power_w
        Power drawn by auxiliaries (alternator, compressors, air conditioning).
    overrun_fuel_power_w
        Fuel power while the road drives the engine: 0 with fuel cut-off.
    """
    p_wheel = np.asarray(wheel_power_w, dtype=np.float64)
    engine_w = (
        np.where(p_wheel >= 0.0, p_wheel / driveline_efficiency, p_wheel * driveline_efficiency)
        + auxiliary_power_w
    )
    return np.maximum(zero_load_fuel_power_w + engine_w / engine_efficiency, overrun_fuel_power_w)


def battery_power_w(
    wheel_power_w: npt.ArrayLike,
    *,
    propulsion_efficiency: float,
    regeneration_efficiency: float,
    max_regeneration_power_w: float,
    auxiliary_power_w: float,
) -> FloatArray:
    """
    Return the power (W) drawn from the battery for ``wheel_power_w``; negative while recharging.

    Driving: ``P_wheel / eta_prop + P_aux``. Braking: the motor recovers at most
    ``max_regeneration_power_w`` at the wheels (friction brakes take the rest),
    and ``eta_regen`` of that reaches the battery:
    ``max(P_wheel, -P_regen,max) eta_regen + P_aux``. With ``eta_prop <= 1`` and
    ``eta_regen <= 1`` the battery never gains more than the wheels give up.
    """
    p_wheel = np.asarray(wheel_power_w, dtype=np.float64)
    recovered = np.maximum(p_wheel, -max_regeneration_power_w) * regeneration_efficiency
    return np.where(p_wheel >= 0.0, p_wheel / propulsion_efficiency, recovered) + auxiliary_power_w


#: Average speeds (km/h) and extra positive wheel work of traffic at that average
#: speed, J per kg of vehicle per km (see :func:`traffic_work_j_per_kg_km`).
TRAFFIC_SPEEDS_KPH = (10.0, 15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0)
TRAFFIC_WORK_J_PER_KG_KM = (124.0, 149.0, 148.0, 140.0, 129.0, 105.0, 81.0, 58.0, 36.0, 18.0, 0.0)


def traffic_work_j_per_kg_km(speed_kph: npt.ArrayLike) -> FloatArray:
    """
    Return the positive wheel work of traffic's accelerations, J per kg per km, at an average speed.

    A constant-speed model misses the stop-and-go of urban traffic: at an
    average speed of 30 km/h a vehicle keeps accelerating away from junctions
    and queues, and brakes that kinetic energy away again. This curve is that
    extra work per kg and km, falling from about 150 J/kg/km in slow city
    traffic to 0 at 90 km/h and above (interpolated linearly; 124 below 10 km/h).

    Derivation (``docs/emissions.md``, "Traffic"): the excess of the EMEP/EEA 2019 urban-bus energy consumption
    (an average-speed model of real driving cycles; Ubus Std 15-18 t, diesel,
    Euro VI, 50 % load) over this module's constant-speed model of the same
    bus (14.75 t, ``eta_dt eta_m`` = 0.89 x 0.42), turned back into wheel work
    and divided by the mass. An independent check: RouteE Powertrain's 2016
    Camry (a car model trained on real drive cycles, real-world factor
    removed) implies 186, 124 and 5 J/kg/km at 30, 50 and 80 km/h, the same
    shape and 40-50 % more, so these values are on the cautious side.
    """
    # The knots are 5 or 10 km/h apart; on a uniform 5 km/h grid (the same
    # piecewise-linear curve) the lookup is a few array passes, where np.interp's
    # binary search costs 5-10 times as much on a network's worth of arcs.
    speed = np.asarray(speed_kph, dtype=np.float64)
    x = np.clip(speed, _TRAFFIC_GRID_KPH[0], _TRAFFIC_GRID_KPH[-1])
    x -= _TRAFFIC_GRID_KPH[0]
    x *= 1.0 / _TRAFFIC_STEP_KPH
    i = np.minimum(x.astype(np.intp), _TRAFFIC_GRID_KPH.size - 2)
    x -= i
    work = _TRAFFIC_GRID_WORK[i]
    work += x * (_TRAFFIC_GRID_WORK[i + 1] - work)
    return work


_TRAFFIC_STEP_KPH = 5.0
_TRAFFIC_GRID_KPH = np.arange(
    TRAFFIC_SPEEDS_KPH[0], TRAFFIC_SPEEDS_KPH[-1] + 1.0, _TRAFFIC_STEP_KPH
)
_TRAFFIC_GRID_WORK = np.interp(_TRAFFIC_GRID_KPH, TRAFFIC_SPEEDS_KPH, TRAFFIC_WORK_J_PER_KG_KM)
