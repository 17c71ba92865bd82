"""A PNG map of a fleet plan: roads in grey, one colour per vehicle, depots, stops, unassigned."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import matplotlib.figure

    from .plan import FleetPlan


def plot_plan(
    plan: FleetPlan, path: str | Path | None = None, *, title: str | None = None
) -> matplotlib.figure.Figure:
    """Draw ``plan`` and return the figure; write a PNG to ``path`` if given (see ``FleetPlan.plot``)."""
    import matplotlib

    if path is not None:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from ..datasets import OSM_ATTRIBUTION

    network = plan._require_network()
    geo = plan.to_geojson()["features"]
    points = [f["geometry"]["coordinates"] for f in geo if f["geometry"]["type"] == "Point"]
    lines = [f for f in geo if f["properties"]["kind"] == "leg"]
    xy = np.array(points + [c for f in lines for c in f["geometry"]["coordinates"]], dtype=float)
    fig, ax = plt.subplots(figsize=(9, 9))
    if xy.size:
        (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
        pad_x, pad_y = max((x1 - x0) * 0.08, 0.003), max((y1 - y0) * 0.08, 0.003)
        lon, lat = network.lon, network.lat
        tail, head = network.tail, network.head
        inside = (
            (lon[tail] >= x0 - pad_x) & (lon[tail] <= x1 + pad_x)
            & (lat[tail] >= y0 - pad_y) & (lat[tail] <= y1 + pad_y)
        )  # fmt: skip
        segments: Any = np.stack(
            [
                np.column_stack([lon[tail[inside]], lat[tail[inside]]]),
                np.column_stack([lon[head[inside]], lat[head[inside]]]),
            ],
            axis=1,
        )
        ax.add_collection(LineCollection(segments, colors="#d0d0d0", linewidths=0.5, zorder=1))
        ax.set_xlim(x0 - pad_x, x1 + pad_x)
        ax.set_ylim(y0 - pad_y, y1 + pad_y)
        ax.set_aspect(1 / np.cos(np.radians((y0 + y1) / 2)))

    colours = plt.get_cmap("tab10" if len(plan.routes) <= 10 else "tab20")
    for r, route in enumerate(plan.routes):
        colour = colours(r % colours.N)
        legs = [f for f in lines if f["properties"]["vehicle"] == route.vehicle]
        for n, feature in enumerate(legs):
            c = np.asarray(feature["geometry"]["coordinates"])
            label = None
            if n == 0:
                label = (
                    f"{route.vehicle}: {len(route.stops)} stops, {route.distance_m / 1000:.1f} km, "
                    f"{route.co2e_wtw_g / 1000:.1f} kg CO2e"
                )
                if route.trip > 1:
                    label = label.replace(":", f" trip {route.trip}:", 1)
                if route.soc_end_pct is not None:
                    label += f", battery {route.soc_end_pct:.0f} % at the end"
            ax.plot(c[:, 0], c[:, 1], color=colour, lw=2.0, zorder=3, label=label)
    # Stops served by a battery vehicle are filled by the charge left on arrival.
    charge = plt.get_cmap("RdYlGn")
    charged = False
    for feature in geo:
        kind = feature["properties"]["kind"]
        if kind == "leg":
            continue
        x, y = feature["geometry"]["coordinates"]
        soc = feature["properties"].get("soc_pct")
        if kind == "stop" and soc is not None:
            colour = charge(float(np.clip(soc, 0.0, 100.0)) / 100.0)
            ax.plot(x, y, "o", color=colour, mec="black", ms=7, zorder=4)
            charged = True
        elif kind == "stop":
            ax.plot(x, y, "o", color="white", mec="black", ms=5, zorder=4)
        elif kind == "depot":
            ax.plot(x, y, "s", color="black", ms=9, zorder=5)
        elif kind == "unassigned":
            ax.plot(x, y, "x", color="#d62728", ms=9, mew=2.5, zorder=5)
    totals = plan.totals
    heading = title or (
        f"Fleet plan ({plan.objective}): {totals['vehicles_used']} vehicles, "
        f"{totals['stops_served']} stops, {totals['co2e_wtw_g'] / 1000:.1f} kg CO2e WTW"
    )
    for name, saving in plan.savings.items():
        heading += (
            f"\n{saving.co2e_wtw_saved_pct:.1f} % less CO2e than the {name}-optimal plan, "
            f"{saving.extra_duration_s / 3600:+.1f} h on duty, {saving.extra_distance_m / 1000:+.0f} km"
        )
    if plan.unassigned:
        heading += f"; {len(plan.unassigned)} stops unassigned (red x)"
    ax.set_title(heading, fontsize=10)
    if charged:
        from matplotlib.cm import ScalarMappable
        from matplotlib.colors import Normalize

        scale = ScalarMappable(norm=Normalize(0.0, 100.0), cmap=charge)
        fig.colorbar(scale, ax=ax, shrink=0.5, label="battery on arrival at a stop (%)")
    if plan.routes:
        ax.legend(loc="upper left", fontsize=7, framealpha=0.85)
    ax.text(0.99, 0.01, OSM_ATTRIBUTION, transform=ax.transAxes, ha="right", fontsize=6)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
    return fig
