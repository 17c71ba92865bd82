"""The ``ecoroute demo``: what eco-routing changes and what it costs, on the shipped network."""

from __future__ import annotations

import base64
import html
import json
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import datasets
from ._geo import haversine_m
from .fleet import Depot, Stop, VehicleType, plan_fleet
from .routing import Router

if TYPE_CHECKING:
    import matplotlib.figure

    from .fleet import FleetPlan
    from .network import RoadNetwork
    from .tradeoff import Pareto

#: The vehicle whose routes the demo compares (the diesel van of the fleet part).
DEMO_VEHICLE = "van_diesel"

#: Shortest straight-line distance between a trip's two ends (the network is ~3 km across).
MIN_TRIP_M = 1000.0

#: Relative CO2 difference below which an eco-route counts as "the same as the fastest".
SAME_ROUTE = 1e-6

#: The network the demo runs on, and the credit every output shows.
NETWORK = "downtown Denver"
ATTRIBUTION = datasets.DENVER_ATTRIBUTION

#: What the savings depend on, shown in the terminal and the report. Its Helsinki figures are
#: :func:`compare_routes` on ``datasets.helsinki()`` (seed 0, with and without its turn data),
#: the others the eco-routing benchmark's van_diesel rows in docs/vehicles.md, with turns;
#: tests/test_demo.py checks both.
WHY = (
    "Why not more? Downtown Denver is a regular street grid, about 3 x 3 km, with gentle "
    "grades (at most 6 %), no turn restrictions or signals in its data, and trips of 1-4 km: "
    "for most trips the fastest route is also the least-CO2 one, or close to it. Savings grow "
    "with steeper hills, with signals and turns to avoid, with a real choice between fast "
    "arterials and slower, shorter streets, and with longer trips: a diesel van's eco-routes "
    "save (over 1,000 random trips, with the maps' turns and signals) 9.3 % in hilly Monaco, "
    "8.2 % in Andorra and 4.5 % on flat Malta (docs/vehicles.md); the same 200-trip "
    "comparison on "
    "the flat central-Helsinki extract that ecoroute also ships saves 1.66 % with its signals "
    "and turns, 0.13 % without them. In a fleet, which vehicle serves which stops matters more "
    "than the road between two stops."
)

#: The plan the fleet part compares with: what dispatch software minimises today, hours on duty.
BASELINE = "time"

#: Why vehicle choice dominates the fleet saving (filled in with the plans' figures).
_EV_SENTENCE = (
    "For time, any van is as good as another (they drive at the same speeds), so nothing "
    "steers stops to the electric van: the time-optimal plan serves {baseline_ev_stops} of "
    "{stops} stops there, the least-CO2 plan {ev_stops}."
)

#: The two steps of the fleet saving (the chain of :class:`ecoroute.fleet.Savings`).
_SPLIT_STEPS = (
    (
        "routing: the time plan's assignment kept (each van its own stops), each van's stops "
        "re-ordered and driven on least-CO2 roads: {baseline_plan_g:.1f} g -> {rerouted_g:.1f} g"
    ),
    "vehicle choice: which van serves which stops: {rerouted_g:.1f} g -> {co2_plan_g:.1f} g",
)


#: Why the routing part can come out below zero (printed when it does).
_NEGATIVE_ROUTING = (
    "Routing is below zero here: the solver orders each van's stops on costs at half its "
    "payload, and the plans are scored at the load really on board."
)

#: Where to go next, printed last and at the end of the report.
NEXT_STEPS = (
    ("Your own map", "ecoroute build region.osm.pbf -o region.ecoroute", "tasks/load-network.md"),
    (
        "One route",
        "ecoroute route --network region.ecoroute --from LAT,LON --to LAT,LON",
        "tasks/route.md",
    ),
    (
        "Millions of trips",
        "ecoroute batch --network region.ecoroute --trips trips.parquet --out results.parquet",
        "tasks/batch.md",
    ),
    (
        "A time budget",
        "Router(network, 'van_diesel', 'co2', max_extra_time=0.05)",
        "tasks/tradeoff.md",
    ),
    (
        "A fleet plan",
        "ecoroute fleet --network region.ecoroute --stops stops.csv --fleet fleet.toml --out plan/",
        "tasks/fleet-plans.md",
    ),
)


