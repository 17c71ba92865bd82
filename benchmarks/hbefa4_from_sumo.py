"""
Recover HBEFA 4.2 class coefficients from SUMO's ``emissionsDrivingCycle`` (how hbefa4.py got its numbers).

SUMO evaluates each HBEFA 4.2 class as ``E = c0 + c1 v + c2 a + c3 v² + c4 v³ +
c5 a v + c6 a v²`` (mg/s of CO2, or Wh/s of electricity) with the grade entering
as an acceleration. This script drives each class at constant speeds on
constant grades, reads SUMO's per-km sums, turns them back into a rate per
second and fits the seven coefficients by least squares; it prints them with
the largest residual, and the per-km values the tests pin
(``tests/test_emissions_validation.py``).

    pip install eclipse-sumo
    python benchmarks/hbefa4_from_sumo.py RT_gt14-20t_Euro-VI_A-C TT_AT_BEV:el

``:el`` marks a battery-electric class (electricity instead of CO2). SUMO spells
the N1-III battery van ``LCV_BEV_N1-IIII``.
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np


def sumo_home() -> Path:
    try:
        import sumo  # the eclipse-sumo wheel
    except ImportError as error:
        msg = "needs SUMO: pip install eclipse-sumo"
        raise SystemExit(msg) from error
    return Path(sumo.__file__).parent


def per_km(home: Path, work: Path, cls: str, kmh: float, grade: float) -> tuple[float, float]:
    """SUMO's CO2 (g/km) and electricity (kWh/km) for 30 s at ``kmh`` on ``grade``."""
    cycle = work / f"cycle_{kmh:g}.csv"
    if not cycle.exists():
        cycle.write_text("".join(f"{t};{kmh}\n" for t in range(31)))
    degrees = math.degrees(math.atan(grade))
    subprocess.run(
        [
            str(home / "bin" / "emissionsDrivingCycle"),
            "-t", str(cycle), "--kmh", "-a", "-e", f"HBEFA4/{cls}",
            f"--slope={degrees:.6f}", "-o", str(work / "out.csv"),
            "--sum-output", str(work / "sum.csv"),
        ],
        check=True, capture_output=True, env={**os.environ, "SUMO_HOME": str(home)},
    )  # fmt: skip
    header, row = (work / "sum.csv").read_text().splitlines()[:2]
    values = dict(zip(header.split(","), row.split(","), strict=True))
    return float(values["CO2"]), float(values["FCel"])


def fit(home: Path, work: Path, cls: str, electric: bool) -> None:
    speeds = np.arange(10.0, 131.0, 10.0)
    grades = np.arange(-0.06, 0.101, 0.02) if electric else np.arange(0.0, 0.121, 0.02)
    rows, rates, table = [], [], {}
    for kmh in speeds:
        for grade in grades:
            co2, kwh = per_km(home, work, cls, kmh, grade)
            value = kwh if electric else co2
            table[(kmh, round(grade, 2))] = value
            v = kmh / 3.6
            a = 9.81 * grade / math.sqrt(1.0 + grade * grade)
            rows.append([1.0, v, a, v * v, v**3, a * v, a * v * v])
            rates.append(value * v)  # per km x m/s = per s (mg/s or Wh/s)
    x, y = np.array(rows), np.array(rates)
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    residual = float(np.abs(x @ coef - y).max())
    unit = "Wh/s" if electric else "mg/s"
    print(
        f"{cls}: c0..c6 = {', '.join(f'{c:.5g}' for c in coef)}  (max residual {residual:.3g} {unit})"
    )
    for grade in (0.0, 0.04):
        print(
            f"  {grade:+.0%}: " + ", ".join(f"{table[(k, grade)]:.4g}" for k in (30.0, 50.0, 80.0))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("classes", nargs="+", help="HBEFA4 class names, ':el' for electric")
    args = parser.parse_args(argv)
    home = sumo_home()
    with tempfile.TemporaryDirectory() as tmp:
        for spec in args.classes:
            name, _, kind = spec.partition(":")
            fit(home, Path(tmp), name, kind == "el")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
