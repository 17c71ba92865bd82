"""The ``ecoroute`` command: demo, build a network from OSM, route."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import datasets
from ._errors import EcoRouteError, NoRouteError
from .fleet import command as fleet_command
from .network import RoadNetwork
from .objectives import OBJECTIVE_QUANTITY
from .osm import SUFFIXES, load_osm
from .routing import Router
from .vehicles import vehicles

DEMO_VEHICLES = ("car_petrol", "van_diesel", "car_bev")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ecoroute`` console script; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="ecoroute",
        description="Least-CO2 routes on OpenStreetMap road networks.",
        epilog=datasets.OSM_ATTRIBUTION,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="Route a dozen trips across central Helsinki (shipped data) for three vehicles.",
        description="Route trips across the shipped central-Helsinki network for a car, a diesel "
        "van and an EV; print eco-route against fastest route; write GeoJSON and a PNG map.",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("ecoroute-demo"),
        help="output folder (default: ecoroute-demo)",
    )
    demo.add_argument("--trips", type=int, default=12, help="number of trips (default: 12)")
    demo.add_argument("--seed", type=int, default=0, help="seed for picking the trips (default: 0)")

    build = commands.add_parser(
        "build",
        help="Build a routable network from an OSM file (and DEM tiles) and save it.",
        description="Load the drivable network of an OSM file (.osm, .osm.bz2, .osm.gz, .osm.pbf), "
        "add elevations and grades from DEM tiles, and save it for fast loading.",
    )
    build.add_argument("file", type=Path, help="OpenStreetMap file")
    build.add_argument(
        "--dem",
        type=Path,
        nargs="+",
        default=None,
        metavar="TILE",
        help="DEM tiles: SRTM .hgt (zipped or not) or GeoTIFF",
    )
    build.add_argument("-o", "--output", type=Path, required=True, help="where to save the network")
    build.add_argument("--network-type", choices=["drive", "drive_service"], default="drive")
    build.add_argument(
        "--no-simplify", action="store_true", help="keep every OSM node as a graph node"
    )
    build.add_argument(
        "--component",
        choices=["weak", "strong", "all"],
        default="weak",
        help="keep the largest weakly (default) or strongly connected part, or all",
    )
    build.add_argument(
        "--no-prepare",
        action="store_true",
        help="skip the contraction hierarchy (by default it is built and saved: fast routing)",
    )

    route = commands.add_parser(
        "route",
        help="Least-CO2 (or other objective) route between two points.",
        description="Route between two (lat, lon) points on a saved network or an OSM file.",
    )
    route.add_argument(
        "--network", type=Path, required=True, help="saved network (ecoroute build) or OSM file"
    )
    route.add_argument("--from", dest="source", required=True, type=_lat_lon, metavar="LAT,LON")
    route.add_argument("--to", dest="target", required=True, type=_lat_lon, metavar="LAT,LON")
    route.add_argument("--vehicle", default="car_petrol", help=f"one of: {', '.join(vehicles())}")
    route.add_argument("--objective", default="co2", choices=sorted(OBJECTIVE_QUANTITY))
    route.add_argument(
        "--max-extra-time",
        type=_fraction,
        default=None,
        metavar="FRACTION",
        help="least-CO2 route within this much more time than the fastest: 5%% or 0.05",
    )
    route.add_argument(
        "--geojson", type=Path, default=None, help="write the route as a GeoJSON Feature"
    )

    batch = commands.add_parser(
        "batch",
        help="Route a table of trips (CSV or Parquet) into a result table; resumable.",
        description="Route every trip of a trips table and write one result row per trip. Killed "
        "and started again, the job resumes from its last checkpoint (<out>.parts/).",
    )
    batch.add_argument(
        "--network", type=Path, required=True, help="saved network (ecoroute build) or OSM file"
    )
    batch.add_argument(
        "--trips", type=Path, required=True, help="trips .parquet or .csv (see README for columns)"
    )
    batch.add_argument("--out", type=Path, required=True, help="results .parquet or .csv")
    batch.add_argument(
        "--vehicle", default="car_petrol", help="vehicle for rows without a 'vehicle' column"
    )
    batch.add_argument("--objective", default="co2", choices=sorted(OBJECTIVE_QUANTITY))
    batch.add_argument(
        "--geometry",
        nargs="?",
        const="wkb",
        choices=["wkb", "geojson"],
        default=None,
        help="add each route's geometry (WKB, or GeoJSON strings)",
    )
    batch.add_argument("--threads", type=int, default=0, help="C++ threads (default 0: every core)")
    batch.add_argument(
        "--chunk-rows",
        type=int,
        default=None,
        help="rows per chunk and checkpoint (default 100,000; 10,000 with --geometry)",
    )
    batch.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="dask.distributed scheduler (tcp://host:8786) or 'local'",
    )
    batch.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    batch.add_argument(
        "--max-extra-time",
        type=_fraction,
        default=None,
        metavar="FRACTION",
        help="eco-routes within this much more time than the fastest: 5%% or 0.05 "
        "(a max_extra_time column in the trips wins where filled)",
    )

    fleet_command.add_parser(commands)

    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "build":
            return _build(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "fleet":
            return fleet_command.run(args, _open_network)
        return _route(args)
    except KeyboardInterrupt:
        print(f"ecoroute {args.command}: interrupted", file=sys.stderr)
        return 130
    except (EcoRouteError, ValueError, KeyError, OSError, ImportError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"ecoroute {args.command}: error: {message}", file=sys.stderr)
        return 2


def _lat_lon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError as error:
        msg = f"expected LAT,LON such as 60.17,24.94, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from error
    return lat, lon


def _open_network(path: Path) -> RoadNetwork:
    if path.name.lower().endswith(SUFFIXES):
        return load_osm(path)
    return RoadNetwork.load(path)


# ---------------------------------------------------------------------- demo


def _demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    network = datasets.helsinki()
    print(
        f"Central Helsinki: {network.node_count} nodes, {network.arc_count} arcs. {datasets.OSM_ATTRIBUTION}."
    )
    sources, targets = _demo_trips(network, args.trips, args.seed)
    available = [v for v in DEMO_VEHICLES if v in vehicles()]
    missing = [v for v in DEMO_VEHICLES if v not in available]
    if missing:
        print(f"(not in this build's vehicle catalogue: {', '.join(missing)})")

    args.out.mkdir(parents=True, exist_ok=True)
    features: list[dict[str, Any]] = []
    map_routes: list[tuple[str, Any, Any]] = []
    for name in available:
        eco = Router(network, name, "co2")
        fastest = Router(network, name, "time")
        e = eco.route_many(sources, targets)
        f = fastest.route_many(sources, targets)
        print(f"\n{name}: eco-route (least CO2) against the fastest route, {len(e)} trips")
        _print_trips(e, f)
        # The map shows the first vehicle's four trips whose two routes differ most in CO2.
        shown = set(np.argsort(-(f["co2_g"] - e["co2_g"]).to_numpy(), kind="stable")[:4].tolist())
        for i in range(len(e)):
            for kind, router in (("eco", eco), ("fastest", fastest)):
                route = router.route(int(sources[i]), int(targets[i]))
                feature = route.to_geojson()
                feature["properties"] |= {"kind": kind, "trip": i}
                features.append(feature)
                if name == available[0] and i in shown:
                    map_routes.append((kind, route, i))

    geojson_path = args.out / "routes.geojson"
    geojson_path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    png_path = args.out / "routes.png"
    _plot(network, map_routes, png_path)
    print(f"\nWrote {geojson_path} and {png_path} in {time.perf_counter() - started:.1f} s.")
    print(datasets.OSM_ATTRIBUTION)
    return 0


def _demo_trips(network: RoadNetwork, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random node pairs at least 800 m apart as the crow flies (the extract is small)."""
    from ._geo import haversine_m

    rng = np.random.default_rng(seed)
    s = rng.integers(0, network.node_count, 50 * count)
    t = rng.integers(0, network.node_count, 50 * count)
    far = haversine_m(network.lat[s], network.lon[s], network.lat[t], network.lon[t]) >= 800
    s, t = s[far][:count], t[far][:count]
    return network.node_id[s], network.node_id[t]


