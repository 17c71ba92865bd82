#ifndef ECOROUTE_CCH_HPP
#define ECOROUTE_CCH_HPP

#include "ecoroute/csr_graph.hpp"
#include "ecoroute/large_block_allocator.hpp"
#include "ecoroute/metric.hpp"
#include "ecoroute/types.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace ecoroute
{
/**
 * Metric-independent part of a customizable contraction hierarchy (CCH;
 * Dibbelt, Strasser & Wagner 2014): the chordal supergraph of a CsrGraph for
 * one node order, built once per map and shared by every vehicle.
 *
 * Nodes of the hierarchy are *ranks*: ``rank(x)`` is node ``x``'s position in
 * the order and ``order(r)`` the node at rank ``r``. Contracting the nodes in
 * rank order on the undirected graph underneath the input (directions,
 * loops and multi-arcs ignored) gives the *upward* CSR: the CCH arcs of rank
 * ``r`` are ``up_first_out(r) .. up_first_out(r + 1) - 1``, arc ``b`` joins
 * ``up_tail(b) < up_head(b)``, and the heads of each rank are strictly
 * increasing. The upward neighbours of every rank form a clique (the graph is
 * chordal), and the lowest of them is the rank's parent in the elimination
 * tree (invalid_id for a root). Every CCH arc carries two weights once
 * customized, one per direction (CchMetric).
 *
 * Ranks are canonical: whatever order comes in, ranks are renumbered in a
 * post-order of the elimination tree (children in increasing rank). That is
 * an equivalent order (same chordal graph, same tree; Liu 1990) in which
 * the subtree of rank ``r`` is the contiguous range ``subtree_first(r) ..
 * r``, which customization splits over threads and which keeps each search
 * on few cache lines. ``order()`` returns the renumbered order.
 *
 * Derived, for customization and queries: the downward CSR (for each rank,
 * its lower neighbours in increasing order, with the CCH arc to each), the
 * work (lower triangles) of every subtree, and the CCH arc of every input
 * arc with its direction (loops map to none; multi-arcs share one CCH arc
 * and customization keeps the cheapest).
 *
 * Two constructors: from an order (runs the contraction, O(|CCH arcs| log))
 * or from saved arrays (validates them in O(|CCH arcs|) instead). Both copy
 * or move their inputs and throw std::invalid_argument / std::out_of_range on
 * bad input. Immutable afterwards; share it between threads freely.
 *
 *     auto cch = std::make_shared<Cch const>(graph, nested_dissection_order(
 *         *graph, x, y, z));
 *     auto metric = std::make_shared<CchMetric const>(cch, weights);
 */
class Cch
{
public:
    //! Contracts ``graph`` in the given order (``order[r]`` = node of rank r).
    Cch(std::shared_ptr<CsrGraph const> graph, std::vector<NodeId> order);

    //! Rebuilds from arrays saved from another Cch (order, up_first_out,
    //! up_head), checking that they are a chordal supergraph of ``graph``.
    Cch(std::shared_ptr<CsrGraph const> graph,
        std::vector<NodeId> order,
        std::vector<ArcId> up_first_out,
        std::vector<NodeId> up_head);

    [[nodiscard]] CsrGraph const &graph() const { return *graph_; }
    [[nodiscard]] std::shared_ptr<CsrGraph const> const &graph_ptr() const
    {
        return graph_;
    }
    [[nodiscard]] NodeId node_count() const
    {
        return static_cast<NodeId>(rank_.size());
    }
    //! Number of CCH arcs (undirected edges of the chordal supergraph).
    [[nodiscard]] ArcId arc_count() const
    {
        return static_cast<ArcId>(up_head_.size());
    }

    [[nodiscard]] NodeId rank(NodeId x) const { return rank_[x]; }
    [[nodiscard]] NodeId order(NodeId r) const { return order_[r]; }
    [[nodiscard]] NodeId parent(NodeId r) const { return parent_[r]; }
    [[nodiscard]] ArcId up_first_out(NodeId r) const
    {
        return up_first_out_[r];
    }
    [[nodiscard]] NodeId up_head(ArcId b) const { return up_head_[b]; }
    [[nodiscard]] NodeId up_tail(ArcId b) const { return up_tail_[b]; }
    [[nodiscard]] ArcId down_first_out(NodeId r) const
    {
        return down_first_out_[r];
    }
    //! Lower end (a rank) of the i-th downward entry.
    [[nodiscard]] NodeId down_tail(ArcId i) const { return down_tail_[i]; }
    //! CCH arc of the i-th downward entry.
    [[nodiscard]] ArcId down_arc(ArcId i) const { return down_arc_[i]; }

    //! CCH arc of input arc ``a`` times 2, plus 1 when ``a`` runs from the
    //! higher to the lower rank; invalid_id for loops.
    [[nodiscard]] std::uint32_t input_arc_code(ArcId a) const
    {
        return input_arc_code_[a];
    }

    [[nodiscard]] std::span<NodeId const> order() const { return order_; }
    [[nodiscard]] std::span<NodeId const> rank() const { return rank_; }
    [[nodiscard]] std::span<ArcId const> up_first_out() const
    {
        return up_first_out_;
    }
    [[nodiscard]] std::span<NodeId const> up_head() const { return up_head_; }
    [[nodiscard]] std::span<NodeId const> parent() const { return parent_; }

    //! Lowest rank in the elimination subtree of ``r`` (which is the range
    //! ``subtree_first(r) .. r``).
    [[nodiscard]] NodeId subtree_first(NodeId r) const
    {
        return subtree_first_[r];
    }
    //! Lower triangles in the subtree of ``r`` plus its size: the work of
    //! customizing it.
    [[nodiscard]] std::uint64_t subtree_work(NodeId r) const
    {
        return subtree_work_[r];
    }

    //! Input arcs grouped by CCH arc: entry i is input arc
    //! ``input_arc_by_code(i)`` with code ``sorted_input_code(i)`` (see
    //! input_arc_code), sorted by code and then arc id; loops left out.
    [[nodiscard]] std::span<std::uint32_t const> sorted_input_code() const
    {
        return sorted_input_code_;
    }
    [[nodiscard]] std::span<ArcId const> input_arc_by_code() const
    {
        return input_arc_by_code_;
    }

    //! Height of the elimination tree (longest leaf-to-root path, in nodes).
    [[nodiscard]] NodeId tree_height() const { return tree_height_; }
    //! Number of lower triangles: the work of one customization.
    [[nodiscard]] std::uint64_t triangle_count() const
    {
        return triangle_count_;
    }
    //! Bytes held by this object (the input graph not counted).
    [[nodiscard]] std::size_t memory_bytes() const;

private:
    void renumber_in_postorder();
    void derive();

    std::shared_ptr<CsrGraph const> graph_;
    std::vector<NodeId> order_;
    std::vector<NodeId> rank_;
    std::vector<ArcId> up_first_out_;               // by rank, node_count + 1
    std::vector<NodeId> up_head_;                   // ranks
    std::vector<NodeId> up_tail_;                   // derived
    std::vector<NodeId> parent_;                    // derived: elimination tree
    std::vector<ArcId> down_first_out_;             // derived: by rank
    std::vector<NodeId> down_tail_;                 // derived: lower rank
    std::vector<ArcId> down_arc_;                   // derived: CCH arc
    std::vector<std::uint32_t> input_arc_code_;     // derived: per input arc
    std::vector<std::uint32_t> sorted_input_code_;  // derived
    std::vector<ArcId> input_arc_by_code_;          // derived
    std::vector<NodeId> subtree_first_;             // derived
    std::vector<std::uint64_t> subtree_work_;       // derived
    NodeId tree_height_ = 0;                        // derived
    std::uint64_t triangle_count_ = 0;              // derived
};

//! Weights of one CCH arc: ``forward`` runs from the lower to the higher
//! rank, ``backward`` from the higher to the lower.
struct CchArcWeight
{
    Weight forward;
    Weight backward;
};

//! How one direction of a CCH arc is made. ``second == invalid_id``: it is
//! input arc ``first`` (or nothing at all, ``first == invalid_id``, when the
//! weight is infinite). Otherwise it is a shortcut through the lower
//! triangle formed by CCH arcs ``first = {x, y}`` and ``second = {x, z}``
//! (x below both ends y < z): forward y -> x -> z, backward z -> x -> y.
struct CchUnpack
{
    ArcId first;
    ArcId second;
};

/**
 * A Cch customized for one Metric: the weight of every CCH arc in both
 * directions is the cost of the cheapest path between its ends that uses
 * only lower-ranked nodes, and CchUnpack records which lower triangle (or
 * input arc) gives it.
 *
 * Customization relaxes every lower triangle once, rank by rank (a rank's
 * arcs are final once its lower triangles are done). Disjoint elimination
 * subtrees are independent: with ``num_threads`` > 1 (0 = every core) the
 * tree is cut into subtrees of similar work, handed out to threads, and the
 * ranks above them are processed as soon as all their children are.
 * Results do not depend on the thread count: each rank is handled by one
 * thread in a fixed order, and ties keep the first candidate (input arcs by
 * id, then triangles by their lowest node).
 *
 * Weights may be zero or infinite (closed arcs); every finite sum stays
 * exact up to rounding and infinity never meets a subtraction. The metric
 * shares ownership of the Cch and of the Metric (which must be on the same
 * CsrGraph object) and is immutable afterwards.
 *
 *     auto customized = std::make_shared<CchMetric const>(cch, metric);
 *     CchQuery query(*customized);
 */
class CchMetric
{
public:
    CchMetric(std::shared_ptr<Cch const> cch,
              std::shared_ptr<Metric const> metric,
              unsigned num_threads = 0);

    [[nodiscard]] Cch const &cch() const { return *cch_; }
    [[nodiscard]] std::shared_ptr<Cch const> const &cch_ptr() const
    {
        return cch_;
    }
    [[nodiscard]] Metric const &metric() const { return *metric_; }
    [[nodiscard]] std::shared_ptr<Metric const> const &metric_ptr() const
    {
        return metric_;
    }
    [[nodiscard]] CchArcWeight weight(ArcId b) const { return weight_[b]; }
    [[nodiscard]] std::span<CchArcWeight const> weights() const
    {
        return weight_;
    }
    //! Unpacking of arc ``b`` in direction ``backward`` (0 or 1).
    [[nodiscard]] CchUnpack unpack(ArcId b, int backward) const
    {
        return unpack_[2 * std::size_t{b} + static_cast<unsigned>(backward)];
    }

    //! Appends the input arcs of CCH arc ``b`` in direction ``backward``
    //! to ``out``, in driving order. The arc's weight must be finite.
    void append_input_arcs(ArcId b,
                           int backward,
                           std::vector<ArcId> &out,
                           std::vector<std::pair<ArcId, int>> &stack) const;

    //! Bytes held by this object (the Cch and Metric not counted).
    [[nodiscard]] std::size_t memory_bytes() const
    {
        return weight_.capacity() * sizeof(CchArcWeight)
               + unpack_.capacity() * sizeof(CchUnpack);
    }

private:
    std::shared_ptr<Cch const> cch_;
    std::shared_ptr<Metric const> metric_;
    LargeVector<CchArcWeight> weight_;
    LargeVector<CchUnpack> unpack_;  // 2 per arc: forward, backward
};

/**
 * Per-arc quantities (time, distance, CO2, energy, ...) carried along the
 * shortcut choices of one CchMetric, so that queries and many-to-many
 * searches can report them for the chosen paths without unpacking any path.
 *
 * For each CCH arc and direction, quantity j is its value on the input arc
 * the metric chose, or the sum over the two halves of the lower triangle
 * the metric chose: exactly the sum of the quantity along the unpacked arc
 * (up to rounding). NaN where the metric's weight is infinite. Values may be
 * negative (an EV recovering energy). One linear pass over the CCH arcs
 * (sequential memory: measured twice as fast as filling only the arcs a
 * 100 x 100 matrix needs, recursively, which ends up touching most of them).
 * The object stores a reference to ``metric``, which must outlive it.
 *
 *     CchQuantities sums(customized, {time_s, distance_m, co2_g});
 *     double const *values = sums.at(b, 0);   // sums.count() values
 */
class CchQuantities
{
public:
    CchQuantities(CchMetric const &metric,
                  std::vector<std::span<double const>> per_input_arc);

    [[nodiscard]] std::size_t count() const { return count_; }
    [[nodiscard]] CchMetric const &metric() const { return *metric_; }
    //! The ``count()`` values of arc ``b`` in direction ``backward``.
    [[nodiscard]] double const *at(ArcId b, int backward) const
    {
        return value_.data()
               + (2 * std::size_t{b} + static_cast<unsigned>(backward))
                     * count_;
    }
    [[nodiscard]] std::size_t memory_bytes() const
    {
        return value_.capacity() * sizeof(double);
    }

private:
    CchMetric const *metric_;
    std::size_t count_;
    LargeVector<double> value_;  // [(2 * arc + direction) * count + j]
};
}  // namespace ecoroute

#endif  // ECOROUTE_CCH_HPP
