"""
PRPLIB, the Pollution-Routing Problem instances of Demir, Bektaş & Laporte, and their CMEM truck.

PRPLIB (Demir, Bektaş & Laporte 2012, *EJOR* 223(2):346-359) holds UK
instances with 10 to 200 customers: a road-distance matrix in metres,
demands in kg, time windows and service times in seconds, and one truck type
(6350 kg curb mass, 3650 kg payload). Their fuel model is CMEM's
(Barth et al.; as used by Bektaş & Laporte 2011), which at constant speed
``v`` over distance ``d`` with total mass ``M`` on grade ``theta`` burns

    F = lambda * (k N V d / v + gamma * alpha * M * d + beta * gamma * d * v**2)   litres

with ``lambda = xi / (kappa psi)``, ``gamma = 1 / (1000 eta_tf eta)``,
``alpha = g (sin theta + C_r cos theta)`` and ``beta = 0.5 C_d rho A``
(constants in :data:`CMEM`). That is exactly ecoroute's Willans-line physics
model with ``P0 = k N V``, ``eta_dt = eta_tf``, ``eta_m = eta`` and no
auxiliaries, so :func:`prp_truck` reproduces it to rounding, and the PRPLIB
instances can check both the emission model and the fleet solver adapter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .._errors import FleetInputError
from ..emissions.fuels import Fuel
from ..network import RoadNetwork
from ..vehicles import CombustionVehicle
from .model import Depot, Stop, VehicleType

#: CMEM constants of Demir, Bektaş & Laporte (2012), Table 1.
CMEM = {
    "xi": 1.0,  # fuel-to-air mass ratio
    "k_kj_per_rev_l": 0.2,  # engine friction factor
    "n_rev_per_s": 33.0,  # engine speed
    "v_l": 5.0,  # engine displacement
    "g_m_s2": 9.81,
    "cd": 0.7,  # aerodynamic drag coefficient
    "rho_kg_m3": 1.2041,  # air density
    "a_m2": 3.912,  # frontal area
    "cr": 0.01,  # rolling resistance
    "eta_tf": 0.4,  # drive train efficiency
    "eta": 0.9,  # efficiency parameter of diesel engines
    "kappa_kj_per_g": 44.0,  # heating value of a typical diesel fuel
    "psi_g_per_l": 737.0,  # conversion factor, g/s to L/s
    "curb_kg": 6350.0,
    "payload_kg": 3650.0,
}


@dataclass(frozen=True)
class PrpInstance:
    """
    One PRPLIB instance. Node 0 is the depot.

    Attributes
    ----------
    name
        The file's stem, e.g. ``"UK10_01"``.
    curb_kg, max_payload_kg
        The truck.
    min_speed_kph, max_speed_kph
        The speed range the PRP may choose from.
    distance_m
        Asymmetric road distances, ``(n + 1, n + 1)``.
    city
        Place names.
    demand_kg, ready_s, due_s, service_s
        Per node (the depot's demand and service are 0; its due time closes the day).
    """

    name: str
    curb_kg: float
    max_payload_kg: float
    min_speed_kph: float
    max_speed_kph: float
    distance_m: npt.NDArray[np.float64]
    city: tuple[str, ...]
    demand_kg: npt.NDArray[np.float64]
    ready_s: npt.NDArray[np.float64]
    due_s: npt.NDArray[np.float64]
    service_s: npt.NDArray[np.float64]

    @property
    def customers(self) -> int:
        """Number of customers (nodes 1 .. n)."""
        return len(self.demand_kg) - 1


def read_prplib(path: str | Path) -> PrpInstance:
    """
    Read a PRPLIB instance file (tab separated, blank lines between records).

    Raises
    ------
    FleetInputError
        If the file does not follow the format.
    """
    path = Path(path)
    lines = [line.strip() for line in path.read_text().splitlines()]
    rows = [line for line in lines if line]
    try:
        n = int(rows[0])
        curb, payload = (float(x) for x in rows[1].split())
        low, high = (float(x) for x in rows[2].split())
        matrix = np.array([[float(x) for x in row.split()] for row in rows[3 : 4 + n]])
        nodes = [row.split() for row in rows[4 + n : 5 + 2 * n]]
        city = tuple(parts[1] for parts in nodes)
        numbers = np.array([[float(x) for x in parts[2:6]] for parts in nodes])
    except (ValueError, IndexError) as error:
        msg = f"{path} is not a PRPLIB instance: {error}"
        raise FleetInputError(msg) from error
    if matrix.shape != (n + 1, n + 1) or numbers.shape != (n + 1, 4):
        msg = f"{path}: expected a {n + 1}x{n + 1} matrix and {n + 1} node rows."
        raise FleetInputError(msg)
    return PrpInstance(
        name=path.name.split(".")[0],
        curb_kg=curb,
        max_payload_kg=payload,
        min_speed_kph=low,
        max_speed_kph=high,
        distance_m=matrix,
        city=city,
        demand_kg=numbers[:, 0],
        ready_s=numbers[:, 1],
        due_s=numbers[:, 2],
        service_s=numbers[:, 3],
    )


def prp_truck(*, name: str = "prp_truck") -> CombustionVehicle:
    """
    Return the PRPLIB truck as an ecoroute vehicle whose fuel equals CMEM's.

    The Willans line with ``P0 = k N V = 33 kW``, ``eta_dt = 0.4``, ``eta_m =
    0.9``, no auxiliaries and no traffic term is CMEM at constant speed; the
    fuel's heating value (44 MJ/kg) and density (0.737 kg/L) are CMEM's
    ``kappa`` and ``psi``, so ``fuel_l`` is CMEM's litres. CO2 uses the IPCC
    diesel factor per MJ (74.1 g) and the EU well-to-tank value (21.0 g).
    """
    c = CMEM
    return CombustionVehicle(
        name=name,
        description="PRPLIB truck (Demir, Bektas & Laporte 2012), CMEM at constant speed",
        fuel=Fuel(
            name="cmem_diesel",
            co2_g_per_mj=74.1,
            wtt_co2e_g_per_mj=95.1 - 74.1,
            lower_heating_value_mj_per_kg=c["kappa_kj_per_g"],
            density_kg_per_l=c["psi_g_per_l"] / 1000.0,
        ),
        curb_mass_kg=c["curb_kg"],
        max_payload_kg=c["payload_kg"],
        payload_kg=0.0,
        drag_area_m2=c["cd"] * c["a_m2"],
        rolling_resistance=c["cr"],
        auxiliary_power_kw=0.0,
        driveline_efficiency=c["eta_tf"],
        engine_efficiency=c["eta"],
        zero_load_fuel_power_kw=c["k_kj_per_rev_l"] * c["n_rev_per_s"] * c["v_l"],
        traffic_dynamics=False,
        sources="Demir, Bektas & Laporte (2012), EJOR 223(2), Table 1 (CMEM constants).",
    )


def cmem_fuel_l(distance_m: float, speed_kph: float, mass_kg: float, grade: float = 0.0) -> float:
    """CMEM fuel (litres) over ``distance_m`` at constant speed, Demir et al.'s closed form."""
    c = CMEM
    v = speed_kph / 3.6
    theta = np.arctan(grade)
    lam = c["xi"] / (c["kappa_kj_per_g"] * c["psi_g_per_l"])
    gamma = 1.0 / (1000.0 * c["eta_tf"] * c["eta"])
    alpha = c["g_m_s2"] * (np.sin(theta) + c["cr"] * np.cos(theta))
    beta = 0.5 * c["cd"] * c["rho_kg_m3"] * c["a_m2"]
    knv = c["k_kj_per_rev_l"] * c["n_rev_per_s"] * c["v_l"]
    return float(
        lam * (knv * distance_m / v + gamma * alpha * mass_kg * distance_m)
        + lam * beta * gamma * distance_m * v * v
    )


def cmem_optimal_speed_kph() -> float:
    """The constant speed that burns least fuel per km on the flat: ``(k N V eta_tf eta / 2 beta)^(1/3)``."""
    c = CMEM
    beta = 0.5 * c["cd"] * c["rho_kg_m3"] * c["a_m2"]
    knv_w = c["k_kj_per_rev_l"] * c["n_rev_per_s"] * c["v_l"] * 1000.0
    return float((knv_w * c["eta_tf"] * c["eta"] / (2.0 * beta)) ** (1.0 / 3.0) * 3.6)


def prp_network(instance: PrpInstance, speed_kph: float) -> RoadNetwork:
    """
    Return the instance as a complete directed network, one arc per ordered pair, at one speed.

    Node ids are the PRPLIB node numbers (0 is the depot). Coordinates are
    placeholders on a small circle (the instances have place names only).
    Distances that break the triangle inequality are routed through other
    nodes when that is shorter, as on a road network.
    """
    n = instance.customers + 1
    tail, head = np.nonzero(~np.eye(n, dtype=bool))
    angle = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    return RoadNetwork.from_arrays(
        tail,
        head,
        instance.distance_m[tail, head],
        np.full(tail.size, float(speed_kph)),
        53.7 + 0.5 * np.sin(angle),
        -1.0 + 0.8 * np.cos(angle),
    )


def prp_plan_inputs(
    instance: PrpInstance, vehicle: CombustionVehicle | None = None
) -> tuple[Depot, list[Stop], VehicleType]:
    """
    Return the depot, stops and fleet of an instance for :func:`ecoroute.plan_fleet`.

    The fleet is unlimited in the PRP (one truck per customer is enough);
    the depot closes at the depot's due time.
    """
    depot = Depot(
        "depot", node=0, open_s=float(instance.ready_s[0]), close_s=float(instance.due_s[0])
    )
    stops = [
        Stop(
            f"{i}",
            node=i,
            demand_kg=float(instance.demand_kg[i]),
            service_s=float(instance.service_s[i]),
            time_window=(float(instance.ready_s[i]), float(instance.due_s[i])),
        )
        for i in range(1, instance.customers + 1)
    ]
    truck = VehicleType(vehicle or prp_truck(), name="prp_truck", count=instance.customers)
    return depot, stops, truck


__all__ = [
    "CMEM",
    "PrpInstance",
    "cmem_fuel_l",
    "cmem_optimal_speed_kph",
    "prp_network",
    "prp_plan_inputs",
    "prp_truck",
    "read_prplib",
]
