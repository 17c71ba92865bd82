"""Customizable contraction hierarchies: one preprocessing per map, a cheap customization per vehicle."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from . import _core
from ._errors import NetworkError
from ._geo import unit_vectors
from ._validate import as_index_array

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .routing import Router

FloatArray = npt.NDArray[np.float64]

#: Names of the arrays :meth:`Hierarchy.to_arrays` returns and
#: :meth:`Hierarchy.from_arrays` accepts (all uint32).
ARRAY_NAMES = ("order", "up_first_out", "up_head")

#: Cells per C++ call in :meth:`Router.matrix` (rows are split into blocks of
#: about this many cells, so that Ctrl-C is honoured between blocks).
_MATRIX_BLOCK_CELLS = 4_000_000


class Hierarchy:
    """
    The metric-independent preprocessing of a road network: a customizable contraction hierarchy.

    Built once per network by :meth:`RoadNetwork.prepare` (Dibbelt, Strasser
    & Wagner, "Customizable Contraction Hierarchies", 2014): a
    nested-dissection order of the nodes (inertial flow on the node
    coordinates) and the chordal supergraph that contracting the nodes in
    that order produces. Every :class:`ecoroute.Router` on the network then
    *customizes* it for its own vehicle and objective in milliseconds and
    answers queries in microseconds; :meth:`Router.matrix` computes
    origin-destination matrices from it.

    The hierarchy knows nothing about weights, so one serves every vehicle.
    Save it with :meth:`to_arrays` and load it with
    ``network.prepare(arrays=...)`` (validated, no recomputation), or keep
    only ``to_arrays()["order"]`` and rebuild with
    ``network.prepare(order=...)`` (about a tenth of a second on a city).

    Attributes
    ----------
    node_count
        Nodes of the network.
    arc_count
        Arcs of the hierarchy (undirected edges of the chordal supergraph).
    tree_height
        Height of the elimination tree: no query visits more nodes per side.
    triangle_count
        Lower triangles: the work of one customization.
    memory_bytes
        Bytes held by the metric-independent hierarchy.
    """

    def __init__(self, cch: _core.Cch) -> None:
        """Wrap a built ``_core.Cch``; use :meth:`RoadNetwork.prepare` instead."""
        self._cch = cch

    # ------------------------------------------------------------------ builders

    @classmethod
    def build(
        cls,
        network: RoadNetwork,
        *,
        order: npt.ArrayLike | None = None,
        num_threads: int = 0,
    ) -> Hierarchy:
        """
        Compute the hierarchy of ``network``, or rebuild it from a stored ``order``.

        Parameters
        ----------
        network
            The road network.
        order
            Node indices (dense, ``0 .. node_count - 1``) from the lowest rank
            to the highest, e.g. ``to_arrays()["order"]`` of an earlier
            hierarchy. Any permutation is accepted; computed by nested
            dissection when None.
        num_threads
            Threads for the nested dissection; 0 uses every core.

        Raises
        ------
        NetworkError
            (a ``ValueError``) if ``order`` is not a permutation of the nodes.
        """
        graph = network._graph
        if order is None:
            x, y, z = unit_vectors(network.lat, network.lon)
            nodes = _core.nested_dissection_order(
                graph, x, y, z, num_threads=_check_threads(num_threads)
            )
        else:
            nodes = _as_uint32(order, "order", size=network.node_count, upper=network.node_count)
        try:
            return cls(_core.Cch(graph, nodes))
        except (ValueError, IndexError) as error:
            raise NetworkError(str(error)) from error

    @classmethod
    def from_arrays(cls, network: RoadNetwork, arrays: Mapping[str, npt.ArrayLike]) -> Hierarchy:
        """
        Load a hierarchy saved with :meth:`to_arrays`, checking that it fits ``network``.

        The arrays are validated in time linear in their size (a permutation,
        upward arcs in increasing rank order, a chordal graph, an arc for every
        input arc) instead of being recomputed.

        Raises
        ------
        NetworkError
            (a ``ValueError``) if an array is missing, malformed, or does not
            belong to this network.
        """
        missing = [name for name in ARRAY_NAMES if name not in arrays]
        if missing:
            msg = f"hierarchy arrays lack {', '.join(missing)}; expected {', '.join(ARRAY_NAMES)}."
            raise NetworkError(msg)
        n = network.node_count
        order = _as_uint32(arrays["order"], "order", size=n, upper=n)
        up_first_out = _as_uint32(arrays["up_first_out"], "up_first_out", size=n + 1)
        up_head = _as_uint32(arrays["up_head"], "up_head", upper=n)
        try:
            return cls(_core.Cch.from_arrays(network._graph, order, up_first_out, up_head))
        except (ValueError, IndexError) as error:
            msg = f"hierarchy arrays do not fit this network: {error}"
            raise NetworkError(msg) from error

    def to_arrays(self) -> dict[str, npt.NDArray[np.uint32]]:
        """
        Return the hierarchy as plain arrays (copies), for saving with the network.

        ``order`` lists node indices from the lowest rank to the highest;
        ``up_first_out``/``up_head`` are the upward CSR over ranks (the arcs of
        rank ``r`` lead to ranks ``up_head[up_first_out[r]:up_first_out[r+1]]``).
        Everything else is derived on loading.
        """
        return {name: np.array(getattr(self._cch, name), dtype=np.uint32) for name in ARRAY_NAMES}

    # ------------------------------------------------------------------ properties

    @property
    def node_count(self) -> int:
        """Nodes of the network."""
        return int(self._cch.node_count)

    @property
    def arc_count(self) -> int:
        """Arcs of the hierarchy."""
        return int(self._cch.arc_count)

    @property
    def tree_height(self) -> int:
        """Height of the elimination tree."""
        return int(self._cch.tree_height)

    @property
    def triangle_count(self) -> int:
        """Lower triangles (the work of one customization)."""
        return int(self._cch.triangle_count)

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the hierarchy (the network not counted)."""
        return int(self._cch.memory_bytes)

    @property
    def order(self) -> npt.NDArray[np.uint32]:
        """Node index of each rank, lowest first (read-only view)."""
        return self._cch.order

    def __repr__(self) -> str:
        return (
            f"Hierarchy(nodes={self.node_count:,}, arcs={self.arc_count:,}, "
            f"tree_height={self.tree_height})"
        )

    # ------------------------------------------------------------------ per vehicle

    def customize(self, metric: _core.Metric, *, num_threads: int = 0) -> CchEngine:
        """Customize the hierarchy for one metric (what :class:`Router` does per vehicle)."""
        return CchEngine(self, metric, num_threads=num_threads)


