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
"EF at speed" column does (``docs/emissions.md``, "COPERT").
Between classes this module interpolates linearly, in slope and in load; the
guidebook picks one class, and linear interpolation is its natural continuous
extension for routing (``docs/emissions.md``, "COPERT").
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


#: Source of the truck and van rows below: a COPERT 5 hot-emission parameter
#: export (France, 2019) in ``smartgov-liris/SmartGovLezModelUFD`` (commit
#: b3e8394c, ``src/test/resources/org/liris/smartgov/lez/core/simulation/
#: scenario/copert/Hot_Emissions_Parameters_France_2019.csv``), rows
#: ``Pollutant=FC``, which hold the energy consumption in MJ/km (the EMEP/EEA
#: 2019 guidebook's ``EC`` rows; see docs/emissions.md, "COPERT"). Euro VI,
#: DPF+SCR, Thita = 0, reduction factor 0. The LCV row is speed-only (COPERT has
#: no slope or load for vans): slope 0 and load 0.5 stand for "any".

#: EMEP/EEA 2019 (COPERT 5) energy consumption, articulated truck 34-40 t, MJ/km.
# fmt: off
ARTICULATED_34_40T_DIESEL_EURO_VI_EC = CopertTable(
    "Heavy Duty Trucks / Articulated 34 - 40 t / Diesel / Euro VI / EC / DPF+SCR",
    (
        (-0.06, 0.0, 5.0, 75.0, -0.00239907529772832, 0.192243943335824, -0.807758029142744, 2.86575227736826, 0.00183611014402527, -0.013970299273624, 0.0550498986819653),
        (-0.06, 0.5, 5.0, 75.0, -0.00410377097855399, 0.335340000334045, -1.67923816037228, 5.06916248431246, 0.00330169057044015, -0.0278804077117222, 0.0989462116100267),
        (-0.06, 1.0, 5.0, 80.0, -0.00173989139049006, 0.15032782686721, -0.696773126280768, 2.56020036664753, 0.00163813387613277, -0.0151055514663512, 0.0582884294371709),
        (-0.04, 0.0, 5.0, 85.0, -0.00631389848974374, 0.600131107408341, -2.70694315420185, 5.25962917852735, 0.00367090273956407, -0.0202694242805796, 0.0577415106533409),
        (-0.04, 0.5, 5.0, 85.0, -0.00379565414776627, 0.368259392729319, -1.72538438589151, 3.1282087723493, 0.00209287557146559, -0.0122102476492047, 0.0339590429664417),
        (-0.04, 1.0, 5.0, 85.0, -0.00433647061510766, 0.436820768290418, -2.09754269964131, 3.65470781522172, 0.0022908174814843, -0.0137364161893593, 0.0374536764275004),
        (-0.02, 0.0, 5.0, 85.0, -0.00378781876091356, 0.973295540084935, -3.94800626282192, 6.22159229599095, 0.00456702183230205, -0.0164616028237901, 0.0384440995602691),
        (-0.02, 0.5, 5.0, 85.0, -0.00397185868332782, 0.735701605028074, -2.83718281369551, 4.00698790082562, 0.00260808328765649, -0.0068356039563117, 0.0186458184947843),
        (-0.02, 1.0, 5.0, 85.0, -0.00893620600437587, 1.51174037234124, -5.69063163191913, 7.29327915885656, 0.00424740863899054, -0.0073084685014375, 0.0226172425662454),
        (0.0, 0.0, 5.0, 85.0, 0.0158352946175582, 0.388821980030621, -0.25389392999756, 7.41922926252847, 0.00308404094859761, -0.0160434745396569, 0.106093808773812),
        (0.0, 0.5, 5.0, 85.0, 0.036647708152387, 1.47602403844811, -5.16916695704522, 9.40758548521018, 0.00589885917786991, -0.0160619049446513, 0.0582692905997641),
        (0.0, 1.0, 5.0, 85.0, 0.0309227945280142, 1.80435314905123, -5.88622607362254, 6.97633933354245, 0.00450724674947059, -0.000170080819123484, 1.85126469443803e-13),
        (0.02, 0.0, 5.0, 85.0, 0.0520278939561993, -0.0362391322242186, 11.7205843602987, 14.6998456250413, 0.00401623060844748, -0.0142844158485098, 0.362846946570196),
        (0.02, 0.5, 5.0, 85.0, 0.152602796744563, -0.0739263967775268, 6.66830320008587, 20.8090122599969, 0.00762755311759136, -0.0517949154336981, 0.357636138205998),
        (0.02, 1.0, 5.0, 80.0, 0.0491020855825588, 0.24464944488955, -0.433792306949637, 3.18869561717099, 0.00188186303917249, -0.00706141689058487, 0.0336988381239005),
        (0.04, 0.0, 5.0, 85.0, 0.0212163705499885, 0.0388426354463366, 11.9194633950899, 3.09265508649945, 0.000898170827425823, 0.0141358024718257, 0.195115109472283),
        (0.04, 0.5, 5.0, 75.0, 0.0485828411376244, -0.1927475093712, 2.50301080597049, 3.69103980900851, 0.00146689792274491, -0.00993092575085797, 0.0716249375089566),
        (0.04, 1.0, 5.0, 55.0, -0.00737906865199908, 0.42894079600264, 3.88930617392991, -2.25040364442331, -0.000169096199765402, 0.010846469245351, 0.024111647500163),
        (0.06, 0.0, 5.0, 85.0, 0.0373993803199606, 0.11317681321908, 14.0047489693144, 3.11239254046774, 0.00121647798584584, 0.0144147074345366, 0.208277928948475),
        (0.06, 0.5, 5.0, 55.0, 0.160129663930487, 0.661275953586728, -1.46091352973316, 1.28122139065003, 0.00368784892581281, -0.00100083444351311, -0.000893295468324029),
        (0.06, 1.0, 5.0, 40.0, -0.0119310400666621, 0.444013052153121, 4.46755113574757, -0.511870396595711, -0.000197446471411693, 0.00822640625618967, 0.0346579651233662),
    ),
)
# fmt: on

