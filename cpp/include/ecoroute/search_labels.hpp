#ifndef ECOROUTE_SEARCH_LABELS_HPP
#define ECOROUTE_SEARCH_LABELS_HPP

#include "ecoroute/id_queue.hpp"
#include "ecoroute/types.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ecoroute
{
/**
 * Tentative distances, predecessor arcs and the queue of one search
 * direction, with an O(1) reset.
 *
 * A node's label is valid only when it was reached in the current epoch;
 * ``reset()`` starts a new epoch instead of clearing ``node_count`` entries.
 * Searches (Dijkstra, A*, both directions of the bidirectional search) keep
 * one of these each.
 */
class SearchLabels
{
    // One 16-byte record per node, so a relaxation touches one cache line.
    struct Label
    {
        Weight dist;
        ArcId pred_arc;
        std::uint32_t epoch;  // epoch in which the label was set
    };

    std::vector<Label> label_;
    std::uint32_t epoch_ = 1;

public:
    MinIdQueue queue;

    explicit SearchLabels(NodeId node_count)
        : label_(node_count, Label{inf_weight, invalid_id, 0}),
          queue(node_count)
    {
    }

    //! Forgets every label in O(size of the queue).
    void reset()
    {
        queue.clear();
        if (++epoch_ == 0)  // wrapped around: old epochs would look current
        {
            for (auto &label : label_)
                label.epoch = 0;
            epoch_ = 1;
        }
    }

    //! Whether ``x`` has a label in the current search.
    [[nodiscard]] bool reached(NodeId x) const
    {
        return label_[x].epoch == epoch_;
    }

    //! Tentative (or, once popped, final) distance; inf_weight if unreached.
    [[nodiscard]] Weight dist(NodeId x) const
    {
        return reached(x) ? label_[x].dist : inf_weight;
    }

    //! Arc through which ``x`` was reached; invalid_id for a source.
    [[nodiscard]] ArcId pred_arc(NodeId x) const { return label_[x].pred_arc; }

    //! Sets the label of ``x`` (which must be unreached or improved).
    void set(NodeId x, Weight dist, ArcId pred_arc)
    {
        label_[x] = Label{dist, pred_arc, epoch_};
    }

    //! Distance of a node known to be reached (no epoch check).
    [[nodiscard]] Weight raw_dist(NodeId x) const { return label_[x].dist; }
};
/**
 * The labels of both directions of a bidirectional search, interleaved.
 *
 * Every relaxation reads the label of the same node on the other side (to
 * see whether the searches meet there); keeping both sides of a node in one
 * 32-byte record makes that a single cache line. ``side(0)`` is forward,
 * ``side(1)`` backward; each side has its own queue.
 */
class TwoSidedLabels
{
    struct Label
    {
        Weight dist;
        ArcId pred_arc;
        std::uint32_t epoch;
    };
    struct alignas(32) Node
    {
        Label side[2];
    };

    std::vector<Node> node_;
    std::uint32_t epoch_ = 1;

public:
    MinIdQueue queue[2];

    explicit TwoSidedLabels(NodeId node_count)
        : node_(node_count,
                Node{{Label{inf_weight, invalid_id, 0},
                      Label{inf_weight, invalid_id, 0}}}),
          queue{MinIdQueue(node_count), MinIdQueue(node_count)}
    {
    }

    void reset()
    {
        queue[0].clear();
        queue[1].clear();
        if (++epoch_ == 0)
        {
            for (auto &node : node_)
                node.side[0].epoch = node.side[1].epoch = 0;
            epoch_ = 1;
        }
    }

    [[nodiscard]] bool reached(int side, NodeId x) const
    {
        return node_[x].side[side].epoch == epoch_;
    }
    [[nodiscard]] Weight dist(int side, NodeId x) const
    {
        return reached(side, x) ? node_[x].side[side].dist : inf_weight;
    }
    [[nodiscard]] Weight raw_dist(int side, NodeId x) const
    {
        return node_[x].side[side].dist;
    }
    [[nodiscard]] ArcId pred_arc(int side, NodeId x) const
    {
        return node_[x].side[side].pred_arc;
    }
    void set(int side, NodeId x, Weight dist, ArcId pred_arc)
    {
        node_[x].side[side] = Label{dist, pred_arc, epoch_};
    }
};
}  // namespace ecoroute

#endif  // ECOROUTE_SEARCH_LABELS_HPP