class CchEngine:
    """
    One customized metric and its batch router: what a Router holds when it uses the hierarchy.

    Offers the same ``route_pairs`` as ``_core.PairRouter`` (so :class:`Router`
    routes through either unchanged), ``one_to_all`` costs, and matrices with
    per-quantity sums.
    """

    algorithm = "cch"

    def __init__(self, hierarchy: Hierarchy, metric: _core.Metric, *, num_threads: int = 0) -> None:
        self.hierarchy = hierarchy
        self.metric = _core.CchMetric(hierarchy._cch, metric, num_threads=num_threads)
        self._router = _core.CchRouter(self.metric)
        self._quantities: tuple[tuple[int, ...], _core.CchQuantities] | None = None

    def route_pairs(
        self,
        sources: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.uint32],
        sum_over: list[FloatArray] | None = None,
        *,
        with_paths: bool = False,
        num_threads: int = 0,
    ) -> tuple[Any, ...]:
        """
        Cost, sums, path offsets and arcs of each pair (see ``_core.PairRouter``).

        Without paths, the sums come from quantities customized along the
        hierarchy's shortcuts (once per Router), so no path is unpacked.
        """
        if sum_over and not with_paths:
            return self._router.route_pairs(
                sources, targets, num_threads=num_threads, quantities=self._customized(sum_over)
            )
        return self._router.route_pairs(
            sources, targets, sum_over or [], with_paths=with_paths, num_threads=num_threads
        )

    def _customized(self, quantities: list[FloatArray]) -> _core.CchQuantities:
        """The quantities carried along this metric's shortcuts (built once per list of arrays)."""
        key = tuple(id(q) for q in quantities)
        if self._quantities is None or self._quantities[0] != key:
            # The arrays are the Router's own, alive as long as it is.
            self._quantities = (key, _core.CchQuantities(self.metric, quantities))
        return self._quantities[1]

    def one_to_all(self, source: int) -> tuple[FloatArray, None]:
        """Cost from ``source`` to every node (no predecessor arcs)."""
        return self._router.costs_from(source), None

    def matrix(
        self,
        sources: npt.NDArray[np.uint32],
        targets: npt.NDArray[np.uint32],
        quantities: list[FloatArray],
        *,
        num_threads: int,
    ) -> tuple[FloatArray, FloatArray]:
        """Cost matrix and per-quantity matrices (NaN where unreachable)."""
        return self._router.matrix(
            sources, targets, self._customized(quantities), num_threads=num_threads
        )


