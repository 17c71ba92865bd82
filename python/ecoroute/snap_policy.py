"""Which road a coordinate routes from: the nearest one, or the largest part's when that cannot reach."""

# OSRM's rule (issue 24). Every coordinate first snaps to the nearest road its
# vehicle may drive at all, in whatever part of the network it lies: on a small or
# clipped map (a district, an island, a test map) that is the road the point is
# beside. Only a pair those snaps cannot join (an infinite cost) is routed again,
# with the ends whose nearest road is not on the largest strongly connected part
# moved to that part's nearest road: the source alone, then the target alone, then
# both, the first that joins them wins. Every query (one route, pairs, a matrix,
# with a departure or a time budget) goes through the same rule, so a matrix cell
# equals the single route between the same points.
#
# The largest part's snaps are only looked up for the points of pairs that need
# them, so queries whose pairs all join pay one snap per point, as before.

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt

from ._errors import NoRouteError, SnapError
from .snapping import ArcSnapper, Endpoints, snapper_for

if TYPE_CHECKING:
    from .network import RoadNetwork
    from .results import PairResults

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
T = TypeVar("T")

#: How a route's end was placed: a node given by id, the nearest road the vehicle
#: may drive, or the nearest road of the largest strongly connected part (the fallback).
SnapKind = Literal["node", "nearest", "largest_part"]
SNAP_KINDS: tuple[SnapKind, ...] = ("node", "nearest", "largest_part")

#: Bits of :attr:`ecoroute.ODMatrix.snap_fallback`: the cell's source, or target,
#: routes from its largest part's snap.
MOVED_SOURCE = 1
MOVED_TARGET = 2

#: The fallbacks tried, in order, for a pair whose nearest snaps are not joined:
#: (move the source, move the target). Fewest moves first; of one, the source first.
FALLBACK_ORDER: tuple[tuple[bool, bool], ...] = ((True, False), (False, True), (True, True))


def nearest_snapper(network: RoadNetwork, closed: npt.ArrayLike | None) -> ArcSnapper:
    """
    The snapper onto every road the vehicle may drive (``closed`` arcs left out), built once.

    Where every open arc is in the largest strongly connected part (a network
    loaded with ``largest_component=True`` for a vehicle without
    restrictions), it is the largest part's snapper itself: no second index.
    """
    largest = snapper_for(network, closed)
    open_count = network.arc_count - (0 if closed is None else int(np.count_nonzero(closed)))
    if largest.usable_arcs.size == open_count:
        return largest
    return snapper_for(network, closed, usable="all")


