"""Trip ends near well-connected road nodes: the pairs the truck tests and bench_trucks share."""

from __future__ import annotations

from typing import Any

import numpy as np


def strong_nodes(network: Any) -> np.ndarray:
    """Indices of the nodes of the largest strongly connected part (where coordinates snap)."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    n = network.node_count
    ones = np.ones(network.arc_count, dtype=np.int8)
    matrix = csr_matrix((ones, (network.tail, network.head)), shape=(n, n))
    _, label = connected_components(matrix, directed=True, connection="strong")
    return np.flatnonzero(label == np.bincount(label).argmax())


def random_points(network: Any, count: int, seed: int) -> list[Any]:
    """``count`` (lat, lon) pairs within about 50 m of random well-connected nodes (fixed seed)."""
    rng = np.random.default_rng(seed)
    nodes = strong_nodes(network)
    index = nodes[rng.integers(0, nodes.size, size=(count, 2))]
    jitter = rng.uniform(-0.0004, 0.0004, size=(count, 2, 2))
    lat = network.lat[index] + jitter[..., 0]
    lon = network.lon[index] + jitter[..., 1]
    return [((lat[i, 0], lon[i, 0]), (lat[i, 1], lon[i, 1])) for i in range(count)]
