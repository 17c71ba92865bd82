"""
EMEP/EEA 2019 (COPERT 5) hot emission factors with road slope and load, for heavy vehicles.

The EMEP/EEA air pollutant emission inventory guidebook 2019, chapter
1.A.3.b.i-iv, Appendix 4 (the ``HOT_EMISSIONS_PARAMETERS`` sheet), gives heavy
vehicles one row per road slope (-6 % .. +6 % in 2 % steps) and load (0, 50 %,
100 % of the maximum payload), each a rational function of speed ``V`` (km/h)::

    EF(V) = (alpha V² + beta V + gamma + delta / V) / (epsilon V² + zeta V + eta) * (1 - RF) * k

valid for ``Vmin <= V <= Vmax``. The ``EC`` rows give the energy consumption in
MJ per km. The functions have poles outside their validity range, so speeds are
clamped into each row's ``[Vmin, Vmax]`` first: that is what the guidebook's own
"EF at speed" column does (reference notes ``emission-models.md`` §1.2).
Between classes this module interpolates linearly, in slope and in load; the
guidebook picks one class, and linear interpolation is its natural continuous
extension for routing (reference notes §1.1).
"""

from __future__ import annotations

import csv
import functools
import gzip
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

#: Column order of a row in :attr:`CopertTable.rows`.
ROW_FIELDS = (
    "slope", "load", "vmin_kph", "vmax_kph",
    "alpha", "beta", "gamma", "delta", "epsilon", "zita", "hta",
)  # fmt: skip


@dataclass(frozen=True, eq=False)
class CopertTable:
    """
    The rows of one COPERT vehicle class and pollutant, on a full slope x load grid.

    Parameters
    ----------
    name
        What the rows are, e.g. ``"Buses / Ubus Std 15 - 18 t / D / Euro VI / EC"``.
    rows
        One tuple per (slope, load) class in :data:`ROW_FIELDS` order; every
        combination of the slopes and loads present must appear exactly once.
        Reduction factors must already be applied (they are 0 for the EC rows).

    Raises
    ------
    ValueError
        If the rows do not form a full grid or a speed range is empty.
    """

    name: str
    rows: tuple[tuple[float, ...], ...]
    slopes: FloatArray = field(init=False, repr=False)
    loads: FloatArray = field(init=False, repr=False)
    _coef: FloatArray = field(init=False, repr=False)  # (slopes, loads, 9): vmin, vmax, alpha..eta

    def __post_init__(self) -> None:
        table = np.array(self.rows, dtype=np.float64)
        if table.ndim != 2 or table.shape[1] != len(ROW_FIELDS) or not np.isfinite(table).all():
            msg = f"{self.name}: each row needs {len(ROW_FIELDS)} finite numbers ({', '.join(ROW_FIELDS)})."
            raise ValueError(msg)
        slopes, loads = np.unique(table[:, 0]), np.unique(table[:, 1])
        if len(table) != slopes.size * loads.size:
            msg = f"{self.name}: rows must cover every slope x load combination exactly once."
            raise ValueError(msg)
        coef = np.full((slopes.size, loads.size, 9), np.nan)
        i = np.searchsorted(slopes, table[:, 0])
        j = np.searchsorted(loads, table[:, 1])
        coef[i, j] = table[:, 2:]
        if np.isnan(coef).any():
            msg = f"{self.name}: rows must cover every slope x load combination exactly once."
            raise ValueError(msg)
        if not (coef[..., 0] > 0).all() or not (coef[..., 0] < coef[..., 1]).all():
            msg = f"{self.name}: every row needs 0 < Vmin < Vmax."
            raise ValueError(msg)
        object.__setattr__(self, "slopes", slopes)
        object.__setattr__(self, "loads", loads)
        object.__setattr__(self, "_coef", coef)

    @property
    def min_slope(self) -> float:
        """Steepest downhill class (e.g. -0.06)."""
        return float(self.slopes[0])

    @property
    def max_slope(self) -> float:
        """Steepest uphill class (e.g. +0.06)."""
        return float(self.slopes[-1])

    def row_value(self, slope: float, load: float, speed_kph: npt.ArrayLike) -> FloatArray:
        """Return one row's function at ``speed_kph`` clamped into that row's speed range."""
        i = int(np.flatnonzero(np.isclose(self.slopes, slope))[0])
        j = int(np.flatnonzero(np.isclose(self.loads, load))[0])
        return self._evaluate(i, j, np.asarray(speed_kph, dtype=np.float64))

    def _evaluate(self, i: int, j: int, speed_kph: FloatArray) -> FloatArray:
        vmin, vmax, a, b, c, d, e, z, h = self._coef[i, j]
        v = np.clip(speed_kph, vmin, vmax)
        return (v * (a * v + b) + c + d / v) / (v * (e * v + z) + h)

    def value(
        self, speed_kph: npt.ArrayLike, grade: npt.ArrayLike | None, load: float
    ) -> FloatArray:
        """
        Return the factor at each speed and grade for one load, interpolated between classes.

        Linear in slope between neighbouring classes and in load between
        neighbouring loads. In speed the rows are tabulated once per load on a
        0.05 km/h grid and interpolated linearly (relative error below 1e-4;
        see :func:`_speed_grid`), which turns a network's worth of rational
        functions into a few array passes.

        Parameters
        ----------
        speed_kph
            Speeds (km/h); each row clamps them into its own validity range.
        grade
            Rise over run; clamped into ``[min_slope, max_slope]`` (extrapolating
            beyond the classes is the caller's decision). None: flat.
        load
            Fraction of the maximum payload, 0..1.

        Returns
        -------
        numpy.ndarray
            A new array.
        """
        speeds, grid = _tabulated(self, float(load))
        v = np.asarray(speed_kph, dtype=np.float64)
        if grade is not None:
            v, slope = np.broadcast_arrays(v, np.asarray(grade, dtype=np.float64))
            slope = slope.reshape(-1)
        shape = v.shape
        x = np.clip(v.reshape(-1), speeds[0], speeds[-1])
        x -= speeds[0]
        x *= 1.0 / (speeds[1] - speeds[0])
        i = x.astype(np.intp)
        np.minimum(i, speeds.size - 2, out=i)
        x -= i  # now the fraction of the way to the next grid speed
        flat_class = int(np.searchsorted(self.slopes, 0.0))
        if grade is None or self.slopes.size == 1:
            row = grid[min(flat_class, self.slopes.size - 1) if grade is None else 0]
            low = row[i]
            low += x * (row[i + 1] - low)
            return low.reshape(shape)
        position = np.clip(slope, self.slopes[0], self.slopes[-1])
        steps = np.diff(self.slopes)
        if np.allclose(steps, steps[0]):  # evenly spaced classes (COPERT's 2 % steps)
            position -= self.slopes[0]
            position *= 1.0 / steps[0]
        else:
            position = np.interp(position, self.slopes, np.arange(self.slopes.size, dtype=float))
        j = position.astype(np.intp)
        np.minimum(j, self.slopes.size - 2, out=j)
        position -= j
        flat = grid.ravel()
        index = j * speeds.size + i
        below = flat[index]
        below += x * (flat[index + 1] - below)
        index += speeds.size
        above = flat[index]
        above += x * (flat[index + 1] - above)
        above -= below
        above *= position
        above += below
        return above.reshape(shape)