@dataclass
class DemoResult:
    """What the demo found and wrote (the numbers the report shows)."""

    network: str
    vehicle: str
    sources: np.ndarray
    targets: np.ndarray
    trips: int
    differing: int
    total_saving: float
    total_extra_time: float
    best: dict[str, Any] | None
    tradeoff: pd.DataFrame | None
    fleet: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)
    seconds: float = 0.0


def run(
    out: Path | str,
    *,
    trips: int = 200,
    stops: int = 12,
    iterations: int = 2000,
    seed: int = 0,
    echo: Callable[[str], None] = print,
) -> DemoResult:
    """
    Run the demo on the shipped downtown-Denver network and write its report into ``out``.

    Parameters
    ----------
    out
        Folder for ``report.html`` (self-contained), ``routes.geojson`` and the
        PNG figures; created if missing.
    trips
        Random trips (node pairs at least :data:`MIN_TRIP_M` apart) routed
        both ways, least CO2 and fastest, for :data:`DEMO_VEHICLE`.
    stops
        Deliveries in the fleet plan.
    iterations
        Solver iterations per fleet plan.
    seed
        Seed for the trips, the stops and the solver.
    echo
        Where the running commentary goes (``print`` by default).

    Returns
    -------
    DemoResult
        The figures the report shows and the paths of the files written.
    """
    started = time.perf_counter()

    def say(text: str) -> None:
        echo(_wrap(text))

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    network = datasets.denver()
    heights = network.elevation_m
    assert heights is not None  # the shipped network has elevations
    say(
        f"Downtown Denver, shipped with ecoroute: {network.node_count} junctions, "
        f"{network.arc_count} road arcs, {heights.min():.0f}-{heights.max():.0f} m above sea "
        f"level. {ATTRIBUTION}."
    )
    rng = np.random.default_rng(seed)

    # 1. Eco-route against the fastest route, trip by trip.
    eco = Router(network, DEMO_VEHICLE, "co2")
    fastest = Router(network, DEMO_VEHICLE, "time")
    compared = compare_routes(network, trips, rng)
    sources, targets = compared.sources, compared.targets
    e = compared.eco
    saving, differs = compared.saving, compared.saving > SAME_ROUTE
    total_saving, total_extra = compared.total_saving, compared.total_extra_time
    say(
        f"\n1. {len(e)} random trips for a {DEMO_VEHICLE}, least-CO2 route against fastest route:\n"
        f"   {int(differs.sum())} of {len(e)} trips have an eco-route that emits less than the "
        f"fastest route; over all {len(e)} trips it saves {100 * total_saving:.2f} % of the CO2 "
        f"for {100 * total_extra:.2f} % more driving time."
    )
    best: dict[str, Any] | None = None
    pareto: Pareto | None = None
    files: dict[str, Path] = {}
    features: list[dict[str, Any]] = []
    if differs.any():
        i = int(np.argmax(saving.to_numpy()))
        eco_route = eco.route(int(sources[i]), int(targets[i]))
        fast_route = fastest.route(int(sources[i]), int(targets[i]))
        best = {
            "trip": i,
            "source": int(sources[i]),
            "target": int(targets[i]),
            "eco_co2_g": eco_route.co2_g,
            "fastest_co2_g": fast_route.co2_g,
            "saving": 1 - eco_route.co2_g / fast_route.co2_g,
            "eco_time_s": eco_route.time_s,
            "fastest_time_s": fast_route.time_s,
            "extra_time_s": eco_route.time_s - fast_route.time_s,
            "eco_distance_m": eco_route.distance_m,
            "fastest_distance_m": fast_route.distance_m,
            "eco_climb_m": _climb_m(network, eco_route.arcs),
            "fastest_climb_m": _climb_m(network, fast_route.arcs),
        }
        say(
            f"   Best: trip {i}, {best['fastest_co2_g']:.0f} g -> {best['eco_co2_g']:.0f} g CO2 "
            f"(-{100 * best['saving']:.1f} %) for {best['extra_time_s']:+.1f} s.\n"
            f"   {_why_greener(best)}"
        )
        for kind, route in (("eco", eco_route), ("fastest", fast_route)):
            feature = route.to_geojson()
            feature["properties"]["kind"] = kind
            features.append(feature)
        files["routes_png"] = out / "routes.png"
        _save(_route_map(network, eco_route, fast_route), files["routes_png"])

        # 2. The time-CO2 trade-off of that trip.
        pareto = eco.pareto(int(sources[i]), int(targets[i]))
        say(
            f"\n2. Time-CO2 trade-off of trip {i} (router.pareto): {len(pareto.routes)} "
            "supported routes from fastest to greenest."
        )
        for row in pareto.to_frame().itertuples():
            say(
                f"   {row.time_s:6.0f} s  {row.co2_g:6.1f} g CO2  "
                f"(+{100 * row.extra_time:.1f} % time, -{100 * row.saving:.1f} % CO2)"
            )
        files["tradeoff_png"] = out / "tradeoff.png"
        _save(_tradeoff_plot(pareto, i), files["tradeoff_png"])
    else:
        say("   No trip has a greener route than its fastest one here.")
    say("   " + WHY)
    files["geojson"] = out / "routes.geojson"
    files["geojson"].write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    # 3. A small mixed fleet: the least-CO2 plan against the time-optimal plan.
    plan = _fleet_plan(network, stops, iterations, seed, rng)
    fleet = _fleet_figures(plan)
    say(
        f"\n3. Fleet plan, {fleet['stops']} deliveries from one depot, 2 diesel vans + 1 electric "
        f"van, against the time-optimal plan a dispatcher runs today (same fleet and stops): "
        f"least-CO2 plan {fleet['co2_plan_g'] / 1000:.2f} kg CO2e (well-to-wheel) against "
        f"{fleet['baseline_plan_g'] / 1000:.2f} kg, -{fleet['saving_pct']:.1f} % for "
        f"{fleet['extra_km']:+.2f} km and {fleet['extra_min']:+.1f} min.\n"
        f"   Of the {fleet['saved_g']:.1f} g saved, routing gives {fleet['routing_g']:.1f} g "
        f"({fleet['routing_pct']:.2f} % of the time plan's CO2e) and vehicle choice "
        f"{fleet['vehicle_g']:.1f} g ({fleet['vehicle_pct']:.2f} %), two steps that add up to "
        "the saving:\n"
        + "".join(f"      {step.format(**fleet)}\n" for step in _SPLIT_STEPS)
        + (f"   {_NEGATIVE_ROUTING}\n" if fleet["routing_g"] < 0 else "")
        + f"   {_EV_SENTENCE.format(**fleet)}"
    )
    files["fleet_png"] = out / "fleet.png"
    _save(plan.plot(title="Least-CO2 plan"), files["fleet_png"])
    files["fleet_baseline_png"] = out / f"fleet_{BASELINE}.png"
    _save(plan.baselines[BASELINE].plot(title="Time-optimal plan"), files["fleet_baseline_png"])

    result = DemoResult(
        network=NETWORK,
        vehicle=DEMO_VEHICLE,
        sources=sources,
        targets=targets,
        trips=len(e),
        differing=int(differs.sum()),
        total_saving=float(total_saving),
        total_extra_time=float(total_extra),
        best=best,
        tradeoff=pareto.to_frame() if pareto is not None else None,
        fleet=fleet,
        files=files,
    )
    files["report"] = out / "report.html"
    result.seconds = time.perf_counter() - started
    files["report"].write_text(_report_html(result), encoding="utf-8")
    say(f"\nWrote {files['report']} (open it in a browser) and the map {files['geojson']}.")
    say("\nWhere to go next:")
    for title, command, page in NEXT_STEPS:
        echo(f"   {title} (docs/{page}):\n      {command}")
    say(f"\nDone in {result.seconds:.1f} s. {ATTRIBUTION}.")
    return result


