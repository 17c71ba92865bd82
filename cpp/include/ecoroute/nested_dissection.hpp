#ifndef ECOROUTE_NESTED_DISSECTION_HPP
#define ECOROUTE_NESTED_DISSECTION_HPP

#include "ecoroute/csr_graph.hpp"
#include "ecoroute/types.hpp"

#include <span>
#include <vector>

namespace ecoroute
{
/**
 * Nested-dissection node order for a customizable contraction hierarchy.
 *
 * Works on the undirected simple graph underneath ``graph`` (arc directions,
 * loops and multi-arcs do not matter for the order). Each connected part is
 * split by a small balanced node separator; the separator gets the highest
 * ranks of its part and both sides are ordered recursively. Separators come
 * from inertial flow (Schild & Sommer 2015): the nodes are projected on four
 * directions of the local tangent plane (east, north and both diagonals),
 * the first and last third (and quarter) along each become source and
 * target, a unit-capacity maximum flow gives a minimum edge cut per
 * direction and balance, and the cut with the fewest separator nodes per
 * node on its smaller side wins. Among the minimum cuts of a flow the most
 * balanced one is taken; the end points of its edges on one side (the side
 * with fewer of them) become the separator.
 *
 * Positions are points on the unit sphere (``x, y, z``, unit-free; see
 * SpherePoints); only directions matter. Parts are independent, so they are
 * split on ``num_threads`` threads (0 = every core); the order does not
 * depend on the thread count.
 *
 * Returns ``order``: ``order[r]`` is the node of rank ``r`` (a permutation
 * of ``0 .. node_count - 1``). Throws std::invalid_argument when the
 * positions do not have one finite value per node.
 *
 *     auto order = nested_dissection_order(graph, x, y, z);
 *     auto cch = std::make_shared<Cch const>(graph_ptr, order);
 */
std::vector<NodeId> nested_dissection_order(CsrGraph const &graph,
                                            std::span<double const> x,
                                            std::span<double const> y,
                                            std::span<double const> z,
                                            unsigned num_threads = 0);

/**
 * Nested-dissection order of the *arcs* of ``graph``, for a customizable
 * contraction hierarchy of its turn-expanded graph (one node per arc).
 *
 * The network itself is bisected recursively by edge cuts (the inertial-flow
 * cuts of nested_dissection_order, on the undirected multigraph with one
 * edge per arc between two distinct nodes, so that a cut's capacity is the
 * number of arcs it cuts): the arcs joining the two sides of a part (both
 * directions and parallel arcs) take its highest ranks, and the arcs inside
 * each component left without the cut edges are ordered below them,
 * recursively; a loop stays with its node. Two arcs that are adjacent in the
 * expanded graph (a turn ``a -> b`` with ``head(a) == tail(b)``, or two arcs
 * leaving or entering one node) share a network node, so the cut arcs of a part
 * separate the arcs of its two sides in the expanded graph too: the order is
 * a nested dissection of the expanded graph, while the flows run on the
 * network's ``n`` nodes instead of its ``m`` arcs.
 *
 * Returns ``order``: ``order[r]`` is the arc of rank ``r`` (a permutation of
 * ``0 .. arc_count - 1``). Positions and threads as in
 * nested_dissection_order (one position per node); the order does not depend
 * on the thread count. Throws std::invalid_argument when the positions do
 * not have one finite value per node.
 */
std::vector<ArcId> arc_nested_dissection_order(CsrGraph const &graph,
                                               std::span<double const> x,
                                               std::span<double const> y,
                                               std::span<double const> z,
                                               unsigned num_threads = 0);
}  // namespace ecoroute

#endif  // ECOROUTE_NESTED_DISSECTION_HPP
