"""Customizable contraction hierarchies: one preprocessing per map, a cheap customization per vehicle."""

from __future__ import annotations

import warnings
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import _core
from ._errors import NetworkError
from ._geo import unit_vectors
from ._validate import as_index_array

if TYPE_CHECKING:
    from .network import RoadNetwork

FloatArray = npt.NDArray[np.float64]

#: Names of the arrays :meth:`Hierarchy.to_arrays` returns and
#: :meth:`Hierarchy.from_arrays` accepts (all uint32).
ARRAY_NAMES = ("order", "up_first_out", "up_head")


class Hierarchy:
    """
    The metric-independent preprocessing of a road network: a customizable contraction hierarchy.

    Built once per network by :meth:`RoadNetwork.prepared` (Dibbelt, Strasser
    & Wagner, "Customizable Contraction Hierarchies", 2014): a
    nested-dissection order of the nodes (inertial flow on the node
    coordinates) and the chordal supergraph that contracting the nodes in
    that order produces. Every :class:`ecoroute.Router` on the network then
    *customizes* it for its own vehicle and objective in milliseconds and
    answers queries in microseconds; :meth:`Router.matrix` computes
    origin-destination matrices from it.

    The hierarchy knows nothing about weights, so one serves every vehicle.
    Save it with :meth:`to_arrays` and load it with
    ``network.prepared(arrays=...)`` (validated, no recomputation), or keep
    only ``to_arrays()["order"]`` and rebuild with
    ``network.prepared(order=...)`` (about a tenth of a second on a city).

    Attributes
    ----------
    node_count
        Nodes of the network.
    edge_count
        Edges of the hierarchy (undirected edges of the chordal supergraph;
        each is customized in both directions). ``arc_count`` is a
        deprecated alias.
    tree_height
        Height of the elimination tree: no query visits more nodes per side.
    triangle_count
        Lower triangles: the work of one customization.
    memory_bytes
        Bytes held by the metric-independent hierarchy.
    """

    def __init__(self, cch: _core.Cch) -> None:
        """Wrap a built ``_core.Cch``; use :meth:`RoadNetwork.prepared` instead."""
        self._cch = cch

    # ------------------------------------------------------------------ builders

    @classmethod
    def build(
        cls,
        network: RoadNetwork,
        *,
        order: npt.ArrayLike | None = None,
        num_threads: int = 0,
        progress: bool | None = None,
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
        progress
            A progress bar over the two steps (node order, contraction):
            None (the default) on a terminal only, unless ``ECOROUTE_QUIET``
            is set; True always; False never.

        Raises
        ------
        NetworkError
            (a ``ValueError``) if ``order`` is not a permutation of the nodes.
        """
        from tqdm.auto import tqdm

        from ._progress import disable

        graph = network.graph
        steps = tqdm(total=2, unit="step", desc="prepare: node order", disable=disable(progress))
        with steps:
            if order is None:
                x, y, z = unit_vectors(network.lat, network.lon)
                nodes = _core.nested_dissection_order(
                    graph, x, y, z, num_threads=_check_threads(num_threads)
                )
            else:
                nodes = _as_uint32(
                    order, "order", size=network.node_count, upper=network.node_count
                )
            steps.update(1)
            steps.set_description(f"prepare: contraction of {network.node_count:,} nodes")
            try:
                built = cls(_core.Cch(graph, nodes))
            except (ValueError, IndexError) as error:
                raise NetworkError(str(error)) from error
            steps.update(1)
        return built

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
            return cls(_core.Cch.from_arrays(network.graph, order, up_first_out, up_head))
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
    def edge_count(self) -> int:
        """Undirected edges of the hierarchy (each customized in both directions)."""
        return int(self._cch.arc_count)

    @property
    def arc_count(self) -> int:
        """Deprecated alias of :attr:`edge_count` (arcs mean directed arcs elsewhere)."""
        warnings.warn(
            "Hierarchy.arc_count is deprecated: use Hierarchy.edge_count (undirected edges).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.edge_count

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
            f"Hierarchy(nodes={self.node_count:,}, edges={self.edge_count:,}, "
            f"tree_height={self.tree_height})"
        )

    # ------------------------------------------------------------------ per vehicle

    def customize(self, metric: _core.Metric, *, num_threads: int = 0) -> _core.CchMetric:
        """
        Return the hierarchy customized for one metric (one weight per arc of the network).

        The metric must be built on this network's graph object. This is what
        :class:`ecoroute.Router` does for its vehicle and objective.
        """
        return _core.CchMetric(self._cch, metric, num_threads=_check_threads(num_threads))


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
    progress: bool | None = None,
) -> Hierarchy:
    """Build (or load) the hierarchy of ``network``: the logic behind :meth:`RoadNetwork.prepared`."""
    if order is not None and arrays is not None:
        msg = "give either order or arrays, not both."
        raise ValueError(msg)
    if arrays is not None:
        return Hierarchy.from_arrays(network, arrays)
    return Hierarchy.build(network, order=order, num_threads=num_threads, progress=progress)


_LAZY: weakref.WeakKeyDictionary[Any, Hierarchy] = weakref.WeakKeyDictionary()


def lazy_hierarchy(
    network: RoadNetwork, *, num_threads: int = 0, progress: bool | None = None
) -> Hierarchy:
    """
    The network's hierarchy: its own if prepared, else one built now and kept with it.

    What a ``Router`` with ``algorithm="auto"`` uses when a request is big enough
    that preparing pays (:data:`ecoroute.routing.PREPARE_AT_PAIRS`); networks are
    immutable, so every router on the same network object shares it.
    """
    if network.hierarchy is not None:
        return network.hierarchy
    hierarchy = _LAZY.get(network)
    if hierarchy is None:
        hierarchy = _LAZY[network] = Hierarchy.build(
            network, num_threads=num_threads, progress=progress
        )
    return hierarchy


__all__ = ["ARRAY_NAMES", "Hierarchy", "lazy_hierarchy"]