#: Speed step (km/h) of the tabulated rows: 0.05 km/h keeps the linear
#: interpolation's relative error below 1e-4 down to 5 km/h, where the
#: ``delta / V`` term curves most.
SPEED_STEP_KPH = 0.05


@functools.lru_cache(maxsize=64)
def _tabulated(table: CopertTable, load: float) -> tuple[FloatArray, FloatArray]:
    """Each slope class's row (mixed over loads) on a speed grid: (speeds, values[slope, speed])."""
    low = float(table._coef[..., 0].min())
    high = float(table._coef[..., 1].max())
    speeds = np.arange(low, high + SPEED_STEP_KPH / 2, SPEED_STEP_KPH)
    weights = _bracket_scalar(table.loads, load)
    grid = np.stack([_mix(table, i, weights, speeds) for i in range(table.slopes.size)])
    grid.setflags(write=False)
    return speeds, grid


def _bracket_scalar(grid: FloatArray, x: float) -> tuple[tuple[int, float], ...]:
    """Return the (index, weight) pairs that linearly interpolate ``grid`` at ``x`` (clamped)."""
    if grid.size == 1:
        return ((0, 1.0),)
    position = float(np.interp(x, grid, np.arange(grid.size, dtype=np.float64)))
    lower = min(int(position), grid.size - 2)
    weight = position - lower
    if weight == 0.0:
        return ((lower, 1.0),)
    if weight == 1.0:
        return ((lower + 1, 1.0),)
    return ((lower, 1.0 - weight), (lower + 1, weight))


