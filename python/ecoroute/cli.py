"""The ``ecoroute`` command: demo, build a network from OSM, route."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import datasets
from ._errors import EcoRouteError, NoRouteError
from ._osm_files import SUFFIXES
from ._vehicle_options import LEGAL_FLAGS as _LEGAL_FLAGS
from ._vehicle_options import VEHICLE_OPTIONS, vehicle_with
from ._version import __version__
from .fleet import command as fleet_command
from .network import RoadNetwork
from .objectives import OBJECTIVE_QUANTITY
from .osm import load_osm
from .routing import Router
from .vehicles import vehicles

#: The vehicle of a command that names none (and says so).
DEFAULT_VEHICLE = "car_petrol"


class _DeprecatedOption(argparse.Action):
    """An old spelling of an option: still accepted, with a note naming the new one."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        self.new = kwargs.pop("new")
        super().__init__(option_strings, dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(
            f"ecoroute: {option_string} is deprecated and will be removed; use {self.new}.",
            file=sys.stderr,
        )
        setattr(namespace, self.dest, values)


def _deprecated(
    parser: argparse.ArgumentParser, old: str, new: str, *, dest: str, type: Any
) -> None:
    parser.add_argument(
        old, dest=dest, type=type, action=_DeprecatedOption, new=new, help=argparse.SUPPRESS
    )


#: Exit code of ``ecoroute batch`` when not a single row got a route (the results are
#: still written, one row per trip): 0 ok, 1 no route (route), 2 bad arguments, 3 this.
EXIT_ALL_ROWS_FAILED = 3


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ecoroute`` console script; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="ecoroute",
        description="Least-CO2 routes on OpenStreetMap road networks.",
        epilog=datasets.OSM_ATTRIBUTION,
    )
    parser.add_argument("--version", action="version", version=f"ecoroute {__version__}")
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bars (they show on a terminal)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    listing = commands.add_parser(
        "vehicles",
        help="List the catalogue's vehicles: class, mass, dimensions, emission model.",
        description="Every vehicle of the catalogue with its access class, masses, "
        "dimensions, limiter, fuel or battery and emission model (docs/vehicles.md).",
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per vehicle")

    demo = commands.add_parser(
        "demo",
        help="See what eco-routing changes and costs, on downtown Denver (shipped data).",
        description="On the shipped downtown-Denver network: eco-routes against fastest routes "
        "for a diesel van, one trip's time-CO2 trade-off, and a least-CO2 plan for a mixed fleet "
        "against the time-optimal plan a dispatcher runs, the saving split into routing and vehicle "
        "choice; writes report.html (self-contained) and a map (docs/getting-started.md).",
    )
    demo.add_argument(
        "-o",
        "--out",
        type=Path,
        default=Path("ecoroute-demo"),
        help="output folder (default: ecoroute-demo)",
    )
    demo.add_argument("--trips", type=int, default=200, help="number of trips (default: 200)")
    demo.add_argument("--seed", type=int, default=0, help="seed for trips and stops (default: 0)")
    demo.add_argument(
        "--fast", action="store_true", help="fewer trips and solver iterations (for tests)"
    )

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
    build.add_argument(
        "-o", "--out", dest="output", type=Path, default=None, help="where to save the network"
    )
    _deprecated(build, "--output", "--out", dest="output", type=Path)
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
    build.add_argument(
        "--turns",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="read the turn restrictions and intersection controls and save them with the "
        "network, so that every route on it obeys them (default); --no-turns: a node-based "
        "network",
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
    route.add_argument(
        "--vehicle",
        default=None,
        help=f"one of: {', '.join(vehicles())} (default: {DEFAULT_VEHICLE}, and a note says so)",
    )
    _legal_flags(route)
    route.add_argument("--objective", default="co2", choices=sorted(OBJECTIVE_QUANTITY))
    route.add_argument(
        "--max-extra-time",
        type=_fraction,
        default=None,
        metavar="FRACTION",
        help="least-CO2 route within this much more time than the fastest: 5%% or 0.05",
    )
    route.add_argument(
        "-o",
        "--out",
        dest="geojson",
        type=Path,
        default=None,
        metavar="FILE.geojson",
        help="write the route as a GeoJSON Feature",
    )
    _deprecated(route, "--geojson", "--out", dest="geojson", type=Path)
    _turns_flag(route)

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
        "--trips",
        type=Path,
        required=True,
        help="trips .parquet or .csv (columns: docs/tasks/batch.md)",
    )
    batch.add_argument("-o", "--out", type=Path, required=True, help="results .parquet or .csv")
    batch.add_argument(
        "--vehicle",
        default=None,
        help="vehicle for rows without a 'vehicle' column (default: car_petrol, and the "
        "summary says so)",
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
        "--keep",
        nargs="*",
        default=None,
        metavar="COLUMN",
        help="trips columns to carry into the results (default: every column the job does "
        "not read; --keep alone: none)",
    )
    batch.add_argument(
        "--max-extra-time",
        type=_fraction,
        default=None,
        metavar="FRACTION",
        help="eco-routes within this much more time than the fastest: 5%% or 0.05 "
        "(a max_extra_time column in the trips wins where filled)",
    )
    _turns_flag(batch)

    serve = commands.add_parser(
        "serve",
        help="An HTTP routing service in OSRM's shape, with CO2 (docs/serve.md).",
        description="Serve routes, tables and nearest roads over HTTP in OSRM v5's shape, with "
        "each route's CO2 beside its duration and distance, and a map page at /. The network "
        "is loaded (and prepared) once. Needs pip install 'ecoroute[serve]'.",
    )
    serve.add_argument("network", type=Path, help="saved network (ecoroute build) or OSM file")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument("--port", type=int, default=5000, help="port (default: %(default)s)")
    serve.add_argument(
        "--vehicle",
        default=DEFAULT_VEHICLE,
        help="vehicle of the driving and car profiles (default: %(default)s); every catalogue "
        "vehicle is a profile of its own",
    )
    serve.add_argument(
        "--objective",
        default="co2",
        choices=sorted(OBJECTIVE_QUANTITY),
        help="what routes minimise when a request names no objective (default: co2)",
    )
    for flag, default, text in (
        ("--max-table-size", 100, "largest table side, sources x destinations"),
        ("--max-viaroute-size", 500, "most coordinates of a route"),
        ("--max-nearest-size", 100, "most results of a nearest query"),
    ):
        serve.add_argument(
            flag, type=int, default=default, metavar="N", help=f"{text} (default: {default})"
        )
    serve.add_argument(
        "--workers", type=int, default=0, help="threads that run requests (default 0: every core)"
    )
    _turns_flag(serve)

    fleet_command.add_parser(commands)
    _shared_conventions(commands)

    args = parser.parse_args(argv)
    if args.quiet:  # every bar of the package reads it (ecoroute._progress)
        import os

        from ._progress import QUIET_VARIABLE

        os.environ[QUIET_VARIABLE] = "1"
    if args.command == "build" and args.output is None:
        parser.error("ecoroute build: the following argument is required: -o/--out")
    try:
        if args.command == "demo":
            return _demo(args)
        if args.command == "vehicles":
            return _vehicles(args)
        if args.command == "build":
            return _build(args)
        if args.command == "batch":
            return _batch(args)
        if args.command == "fleet":
            return fleet_command.run(args, _open_network)
        if args.command == "serve":
            return _serve(args)
        return _route(args)
    except KeyboardInterrupt:
        print(f"ecoroute {args.command}: interrupted", file=sys.stderr)
        return 130
    except (EcoRouteError, ValueError, KeyError, OSError, ImportError, MemoryError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"ecoroute {args.command}: error: {message}", file=sys.stderr)
        return 2


#: The docs page of each command, named at the end of its --help (tests check they exist).
COMMAND_DOCS = {
    "vehicles": "vehicles.md",
    "demo": "getting-started.md",
    "build": "tasks/load-network.md",
    "route": "tasks/route.md",
    "batch": "tasks/batch.md",
    "fleet": "tasks/fleet-plans.md",
}


def _shared_conventions(commands: Any) -> None:
    """
    What every command shares: its docs page at the end of its help, and ``-q/--quiet``.

    ``--quiet`` is accepted after the command too (``ecoroute batch --quiet ...``), as
    well as before it.
    """
    for name, command in commands.choices.items():
        page = COMMAND_DOCS.get(name)
        if page is not None and command.epilog is None:
            command.epilog = f"Docs: docs/{page}"
        command.add_argument(
            "-q",
            "--quiet",
            action="store_true",
            default=argparse.SUPPRESS,
            help="no progress bars (as ecoroute --quiet)",
        )


def _vehicles(args: argparse.Namespace) -> int:
    """Print the catalogue: a table, or JSON lines with ``--json``."""
    import json

    from .emissions.catalogue import describe_vehicle

    rows = [describe_vehicle(name) for name in vehicles()]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return 0
    width = max(len(str(r["name"])) for r in rows)
    print(f"{'vehicle':<{width}}  {'energy':<11}  {'payload':>9}  legal profile")
    for r in rows:
        payload = "" if r["max_payload_kg"] is None else f"{r['max_payload_kg']:,.0f} kg"
        print(f"{r['name']:<{width}}  {r['energy']:<11}  {payload:>9}  {r['legal_profile']}")
    return 0


def _lat_lon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in text.split(","))
    except ValueError as error:
        msg = f"expected LAT,LON such as 60.17,24.94, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from error
    return lat, lon