# ---------------------------------------------------------------------- the parts


def _wrap(text: str, width: int = 96) -> str:
    """Wrap each line longer than ``width``, continuing at its indent (at least three spaces)."""
    lines = []
    for line in text.split("\n"):
        if len(line) <= width:
            lines.append(line)
            continue
        indent = " " * (len(line) - len(line.lstrip()))
        lines.append(
            textwrap.fill(
                line.strip(),
                width,
                initial_indent=indent,
                subsequent_indent=indent or "   ",
                break_on_hyphens=False,
            )
        )
    return "\n".join(lines)


def _climb_m(network: RoadNetwork, arcs: np.ndarray) -> float:
    """Metres climbed along a path (the rises of its uphill arcs)."""
    rise = network.grade[arcs] * network.length_m[arcs]
    return float(rise[rise > 0].sum())


def _why_greener(best: dict[str, Any]) -> str:
    """What differs between the two routes of a trip: length, average speed and climb."""

    def kph(kind: str) -> float:
        return 3.6 * best[f"{kind}_distance_m"] / best[f"{kind}_time_s"]

    return (
        f"The eco-route is {best['eco_distance_m'] / 1000:.2f} km long against "
        f"{best['fastest_distance_m'] / 1000:.2f} km, averages {kph('eco'):.0f} km/h against "
        f"{kph('fastest'):.0f} km/h (air drag and the accelerations of traffic grow with speed), "
        f"and climbs {best['eco_climb_m']:.0f} m against {best['fastest_climb_m']:.0f} m."
    )


