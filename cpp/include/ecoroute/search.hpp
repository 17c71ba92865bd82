#ifndef ECOROUTE_SEARCH_HPP
#define ECOROUTE_SEARCH_HPP

// The searches on a plain graph, each written once and templated on its
// potential (potential.hpp): NoPotential gives Dijkstra, a geometric
// potential gives A*.
//
// Every point-to-point query object, here and in cch_query.hpp, has the same
// call shape, which the pair loop (pairs.hpp) relies on:
//
//     query.run(source, target);            // searches; returns *this
//     Weight cost = query.distance();       // inf_weight if unreachable
//     query.append_arc_path(arcs);          // appends the path's arcs
//
// A query object holds all per-search scratch memory (O(node_count)), resets
// in O(touched nodes), and must not be shared between threads: give each
// thread its own, all reading the same Metric, which must outlive them.

#include "ecoroute/metric.hpp"
#include "ecoroute/potential.hpp"
#include "ecoroute/search_labels.hpp"
#include "ecoroute/types.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ecoroute
{
/**
 * One-sided search from a source: Dijkstra (NoPotential) or A*.
 *
 * Nodes are settled in order of distance + potential. ``run(s, t)`` stops
 * once ``t`` is settled; ``run_from(s)`` (Dijkstra only) settles everything
 * reachable, after which ``distance_to(x)`` is exact for every node.
 * A consistent potential settles nodes at their final distance; rounding can
 * still reopen one, which is then pushed back.
 *
 *     DijkstraQuery query(metric);
 *     query.run(s, t).distance();
 *     query.run_from(s).distance_to(x);
 */
template <class Potential> class ForwardSearch
{
    Metric const *metric_;
    Potential potential_;
    SearchLabels labels_;
    NodeId target_ = invalid_id;
    std::size_t settled_count_ = 0;

public:
    explicit ForwardSearch(Metric const &metric, Potential potential = {})
        : metric_(&metric), potential_(potential),
          labels_(metric.graph().node_count())
    {
    }

    //! Searches from ``source`` until ``target`` is settled.
    ForwardSearch &run(NodeId source, NodeId target)
    {
        start(source, target);
        settle();
        return *this;
    }

    //! Settles every node reachable from ``source`` (one-to-all).
    ForwardSearch &run_from(NodeId source)
        requires(!Potential::active)
    {
        start(source, invalid_id);
        settle();
        return *this;
    }

    //! Cost to the target of the last ``run`` (inf_weight if unreachable).
    [[nodiscard]] Weight distance() const { return labels_.dist(target_); }
    //! Tentative (settled: final) cost to ``x``; inf_weight if unreached.
    [[nodiscard]] Weight distance_to(NodeId x) const { return labels_.dist(x); }
    //! Arc through which ``x`` was reached (invalid_id for the source or an
    //! unreached node).
    [[nodiscard]] ArcId pred_arc(NodeId x) const
    {
        return labels_.reached(x) ? labels_.pred_arc(x) : invalid_id;
    }
    //! Appends the arcs of the path to the target, in driving order.
    void append_arc_path(std::vector<ArcId> &out) const
    {
        append_arc_path_to(target_, out);
    }
    //! Appends the arcs of the path to ``x``, in driving order.
    void append_arc_path_to(NodeId x, std::vector<ArcId> &out) const
    {
        if (x == invalid_id || !labels_.reached(x))
            return;
        auto const start = out.size();
        auto const &graph = metric_->graph();
        for (auto a = labels_.pred_arc(x); a != invalid_id;
             a = labels_.pred_arc(graph.tail(a)))
            out.push_back(a);
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(start),
                     out.end());
    }
    [[nodiscard]] std::size_t settled_count() const { return settled_count_; }

private:
    void start(NodeId source, NodeId target)
    {
        labels_.reset();
        settled_count_ = 0;
        target_ = target;
        potential_.aim(source, target);
        labels_.set(source, 0, invalid_id);
        labels_.queue.push(source, potential_.forward(source));
    }

    void settle()
    {
        auto const &graph = metric_->graph();
        auto const head = graph.head();
        auto const first_out = graph.first_out();
        auto const weight = metric_->weight();
        auto &queue = labels_.queue;
        while (!queue.empty())
        {
            auto const x = queue.pop();
            ++settled_count_;
            if (x == target_)
                break;
            auto const dist_x = labels_.raw_dist(x);
            for (auto a = first_out[x], end = first_out[x + 1]; a != end; ++a)
            {
                auto const candidate = dist_x + weight[a];
                if (candidate == inf_weight)  // closed arc
                    continue;
                auto const y = head[a];
                if (!labels_.reached(y))
                {
                    labels_.set(y, candidate, a);
                    queue.push(y, candidate + potential_.forward(y));
                }
                else if (candidate < labels_.raw_dist(y))
                {
                    labels_.set(y, candidate, a);
                    auto const key = candidate + potential_.forward(y);
                    if (queue.contains(y))
                        queue.decrease_key(y, key);
                    else
                        queue.push(y, key);  // reopened by rounding only
                }
            }
        }
    }
};

