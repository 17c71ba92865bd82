"""The Vehicle classes: per-km CO2 and fuel or energy from an emission model, and per-arc weights."""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from .._validate import as_float_array
from ..elevation import MAX_GRADE
from .copert import CopertTable
from .fuels import EU27_GRID_G_PER_KWH, FUELS, Fuel, fuel
from .hbefa4 import Hbefa4Class
from .legal import (
    ACCESS_CLASSES,
    ADR_TUNNEL_CODES,
    HAZMAT_VALUES,
    class_speed_limit_kph,
    closed_tunnel_categories,
    country_code,
    legal_speed_limits_kph,
)
from .physics import (
    GRAVITY_M_S2,
    J_PER_KWH,
    road_load_n,
    traffic_work_j_per_kg_km,
    wheel_work_j_per_m,
)

if TYPE_CHECKING:
    from ..network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

#: Steepest grade (rise over run) the per-km methods accept; steeper roads are
#: data errors. Network grades beyond it are clipped (see ``arc_quantities``).
#: The same limit :func:`ecoroute.elevation.add_elevation` clips grades to.
MAX_ABS_GRADE = MAX_GRADE

__all__ = [
    "GRAVITY_M_S2",
    "MAX_ABS_GRADE",
    "CombustionVehicle",
    "ElectricVehicle",
    "RoadVehicle",
    "Vehicle",
]


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
    vectorised: pass scalars or arrays, which broadcast together. The
    catalogue's vehicles are :class:`CombustionVehicle` and
    :class:`ElectricVehicle` objects; subclass this base only for a model of
    your own.

    Attributes
    ----------
    name
        Catalogue name, e.g. ``"car_petrol"``.
    description
        One line on what the vehicle is.
    energy_carrier
        ``"petrol"``, ``"diesel"``, ``"cng"``, ``"lpg"`` or ``"electricity"``.
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
        """
        Return each quantity per km of a network arc (``co2_g`` and e.g. ``fuel_l``).

        Inputs are already validated. This is what :meth:`arc_quantities`
        multiplies by the arcs' lengths.
        """

    def constant_speed_rates_per_km(
        self, speed_kph: FloatArray, grade: FloatArray, payload_kg: float | None
    ) -> dict[str, FloatArray]:
        """
        Return each quantity per km when driving at exactly ``speed_kph``.

        The same as :meth:`rates_per_km` unless the model adds traffic's
        accelerations on network arcs (see :class:`RoadVehicle`).
        """
        return self.rates_per_km(speed_kph, grade, payload_kg)

    def replace(self, **changes: Any) -> Vehicle:
        """
        Return a copy of this vehicle with the named parameters changed.

        Raises
        ------
        TypeError
            If a name is not a parameter of this vehicle (close matches are suggested).
        ValueError
            If a new value is out of range.
        """
        if not changes:
            return self
        known = {f.name for f in dataclasses.fields(self) if f.init}
        unknown = sorted(set(changes) - known)
        if unknown:
            close = difflib.get_close_matches(unknown[0], known, n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            msg = (
                f"{self.name} has no parameter {unknown[0]!r}.{hint} "
                f"Its parameters: {', '.join(sorted(known))}."
            )
            raise TypeError(msg)
        return dataclasses.replace(self, **changes)

    def co2_g_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """
        Return CO2 in grams per km at constant ``speed_kph`` on ``grade``.

        Tank-to-wheel for a combustion vehicle; for an electric vehicle, the
        CO2 of generating the charging electricity (negative where the battery
        recovers energy). With ``traffic=True``, ``speed_kph`` is an average
        speed in traffic and the rate is the one network arcs get (see
        :class:`RoadVehicle`).

        Raises
        ------
        ValueError
            If a speed is not > 0 or is NaN, a grade is NaN or beyond ±30 %, or
            the payload is negative or above the vehicle's maximum.
        """
        return self._per_km("co2_g", speed_kph, grade, payload_kg, traffic)

    def co2e_wtw_g_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """
        Return well-to-wheel CO2-equivalent in grams per km (same inputs as :meth:`co2_g_per_km`).

        Raises
        ------
        ValueError
            For the inputs :meth:`co2_g_per_km` refuses, or a model without it.
        """
        return self._per_km("co2e_wtw_g", speed_kph, grade, payload_kg, traffic)

    def _per_km(
        self,
        quantity: str,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike,
        payload_kg: float | None,
        traffic: bool = False,
    ) -> FloatArray:
        speed, slope = _broadcast_inputs(speed_kph, grade)
        if traffic:
            rates = self.rates_per_km(speed, slope, payload_kg)
        else:
            rates = self.constant_speed_rates_per_km(speed, slope, payload_kg)
        if quantity not in rates:
            msg = f"{self.name} does not report {quantity}; it reports {', '.join(rates)}."
            raise ValueError(msg)
        return rates[quantity]

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
        self,
        network: RoadNetwork,
        payload_kg: float | None = None,
        *,
        arcs: npt.ArrayLike | None = None,
    ) -> dict[str, FloatArray]:
        """
        Return this vehicle's quantities on every arc of ``network``, in one vectorised pass.

        Grades beyond ±30 % (elevation noise on short arcs) are clipped to ±30 %.

        Parameters
        ----------
        network
            The road network.
        payload_kg
            Payload carried (None: the vehicle's default payload).
        arcs
            Only these arcs (indices, in this order, repeats allowed), e.g. one
            leg of a fleet plan evaluated at the payload it carries; the values
            equal the full-network call's at those positions.

        Returns
        -------
        dict
            ``co2_g`` and the model's other quantities (e.g. ``fuel_l``) per arc,
            plus ``time_s`` and ``distance_m``.
        """
        speed, grade, length, time = _arc_inputs(network, arcs)
        # The vehicle drives no faster than it may: its limiter, its class's legal
        # limit on the road class, maxspeed:hgv (ecoroute.access.speed_caps).
        from ..access import capped_inputs

        speed, time = capped_inputs(network, self, arcs, speed, time)
        out = self._arc_amounts(network, arcs, speed, _network_grade(grade), length, payload_kg)
        on_board = _on_board(network, arcs)
        if on_board is not None:  # a ferry or car train carries it, its engine off
            out = {name: np.where(on_board, 0.0, values) for name, values in out.items()}
        out["time_s"] = time
        out["distance_m"] = length
        return out

    def _arc_amounts(
        self,
        network: RoadNetwork,
        arcs: npt.ArrayLike | None,
        speed_kph: FloatArray,
        grade: FloatArray | None,
        length_m: FloatArray,
        payload_kg: float | None,
    ) -> dict[str, FloatArray]:
        """Each quantity on each arc: the rate per km times the length (``grade=None``: flat)."""
        del network, arcs
        slope = np.zeros_like(speed_kph) if grade is None else grade
        rates = self.rates_per_km(speed_kph, slope, payload_kg)
        length_km = length_m / 1000.0
        return {name: rate * length_km for name, rate in rates.items()}