def _mix(
    table: CopertTable, i: int, load_weights: tuple[tuple[int, float], ...], speed: FloatArray
) -> FloatArray:
    total = None
    for j, w in load_weights:
        term = table._evaluate(i, j, speed)
        total = w * term if total is None else total + w * term
    assert total is not None
    return total


def read_emep_eea_csv(
    path: str | Path,
    *,
    segment: str,
    fuel: str = "D",
    euro: str = "VI",
    technology: str | None = None,
    pollutant: str = "EC",
    category: str = "Buses",
) -> CopertTable:
    """
    Read one class of EMEP/EEA 2019 rows from a CSV export of the guidebook annex.

    The CSV has the columns ``Category, Fuel, Segment, Euro, Technology, Pol,
    Slope, Load, Vmin, Vmax, Alpha, Beta, Gamma, Delta, Epsilon, Zita, Hta, RF,
    Function_ID, k`` (the layout of ``ipeaGIT/gtfs2emis``'s
    ``ef_europe_emep_db``; gzip is read transparently). Only the 2019
    rational-function rows (``Function_ID == "2019_1"``) are supported.

    Parameters
    ----------
    path
        The CSV file (``.csv`` or ``.csv.gz``).
    segment, fuel, euro, technology, pollutant, category
        Which rows to take; ``technology=None`` accepts any single technology.

    Raises
    ------
    ValueError
        If no row matches, the rows mix technologies or function forms, or they
        do not form a full slope x load grid.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as f:
        matches = [
            row
            for row in csv.DictReader(f)
            if row["Category"] == category
            and row["Segment"] == segment
            and row["Fuel"] == fuel
            and row["Euro"] == euro
            and row["Pol"] == pollutant
            and (technology is None or row["Technology"] == technology)
        ]
    what = f"{category} / {segment} / {fuel} / {euro} / {pollutant}"
    if not matches:
        msg = f"{path}: no rows for {what}."
        raise ValueError(msg)
    technologies = {row["Technology"] for row in matches}
    if len(technologies) > 1:
        msg = f"{path}: {what} has several technologies ({', '.join(sorted(technologies))}); pick one."
        raise ValueError(msg)
    functions = {row["Function_ID"] for row in matches}
    if functions != {"2019_1"}:
        msg = f"{path}: {what} uses function forms {sorted(functions)}; only 2019_1 is supported."
        raise ValueError(msg)
    rows = []
    for row in matches:
        scale = (1.0 - float(row["RF"] or 0.0)) * float(row["k"] or 1.0)
        slope = float(row["Slope"]) if row["Slope"] not in ("", "NA") else 0.0
        load = float(row["Load"]) if row["Load"] not in ("", "NA") else 0.5
        numerator = [float(row[k]) * scale for k in ("Alpha", "Beta", "Gamma", "Delta")]
        denominator = [float(row[k]) for k in ("Epsilon", "Zita", "Hta")]
        if math.isnan(slope) or math.isnan(load):
            msg = f"{path}: {what} has rows without slope or load."
            raise ValueError(msg)
        rows.append((slope, load, float(row["Vmin"]), float(row["Vmax"]), *numerator, *denominator))
    return CopertTable(f"{what} / {technologies.pop()}", tuple(rows))


#: EMEP/EEA 2019, urban bus Standard 15-18 t, diesel, Euro VI, DPF+SCR: energy
#: consumption (EC, MJ/km), all 7 slopes x 3 loads, full double precision.
#: Source: EMEP/EEA air pollutant emission inventory guidebook 2019, 1.A.3.b.i-iv
#: Appendix 4, as held in ``ipeaGIT/gtfs2emis`` ``data/ef_europe_emep_db.rda``
#: (commit 99204aab), rows Category=Buses, Segment="Ubus Std 15 - 18 t",
#: Euro=VI, Fuel=D, Technology=DPF+SCR, Pol=EC, Function_ID=2019_1, RF=0, k=1.
#: Columns: slope, load, Vmin, Vmax, Alpha, Beta, Gamma, Delta, Epsilon, Zita, Hta.
# fmt: off
URBAN_BUS_STD_DIESEL_EURO_VI_EC = CopertTable(
    "Buses / Ubus Std 15 - 18 t / D / Euro VI / EC / DPF+SCR",
    (
        (-0.06, 0.0, 5.0, 85.0, -0.00254570229655287, 0.230393963920222, -0.971126714826117, 1.9382037347092, 0.00211710801996572, -0.00723777772459412, 0.0240061071316922),
        (-0.06, 0.5, 5.0, 85.0, -0.00262192010846917, 0.239348261545391, -1.07506436077858, 2.25972417045658, 0.00229822266198688, -0.0100273985569284, 0.0333108876825275),
        (-0.06, 1.0, 5.0, 85.0, -0.00327517680207863, 0.306157608473014, -1.50087610090886, 3.16852020729835, 0.00299550809884054, -0.0156370056095258, 0.04890885143606),
        (-0.04, 0.0, 5.0, 85.0, -0.00742823807813798, 0.845696310754433, -1.82157176371727, 2.7530201117286, 0.00482714304872343, 0.0139613745432913, 8.06299399886162e-12),
        (-0.04, 0.5, 5.0, 85.0, -0.00511355066341522, 0.541216648606494, -1.46121426015698, 2.01027331770925, 0.00294573599515262, 0.00587009274807451, 1.63769128782545e-12),
        (-0.04, 1.0, 5.0, 85.0, -0.0048401075996735, 0.494842744756467, -1.4279337287192, 1.84276431747591, 0.00254288072888088, 0.00433822094065429, 2.66660084081975e-15),
        (-0.02, 0.0, 5.0, 85.0, 0.000183403019229801, -0.041205160534162, 2.79511545097577, 2.65272101447313, -7.56581152258611e-05, 0.00670813973349402, 0.147446727116648),
        (-0.02, 0.5, 5.0, 85.0, -0.000973870472671528, 1.15014580011687, -2.56411919184168, 3.60364582118333, 0.00468071867086373, 0.0191267167600678, 2.31870661534968e-13),
        (-0.02, 1.0, 5.0, 85.0, 8.8795153890869e-05, -0.0472458749976722, 3.52973552406605, 0.630966947943091, -0.000108203169038456, 0.00934550914616571, 0.133826865060465),
        (0.0, 0.0, 5.0, 85.0, -4.90907972998405e-06, -0.0138698794326179, 2.65774563710719, 3.25536154389699, -5.12853299230205e-05, 0.00498758025146284, 0.125550793945638),
        (0.0, 0.5, 5.0, 85.0, -0.000313881923547988, -0.0145484315009182, 5.33927720306299, 4.32988739703353, -0.000119639044053958, 0.0102176505703206, 0.211097947587396),
        (0.0, 1.0, 5.0, 85.0, 0.0400464519142168, 1.90361448590284, -3.76372572570121, 5.30308301674839, 0.00682897044758325, 0.027090796491254, 3.33969982349151e-14),
        (0.02, 0.0, 5.0, 85.0, -0.000499173787747177, 0.0428807250566674, 3.74537442004639, 5.80990033390556, -7.53958353331289e-05, 0.00810891566600087, 0.151098151627273),
        (0.02, 0.5, 5.0, 85.0, -0.00124764512019426, 0.0954782484639862, 5.15160786047539, 6.43391310724923, -0.000117051867498761, 0.0112190943915918, 0.173733816373106),
        (0.02, 1.0, 5.0, 85.0, 0.263640519861491, 3.35885275079296, -6.54631337085159, 8.93529720137007, 0.0172822583108158, 0.0239189890859677, 2.17560977952239e-14),
        (0.04, 0.0, 5.0, 85.0, 0.000559294043098883, 0.0600173256715099, 4.38098020256119, 8.71394692295958, 9.14320382208226e-06, 0.00603779659302703, 0.169254583776464),
        (0.04, 0.5, 5.0, 85.0, 0.00855040556338505, 0.11961478929819, 8.58767405941271, 14.861758644347, 0.000375253708516372, 0.00737656155853142, 0.285036429276274),
        (0.04, 1.0, 5.0, 70.0, 0.0107949247193545, 1.54080708705843, 15.6084240237867, 11.3683763754287, 0.000469688229684481, 0.0588590871392913, 0.303568904458192),
        (0.06, 0.0, 5.0, 80.0, 0.00814759386064013, 0.0303793049434588, 7.1087835576418, 14.8369539911643, 0.000338413813363007, 0.00288451711438506, 0.254471674602321),
        (0.06, 0.5, 5.0, 65.0, 0.245968771132647, 2.87659215252891, -3.05413604581694, -11.0376793067863, 0.0090328353056282, 0.0604745070053892, -0.186442543775711),
        (0.06, 1.0, 5.0, 55.0, -0.00699352808468899, 2.7304311939606, 17.9325831738222, 11.8180982484479, -0.000112201075639738, 0.0780896104523841, 0.268695081719162),
    ),
)
# fmt: on
