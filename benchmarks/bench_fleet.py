"""
Fleet planning: a 200-stop mixed-fleet day on Malta, and the PRPLIB instances of Demir et al.

Part 1 (Malta, ``osm/malta.osm.pbf``, flat: no DEM here). 200 stops on random
nodes of the largest strongly connected part (seeded), 20-150 kg each, 3-8
min service, a third with a two-hour window between 08:00 and 17:00; two
depots (Marsa, Mosta); fleet: 6 diesel vans (1200 kg) and 4 electric vans
(900 kg, 8 h max) from Marsa, one 18 t truck from Mosta, all on a 07:00-17:00
shift. ``plan_fleet`` with the CO2 objective and the distance and time
baselines, at a fixed iteration count, for several solver seeds. Reported:
the time to build one 202 x 202 matrix (all pairs between depots and stops,
one vehicle type, cost plus every quantity on the same paths; median of
repeats) with one search per pair and on the contraction hierarchy (and the
time to prepare it), all matrices of a plan, solve time per plan, the CO2e (WTW)
of the CO2 plan against the distance- and time-optimal plans of the same
fleet, split into road choice and vehicle choice (Shapley) and along the
chain baseline -> its assignment re-routed -> plan (routing, vehicle choice;
see ecoroute.fleet.Savings), with the extra hours on duty and kilometres.

Part 1b (``--malta-battery KWH``): the same day with a ``KWH`` battery on each e-van (no
reserve), CO2 plan only, ``--malta-battery-iterations`` (2000): the time to bound the energy
of every leg between 202 locations and replay the round trips, beside the solve.

Part 2 (``--ablation``): on the same instance and matrices, the CO2 plan's
CO2e at several iteration counts, with PyVRP's default penalty weights (what
ecoroute tries first) and with the strict ones it falls back to when a
search ends infeasible (see ``ecoroute.fleet.solver``).

Part 3 (PRPLIB, ``prplib/*.txt``): the CMEM truck against the closed form,
and distance-optimal plans at 90 km/h through the whole planner: routes, km,
CMEM litres at the payload on board, feasibility replayed from the instance
data, solve time; beside the numbers the reference notes measured with PyVRP
directly (same fuel model, 2.67 kg CO2 per litre), as a cross-check.

Part 4 (``--battery``, Andorra with SRTM heights, ``osm/andorra.osm.pbf`` and
``dem/N42E001.hgt.zip``: roads from 850 to 2,450 m, so regeneration matters):
60 stops (20-120 kg, 5 min) on random nodes, one depot in the valley
(Andorra la Vella); 5 electric vans and 2 diesel vans. The CO2 plan without
battery limits, then with usable batteries of 40, 20 and 12 kWh per e-van
(reserve 10 %), for several seeds: solve time (every solve of the replay
re-check), the time to bound every leg's energy and replay the round trips,
plan time, CO2e against the unconstrained plan, how many e-vans
and diesel vans are used, stops refused for range, the lowest replayed
charge of any e-van against its reserve, and the solves needed.

Part 5 (``--traffic``, Malta, issue 12): the synthetic weekday congestion profile of
``bench_traffic.py`` (every trunk/primary/secondary/tertiary arc, and trunk and primary
links, :func:`ecoroute.traffic.synthetic_profiles` with seed 0: 0.45 x free flow at
07:00-09:00 on weekdays). 60 stops (20-150 kg, 3-8 min) on random nodes, a third with a
90-minute window in the four hours after the start, the Marsa depot; a van fleet (5 diesel
vans, 1200 kg) and a 40 t truck fleet (3 trucks, demands x 10), on a 10-hour shift from
Monday 03:00 or 08:00. For each: the CO2 plan without traffic (as planned, and its routes
driven in traffic: times, CO2, windows missed), and the plan with ``departure=``: its
replayed hours and CO2, violations, solves and which was kept, how far each leg's replayed
time is from the first solve's planning matrix, and plan time against the static plan.

Every OSM network is read as ``load_osm`` reads it by default: turn restrictions and
intersection costs included. ``--node-graph`` runs parts 1, 4 and 5 again in the same
run on the plain node graph (``turn_restrictions=False``), for comparison.

    python benchmarks/bench_fleet.py                      # parts 1 and 3
    python benchmarks/bench_fleet.py --ablation           # and part 2
    python benchmarks/bench_fleet.py --battery --skip-malta --prplib  # part 4 only
    python benchmarks/bench_fleet.py --traffic --skip-malta --prplib  # part 5 only
    python benchmarks/bench_fleet.py --ablation --node-graph          # and the node graph
    python benchmarks/bench_fleet.py --malta-battery 15 --skip-malta --prplib --node-graph  # 1b
    python benchmarks/bench_fleet.py --iterations 5000 --seeds 0 1 2

Writes benchmarks/results/fleet.json and prints Markdown tables.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SHARED_DATA, median_time, print_table, write_results

import ecoroute
from ecoroute.fleet import (
    Depot,
    Stop,
    VehicleType,
    evaluate_routes,
    od_matrices,
    plan_fleet,
)

#: The reference notes' PRPLIB runs (fleet-planning.md §3.3): distance-optimal CVRPTW with
#: PyVRP at 90 km/h, CMEM fuel at the payload on board, 2.67 kg CO2 per litre.
REFERENCE_NOTES_90KPH = {
    "UK10_01": {"routes": 2, "km": 408, "kg_co2": 212.1},
    "UK20_01": {"routes": 3, "km": 780, "kg_co2": 403.4},
    "UK25_01": {"routes": 3, "km": 666, "kg_co2": 347.4},
    "UK50_01": {"routes": 7, "km": 1358, "kg_co2": 711.9},
    "UK100_01": {"routes": 14, "km": 2789, "kg_co2": 1470.3},
}
CO2_KG_PER_L_PRP = 2.67


def malta_instance(network: ecoroute.RoadNetwork, seed: int = 0):
    """The 200-stop day on Malta: depots, stops, fleet."""
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.node_count, 200, replace=False)
    stops = []
    for i, x in enumerate(nodes):
        window = None
        if i % 3 == 0:
            start = float(rng.integers(8, 15)) * 3600.0
            window = (start, start + 7200.0)
        stops.append(
            Stop(
                f"S{i:03d}",
                lat=float(network.lat[x]),
                lon=float(network.lon[x]),
                demand_kg=float(rng.integers(20, 150)),
                service_s=float(rng.integers(3, 9) * 60),
                time_window=window,
            )
        )
    depots = [Depot("Marsa", lat=35.878, lon=14.495), Depot("Mosta", lat=35.910, lon=14.425)]
    shift = (7 * 3600.0, 17 * 3600.0)
    fleet = [
        VehicleType("van_diesel", count=6, capacity_kg=1200.0, shift=shift),
        VehicleType("van_bev", count=4, capacity_kg=900.0, shift=shift, max_duration_s=8 * 3600.0),
        VehicleType("truck_18t_diesel", count=1, start_depot="Mosta", shift=shift),
    ]
    return depots, stops, fleet


def load_malta(*, turn_restrictions: bool = True) -> ecoroute.RoadNetwork:
    """Malta as ``load_osm`` reads it by default (turns and intersection costs), or without."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ecoroute.load_osm(
            SHARED_DATA / "osm/malta.osm.pbf",
            largest_component="strong",
            turn_restrictions=turn_restrictions,
        )


