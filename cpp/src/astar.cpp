#include "ecoroute/astar.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace ecoroute
{
SpherePoints::SpherePoints(std::vector<double> const &x,
                           std::vector<double> const &y,
                           std::vector<double> const &z)
{
    if (x.size() != y.size() || x.size() != z.size())
        throw std::invalid_argument("x, y and z must have the same length.");
    xyz_.reserve(3 * x.size());
    for (std::size_t i = 0; i != x.size(); ++i)
    {
        auto const norm2 = x[i] * x[i] + y[i] * y[i] + z[i] * z[i];
        if (!std::isfinite(norm2) || std::abs(norm2 - 1.0) > 1e-6)
            throw std::invalid_argument(
                "point " + std::to_string(i)
                + " is not a finite point on the unit sphere.");
        xyz_.insert(xyz_.end(), {x[i], y[i], z[i]});
    }
}

GeoPotential::GeoPotential(Metric const &metric, SpherePoints const &points)
    : points_(&points), scale_(std::numeric_limits<double>::infinity())
{
    auto const &graph = metric.graph();
    if (points.size() != graph.node_count())
        throw std::invalid_argument(
            "GeoPotential needs one point per node: got "
            + std::to_string(points.size()) + " points for "
            + std::to_string(graph.node_count()) + " nodes.");

    for (ArcId a = 0; a != graph.arc_count(); ++a)
    {
        auto const w = metric.weight(a);
        if (w == inf_weight)
            continue;
        auto const chord = points.chord(graph.tail(a), graph.head(a));
        if (chord > 0)
            scale_ = std::min(scale_, w / chord);
    }
    if (!std::isfinite(scale_))  // no arc with a usable length: plain Dijkstra
        scale_ = 0;
    scale_ *= 1 - 1e-12;
}

AStarQuery::AStarQuery(Metric const &metric, GeoPotential const &potential)
    : metric_(&metric), potential_(&potential),
      labels_(metric.graph().node_count())
{
}

AStarQuery &AStarQuery::reset(NodeId target)
{
    labels_.reset();
    target_ = target;
    settled_count_ = 0;
    return *this;
}

AStarQuery &AStarQuery::add_source(NodeId source, Weight initial)
{
    auto const key = initial + (*potential_)(source, target_);
    if (!labels_.reached(source))
    {
        labels_.set(source, initial, invalid_id);
        labels_.queue.push(source, key);
    }
    else if (initial < labels_.raw_dist(source)
             && labels_.queue.contains(source))
    {
        labels_.set(source, initial, invalid_id);
        labels_.queue.decrease_key(source, key);
    }
    return *this;
}

AStarQuery &AStarQuery::run()
{
    auto const &graph = metric_->graph();
    auto const head = graph.head();
    auto const first_out = graph.first_out();
    auto const weight = metric_->weight();
    auto const &potential = *potential_;
    auto const target = target_;
    auto &queue = labels_.queue;

    while (!queue.empty())
    {
        auto const x = queue.pop();
        ++settled_count_;
        if (x == target)
            break;

        auto const dist_x = labels_.raw_dist(x);
        for (auto a = first_out[x], end = first_out[x + 1]; a != end; ++a)
        {
            auto const candidate = dist_x + weight[a];
            if (candidate == inf_weight)
                continue;
            auto const y = head[a];
            if (!labels_.reached(y))
            {
                labels_.set(y, candidate, a);
                queue.push(y, candidate + potential(y, target));
            }
            else if (candidate < labels_.raw_dist(y))
            {
                // A consistent potential settles nodes at their final
                // distance; rounding can still reopen one, so push it back.
                labels_.set(y, candidate, a);
                auto const key = candidate + potential(y, target);
                if (queue.contains(y))
                    queue.decrease_key(y, key);
                else
                    queue.push(y, key);
            }
        }
    }
    return *this;
}

std::vector<ArcId> AStarQuery::arc_path() const
{
    std::vector<ArcId> path;
    if (target_ == invalid_id || !labels_.reached(target_))
        return path;
    auto const &graph = metric_->graph();
    for (auto a = labels_.pred_arc(target_); a != invalid_id;
         a = labels_.pred_arc(graph.tail(a)))
        path.push_back(a);
    std::reverse(path.begin(), path.end());
    return path;
}
}  // namespace ecoroute

namespace ecoroute
{
BidirectionalAStarQuery::BidirectionalAStarQuery(Metric const &metric,
                                                 GeoPotential const &potential)
    : metric_(&metric), potential_(&potential),
      labels_(metric.graph().node_count())
{
}

BidirectionalAStarQuery &BidirectionalAStarQuery::reset(NodeId source,
                                                        NodeId target)
{
    labels_.reset();
    source_ = source;
    target_ = target;
    settled_count_ = 0;
    best_ = inf_weight;
    meeting_node_ = invalid_id;

    labels_.set(0, source, 0, invalid_id);
    labels_.queue[0].push(source, forward_potential(source));
    labels_.set(1, target, 0, invalid_id);
    labels_.queue[1].push(target, -forward_potential(target));
    if (source == target)
    {
        best_ = 0;
        meeting_node_ = source;
    }
    return *this;
}

BidirectionalAStarQuery &BidirectionalAStarQuery::run()
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

    // Side 0 searches forward with potential p, side 1 backward with -p.
    auto relax = [&](int side, Weight dist_x, Weight w, ArcId a, NodeId y)
    {
        auto const candidate = dist_x + w;
        if (candidate == inf_weight)
            return;
        auto &queue = labels.queue[side];
        double const sign = side == 0 ? 1.0 : -1.0;
        if (!labels.reached(side, y))
        {
            labels.set(side, y, candidate, a);
            queue.push(y, candidate + sign * forward_potential(y));
        }
        else if (candidate < labels.raw_dist(side, y))
        {
            labels.set(side, y, candidate, a);
            auto const key = candidate + sign * forward_potential(y);
            if (queue.contains(y))
                queue.decrease_key(y, key);
            else
                queue.push(y, key);  // reopened by rounding only
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
            auto const dist_x = labels.raw_dist(0, x);
            for (auto a = first_out[x], end = first_out[x + 1]; a != end; ++a)
                relax(0, dist_x, weight[a], a, head[a]);
        }
        else
        {
            auto const y = backward_queue.pop();
            auto const dist_y = labels.raw_dist(1, y);
            for (auto i = first_in[y], end = first_in[y + 1]; i != end; ++i)
                relax(1, dist_y, backward_weight[i], in_arc[i], in_tail[i]);
        }
    }
    return *this;
}

std::vector<ArcId> BidirectionalAStarQuery::arc_path() const
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