#: EMEP/EEA 2019 (COPERT 5) energy consumption, rigid truck 14-20 t, MJ/km.
# fmt: off
RIGID_14_20T_DIESEL_EURO_VI_EC = CopertTable(
    "Heavy Duty Trucks / Rigid 14 - 20 t / Diesel / Euro VI / EC / DPF+SCR",
    (
        (-0.06, 0.0, 5.0, 75.0, -0.00320334399730541, 0.26043759978256, -1.4539960289912, 3.54969626222033, 0.00291805267802377, -0.0216300891293597, 0.0661843734533866),
        (-0.06, 0.5, 5.0, 75.0, -0.0027914127270459, 0.229403752718154, -1.34475225113166, 3.82972797843056, 0.00287905411471734, -0.0243929987450416, 0.083356731015355),
        (-0.06, 1.0, 5.0, 75.0, -0.00247549362314046, 0.209371924970506, -1.26262037489384, 4.26693198456564, 0.00291297718897075, -0.0275042455612334, 0.10359899464757),
        (-0.04, 0.0, 5.0, 85.0, -0.0039524205246898, 0.416547229417397, -2.06238085151494, 3.83183292964977, 0.00339848122511669, -0.0184663225960401, 0.0460387570647298),
        (-0.04, 0.5, 5.0, 85.0, -0.00451282503612547, 0.453105391968249, -2.16495580727475, 4.07809730921474, 0.00368355042827045, -0.0205294262897104, 0.0563499955707924),
        (-0.04, 1.0, 5.0, 85.0, -0.00547752012756629, 0.547812534969488, -2.70607164144822, 5.09418914392064, 0.00434843224371015, -0.0256691995664476, 0.0711061831176431),
        (-0.02, 0.0, 5.0, 85.0, 0.00045900710367438, -0.0589933437370983, 3.77706241552153, -0.989557113375454, -0.00012257424947894, 0.0179420637972025, 0.0725301717372306),
        (-0.02, 0.5, 5.0, 85.0, -0.000636682215733621, 0.467925777509073, -1.65524413009025, 2.89404620326052, 0.00297111437783319, -0.00920244759615849, 0.029988234192709),
        (-0.02, 1.0, 5.0, 85.0, -0.00224287454723332, 0.524200942009777, -1.93606940608215, 2.88774588730257, 0.00268096874886671, -0.00626062517333629, 0.0194187765302283),
        (0.0, 0.0, 5.0, 85.0, 0.000195922383170362, -0.00462798363427654, 5.19769016238791, -1.91261393832373, -0.000156721495033229, 0.0235631364702738, 0.0864445776552868),
        (0.0, 0.5, 5.0, 85.0, 0.0276506448689434, 0.373881140950523, 3.86796144546071, 8.32503215786732, 0.00523412767372706, -0.0195317348652975, 0.282224856038222),
        (0.0, 1.0, 5.0, 85.0, 0.0341802992530026, 0.792382750973612, -0.83805416234179, 8.12831736737498, 0.00633231460352214, -0.0238841957329547, 0.164870408026813),
        (0.02, 0.0, 5.0, 85.0, 0.000363225298974313, 0.0785076591932724, 5.76619849057411, -2.33307401086431, -0.000107787952354556, 0.0249398275025188, 0.0865121563342776),
        (0.02, 0.5, 5.0, 85.0, 0.00191109899485536, 0.103205157446902, 6.46029908670327, -2.20213132958052, 3.77236077439532e-05, 0.0214665405191491, 0.107271248020358),
        (0.02, 1.0, 5.0, 85.0, 0.0434601932942183, -0.163096671486678, 7.44042589846715, 5.30415452913522, 0.00292168378900475, -0.0154686261286849, 0.264789636259452),
        (0.04, 0.0, 5.0, 85.0, 0.00297795371079045, 0.246687989523681, 9.92028667003891, -3.67907402043568, 7.46711990010655e-06, 0.0388342535882553, 0.146196540834736),
        (0.04, 0.5, 5.0, 85.0, 0.0127661581943319, 0.557650438133295, 18.4455188107833, -4.55262255535188, 0.000408448753117316, 0.0554772647179468, 0.291171840400611),
        (0.04, 1.0, 5.0, 80.0, 0.0745355867822633, -0.196875483018543, 15.2791873264267, 4.40980579945556, 0.00307554968896599, -0.00202430410401279, 0.353529435675346),
        (0.06, 0.0, 5.0, 85.0, 0.00465972081182358, 0.433858273690215, 10.7880410322054, -3.78710495685516, 5.9722499818545e-05, 0.0418660069288165, 0.147062516723536),
        (0.06, 0.5, 5.0, 80.0, 0.0411538485368174, 0.256241889289568, 12.3127742927785, 0.381898894960805, 0.00150965838724477, 0.0198474865663082, 0.220287885292052),
        (0.06, 1.0, 5.0, 65.0, 0.421793361811069, -1.85403464801873, 29.1541536964135, 24.7510964171848, 0.0134651985968657, -0.0752872727198363, 0.780610858198208),
    ),
)
# fmt: on