@dataclass
class TripComparison:
    """Eco-routes against fastest routes of the same trips (part 1 of the demo)."""

    sources: np.ndarray
    targets: np.ndarray
    eco: pd.DataFrame
    fastest: pd.DataFrame

    @property
    def saving(self) -> pd.Series:
        """Per trip, the share of the fastest route's CO2 the eco-route saves."""
        return (self.fastest["co2_g"] - self.eco["co2_g"]) / self.fastest["co2_g"]

    @property
    def differing(self) -> int:
        """Trips whose eco-route emits less than their fastest route (by more than SAME_ROUTE)."""
        return int((self.saving > SAME_ROUTE).sum())

    @property
    def total_saving(self) -> float:
        """Share of all the fastest routes' CO2 the eco-routes save."""
        return float(1 - self.eco["co2_g"].sum() / self.fastest["co2_g"].sum())

    @property
    def total_extra_time(self) -> float:
        """Share of all the fastest routes' time the eco-routes add."""
        return float(self.eco["time_s"].sum() / self.fastest["time_s"].sum() - 1)


def compare_routes(
    network: RoadNetwork, trips: int, rng: np.random.Generator, vehicle: str = DEMO_VEHICLE
) -> TripComparison:
    """
    Route ``trips`` random trips (ends at least :data:`MIN_TRIP_M` apart) least-CO2 and fastest.

    Trips with no legal route for the vehicle are left out (drawn again).

    The demo's part 1, on any network: ``compare_routes(datasets.helsinki(), 200,
    np.random.default_rng(0))`` gives the Helsinki figures :data:`WHY` quotes.
    """
    sources, targets = _pick_trips(network, 2 * trips, rng)
    eco = Router(network, vehicle, "co2").route_many(sources, targets)
    fastest = Router(network, vehicle, "time").route_many(sources, targets)
    # Only trips the vehicle may drive (a stop behind a private road has no legal route).
    legal = np.flatnonzero(np.isfinite(eco["co2_g"].to_numpy()))[:trips]
    return TripComparison(
        sources[legal],
        targets[legal],
        eco.iloc[legal].reset_index(drop=True),
        fastest.iloc[legal].reset_index(drop=True),
    )


