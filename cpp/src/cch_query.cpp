#include "ecoroute/cch_query.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace ecoroute
{
CchQuery::CchQuery(CchMetric const &metric)
    : metric_(&metric),
      forward_(metric.cch().node_count(), Label{inf_weight, invalid_id}),
      backward_(metric.cch().node_count(), Label{inf_weight, invalid_id})
{
}

void CchQuery::relax(NodeId x, Label *labels, int backward) const
{
    auto const &cch = metric_->cch();
    auto const *weight = metric_->weights().data();
    auto const dist = labels[x].dist;
    auto const end = cch.up_first_out(x + 1);
    for (auto b = cch.up_first_out(x); b != end; ++b)
    {
        auto const w = backward ? weight[b].backward : weight[b].forward;
        auto const candidate = dist + w;
        auto &label = labels[cch.up_head(b)];
        if (candidate < label.dist)
            label = Label{candidate, b};
    }
}

void CchQuery::clear_path(NodeId r, Label *labels) const
{
    auto const &cch = metric_->cch();
    for (; r != invalid_id; r = cch.parent(r))
        labels[r] = Label{inf_weight, invalid_id};
}

CchQuery &CchQuery::run(NodeId source, NodeId target)
{
    auto const &cch = metric_->cch();
    auto const n = cch.node_count();
    if (source >= n || target >= n)
        throw std::out_of_range(
            "CchQuery: node " + std::to_string(std::max(source, target))
            + " does not exist (node_count is " + std::to_string(n) + ").");
    if (source_ != invalid_id)
    {
        clear_path(source_, forward_.data());
        clear_path(target_, backward_.data());
    }
    auto *forward = forward_.data();
    auto *backward = backward_.data();
    auto x = source_ = cch.rank(source);
    auto y = target_ = cch.rank(target);
    forward[x].dist = 0;
    backward[y].dist = 0;

    // Below the lowest common ancestor only one side reaches each node:
    // advance the lower of the two, which keeps both in rank order.
    while (x != y)
    {
        if (x < y)
        {
            if (forward[x].dist != inf_weight)
                relax(x, forward, 0);
            x = cch.parent(x);
        }
        else
        {
            if (backward[y].dist != inf_weight)
                relax(y, backward, 1);
            y = cch.parent(y);
        }
    }
    Weight best = inf_weight;
    NodeId meeting = invalid_id;
    for (; x != invalid_id; x = cch.parent(x))
    {
        auto const df = forward[x].dist;
        auto const db = backward[x].dist;
        if (df + db < best)
        {
            best = df + db;
            meeting = x;
        }
        if (df < best)
            relax(x, forward, 0);
        if (db < best)
            relax(x, backward, 1);
    }
    distance_ = best;
    meeting_ = meeting;
    return *this;
}

void CchQuery::add_quantities(CchQuantities const &quantities,
                              double *out) const
{
    if (meeting_ == invalid_id)
        return;
    auto const &cch = metric_->cch();
    auto const k = quantities.count();
    for (auto r = meeting_; r != source_;)
    {
        auto const b = forward_[r].pred;
        auto const *value = quantities.at(b, 0);
        for (std::size_t j = 0; j != k; ++j)
            out[j] += value[j];
        r = cch.up_tail(b);
    }
    for (auto r = meeting_; r != target_;)
    {
        auto const b = backward_[r].pred;
        auto const *value = quantities.at(b, 1);
        for (std::size_t j = 0; j != k; ++j)
            out[j] += value[j];
        r = cch.up_tail(b);
    }
}

void CchQuery::append_arc_path(std::vector<ArcId> &out)
{
    if (meeting_ == invalid_id)
        return;
    auto const &cch = metric_->cch();
    // Up from the source to the meeting rank (collected top-down) ...
    chain_.clear();
    for (auto r = meeting_; r != source_;)
    {
        auto const b = forward_[r].pred;
        chain_.emplace_back(b, 0);
        r = cch.up_tail(b);
    }
    for (auto it = chain_.rbegin(); it != chain_.rend(); ++it)
        metric_->append_input_arcs(it->first, it->second, out, stack_);
    // ... then down from the meeting rank to the target.
    for (auto r = meeting_; r != target_;)
    {
        auto const b = backward_[r].pred;
        metric_->append_input_arcs(b, 1, out, stack_);
        r = cch.up_tail(b);
    }
}

std::vector<ArcId> CchQuery::arc_path()
{
    std::vector<ArcId> arcs;
    append_arc_path(arcs);
    return arcs;
}
}  // namespace ecoroute