@dataclass(frozen=True, kw_only=True)
class RoadVehicle(Vehicle):
    """
    A physical road vehicle: masses, aerodynamics, rolling resistance, auxiliaries, and a model.

    The shared part of :class:`CombustionVehicle` and :class:`ElectricVehicle`.
    The physics model uses every parameter; the average-speed models
    (``"hbefa4"``, ``"copert"``) use the masses (payload corrections) and, for
    grades outside their classes, the physics parameters.

    Constant speed and traffic. The per-km methods (``co2_g_per_km`` ...)
    give the rate at a constant speed, comparable with constant-speed
    references. A network arc's speed is an average over real traffic, with
    accelerations away from junctions and queues; with
    ``traffic_dynamics=True`` (the default) the physics model adds their
    positive wheel work (:func:`ecoroute.emissions.physics.traffic_work_j_per_kg_km`,
    about 100 J per kg and km at 40 km/h, 0 from 90 km/h) to every arc: through
    the engine for a combustion vehicle (before its fuel cut-off), and the
    ``1/eta_prop - eta_regen`` share that regenerative braking does not return
    for an EV. Without it, slow streets cost as little per km as motorways and
    least-CO2 routes detour through neighbourhoods. The COPERT model already
    averages real driving and the HBEFA4 polynomial is evaluated as SUMO does,
    so neither adds it. Pass ``traffic=True`` to the per-km methods for the
    arcs' rate.

    Legal profile. What traffic law and the map's restrictions see (the
    defaults are a passenger car): routing reads it to close roads
    (``hgv=no``, ``maxweight``, ``maxheight``, ``hazmat=no`` ...) and to cap
    speeds (:meth:`speed_caps_kph`, :mod:`ecoroute.emissions.legal`);
    :meth:`legal_summary` says it on one line.

    Attributes
    ----------
    curb_mass_kg
        Empty mass in running order, with driver.
    max_payload_kg
        Largest payload the vehicle may carry; bigger payloads are refused.
    payload_kg
        Payload used when a call does not give one (the catalogue's typical load).
    drag_area_m2
        Drag coefficient times frontal area, ``Cd A``.
    rolling_resistance
        Rolling resistance coefficient ``Crr0``.
    rolling_resistance_per_m_s
        Speed-dependent part ``Crr1`` (s/m) of ``Crr(v) = Crr0 + Crr1 v``.
    auxiliary_power_kw
        Power drawn by auxiliaries while driving.
    model
        Which emission model evaluates the vehicle: ``"physics"``, ``"hbefa4"``
        or ``"copert"`` (see :attr:`available_models`).
    hbefa4
        The HBEFA 4.2 class behind the ``"hbefa4"`` model, if any.
    hbefa4_reference_mass_kg
        Mass the HBEFA class stands for; payloads that make the vehicle heavier
        or lighter than this add or remove the physics mass term (rolling
        resistance and grade). None: curb mass plus the default payload.
    traffic_dynamics
        Whether network arcs add traffic's accelerations (physics model; see above).
    euro_class
        Emission standard, e.g. ``"Euro 6"`` or ``"Euro VI"`` (informative).
    sources
        Where the parameter values come from.
    access_class
        Which OSM access key the vehicle answers to: ``"motorcar"``,
        ``"goods"`` (goods vehicle up to 3.5 t permissible mass), ``"hgv"``
        (goods vehicle over 3.5 t) or ``"bus"``.
    height_m
        Overall height, compared with ``maxheight``.
    width_m
        Overall width (without mirrors), compared with ``maxwidth``.
    length_m
        Overall length, compared with ``maxlength``.
    axle_count
        Number of axles, at least 2.
    max_axle_load_t
        Load on the most heavily loaded axle, compared with ``maxaxleload``;
        None: the gross mass spread evenly (:meth:`axle_load_t`).
    hazmat
        Dangerous goods carried: None (none), ``"yes"`` (tunnel code unknown:
        closed on ``hazmat=no`` and in tunnels of categories B to E),
        ``"water"`` (goods that pollute water: also closed on
        ``hazmat:water=no``), or an ADR tunnel restriction code ``"B"`` to
        ``"E"`` (closed on ``hazmat=no`` and in tunnels of that category or a
        later letter; ADR 1.9.5.2.2, 8.6.4). See
        :attr:`closed_tunnel_categories`.
    top_speed_kph
        Speed limiter (Directive 92/6/EEC as amended by 2002/85/EC: goods
        vehicles over 3.5 t 90 km/h, buses 100 km/h); None: none.
    country
        Whose traffic law sets the class speed limits (a code of
        :data:`ecoroute.emissions.legal.SPEED_LIMITS_KPH`); None: the
        network's country if known, else the ``"EU"`` default table.
    speed_limits_kph
        Legal limits per highway class (km/h) that replace the country table's,
        as sorted ``(class, km/h)`` pairs; a dict is accepted and converted
        (the vehicle stays hashable).
    """

    curb_mass_kg: float
    max_payload_kg: float
    payload_kg: float = 0.0
    drag_area_m2: float
    rolling_resistance: float
    rolling_resistance_per_m_s: float = 0.0
    auxiliary_power_kw: float = 0.0
    model: str = "physics"
    hbefa4: Hbefa4Class | None = None
    hbefa4_reference_mass_kg: float | None = None
    traffic_dynamics: bool = True
    euro_class: str = ""
    sources: str = ""
    access_class: str = "motorcar"
    height_m: float = 1.5
    width_m: float = 1.8
    length_m: float = 4.5
    axle_count: int = 2
    max_axle_load_t: float | None = None
    hazmat: str | None = None
    top_speed_kph: float | None = None
    country: str | None = None
    speed_limits_kph: tuple[tuple[str, float], ...] | None = None

    def __post_init__(self) -> None:
        self._check_legal_profile()
        _check(self, "curb_mass_kg", low=0.0, low_open=True)
        _check(self, "max_payload_kg", low=0.0)
        _check(self, "drag_area_m2", low=0.0)
        _check(self, "rolling_resistance", low=0.0, high=0.1)
        _check(self, "rolling_resistance_per_m_s", low=0.0)
        _check(self, "auxiliary_power_kw", low=0.0)
        if self.hbefa4_reference_mass_kg is not None:
            _check(self, "hbefa4_reference_mass_kg", low=0.0, low_open=True)
        self.check_payload(self.payload_kg)
        if self.model not in self.available_models:
            msg = (
                f"{self.name} has no {self.model!r} model; choose one of "
                f"{', '.join(self.available_models)}."
            )
            raise ValueError(msg)

    def _check_legal_profile(self) -> None:
        """Validate the legal profile and normalise hazmat, country and speed_limits_kph."""
        if self.access_class not in ACCESS_CLASSES:
            msg = (
                f"{self.name}: access_class must be one of {', '.join(ACCESS_CLASSES)}, "
                f"got {self.access_class!r}."
            )
            raise ValueError(msg)
        for field in ("height_m", "width_m", "length_m"):
            _check(self, field, low=0.0, low_open=True)
        count = self.axle_count
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 2:
            msg = f"{self.name}: axle_count must be a whole number >= 2, got {count!r}."
            raise ValueError(msg)
        object.__setattr__(self, "axle_count", int(count))
        if self.max_axle_load_t is not None:
            _check(self, "max_axle_load_t", low=0.0, low_open=True)
        if self.top_speed_kph is not None:
            _check(self, "top_speed_kph", low=0.0, low_open=True)
        if self.hazmat is not None:
            value = self.hazmat.strip() if isinstance(self.hazmat, str) else self.hazmat
            if isinstance(value, str):
                value = value.upper() if len(value) == 1 else value.lower()
            if value not in HAZMAT_VALUES:
                msg = (
                    f"{self.name}: hazmat must be None (no dangerous goods), 'yes', 'water' "
                    f"or an ADR tunnel code {', '.join(ADR_TUNNEL_CODES)}, got {self.hazmat!r}."
                )
                raise ValueError(msg)
            object.__setattr__(self, "hazmat", value)
        if self.country is not None:
            try:
                code = country_code(self.country)
            except ValueError as error:
                msg = f"{self.name}: {error}"
                raise ValueError(msg) from None
            object.__setattr__(self, "country", code)
        if self.speed_limits_kph is not None:
            object.__setattr__(self, "speed_limits_kph", self._speed_limit_pairs())

    def _speed_limit_pairs(self) -> tuple[tuple[str, float], ...]:
        """``speed_limits_kph`` (a dict or pairs) as sorted pairs, each limit checked."""
        given: Any = self.speed_limits_kph
        example = "{'motorway': 80, 'other': 60}"
        try:
            pairs = dict(given.items() if isinstance(given, Mapping) else given)
        except (TypeError, ValueError):
            pairs = None
        if pairs is None or not all(isinstance(k, str) for k in pairs):
            msg = (
                f"{self.name}: speed_limits_kph must map highway classes to km/h, e.g. "
                f"{example}, got {given!r}."
            )
            raise ValueError(msg)
        out = []
        for highway, limit in sorted(pairs.items()):
            try:
                kph = float(limit)
            except (TypeError, ValueError):
                kph = math.nan
            if not kph > 0.0:  # NaN fails too; inf means "no limit"
                msg = (
                    f"{self.name}: speed_limits_kph[{highway!r}] must be a speed > 0 km/h "
                    f"(inf: no limit), got {limit!r}."
                )
                raise ValueError(msg)
            out.append((highway, kph))
        return tuple(out)

    @property
    def permissible_mass_t(self) -> float:
        """Permissible (maximum authorised) mass in tonnes: curb mass plus maximum payload."""
        return (self.curb_mass_kg + self.max_payload_kg) / 1000.0

    def gross_mass_t(self, payload_kg: float | None = None) -> float:
        """
        Return the actual mass in tonnes (curb mass plus payload), which ``maxweight`` signs limit.

        ``payload_kg`` None is the default payload, as in :meth:`mass_kg`.
        """
        return self.mass_kg(payload_kg) / 1000.0

    def axle_load_t(self, payload_kg: float | None = None) -> float:
        """
        Return the load in tonnes on the most loaded axle, which ``maxaxleload`` signs limit.

        :attr:`max_axle_load_t` where set (the payload is then ignored), else
        the gross mass spread evenly over :attr:`axle_count` axles.
        """
        if self.max_axle_load_t is not None:
            return float(self.max_axle_load_t)
        return self.gross_mass_t(payload_kg) / self.axle_count

    @property
    def closed_tunnel_categories(self) -> tuple[str, ...]:
        """ADR tunnel categories closed to the load (``()`` without dangerous goods)."""
        return closed_tunnel_categories(self.hazmat)

    def legal_speed_limits_kph(self, country: str | None = None) -> dict[str, float]:
        """
        Return this vehicle's legal limit (km/h) per highway class, ``speed_limits_kph`` applied.

        The country is :attr:`country`, else ``country``, else ``"EU"``; the
        mass band is picked by :attr:`permissible_mass_t`. See
        :func:`ecoroute.emissions.legal.legal_speed_limits_kph`.
        """
        code = self.country or country or "EU"
        return legal_speed_limits_kph(
            code,
            self.access_class,
            self.permissible_mass_t,
            overrides=dict(self.speed_limits_kph or ()),
        )

    def speed_caps_kph(
        self, highway: Sequence[str | None] | npt.ArrayLike, country: str | None = None
    ) -> FloatArray:
        """
        Return the highest speed (km/h) this vehicle may drive on roads of each highway class.

        The lower of the speed limiter (:attr:`top_speed_kph`) and the class's
        legal limit for this vehicle (:meth:`legal_speed_limits_kph`); ``inf``
        where nothing caps. The caps are rural limits applied per road class:
        a road's own posted speed still bounds it (take ``min`` with the
        road's speed), which is what keeps urban roads at their urban limit.

        Parameters
        ----------
        highway
            OSM highway class per element (None or an unknown class: the
            table's ``"other"``). For a whole network, pass the few
            ``network.highway_names`` and index the result with
            ``network.highway_code`` (code -1: append the cap of ``None``).
        country
            Country of the roads, used when the vehicle's :attr:`country` is
            None; None as well: the ``"EU"`` default table.

        Returns
        -------
        numpy.ndarray
            float64, one cap per element of ``highway``, in its shape.

        Raises
        ------
        ValueError
            If the country has no table (the message lists the known ones).
        """
        limits = self.legal_speed_limits_kph(country)
        top = math.inf if self.top_speed_kph is None else float(self.top_speed_kph)
        names = np.asarray(highway, dtype=object)
        if names.size == 0:
            return np.empty(names.shape, dtype=np.float64)
        # One lookup per distinct class (a hash per element, no sort of strings).
        codes: dict[object, int] = {}
        flat = names.ravel().tolist()
        index = np.fromiter((codes.setdefault(n, len(codes)) for n in flat), np.intp, len(flat))
        caps = np.array(
            [
                min(top, class_speed_limit_kph(limits, n if isinstance(n, str) else None))
                for n in codes
            ]
        )
        return caps[index].reshape(names.shape)

    def legal_summary(self) -> str:
        """
        Return the legal profile on one line, for error messages and vehicle listings.

        Permissible mass, axle load, axles, height x width x length, limiter,
        then dangerous goods and country where set, e.g. ``"hgv, 40.0 t (11.5
        t per axle, 5 axles), 4.00 x 2.55 x 16.50 m, limiter 90 km/h"``.
        """
        mass = self.permissible_mass_t
        axle = mass / self.axle_count if self.max_axle_load_t is None else self.max_axle_load_t
        parts = [
            self.access_class,
            f"{mass:.1f} t ({axle:.1f} t per axle, {self.axle_count} axles)",
            f"{self.height_m:.2f} x {self.width_m:.2f} x {self.length_m:.2f} m",
            "no limiter" if self.top_speed_kph is None else f"limiter {self.top_speed_kph:g} km/h",
        ]
        if self.hazmat is not None:
            parts.append(f"hazmat {self.hazmat}")
        if self.country is not None:
            parts.append(f"{self.country} law")
        if self.speed_limits_kph:
            limits = ", ".join(f"{k} {v:g}" for k, v in self.speed_limits_kph)
            parts.append(f"speed limits {limits} km/h")
        return ", ".join(parts)

    @property
    def available_models(self) -> tuple[str, ...]:
        """The models this vehicle has parameters for."""
        models = ["physics"]
        if self.hbefa4 is not None:
            models.append("hbefa4")
        return tuple(models)

    def check_payload(self, payload_kg: float | None) -> float:
        """
        Return ``payload_kg`` (or the default payload for None) after checking its range.

        Raises
        ------
        ValueError
            If the payload is NaN, negative or above :attr:`max_payload_kg`.
        """
        if payload_kg is None:
            return float(self.payload_kg)
        try:
            payload = float(payload_kg)
        except (TypeError, ValueError) as error:
            msg = f"payload_kg must be a number of kg, got {payload_kg!r}."
            raise TypeError(msg) from error
        if math.isnan(payload) or payload < 0:
            msg = f"payload_kg must be >= 0, got {payload_kg}."
            raise ValueError(msg)
        if payload > self.max_payload_kg:
            msg = (
                f"payload_kg={payload:g} is above {self.name}'s maximum payload of "
                f"{self.max_payload_kg:g} kg; split the load or pick a bigger vehicle."
            )
            raise ValueError(msg)
        return payload

    def mass_kg(self, payload_kg: float | None = None) -> float:
        """Return the total mass (curb mass plus payload) in kg."""
        return self.curb_mass_kg + self.check_payload(payload_kg)

    def load_fraction(self, payload_kg: float | None = None) -> float:
        """Return the payload as a fraction of the maximum payload (0 for a vehicle that carries none)."""
        payload = self.check_payload(payload_kg)
        return payload / self.max_payload_kg if self.max_payload_kg > 0 else 0.0

    def road_load_n(
        self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike = 0.0, payload_kg: float | None = None
    ) -> FloatArray:
        """Return the wheel force (N) that holds ``speed_kph`` on ``grade`` (negative: braking)."""
        speed, slope = _broadcast_inputs(speed_kph, grade)
        return road_load_n(
            self.mass_kg(payload_kg),
            self.drag_area_m2,
            self.rolling_resistance,
            speed / 3.6,
            slope,
            rolling_resistance_per_m_s=self.rolling_resistance_per_m_s,
        )

    def wheel_energy_kj_per_km(
        self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike = 0.0, payload_kg: float | None = None
    ) -> FloatArray:
        """Return the energy (kJ per km of road) the wheels deliver at constant speed; negative downhill."""
        return self.road_load_n(speed_kph, grade, payload_kg)  # N x 1 km = kJ

    def rates_per_km(
        self, speed_kph: FloatArray, grade: FloatArray, payload_kg: float | None
    ) -> dict[str, FloatArray]:
        """Return each quantity per km of a network arc (traffic's accelerations included)."""
        energy = self._energy_j_per_km(speed_kph, grade, payload_kg, self.traffic_dynamics)
        return self._quantities(energy)

    def constant_speed_rates_per_km(
        self, speed_kph: FloatArray, grade: FloatArray, payload_kg: float | None
    ) -> dict[str, FloatArray]:
        """Return the same quantities at exactly ``speed_kph`` (no traffic accelerations)."""
        energy = self._energy_j_per_km(speed_kph, grade, payload_kg, False)
        return self._quantities(energy)

    def _energy_j_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike,
        payload_kg: float | None,
        dynamics: bool,
    ) -> FloatArray:
        """The model's energy in J per km at any broadcastable speeds and grades (scalars too)."""
        payload = self.check_payload(payload_kg)
        speed, slope = np.broadcast_arrays(
            np.asarray(speed_kph, dtype=np.float64), np.asarray(grade, dtype=np.float64)
        )
        shape = speed.shape
        energy = self._energy_j_per_m(
            np.array(speed, dtype=np.float64).reshape(-1),
            np.array(slope, dtype=np.float64).reshape(-1),
            payload,
            dynamics,
        )
        energy *= 1000.0
        return energy.reshape(shape)

    def _arc_amounts(
        self,
        network: RoadNetwork,
        arcs: npt.ArrayLike | None,
        speed_kph: FloatArray,
        grade: FloatArray | None,
        length_m: FloatArray,
        payload_kg: float | None,
    ) -> dict[str, FloatArray]:
        """The model's energy per map metre times each arc's length, bounded, then converted."""
        payload = self.check_payload(payload_kg)
        energy = self._energy_j_per_m(speed_kph, grade, payload, self.traffic_dynamics)
        energy *= length_m
        self._bound_arc_energy(energy, network, arcs, payload)
        return self._quantities(energy)

    @abstractmethod
    def _energy_j_per_m(
        self, speed_kph: FloatArray, grade: FloatArray | None, payload: float, dynamics: bool
    ) -> FloatArray:
        """
        Fuel energy (combustion) or battery energy (electric) in J per metre of map length.

        ``grade=None`` is a flat road; ``dynamics`` adds traffic's accelerations.
        Returns a new array the caller may change in place.
        """

    @abstractmethod
    def _quantities(self, energy_j: FloatArray) -> dict[str, FloatArray]:
        """The reported quantities of an energy in J (may reuse ``energy_j``'s memory)."""

    def _bound_arc_energy(
        self,
        energy_j: FloatArray,
        network: RoadNetwork,
        arcs: npt.ArrayLike | None,
        payload: float,
    ) -> None:
        """Raise arc energies to a physical bound in place (only an EV has one)."""
        del energy_j, network, arcs, payload

    def _wheel_work(
        self,
        speed_m_s: FloatArray,
        grade: FloatArray | None,
        mass_kg: float,
        road_m_per_map_m: FloatArray | None = None,
    ) -> FloatArray:
        return wheel_work_j_per_m(
            mass_kg,
            self.drag_area_m2,
            self.rolling_resistance,
            speed_m_s,
            grade,
            rolling_resistance_per_m_s=self.rolling_resistance_per_m_s,
            road_m_per_map_m=road_m_per_map_m,
        )

    def _mass_term_j_per_m(self, grade: FloatArray | None, mass_kg: float) -> FloatArray | float:
        """Wheel work per map metre that the mass difference from the HBEFA reference adds (J/m)."""
        reference = self.hbefa4_reference_mass_kg
        if reference is None:
            reference = self.curb_mass_kg + self.payload_kg
        # Crr1 v is left out: it is small and the average-speed fit already holds the speed term.
        weight_n = (mass_kg - reference) * GRAVITY_M_S2
        if grade is None:
            return weight_n * self.rolling_resistance
        return weight_n * (grade + self.rolling_resistance)