@dataclass(frozen=True)
class PointSnaps:
    """
    A query's points at their nearest snaps, and how to move them onto the largest part.

    Attributes
    ----------
    nearest
        Each point on the nearest road the vehicle may drive (a node given by
        id stays that node).
    lat, lon
        The requested coordinates (NaN for points given as nodes).
    fallback
        The snapper of the largest strongly connected part, or None where no
        point can be moved (nodes given by id, points resolved beforehand, or
        a network whose every open road is on the largest part).
    limit_m
        The snapping limit: a largest-part snap farther than this is not used.
    given_as_node
        Per point, whether it was given as a node (its kind is ``"node"``).
    """

    nearest: Endpoints
    lat: FloatArray
    lon: FloatArray
    fallback: ArcSnapper | None
    limit_m: float
    given_as_node: BoolArray

    @classmethod
    def fixed(cls, ends: Endpoints) -> PointSnaps:
        """Points that stay where they are (nodes by id, or points resolved beforehand)."""
        nan = np.full(len(ends), np.nan)
        at_node = (ends.arc < 0) & (ends.distance_m == 0)
        return cls(ends, nan, nan, None, np.inf, at_node)

    @classmethod
    def snapped(
        cls,
        network: RoadNetwork,
        lat: FloatArray,
        lon: FloatArray,
        *,
        nearest: ArcSnapper,
        largest_part: ArcSnapper,
        limit_m: float,
        name: str,
    ) -> PointSnaps:
        """
        Snap coordinates onto the nearest road ``nearest`` holds.

        Raises
        ------
        SnapError
            Naming the first point farther than ``limit_m`` from every road
            the vehicle may drive.
        """
        snap = nearest.snap(lat, lon, max_snap_m=limit_m, name=name)
        ends = Endpoints.snapped(network, snap, lat, lon)
        fallback = None if largest_part is nearest else largest_part
        return cls(ends, lat, lon, fallback, limit_m, np.zeros(len(ends), dtype=bool))

    def __len__(self) -> int:
        return len(self.nearest)

    def largest_part(self, rows: npt.ArrayLike) -> tuple[Endpoints, BoolArray]:
        """
        Every point, those at ``rows`` moved to their largest part's snap where it differs.

        Returns the endpoints (the nearest snaps elsewhere) and a mask of the
        points moved: a point whose nearest road is on the largest part, or
        whose largest part's road is beyond the snapping limit, stays put.
        """
        moved = np.zeros(len(self), dtype=bool)
        at = np.unique(np.asarray(rows, dtype=np.intp))
        at = at[np.isfinite(self.lat[at])]  # points given as nodes stay
        if self.fallback is None or at.size == 0:
            return self.nearest, moved
        network = self.fallback.network
        try:
            snap = self.fallback.snap(self.lat[at], self.lon[at], max_snap_m=np.inf)
        except SnapError:  # the largest part has no arc at all: nothing to fall back to
            return self.nearest, moved
        big = Endpoints.snapped(network, snap, self.lat[at], self.lon[at])
        near = self.nearest.take(at)
        differs = (big.arc != near.arc) | (big.node != near.node) | (big.fraction != near.fraction)
        differs &= big.distance_m <= self.limit_m
        moved[at[differs]] = True
        return self.nearest.replace(at[differs], big.take(differs)), moved

    def kind(self, i: int, moved: bool) -> SnapKind:
        """The :data:`SnapKind` of point ``i``, given whether it was ``moved``."""
        if self.given_as_node[i]:
            return "node"
        return "largest_part" if moved else "nearest"

    def kinds(self, moved: BoolArray) -> npt.NDArray[np.str_]:
        """Per point, its :data:`SnapKind` given which points were ``moved``."""
        return np.where(
            self.given_as_node, "node", np.where(moved, "largest_part", "nearest")
        ).astype(str)


# ---------------------------------------------------------------------- one pair


@dataclass(frozen=True)
class Chosen(Generic[T]):
    """What one query's fallback chose: its answer and whether each end was moved."""

    value: T
    source_moved: bool
    target_moved: bool


def first_joined(
    attempt: Callable[[Endpoints, Endpoints], T], source: PointSnaps, target: PointSnaps
) -> Chosen[T]:
    """
    ``attempt(source, target)`` between the nearest snaps, then the fallbacks, in order.

    ``attempt`` raises :class:`NoRouteError` when the two ends are not
    joined; if no fallback joins them either, the first error (between the
    nearest snaps, which the user asked for) is raised.
    """
    try:
        return Chosen(attempt(source.nearest, target.nearest), False, False)
    except NoRouteError as error:
        first = error
    big_source, source_movable = source.largest_part([0])
    big_target, target_movable = target.largest_part([0])
    for move_source, move_target in FALLBACK_ORDER:
        if (move_source and not source_movable[0]) or (move_target and not target_movable[0]):
            continue
        try:
            value = attempt(
                big_source if move_source else source.nearest,
                big_target if move_target else target.nearest,
            )
        except NoRouteError:
            continue
        return Chosen(value, move_source, move_target)
    raise first


# ---------------------------------------------------------------------- pairs


@dataclass(frozen=True)
class FallbackPairs(Generic[T]):
    """
    A batch of pairs routed by the fallback rule.

    Attributes
    ----------
    result
        The answers, pair by pair (whatever the batch's computation returns).
    source, target
        The snaps each pair's route starts and ends at.
    source_moved, target_moved
        Per pair, whether its source (target) routes from the largest part's snap.
    """

    result: T
    source: Endpoints
    target: Endpoints
    source_moved: BoolArray
    target_moved: BoolArray