#: The networks each part runs on: load_osm's default, and with ``--node-graph`` the plain
#: node graph (``turn_restrictions=False``) in the same run, for the pages' comparison column.
GRAPHS = {"turns": True, "node graph": False}


def part_malta(network, iterations: int, seeds: list[int], repeats: int) -> dict[str, Any]:
    depots, stops, fleet = malta_instance(network)
    # One matrix: 202 x 202 locations, one vehicle type, least-CO2 paths.
    nodes = np.concatenate(
        [
            network.nearest_nodes([d.lat for d in depots], [d.lon for d in depots])[0],
            network.nearest_nodes([s.lat for s in stops], [s.lon for s in stops])[0],
        ]
    )
    pairwise = ecoroute.Router(
        network, "van_diesel", "co2", payload_kg=600.0, algorithm="bidirectional_astar"
    )
    matrix_s, matrix_all = median_time(lambda: od_matrices(pairwise, nodes), repeats)
    prepare_runs = []
    for _ in range(repeats):  # a fresh hierarchy each time
        network = network.with_hierarchy(None)
        began = time.perf_counter()
        network = network.prepared()
        prepare_runs.append(time.perf_counter() - began)
    cch = ecoroute.Router(network, "van_diesel", "co2", payload_kg=600.0)
    cch_s, cch_all = median_time(lambda: od_matrices(cch, nodes), repeats)

    runs = []
    for seed in seeds:
        plan = plan_fleet(network, depots, stops, fleet, max_iterations=iterations, seed=seed)
        row: dict[str, Any] = {
            "seed": seed,
            "matrix_s": plan.timings["matrix_s"],
            "solve_s_co2": plan.solver["runtime_s"],
            "solve_s_distance": plan.baselines["distance"].solver["runtime_s"],
            "solve_s_time": plan.baselines["time"].solver["runtime_s"],
            "total_s": plan.timings["total_s"],
            "feasible": plan.totals["feasible"],
            "unassigned": len(plan.unassigned),
            "plan": _totals(plan),
        }
        for name in ("distance", "time"):
            saving = plan.savings[name]
            row[name] = _totals(plan.baselines[name]) | {
                "co2e_saved_kg": saving.co2e_wtw_saved_g / 1000,
                "co2e_saved_pct": saving.co2e_wtw_saved_pct,
                "road_choice_kg": saving.road_choice["co2e_wtw_g"] / 1000,
                "vehicle_choice_kg": saving.vehicle_choice["co2e_wtw_g"] / 1000,
                "routing_kg": saving.routing["co2e_wtw_g"] / 1000,
                "assignment_kg": saving.assignment["co2e_wtw_g"] / 1000,
                "resequenced_routes": saving.resequenced,
                "extra_duty_h": saving.extra_duration_s / 3600,
                "extra_driving_h": saving.extra_driving_s / 3600,
                "extra_km": saving.extra_distance_m / 1000,
            }
        runs.append(row)
        print(f"  seed {seed}: {row['total_s']:.1f} s", file=sys.stderr)
    return {
        "network": repr(network),
        "stops": len(stops),
        "fleet": [f"{t.count} x {t.vehicle}" for t in fleet],
        "iterations": iterations,
        "one_matrix_pairwise_s": matrix_s,
        "one_matrix_pairwise_runs_s": matrix_all,
        "prepare_s": statistics.median(prepare_runs),
        "prepare_runs_s": prepare_runs,
        "one_matrix_cch_s": cch_s,
        "one_matrix_cch_runs_s": cch_all,
        "runs": runs,
    }


