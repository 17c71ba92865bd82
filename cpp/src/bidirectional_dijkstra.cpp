#include "ecoroute/bidirectional_dijkstra.hpp"

#include <algorithm>

namespace ecoroute
{
BidirectionalDijkstraQuery::BidirectionalDijkstraQuery(Metric const &metric)
    : metric_(&metric), labels_(metric.graph().node_count())
{
}

BidirectionalDijkstraQuery &BidirectionalDijkstraQuery::reset()
{
    labels_.reset();
    best_ = inf_weight;
    meeting_node_ = invalid_id;
    settled_count_ = 0;
    return *this;
}

BidirectionalDijkstraQuery &
BidirectionalDijkstraQuery::add_source(NodeId source, Weight initial)
{
    add(0, source, initial);
    return *this;
}

BidirectionalDijkstraQuery &
BidirectionalDijkstraQuery::add_target(NodeId target, Weight initial)
{
    add(1, target, initial);
    return *this;
}

void BidirectionalDijkstraQuery::add(int side, NodeId x, Weight initial)
{
    if (labels_.reached(side, x) && !(initial < labels_.raw_dist(side, x)))
        return;
    auto &queue = labels_.queue[side];
    auto const was_queued = queue.contains(x);
    labels_.set(side, x, initial, invalid_id);
    if (was_queued)
        queue.decrease_key(x, initial);
    else
        queue.push(x, initial);
    if (labels_.reached(1 - side, x))
    {
        auto const through = initial + labels_.raw_dist(1 - side, x);
        if (through < best_)
        {
            best_ = through;
            meeting_node_ = x;
        }
    }
}

BidirectionalDijkstraQuery &BidirectionalDijkstraQuery::run()
{
    auto const &graph = metric_->graph();
    auto const head = graph.head();
    auto const first_out = graph.first_out();
    auto const first_in = graph.first_in();
    auto const in_arc = graph.in_arc();
    auto const in_tail = graph.in_tail();
    auto const weight = metric_->weight();
    auto const backward_weight = metric_->backward_weight();
    auto &labels = labels_;

    // Relaxes one arc on one side (0 forward, 1 backward).
    auto relax = [&](int side, Weight key, Weight w, ArcId a, NodeId y)
    {
        auto const candidate = key + w;
        if (candidate == inf_weight)
            return;
        auto &queue = labels.queue[side];
        if (!labels.reached(side, y))
        {
            labels.set(side, y, candidate, a);
            queue.push(y, candidate);
        }
        else if (candidate < labels.raw_dist(side, y))
        {
            labels.set(side, y, candidate, a);
            queue.decrease_key(y, candidate);
        }
        else
            return;
        if (labels.reached(1 - side, y))
        {
            auto const through = candidate + labels.raw_dist(1 - side, y);
            if (through < best_)
            {
                best_ = through;
                meeting_node_ = y;
            }
        }
    };

    auto &forward_queue = labels.queue[0];
    auto &backward_queue = labels.queue[1];
    while (!forward_queue.empty() && !backward_queue.empty())
    {
        auto const forward_min = forward_queue.min_key();
        auto const backward_min = backward_queue.min_key();
        if (forward_min + backward_min >= best_)
            break;

        ++settled_count_;
        if (forward_min <= backward_min)
        {
            auto const x = forward_queue.pop();
            for (auto a = first_out[x], end = first_out[x + 1]; a != end; ++a)
                relax(0, forward_min, weight[a], a, head[a]);
        }
        else
        {
            auto const y = backward_queue.pop();
            for (auto i = first_in[y], end = first_in[y + 1]; i != end; ++i)
                relax(
                    1, backward_min, backward_weight[i], in_arc[i], in_tail[i]);
        }
    }
    return *this;
}

std::vector<ArcId> BidirectionalDijkstraQuery::arc_path() const
{
    std::vector<ArcId> path;
    if (meeting_node_ == invalid_id)
        return path;
    auto const &graph = metric_->graph();
    for (auto a = labels_.pred_arc(0, meeting_node_); a != invalid_id;
         a = labels_.pred_arc(0, graph.tail(a)))
        path.push_back(a);
    std::reverse(path.begin(), path.end());
    for (auto a = labels_.pred_arc(1, meeting_node_); a != invalid_id;
         a = labels_.pred_arc(1, graph.head(a)))
        path.push_back(a);
    return path;
}
}  // namespace ecoroute