#: EMEP/EEA 2019 (COPERT 5) energy consumption, rigid truck 12-14 t, MJ/km.
# fmt: off
RIGID_12_14T_DIESEL_EURO_VI_EC = CopertTable(
    "Heavy Duty Trucks / Rigid 12 - 14 t / Diesel / Euro VI / EC / DPF+SCR",
    (
        (-0.06, 0.0, 5.0, 75.0, -0.0164311929366739, 1.33972602581454, -7.49362744029208, 16.2344436904766, 0.0194506546919936, -0.141168648239111, 0.392407399007678),
        (-0.06, 0.5, 5.0, 70.0, -0.0194673586759888, 1.57726192620738, -9.11689729634744, 20.9112904664213, 0.0242378284113315, -0.190148035860498, 0.556438047012741),
        (-0.06, 1.0, 5.0, 75.0, -0.00990945795762566, 0.831379554475308, -4.64343846159796, 13.8462871255533, 0.0145452039004416, -0.128338178646912, 0.454388643472182),
        (-0.04, 0.0, 5.0, 85.0, -0.00326900118680004, 0.368089589510441, -1.89176679601823, 3.41405031350898, 0.00402940426317002, -0.0231724462038434, 0.0558956648701436),
        (-0.04, 0.5, 5.0, 85.0, -0.00390818157989656, 0.413014566518906, -1.96913367544528, 3.69490930785327, 0.00445029831189591, -0.0256513306520087, 0.0715581033126104),
        (-0.04, 1.0, 5.0, 85.0, -0.00437670836225677, 0.454403236472806, -2.19517253763569, 3.98782594447511, 0.0046720269322646, -0.0271996259347877, 0.0746769080680389),
        (-0.02, 0.0, 5.0, 85.0, 0.00100290328343569, -0.0646657893424927, 3.76239737124922, -0.601743455003912, 8.77860225981459e-05, 0.0179331699097817, 0.121711343454609),
        (-0.02, 0.5, 5.0, 85.0, 0.000970283422288209, 0.365836151876312, -1.51342136885833, 3.11954570679907, 0.00346002969206284, -0.0161490458891736, 0.0531890414763541),
        (-0.02, 1.0, 5.0, 85.0, -0.00108349879871932, 0.505855565312429, -2.0383868795973, 3.16894276940736, 0.00358395551177552, -0.0115187222843252, 0.0330649443375522),
        (0.0, 0.0, 5.0, 85.0, 0.000706595848615347, -0.0142024636823042, 3.7586280858461, -1.144555003391, -4.74656826038625e-05, 0.0189110130448881, 0.0971876147301052),
        (0.0, 0.5, 5.0, 85.0, 0.011467031880911, 0.0100743956103597, 2.54661888130705, 3.17826422006856, 0.00222863379103565, -0.012504903540262, 0.185901568525142),
        (0.0, 1.0, 5.0, 85.0, 0.036075854048752, 0.372960806272811, 0.782841920745713, 7.87316910818349, 0.00695900789750259, -0.0409392838354702, 0.273143151619461),
        (0.02, 0.0, 5.0, 85.0, 0.00177615872277356, 0.0946850754240144, 8.43514772580535, -3.25901875698488, -8.93099776232899e-05, 0.0423540245398958, 0.18406250060793),
        (0.02, 0.5, 5.0, 85.0, 0.00254399747592782, 0.103588072825356, 7.27832718351543, -2.52314974485468, 5.31153263240583e-05, 0.0289868168700059, 0.165493001393307),
        (0.02, 1.0, 5.0, 85.0, 0.00447740264837148, 0.0922575577049828, 6.88895839758779, -1.85968751501519, 0.000226157043055203, 0.0201501578829398, 0.165289100407306),
        (0.04, 0.0, 5.0, 85.0, 0.00361916390578491, 0.21555541637621, 9.41782700262191, -2.5912171721661, 3.07351688105649e-05, 0.0427722088438555, 0.205257863560545),
        (0.04, 0.5, 5.0, 80.0, 0.0125405747774816, 0.17178890785347, 9.543872432432, -1.2934767953928, 0.000608998807248481, 0.0267789441909486, 0.227142003546375),
        (0.04, 1.0, 5.0, 75.0, 0.109766562703704, -0.88656563446296, 13.696012030801, 9.09533193745564, 0.00561788502120253, -0.0446901996136829, 0.521822817835758),
        (0.06, 0.0, 5.0, 80.0, 0.0113428028128192, 0.318024329864829, 10.5296359001116, -2.34326930531319, 0.000469668250805371, 0.040993772416019, 0.222701830742663),
        (0.06, 0.5, 5.0, 70.0, 0.141778647946818, -1.04967982579676, 15.4385842986558, 11.0815525372232, 0.00673780923795318, -0.0486808373831685, 0.568917633107753),
        (0.06, 1.0, 5.0, 60.0, 0.699536745873203, -1.56311685649222, 12.5911094654973, 22.0703544711295, 0.0284058956366703, -0.135770529645216, 0.680287994664579),
    ),
)
# fmt: on

#: EMEP/EEA 2019 (COPERT 5) energy consumption, N1-III van (speed only), MJ/km.
# fmt: off
LCV_N1_III_DIESEL_EURO_6_EC = CopertTable(
    "Light Commercial Vehicles / N1-III / Diesel / Euro 6 / EC / DPF+SCR",
    (
        (0.0, 0.5, 5.0, 130.0, 1.22624979780772e-05, 0.0606753136578384, 4.1907611480648, 2.91223338162501, -0.00030762529497547, 0.0612139999069893, 0.365924626015009),
    ),
)
# fmt: on
