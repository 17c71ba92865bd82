"""
Emission weights: how fast, and how they compare with NREL RouteE Powertrain.

1. Timing. Every catalogue vehicle's per-arc quantities on DIMACS New York
   (733,846 arcs), as ``Vehicle.arc_quantities`` and as a whole
   ``Router(net, vehicle, "co2")`` (weights + C++ metric), medians of
   ``--repeats`` runs. New York is flat, so a second pass gives every arc a
   random grade and every node a height (the graded path of every model,
   COPERT's slope interpolation included). Target (issue 10): <= 30 ms per
   vehicle on New York, so that building a Router costs no more than a
   RoutingKit customization of the same graph (about 100 ms here).
2. RouteE. Per-link energy on the downtown Denver network that ships with
   RouteE Compass (1,342 links with distance, speed and grade), ecoroute's
   ``car_petrol`` against RouteE's bundled 2016 Toyota Camry and ``car_bev``
   against its 2017 Chevrolet Bolt (``pip install routee-powertrain``; run
   offline with ``ROUTEE_REGISTRY_BACKEND=local``), on the per-link energy
   ecoroute's arc weights use (``traffic=True``). Reported: network totals,
   the per-link ratio on flat links, the correlation, and the ratio of the
   energy's slope per % of grade on uphill and on downhill links.
   RouteE predicts link averages learned from real drive cycles and includes
   its real-world adjustment factor (1.166 Camry, 1.3958 Bolt); both are shown
   with and without it.

    python benchmarks/bench_emissions.py                  # both parts
    python benchmarks/bench_emissions.py --skip-routee --repeats 7

Writes benchmarks/results/emissions.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, median_time, print_table, write_results

import ecoroute

#: US gallon of gasoline equivalent: 33.705 kWh (US EPA), in MJ.
MJ_PER_GGE = 33.705 * 3.6
MILES_PER_KM = 1 / 1.609344

#: Issue 10's budget for one vehicle's per-arc evaluation on New York.
TARGET_S = 0.030


def new_york() -> ecoroute.RoadNetwork:
    d = SHARED_DATA / "dimacs"
    return ecoroute.read_dimacs(
        d / "USA-road-d.NY.gr.gz", d / "USA-road-t.NY.gr.gz", d / "USA-road-d.NY.co.gz"
    )


def with_terrain(network: ecoroute.RoadNetwork, seed: int = 0) -> ecoroute.RoadNetwork:
    """The same network on synthetic terrain: node heights, and grades that follow them."""
    rng = np.random.default_rng(seed)
    height = 50.0 * np.sin(network.lon * 40.0) * np.cos(network.lat * 40.0) + rng.normal(
        0.0, 3.0, network.node_count
    )
    rise = height[network.head] - height[network.tail]
    length = np.asarray(network.length_m)
    grade = np.divide(rise, length, out=np.zeros_like(rise), where=length > 1.0)
    return ecoroute.RoadNetwork.from_arrays(
        network.tail, network.head, network.length_m, network.speed_kph, network.lat,
        network.lon, node_id=network.node_id, grade=np.clip(grade, -0.3, 0.3),
        elevation_m=height,
    )  # fmt: skip


def median_cpu_time(fn: Any, repeats: int) -> float:
    """Median CPU time (s) of this process over ``repeats`` calls of ``fn``."""
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return float(np.median(times))


def bench_weights(repeats: int) -> dict[str, Any]:
    start = time.perf_counter()
    flat = new_york()
    print(
        f"\n## Weights: New York, {flat.arc_count:,} arcs (loaded in {time.perf_counter() - start:.1f} s)"
    )
    graded = with_terrain(flat)
    fleet = [ecoroute.vehicle(name) for name in ecoroute.vehicles()]
    results: dict[str, Any] = {"arcs": flat.arc_count, "repeats": repeats}
    rows = []
    for label, network in (("flat", flat), ("graded", graded)):
        per_vehicle, per_vehicle_cpu = {}, {}
        for v in fleet:
            v.arc_quantities(network)  # warm-up
            per_vehicle[v.name] = median_time(lambda v=v, n=network: v.arc_quantities(n), repeats)[
                0
            ]
            per_vehicle_cpu[v.name] = median_cpu_time(
                lambda v=v, n=network: v.arc_quantities(n), repeats
            )
        fleet_s = median_time(lambda n=network: [v.arc_quantities(n) for v in fleet], repeats)[0]
        routers_s = median_time(
            lambda n=network: [ecoroute.Router(n, v, "co2") for v in fleet], repeats
        )[0]
        results[label] = {
            "arc_quantities_s": per_vehicle,
            "arc_quantities_cpu_s": per_vehicle_cpu,
            "fleet_arc_quantities_s": fleet_s,
            "fleet_routers_s": routers_s,
        }
        for name, seconds in per_vehicle.items():
            cpu = per_vehicle_cpu[name]
            rows.append(
                {
                    "network": label,
                    "vehicle": name,
                    "ms": f"{seconds * 1e3:.1f}",
                    "cpu ms": f"{cpu * 1e3:.1f}",
                    "<= 30 ms": "ok" if min(seconds, cpu) <= TARGET_S else "ABOVE",
                }
            )
        n = len(fleet)
        rows.append(
            {"network": label, "vehicle": f"all {n}: arc_quantities", "ms": f"{fleet_s * 1e3:.0f}"}
        )
        rows.append(
            {
                "network": label,
                "vehicle": f"all {n}: Router(..., 'co2')",
                "ms": f"{routers_s * 1e3:.0f}",
            }
        )
    print(
        f"\nPer-arc quantities on {flat.arc_count:,} arcs, median of {repeats} runs "
        "(wall clock, and CPU time of this process, which a busy shared machine inflates less):\n"
    )
    print_table(rows, ["network", "vehicle", "ms", "cpu ms", "<= 30 ms"])
    return results


def read_denver() -> dict[str, np.ndarray]:
    import csv

    path = SHARED_DATA / "routee-denver" / "edges-complete.csv.gz"
    with gzip.open(path, "rt", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        "distance_m": np.array([float(r["distance"]) for r in rows]),
        "speed_kph": np.array([float(r["speed_kph"]) for r in rows]),
        "grade": np.array([float(r["grade"]) for r in rows]),
    }


def compare(
    ours: np.ndarray, theirs: np.ndarray, grade: np.ndarray, km: np.ndarray
) -> dict[str, Any]:
    """Agreement statistics between two per-link energy arrays (same unit)."""
    moving = np.abs(theirs) > 1e-9
    flat = np.abs(grade) < 0.01
    ratio = ours[moving & flat] / theirs[moving & flat]

    def slope(values: np.ndarray, side: np.ndarray) -> float:
        """Energy per km per +1 % of grade, least squares over one side of the flat."""
        return float(np.polyfit(grade[side] * 100, values[side] / km[side], 1)[0])

    up, down = grade >= 0, grade <= 0

    return {
        "total_ratio": float(ours.sum() / theirs.sum()),
        "flat_link_ratio_median": float(np.median(ratio)),
        "flat_link_ratio_p10_p90": [
            float(np.percentile(ratio, 10)),
            float(np.percentile(ratio, 90)),
        ],
        "correlation": float(np.corrcoef(ours, theirs)[0, 1]),
        "uphill_slope_ratio": slope(ours, up) / slope(theirs, up),
        "downhill_slope_ratio": slope(ours, down) / slope(theirs, down),
    }


def bench_routee() -> dict[str, Any]:
    os.environ.setdefault("ROUTEE_REGISTRY_BACKEND", "local")
    try:
        import pandas as pd
        import routee.powertrain as pt
    except ImportError as error:
        msg = "The RouteE comparison needs routee-powertrain: pip install 'ecoroute[bench]'."
        raise SystemExit(msg) from error

    links = read_denver()
    km = links["distance_m"] / 1000
    frame = pd.DataFrame(
        {
            "speed_mph": links["speed_kph"] * MILES_PER_KM,
            "grade_percent": links["grade"] * 100,
            "distance": km * MILES_PER_KM,
        }
    )
    print(f"\n## RouteE Powertrain on Denver: {len(km):,} links, {km.sum():.1f} km")
    camry = pt.load_model("toyota/camry_ice/2016/rf_c3326385/v1")
    bolt = pt.load_model("chevrolet/bolt_bev/2017/rf_c3326385/v1")
    camry_mj = camry.predict(frame)["gge"].to_numpy(dtype=float) * MJ_PER_GGE
    bolt_kwh = bolt.predict(frame)["kwh"].to_numpy(dtype=float)
    camry_rwaf = camry.metadata.contract.real_world_adjustment_factor
    bolt_rwaf = bolt.metadata.contract.real_world_adjustment_factor

    speed, grade = links["speed_kph"], links["grade"]
    results: dict[str, Any] = {"links": len(km), "km": float(km.sum())}
    rows = []

    def arcs(name: str, **overrides: Any) -> np.ndarray:
        """ecoroute's per-link energy: what its arc weights use (rate in traffic x length)."""
        v = ecoroute.vehicle(name, **overrides)
        if isinstance(v, ecoroute.ElectricVehicle):
            return v.energy_kwh_per_km(speed, grade, traffic=True) * km
        return v.fuel_energy_mj_per_km(speed, grade, traffic=True) * km

    pairs = [
        ("car_petrol (physics) vs Camry", arcs("car_petrol"), camry_mj, camry_rwaf),
        ("car_petrol (hbefa4) vs Camry", arcs("car_petrol", model="hbefa4"), camry_mj, camry_rwaf),
        ("car_bev (physics) vs Bolt", arcs("car_bev"), bolt_kwh, bolt_rwaf),
        ("car_bev (hbefa4) vs Bolt", arcs("car_bev", model="hbefa4"), bolt_kwh, bolt_rwaf),
    ]
    for label, ours, theirs, rwaf in pairs:
        for adjusted in (True, False):
            stats = compare(ours, theirs if adjusted else theirs / rwaf, grade, km)
            key = f"{label}{'' if adjusted else ' (RouteE without RWAF)'}"
            results[key] = stats
            p10, p90 = stats["flat_link_ratio_p10_p90"]
            rows.append(
                {
                    "comparison": key,
                    "total ours/RouteE": f"{stats['total_ratio']:.2f}",
                    "flat links median (p10-p90)": f"{stats['flat_link_ratio_median']:.2f} ({p10:.2f}-{p90:.2f})",
                    "correlation": f"{stats['correlation']:.2f}",
                    "grade slope up / down": (
                        f"{stats['uphill_slope_ratio']:.2f} / {stats['downhill_slope_ratio']:.2f}"
                    ),
                }
            )
    print(
        "\nPer-link energy, ecoroute / RouteE (fuel MJ for the Camry, battery kWh for the Bolt):\n"
    )
    print_table(
        rows,
        [
            "comparison",
            "total ours/RouteE",
            "flat links median (p10-p90)",
            "correlation",
            "grade slope up / down",
        ],
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5, help="runs per timing (median kept)")
    parser.add_argument("--skip-timing", action="store_true", help="skip the New York timing")
    parser.add_argument("--skip-routee", action="store_true", help="skip the RouteE comparison")
    args = parser.parse_args(argv)

    payload: dict[str, Any] = {}
    if not args.skip_timing:
        payload["weights"] = bench_weights(args.repeats)
    if not args.skip_routee:
        payload["routee"] = bench_routee()
    path = write_results("emissions", payload)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
