"""
Eco-routing against fastest routes: how much CO2 the least-CO2 route saves, and what it costs in time.

For each network and each catalogue vehicle, the same random origin-destination
pairs are routed twice: by CO2 (``Router(net, vehicle, "co2")``) and by travel
time (``Router(net, vehicle, "time")``). Per trip, the CO2 saving is
``1 - CO2(eco) / CO2(fastest)`` and the extra time is ``time(eco) -
time(fastest)``; the table gives their mean, median and 90th percentile, the
fleet-wide saving (summed over trips) and the share of trips where the fastest
route is not already the greenest (saving > 0.1 %). EV trips whose fastest route
gains energy on balance (CO2 <= 0, downhill trips) have no percentage and are
left out of the per-trip statistics (counted in ``no_pct``).

Sanity targets (docs/emissions.md sources): cars save about 4 % overall (Ericsson et
al. 2006, Lund), at most a few minutes extra per trip; heavy trucks in hills
save more. A mean car saving above 20 % means a bug, not a result.

Networks: ``monaco`` and ``andorra`` with SRTM elevations, ``malta`` and
``rhein-neckar`` (no elevation data here, so flat), all through
``ecoroute.load_osm`` (largest strongly connected part, so every pair is
routable); ``ny`` (DIMACS New York, flat) and ``aguascalientes`` (flat).

    python benchmarks/bench_ecorouting.py                       # monaco, andorra, malta
    python benchmarks/bench_ecorouting.py --graphs ny --pairs 300

Writes benchmarks/results/ecorouting.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, print_table, write_results

import ecoroute

#: OSM extract and SRTM tile (None: no elevation data) of each OSM network.
OSM_NETWORKS = {
    "monaco": ("osm/monaco.osm.pbf", "dem/N43E007.hgt.zip"),
    "andorra": ("osm/andorra.osm.pbf", "dem/N42E001.hgt.zip"),
    "malta": ("osm/malta.osm.pbf", None),
    "rhein-neckar": ("osm/rhein-neckar.osm.pbf", None),
}


def load_network(name: str) -> tuple[ecoroute.RoadNetwork, str]:
    """Return a benchmark network and a note on its elevation data."""
    if name in OSM_NETWORKS:
        import warnings

        osm, dem = OSM_NETWORKS[name]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Andorra: one node on an SRTM void
            network = ecoroute.load_osm(
                SHARED_DATA / osm,
                largest_component="strong",
                dem=None if dem is None else [SHARED_DATA / dem],
            )
        return network, "flat (no DEM)" if dem is None else f"SRTM {Path(dem).name}"
    if name == "ny":
        d = SHARED_DATA / "dimacs"
        network = ecoroute.read_dimacs(
            d / "USA-road-d.NY.gr.gz", d / "USA-road-t.NY.gr.gz", d / "USA-road-d.NY.co.gz"
        )
        return network, "flat (DIMACS)"
    if name == "aguascalientes":
        import warnings

        import osmnx as ox

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            path = SHARED_DATA / "osm" / "aguascalientes.osm.bz2"
            graph = ox.graph_from_xml(path, simplify=False, retain_all=True)
            # graph_from_xml keeps every way (buildings too): keep the drivable ones.
            graph.remove_edges_from(
                [
                    (u, v, k)
                    for u, v, k, d in graph.edges(keys=True, data=True)
                    if not _drivable(d.get("highway"))
                ]
            )
            graph = ox.simplify_graph(ox.truncate.largest_component(graph, strongly=True))
            graph = ox.add_edge_travel_times(ox.add_edge_speeds(graph, fallback=30.0))
        return ecoroute.RoadNetwork.from_osmnx(graph), "flat (osmnx XML)"
    msg = f"unknown network {name!r}; choose from {', '.join([*OSM_NETWORKS, 'ny', 'aguascalientes'])}"
    raise SystemExit(msg)


DRIVABLE = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road",
}  # fmt: skip


def _drivable(highway: Any) -> bool:
    values = set(highway) if isinstance(highway, list) else {highway}
    return bool(values & DRIVABLE)


def trip_statistics(eco: Any, fast: Any) -> dict[str, Any]:
    """Savings and time penalties of eco routes over fastest routes, per trip and overall."""
    ok = eco["reachable"].to_numpy() & fast["reachable"].to_numpy()
    e_co2, f_co2 = eco["co2_g"].to_numpy()[ok], fast["co2_g"].to_numpy()[ok]
    e_time, f_time = eco["time_s"].to_numpy()[ok], fast["time_s"].to_numpy()[ok]
    # By construction the eco route never emits more (up to float rounding).
    assert (e_co2 <= f_co2 + 1e-6 * np.abs(f_co2) + 1e-9).all(), "eco route emits more than fastest"
    positive = f_co2 > 0
    saving = 100 * (1 - e_co2[positive] / f_co2[positive])
    extra_s = e_time - f_time
    extra_pct = 100 * extra_s[positive] / np.maximum(f_time[positive], 1e-9)

    def q(values: np.ndarray, p: float) -> float:
        return float(np.percentile(values, p)) if values.size else float("nan")

    return {
        "trips": int(ok.sum()),
        "no_pct": int((~positive).sum()),
        "saving_pct_mean": float(saving.mean()) if saving.size else float("nan"),
        "saving_pct_median": q(saving, 50),
        "saving_pct_p90": q(saving, 90),
        "saving_pct_overall": float(100 * (1 - e_co2.sum() / f_co2.sum())),
        "trips_with_saving_pct": float(100 * (saving > 0.1).mean())
        if saving.size
        else float("nan"),
        "extra_time_s_mean": float(extra_s.mean()),
        "extra_time_s_median": q(extra_s, 50),
        "extra_time_s_p90": q(extra_s, 90),
        "extra_time_pct_mean": float(extra_pct.mean()) if extra_pct.size else float("nan"),
    }


def bench_network(name: str, pairs: int, seed: int) -> list[dict[str, Any]]:
    start = time.perf_counter()
    network, terrain = load_network(name)
    print(
        f"\n## {name}: {network.node_count:,} nodes, {network.arc_count:,} arcs, {terrain} "
        f"(loaded in {time.perf_counter() - start:.1f} s)"
    )
    rng = np.random.default_rng(seed)
    s = rng.integers(0, network.node_count, pairs)
    t = rng.integers(0, network.node_count, pairs)
    keep = s != t
    s_id, t_id = network.node_id[s[keep]], network.node_id[t[keep]]
    out = []
    for vehicle_name in ecoroute.vehicles():
        vehicle = ecoroute.vehicle(vehicle_name)
        started = time.perf_counter()
        try:
            eco = ecoroute.Router(network, vehicle, "co2").route_many(s_id, t_id)
            fast = ecoroute.Router(network, vehicle, "time").route_many(s_id, t_id)
        except ValueError as error:  # e.g. an EV on grades without elevations
            print(f"  {vehicle_name}: skipped ({error})")
            continue
        stats = trip_statistics(eco, fast)
        stats |= {
            "network": name,
            "terrain": terrain,
            "vehicle": vehicle_name,
            "model": getattr(vehicle, "model", ""),
            "seconds": time.perf_counter() - started,
        }
        if vehicle_name.startswith("car") and stats["saving_pct_mean"] > 20:
            print(
                f"  WARNING {vehicle_name}: mean saving {stats['saving_pct_mean']:.1f} % > 20 %: a bug?"
            )
        out.append(stats)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--graphs", default="monaco,andorra,malta", help="comma-separated networks")
    parser.add_argument("--pairs", type=int, default=1000, help="random OD pairs per network")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    for name in args.graphs.split(","):
        rows.extend(bench_network(name.strip(), args.pairs, args.seed))

    def fmt(row: dict[str, Any], key: str, digits: int = 1) -> str:
        return f"{row[key]:.{digits}f}"

    table = [
        {
            "network": r["network"],
            "vehicle": r["vehicle"],
            "trips": r["trips"],
            "CO2 saving % mean / median / p90": (
                f"{fmt(r, 'saving_pct_mean')} / {fmt(r, 'saving_pct_median')} / {fmt(r, 'saving_pct_p90')}"
            ),
            "overall %": fmt(r, "saving_pct_overall"),
            "trips saving": f"{fmt(r, 'trips_with_saving_pct', 0)} %",
            "extra time s mean / median / p90": (
                f"{fmt(r, 'extra_time_s_mean', 0)} / {fmt(r, 'extra_time_s_median', 0)} / "
                f"{fmt(r, 'extra_time_s_p90', 0)}"
            ),
            "extra time % mean": fmt(r, "extra_time_pct_mean"),
        }
        for r in rows
    ]
    print(f"\nEco-route (least CO2) vs fastest route, {args.pairs} random pairs per network:\n")
    print_table(
        table,
        [
            "network",
            "vehicle",
            "trips",
            "CO2 saving % mean / median / p90",
            "overall %",
            "trips saving",
            "extra time s mean / median / p90",
            "extra time % mean",
        ],
    )
    path = write_results("ecorouting", {"pairs": args.pairs, "seed": args.seed, "rows": rows})
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
