#ifndef ECOROUTE_DIJKSTRA_HPP
#define ECOROUTE_DIJKSTRA_HPP

#include "ecoroute/metric.hpp"
#include "ecoroute/search_labels.hpp"
#include "ecoroute/types.hpp"

#include <vector>

namespace ecoroute
{
/**
 * Reusable one-to-one / one-to-all Dijkstra search on a Metric.
 *
 * A query object holds all per-search scratch memory (O(node_count)), so it
 * is cheap to reuse and must not be shared between threads: give each thread
 * its own, all reading the same Metric. The metric must outlive the query.
 *
 *     DijkstraQuery query(metric);
 *     query.reset().add_source(s).run(t);
 *     auto cost = query.distance_to(t);   // inf_weight if unreachable
 *     auto arcs = query.arc_path_to(t);   // empty if unreachable or s == t
 *
 * ``run(target)`` stops as soon as ``target`` is settled: afterwards
 * distance_to/…_path_to are exact for the target and for every node settled
 * before it; other nodes may carry tentative distances. ``run()`` without a
 * target settles everything reachable (one-to-all).
 */
class DijkstraQuery
{
    Metric const *metric_;
    SearchLabels labels_;
    std::size_t settled_count_ = 0;

public:
    explicit DijkstraQuery(Metric const &metric);

    //! Forgets the previous search in O(touched nodes).
    DijkstraQuery &reset();
    //! Starts the search at ``source`` with cost ``initial`` (several allowed).
    DijkstraQuery &add_source(NodeId source, Weight initial = 0);
    //! Settles nodes until ``target`` is settled, or all reachable ones.
    DijkstraQuery &run(NodeId target = invalid_id);

    [[nodiscard]] Weight distance_to(NodeId x) const { return labels_.dist(x); }
    [[nodiscard]] std::vector<NodeId> node_path_to(NodeId x) const;
    [[nodiscard]] std::vector<ArcId> arc_path_to(NodeId x) const;
    //! Arc through which ``x`` was reached (invalid_id for sources/unreached).
    [[nodiscard]] ArcId pred_arc(NodeId x) const;
    //! Nodes settled by the last run (a measure of the work done).
    [[nodiscard]] std::size_t settled_count() const { return settled_count_; }
};
}  // namespace ecoroute

#endif  // ECOROUTE_DIJKSTRA_HPP