def part_malta_battery(
    network, battery_kwh: float, iterations: int, seeds: list[int]
) -> dict[str, Any]:
    """
    The 200-stop day with a battery on the e-vans: what the battery bounds cost on 202 locations.

    The CO2 plan only (no baselines); per seed the time to bound every leg's energy and
    replay the round trips (``plan.timings["battery_s"]``), the solve time (every solve of
    the re-check) and the solves needed.
    """
    depots, stops, fleet = malta_instance(network)
    fleet = [
        dataclasses.replace(t, battery_kwh=battery_kwh) if t.vehicle == "van_bev" else t
        for t in fleet
    ]
    network = network.prepared()
    runs = []
    for seed in seeds:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan = plan_fleet(
                network, depots, stops, fleet, max_iterations=iterations, seed=seed, baselines=()
            )
        electric = [r for r in plan.routes if r.battery_kwh is not None]
        runs.append(
            {
                "seed": seed,
                "battery_s": plan.timings["battery_s"],
                "solve_s": plan.solver["runtime_s"],
                "total_s": plan.timings["total_s"],
                "solves": plan.solver.get("battery_rounds", 1),
                "min_margin_kwh": _least_margin(electric),
                "range_refused": sum(u.reason == "range" for u in plan.unassigned),
                "feasible": plan.totals["feasible"],
                "warnings": [str(w.message) for w in caught],
            }
        )
        print(f"  Malta battery {battery_kwh} kWh, seed {seed}: {plan.timings['total_s']:.1f} s",
              file=sys.stderr)  # fmt: skip
    return {"battery_kwh": battery_kwh, "iterations": iterations, "runs": runs}


def _print_malta_battery(result: dict[str, Any]) -> None:
    runs = result["runs"]
    print(
        f"\nMalta, 200 stops, e-vans with {result['battery_kwh']:g} kWh; CO2 plan, "
        f"{result['iterations']} iterations, per seed\n"
    )
    print_table(
        [
            {
                "seed": r["seed"],
                "battery bounds s": f"{r['battery_s']:.2f}",
                "solve s": f"{r['solve_s']:.2f}",
                "plan s": f"{r['total_s']:.2f}",
                "solves": r["solves"],
                "refused (range)": r["range_refused"],
                "least kWh above reserve": ""
                if r["min_margin_kwh"] is None
                else f"{r['min_margin_kwh']:.2f}",
                "feasible": r["feasible"],
            }
            for r in runs
        ],
        ["seed", "battery bounds s", "solve s", "plan s", "solves", "refused (range)",
         "least kWh above reserve", "feasible"],
    )  # fmt: skip


def _totals(plan) -> dict[str, Any]:
    totals = plan.totals
    return {
        "co2e_wtw_kg": totals["co2e_wtw_g"] / 1000,
        "co2_ttw_kg": totals["co2_ttw_g"] / 1000,
        "km": totals["distance_m"] / 1000,
        "duty_h": totals["duration_s"] / 3600,
        "driving_h": totals["time_s"] / 3600,
        "vehicles": totals["vehicles_used"],
        "g_per_tkm": totals["co2e_wtw_g_per_tkm"],
        "by_type": {
            t: sum(r.co2e_wtw_g for r in plan.routes if r.vehicle_type == t) / 1000
            for t in sorted({r.vehicle_type for r in plan.routes})
        },
        "stops_by_type": {
            t: sum(len(r.stops) for r in plan.routes if r.vehicle_type == t)
            for t in sorted({r.vehicle_type for r in plan.routes})
        },
    }


