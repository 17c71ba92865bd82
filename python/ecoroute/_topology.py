"""Graph clean-up on plain arrays: largest component and osmnx-style simplification."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def largest_component(
    node_count: int, tail: IntArray, head: IntArray, *, strong: bool
) -> npt.NDArray[np.bool_]:
    """Return a mask of the nodes in the largest (weakly or strongly) connected component."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    if node_count == 0:
        return np.zeros(0, dtype=bool)
    matrix = csr_matrix(
        (np.ones(tail.size, dtype=np.int8), (tail, head)), shape=(node_count, node_count)
    )
    _, labels = connected_components(
        matrix, directed=True, connection="strong" if strong else "weak"
    )
    sizes = np.bincount(labels)
    return labels == int(np.argmax(sizes))


@dataclass
class Simplified:
    """Result of :func:`simplify`: arcs between kept nodes, each a chain of input arcs."""

    node_kept: npt.NDArray[np.bool_]  # per input node
    tail: IntArray  # per output arc, input node index
    head: IntArray
    chain_offsets: IntArray  # output arc i merges input arcs chain_arcs[off[i]:off[i+1]]
    chain_arcs: IntArray


def endpoints(node_count: int, tail: IntArray, head: IntArray) -> npt.NDArray[np.bool_]:
    """
    Return the nodes a simplified graph must keep, by osmnx's rules (``simplification._is_endpoint``).

    A node is kept if it has a self-loop, no in-arcs or no out-arcs, or unless
    it has exactly two distinct neighbours and a total degree (in + out,
    parallel arcs counted) of 2 or 4: the middle of a one-way or a two-way
    chain. Anything else (a junction, a dead end, a change from one-way to
    two-way) is kept.
    """
    in_degree = np.bincount(head, minlength=node_count)
    out_degree = np.bincount(tail, minlength=node_count)
    degree = in_degree + out_degree
    n = np.int64(node_count)
    pairs = sorted_unique(np.concatenate([tail * n + head, head * n + tail]))
    neighbours = np.bincount(pairs // n, minlength=node_count)
    self_loop = np.zeros(node_count, dtype=bool)
    self_loop[tail[tail == head]] = True
    chain_middle = (neighbours == 2) & ((degree == 2) | (degree == 4))
    return self_loop | (in_degree == 0) | (out_degree == 0) | ~chain_middle


def sorted_unique(values: IntArray) -> IntArray:
    """
    The distinct values, sorted: ``np.unique`` by sort and mask.

    numpy 2's ``np.unique`` of integers takes a hash path that costs about 80
    times a sort on tens of millions of values (issue 26: 12.9 s against 0.15 s
    for 9.4 million), and then sorts anyway.
    """
    ordered = np.sort(values, kind="stable")
    keep = np.empty(ordered.size, dtype=bool)
    keep[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def unique_first_inverse(values: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """
    ``np.unique(values, return_index=True, return_inverse=True)`` by one stable sort.

    The same three arrays (distinct values, each one's first position, each value's index
    among them), without numpy 2's hash path for integers (see :func:`sorted_unique`).
    """
    values = np.asarray(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.empty(ordered.size, dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    inverse = np.empty(values.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return ordered[new], order[new], inverse


def simplify(
    node_count: int, tail: IntArray, head: IntArray, keep: npt.NDArray[np.bool_] | None = None
) -> Simplified:
    """
    Merge chains of degree-2 nodes into single arcs, exactly as osmnx's ``simplify_graph`` does.

    Paths start at every endpoint (see :func:`endpoints`) towards each
    distinct successor that is not an endpoint and follow successors not yet
    on the path until an endpoint is reached (or the path returns to its
    start, which makes a loop). Interior nodes are dropped; arcs between two
    endpoints stay as they are (parallel ones included); self-contained rings
    (weakly connected parts without any endpoint) are removed. Where osmnx
    meets parallel arcs inside a chain it keeps the first; so does this.

    Parameters
    ----------
    node_count
        Number of input nodes.
    tail, head
        Input arcs, in insertion order (the order osmnx would add edges).
    keep
        Nodes to keep as endpoints whatever their degree (osmnx's
        ``node_attrs_include``), e.g. the tops and bottoms of climbs.

    Returns
    -------
    Simplified
        Output arcs as chains of input arc indices.
    """
    is_endpoint = endpoints(node_count, tail, head)
    if keep is not None:
        is_endpoint = is_endpoint | keep

    # Distinct successors of each node in insertion order, each with the first
    # arc to it (osmnx's G.successors and get_edge_data(u, v) key 0).
    n = np.int64(node_count)
    keys, first_arc, _ = unique_first_inverse(tail * n + head)
    succ_tail, succ_head = keys // n, keys % n
    order = np.lexsort((first_arc, succ_tail))
    starts = np.zeros(node_count + 1, dtype=np.int64)
    np.cumsum(np.bincount(succ_tail, minlength=node_count), out=starts[1:])
    pairs = list(zip(succ_head[order].tolist(), first_arc[order].tolist(), strict=True))
    bounds = starts.tolist()
    out_arcs = [pairs[bounds[x] : bounds[x + 1]] for x in range(node_count)]

    endpoint_list = is_endpoint.tolist()
    removed = np.zeros(node_count, dtype=bool)
    new_tail: list[int] = []
    new_head: list[int] = []
    chain_lengths: list[int] = []
    chain_arcs: list[int] = []

    for e in np.flatnonzero(is_endpoint).tolist():
        for s, first_arc in out_arcs[e]:
            if endpoint_list[s]:
                continue
            path = [e, s]
            arcs = [first_arc]
            on_path = {e, s}
            current = s
            # osmnx: from the first node, try its successors in order.
            for successor, arc in out_arcs[current]:
                if successor in on_path:
                    continue
                path.append(successor)
                arcs.append(arc)
                on_path.add(successor)
                current = successor
                while not endpoint_list[current]:
                    ahead = [(y, a) for y, a in out_arcs[current] if y not in on_path]
                    if len(ahead) == 1:
                        current, arc_next = ahead[0]
                        path.append(current)
                        arcs.append(arc_next)
                        on_path.add(current)
                    else:
                        if not ahead:
                            back = next((a for y, a in out_arcs[current] if y == e), None)
                            if back is not None:  # the chain loops back to its start
                                path.append(e)
                                arcs.append(back)
                        break
                break
            removed[path[1:-1]] = True
            new_tail.append(path[0])
            new_head.append(path[-1])
            chain_lengths.append(len(arcs))
            chain_arcs.extend(arcs)

    # Arcs between two kept nodes that no chain absorbed stay as they are.
    direct = np.flatnonzero(is_endpoint[tail] & is_endpoint[head])
    node_kept = ~removed
    out_tail = np.concatenate([np.asarray(new_tail, dtype=np.int64), tail[direct]])
    out_head = np.concatenate([np.asarray(new_head, dtype=np.int64), head[direct]])
    offsets = np.zeros(len(chain_lengths) + direct.size + 1, dtype=np.int64)
    np.cumsum(
        np.concatenate([np.asarray(chain_lengths, dtype=np.int64), np.ones(direct.size, np.int64)]),
        out=offsets[1:],
    )
    arcs_all = np.concatenate([np.asarray(chain_arcs, dtype=np.int64), direct])

    # Remove self-contained rings: weakly connected parts without any endpoint.
    alive = node_kept.copy()
    keep_arc = alive[out_tail] & alive[out_head]
    if (~is_endpoint & node_kept).any():
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        rest_tail, rest_head = tail, head  # rings keep their original arcs
        ring_candidates = ~is_endpoint & node_kept
        matrix = csr_matrix(
            (np.ones(rest_tail.size, np.int8), (rest_tail, rest_head)),
            shape=(node_count, node_count),
        )
        _, labels = connected_components(matrix, directed=True, connection="weak")
        has_endpoint = np.zeros(labels.max() + 1, dtype=bool)
        has_endpoint[labels[is_endpoint]] = True
        ring_nodes = ring_candidates & ~has_endpoint[labels]
        alive &= ~ring_nodes
        # Non-endpoint nodes that survived without being on a chain and are not
        # in a ring cannot occur: every chain from an endpoint absorbs them.
        keep_arc &= alive[out_tail] & alive[out_head]

    lengths = np.diff(offsets)
    keep_index = np.flatnonzero(keep_arc)
    new_offsets = np.zeros(keep_index.size + 1, dtype=np.int64)
    np.cumsum(lengths[keep_index], out=new_offsets[1:])
    pieces = [arcs_all[offsets[i] : offsets[i + 1]] for i in keep_index.tolist()]
    return Simplified(
        node_kept=alive,
        tail=out_tail[keep_index],
        head=out_head[keep_index],
        chain_offsets=new_offsets,
        chain_arcs=np.concatenate(pieces) if pieces else np.empty(0, np.int64),
    )