def pairs_with_fallback(
    compute: Callable[[IntArray, Endpoints, Endpoints], T],
    source: PointSnaps,
    target: PointSnaps,
    *,
    joined: Callable[[T], BoolArray],
    overwrite: Callable[[T, IntArray, T, IntArray], T],
) -> FallbackPairs[T]:
    """
    Route ``source[i] -> target[i]`` between the nearest snaps, then the pairs left over again.

    ``compute(rows, sources, targets)`` routes the pairs ``rows`` of the
    batch (one vectorised call) between the given endpoints (one per row);
    ``joined(result)`` says which pairs of a result have a route, and
    ``overwrite(base, rows, part, picked)`` returns ``base`` with its pairs
    ``rows`` replaced by the pairs ``picked`` of ``part``. At most one call per
    fallback of :data:`FALLBACK_ORDER`, each on just the pairs still unjoined.
    """
    count = len(source)
    every = np.arange(count, dtype=np.int64)
    result = compute(every, source.nearest, target.nearest)
    source_moved = np.zeros(count, dtype=bool)
    target_moved = np.zeros(count, dtype=bool)
    used_source, used_target = source.nearest, target.nearest
    stuck = ~joined(result)
    if not stuck.any() or (source.fallback is None and target.fallback is None):
        return FallbackPairs(result, used_source, used_target, source_moved, target_moved)
    big_source, source_movable = source.largest_part(np.flatnonzero(stuck))
    big_target, target_movable = target.largest_part(np.flatnonzero(stuck))
    for move_source, move_target in FALLBACK_ORDER:
        want = stuck.copy()
        if move_source:
            want &= source_movable
        if move_target:
            want &= target_movable
        rows = np.flatnonzero(want).astype(np.int64)
        if rows.size == 0:
            continue
        ends_s = (big_source if move_source else source.nearest).take(rows)
        ends_t = (big_target if move_target else target.nearest).take(rows)
        part = compute(rows, ends_s, ends_t)
        ok = np.flatnonzero(joined(part)).astype(np.int64)
        if ok.size == 0:
            continue
        done = rows[ok]
        result = overwrite(result, done, part, ok)
        used_source = used_source.replace(done, ends_s.take(ok))
        used_target = used_target.replace(done, ends_t.take(ok))
        source_moved[done], target_moved[done] = move_source, move_target
        stuck[done] = False
    return FallbackPairs(result, used_source, used_target, source_moved, target_moved)


def pairs_joined(result: PairResults) -> BoolArray:
    """Which pairs of a :class:`PairResults` have a route (a finite cost)."""
    return np.isfinite(result.cost)


def overwrite_pairs(
    base: PairResults, rows: IntArray, part: PairResults, picked: IntArray
) -> PairResults:
    """``base`` with its pairs ``rows`` replaced by the pairs ``picked`` of ``part`` (paths too)."""
    from .results import PairResults

    def put(values: FloatArray, other: FloatArray) -> FloatArray:
        out = np.array(values, copy=True)
        out[rows] = np.asarray(other)[picked]
        return out

    ends: dict[str, Any] = {}
    for name, fill in (
        ("source_arc", -1),
        ("source_fraction", np.nan),
        ("target_arc", -1),
        ("target_fraction", np.nan),
    ):
        mine, theirs = getattr(base, name), getattr(part, name)
        if mine is None and theirs is None:
            continue
        dtype = np.int64 if name.endswith("arc") else np.float64
        mine = np.full(base.cost.size, fill, dtype) if mine is None else mine
        theirs = np.full(part.cost.size, fill, dtype) if theirs is None else theirs
        ends[name] = put(mine, theirs)
    offsets, arcs = _overwrite_paths(base, rows, part, picked)
    return PairResults(
        cost=put(base.cost, part.cost),
        quantities={name: put(v, part.quantities[name]) for name, v in base.quantities.items()},
        path_offsets=offsets,
        path_arcs=arcs,
        bounds={name: put(v, part.bounds[name]) for name, v in base.bounds.items()},
        **ends,
    )


def _overwrite_paths(
    base: PairResults, rows: IntArray, part: PairResults, picked: IntArray
) -> tuple[npt.NDArray[np.uint64] | None, npt.NDArray[np.uint32] | None]:
    """The CSR paths of :func:`overwrite_pairs`, gathered in one vectorised pass."""
    if base.path_offsets is None or base.path_arcs is None:
        return None, None
    assert part.path_offsets is not None
    assert part.path_arcs is not None
    base_offsets = base.path_offsets.astype(np.int64)
    part_offsets = part.path_offsets.astype(np.int64)
    length = np.diff(base_offsets)
    start = base_offsets[:-1].copy()
    length[rows] = np.diff(part_offsets)[picked]
    start[rows] = part_offsets[picked] + base.path_arcs.size  # into the joined arc array
    offsets = np.zeros(length.size + 1, dtype=np.int64)
    np.cumsum(length, out=offsets[1:])
    index = np.repeat(start - offsets[:-1], length) + np.arange(int(offsets[-1]))
    arcs = np.concatenate([base.path_arcs, part.path_arcs])[index]
    return offsets.astype(np.uint64), arcs.astype(np.uint32)


