"""
Longitudinal vehicle dynamics at constant speed: road load, Willans-line engine, battery.

The equations follow the ecoroute reference notes (``emission-models.md`` §3.1),
which collect the standard forms used by PHEMlight, SUMO's energy model and the
CMEM model of the Pollution-Routing Problem (Bektaş & Laporte 2011):

* road load ``F = m g (Crr(v) cos theta + sin theta) + ½ rho CdA v²`` with ``theta = atan(grade)``
  and ``Crr(v) = Crr0 + Crr1 v``; at constant speed the wheel energy over a
  distance ``L`` is ``F L``;
* combustion engine (Willans line): the engine delivers ``P_e = P_wheel / eta_dt +
  P_aux`` (or ``P_wheel eta_dt + P_aux`` when the wheels brake), and burns fuel
  power ``P0 + P_e / eta_m`` while ``P_e > 0``, nothing in overrun (fuel cut-off);
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


def willans_fuel_power_w(
    wheel_power_w: npt.ArrayLike,
    *,
    driveline_efficiency: float,
    engine_efficiency: float,
    zero_load_fuel_power_w: float,
    auxiliary_power_w: float,
) -> FloatArray:
    """
    Return the fuel power (W, lower heating value) a combustion engine burns for ``wheel_power_w``.

    The Willans line: ``P0 + P_e / eta_m`` while the engine delivers ``P_e > 0``,
    where ``P_e = P_wheel / eta_dt + P_aux`` (``P_wheel eta_dt + P_aux`` while the
    wheels brake). When the wheels push the engine (``P_e <= 0``) the engine
    runs in overrun with the injection cut off and burns nothing, which keeps
    every fuel and CO2 weight >= 0.

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
    """
    p_wheel = np.asarray(wheel_power_w, dtype=np.float64)
    engine_w = (
        np.where(p_wheel >= 0.0, p_wheel / driveline_efficiency, p_wheel * driveline_efficiency)
        + auxiliary_power_w
    )
    return np.where(engine_w > 0.0, zero_load_fuel_power_w + engine_w / engine_efficiency, 0.0)


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

    Derivation: the excess of the EMEP/EEA 2019 urban-bus energy consumption
    (an average-speed model of real driving cycles; Ubus Std 15-18 t, diesel,
    Euro VI, 50 % load) over this module's constant-speed model of the same
    bus (14.75 t, ``eta_dt eta_m`` = 0.89 x 0.42), turned back into wheel work
    and divided by the mass. An independent check: RouteE Powertrain's 2016
    Camry (a car model trained on real drive cycles, real-world factor
    removed) implies 186, 124 and 5 J/kg/km at 30, 50 and 80 km/h, the same
    shape and 40-50 % more, so these values are on the cautious side.
    """
    return np.interp(
        np.asarray(speed_kph, dtype=np.float64), TRAFFIC_SPEEDS_KPH, TRAFFIC_WORK_J_PER_KG_KM
    )