def part_ablation(network, iteration_counts: list[int], seeds: list[int]) -> list[dict[str, Any]]:
    """The CO2 plan's CO2e by iteration count, with PyVRP's default and with strict penalties."""
    from ecoroute.fleet import evaluate as fleet_evaluate
    from ecoroute.fleet import problem as vrp
    from ecoroute.fleet.matrices import Profiles
    from ecoroute.fleet.model import resolve_inputs
    from ecoroute.fleet.solver import solve

    depots, stops, fleet = malta_instance(network)
    inputs = resolve_inputs(network, depots, stops, fleet)
    profiles = Profiles(network, inputs)
    by_type = [profiles.profile(k, "co2") for k in range(len(inputs.types))]
    screened = vrp.screen(inputs, by_type, list(range(len(stops))))
    built = vrp.build(inputs, by_type, "co2", screened.keep, respect_optional=True, fallback=False)
    rows = []
    for strict in (False, True):
        for iterations in iteration_counts:
            for seed in seeds:
                solution = solve(built.problem, max_iterations=iterations, seed=seed, strict=strict)
                scored = fleet_evaluate.evaluate(
                    network, inputs, profiles, vrp.routes_from(built, solution), "co2"
                )
                rows.append(
                    {
                        "penalties": "strict" if strict else "pyvrp default",
                        "iterations": iterations,
                        "seed": seed,
                        "solve_s": solution.runtime_s,
                        "feasible": solution.feasible,
                        "co2e_wtw_kg": sum(r.co2e_wtw_g for r in scored.routes) / 1000,
                    }
                )
    return rows


def part_prplib(names: list[str], iterations: int) -> dict[str, Any]:
    from ecoroute.fleet import prplib

    truck = prplib.prp_truck()
    speeds = np.linspace(20.0, 90.0, 71)
    worst = 0.0
    for payload in (0.0, 1825.0, 3650.0):
        ours = truck.fuel_l_per_km(speeds, 0.0, payload)
        theirs = np.array([prplib.cmem_fuel_l(1000.0, v, 6350.0 + payload) for v in speeds])
        worst = max(worst, float(np.abs(ours / theirs - 1).max()))
    rows = []
    for name in names:
        path = SHARED_DATA / "prplib" / f"{name}.txt"
        if not path.exists():
            continue
        instance = prplib.read_prplib(path)
        network = prplib.prp_network(instance, 90.0)
        depot, stops, vehicle = prplib.prp_plan_inputs(instance)
        plan = plan_fleet(
            network, depot, stops, vehicle, objective="distance", max_iterations=iterations,
            baselines=(),
        )  # fmt: skip
        fuel = plan.totals["fuel_l"]
        reference = REFERENCE_NOTES_90KPH.get(name, {})
        rows.append(
            {
                "instance": name,
                "customers": instance.customers,
                "routes": len(plan.routes),
                "km": plan.totals["distance_m"] / 1000,
                "fuel_l": fuel,
                "kg_co2_at_2.67": fuel * CO2_KG_PER_L_PRP,
                "feasible": _prp_feasible(instance, network, plan),
                "unassigned": len(plan.unassigned),
                "solve_s": plan.solver["runtime_s"],
                "notes_routes": reference.get("routes"),
                "notes_km": reference.get("km"),
                "notes_kg_co2": reference.get("kg_co2"),
            }
        )
    return {
        "cmem_max_relative_error": worst,
        "cmem_optimal_speed_kph": prplib.cmem_optimal_speed_kph(),
        "iterations": iterations,
        "instances": rows,
    }


def _prp_feasible(instance, network, plan) -> bool:
    """Replay every route from the instance's data: load, windows, depot due time."""
    v = 90.0 / 3.6
    for route in plan.routes:
        customers = [int(s) for s in route.stops]
        if instance.demand_kg[customers].sum() > instance.max_payload_kg:
            return False
        clock = route.start_s
        for k, leg in enumerate(route.legs):
            clock += float(network.length_m[leg.arcs.astype(int)].sum()) / v
            if k < len(customers):
                c = customers[k]
                clock = max(clock, instance.ready_s[c])
                if clock > instance.due_s[c] + 1e-6:
                    return False
                clock += instance.service_s[c]
        if clock > instance.due_s[0] + 1e-6:
            return False
    return True


def andorra_instance(network: ecoroute.RoadNetwork, seed: int = 0):
    """Sixty stops on random nodes of Andorra, the depot in Andorra la Vella."""
    rng = np.random.default_rng(seed)
    depot_node = int(network.nearest_nodes([42.5063], [1.5218])[0][0])
    nodes = rng.choice(np.setdiff1d(np.arange(network.node_count), [depot_node]), 60, False)
    stops = [
        Stop(f"S{i:02d}", node=int(network.node_id[x]), demand_kg=float(rng.integers(20, 120)),
             service_s=300.0)
        for i, x in enumerate(nodes)
    ]  # fmt: skip
    return Depot("Andorra la Vella", node=int(network.node_id[depot_node])), stops


