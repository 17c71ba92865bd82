"""The ``ecoroute fleet`` command: stops CSV + fleet TOML + network in, plan report files out."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .matrices import OBJECTIVES

if TYPE_CHECKING:
    from ..network import RoadNetwork
    from .plan import FleetPlan


def add_parser(commands: Any) -> None:
    """Add the ``fleet`` subcommand to the ``ecoroute`` argument parser."""
    fleet = commands.add_parser(
        "fleet",
        help="Plan least-CO2 routes for a fleet; write an ISO 14083-style report and a map.",
        description="Plan routes for a heterogeneous fleet (stops CSV, fleet TOML) that minimise "
        "CO2 (or time, distance, cost), compare them with distance- and time-optimal plans for "
        "the same fleet, and write plan.json, vehicles/legs/stops/unassigned CSVs, plan.geojson "
        "and map.png. File formats: docs/tasks/fleet-plans.md.",
    )
    fleet.add_argument(
        "--network", type=Path, required=True, help="saved network (ecoroute build) or OSM file"
    )
    fleet.add_argument(
        "--stops",
        type=Path,
        required=True,
        help="CSV: id, lat, lon (or node), demand_kg, service_s, tw_start, tw_end, optional, prize",
    )
    fleet.add_argument(
        "--fleet", type=Path, required=True, help="TOML with [[depots]] and [[vehicles]] tables"
    )
    fleet.add_argument("-o", "--out", type=Path, required=True, help="output folder")
    fleet.add_argument(
        "--objective", choices=sorted(OBJECTIVES), default=None, help="overrides the TOML's"
    )
    fleet.add_argument("--iterations", type=int, default=None, help="solver iterations per plan")
    fleet.add_argument("--time-limit", type=float, default=None, help="solver seconds per plan")
    fleet.add_argument("--seed", type=int, default=None, help="solver seed")
    fleet.add_argument(
        "--no-baselines", action="store_true", help="skip the distance and time baselines"
    )
    fleet.add_argument(
        "--overwrite", action="store_true", help="replace the files of an earlier plan in --out"
    )


def run(args: argparse.Namespace, open_network: Any) -> int:
    """Run ``ecoroute fleet``; ``open_network(path)`` loads the network. Returns the exit code."""
    from .._outputs import output_folder
    from .files import read_fleet, read_stops, write_outputs
    from .planner import plan_fleet

    started = time.perf_counter()
    # Before any work: --out may not hold an earlier plan (without --overwrite) or an input.
    output_folder(
        args.out,
        inputs=(args.network, args.stops, args.fleet),
        overwrite=args.overwrite,
        what="--out",
    )
    config = read_fleet(args.fleet)
    stops = read_stops(args.stops)
    options: dict[str, Any] = dict(config.options)
    if args.objective is not None:
        options["objective"] = args.objective
    if args.iterations is not None:
        options["max_iterations"] = args.iterations
    if args.time_limit is not None:
        options["time_limit_s"] = args.time_limit
    if args.seed is not None:
        options["seed"] = args.seed
    if args.no_baselines:
        options["baselines"] = ()
    network: RoadNetwork = open_network(args.network)
    plan = plan_fleet(network, config.depots, stops, config.fleet, **options)
    written = write_outputs(plan, args.out)
    _print_summary(plan)
    print(
        f"Wrote {', '.join(p.name for p in written)} to {args.out} "
        f"in {time.perf_counter() - started:.1f} s."
    )
    return 0


def _print_summary(plan: FleetPlan) -> None:
    vehicles = plan.to_dataframe("vehicles")
    print(f"Plan ({plan.objective}):")
    batteries = any(route.battery_kwh is not None for route in plan.routes)
    header = f"{'vehicle':<22} {'stops':>5} {'km':>8} {'hours':>6} {'kg CO2e':>8} {'g/tkm':>7}"
    print(header + (f" {'battery end':>11}" if batteries else ""))
    for route, row in zip(plan.routes, vehicles.itertuples(), strict=True):
        name = route.vehicle if route.trip == 1 else f"{route.vehicle} trip {route.trip}"
        soc = ""
        if route.soc_end_pct is not None:
            soc = f" {route.soc_end_kwh:>6.1f} kWh {route.soc_end_pct:>3.0f} %"
        print(
            f"{name:<22} {row.stops:>5} {row.distance_m / 1000:>8.1f} "
            f"{row.duration_s / 3600:>6.2f} {row.co2e_wtw_g / 1000:>8.2f} "
            f"{row.co2e_wtw_g_per_tkm:>7.0f}{soc}"
        )
    totals = plan.totals
    print(
        f"{'all':<22} {totals['stops_served']:>5} {totals['distance_m'] / 1000:>8.1f} "
        f"{totals['duration_s'] / 3600:>6.2f} {totals['co2e_wtw_g'] / 1000:>8.2f} "
        f"{totals['co2e_wtw_g_per_tkm']:>7.0f}"
    )
    for name, saving in plan.savings.items():
        print(
            f"against the {name} plan: {saving.co2e_wtw_saved_g / 1000:+.2f} kg CO2e saved "
            f"({saving.co2e_wtw_saved_pct:+.1f} %; routing "
            f"{saving.routing['co2e_wtw_g'] / 1000:+.2f} kg, vehicle choice "
            f"{saving.assignment['co2e_wtw_g'] / 1000:+.2f} kg), "
            f"{saving.extra_duration_s / 3600:+.2f} h, {saving.extra_distance_m / 1000:+.1f} km"
        )
        if saving.baseline_unserved:
            print(
                f"  note: the {name} plan leaves out {len(saving.baseline_unserved)} stops this "
                "plan serves; the two plans do not deliver the same"
            )
    if not totals["feasible"]:
        print("WARNING: the plan breaks a limit (see violations.csv and plan.json):")
        for violation in plan.violations[:10]:
            print(f"  {violation.vehicle}: {violation.constraint}: {violation.message}")
    if plan.unassigned:
        print(f"{len(plan.unassigned)} stops unassigned (see unassigned.csv):")
        for item in plan.unassigned[:10]:
            print(f"  {item.stop}: {item.reason}: {item.message}")
        if len(plan.unassigned) > 10:
            print(f"  ... and {len(plan.unassigned) - 10} more")