@dataclass(frozen=True, kw_only=True)
class CombustionVehicle(RoadVehicle):
    """
    A vehicle with a combustion engine: petrol, diesel, LPG or CNG.

    Models (choose with ``model=``):

    ``"physics"`` (the catalogue's default for cars, vans and trucks)
        Road load at constant speed, a Willans-line engine with fuel cut-off in
        overrun and auxiliary power (:mod:`ecoroute.emissions.physics`). Works
        for any grade and payload.
    ``"hbefa4"``
        The vehicle's HBEFA 4.2 class polynomial (:mod:`ecoroute.emissions.hbefa4`),
        with the physics mass term added for payloads other than the class's.
        HBEFA maps grade into an acceleration fitted on real driving and
        under-predicts the grade effect of heavy vehicles by about half
        (``docs/emissions.md``, "HBEFA 4.2").
    ``"copert"`` (the default for the urban bus)
        EMEP/EEA 2019 rows with slope and load classes
        (:mod:`ecoroute.emissions.copert`), interpolated; beyond the classes'
        ±6 % the physics grade term is added to the ±6 % value, and the
        result is kept >= 0.

    Every model gives fuel energy per km; CO2 is that energy times
    :attr:`Fuel.co2_g_per_mj` (IPCC 2006), well-to-wheel CO2e adds the
    fuel's well-to-tank factor, and litres divide by heating value and density.

    Attributes
    ----------
    fuel
        A :class:`~ecoroute.emissions.Fuel`, a fuel name (``"petrol"``,
        ``"diesel"``, ``"lpg"``, ``"cng"``), or a biofuel table (see
        :func:`~ecoroute.emissions.fuel`; HVO, FAME and their blends).
    driveline_efficiency
        ``eta_dt``, gearbox and final drive.
    engine_efficiency
        ``eta_m``, the Willans marginal efficiency (extra brake power per extra fuel power).
    zero_load_fuel_power_kw
        ``P0``, fuel power burnt at zero engine output at driving speed: the
        engine's friction and pumping, which also brake the vehicle in
        overrun before the injection is cut off.
    overrun_fuel_power_kw
        Fuel power burnt while the road drives the engine (steep descents):
        0 with overrun fuel cut-off (the default; every modern engine), the
        idle fuel power for a vehicle that coasts in neutral.
    copert
        EMEP/EEA energy-consumption rows (MJ/km) behind the ``"copert"`` model, if any.
    """

    fuel: Fuel | str = "diesel"
    driveline_efficiency: float
    engine_efficiency: float
    zero_load_fuel_power_kw: float
    overrun_fuel_power_kw: float = 0.0
    copert: CopertTable | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "fuel", fuel(self.fuel))
        object.__setattr__(self, "energy_carrier", self.fuel_spec.name)
        _check(self, "driveline_efficiency", low=0.0, low_open=True, high=1.0)
        _check(self, "engine_efficiency", low=0.0, low_open=True, high=1.0)
        _check(self, "zero_load_fuel_power_kw", low=0.0)
        _check(self, "overrun_fuel_power_kw", low=0.0)
        super().__post_init__()

    @property
    def fuel_spec(self) -> Fuel:
        """The fuel as a :class:`~ecoroute.emissions.Fuel` (``fuel`` may be given as a name)."""
        assert isinstance(self.fuel, Fuel)
        return self.fuel

    @property
    def available_models(self) -> tuple[str, ...]:
        """The models this vehicle has parameters for."""
        return super().available_models + (("copert",) if self.copert is not None else ())

    @property
    def quantities(self) -> tuple[str, ...]:  # type: ignore[override]
        """Per-km quantities: CO2, well-to-wheel CO2e and fuel (litres, or kg for a gas)."""
        amount = "fuel_l" if self.fuel_spec.is_liquid else "fuel_kg"
        return ("co2_g", "co2e_wtw_g", amount)

    def fuel_energy_mj_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """Return the fuel energy (MJ per km, lower heating value) at constant ``speed_kph``."""
        speed, slope = _broadcast_inputs(speed_kph, grade)
        fuel = self._energy_j_per_km(speed, slope, payload_kg, traffic and self.traffic_dynamics)
        return np.multiply(fuel, 1e-6, out=fuel)

    def fuel_l_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """
        Return fuel in litres per km at constant ``speed_kph`` on ``grade``.

        Raises
        ------
        ValueError
            For a gaseous fuel (CNG), which is measured in kg: use :meth:`fuel_kg_per_km`.
        """
        if not self.fuel_spec.is_liquid:
            msg = f"{self.name} burns {self.fuel_spec.name}, a gas: use fuel_kg_per_km."
            raise ValueError(msg)
        return self._per_km("fuel_l", speed_kph, grade, payload_kg, traffic)

    def fuel_kg_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """Return fuel in kg per km at constant ``speed_kph`` on ``grade``."""
        mj = self.fuel_energy_mj_per_km(speed_kph, grade, payload_kg, traffic=traffic)
        return mj / self.fuel_spec.lower_heating_value_mj_per_kg

    def co2_biogenic_g_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """
        Return the biogenic tank-to-wheel CO2 (g per km) of a biofuel or blend; 0 for fossil fuels.

        Reported beside ``co2_g`` (fossil) and not part of ``co2e_wtw_g``
        (:attr:`Fuel.biogenic_co2_g_per_mj`).
        """
        mj = self.fuel_energy_mj_per_km(speed_kph, grade, payload_kg, traffic=traffic)
        return mj * self.fuel_spec.biogenic_co2_g_per_mj

    def _quantities(self, energy_j: FloatArray) -> dict[str, FloatArray]:
        """CO2, well-to-wheel CO2e and litres (or kg) of a fuel energy in J."""
        spec = self.fuel_spec
        out = {
            "co2_g": energy_j * (spec.co2_g_per_mj * 1e-6),
            "co2e_wtw_g": energy_j * (spec.wtw_co2e_g_per_mj * 1e-6),
        }
        if spec.density_kg_per_l is not None:
            factor = 1e-6 / (spec.lower_heating_value_mj_per_kg * spec.density_kg_per_l)
            out["fuel_l"] = np.multiply(energy_j, factor, out=energy_j)
        else:
            factor = 1e-6 / spec.lower_heating_value_mj_per_kg
            out["fuel_kg"] = np.multiply(energy_j, factor, out=energy_j)
        return out

    def _energy_j_per_m(
        self, speed_kph: FloatArray, grade: FloatArray | None, payload: float, dynamics: bool
    ) -> FloatArray:
        mass = self.curb_mass_kg + payload
        if self.model == "physics":
            return self._physics_fuel_j_per_m(speed_kph, grade, mass, dynamics)
        if self.model == "hbefa4":
            assert self.hbefa4 is not None
            flat = np.zeros_like(speed_kph) if grade is None else grade
            # g CO2/km / (g CO2/MJ) = MJ/km = 1000 J/m, with the fossil fuel HBEFA
            # measured the class on (the vehicle may burn a biofuel with no fossil CO2).
            fuel = self.hbefa4.per_km(speed_kph, flat)  # per km of road
            measured_on = FUELS["petrol" if "petrol" in self.hbefa4.name else "diesel"]
            fuel *= 1000.0 / measured_on.co2_g_per_mj
            if grade is not None:
                fuel *= np.sqrt(grade * grade + 1.0)  # per map metre: linear in the grade
            fuel += self._mass_term_j_per_m(grade, mass) / self._wheel_to_fuel()
            return np.maximum(fuel, 0.0, out=fuel)
        return self._copert_fuel_j_per_m(speed_kph, grade, mass, payload)

    def _physics_fuel_j_per_m(
        self, speed_kph: FloatArray, grade: FloatArray | None, mass: float, dynamics: bool
    ) -> FloatArray:
        """
        Willans-line fuel energy per map metre (``docs/emissions.md``, "Physics model").

        Per metre of map length at speed ``v``, with ``s = sqrt(1 + grade²)``
        metres of road: brake work ``E_e = W / eta_dt`` (``W eta_dt`` while
        braking) for the wheel work ``W``, plus ``P_aux s / v``; fuel
        ``max(P_overrun s / v, P0 s / v + E_e / eta_m)``. Evaluated in place: a
        handful of passes over the arrays, no temporaries per term.
        """
        v = speed_kph * (1.0 / 3.6)
        road = None if grade is None else np.sqrt(grade * grade + 1.0)
        work = self._wheel_work(v, grade, mass, road)
        if dynamics:
            traffic = traffic_work_j_per_kg_km(speed_kph)
            traffic *= mass * 1e-3  # J/kg/km x kg -> J/m
            work += traffic
        eta_dt, eta_m = self.driveline_efficiency, self.engine_efficiency
        if grade is not None and (work < 0.0).any():
            # Where the wheels brake, the driveline passes W eta_dt back to the engine:
            # W+ / (eta_dt eta_m) + W- eta_dt / eta_m, without a mask.
            braking = np.minimum(work, 0.0)
            braking *= eta_dt / eta_m
            np.maximum(work, 0.0, out=work)
            work *= 1.0 / (eta_dt * eta_m)
            work += braking
        else:
            work *= 1.0 / (eta_dt * eta_m)
        seconds_per_m = np.divide(1.0, v, out=v)  # v is ours: reuse it
        if road is not None:
            seconds_per_m *= road
        idle_w = self.zero_load_fuel_power_kw * 1000.0 + self.auxiliary_power_kw * 1000.0 / eta_m
        work += idle_w * seconds_per_m
        if self.overrun_fuel_power_kw > 0.0:
            seconds_per_m *= self.overrun_fuel_power_kw * 1000.0
            return np.maximum(work, seconds_per_m, out=work)
        return np.maximum(work, 0.0, out=work)

    def _copert_fuel_j_per_m(
        self, speed_kph: FloatArray, grade: FloatArray | None, mass: float, payload: float
    ) -> FloatArray:
        assert self.copert is not None
        table = self.copert
        load = payload / self.max_payload_kg if self.max_payload_kg > 0 else 0.0
        if grade is None:
            fuel = table.value(speed_kph, None, load)
            fuel *= 1000.0  # MJ/km -> J/m
            return fuel
        inside = np.clip(grade, table.min_slope, table.max_slope)
        fuel = table.value(speed_kph, inside, load)
        fuel *= 1000.0
        beyond = grade != inside
        if beyond.any():
            # Steeper than the classes: add the physics gravity work for the difference.
            extra = (grade[beyond] - inside[beyond]) * (mass * GRAVITY_M_S2 / self._wheel_to_fuel())
            fuel[beyond] += extra
        return np.maximum(fuel, 0.0, out=fuel)

    def _wheel_to_fuel(self) -> float:
        """Marginal efficiency from fuel energy to wheel energy, ``eta_dt eta_m``."""
        return self.driveline_efficiency * self.engine_efficiency