def _pick_trips(
    network: RoadNetwork, count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random node pairs at least MIN_TRIP_M apart as the crow flies, as node ids."""
    s = rng.integers(0, network.node_count, 50 * count)
    t = rng.integers(0, network.node_count, 50 * count)
    far = haversine_m(network.lat[s], network.lon[s], network.lat[t], network.lon[t]) >= MIN_TRIP_M
    s, t = s[far][:count], t[far][:count]
    return network.node_id[s], network.node_id[t]


def _fleet_plan(
    network: RoadNetwork, count: int, iterations: int, seed: int, rng: np.random.Generator
) -> FleetPlan:
    """Plan ``count`` deliveries for two diesel vans and one electric van, least CO2 and :data:`BASELINE`."""
    nodes = rng.choice(network.node_count, count + 1, replace=False)
    depot = Depot("depot", node=int(network.node_id[nodes[0]]))
    stops = [
        Stop(
            f"S{k + 1}",
            node=int(network.node_id[n]),
            demand_kg=float(rng.integers(30, 150)),
            service_s=240.0,
        )
        for k, n in enumerate(nodes[1:])
    ]
    fleet = [
        VehicleType("van_diesel", count=2, capacity_kg=800),
        VehicleType("van_bev", count=1, capacity_kg=600),
    ]
    return plan_fleet(
        network,
        depot,
        stops,
        fleet,
        objective="co2",
        max_iterations=iterations,
        seed=seed,
        baselines=(BASELINE,),
    )


def _fleet_figures(plan: FleetPlan) -> dict[str, Any]:
    """
    The plan's totals against the :data:`BASELINE` plan, and the split of the saving.

    ``routing_g`` is the baseline minus its own assignment re-routed for CO2
    (``Savings.routing``), ``vehicle_g`` that re-routed plan minus the
    least-CO2 plan (``Savings.assignment``); the two add up to ``saved_g``.
    Percentages are of the baseline's CO2e.
    """
    base = plan.baselines[BASELINE]
    savings = plan.savings[BASELINE]
    own, other = plan.totals, base.totals
    base_g = other["co2e_wtw_g"]
    return {
        "stops": own["stops_served"],
        "unassigned": own["stops_unassigned"],
        "co2_plan_g": own["co2e_wtw_g"],
        "baseline_plan_g": base_g,
        "rerouted_g": savings.rerouted["co2e_wtw_g"],
        "saved_g": savings.co2e_wtw_saved_g,
        "saving_pct": savings.co2e_wtw_saved_pct,
        "routing_g": savings.routing["co2e_wtw_g"],
        "vehicle_g": savings.assignment["co2e_wtw_g"],
        "routing_pct": 100 * savings.routing["co2e_wtw_g"] / base_g,
        "vehicle_pct": 100 * savings.assignment["co2e_wtw_g"] / base_g,
        "resequenced": savings.resequenced,
        "extra_km": savings.extra_distance_m / 1000,
        "extra_min": savings.extra_duration_s / 60,
        "ev_stops": _electric_stops(plan),
        "baseline_ev_stops": _electric_stops(base),
        "vehicles": plan.to_dataframe("vehicles"),
        "baseline_vehicles": base.to_dataframe("vehicles"),
    }


def _electric_stops(plan: FleetPlan) -> int:
    """Stops the plan gives to electric vehicles."""
    frame = plan.to_dataframe("vehicles")
    if frame.empty:
        return 0
    return int(frame.loc[frame["energy_carrier"] == "electricity", "stops"].sum())


# ---------------------------------------------------------------------- figures


def _figure(size: tuple[float, float]) -> tuple[matplotlib.figure.Figure, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=size)


def _save(fig: matplotlib.figure.Figure, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def _route_map(network: RoadNetwork, eco: Any, fastest: Any) -> matplotlib.figure.Figure:
    from matplotlib.collections import LineCollection

    arcs = np.arange(network.arc_count)
    segments = [network.path_coordinates([a], int(network.tail[a])) for a in arcs]
    fig, ax = _figure((6.5, 6.5))
    ax.add_collection(LineCollection(segments, colors="#bbbbbb", linewidths=0.8))
    for route, label, style in (
        (fastest, "fastest", {"color": "#d95f02", "lw": 2.0, "ls": "--"}),
        (eco, "least CO2", {"color": "#1b9e77", "lw": 3.5, "alpha": 0.8}),
    ):
        xy = route.coordinates
        text = f"{label}: {route.co2_g:.0f} g CO2, {route.time_s:.0f} s, {route.distance_m:.0f} m"
        ax.plot(xy[:, 0], xy[:, 1], label=text, **style)
    start = eco.coordinates[0]
    end = eco.coordinates[-1]
    ax.plot(*start, "ko", ms=7, label="start")
    ax.plot(*end, "ks", ms=7, label="end")
    ax.set_aspect(1 / np.cos(np.radians(network.lat.mean())))
    ax.autoscale()
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"The demo trip with the largest saving ({DEMO_VEHICLE})", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    credit = textwrap.fill(ATTRIBUTION, 48)
    ax.text(0.99, 0.01, credit, transform=ax.transAxes, ha="right", va="bottom", fontsize=6)
    return fig


def _tradeoff_plot(pareto: Pareto, trip: int) -> matplotlib.figure.Figure:
    frame = pareto.to_frame()
    fig, ax = _figure((5.0, 3.4))
    ax.plot(frame["time_s"], frame["co2_g"], "o-", color="#1b9e77")
    ax.annotate("fastest", (frame["time_s"].iloc[0], frame["co2_g"].iloc[0]), fontsize=8)
    ax.annotate("least CO2", (frame["time_s"].iloc[-1], frame["co2_g"].iloc[-1]), fontsize=8)
    ax.set_xlabel("travel time, s")
    ax.set_ylabel("CO2, g")
    ax.set_title(f"Trip {trip}: every supported time-CO2 trade-off", fontsize=10)
    ax.margins(0.15)
    ax.grid(alpha=0.3)
    return fig


# ---------------------------------------------------------------------- report


def _img(path: Path | None, alt: str) -> str:
    if path is None or not path.exists():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame, columns: dict[str, str], formats: dict[str, str]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for label in columns.values())
    rows = []
    for record in frame.to_dict("records"):
        cells = []
        for name in columns:
            value = record.get(name)
            text = format(value, formats[name]) if name in formats and value is not None else value
            cells.append(f"<td>{html.escape(str(text))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _report_html(result: DemoResult) -> str:
    """A self-contained HTML page: the figures are inline base64 PNGs."""
    f = result.files
    fleet = result.fleet
    parts = [
        "<h1>ecoroute demo: what eco-routing changes, and what it costs</h1>",
        (
            f"<p>Network: {result.network} (shipped with ecoroute, {html.escape(ATTRIBUTION)}). "
            f"Run in {result.seconds:.1f} s.</p>"
        ),
        "<h2>1. Eco-route against fastest route</h2>",
        (
            f"<p>{result.trips} random trips (ends at least {MIN_TRIP_M:.0f} m apart) for a "
            f"<code>{result.vehicle}</code>, each routed twice: least CO2 and fastest. "
            f"<b>{result.differing} of {result.trips}</b> trips have an eco-route that emits less than "
            f"the fastest route. Over all trips the eco-routes save "
            f"<b>{100 * result.total_saving:.2f} %</b> of the CO2 for "
            f"{100 * result.total_extra_time:.2f} % more driving time.</p>"
        ),
    ]
    if result.best is not None:
        b = result.best
        parts.append(
            f"<p>The trip with the largest saving (trip {b['trip']}): "
            f"{b['fastest_co2_g']:.1f} g &rarr; {b['eco_co2_g']:.1f} g CO2 "
            f"(&minus;{100 * b['saving']:.1f} %), {b['extra_time_s']:+.1f} s. "
            f"{html.escape(_why_greener(b))}</p>"
            + _img(f.get("routes_png"), "map of the eco-route and the fastest route")
        )
    if result.tradeoff is not None:
        parts += [
            "<h2>2. The time-CO2 trade-off of that trip</h2>",
            (
                "<p><code>router.pareto(source, target)</code> returns the supported routes between "
                "the fastest and the greenest: each minimises CO2 plus a price on time. A time "
                "budget such as <code>Router(net, 'van_diesel', 'co2', max_extra_time=0.05)</code> "
                "picks the greenest of them that is at most 5 % slower than the fastest.</p>"
            ),
            _table(
                result.tradeoff,
                {
                    "time_s": "time s",
                    "co2_g": "CO2 g",
                    "extra_time": "extra time",
                    "saving": "CO2 saved",
                },
                {"time_s": ".0f", "co2_g": ".1f", "extra_time": ".1%", "saving": ".1%"},
            ),
            _img(f.get("tradeoff_png"), "time against CO2 of the supported routes"),
        ]
    parts.append(f"<p class='note'>{html.escape(WHY)}</p>")
    parts += [
        "<h2>3. A mixed fleet: least-CO2 plan against time-optimal plan</h2>",
        (
            f"<p>{fleet['stops']} deliveries (30-150 kg, 4 min each) from one depot, two diesel vans "
            "(800 kg) and one electric van (600 kg). The baseline is the plan a dispatcher runs "
            "today, least hours on duty for the same fleet and stops. Both plans are planned by "
            "<code>ecoroute.plan_fleet</code> for the same fleet and stops and scored by the same "
            "emission model at the payload on board. CO2e is well-to-wheel (for the electric van: "
            "the grid's emissions for its charging energy).</p>"
        ),
        (
            f"<p>Least-CO2 plan: <b>{fleet['co2_plan_g'] / 1000:.2f} kg CO2e</b>; time-optimal "
            f"plan: {fleet['baseline_plan_g'] / 1000:.2f} kg. Saved: <b>{fleet['saved_g']:.0f} g "
            f"({fleet['saving_pct']:.1f} %)</b> for {fleet['extra_km']:+.2f} km and "
            f"{fleet['extra_min']:+.1f} min on duty.</p>"
        ),
        (
            f"<p>Split of the saving: <b>routing {fleet['routing_g']:.1f} g "
            f"({fleet['routing_pct']:.2f} %)</b>, <b>vehicle choice {fleet['vehicle_g']:.1f} g "
            f"({fleet['vehicle_pct']:.2f} %)</b>, in two steps: time-optimal plan "
            f"({fleet['baseline_plan_g']:.1f} g) &rarr; the same assignment re-routed for CO2 "
            f"({fleet['rerouted_g']:.1f} g) &rarr; least-CO2 plan ({fleet['co2_plan_g']:.1f} g). "
            "Routing keeps the time plan's assignment (each van its own stops) and re-orders "
            "each van's stops and drives them on least-CO2 roads; vehicle choice is what "
            "choosing which van serves which stops saves on top. The two steps add up to the "
            "saving exactly. "
            + (html.escape(_NEGATIVE_ROUTING) + " " if fleet["routing_g"] < 0 else "")
            + f"{html.escape(_EV_SENTENCE.format(**fleet))}</p>"
        ),
    ]
    columns = {"vehicle": "vehicle", "stops": "stops", "distance_m": "m", "co2e_wtw_g": "g CO2e"}
    formats = {"distance_m": ".0f", "co2e_wtw_g": ".0f"}
    for title, key in (
        ("Least-CO2 plan", "vehicles"),
        ("Time-optimal plan", "baseline_vehicles"),
    ):
        frame = fleet[key]
        if set(columns) <= set(frame.columns):
            parts.append(f"<h3>{title}</h3>" + _table(frame, columns, formats))
    parts.append(
        "<div class='row'>"
        + _img(f.get("fleet_png"), "least-CO2 fleet plan")
        + _img(f.get("fleet_baseline_png"), "time-optimal fleet plan")
        + "</div>"
    )
    parts.append("<h2>Where to go next</h2><ul>")
    parts += [
        f"<li>{html.escape(title)} (<code>docs/{page}</code>): <code>{html.escape(command)}</code></li>"
        for title, command, page in NEXT_STEPS
    ]
    parts.append("</ul>")
    parts.append(f"<p class='note'>{html.escape(ATTRIBUTION)}</p>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.45}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
        "img{max-width:100%}.row img{max-width:49%}.note{color:#555}"
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>ecoroute demo</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )
