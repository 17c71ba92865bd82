"""The time-CO2 trade-off: routes between the fastest and the greenest, and time budgets."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    from . import _core
    from .results import PairResults
    from .routing import Route, Router
    from .snapping import Endpoints
    from .turns import TurnEngine

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Interior prices of time, as decades around the network's own ratio of the
#: objective to time (``sum(objective) / sum(time_s)`` over all arcs): from
#: 1/100 to 100 times that ratio, spaced evenly on a log scale.
PRICE_DECADES = (-2.0, 2.0)

#: Relative slack when comparing a route's time with a budget (rounding of sums).
_BUDGET_SLACK = 1e-9


@dataclass(frozen=True)
class Budget:
    """A time budget: at most ``(1 + relative) * fastest + absolute_s`` seconds."""

    relative: float = 0.0
    absolute_s: float = 0.0

    def limit_s(self, fastest_s: FloatArray) -> FloatArray:
        """Seconds allowed for each pair, from the fastest route's time."""
        return (1.0 + self.relative) * fastest_s + self.absolute_s


class Tradeoff:
    """
    The supported points of one router's time-objective trade-off.

    For prices of time ``lambda_0 = 0 < lambda_1 < ... < lambda_K-1 = inf``,
    one query engine minimises ``objective + lambda_k * time_s`` (the
    objective alone for ``k = 0``, time alone for the last). Each gives, per
    pair, a route on the lower-left convex hull of the (time, objective)
    Pareto front: a *supported* route. A bounded eco-route is the least
    objective among those that keep to the time budget; every price also
    gives a Lagrangian lower bound on the exact constrained optimum,

        L(lambda) = objective(P_lambda) + lambda * (time(P_lambda) - budget),

    (for any route P within the budget, objective(P) >= objective(P) +
    lambda * (time(P) - budget) >= L(lambda), P_lambda minimising the priced
    sum), so the gap reported per pair (chosen value minus the best bound)
    says how far the answer can be from the exact optimum. The gap is 0 when
    the optimum is itself a supported route or a grid price certifies it.

    Engines are built once per router, on first use (one customization each
    on a prepared network).
    """

    def __init__(self, router: Router) -> None:
        quantity = _objective_quantity(router)
        self.quantity = quantity
        objective = router.arc_quantities[quantity]
        time_s = router.arc_quantities["time_s"]
        finite = np.isfinite(objective) & np.isfinite(time_s)
        total_time = float(time_s[finite].sum())
        ratio = abs(float(objective[finite].sum())) / total_time if total_time > 0 else 1.0
        ratio = ratio if ratio > 0 else 1.0
        low, high = PRICE_DECADES
        interior = ratio * np.logspace(low, high, num=max(0, router.tradeoff_points - 2))
        self.prices: FloatArray = np.concatenate(([0.0], interior, [np.inf]))
        self._engines: list[_core.QueryEngine | TurnEngine] = []
        #: One view of the router per price: its engine, arc weight and node potential
        #: are the price's, so that part-way queries (ecoroute.snapping) run on it.
        self.views: list[Router] = []
        for price in self.prices:
            if price == 0.0 and router.objective_weights == {quantity: 1.0}:
                self._engines.append(router._engine)  # the router's own objective
                self.views.append(router)
                continue
            weights = {"time_s": 1.0} if np.isinf(price) else {quantity: 1.0, "time_s": price}
            engine, potential, weight = router._make_engine(weights)
            self._engines.append(engine)
            self.views.append(_price_view(router, weights, engine, potential, weight))
        self._report = list(router._report)
        self._objective_column = self._report.index(quantity)
        self._time_column = self._report.index("time_s")

    @property
    def count(self) -> int:
        """Number of prices (engines)."""
        return len(self._engines)

    def pairs(
        self, sources: npt.NDArray[np.uint32], targets: npt.NDArray[np.uint32], threads: int
    ) -> FloatArray:
        """Quantity sums of every supported route: shape ``(K, pairs, quantities)``."""
        return np.stack(
            [e.route_pairs(sources, targets, num_threads=threads)[1] for e in self._engines]
        )

    def matrices(
        self, sources: npt.NDArray[np.uint32], targets: npt.NDArray[np.uint32], threads: int
    ) -> FloatArray:
        """Quantity sums of every supported route: shape ``(K, quantities, rows, columns)``."""
        return np.stack([e.matrix(sources, targets, num_threads=threads)[1] for e in self._engines])

    def paths(
        self,
        sources: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.uint32],
        chosen: IntArray,
        threads: int,
    ) -> tuple[FloatArray, npt.NDArray[np.uint64], npt.NDArray[np.uint32]]:
        """Sums and paths (CSR) of engine ``chosen[i]``'s route for each pair."""
        count = sources.size
        sums = np.empty((count, len(self._report)))
        pieces: list[npt.NDArray[np.uint32]] = [np.empty(0, np.uint32)] * count
        for k in np.unique(chosen):
            rows = np.flatnonzero(chosen == k)
            _, q, offsets, arcs = self._engines[int(k)].route_pairs(
                sources[rows], targets[rows], with_paths=True, num_threads=threads
            )
            sums[rows] = q
            for j, row in enumerate(rows.tolist()):
                pieces[row] = arcs[offsets[j] : offsets[j + 1]]
        lengths = np.fromiter((p.size for p in pieces), dtype=np.uint64, count=count)
        offsets_all = np.concatenate(([0], np.cumsum(lengths))).astype(np.uint64)
        arcs_all = np.concatenate(pieces) if count else np.empty(0, np.uint32)
        return sums, offsets_all, arcs_all.astype(np.uint32, copy=False)

    def partway_pairs(
        self, sources: Endpoints, targets: Endpoints, threads: int, *, progress: bool = False
    ) -> list[PairResults]:
        """
        Every price's route per pair, starting and ending part-way (no paths).

        :func:`ecoroute.snapping.partway_pairs` on each price's view of the
        router; each result also says which arcs its routes start and end on.
        """
        from .snapping import partway_pairs

        return [
            partway_pairs(view, sources, targets, num_threads=threads, progress=progress)
            for view in self.views
        ]

    def stack(self, results: Sequence[PairResults]) -> FloatArray:
        """Quantity sums of one result per price: shape ``(K, pairs, quantities)``."""
        return np.stack(
            [np.stack([r.quantities[name] for name in self._report], axis=-1) for r in results]
        ).reshape(len(results), results[0].cost.size, len(self._report))

    def partway_matrices(self, sources: Endpoints, targets: Endpoints, threads: int) -> FloatArray:
        """Quantity sums of every price's part-way routes: shape ``(K, rows, columns, quantities)``."""
        from .snapping import partway_matrix

        out = []
        for view in self.views:
            _, quantities = partway_matrix(view, sources, targets, num_threads=threads)
            out.append(np.stack([quantities[name] for name in self._report], axis=-1))
        return np.stack(out)

    def partway_paths(
        self, sources: Endpoints, targets: Endpoints, chosen: IntArray, threads: int
    ) -> PairResults:
        """
        Price ``chosen[i]``'s part-way route for each pair, with its path.

        The pairs of one price are routed again with paths
        (:func:`ecoroute.snapping.partway_pairs`) and the answers put back in
        pair order: sums, CSR paths and where each route starts and ends.
        """
        from .results import PairResults
        from .snapping import partway_pairs

        count = len(sources)
        sums = np.empty((count, len(self._report)))
        pieces: list[npt.NDArray[np.uint32]] = [np.empty(0, np.uint32)] * count
        ends: dict[str, Any] = {
            "source_arc": np.full(count, -1, dtype=np.int64),
            "target_arc": np.full(count, -1, dtype=np.int64),
            "source_fraction": np.full(count, np.nan),
            "target_fraction": np.full(count, np.nan),
        }
        for k in np.unique(chosen):
            rows = np.flatnonzero(chosen == k)
            result = partway_pairs(
                self.views[int(k)],
                sources.take(rows),
                targets.take(rows),
                with_paths=True,
                num_threads=threads,
            )
            assert result.path_offsets is not None
            assert result.path_arcs is not None
            sums[rows] = np.stack([result.quantities[name] for name in self._report], axis=-1)
            for name, values in ends.items():
                values[rows] = getattr(result, name)
            offsets = result.path_offsets
            for j, row in enumerate(rows.tolist()):
                pieces[row] = result.path_arcs[offsets[j] : offsets[j + 1]]
        lengths = np.fromiter((p.size for p in pieces), dtype=np.uint64, count=count)
        return PairResults(
            cost=sums[:, self._objective_column].copy(),
            quantities={name: sums[:, j] for j, name in enumerate(self._report)},
            path_offsets=np.concatenate(([0], np.cumsum(lengths))).astype(np.uint64),
            path_arcs=(np.concatenate(pieces) if count else np.empty(0, np.uint32)).astype(
                np.uint32, copy=False
            ),
            **ends,
        )

    def choose(self, objective: FloatArray, time_s: FloatArray, budget: Budget) -> Choice:
        """
        Pick the least-objective supported route within the budget, per pair.

        ``objective`` and ``time_s`` have shape ``(K, ...)`` (one row per
        price). Returns the chosen price index, the fastest route's time and
        objective, the limit and the Lagrangian lower bound, per pair.
        """
        fastest_time = time_s[-1]
        fastest_objective = objective[-1]
        limit = budget.limit_s(fastest_time)
        slack = _BUDGET_SLACK * np.maximum(np.abs(limit), 1.0)
        feasible = time_s <= limit + slack
        masked = np.where(feasible, objective, np.inf)
        # Least objective; among equal ones the fastest (the highest price).
        best = masked.min(axis=0)
        candidates = feasible & (masked <= best)
        chosen = (self.count - 1) - np.argmax(candidates[::-1], axis=0)
        finite_prices = self.prices[:-1].reshape((-1,) + (1,) * (objective.ndim - 1))
        with np.errstate(invalid="ignore"):  # unreachable pairs: inf - inf
            bounds = objective[:-1] + finite_prices * (time_s[:-1] - limit)
        lower = np.max(np.where(np.isfinite(bounds), bounds, -np.inf), axis=0)
        unreachable = ~np.isfinite(fastest_time)
        chosen = np.where(unreachable, self.count - 1, chosen)
        return Choice(
            chosen=chosen.astype(np.intp),
            fastest_time_s=fastest_time,
            fastest_objective=fastest_objective,
            limit_s=limit,
            lower_bound=np.where(unreachable, np.inf, lower),
        )

    def split(self, sums: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Objective and time out of quantity sums whose last axis is the quantity."""
        return sums[..., self._objective_column], sums[..., self._time_column]


@dataclass(frozen=True)
class Choice:
    """Which supported route each pair takes under a budget, and what it is measured against."""

    chosen: IntArray
    fastest_time_s: FloatArray
    fastest_objective: FloatArray
    limit_s: FloatArray
    lower_bound: FloatArray

    def gap(self, value: FloatArray) -> FloatArray:
        """How far each chosen value can be above the exact optimum (>= 0; inf if unreachable)."""
        with np.errstate(invalid="ignore"):
            gap = np.maximum(value - self.lower_bound, 0.0)
        return np.where(np.isfinite(self.fastest_time_s), gap, np.inf)


@dataclass(frozen=True, eq=False)
class Pareto:
    """
    The supported routes of one pair's time-objective trade-off, sorted by time.

    The first route is the fastest, the last the one with the least objective
    (CO2 by default); every route in between is faster than the next and
    emits more. Each is a :class:`ecoroute.Route`.
    """

    routes: tuple[Route, ...]
    quantity: str
    prices: FloatArray

    def to_frame(self) -> pd.DataFrame:
        """One row per route: its price of time, extra time and saving against the fastest."""
        rows = []
        fastest = self.routes[0]
        for route, price in zip(self.routes, self.prices, strict=True):
            row: dict[str, Any] = {"price_per_s": price}
            row.update(route.quantities)
            row["extra_time"] = route.time_s / fastest.time_s - 1 if fastest.time_s else 0.0
            base = fastest.quantities[self.quantity]
            row["saving"] = 1 - route.quantities[self.quantity] / base if base else 0.0
            rows.append(row)
        return pd.DataFrame(rows)

    def to_geojson(self) -> dict[str, Any]:
        """A GeoJSON FeatureCollection, one LineString feature per route (figures as properties)."""
        features = []
        for rank, (route, row) in enumerate(
            zip(self.routes, self.to_frame().to_dict("records"), strict=True)
        ):
            feature = route.to_geojson()
            feature["properties"] = {
                **feature.get("properties", {}),
                **{k: _json_number(v) for k, v in row.items()},
                "rank": rank,
            }
            features.append(feature)
        return {"type": "FeatureCollection", "features": features}

    def to_geojson_str(self) -> str:
        """:meth:`to_geojson` as a string."""
        return json.dumps(self.to_geojson())


def pareto_front(objective: FloatArray, time_s: FloatArray) -> list[int]:
    """
    Indices of the non-dominated points among (time, objective) pairs, sorted by time.

    A point is kept unless another is no slower and emits no more and is
    better in one of the two; of equal points the first is kept.
    """
    order = np.lexsort((objective, time_s))
    kept: list[int] = []
    best = np.inf
    for i in order.tolist():
        if not np.isfinite(time_s[i]):
            continue
        if not kept or objective[i] < best - 1e-9 * max(1.0, abs(best)):
            kept.append(i)
            best = objective[i]
    return kept


def tradeoff_table(
    router: Router,
    sums: FloatArray,
    tradeoff: Tradeoff,
    budgets: Sequence[float],
) -> pd.DataFrame:
    """Totals over many pairs at each relative budget: what a fleet saves for extra time."""
    objective, time_s = tradeoff.split(sums)
    reachable = np.isfinite(time_s[-1])
    rows = []
    fastest_objective = objective[-1][reachable].sum()
    fastest_time = time_s[-1][reachable].sum()
    for relative in budgets:
        choice = tradeoff.choose(objective, time_s, Budget(relative=float(relative)))
        pick = np.take_along_axis(objective, choice.chosen[None], axis=0)[0][reachable]
        pick_time = np.take_along_axis(time_s, choice.chosen[None], axis=0)[0][reachable]
        rows.append(
            {
                "max_extra_time": float(relative),
                "pairs": int(reachable.sum()),
                tradeoff.quantity: float(pick.sum()),
                "time_s": float(pick_time.sum()),
                "saving": 1 - float(pick.sum()) / fastest_objective if fastest_objective else 0.0,
                "extra_time": float(pick_time.sum()) / fastest_time - 1 if fastest_time else 0.0,
                "gap": float(choice.gap(pick_raw(objective, choice))[reachable].sum()),
            }
        )
    frame = pd.DataFrame(rows)
    frame.attrs["vehicle"] = router.vehicle.name
    return frame


def pick_raw(objective: FloatArray, choice: Choice) -> FloatArray:
    """The chosen route's objective per pair (all pairs, unreachable ones included)."""
    return np.take_along_axis(objective, choice.chosen[None], axis=0)[0]


def gap_column(quantity: str) -> str:
    """Name of the gap column of an objective quantity: ``co2_g`` -> ``co2_gap_g``."""
    base, _, unit = quantity.rpartition("_")
    return f"{base}_gap_{unit}"


def _price_view(
    router: Router,
    weights: Mapping[str, float],
    engine: _core.QueryEngine | TurnEngine,
    potential: FloatArray | None,
    weight: FloatArray,
) -> Router:
    """
    A shallow copy of ``router`` that minimises ``weights``: its engine, weight and potential.

    What part-way queries read of a router (:mod:`ecoroute.snapping`): the
    engine, the per-arc weight that prices the part-driven first and last
    arcs, the node potential that undoes the engine's reduced costs (an EV's
    weights can be negative) and the objective weights (turn-aware loops).
    Quantities, turns and everything else are the router's own. The same
    pattern as :meth:`ecoroute.traffic.TrafficRouting.router_at`.
    """
    import copy

    view = copy.copy(router)
    view._engine = engine
    view.node_potential = potential
    view.weight = weight
    view.objective_weights = dict(weights)
    view.max_extra_time = view.max_extra_time_s = None  # a view answers for its price alone
    return view


def _objective_quantity(router: Router) -> str:
    """The one quantity a bounded eco-route minimises (the router's objective, not time)."""
    weights: Mapping[str, float] = router.objective_weights
    names = [q for q, f in weights.items() if f]
    if len(names) != 1 or names[0] == "time_s":
        msg = (
            "time budgets and trade-offs need a single objective other than time "
            f"(e.g. objective='co2'); this router minimises {router._label!r}."
        )
        raise ValueError(msg)
    return names[0]


def _json_number(value: Any) -> Any:
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


__all__ = ["Budget", "Pareto", "Tradeoff", "pareto_front"]
