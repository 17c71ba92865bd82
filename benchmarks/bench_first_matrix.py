"""
The default path (issue 25): a new user's first matrix on a network as ``load_osm`` returns it.

    python benchmarks/bench_first_matrix.py [--extract osm/malta.osm.pbf] [--size 100] [--repeats 5]

Each run is a fresh process (nothing prepared or cached): ``load_osm(path)``, then
``Router(net, "van_diesel")`` and two ``size x size`` matrices between random nodes, once
with ``algorithm="auto"`` (which prepares the index on the first big request) and once with
``algorithm="bidirectional_astar"`` (one search per pair, the old default). Medians of
``--repeats`` runs; the costs of both are checked equal. Writes
benchmarks/results/first_matrix.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, print_table, write_results

CHILD = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, ecoroute
path, size, algorithm = sys.argv[1], int(sys.argv[2]), sys.argv[3]
net = ecoroute.load_osm(path)
ids = net.node_id[np.random.default_rng(0).integers(0, net.node_count, 2 * size)]
router = ecoroute.Router(net, "van_diesel", algorithm=algorithm)
t = time.perf_counter(); first = router.matrix(ids[:size], ids[size:]); a = time.perf_counter() - t
t = time.perf_counter(); router.matrix(ids[:size], ids[size:]); b = time.perf_counter() - t
cost = np.where(np.isfinite(first.cost), first.cost, -1.0).round(6).tolist()
print(json.dumps({"first_s": a, "second_s": b, "algorithm": router.algorithm, "cost": cost}))
"""


def run_once(path: Path, size: int, algorithm: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(size), algorithm],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extract", default="osm/malta.osm.pbf")
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = SHARED_DATA / args.extract
    runs: dict[str, list[dict]] = {"auto": [], "bidirectional_astar": []}
    for _ in range(args.repeats):  # alternated, so that load on the machine hits both alike
        for algorithm, found in runs.items():
            found.append(run_once(path, args.size, algorithm))
    same = runs["auto"][0]["cost"] == runs["bidirectional_astar"][0]["cost"]
    columns = ["Router(algorithm=...)", "first matrix", "second matrix", "ran as"]
    rows = [
        {
            columns[0]: algorithm,
            columns[1]: f"{statistics.median(r['first_s'] for r in found):.2f} s",
            columns[2]: f"{statistics.median(r['second_s'] for r in found) * 1000:.1f} ms",
            columns[3]: found[0]["algorithm"],
        }
        for algorithm, found in runs.items()
    ]
    print(
        f"{args.extract}, {args.size} x {args.size} van_diesel matrix, medians of "
        f"{args.repeats} fresh processes; costs equal: {same}"
    )
    print_table(rows, columns)
    write_results(
        "first_matrix",
        {"extract": args.extract, "size": args.size, "same_costs": same,
         "runs": {k: [{x: r[x] for x in ("first_s", "second_s", "algorithm")} for r in v]
                  for k, v in runs.items()}},
    )  # fmt: skip


if __name__ == "__main__":
    main()
