#ifndef ECOROUTE_CCH_QUERY_HPP
#define ECOROUTE_CCH_QUERY_HPP

#include "ecoroute/cch.hpp"
#include "ecoroute/types.hpp"

#include <utility>
#include <vector>

namespace ecoroute
{
/**
 * Reusable point-to-point query on a CchMetric: the elimination-tree search.
 *
 * The forward search from the source's rank and the backward search from
 * the target's rank each walk their elimination-tree path to the root,
 * relaxing the upward arcs of every node on it (no priority queue); the
 * shortest path meets at the common ancestor with the least sum of the two
 * distances (the lowest such rank on ties). Once a side's distance at a node
 * is no less than the best sum found, its arcs are not relaxed (pruning).
 * Labels are reset along the same two paths, so a query costs
 * O(path length x upward degree), independent of the graph size.
 *
 * Same threading rules as DijkstraQuery: one object per thread, all reading
 * the same (immutable) CchMetric, which must outlive them.
 *
 *     CchQuery query(customized);
 *     query.run(s, t);
 *     auto cost = query.distance();   // inf_weight if unreachable
 *     auto arcs = query.arc_path();   // input arc ids; empty if s == t
 */
class CchQuery
{
public:
    explicit CchQuery(CchMetric const &metric);

    //! Searches from node ``source`` to node ``target`` (node ids, not ranks).
    CchQuery &run(NodeId source, NodeId target);

    [[nodiscard]] Weight distance() const { return distance_; }
    //! Input arcs of the path found, in driving order (empty if unreachable).
    [[nodiscard]] std::vector<ArcId> arc_path();
    //! Appends the input arcs of the path found to ``out``.
    void append_arc_path(std::vector<ArcId> &out);
    //! Adds the ``quantities.count()`` sums along the path found to ``out``,
    //! from the CCH arcs' customized values: no path unpacking. ``quantities``
    //! must be built on the metric this query searches.
    void add_quantities(CchQuantities const &quantities, double *out) const;
    //! Rank where the two searches met (invalid_id if unreachable).
    [[nodiscard]] NodeId meeting_rank() const { return meeting_; }

private:
    struct Label
    {
        Weight dist;
        ArcId pred;  // CCH arc through which the label was set
    };

    void relax(NodeId x, Label *labels, int backward) const;
    void clear_path(NodeId r, Label *labels) const;

    CchMetric const *metric_;
    LargeVector<Label> forward_;
    LargeVector<Label> backward_;
    NodeId source_ = invalid_id;  // ranks of the last query
    NodeId target_ = invalid_id;
    NodeId meeting_ = invalid_id;
    Weight distance_ = inf_weight;
    std::vector<std::pair<ArcId, int>> chain_;  // scratch for unpacking
    std::vector<std::pair<ArcId, int>> stack_;
};
}  // namespace ecoroute

#endif  // ECOROUTE_CCH_QUERY_HPP