def part_battery(
    iterations: int,
    seeds: list[int],
    batteries: list[float | None],
    *,
    turn_restrictions: bool = True,
):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one node on an SRTM void
        network = ecoroute.load_osm(
            SHARED_DATA / "osm/andorra.osm.pbf",
            dem=SHARED_DATA / "dem/N42E001.hgt.zip",
            largest_component="strong",
            turn_restrictions=turn_restrictions,
        )
    network = network.prepared()
    depot, stops = andorra_instance(network)
    rows = []
    for battery in batteries:
        for seed in seeds:
            fleet = [
                VehicleType("van_bev", name="e-van", count=5, battery_kwh=battery,
                            reserve_kwh=0.0 if battery is None else battery / 11.0),
                VehicleType("van_diesel", count=2),
            ]  # fmt: skip
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                plan = plan_fleet(network, depot, stops, fleet, max_iterations=iterations,
                                  seed=seed, baselines=())  # fmt: skip
            electric = [r for r in plan.routes if r.vehicle_type == "e-van"]
            rows.append(
                {
                    "usable_kwh": None if battery is None else battery * 10.0 / 11.0,
                    "seed": seed,
                    "solve_s": plan.solver["runtime_s"],
                    "total_s": plan.timings["total_s"],
                    "battery_s": plan.timings["battery_s"],
                    "solves": plan.solver.get("battery_rounds", 1),
                    "co2e_wtw_kg": plan.totals["co2e_wtw_g"] / 1000,
                    "km": plan.totals["distance_m"] / 1000,
                    "e_vans": len(electric),
                    "diesel_vans": len(plan.routes) - len(electric),
                    "range_refused": sum(u.reason == "range" for u in plan.unassigned),
                    "unassigned": len(plan.unassigned),
                    "max_ev_kwh": max((r.energy_kwh or 0.0 for r in electric), default=0.0),
                    "min_margin_kwh": _least_margin(electric),
                    "feasible": plan.totals["feasible"],
                    "warnings": [str(w.message) for w in caught],
                }
            )
            print(f"  battery {battery} seed {seed}: {plan.timings['total_s']:.1f} s",
                  file=sys.stderr)  # fmt: skip
    return {"network": repr(network), "stops": len(stops), "iterations": iterations, "runs": rows}


#: The arcs bench_traffic.py congests: the classes where congestion happens.
MAJOR = {"trunk", "primary", "secondary", "tertiary", "trunk_link", "primary_link"}


def traffic_instance(network: ecoroute.RoadNetwork, *, trucks: bool, start_h: float, seed: int = 0):
    """
    60 stops, a third with a 90-minute window in the 4 h after ``start_h``; the Marsa depot;
    5 diesel vans or 3 40 t trucks on a 10-hour shift from ``start_h``.
    """
    rng = np.random.default_rng(seed)
    nodes = rng.choice(network.node_count, 60, replace=False)
    scale = 10.0 if trucks else 1.0
    stops = []
    for i, x in enumerate(nodes):
        window = None
        if i % 3 == 0:
            opens = (start_h + float(rng.uniform(0.0, 4.0))) * 3600.0
            window = (opens, opens + 5400.0)
        stops.append(
            Stop(
                f"S{i:02d}",
                lat=float(network.lat[x]),
                lon=float(network.lon[x]),
                demand_kg=scale * float(rng.integers(20, 150)),
                service_s=float(rng.integers(3, 9) * 60),
                time_window=window,
            )
        )
    depot = Depot("Marsa", lat=35.878, lon=14.495)
    shift = (start_h * 3600.0, (start_h + 10.0) * 3600.0)
    if trucks:
        fleet = [VehicleType("truck_40t_diesel", count=3, shift=shift)]
    else:
        fleet = [VehicleType("van_diesel", count=5, capacity_kg=1200.0, shift=shift)]
    return depot, stops, fleet


def part_traffic(network, iterations: int, seeds: list[int]) -> dict[str, Any]:
    """Part 5: plans leaving at 03:00 and 08:00 in traffic against the static plan."""
    profiles = ecoroute.traffic.synthetic_profiles(network, highways=MAJOR, seed=0)
    network = network.prepared()
    congested = network.with_speeds(profiles)
    runs = []
    for trucks in (False, True):
        for start_h in (3.0, 8.0):
            depot, stops, fleet = traffic_instance(network, trucks=trucks, start_h=start_h)
            for seed in seeds:
                options = {"max_iterations": iterations, "seed": seed, "baselines": ()}
                static = plan_fleet(network, depot, stops, fleet, **options)
                # The static plan's routes driven in traffic, leaving when it planned them to.
                given = [(r.vehicle_type, list(r.stops)) for r in static.routes]
                driven = evaluate_routes(
                    congested,
                    depot,
                    stops,
                    fleet,
                    given,
                    start_s=[r.start_s for r in static.routes],
                    departure=start_h * 3600.0,
                )
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    plan = plan_fleet(
                        congested, depot, stops, fleet, departure=start_h * 3600.0, **options
                    )
                row = _traffic_row(plan, trucks, seed, start_h)
                row["warnings"] = len(caught)
                row["static"] = _traffic_row(static, trucks, seed, None)
                row["static_driven"] = _totals(driven) | {
                    "co2_kg": driven.totals["co2_g"] / 1000,
                    "violations": len(driven.violations),
                    "late_h": sum(v.amount for v in driven.violations if v.unit == "s") / 3600,
                }
                runs.append(row)
    return {
        "profile": repr(profiles),
        "iterations": iterations,
        "seeds": seeds,
        "stops": 60,
        "runs": runs,
    }