@dataclass(frozen=True, eq=False)
class ODMatrix:
    """
    Origin-destination matrix: least-cost routes from every source to every target.

    Row ``i`` is ``sources[i]``, column ``j`` is ``targets[j]``. Every
    quantity is summed along the same route as ``cost`` (the route
    :meth:`Router.route` returns for that pair).

    Attributes
    ----------
    sources, targets
        Node ids used (OSM ids for OSM data), after snapping coordinates.
    cost
        Value of the router's objective, shape ``(len(sources), len(targets))``;
        ``inf`` where the target cannot be reached.
    quantities
        Every quantity the vehicle model reports (``co2_g``, ``time_s``,
        ``distance_m``, ``fuel_l`` or ``energy_kwh``, ...), each a matrix of
        the same shape, ``inf`` where unreachable.
    source_snap_m, target_snap_m
        Distance from requested coordinates to the nodes used (0 for ids).
    """

    sources: npt.NDArray[np.int64]
    targets: npt.NDArray[np.int64]
    cost: FloatArray
    quantities: Mapping[str, FloatArray]
    source_snap_m: FloatArray
    target_snap_m: FloatArray
    vehicle: str = ""
    objective: str = ""
    algorithm: str = ""

    @property
    def shape(self) -> tuple[int, int]:
        """(number of sources, number of targets)."""
        return (len(self.sources), len(self.targets))

    @property
    def reachable(self) -> npt.NDArray[np.bool_]:
        """Whether each target can be reached from each source."""
        return np.isfinite(self.cost)

    @property
    def co2_g(self) -> FloatArray:
        """Tank-to-wheel CO2 in grams along each route."""
        return self.quantities["co2_g"]

    @property
    def time_s(self) -> FloatArray:
        """Free-flow travel time in seconds along each route."""
        return self.quantities["time_s"]

    @property
    def distance_m(self) -> FloatArray:
        """Length in metres of each route."""
        return self.quantities["distance_m"]

    def __getitem__(self, name: str) -> FloatArray:
        """Return ``"cost"`` or a quantity's matrix by name."""
        if name == "cost":
            return self.cost
        return self.quantities[name]

    def to_frame(self) -> pd.DataFrame:
        """Return one row per (source, target) pair, like :meth:`Router.route_many`."""
        rows, columns = self.shape
        frame: dict[str, Any] = {
            "source": np.repeat(self.sources, columns),
            "target": np.tile(self.targets, rows),
            "reachable": self.reachable.ravel(),
            "cost": self.cost.ravel(),
        }
        for name, values in self.quantities.items():
            frame[name] = values.ravel()
        frame["source_snap_m"] = np.repeat(self.source_snap_m, columns)
        frame["target_snap_m"] = np.tile(self.target_snap_m, rows)
        return pd.DataFrame(frame)