def _print_trips(eco: Any, fastest: Any) -> None:
    header = f"{'trip':>4} {'CO2 eco g':>10} {'fastest g':>10} {'saved':>7} {'time eco s':>11} {'fastest s':>10} {'extra':>7} {'km eco':>7} {'fastest':>8}"
    print(header)
    for i in range(len(eco)):
        ce, cf = eco["co2_g"].iloc[i], fastest["co2_g"].iloc[i]
        te, tf = eco["time_s"].iloc[i], fastest["time_s"].iloc[i]
        print(
            f"{i:>4} {ce:>10.1f} {cf:>10.1f} {_pct(cf - ce, cf):>7} {te:>11.0f} {tf:>10.0f} "
            f"{_pct(te - tf, tf):>7} {eco['distance_m'].iloc[i] / 1000:>7.2f} {fastest['distance_m'].iloc[i] / 1000:>8.2f}"
        )
    ce, cf = eco["co2_g"].sum(), fastest["co2_g"].sum()
    te, tf = eco["time_s"].sum(), fastest["time_s"].sum()
    print(
        f"{'all':>4} {ce:>10.1f} {cf:>10.1f} {_pct(cf - ce, cf):>7} {te:>11.0f} {tf:>10.0f} {_pct(te - tf, tf):>7}"
    )


