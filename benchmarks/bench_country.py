"""
Country-sized maps (issue 26): loading synthetic countries of N x N Rhein-Neckar tiles.

The countries come from ``../shared/tools/make_country.py`` (same tags, real
geometry, tiles joined by roads). Each measurement runs in a fresh Python
process, ``--repeats`` times (medians): ``load_osm`` with its defaults (the
core's PBF reader), ``load_osm`` with the pyosmium reader it replaced (the
"before"), a bare pyosmium pass (every way with its node locations, nothing
kept), and ``osmium fileinfo -e`` (osmium-tool's full read in C++) when it is
installed. Peak memory is the process's VmHWM. The growth exponent is the
slope of log(time) (or log(peak)) against log(file size) between the two
largest countries: 1.0 is linear.

    python benchmarks/bench_country.py                  # N = 1, 2, 4
    python benchmarks/bench_country.py --sizes 1,2,4,8 --repeats 3 --workdir /tmp/countries

Writes benchmarks/results/country.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SHARED_DATA, print_table, write_results

MAKE_COUNTRY = ROOT.parent / "shared" / "tools" / "make_country.py"

_MEASURE = r"""
import functools, json, sys, time, warnings
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
kind, path = sys.argv[1], sys.argv[2]
import osmium
import ecoroute
import ecoroute.osm, scipy.sparse.csgraph  # imports are not part of the load
if kind == "load-pyosmium":
    ecoroute.osm._read_ways = functools.partial(ecoroute.osm._read_ways, reader="osmium")
base = rss("VmRSS:")
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    if kind.startswith("load"):
        net = ecoroute.load_osm(path, progress=False)
        out = {"nodes": net.node_count, "arcs": net.arc_count}
    elif kind == "pyosmium":  # the bare pass: every way with its node locations, counted
        refs = 0
        ways = osmium.filter.EntityFilter(osmium.osm.WAY)
        for way in osmium.FileProcessor(path).with_locations().with_filter(ways):
            refs += len(way.nodes)
        out = {"refs": refs}
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": rss("VmHWM:"), "base_mb": base, **out}))
"""


def measure(kind: str, path: Path, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, kind, str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode:
            raise RuntimeError(out.stderr)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    result = {key: statistics.median(r[key] for r in runs) for key in ("seconds", "peak_mb")}
    result["delta_mb"] = statistics.median(r["peak_mb"] - r["base_mb"] for r in runs)
    result["runs_s"] = [r["seconds"] for r in runs]
    result.update({k: v for k, v in runs[0].items() if k in ("nodes", "arcs", "refs")})
    return result


def osmium_tool(path: Path, repeats: int) -> float | None:
    """Median seconds of ``osmium fileinfo -e``, or None when osmium-tool is not installed."""
    tool = shutil.which("osmium")
    if tool is None:
        return None
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([tool, "fileinfo", "-e", str(path)], capture_output=True, check=True)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def country(n: int, workdir: Path) -> Path:
    path = workdir / f"country{n}.osm.pbf"
    if not path.exists():
        source = SHARED_DATA / "osm" / "rhein-neckar.osm.pbf"
        subprocess.run(
            [sys.executable, str(MAKE_COUNTRY), str(n), str(path), "--input", str(source)],
            check=True,
        )
    return path


def exponent(sizes: list[float], values: list[float]) -> float:
    """The slope of log(value) against log(size) between the last two points."""
    return math.log(values[-1] / values[-2]) / math.log(sizes[-1] / sizes[-2])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,2,4", help="tiles per side, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workdir", type=Path, help="where the countries are kept (reused)")
    parser.add_argument("--no-before", action="store_true", help="skip the pyosmium loader")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        rows, results = [], []
        for n in (int(x) for x in args.sizes.split(",")):
            path = country(n, workdir)
            mb = path.stat().st_size / 1e6
            ours = measure("load", path, args.repeats)
            bare = measure("pyosmium", path, args.repeats)
            tool = osmium_tool(path, args.repeats)
            before = None if args.no_before else measure("load-pyosmium", path, args.repeats)
            result = {
                "tiles": f"{n}x{n}",
                "pbf_mb": mb,
                "load": ours,
                "load_pyosmium": before,
                "bare_pyosmium": bare,
                "osmium_fileinfo_s": tool,
            }
            results.append(result)
            rows.append(
                {
                    "tiles": f"{n}x{n}",
                    "PBF MB": f"{mb:.1f}",
                    "nodes / arcs": f"{ours['nodes']:,} / {ours['arcs']:,}",
                    "load_osm s": f"{ours['seconds']:.2f}",
                    "peak MB": f"{ours['peak_mb']:.0f}",
                    "before s": "" if before is None else f"{before['seconds']:.2f}",
                    "before peak MB": "" if before is None else f"{before['peak_mb']:.0f}",
                    "bare pyosmium s": f"{bare['seconds']:.2f}",
                    "osmium fileinfo -e s": "n/a" if tool is None else f"{tool:.2f}",
                }
            )
    sizes = [r["pbf_mb"] for r in results]
    growth = {}
    if len(results) >= 2:
        growth = {
            "load_time": exponent(sizes, [r["load"]["seconds"] for r in results]),
            "load_peak": exponent(sizes, [r["load"]["delta_mb"] for r in results]),
        }
    print_table(rows, list(rows[0]))
    if growth:
        print(
            f"\ngrowth exponents between the two largest: time {growth['load_time']:.2f}, "
            f"peak memory (above the imports) {growth['load_peak']:.2f}"
        )
    write_results("country", {"results": results, "growth": growth})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