/**
 * Bidirectional search: bidirectional Dijkstra (NoPotential) or
 * bidirectional A* (AveragePotential).
 *
 * A forward search from the source over out-arcs (keys: distance + p) and a
 * backward search from the target over in-arcs (keys: distance - p) run
 * alternately, the side with the smaller queue minimum moving; ``best`` is
 * the cheapest source-target path seen through a node reached by both. The
 * search stops when the two queue minima sum to at least ``best``: the
 * potentials cancel on any source-target path, so no path through an
 * unsettled node can be cheaper.
 */
template <class Potential> class BidirectionalSearch
{
    Metric const *metric_;
    Potential potential_;
    TwoSidedLabels labels_;  // side 0 forward, side 1 backward
    Weight best_ = inf_weight;
    NodeId meeting_node_ = invalid_id;
    std::size_t settled_count_ = 0;

public:
    explicit BidirectionalSearch(Metric const &metric, Potential potential = {})
        : metric_(&metric), potential_(potential),
          labels_(metric.graph().node_count())
    {
    }

    BidirectionalSearch &run(NodeId source, NodeId target)
    {
        labels_.reset();
        best_ = inf_weight;
        meeting_node_ = invalid_id;
        settled_count_ = 0;
        potential_.aim(source, target);
        labels_.set(0, source, 0, invalid_id);
        labels_.queue[0].push(source, key(0, source, 0));
        labels_.set(1, target, 0, invalid_id);
        labels_.queue[1].push(target, key(1, target, 0));
        if (source == target)
        {
            best_ = 0;
            meeting_node_ = source;
        }
        settle();
        return *this;
    }

    [[nodiscard]] Weight distance() const { return best_; }
    void append_arc_path(std::vector<ArcId> &out) const
    {
        if (meeting_node_ == invalid_id)
            return;
        auto const &graph = metric_->graph();
        auto const start = out.size();
        for (auto a = labels_.pred_arc(0, meeting_node_); a != invalid_id;
             a = labels_.pred_arc(0, graph.tail(a)))
            out.push_back(a);
        std::reverse(out.begin() + static_cast<std::ptrdiff_t>(start),
                     out.end());
        for (auto a = labels_.pred_arc(1, meeting_node_); a != invalid_id;
             a = labels_.pred_arc(1, graph.head(a)))
            out.push_back(a);
    }
    [[nodiscard]] std::size_t settled_count() const { return settled_count_; }

private:
    [[nodiscard]] Weight key(int side, NodeId x, Weight dist) const
    {
        if constexpr (Potential::active)
            return side == 0 ? dist + potential_.forward(x)
                             : dist - potential_.forward(x);
        else
            return dist;
    }

    // Relaxes arc ``a`` into ``y`` on one side (0 forward, 1 backward).
    void relax(int side, Weight dist_x, Weight w, ArcId a, NodeId y)
    {
        auto const candidate = dist_x + w;
        if (candidate == inf_weight)
            return;
        auto &queue = labels_.queue[side];
        if (!labels_.reached(side, y))
        {
            labels_.set(side, y, candidate, a);
            queue.push(y, key(side, y, candidate));
        }
        else if (candidate < labels_.raw_dist(side, y))
        {
            labels_.set(side, y, candidate, a);
            if (queue.contains(y))
                queue.decrease_key(y, key(side, y, candidate));
            else
                queue.push(y, key(side, y, candidate));  // rounding only
        }
        else
            return;
        if (labels_.reached(1 - side, y))
        {
            auto const through = candidate + labels_.raw_dist(1 - side, y);
            if (through < best_)
            {
                best_ = through;
                meeting_node_ = y;
            }
        }
    }

    void settle()
    {
        auto const &graph = metric_->graph();
        auto const head = graph.head();
        auto const first_out = graph.first_out();
        auto const first_in = graph.first_in();
        auto const in_arc = graph.in_arc();
        auto const in_tail = graph.in_tail();
        auto const weight = metric_->weight();
        auto const backward_weight = metric_->backward_weight();
        auto &forward_queue = labels_.queue[0];
        auto &backward_queue = labels_.queue[1];
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
                auto const dist_x = labels_.raw_dist(0, x);
                for (auto a = first_out[x], end = first_out[x + 1]; a != end;
                     ++a)
                    relax(0, dist_x, weight[a], a, head[a]);
            }
            else
            {
                auto const y = backward_queue.pop();
                auto const dist_y = labels_.raw_dist(1, y);
                for (auto i = first_in[y], end = first_in[y + 1]; i != end; ++i)
                    relax(1, dist_y, backward_weight[i], in_arc[i], in_tail[i]);
            }
        }
    }
};

using DijkstraQuery = ForwardSearch<NoPotential>;
using AStarQuery = ForwardSearch<TargetPotential>;
using BidirectionalDijkstraQuery = BidirectionalSearch<NoPotential>;
using BidirectionalAStarQuery = BidirectionalSearch<AveragePotential>;
}  // namespace ecoroute

#endif  // ECOROUTE_SEARCH_HPP