@dataclass(frozen=True, kw_only=True)
class ElectricVehicle(RoadVehicle):
    """
    A battery-electric vehicle; its energy per arc is negative where it recovers energy.

    Models: ``"physics"`` (the default) drives the road load through a battery
    model with propulsion and regeneration efficiencies and a regeneration
    power cap (:func:`ecoroute.emissions.physics.battery_power_w`);
    ``"hbefa4"`` uses the vehicle's HBEFA 4.2 electricity polynomial plus the
    physics mass term for payloads other than the class's.

    Energy bound. Whatever the model, the battery energy on a stretch of road
    that gains height ``dh`` is kept >= ``m g dh`` when climbing and >=
    ``eta_regen m g dh`` when descending (``dh < 0``): no arc climbs for less
    than the potential energy it gains, nor stores more of the potential energy
    it loses than the regeneration efficiency allows. Both are >= ``m g dh``,
    the bound that makes the height potential of :meth:`node_potentials` exact
    (Eisner, Funke & Storandt 2011), and any loop costs >= 0 (> 0 with
    ``eta_regen < 1``). The physics model meets the bound by itself; a fitted
    model (HBEFA4) can break it and is clamped to it. On a network with node
    elevations the bound uses the nodes' heights: arcs whose grade misstates
    the height change between their nodes (clipped grades, DEM noise) are
    clamped to it.

    CO2. ``co2_g`` is battery energy / ``charging_efficiency`` x
    ``grid_g_per_kwh``: the CO2 of generating the electricity that charges the
    battery (the vehicle itself emits none); ``co2e_wtw_g`` uses
    ``grid_wtw_g_per_kwh`` (an upstream-inclusive grid factor) when given.

    Attributes
    ----------
    propulsion_efficiency
        ``eta_prop``, battery to wheel.
    regeneration_efficiency
        ``eta_regen``, wheel to battery while braking (blended with friction brakes).
    max_regeneration_power_kw
        The most power the motor recovers at the wheels; friction brakes take the rest.
    charging_efficiency
        Grid to battery.
    grid_g_per_kwh
        Carbon intensity of the charging electricity, g CO2(e) per kWh from the grid.
    grid_wtw_g_per_kwh
        Upstream-inclusive (life-cycle) grid intensity for ``co2e_wtw_g``; None
        uses ``grid_g_per_kwh``.
    """

    energy_carrier: str = "electricity"
    propulsion_efficiency: float
    regeneration_efficiency: float
    max_regeneration_power_kw: float
    charging_efficiency: float
    grid_g_per_kwh: float = EU27_GRID_G_PER_KWH
    grid_wtw_g_per_kwh: float | None = None

    quantities: ClassVar[tuple[str, ...]] = ("co2_g", "co2e_wtw_g", "energy_kwh")

    def __post_init__(self) -> None:
        _check(self, "propulsion_efficiency", low=0.0, low_open=True, high=1.0)
        _check(self, "regeneration_efficiency", low=0.0, high=1.0)
        _check(self, "max_regeneration_power_kw", low=0.0)
        _check(self, "charging_efficiency", low=0.0, low_open=True, high=1.0)
        _check(self, "grid_g_per_kwh", low=0.0)
        if self.grid_wtw_g_per_kwh is not None:
            _check(self, "grid_wtw_g_per_kwh", low=0.0)
        super().__post_init__()

    @property
    def co2_g_per_battery_kwh(self) -> float:
        """Grams of CO2 per kWh taken from the battery: grid intensity over charging efficiency."""
        return self.grid_g_per_kwh / self.charging_efficiency

    @property
    def co2e_wtw_g_per_battery_kwh(self) -> float:
        """Well-to-wheel grams of CO2e per kWh taken from the battery."""
        grid = self.grid_g_per_kwh if self.grid_wtw_g_per_kwh is None else self.grid_wtw_g_per_kwh
        return grid / self.charging_efficiency

    def energy_kwh_per_km(
        self,
        speed_kph: npt.ArrayLike,
        grade: npt.ArrayLike = 0.0,
        payload_kg: float | None = None,
        *,
        traffic: bool = False,
    ) -> FloatArray:
        """Return battery energy in kWh per km at constant ``speed_kph`` (negative: recovered)."""
        return self._per_km("energy_kwh", speed_kph, grade, payload_kg, traffic)

    def _quantities(self, energy_j: FloatArray) -> dict[str, FloatArray]:
        """Battery kWh, and the CO2 and CO2e of the electricity that charges it, of J."""
        kwh = np.multiply(energy_j, 1.0 / J_PER_KWH, out=energy_j)
        return {
            "co2_g": kwh * self.co2_g_per_battery_kwh,
            "co2e_wtw_g": kwh * self.co2e_wtw_g_per_battery_kwh,
            "energy_kwh": kwh,
        }

    def _energy_j_per_m(
        self, speed_kph: FloatArray, grade: FloatArray | None, payload: float, dynamics: bool
    ) -> FloatArray:
        mass = self.curb_mass_kg + payload
        eta_prop, eta_regen = self.propulsion_efficiency, self.regeneration_efficiency
        if self.model == "physics":
            v = speed_kph * (1.0 / 3.6)
            road = None if grade is None else np.sqrt(grade * grade + 1.0)
            battery = self._wheel_work(v, grade, mass, road)
            seconds_per_m = np.divide(1.0, v, out=v)
            if road is not None:
                seconds_per_m *= road
            if grade is not None and (battery < 0.0).any():
                # The motor recovers at most P_regen,max at the wheels: W >= -P_regen s / v.
                # Battery: W+ / eta_prop + max(W-, -P_regen s / v) eta_regen, without a mask.
                recovered = seconds_per_m * (-self.max_regeneration_power_kw * 1000.0)
                np.maximum(recovered, np.minimum(battery, 0.0), out=recovered)
                recovered *= eta_regen
                np.maximum(battery, 0.0, out=battery)
                battery *= 1.0 / eta_prop
                battery += recovered
            else:
                battery *= 1.0 / eta_prop
            seconds_per_m *= self.auxiliary_power_kw * 1000.0
            battery += seconds_per_m
            if dynamics:
                # Regenerative braking returns eta_prop eta_regen of the acceleration work.
                traffic = traffic_work_j_per_kg_km(speed_kph)
                traffic *= mass * 1e-3 * (1.0 / eta_prop - eta_regen)
                battery += traffic
        else:
            assert self.hbefa4 is not None
            flat = np.zeros_like(speed_kph) if grade is None else grade
            battery = self.hbefa4.per_km(speed_kph, flat)  # per km of road
            battery *= J_PER_KWH / 1000.0  # kWh/km -> J/m
            if grade is not None:
                battery *= np.sqrt(grade * grade + 1.0)  # per map metre
            extra = np.asarray(self._mass_term_j_per_m(grade, mass), dtype=np.float64)
            battery += np.where(extra > 0, extra / eta_prop, extra * eta_regen)
        if grade is not None:
            # The energy bound (class docstring), per map metre of road with this grade.
            np.maximum(battery, self._bound_j(mass, grade), out=battery)
        return battery

    def _bound_arc_energy(
        self,
        energy_j: FloatArray,
        network: RoadNetwork,
        arcs: npt.ArrayLike | None,
        payload: float,
    ) -> None:
        """With node elevations, keep each arc's energy >= the bound of its nodes' height change."""
        if network.elevation_m is None:
            return
        h = np.asarray(network.elevation_m, dtype=np.float64)
        tail, head = network.tail, network.head
        if arcs is not None:
            index = np.asarray(arcs, dtype=np.intp).ravel()
            tail, head = tail[index], head[index]
        climb = h[head]
        climb -= h[tail]
        np.maximum(energy_j, self._bound_j(self.curb_mass_kg + payload, climb), out=energy_j)

    def node_potentials(
        self, network: RoadNetwork, payload_kg: float | None = None
    ) -> dict[str, FloatArray]:
        """
        Return the height potential ``phi = m g h`` (kWh) and its CO2 and CO2e versions.

        Without node elevations there is no height to build a potential from:
        if no arc recovers energy none is needed and this returns ``{}``; if
        some arcs do, the grades alone cannot rule out negative cycles (noisy
        grades need not add up around a loop), so this refuses.

        Raises
        ------
        ValueError
            If the network has no node elevations but some arcs recover energy.
        """
        payload = self.check_payload(payload_kg)
        if network.elevation_m is None:
            grade = _network_grade(np.asarray(network.grade, dtype=np.float64))
            if grade is None:
                return {}  # flat: every arc costs energy
            energy = self._energy_j_per_m(
                np.asarray(network.speed_kph, dtype=np.float64),
                grade,
                payload,
                self.traffic_dynamics,
            )
            negative = int(np.count_nonzero((energy < 0) & (np.asarray(network.length_m) > 0)))
            if negative:
                msg = (
                    f"{self.name} recovers energy on {negative:,} arcs of this network, but the "
                    "network has no node elevations, so no height potential can keep the "
                    "searches exact (grades alone may even add up to a loop that gains energy). "
                    "Give it node elevations (RoadNetwork.from_arrays(..., elevation_m=...), or "
                    "add_elevation on an OSM network), or route without recuperation with "
                    f"ecoroute.vehicle({self.name!r}, regeneration_efficiency=0.0)."
                )
                raise ValueError(msg)
            return {}
        phi = self._kwh_per_m_height(payload) * np.asarray(network.elevation_m, dtype=np.float64)
        return {
            "energy_kwh": phi,
            "co2_g": phi * self.co2_g_per_battery_kwh,
            "co2e_wtw_g": phi * self.co2e_wtw_g_per_battery_kwh,
        }

    def _bound_j(self, mass_kg: float, climb_m: FloatArray) -> FloatArray:
        """Least battery energy (J) for a height change: m g dh up, eta_regen m g dh down."""
        potential = climb_m * (mass_kg * GRAVITY_M_S2)
        # With eta_regen <= 1: max(p, eta_regen p) is p uphill and eta_regen p downhill.
        return np.maximum(potential, potential * self.regeneration_efficiency, out=potential)

    def _kwh_per_m_height(self, payload: float) -> float:
        return (self.curb_mass_kg + payload) * GRAVITY_M_S2 / J_PER_KWH


