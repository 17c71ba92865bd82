"""Vehicles and their emission models: per-km CO2 and fuel or energy, and per-arc weights."""

from __future__ import annotations

import dataclasses
import difflib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from ._errors import UnknownVehicleError
from ._validate import as_float_array

if TYPE_CHECKING:
    from .network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

#: Standard gravity, m/s².
GRAVITY_M_S2 = 9.81

#: Steepest grade (rise over run) the models accept; steeper roads are data errors.
MAX_ABS_GRADE = 0.30


def _broadcast_inputs(
    speed_kph: npt.ArrayLike, grade: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Validate speeds (> 0) and grades (within ±30 %) and broadcast them together."""
    speed = np.asarray(speed_kph, dtype=np.float64)
    slope = np.asarray(grade, dtype=np.float64)
    speed, slope = np.broadcast_arrays(speed, slope)
    as_float_array(speed.ravel(), "speed_kph", min_value=0.0, min_exclusive=True)
    as_float_array(slope.ravel(), "grade", min_value=-MAX_ABS_GRADE, max_value=MAX_ABS_GRADE)
    return speed, slope


@dataclass(frozen=True, kw_only=True)
class Vehicle(ABC):
    """
    A vehicle whose emission model turns speed and grade into CO2 and fuel or energy per km.

    Subclasses implement :meth:`rates_per_km`; everything else (validation,
    per-arc weights for a whole network) is shared. Every method is
    vectorised: pass scalars or arrays, which broadcast together.

    Attributes
    ----------
    name
        Catalogue name, e.g. ``"car_petrol"``.
    description
        One line on what the vehicle is and where its numbers come from.
    energy_carrier
        ``"petrol"``, ``"diesel"``, ``"cng"`` or ``"electricity"``.
    """

    name: str
    description: str = ""
    energy_carrier: str = "petrol"

    #: Per-km quantities this model reports besides ``co2_g`` (e.g. ``fuel_l``).
    quantities: ClassVar[tuple[str, ...]] = ("co2_g",)

    @abstractmethod
    def rates_per_km(
        self, speed_kph: FloatArray, grade: FloatArray, payload_kg: float | None
    ) -> dict[str, FloatArray]:
        """Return each quantity per km (``co2_g`` and e.g. ``fuel_l``) at validated inputs."""

    def replace(self, **changes: Any) -> Vehicle:
        """Return a copy of this vehicle with the named parameters changed."""
        return dataclasses.replace(self, **changes) if changes else self

    def co2_g_per_km(
        self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike = 0.0, payload_kg: float | None = None
    ) -> FloatArray:
        """
        Return tank-to-wheel CO2 in grams per km at constant ``speed_kph`` on ``grade``.

        Raises
        ------
        ValueError
            If a speed is not > 0, or a grade is NaN or beyond ±30 %.
        """
        speed, slope = _broadcast_inputs(speed_kph, grade)
        return self.rates_per_km(speed, slope, payload_kg)["co2_g"]

    def node_potentials(
        self, network: RoadNetwork, payload_kg: float | None = None
    ) -> dict[str, FloatArray]:
        """
        Return, per quantity that can be negative on an arc, a lower-bounding node potential.

        For each returned quantity ``q`` and every arc ``(u, v)`` the model
        guarantees ``q(u, v) >= phi_q[v] - phi_q[u]`` (for an EV's battery
        energy, ``phi = m g h`` converted to kWh: no arc recovers more than the
        potential energy lost; Eisner, Funke & Storandt 2011). The router runs
        its searches on the non-negative reduced costs
        ``q(u, v) + phi_q[u] - phi_q[v]`` and adds ``phi_q[t] - phi_q[s]`` back,
        so energy-optimal routes with recuperation are exact, not clamped.
        Quantities that are never negative (fuel, time, distance) need no
        potential: the default returns an empty dict.
        """
        del network, payload_kg
        return {}

    def arc_quantities(
        self, network: RoadNetwork, payload_kg: float | None = None
    ) -> dict[str, FloatArray]:
        """
        Return this vehicle's quantities on every arc of ``network``, in one vectorised pass.

        Returns
        -------
        dict
            ``co2_g`` and the model's other quantities (e.g. ``fuel_l``) per arc,
            plus ``time_s`` and ``distance_m``.
        """
        grade = np.clip(network.grade, -MAX_ABS_GRADE, MAX_ABS_GRADE)
        rates = self.rates_per_km(network.speed_kph, grade, payload_kg)
        length_km = network.length_m / 1000.0
        out = {name: rate * length_km for name, rate in rates.items()}
        out["time_s"] = np.asarray(network.travel_time_s, dtype=np.float64)
        out["distance_m"] = np.asarray(network.length_m, dtype=np.float64)
        return out


@dataclass(frozen=True, kw_only=True)
class HbefaPolynomialVehicle(Vehicle):
    """
    A light-duty vehicle modelled by an HBEFA 4.2 emission polynomial.

    HBEFA 4.2 (as implemented in SUMO's ``HelpersHBEFA4``) gives emissions as
    ``E = c0 + c1 v + c2 a + c3 v² + c4 v³ + c5 a v + c6 a v²`` in mg/s with
    ``v`` in m/s and ``a`` in m/s²; SUMO applies road grade as an equivalent
    acceleration ``a = g sin(atan(grade))``. At constant speed, grams per km are
    ``E / v``. Rates are clamped at 0 (fuel cut-off) and speeds are clamped
    into ``[min_speed_kph, max_speed_kph]``, the range the coefficients were
    fitted on.

    Coefficients: ecoroute reference notes ``emission-models.md`` §2.4,
    recovered from SUMO 1.28.0's ``emissionsDrivingCycle`` by least squares
    (residual <= 0.4 mg/s). Numbers derive from HBEFA 4.2 via SUMO (EPL-2.0).
    """

    co2_mg_s: tuple[float, float, float, float, float, float, float]
    fuel_mg_s: tuple[float, float, float, float, float, float, float]
    fuel_density_g_per_l: float = 742.0
    min_speed_kph: float = 10.0
    max_speed_kph: float = 130.0

    quantities: ClassVar[tuple[str, ...]] = ("co2_g", "fuel_l")

    def rates_per_km(
        self, speed_kph: FloatArray, grade: FloatArray, payload_kg: float | None
    ) -> dict[str, FloatArray]:
        """Return ``co2_g`` and ``fuel_l`` per km."""
        if payload_kg is not None and payload_kg < 0:
            msg = f"payload_kg must be >= 0, got {payload_kg}."
            raise ValueError(msg)
        v = np.clip(speed_kph, self.min_speed_kph, self.max_speed_kph) / 3.6
        a = GRAVITY_M_S2 * np.sin(np.arctan(grade))

        def per_km(c: tuple[float, ...]) -> FloatArray:
            rate_mg_s = (
                c[0]
                + c[1] * v
                + c[2] * a
                + c[3] * v**2
                + c[4] * v**3
                + c[5] * a * v
                + c[6] * a * v**2
            )
            return np.maximum(rate_mg_s, 0.0) / v  # mg/s ÷ m/s = mg/m = g/km

        return {
            "co2_g": per_km(self.co2_mg_s),
            "fuel_l": per_km(self.fuel_mg_s) / self.fuel_density_g_per_l,
        }

    def fuel_l_per_km(
        self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike = 0.0, payload_kg: float | None = None
    ) -> FloatArray:
        """Return fuel in litres per km at constant ``speed_kph`` on ``grade``."""
        speed, slope = _broadcast_inputs(speed_kph, grade)
        return self.rates_per_km(speed, slope, payload_kg)["fuel_l"]


def _car_petrol(**overrides: Any) -> Vehicle:
    car = HbefaPolynomialVehicle(
        name="car_petrol",
        description="Passenger car, petrol, Euro 6ab (HBEFA 4.2 PC_petrol_Euro-6ab via SUMO)",
        energy_carrier="petrol",
        co2_mg_s=(1415.0, 19.647, 868.29, 2.0e-4, 0.096656, 101.80, 3.4519),
        fuel_mg_s=(458.80, 6.3714, 281.50, 0.0, 0.031330, 32.990, 1.1190),
        fuel_density_g_per_l=742.0,
    )
    return car.replace(**overrides)


#: The vehicle catalogue: name -> factory taking parameter overrides.
CATALOGUE: dict[str, Callable[..., Vehicle]] = {
    "car_petrol": _car_petrol,
}


def vehicles() -> list[str]:
    """Return the names of every vehicle in the catalogue."""
    return sorted(CATALOGUE)


def vehicle(name: str, **overrides: Any) -> Vehicle:
    """
    Return the catalogue vehicle ``name``, with any parameter overridden by keyword.

    Raises
    ------
    UnknownVehicleError
        (a ``KeyError``) if ``name`` is not in the catalogue; the message
        suggests close matches.
    TypeError
        If an override names a parameter the vehicle does not have.
    """
    factory = CATALOGUE.get(name)
    if factory is None:
        close = difflib.get_close_matches(str(name), CATALOGUE, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        msg = f"Unknown vehicle {name!r}.{hint} Known vehicles: {', '.join(vehicles())}."
        raise UnknownVehicleError(msg)
    return factory(**overrides)


def resolve_vehicle(value: str | Vehicle) -> Vehicle:
    """Return ``value`` if it is a Vehicle, else the catalogue vehicle of that name."""
    if isinstance(value, Vehicle):
        return value
    if isinstance(value, str):
        return vehicle(value)
    msg = f"vehicle must be a catalogue name or a Vehicle, not {type(value).__name__}."
    raise TypeError(msg)
