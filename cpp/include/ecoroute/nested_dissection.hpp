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
}  // namespace ecoroute

#endif  // ECOROUTE_NESTED_DISSECTION_HPP
