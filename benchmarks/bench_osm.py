"""
Loading OSM extracts: ecoroute.load_osm against osmnx.graph_from_xml, and saved networks.

Each measurement runs in a fresh Python process (so peak memory is that of one
load), ``--repeats`` times; the median is reported. osmnx reads XML only and
keeps every way, so it gets a drivable-only .osm written from the same file
with the same filter (what it would get from Overpass); ecoroute reads the
original .pbf, whole country and all its clutter included.

    python benchmarks/bench_osm.py                     # Malta and Rhein-Neckar
    python benchmarks/bench_osm.py --extracts malta --repeats 5

Writes benchmarks/results/osm.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, print_table, write_results

_MEASURE = r"""
import json, sys, time, warnings
def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) / 1024
kind, path = sys.argv[1], sys.argv[2]
if kind == "osmnx":
    import osmnx as ox
else:
    import ecoroute
    import ecoroute.osm, scipy.sparse.csgraph  # imports are not part of the load
base = rss("VmRSS:")
start = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    if kind == "osmnx":
        graph = ox.graph_from_xml(path, simplify=True)
        nodes, arcs = graph.number_of_nodes(), graph.number_of_edges()
    elif kind == "ecoroute":  # the node graph, as osmnx builds it (no turn restrictions)
        net = ecoroute.load_osm(path, turn_restrictions=False)
        nodes, arcs = net.node_count, net.arc_count
    elif kind == "ecoroute-dem":
        osm, dem = path.split("::")
        net = ecoroute.load_osm(osm, dem=dem, turn_restrictions=False)
        nodes, arcs = net.node_count, net.arc_count
    elif kind == "load":
        net = ecoroute.RoadNetwork.load(path)
        nodes, arcs = net.node_count, net.arc_count
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": rss("VmHWM:"), "base_mb": base, "nodes": nodes, "arcs": arcs}))
"""


def measure(kind: str, path: str, repeats: int) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _MEASURE, kind, path], capture_output=True, text=True, check=True
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "delta_mb": statistics.median(r["peak_mb"] - r["base_mb"] for r in runs),
        "nodes": runs[0]["nodes"],
        "arcs": runs[0]["arcs"],
    }


def drivable_xml(src: Path, dst: Path) -> None:
    """The ways ecoroute keeps, and every node, as .osm XML (what osmnx can read)."""
    import osmium

    from ecoroute import osm

    with osmium.SimpleWriter(str(dst)) as writer:
        for obj in osmium.FileProcessor(str(src)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                tags = dict(obj.tags)
                if "highway" in tags and osm.drivable(tags):
                    if osm.oneway(tags) == 1 and tags.get("oneway") not in osm.ONEWAY_VALUES:
                        tags["oneway"] = "yes"
                    writer.add_way(obj.replace(tags=tags))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--extracts", default="malta,rhein-neckar")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-osmnx", action="store_true", help="skip osmnx (slow)")
    args = parser.parse_args(argv)

    rows, results = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.extracts.split(","):
            pbf = SHARED_DATA / "osm" / f"{name}.osm.pbf"
            ours = measure("ecoroute", str(pbf), args.repeats)
            row = {
                "extract": name,
                "nodes / arcs": f"{ours['nodes']:,} / {ours['arcs']:,}",
                "ecoroute s": f"{ours['seconds']:.2f}",
                "ecoroute peak MB (+load)": f"{ours['peak_mb']:.0f} (+{ours['delta_mb']:.0f})",
            }
            result = {"extract": name, "ecoroute": ours}
            if not args.no_osmnx:
                xml = Path(tmp) / f"{name}.osm"
                drivable_xml(pbf, xml)
                theirs = measure("osmnx", str(xml), args.repeats)
                row |= {
                    "osmnx s": f"{theirs['seconds']:.2f}",
                    "osmnx peak MB (+load)": f"{theirs['peak_mb']:.0f} (+{theirs['delta_mb']:.0f})",
                    "speed-up": f"{theirs['seconds'] / ours['seconds']:.1f}x",
                    "memory (+load)": f"{ours['delta_mb'] / theirs['delta_mb']:.2f}",
                }
                result["osmnx"] = theirs
            rows.append(row)
            results.append(result)

        dimacs = SHARED_DATA / "dimacs"
        import ecoroute

        ny = ecoroute.read_dimacs(
            dimacs / "USA-road-d.NY.gr.gz",
            dimacs / "USA-road-t.NY.gr.gz",
            dimacs / "USA-road-d.NY.co.gz",
        )
        saved = Path(tmp) / "ny.ecoroute"
        ny.save(saved)
        load = measure("load", str(saved), args.repeats)
        results.append(
            {"extract": "dimacs-ny saved network", "load": load, "bytes": saved.stat().st_size}
        )

    print(f"\nOSM file to routable simplified network, median of {args.repeats} fresh processes:\n")
    columns = ["extract", "nodes / arcs", "ecoroute s", "ecoroute peak MB (+load)"]
    if not args.no_osmnx:
        columns += ["osmnx s", "osmnx peak MB (+load)", "speed-up", "memory (+load)"]
    print_table(rows, columns)
    print(
        f"\nDIMACS New York saved network ({results[-1]['bytes'] / 1e6:.0f} MB): "
        f"RoadNetwork.load in {load['seconds'] * 1000:.0f} ms (checksums verified)"
    )
    path = write_results("osm", {"results": results})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
