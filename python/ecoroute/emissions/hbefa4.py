"""
HBEFA 4.2 emission polynomials, in the continuous form SUMO implements (``HelpersHBEFA4``).

SUMO gives each HBEFA 4.2 vehicle class a 7-term polynomial in speed ``v``
(m/s) and acceleration ``a`` (m/s²)::

    E = c0 + c1 v + c2 a + c3 v² + c4 v³ + c5 a v + c6 a v²

in mg/s for CO2 and in Wh/s for a battery-electric class's electricity. Road
grade enters as the equivalent acceleration ``a = g sin(atan(grade))``; SUMO's
``emissionsDrivingCycle`` gives identical output for a slope and for that
acceleration on the flat. At constant speed the rate per km is ``E / v``.

Coefficients (``docs/emissions.md``, "HBEFA 4.2"): recovered
by least squares from SUMO 1.28.0's ``emissionsDrivingCycle`` on 50 (v, a)
probe points (v 3-34 m/s, a 0-1.2 m/s²; residual <= 0.4 mg/s, so the 7-term
form is exact); "≈0" entries of that table are 0 here. The fleet classes at the
end were fitted the same way on 10-130 km/h x 0..+12 % (electric: -6..+10 %),
residual <= 0.2 mg/s or 0.0002 Wh/s, and rounded to 5 significant digits. The numbers derive from
HBEFA 4.2 through SUMO (EPL-2.0); attribution: INFRAS / HBEFA and the Eclipse
SUMO project. The fit covers 3-34 m/s, so speeds are clamped into 10-130 km/h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .physics import GRAVITY_M_S2

FloatArray = npt.NDArray[np.float64]

Coefficients = tuple[float, float, float, float, float, float, float]


@dataclass(frozen=True, kw_only=True)
class Hbefa4Class:
    """
    One HBEFA 4.2 vehicle class: its polynomial and the quantity it gives.

    Attributes
    ----------
    name
        HBEFA class name as in SUMO, e.g. ``"PC_petrol_Euro-6ab"``.
    quantity
        ``"co2_mg_s"`` (combustion classes) or ``"electricity_wh_s"`` (battery-electric).
    coefficients
        ``c0 .. c6`` of the polynomial above.
    min_speed_kph, max_speed_kph
        Speeds are clamped into this range before evaluating.
    """

    name: str
    quantity: Literal["co2_mg_s", "electricity_wh_s"]
    coefficients: Coefficients
    min_speed_kph: float = 10.0
    max_speed_kph: float = 130.0

    def __post_init__(self) -> None:
        if len(self.coefficients) != 7:
            msg = f"HBEFA4 class {self.name!r} needs 7 coefficients, got {len(self.coefficients)}."
            raise ValueError(msg)
        if not 0 < self.min_speed_kph < self.max_speed_kph:
            msg = f"HBEFA4 class {self.name!r}: need 0 < min_speed_kph < max_speed_kph."
            raise ValueError(msg)

    def per_km(self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike) -> FloatArray:
        """
        Return the class's rate per km at constant ``speed_kph`` on ``grade``.

        Grams of CO2 per km for a combustion class, clamped at 0 (the fit's
        fuel cut-off); kWh per km for an electric class, negative where the
        class recovers energy.
        """
        c0, c1, c2, c3, c4, c5, c6 = self.coefficients
        v = np.clip(np.asarray(speed_kph, dtype=np.float64), self.min_speed_kph, self.max_speed_kph)
        v = v / 3.6
        g = np.asarray(grade, dtype=np.float64)
        a = GRAVITY_M_S2 * g / np.sqrt(1.0 + g * g)  # g sin(atan(grade))
        rate = c0 + v * (c1 + v * (c3 + v * c4)) + a * (c2 + v * (c5 + v * c6))
        if self.quantity == "co2_mg_s":
            return np.maximum(rate, 0.0) / v  # mg/s ÷ m/s = mg/m = g/km
        return rate / v  # Wh/s ÷ m/s = Wh/m = kWh/km


def _co2(name: str, *c: float) -> Hbefa4Class:
    return Hbefa4Class(name=name, quantity="co2_mg_s", coefficients=c)  # type: ignore[arg-type]


def _electric(name: str, *c: float) -> Hbefa4Class:
    return Hbefa4Class(name=name, quantity="electricity_wh_s", coefficients=c)  # type: ignore[arg-type]


#: The HBEFA 4.2 classes whose coefficients were recovered from SUMO (docs/emissions.md).
HBEFA4_CLASSES: dict[str, Hbefa4Class] = {
    cls.name: cls
    for cls in (
        _co2("PC_petrol_Euro-6ab", 1415.0, 19.647, 868.29, 2.0e-4, 0.096656, 101.80, 3.4519),
        _co2("PC_diesel_Euro-6ab", 1260.0, 48.168, 835.00, 1.6e-4, 0.090987, 143.80, 4.5510),
        _co2("LCV_diesel_N1-III_Euro-6ab", 1949.0, 34.068, 659.58, 0.0, 0.23320, 230.60, 8.2439),
        _co2("RT_gt12-14t_Euro-VI_A-C", 411.61, 590.30, 997.69, 0.0, 0.0, 1317.0, 0.0),
        _co2("TT_AT_gt34-40t_Euro-VI_A-C", 7734.1, 719.37, 18329.9, 0.0, 0.0, 1751.0, 0.0),
        _co2("UBus_Std_gt15-18t_Euro-VI_A-C", 2775.0, 651.0, 2643.0, 0.0, 0.0, 1627.0, 0.0),
        _electric("PC_BEV", 0.80549, 0.042772, 0.76061, 0.0, 9.8672e-5, 0.24610, 0.0019060),
        _electric("LCV_BEV_N1-II", 1.1650, 0.068775, 1.2820, 0.0, 2.7250e-4, 0.33510, 0.0066719),
        # Recovered the same way for the fleet classes of issue 15 (SUMO 1.28.0; SUMO
        # spells the N1-III battery van "LCV_BEV_N1-IIII").
        _co2("RT_le7.5t_Euro-VI_A-C", 1936.0, 0.0, 0.0, 16.21, 0.006407, 550.91, 12.026),
        _co2("RT_gt14-20t_Euro-VI_A-C", 637.71, 684.4, 0.0, 0.0, 0.0, 1665.4, 0.0),
        _co2("RT_gt20-26t_Euro-VI_A-C", 1888.0, 827.31, 1919.4, 0.0, 0.0, 2126.3, 0.0),
        _electric("LCV_BEV_N1-III", 1.284, 0.1068, 1.2706, 0.0, 3.4411e-4, 0.51422, 0.0087451),
        _electric("RigidTruck_BEV_gt12t", 0.0, 0.9041, 0.042206, 0.0030502, 0.0, 3.8537, 0.0),
        _electric("TT_AT_BEV", 2.148, 1.517, 3.4568, 0.0, 0.0, 7.2075, 0.0),
    )
}