def _network_grade(grade: FloatArray) -> FloatArray | None:
    """A network's grades clipped to the limit, or None if every arc is flat."""
    if not grade.any():
        return None
    return np.clip(grade, -MAX_ABS_GRADE, MAX_ABS_GRADE)


#: Arc classes on which the vehicle is carried (``ecoroute.osm_rules.FERRY_ROUTES``).
CARRIED_CLASSES = ("ferry", "shuttle_train")


def _on_board(network: RoadNetwork, arcs: npt.ArrayLike | None) -> npt.NDArray[np.bool_] | None:
    """Which arcs (all, or ``arcs``) a ferry or car train carries the vehicle on; None if none."""
    names = network.highway_names
    codes = [i for i, name in enumerate(names) if name in CARRIED_CLASSES]
    if not codes:
        return None
    carried = np.isin(network.highway_code, codes)
    return carried if arcs is None else carried[np.asarray(arcs, dtype=np.intp).ravel()]


def _arc_inputs(
    network: RoadNetwork, arcs: npt.ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Return speed, grade, length and travel time of every arc, or of ``arcs`` only."""
    columns = tuple(
        np.asarray(c, dtype=np.float64)
        for c in (network.speed_kph, network.grade, network.length_m, network.travel_time_s)
    )
    if arcs is None:
        return columns  # type: ignore[return-value]
    index = np.asarray(arcs)
    if index.size and index.dtype.kind not in "iu":
        msg = f"arcs must be integer arc indices, not {index.dtype}."
        raise TypeError(msg)
    index = index.astype(np.intp, copy=False).ravel()
    if index.size and (index.min() < 0 or index.max() >= network.arc_count):
        msg = f"arcs holds indices outside 0..{network.arc_count - 1}."
        raise IndexError(msg)
    speed, grade, length, time = (c[index] for c in columns)
    return speed, grade, length, time


def _check(
    obj: Vehicle,
    field: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> None:
    """Raise a ValueError naming the vehicle and parameter if it is not a number in range."""
    value = getattr(obj, field)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    ok = not math.isnan(number) and math.isfinite(number)
    if ok and low is not None:
        ok = number > low if low_open else number >= low
    if ok and high is not None:
        ok = number <= high
    if not ok:
        bounds = []
        if low is not None:
            bounds.append(f"{'>' if low_open else '>='} {low:g}")
        if high is not None:
            bounds.append(f"<= {high:g}")
        msg = f"{obj.name}: {field} must be a number {' and '.join(bounds)}, got {value!r}."
        raise ValueError(msg)