# ---------------------------------------------------------------------- matrices

Block = tuple[FloatArray, dict[str, FloatArray], dict[str, FloatArray]]


@dataclass(frozen=True)
class FallbackMatrix:
    """
    A matrix computed by the fallback rule.

    Attributes
    ----------
    cost, quantities, bounds
        The matrices, cell by cell.
    snap_fallback
        Per cell, :data:`MOVED_SOURCE` and/or :data:`MOVED_TARGET` (int8 bits)
        where the cell routes from a largest part's snap; None when no cell does.
    source_largest, target_largest
        The points with their largest part's snaps where some cell uses them
        (the nearest snaps elsewhere); None when no cell does.
    """

    cost: FloatArray
    quantities: dict[str, FloatArray]
    bounds: dict[str, FloatArray]
    snap_fallback: npt.NDArray[np.int8] | None
    source_largest: Endpoints | None
    target_largest: Endpoints | None


def matrix_with_fallback(
    compute: Callable[[Endpoints, Endpoints], Block], source: PointSnaps, target: PointSnaps
) -> FallbackMatrix:
    """
    The matrix between the nearest snaps, then the unreachable cells again with fallbacks.

    ``compute(sources, targets)`` returns the cost, quantity and bound
    matrices of ``sources x targets`` (one vectorised call). Per fallback of
    :data:`FALLBACK_ORDER`, one sub-matrix over just the rows and columns that
    hold a cell still unreachable and movable that way; each cell takes the
    first fallback that reaches, as a single route between its points does.
    """
    cost, quantities, bounds = compute(source.nearest, target.nearest)
    stuck = ~np.isfinite(cost)
    if not stuck.any() or (source.fallback is None and target.fallback is None):
        return FallbackMatrix(cost, quantities, bounds, None, None, None)
    big_source, source_movable = source.largest_part(np.flatnonzero(stuck.any(axis=1)))
    big_target, target_movable = target.largest_part(np.flatnonzero(stuck.any(axis=0)))
    if not (source_movable.any() or target_movable.any()):
        return FallbackMatrix(cost, quantities, bounds, None, None, None)
    cost = np.array(cost)  # writeable copies: cells are filled in below
    quantities = {name: np.array(values) for name, values in quantities.items()}
    bounds = {name: np.array(values) for name, values in bounds.items()}
    fallback = np.zeros(cost.shape, dtype=np.int8)
    for move_source, move_target in FALLBACK_ORDER:
        want = stuck.copy()
        if move_source:
            want &= source_movable[:, None]
        if move_target:
            want &= target_movable[None, :]
        rows, columns = np.flatnonzero(want.any(axis=1)), np.flatnonzero(want.any(axis=0))
        if rows.size == 0:
            continue
        sub_cost, sub_quantities, sub_bounds = compute(
            (big_source if move_source else source.nearest).take(rows),
            (big_target if move_target else target.nearest).take(columns),
        )
        cells = np.ix_(rows, columns)
        fill = want[cells] & np.isfinite(sub_cost)
        _fill(cost, cells, fill, sub_cost)
        for name, values in quantities.items():
            _fill(values, cells, fill, sub_quantities[name])
        for name, values in bounds.items():
            _fill(values, cells, fill, sub_bounds[name])
        code = MOVED_SOURCE * move_source + MOVED_TARGET * move_target
        _fill(fallback, cells, fill, np.full(fill.shape, code, dtype=np.int8))
        stuck[cells] &= ~fill
    if not fallback.any():
        return FallbackMatrix(cost, quantities, bounds, None, None, None)
    return FallbackMatrix(cost, quantities, bounds, fallback, big_source, big_target)


def _fill(values: npt.NDArray[Any], cells: Sequence[Any], fill: BoolArray, sub: Any) -> None:
    """Write ``sub`` into the ``cells`` (an ``np.ix_`` block) of ``values`` where ``fill``."""
    block = values[cells]
    block[fill] = np.asarray(sub)[fill]
    values[cells] = block
