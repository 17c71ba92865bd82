#ifndef ECOROUTE_BIDIRECTIONAL_DIJKSTRA_HPP
#define ECOROUTE_BIDIRECTIONAL_DIJKSTRA_HPP

#include "ecoroute/metric.hpp"
#include "ecoroute/search_labels.hpp"
#include "ecoroute/types.hpp"

#include <vector>

namespace ecoroute
{
/**
 * Reusable one-to-one bidirectional Dijkstra on a Metric.
 *
 * A forward search from the source over out-arcs and a backward search from
 * the target over in-arcs run alternately (the one with the smaller queue
 * minimum moves); ``best`` is the cheapest source-target path seen through a
 * node reached by both. The search stops when the two queue minima sum to at
 * least ``best``: no path through an unsettled node can be cheaper.
 *
 *     BidirectionalDijkstraQuery query(metric);
 *     query.reset().add_source(s).add_target(t).run();
 *     auto cost = query.distance();      // inf_weight if unreachable
 *     auto arcs = query.arc_path();
 *
 * One query object per thread; the metric must outlive it.
 */
class BidirectionalDijkstraQuery
{
    Metric const *metric_;
    TwoSidedLabels labels_;  // side 0 forward, side 1 backward
    Weight best_ = inf_weight;
    NodeId meeting_node_ = invalid_id;
    std::size_t settled_count_ = 0;

public:
    explicit BidirectionalDijkstraQuery(Metric const &metric);

    BidirectionalDijkstraQuery &reset();
    BidirectionalDijkstraQuery &add_source(NodeId source, Weight initial = 0);
    BidirectionalDijkstraQuery &add_target(NodeId target, Weight initial = 0);
    BidirectionalDijkstraQuery &run();

    [[nodiscard]] Weight distance() const { return best_; }
    [[nodiscard]] std::vector<ArcId> arc_path() const;
    [[nodiscard]] std::size_t settled_count() const { return settled_count_; }

private:
    void add(int side, NodeId x, Weight initial);
};
}  // namespace ecoroute

#endif  // ECOROUTE_BIDIRECTIONAL_DIJKSTRA_HPP