def od_matrix(router: Router, sources: Any, targets: Any, *, num_threads: int) -> ODMatrix:
    """Compute :meth:`Router.matrix` (the implementation behind it)."""
    s, s_snap = router._resolve(sources, "sources")
    t, t_snap = router._resolve(targets, "targets")
    names = list(router._report)
    arrays = [router.arc_quantities[q] for q in names]
    rows, columns = s.size, t.size
    cost = np.full((rows, columns), np.inf)
    sums = np.full((len(names), rows, columns), np.nan)
    engine = router._router
    if rows and columns:
        block = max(1, _MATRIX_BLOCK_CELLS // columns)
        for begin in range(0, rows, block):
            end = min(rows, begin + block)
            if isinstance(engine, CchEngine):
                c, q = engine.matrix(s[begin:end], t, arrays, num_threads=num_threads)
            else:  # no hierarchy: one search per pair, the paths route() takes
                pair_s = np.repeat(s[begin:end], columns)
                pair_t = np.tile(t, end - begin)
                c, q, _, _ = engine.route_pairs(pair_s, pair_t, arrays, num_threads=num_threads)
                c = c.reshape(end - begin, columns)
                q = np.moveaxis(q.reshape(end - begin, columns, len(names)), 2, 0)
            cost[begin:end] = c
            sums[:, begin:end] = q
    phi = router.node_potential
    if phi is not None:  # undo the potential shift, as route() does
        cost = cost - phi[s.astype(np.intp)][:, None] + phi[t.astype(np.intp)][None, :]
    reachable = np.isfinite(cost)
    sums[:, ~reachable] = np.inf
    quantities = {name: sums[j] for j, name in enumerate(names)}
    for values in (cost, *quantities.values()):
        values.flags.writeable = False
    node_id = router.network.node_id
    return ODMatrix(
        sources=node_id[s],
        targets=node_id[t],
        cost=cost,
        quantities=quantities,
        source_snap_m=s_snap,
        target_snap_m=t_snap,
        vehicle=router.vehicle.name,
        objective=_label(router),
        algorithm=router.algorithm,
    )


def _label(router: Router) -> str:
    objective = router.objective
    if isinstance(objective, str):
        return objective
    return "+".join(f"{factor:g}*{name}" for name, factor in objective.items())


def _as_uint32(
    values: npt.ArrayLike, name: str, *, size: int | None = None, upper: int | None = None
) -> npt.NDArray[np.uint32]:
    try:
        return as_index_array(values, name, size=size, upper=upper)
    except (TypeError, ValueError, IndexError) as error:
        raise NetworkError(str(error)) from error


def _check_threads(num_threads: int) -> int:
    if not isinstance(num_threads, int | np.integer) or num_threads < 0:
        msg = f"num_threads must be an integer >= 0 (0 = all cores), got {num_threads!r}."
        raise ValueError(msg)
    return int(num_threads)


def prepare_network(
    network: RoadNetwork,
    *,
    order: npt.ArrayLike | None = None,
    arrays: Mapping[str, npt.ArrayLike] | None = None,
    num_threads: int = 0,
) -> Hierarchy:
    """Build (or load) the hierarchy of ``network``: the logic behind :meth:`RoadNetwork.prepare`."""
    if order is not None and arrays is not None:
        msg = "give either order or arrays, not both."
        raise ValueError(msg)
    if arrays is not None:
        return Hierarchy.from_arrays(network, arrays)
    return Hierarchy.build(network, order=order, num_threads=num_threads)


__all__ = ["ARRAY_NAMES", "Hierarchy", "ODMatrix"]