def _traffic_row(plan, trucks: bool, seed: int, start_h: float | None) -> dict[str, Any]:
    info = plan.solver.get("departure", {})
    return {
        "fleet": "40 t trucks" if trucks else "diesel vans",
        "seed": seed,
        "departure_h": start_h,
        "totals": _totals(plan),
        "co2_kg": plan.totals["co2_g"] / 1000,
        "served": len(plan.visits),
        "solve_s": plan.timings["solve_s"],
        "matrix_s": plan.timings["matrix_s"],
        "evaluate_s": plan.timings["evaluate_s"],
        "total_s": plan.timings["total_s"],
        "rounds": info.get("rounds", 1),
        "basis": info.get("basis", "free flow"),
        "first_round": info.get("first_round", {}),
        "solves": info.get("solves", []),
        "violations": len(plan.violations),
    }


#: Short names of what a plan in traffic was solved on (``plan.solver["departure"]["basis"]``).
_BASIS = {
    "free flow": "-",
    "start hour": "start",
    "slowest hours": "slowest",
    "driving-time mix of hours": "mix",
    "mix costs, start-hour times": "mix-cautious",
}


def _print_traffic(result: dict[str, Any]) -> None:
    print(
        f"\nMalta, {result['stops']} stops, CO2 plans in traffic ({result['profile']}); "
        f"{result['iterations']} iterations, medians over seeds {result['seeds']}\n"
    )
    rows = []
    for fleet in ("diesel vans", "40 t trucks"):
        for start_h in (3.0, 8.0):
            chosen = [r for r in result["runs"]
                      if r["fleet"] == fleet and r["departure_h"] == start_h]  # fmt: skip

            def med(get: Any, chosen: list[dict[str, Any]] = chosen) -> float:
                return statistics.median(get(r) for r in chosen)

            first = [r["first_round"] for r in chosen]
            label = f"{fleet}, Mon {int(start_h):02d}:00"
            rows.append(
                {
                    "plan": f"{label}: static plan, as planned (free flow)",
                    "driving h": f"{med(lambda r: r['static']['totals']['driving_h']):.2f}",
                    "kg CO2": f"{med(lambda r: r['static']['co2_kg']):.1f}",
                    "served": f"{med(lambda r: r['static']['served']):.0f}",
                    "plan s": f"{med(lambda r: r['static']['total_s']):.1f}",
                }
            )
            rows.append(
                {
                    "plan": f"{label}: static plan, driven in traffic",
                    "driving h": f"{med(lambda r: r['static_driven']['driving_h']):.2f}",
                    "kg CO2": f"{med(lambda r: r['static_driven']['co2_kg']):.1f}",
                    "served": f"{med(lambda r: r['static']['served']):.0f}",
                    "violations (late h)": "/".join(
                        f"{r['static_driven']['violations']} ({r['static_driven']['late_h']:.1f})"
                        for r in chosen
                    ),
                }
            )
            rows.append(
                {
                    "plan": f"{label}: planned in traffic (departure=)",
                    "driving h": f"{med(lambda r: r['totals']['driving_h']):.2f}",
                    "kg CO2": f"{med(lambda r: r['co2_kg']):.1f}",
                    "served": f"{med(lambda r: r['served']):.0f}",
                    "plan s": f"{med(lambda r: r['total_s']):.1f}",
                    "solves, kept": "/".join(f"{r['rounds']} {_BASIS[r['basis']]}" for r in chosen),
                    "violations (late h)": "/".join(str(r["violations"]) for r in chosen),
                    "leg gap median / p95 / max": (
                        f"{statistics.median(f['time_gap_median'] for f in first):+.1%} / "
                        f"{statistics.median(f['time_gap_p95'] for f in first):+.1%} / "
                        f"{statistics.median(f['time_gap_max'] for f in first):+.1%}"
                    ),
                }
            )
    print_table(rows, ["plan", "driving h", "kg CO2", "served", "violations (late h)",
                       "plan s", "solves, kept", "leg gap median / p95 / max"])  # fmt: skip


def _least_margin(routes: list[Any]) -> float | None:
    """Least replayed charge above the reserve over the battery routes (None without one)."""
    margins = [r.soc_min_kwh - (r.reserve_kwh or 0.0) for r in routes if r.soc_min_kwh is not None]
    return min(margins) if margins else None