def _turns_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--turns",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="obey turn restrictions and intersection costs (default: an OSM file's are read, "
        "a saved network's are used if it has them); --no-turns: route on the node graph",
    )


def _open_network(path: Path, turns: bool | None = None) -> RoadNetwork:
    """
    Load an OSM file or a saved network; ``turns`` True/False: with/without its turns.

    None takes the default: an OSM file's turns are read, a saved network keeps
    what it was saved with.
    """
    if path.name.lower().endswith(SUFFIXES):
        return load_osm(path, turn_restrictions=turns is not False)
    from . import turns as turn_module

    network = RoadNetwork.load(path)
    if turns is False:
        return turn_module.detach(network)
    if turns and turn_module.attached(network) is None:
        msg = (
            f"{path} was saved without turn restrictions; build it again from the OSM file "
            "(ecoroute build reads them by default) or route with --no-turns."
        )
        raise ValueError(msg)
    return network


def prepared_network(network: RoadNetwork) -> RoadNetwork:
    """
    The network with its contraction hierarchy, and its turn graph's if it carries turns.

    What ``ecoroute build`` saves and ``ecoroute serve`` routes on: every
    router on it then starts on the hierarchy, and never switches index
    between two queries. Parts already built are kept.
    """
    from . import turns

    if network.hierarchy is None:
        network = network.prepared()
    graph = turns.attached_graph(network)
    if graph is not None:  # the turn-expanded graph's hierarchy too, saved as its order
        graph.prepare()
        network = turns.attach(network, graph)
    return network


