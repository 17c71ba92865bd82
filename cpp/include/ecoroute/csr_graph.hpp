#ifndef ECOROUTE_CSR_GRAPH_HPP
#define ECOROUTE_CSR_GRAPH_HPP

#include "ecoroute/types.hpp"

#include <span>
#include <vector>

namespace ecoroute
{
/**
 * Immutable directed graph in compressed sparse row (adjacency array) form.
 *
 * The out-arcs of node ``x`` are ``first_out[x] .. first_out[x + 1] - 1``;
 * arc ``a`` leaves ``tail[a]`` and ends at ``head[a]``. ``first_out`` has
 * ``node_count + 1`` entries, starts at 0 and ends at ``arc_count``.
 * Multi-arcs, loops, isolated nodes and nodes without out-arcs are allowed.
 *
 * The graph also keeps the reverse adjacency (in-arcs grouped by head), which
 * backward searches walk: the in-arcs of ``y`` are
 * ``in_arc[first_in[y] .. first_in[y + 1] - 1]``, each an arc id, and
 * ``in_tail[i] == tail[in_arc[i]]`` is stored too, so that a backward scan
 * reads memory in order.
 *
 * Weights are not stored here: one topology serves any number of Metric
 * objects (one per vehicle and objective).
 *
 * The constructor copies (or moves) its arguments and throws
 * std::invalid_argument / std::out_of_range when they break the invariants.
 * Once built, the graph is read-only and safe to share between threads.
 *
 *     CsrGraph graph({0, 1, 2, 2}, {1, 2});  // 0 -> 1 -> 2
 *     for (auto a = graph.first_out(0); a != graph.first_out(1); ++a)
 *         visit(graph.head(a));
 */
class CsrGraph
{
    std::vector<ArcId> first_out_;
    std::vector<NodeId> head_;
    std::vector<NodeId> tail_;     // derived: tail_[a] is the node arc a leaves
    std::vector<ArcId> first_in_;  // derived: reverse CSR offsets
    std::vector<ArcId> in_arc_;    // derived: arc ids grouped by head
    std::vector<NodeId> in_tail_;  // derived: in_tail_[i] == tail_[in_arc_[i]]

public:
    CsrGraph(std::vector<ArcId> first_out, std::vector<NodeId> head);

    [[nodiscard]] NodeId node_count() const
    {
        return static_cast<NodeId>(first_out_.size() - 1);
    }
    [[nodiscard]] ArcId arc_count() const
    {
        return static_cast<ArcId>(head_.size());
    }

    [[nodiscard]] ArcId first_out(NodeId x) const { return first_out_[x]; }
    [[nodiscard]] NodeId head(ArcId a) const { return head_[a]; }
    [[nodiscard]] NodeId tail(ArcId a) const { return tail_[a]; }
    [[nodiscard]] ArcId first_in(NodeId y) const { return first_in_[y]; }
    [[nodiscard]] ArcId in_arc(ArcId i) const { return in_arc_[i]; }
    [[nodiscard]] NodeId in_tail(ArcId i) const { return in_tail_[i]; }

    [[nodiscard]] std::span<ArcId const> first_out() const
    {
        return first_out_;
    }
    [[nodiscard]] std::span<NodeId const> head() const { return head_; }
    [[nodiscard]] std::span<NodeId const> tail() const { return tail_; }
    [[nodiscard]] std::span<ArcId const> first_in() const { return first_in_; }
    [[nodiscard]] std::span<ArcId const> in_arc() const { return in_arc_; }
    [[nodiscard]] std::span<NodeId const> in_tail() const { return in_tail_; }

    // Bytes held by this object (topology only, no weights).
    [[nodiscard]] std::size_t memory_bytes() const;
};
}  // namespace ecoroute

#endif  // ECOROUTE_CSR_GRAPH_HPP