def _print_battery(result: dict[str, Any]) -> None:
    runs = result["runs"]
    free = [r["co2e_wtw_kg"] for r in runs if r["usable_kwh"] is None]
    base = statistics.median(free) if free else float("nan")
    print(
        f"\nAndorra (SRTM), {result['stops']} stops, 5 e-vans + 2 diesel vans, CO2 objective, "
        f"{result['iterations']} iterations; medians over seeds\n"
    )
    table = []
    for usable in dict.fromkeys(r["usable_kwh"] for r in runs):
        chosen = [r for r in runs if r["usable_kwh"] == usable]

        def median(key: str, rows: list[dict[str, Any]] = chosen) -> float:
            return statistics.median(r[key] for r in rows)

        co2 = median("co2e_wtw_kg")
        margins = [r["min_margin_kwh"] for r in chosen if r["min_margin_kwh"] is not None]
        table.append(
            {
                "usable kWh per e-van": "no limit" if usable is None else f"{usable:.1f}",
                "solve s": f"{median('solve_s'):.2f}",
                "battery bounds s": f"{median('battery_s'):.2f}",
                "plan s": f"{median('total_s'):.2f}",
                "solves": f"{median('solves'):.0f}",
                "kg CO2e WTW": f"{co2:.1f}",
                "vs no limit": f"{100.0 * (co2 - base) / base:+.1f} %",
                "km": f"{median('km'):.0f}",
                "e-vans / diesel": f"{median('e_vans'):.0f} / {median('diesel_vans'):.0f}",
                "most kWh on a route": f"{median('max_ev_kwh'):.1f}",
                "least kWh above reserve": f"{min(margins):.2f}" if margins else "",
                "refused (range)": f"{median('range_refused'):.0f}",
                "feasible": f"{sum(r['feasible'] for r in chosen)}/{len(chosen)}",
            }
        )
    print_table(table, list(table[0]))


