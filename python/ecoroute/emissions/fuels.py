"""Fuels and electricity: CO2 per unit of energy, well-to-tank factors, heating values, densities."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Fuel:
    """
    A combustion fuel: how much CO2 its energy carries and how to turn energy into litres.

    Attributes
    ----------
    name
        ``"petrol"``, ``"diesel"``, ``"cng"``, ``"lpg"`` or a name of your own.
    co2_g_per_mj
        Tank-to-wheel CO2 per MJ of fuel energy (lower heating value), full
        oxidation. Defaults: IPCC 2006 Guidelines, Vol. 2, Ch. 3, Table 3.2.1
        (road transport): motor gasoline 69,300, gas/diesel oil 74,100, LPG
        63,100 and CNG 56,100 kg CO2/TJ.
    wtt_co2e_g_per_mj
        Well-to-tank CO2-equivalent per MJ: extraction, refining, transport and
        distribution, plus the tank-to-wheel CH4 and N2O that ``co2_g_per_mj``
        leaves out. Defaults are the life-cycle (well-to-wheel) GHG intensities
        of Council Directive (EU) 2015/652, Annex I, Part 2, point 5 (petrol
        93.3, diesel 95.1, LPG 73.6, CNG 69.3 g CO2e/MJ) minus the IPCC
        tank-to-wheel CO2 above, so that ``co2_g_per_mj + wtt_co2e_g_per_mj``
        is the Directive's well-to-wheel value.
    lower_heating_value_mj_per_kg
        Energy per kg of fuel (net calorific value). Defaults: EU market petrol
        43.2 and diesel 43.1 MJ/kg (JEC Well-to-Wheels fuel properties, with
        densities 0.745 and 0.832 kg/L; IPCC 2006's NCV defaults are 44.3 and
        43.0), LPG 47.3 and natural gas 48.0 MJ/kg (IPCC 2006 NCV defaults).
    density_kg_per_l
        Density of a liquid fuel (0.745 petrol, 0.832 diesel, 0.54 LPG); None
        for a gas (CNG), which is reported in kg instead of litres.
    biogenic_co2_g_per_mj
        Tank-to-wheel CO2 of biogenic origin per MJ (the carbon a biofuel's
        feedstock took from the air). Reported, but not counted in
        ``co2_g_per_mj`` nor in the well-to-wheel CO2e: ISO 14083 and the GLEC
        Framework report biogenic CO2 separately, and the EU's life-cycle
        values for biofuels (Directive (EU) 2018/2001, Annex V) count the
        emissions of the fuel in use as zero. 0 for fossil fuels (the default).
    """

    name: str
    co2_g_per_mj: float
    wtt_co2e_g_per_mj: float
    lower_heating_value_mj_per_kg: float
    density_kg_per_l: float | None
    biogenic_co2_g_per_mj: float = 0.0

    def __post_init__(self) -> None:
        for field in ("co2_g_per_mj", "wtt_co2e_g_per_mj", "biogenic_co2_g_per_mj"):
            value = getattr(self, field)
            if not value >= 0:  # also catches NaN
                msg = f"Fuel {self.name!r}: {field} must be >= 0, got {value}."
                raise ValueError(msg)
        if not self.lower_heating_value_mj_per_kg > 0:
            msg = (
                f"Fuel {self.name!r}: lower_heating_value_mj_per_kg must be > 0, "
                f"got {self.lower_heating_value_mj_per_kg}."
            )
            raise ValueError(msg)
        if self.density_kg_per_l is not None and not self.density_kg_per_l > 0:
            msg = f"Fuel {self.name!r}: density_kg_per_l must be > 0 or None, got {self.density_kg_per_l}."
            raise ValueError(msg)

    @property
    def is_liquid(self) -> bool:
        """Whether the fuel is sold by the litre (else by the kg)."""
        return self.density_kg_per_l is not None

    @property
    def wtw_co2e_g_per_mj(self) -> float:
        """Well-to-wheel CO2-equivalent per MJ: tank-to-wheel CO2 plus well-to-tank."""
        return self.co2_g_per_mj + self.wtt_co2e_g_per_mj

    @property
    def energy_mj_per_l(self) -> float | None:
        """Energy per litre (lower heating value x density); None for a gas."""
        if self.density_kg_per_l is None:
            return None
        return self.lower_heating_value_mj_per_kg * self.density_kg_per_l

    def replace(self, **changes: float | str | None) -> Fuel:
        """Return a copy with the named properties changed (e.g. a biofuel blend's factors)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


#: The fuels ecoroute knows by name; see :class:`Fuel` for the sources of each number.
FUELS: dict[str, Fuel] = {
    "petrol": Fuel(
        name="petrol",
        co2_g_per_mj=69.3,
        wtt_co2e_g_per_mj=93.3 - 69.3,
        lower_heating_value_mj_per_kg=43.2,
        density_kg_per_l=0.745,
    ),
    "diesel": Fuel(
        name="diesel",
        co2_g_per_mj=74.1,
        wtt_co2e_g_per_mj=95.1 - 74.1,
        lower_heating_value_mj_per_kg=43.1,
        density_kg_per_l=0.832,
    ),
    "lpg": Fuel(
        name="lpg",
        co2_g_per_mj=63.1,
        wtt_co2e_g_per_mj=73.6 - 63.1,
        lower_heating_value_mj_per_kg=47.3,
        density_kg_per_l=0.54,
    ),
    "cng": Fuel(
        name="cng",
        co2_g_per_mj=56.1,
        wtt_co2e_g_per_mj=69.3 - 56.1,
        lower_heating_value_mj_per_kg=48.0,
        density_kg_per_l=None,
    ),
}


#: Default life-cycle GHG emissions of biodiesel (FAME) and HVO pathways, g CO2e per
#: MJ, under the first Renewable Energy Directive 2009/28/EC, Annex V, Part D
#: ("total for cultivation, processing, transport and distribution"; land-use
#: change excluded, fuel in use counted zero), as transposed into French law by the
#: arrêté of 23 November 2011, Annex I, Part B, point 4 (text at
#: etalab/lois-non-codifiees-et-reglements-francais, commit cd045e7a). Fossil
#: comparator of that directive: 83.8 g CO2e/MJ. Superseded for fuel supplied
#: since 2021 by Directive (EU) 2018/2001 (RED II), Annex V, whose tables (and
#: the energy contents of Annex III) could not be read from any source here: use
#: these only where a RED I value is what your supplier certifies, and pass the
#: value to :func:`biofuel` with the fuel's own heating value and density.
RED_I_DEFAULT_LIFE_CYCLE_CO2E_G_PER_MJ: dict[str, float] = {
    "fame_rapeseed": 52.0,
    "fame_sunflower": 41.0,
    "fame_soybean": 58.0,
    "fame_palm": 68.0,
    "fame_palm_methane_capture": 37.0,
    "fame_waste_vegetable_or_animal_oil": 14.0,
    "hvo_rapeseed": 44.0,
    "hvo_sunflower": 32.0,
    "hvo_palm": 62.0,
    "hvo_palm_methane_capture": 29.0,
}

#: Fossil fuel comparator of Directive 2009/28/EC (Annex V, Part C, point 19), g CO2e/MJ.
RED_I_FOSSIL_COMPARATOR_CO2E_G_PER_MJ = 83.8


def biofuel(
    name: str,
    *,
    life_cycle_co2e_g_per_mj: float,
    biogenic_co2_g_per_mj: float,
    lower_heating_value_mj_per_kg: float,
    density_kg_per_l: float,
) -> Fuel:
    """
    Return a liquid biofuel (HVO, FAME biodiesel) from its certified factors.

    ecoroute ships no default factors for biofuels: they depend on the
    feedstock (waste cooking oil or rapeseed differ several-fold) and the
    exact published values were not available to check (``docs/emissions.md``,
    "Biofuels"). Take them from your supplier's proof of sustainability or
    from Directive (EU) 2018/2001 (RED II), Annex V (life-cycle default
    values, g CO2e/MJ) and Annex III (energy content).

    Parameters
    ----------
    name
        A name for reports, e.g. ``"hvo_uco"``.
    life_cycle_co2e_g_per_mj
        Well-to-wheel CO2e per MJ: RED II's total ``E`` (cultivation,
        processing, transport and distribution; the fuel in use counts zero).
    biogenic_co2_g_per_mj
        CO2 the fuel releases when burnt, per MJ (reported separately).
    lower_heating_value_mj_per_kg, density_kg_per_l
        Energy content and density.

    Returns
    -------
    Fuel
        ``co2_g_per_mj`` 0 (no fossil carbon), ``wtt_co2e_g_per_mj`` the
        life-cycle value, so that ``wtw_co2e_g_per_mj`` is that value.
    """
    return Fuel(
        name=name,
        co2_g_per_mj=0.0,
        wtt_co2e_g_per_mj=life_cycle_co2e_g_per_mj,
        lower_heating_value_mj_per_kg=lower_heating_value_mj_per_kg,
        density_kg_per_l=density_kg_per_l,
        biogenic_co2_g_per_mj=biogenic_co2_g_per_mj,
    )


def blend(
    base: str | Fuel, component: Fuel, *, volume_share: float, name: str | None = None
) -> Fuel:
    """
    Return a blend of two liquid fuels, ``volume_share`` of ``component`` by volume (B7: 0.07).

    The engine needs the same energy per km whatever it burns, so every per-MJ
    factor mixes by energy share, ``e = v E_c / ((1 - v) E_b + v E_c)`` with
    ``E`` the energy per litre; the density mixes by volume, and the heating
    value is the blend's energy per litre over its density. Litres per km of a
    vehicle therefore scale with the blend's energy per litre.

    Raises
    ------
    ValueError
        If ``volume_share`` is outside [0, 1] or either fuel is a gas.
    """
    base = fuel(base)
    if not 0.0 <= volume_share <= 1.0:
        msg = f"blend of {base.name!r} and {component.name!r}: volume_share must be in [0, 1], got {volume_share}."
        raise ValueError(msg)
    e_base, e_comp = base.energy_mj_per_l, component.energy_mj_per_l
    if e_base is None or e_comp is None or base.density_kg_per_l is None:
        msg = f"blend of {base.name!r} and {component.name!r}: both fuels must be liquids (density_kg_per_l)."
        raise ValueError(msg)
    assert component.density_kg_per_l is not None
    rest = 1.0 - volume_share
    energy_per_l = rest * e_base + volume_share * e_comp
    share = volume_share * e_comp / energy_per_l  # of the energy

    def mix(field: str) -> float:
        return (1.0 - share) * getattr(base, field) + share * getattr(component, field)

    density = rest * base.density_kg_per_l + volume_share * component.density_kg_per_l
    return Fuel(
        name=name or f"{base.name}+{component.name} {volume_share:.0%}",
        co2_g_per_mj=mix("co2_g_per_mj"),
        wtt_co2e_g_per_mj=mix("wtt_co2e_g_per_mj"),
        lower_heating_value_mj_per_kg=energy_per_l / density,
        density_kg_per_l=density,
        biogenic_co2_g_per_mj=mix("biogenic_co2_g_per_mj"),
    )


#: Default grid carbon intensity, g CO2e per kWh generated: the EU-27 in 2023.
#: The European Environment Agency's indicator "Greenhouse gas emission
#: intensity of electricity generation" puts 1990 at 510 g CO2e/kWh and 2023
#: 58 % below it, i.e. about 214 g CO2e/kWh. Set your own country and year:
#: France or Sweden are below 60, Poland above 600.
EU27_GRID_G_PER_KWH = 214.0


_BIOFUEL_KEYS = (
    "name",
    "life_cycle_co2e_g_per_mj",
    "biogenic_co2_g_per_mj",
    "lower_heating_value_mj_per_kg",
    "density_kg_per_l",
)


def _fuel_from_table(table: Mapping[str, Any]) -> Fuel:
    """A biofuel, or its blend into a named fuel, from a table (a fleet file's ``[vehicles.model.fuel]``)."""
    optional = ("blend_with", "volume_share")
    unknown = sorted(set(table) - {*_BIOFUEL_KEYS, *optional})
    missing = [key for key in _BIOFUEL_KEYS if key not in table]
    if unknown or missing:
        msg = (
            f"fuel table {dict(table)!r}: "
            + (f"unknown key {unknown[0]!r}; " if unknown else "")
            + (f"missing {', '.join(missing)}; " if missing else "")
            + f"a biofuel needs {', '.join(_BIOFUEL_KEYS)}, and blend_with = <fuel name> with "
            "volume_share = <0..1> to mix it into another fuel."
        )
        raise ValueError(msg)
    try:
        component = biofuel(
            str(table["name"]), **{key: float(table[key]) for key in _BIOFUEL_KEYS[1:]}
        )
    except (TypeError, ValueError) as error:
        msg = f"fuel table {table['name']!r}: {error}"
        raise ValueError(msg) from None
    if "blend_with" not in table:
        if "volume_share" in table:
            msg = f"fuel table {table['name']!r}: volume_share needs blend_with = <fuel name>."
            raise ValueError(msg)
        return component
    try:
        share = float(table["volume_share"])
    except (KeyError, TypeError, ValueError):
        msg = (
            f"fuel table {table['name']!r}: blend_with needs volume_share = <0..1>, "
            f"got {table.get('volume_share')!r}."
        )
        raise ValueError(msg) from None
    return blend(str(table["blend_with"]), component, volume_share=share)


def fuel(name: str | Fuel | Mapping[str, Any]) -> Fuel:
    """
    Return the fuel called ``name`` (petrol, diesel, lpg, cng), or ``name`` if it is a Fuel.

    A mapping builds a biofuel with :func:`biofuel` from its keys (``name``,
    ``life_cycle_co2e_g_per_mj``, ``biogenic_co2_g_per_mj``,
    ``lower_heating_value_mj_per_kg``, ``density_kg_per_l``), blended into
    another fuel with :func:`blend` if it also has ``blend_with`` and
    ``volume_share``: a fleet file's ``[vehicles.model.fuel]`` table.

    Raises
    ------
    ValueError
        For a name ecoroute does not know, or a malformed table.
    """
    if isinstance(name, Fuel):
        return name
    if isinstance(name, Mapping):
        return _fuel_from_table(name)
    try:
        return FUELS[name]
    except KeyError:
        msg = (
            f"Unknown fuel {name!r}; choose one of {', '.join(FUELS)} or pass an "
            "ecoroute.emissions.Fuel with your own factors."
        )
        raise ValueError(msg) from None