def _pct(part: float, whole: float) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _plot(network: RoadNetwork, routes: list[tuple[str, Any, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    segments = [
        network.path_coordinates([a], int(network.tail[a])) for a in range(network.arc_count)
    ]
    fig, ax = plt.subplots(figsize=(8, 8))
    ax.add_collection(LineCollection(segments, colors="#bbbbbb", linewidths=0.8))
    styles: dict[str, dict[str, Any]] = {
        "eco": {"color": "#1b9e77", "lw": 3.0},
        "fastest": {"color": "#d95f02", "lw": 1.6, "ls": "--"},
    }
    for kind, route, trip in routes:
        xy = route.coordinates
        ax.plot(xy[:, 0], xy[:, 1], label=f"trip {trip} {kind}", **styles[kind])
    ax.set_aspect(1 / np.cos(np.radians(network.lat.mean())))
    ax.autoscale()
    ax.xaxis.set_major_locator(plt.MaxNLocator(4))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(
        "Eco-routes (green) and fastest routes (orange), central Helsinki\n"
        "(the four trips whose two routes differ most)",
        fontsize=10,
    )
    ax.legend(loc="upper left", fontsize=7, ncol=2)
    ax.text(0.99, 0.01, datasets.OSM_ATTRIBUTION, transform=ax.transAxes, ha="right", fontsize=7)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)


# ---------------------------------------------------------------------- build / route


def _build(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    started = time.perf_counter()
    component: Any = {"weak": True, "strong": "strong", "all": False}[args.component]
    steps = ["load " + args.file.name] + (["elevation"] if args.dem else [])
    steps += ([] if args.no_prepare else ["prepare"]) + ["save"]
    with tqdm(total=len(steps), desc=steps[0], unit="step", disable=None) as bar:
        network = load_osm(
            args.file,
            network_type=args.network_type,
            simplify=not args.no_simplify,
            largest_component=component,
            dem=args.dem,
        )
        bar.update(1 + bool(args.dem))
        if not args.no_prepare:
            bar.set_description("prepare")
            network = network.prepared()
            bar.update(1)
        bar.set_description("save")
        network.save(args.output)
        bar.update(1)
    elevation = ""
    if network.elevation_m is not None:
        elevation = (
            f", elevations {network.elevation_m.min():.0f}-{network.elevation_m.max():.0f} m"
        )
    print(
        f"Saved {args.output}: {network.node_count:,} nodes, {network.arc_count:,} arcs{elevation} "
        f"in {time.perf_counter() - started:.1f} s."
    )
    return 0


def _fraction(text: str) -> float:
    """Parse an extra-time budget: ``5%`` or ``0.05``."""
    try:
        value = float(text[:-1]) / 100 if text.strip().endswith("%") else float(text)
    except ValueError as error:
        msg = f"{text!r} is not a fraction: give 5% or 0.05"
        raise argparse.ArgumentTypeError(msg) from error
    if not 0 <= value <= 10:
        msg = f"{text!r} is not a budget from 0% to 1000%"
        raise argparse.ArgumentTypeError(msg)
    return value


def _route(args: argparse.Namespace) -> int:
    network = _open_network(args.network)
    router = Router(network, args.vehicle, args.objective, max_extra_time=args.max_extra_time)
    try:
        route = router.route(args.source, args.target)
    except NoRouteError as error:
        print(f"ecoroute route: {error}", file=sys.stderr)
        return 1
    if route.fastest_time_s is not None and route.fastest_co2_g is not None:
        saved = 1 - route.co2_g / route.fastest_co2_g if route.fastest_co2_g else 0.0
        extra = route.time_s / route.fastest_time_s - 1 if route.fastest_time_s else 0.0
        print(
            f"within {args.max_extra_time:.0%} extra time: {saved:.1%} less CO2 than the fastest "
            f"route ({route.fastest_co2_g:.0f} g) for {extra:+.1%} time; "
            f"at most {route.objective_gap:.1f} above the exact optimum"
        )
    print(
        f"{args.vehicle}, least {args.objective}: {route.distance_m / 1000:.2f} km, {route.time_s / 60:.1f} min, "
        f"{route.co2_g:.0f} g CO2"
        + (f", {route.fuel_l:.2f} l" if route.fuel_l is not None else "")
        + (f", {route.energy_kwh:.2f} kWh" if route.energy_kwh is not None else "")
    )
    print(
        f"from node {route.source} ({route.source_snap_m:.0f} m away) to node {route.target} ({route.target_snap_m:.0f} m away)"
    )
    if args.geojson:
        args.geojson.write_text(route.to_geojson_str())
        print(f"wrote {args.geojson}")
    return 0


def _batch(args: argparse.Namespace) -> int:
    from . import batch

    started = time.perf_counter()
    summary = batch.run(
        args.network,
        args.trips,
        args.out,
        vehicle=args.vehicle,
        objective=args.objective,
        geometry=args.geometry,
        threads=args.threads,
        chunk_rows=args.chunk_rows,
        dask=args.dask,
        overwrite=args.overwrite,
        max_extra_time=args.max_extra_time,
    )
    resumed = (
        f", {summary.resumed_chunks} of {summary.chunks} chunks from checkpoints"
        if summary.resumed_chunks
        else ""
    )
    print(
        f"Wrote {summary.output}: {summary.trips:,} trips ({summary.ok:,} ok, {summary.no_route:,} no route, "
        f"{summary.bad_input:,} bad input) in {time.perf_counter() - started:.1f} s{resumed}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