# ---------------------------------------------------------------------- demo


def _demo(args: argparse.Namespace) -> int:
    from . import demo

    if args.trips < 1:
        msg = f"--trips must be at least 1, got {args.trips}"
        raise ValueError(msg)
    if args.fast:
        demo.run(args.out, trips=min(args.trips, 40), stops=8, iterations=200, seed=args.seed)
    else:
        demo.run(args.out, trips=args.trips, seed=args.seed)
    return 0


# ---------------------------------------------------------------------- build / route


def _build(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from ._outputs import output_file

    # Before the (long) load: the output may not be the OSM file, a DEM tile or a device.
    output_file(args.output, inputs=[args.file, *(args.dem or [])], what="-o/--output")
    started = time.perf_counter()
    component: Any = {"weak": True, "strong": "strong", "all": False}[args.component]
    steps = ["load " + args.file.name] + (["elevation"] if args.dem else [])
    steps += ([] if args.no_prepare else ["prepare"]) + ["save"]
    from ._progress import disable

    with tqdm(total=len(steps), desc=steps[0], unit="step", disable=disable(None)) as bar:
        network = load_osm(
            args.file,
            network_type=args.network_type,
            simplify=not args.no_simplify,
            largest_component=component,
            dem=args.dem,
            turn_restrictions=args.turns,
        )
        bar.update(1 + bool(args.dem))
        if not args.no_prepare:
            bar.set_description("prepare")
            network = prepared_network(network)
            bar.update(1)
        bar.set_description("save")
        network.save(args.output)
        bar.update(1)
    elevation = ""
    if network.elevation_m is not None:
        elevation = (
            f", elevations {network.elevation_m.min():.0f}-{network.elevation_m.max():.0f} m"
        )
    restrictions = ""
    if args.turns:
        from . import turns

        rules = turns.attached(network)
        assert rules is not None
        restrictions = f", {len(rules.forbidden) + len(rules.via_way_only):,} turn restrictions"
    print(
        f"Saved {args.output}: {network.node_count:,} nodes, {network.arc_count:,} arcs{elevation}"
        f"{restrictions} in {time.perf_counter() - started:.1f} s."
    )
    if network.elevation_m is None:
        print(
            "note: no --dem given, so every grade is 0 (a flat map): eco-routes then see only "
            "speeds, distances and stops, not hills, which are the main lever off the motorway. "
            "Add --dem with SRTM tiles (docs/tasks/elevation.md).",
            file=sys.stderr,
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


def _legal_flags(parser: argparse.ArgumentParser) -> None:
    for field, (flag, text) in _LEGAL_FLAGS.items():
        parser.add_argument(flag, dest=field, type=float, default=None, metavar="X", help=text)
    parser.add_argument(
        "--hazmat",
        default=None,
        metavar="CLASS",
        help="dangerous goods: yes, water, or an ADR tunnel code B..E (closes hazmat=no roads "
        "and tunnels of that category)",
    )
    parser.add_argument(
        "--payload-kg",
        type=float,
        default=None,
        metavar="KG",
        help="load carried (default: the vehicle's average load for emissions; fully laden "
        "against weight limits)",
    )


def _vehicle_from_args(args: argparse.Namespace) -> Any:
    """The ``--vehicle`` with the legal-profile flags given on the command line."""
    overrides = {
        field: getattr(args, field)
        for field in VEHICLE_OPTIONS.values()
        if getattr(args, field, None) is not None
    }
    return vehicle_with(args.vehicle, overrides)


def _route(args: argparse.Namespace) -> int:
    if args.vehicle is None:
        args.vehicle = DEFAULT_VEHICLE
        print(
            f"note: vehicle: {DEFAULT_VEHICLE} (the default; pass --vehicle to choose, "
            "ecoroute vehicles lists them)",
            file=sys.stderr,
        )
    network = _open_network(args.network, args.turns)
    router = Router(
        network,
        _vehicle_from_args(args),
        args.objective,
        max_extra_time=args.max_extra_time,
        payload_kg=args.payload_kg,
    )
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
        f"from ({route.source_lat:.6f}, {route.source_lon:.6f}) on the road, "
        f"{route.source_snap_m:.0f} m from the given start, to ({route.target_lat:.6f}, "
        f"{route.target_lon:.6f}), {route.target_snap_m:.0f} m from the given end"
    )
    if args.geojson:
        from ._outputs import output_file

        output_file(args.geojson, inputs=[args.network], what="--geojson")
        args.geojson.write_text(route.to_geojson_str())
        print(f"wrote {args.geojson}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    for name in ("max_table_size", "max_viaroute_size", "max_nearest_size"):
        if getattr(args, name) < 1:
            msg = f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}"
            raise ValueError(msg)
    if args.workers < 0:
        msg = f"--workers must be 0 (every core) or more, got {args.workers}"
        raise ValueError(msg)
    try:
        from .serve import Limits, RoutingService
        from .serve.app import serve
    except ImportError as error:
        msg = f"ecoroute serve needs Starlette and uvicorn: pip install 'ecoroute[serve]' ({error})"
        raise ImportError(msg) from error

    started = time.perf_counter()
    network = prepared_network(_open_network(args.network, args.turns))
    service = RoutingService(
        network,
        vehicle=args.vehicle,
        objective=args.objective,
        limits=Limits(
            max_table_size=args.max_table_size,
            max_viaroute_size=args.max_viaroute_size,
            max_nearest_size=args.max_nearest_size,
        ),
    )
    print(
        f"ecoroute serve: {network.node_count:,} nodes, {network.arc_count:,} arcs ready in "
        f"{time.perf_counter() - started:.1f} s; driving = {args.vehicle}, least {args.objective}; "
        f"map at http://{args.host}:{args.port}/",
        file=sys.stderr,
    )
    serve(service, host=args.host, port=args.port, workers=args.workers or None)
    return 0


def _batch(args: argparse.Namespace) -> int:
    from . import batch

    started = time.perf_counter()
    network: Path | RoadNetwork = args.network
    if args.turns is not None:  # loaded here, with or without its turns, as asked
        if args.dask:
            msg = (
                "--turns/--no-turns cannot be combined with --dask (workers load the network "
                "file themselves): build the network with or without turns "
                "(ecoroute build --turns/--no-turns) and pass that file."
            )
            raise ValueError(msg)
        network = _open_network(args.network, args.turns)
    summary = batch.run(
        network,
        args.trips,
        args.out,
        vehicle=args.vehicle or DEFAULT_VEHICLE,
        objective=args.objective,
        geometry=args.geometry,
        threads=args.threads,
        chunk_rows=args.chunk_rows,
        dask=args.dask,
        overwrite=args.overwrite,
        max_extra_time=args.max_extra_time,
        keep=args.keep,
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
    if args.vehicle is None:
        print(
            f"note: rows without a vehicle were routed as {DEFAULT_VEHICLE} (the default); "
            "give --vehicle or a vehicle column to choose.",
            file=sys.stderr,
        )
    if summary.failed:
        print(
            f"ecoroute batch: {summary.failed:,} of {summary.trips:,} rows failed; "
            "the most frequent reasons (see the message column):",
            file=sys.stderr,
        )
        for count, example in summary.reasons:
            print(f"  {count:>9,}  {example}", file=sys.stderr)
    if summary.trips and not summary.ok:
        return EXIT_ALL_ROWS_FAILED
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
