#include "ecoroute/dijkstra.hpp"

#include <algorithm>

namespace ecoroute
{
DijkstraQuery::DijkstraQuery(Metric const &metric)
    : metric_(&metric), labels_(metric.graph().node_count())
{
}

DijkstraQuery &DijkstraQuery::reset()
{
    labels_.reset();
    settled_count_ = 0;
    return *this;
}

DijkstraQuery &DijkstraQuery::add_source(NodeId source, Weight initial)
{
    if (!labels_.reached(source))
    {
        labels_.set(source, initial, invalid_id);
        labels_.queue.push(source, initial);
    }
    else if (initial < labels_.raw_dist(source)
             && labels_.queue.contains(source))
    {
        labels_.set(source, initial, invalid_id);
        labels_.queue.decrease_key(source, initial);
    }
    return *this;
}

DijkstraQuery &DijkstraQuery::run(NodeId target)
{
    auto const &graph = metric_->graph();
    auto const head = graph.head();
    auto const first_out = graph.first_out();
    auto const weight = metric_->weight();
    auto &queue = labels_.queue;

    while (!queue.empty())
    {
        auto const key = queue.min_key();
        auto const x = queue.pop();
        ++settled_count_;
        if (x == target)
            break;

        for (auto a = first_out[x], end = first_out[x + 1]; a != end; ++a)
        {
            auto const candidate = key + weight[a];
            if (candidate == inf_weight)  // closed arc
                continue;
            auto const y = head[a];
            if (!labels_.reached(y))
            {
                labels_.set(y, candidate, a);
                queue.push(y, candidate);
            }
            else if (candidate < labels_.raw_dist(y))
            {
                // Non-negative weights: an improved node is never settled.
                labels_.set(y, candidate, a);
                queue.decrease_key(y, candidate);
            }
        }
    }
    return *this;
}

ArcId DijkstraQuery::pred_arc(NodeId x) const
{
    return labels_.reached(x) ? labels_.pred_arc(x) : invalid_id;
}

std::vector<ArcId> DijkstraQuery::arc_path_to(NodeId x) const
{
    std::vector<ArcId> path;
    if (!labels_.reached(x))
        return path;
    auto const &graph = metric_->graph();
    for (auto a = labels_.pred_arc(x); a != invalid_id;
         a = labels_.pred_arc(graph.tail(a)))
        path.push_back(a);
    std::reverse(path.begin(), path.end());
    return path;
}

std::vector<NodeId> DijkstraQuery::node_path_to(NodeId x) const
{
    std::vector<NodeId> nodes;
    if (!labels_.reached(x))
        return nodes;
    auto const arcs = arc_path_to(x);
    auto const &graph = metric_->graph();
    nodes.reserve(arcs.size() + 1);
    nodes.push_back(arcs.empty() ? x : graph.tail(arcs.front()));
    for (auto const a : arcs)
        nodes.push_back(graph.head(a));
    return nodes;
}
}  // namespace ecoroute