def _print_malta(result: dict[str, Any]) -> None:
    runs = result["runs"]

    def med(key: str, sub: str | None = None) -> float:
        values = [r[key][sub] if sub else r[key] for r in runs]
        return statistics.median(values)

    print(
        f"\nMalta, {result['stops']} stops, {', '.join(result['fleet'])}; "
        f"{result['iterations']} iterations per plan, seeds {[r['seed'] for r in runs]} "
        "(medians; per-seed values in fleet.json)\n"
    )
    print_table(
        [
            {
                "step": "one 202 x 202 matrix, one search per pair (van_diesel, CO2 paths)",
                "s": f"{result['one_matrix_pairwise_s']:.3f}",
            },
            {
                "step": "network.prepare() (contraction hierarchy, once per network)",
                "s": f"{result['prepare_s']:.3f}",
            },
            {
                "step": "one 202 x 202 matrix on the hierarchy",
                "s": f"{result['one_matrix_cch_s']:.4f}",
            },
            {
                "step": "all matrices of a plan (3 CO2 + time + distance, hierarchy)",
                "s": f"{med('matrix_s'):.3f}",
            },
            {
                "step": f"solve, CO2 plan ({result['iterations']} it.)",
                "s": f"{med('solve_s_co2'):.2f}",
            },
            {"step": "solve, distance plan", "s": f"{med('solve_s_distance'):.2f}"},
            {"step": "solve, time plan", "s": f"{med('solve_s_time'):.2f}"},
            {"step": "plan_fleet end to end (3 plans, evaluation)", "s": f"{med('total_s'):.1f}"},
        ],
        ["step", "s"],
    )
    print()
    rows = []
    for label, key in (("CO2 plan", "plan"), ("distance plan", "distance"), ("time plan", "time")):
        row = {
            "plan": label,
            "kg CO2e WTW": f"{med(key, 'co2e_wtw_kg'):.1f}",
            "kg CO2 TTW": f"{med(key, 'co2_ttw_kg'):.1f}",
            "km": f"{med(key, 'km'):.0f}",
            "h on duty": f"{med(key, 'duty_h'):.1f}",
            "h driving": f"{med(key, 'driving_h'):.1f}",
            "g CO2e/tkm": f"{med(key, 'g_per_tkm'):.0f}",
        }
        if key != "plan":
            row |= {
                "CO2e saved": f"{med(key, 'co2e_saved_pct'):.1f} %",
                "of which road choice": f"{med(key, 'road_choice_kg'):.1f} kg",
                "vehicle choice": f"{med(key, 'vehicle_choice_kg'):.1f} kg",
                "chain: routing": f"{med(key, 'routing_kg'):.1f} kg",
                "chain: vehicle choice": f"{med(key, 'assignment_kg'):.1f} kg",
                "extra h on duty": f"{med(key, 'extra_duty_h'):+.1f}",
                "extra km": f"{med(key, 'extra_km'):+.0f}",
            }
        rows.append(row)
    columns = ["plan", "kg CO2e WTW", "kg CO2 TTW", "km", "h on duty", "h driving", "g CO2e/tkm",
               "CO2e saved", "of which road choice", "vehicle choice", "chain: routing",
               "chain: vehicle choice", "extra h on duty", "extra km"]  # fmt: skip
    print_table(rows, columns)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=5000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--repeats", type=int, default=3, help="timing repeats of one matrix")
    parser.add_argument("--ablation", action="store_true", help="iterations x penalties study")
    parser.add_argument(
        "--ablation-iterations", type=int, nargs="+", default=[500, 2000, 5000, 20000]
    )
    parser.add_argument(
        "--prplib", nargs="*",
        default=["UK10_01", "UK10_02", "UK15_01", "UK20_01", "UK25_01", "UK50_01", "UK100_01"],
    )  # fmt: skip
    parser.add_argument("--prplib-iterations", type=int, default=10_000)
    parser.add_argument("--skip-malta", action="store_true")
    parser.add_argument("--battery", action="store_true", help="part 4: e-vans in Andorra")
    parser.add_argument("--battery-iterations", type=int, default=3000)
    parser.add_argument("--traffic", action="store_true", help="part 5: departures in traffic")
    parser.add_argument("--traffic-iterations", type=int, default=2000)
    parser.add_argument(
        "--batteries", type=float, nargs="+", default=[40.0, 20.0, 12.0],
        help="usable kWh per e-van (the battery is 10/9 of it: 10 %% reserve)",
    )  # fmt: skip
    parser.add_argument(
        "--malta-battery", type=float, metavar="KWH",
        help="part 1b: the Malta day with KWH batteries on the e-vans (CO2 plan only)",
    )  # fmt: skip
    parser.add_argument("--malta-battery-iterations", type=int, default=2000)
    parser.add_argument(
        "--node-graph", action="store_true",
        help="also run parts 1, 4 and 5 on the node graph (load_osm(turn_restrictions=False))",
    )  # fmt: skip
    args = parser.parse_args(argv)

    graphs = {k: v for k, v in GRAPHS.items() if v or args.node_graph}
    results: dict[str, Any] = {"ecoroute": ecoroute.__version__}
    started = time.perf_counter()
    if not args.skip_malta or args.malta_battery:
        for label, turns in graphs.items():
            print(f"\n### {label} (load_osm(turn_restrictions={turns}))", flush=True)
            network = load_malta(turn_restrictions=turns)
            if not args.skip_malta:
                result = part_malta(network, args.iterations, args.seeds, args.repeats)
                results["malta" if turns else "malta_node_graph"] = result
                _print_malta(result)
            if args.malta_battery:
                result = part_malta_battery(
                    network, args.malta_battery, args.malta_battery_iterations, args.seeds
                )
                results["malta_battery" if turns else "malta_battery_node_graph"] = result
                _print_malta_battery(result)
    if not args.skip_malta:
        network = load_malta()
        if args.ablation:
            rows = part_ablation(network, args.ablation_iterations, args.seeds)
            results["ablation"] = rows
            print("\nCO2 plan by iteration count and solver penalties (median over seeds)\n")
            table = []
            for penalties in ("pyvrp default", "strict"):
                for iterations in args.ablation_iterations:
                    chosen = [r for r in rows if r["penalties"] == penalties
                              and r["iterations"] == iterations]  # fmt: skip
                    table.append(
                        {
                            "penalties": penalties,
                            "iterations": iterations,
                            "kg CO2e WTW": f"{statistics.median(r['co2e_wtw_kg'] for r in chosen):.1f}",
                            "range": f"{min(r['co2e_wtw_kg'] for r in chosen):.1f}-"
                            f"{max(r['co2e_wtw_kg'] for r in chosen):.1f}",
                            "solve s": f"{statistics.median(r['solve_s'] for r in chosen):.2f}",
                            "feasible": f"{sum(r['feasible'] for r in chosen)}/{len(chosen)}",
                        }
                    )
            print_table(table, ["penalties", "iterations", "kg CO2e WTW", "range", "solve s",
                                "feasible"])  # fmt: skip
    if args.traffic:
        for label, turns in graphs.items():
            print(f"\n### {label} (load_osm(turn_restrictions={turns}))", flush=True)
            network = load_malta(turn_restrictions=turns)
            result = part_traffic(network, args.traffic_iterations, args.seeds)
            results["traffic" if turns else "traffic_node_graph"] = result
            _print_traffic(result)
    if args.battery:
        sizes: list[float | None] = [None, *(u * 1.1 for u in args.batteries)]
        for label, turns in graphs.items():
            print(f"\n### {label} (load_osm(turn_restrictions={turns}))", flush=True)
            result = part_battery(
                args.battery_iterations, args.seeds, sizes, turn_restrictions=turns
            )
            results["battery" if turns else "battery_node_graph"] = result
            _print_battery(result)
    if args.prplib:
        results["prplib"] = part_prplib(args.prplib, args.prplib_iterations)
        prp = results["prplib"]
        print(
            f"\nPRPLIB at 90 km/h, distance objective ({prp['iterations']} iterations); CMEM "
            f"truck vs closed form: max relative error {prp['cmem_max_relative_error']:.1e}; "
            f"fuel-optimal speed {prp['cmem_optimal_speed_kph']:.2f} km/h\n"
        )
        table = [
            {
                "instance": r["instance"],
                "routes": r["routes"],
                "km": f"{r['km']:.0f}",
                "CMEM l": f"{r['fuel_l']:.1f}",
                "kg CO2 (2.67/l)": f"{r['kg_co2_at_2.67']:.1f}",
                "feasible (replayed)": r["feasible"],
                "solve s": f"{r['solve_s']:.2f}",
                "notes: routes / km / kg": "-" if r["notes_km"] is None
                else f"{r['notes_routes']} / {r['notes_km']} / {r['notes_kg_co2']}",
            }
            for r in prp["instances"]
        ]  # fmt: skip
        print_table(table, list(table[0]) if table else ["instance"])
    results["wall_s"] = time.perf_counter() - started
    path = write_results("fleet", results)
    print(f"\nWrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
