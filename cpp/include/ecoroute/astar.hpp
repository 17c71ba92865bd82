#ifndef ECOROUTE_ASTAR_HPP
#define ECOROUTE_ASTAR_HPP

#include "ecoroute/metric.hpp"
#include "ecoroute/search_labels.hpp"
#include "ecoroute/types.hpp"

#include <cmath>
#include <vector>

namespace ecoroute
{
/**
 * Node positions as points on the unit sphere (x, y, z), unit-free.
 *
 * The distance between two nodes is the chord |p - q|, a monotone function
 * of the great-circle distance that obeys the triangle inequality and needs
 * no trigonometry. Callers convert latitude/longitude once.
 */
class SpherePoints
{
    std::vector<double>
        xyz_;  // x, y, z of node i at 3i .. 3i+2 (one cache line)

public:
    //! Throws std::invalid_argument unless the three arrays have one finite
    //! point of norm ~1 per node.
    SpherePoints(std::vector<double> const &x,
                 std::vector<double> const &y,
                 std::vector<double> const &z);

    [[nodiscard]] NodeId size() const
    {
        return static_cast<NodeId>(xyz_.size() / 3);
    }

    [[nodiscard]] double chord(NodeId a, NodeId b) const
    {
        auto const *p = &xyz_[3 * std::size_t{a}];
        auto const *q = &xyz_[3 * std::size_t{b}];
        auto const dx = p[0] - q[0];
        auto const dy = p[1] - q[1];
        auto const dz = p[2] - q[2];
        return std::sqrt(dx * dx + dy * dy + dz * dz);
    }
};

/**
 * Geometric A* potential: ``pi_t(x) = scale * chord(x, t)``.
 *
 * ``scale`` is the minimum over all arcs of ``weight / chord(tail, head)``
 * (arcs whose end points coincide are skipped: any weight >= 0 is fine for
 * them), shrunk by 1e-12 relative to absorb rounding. Why this is admissible
 * and consistent: for every arc (u, v), ``w(u, v) >= scale * chord(u, v)`` by
 * the choice of scale, and ``chord(u, v) >= chord(u, t) - chord(v, t)`` by
 * the triangle inequality, so the reduced cost ``w(u, v) - pi_t(u) +
 * pi_t(v)`` is >= 0 and ``pi_t(t) = 0``. Summing reduced costs along any
 * path to ``t`` shows pi_t never overestimates the remaining cost. The bound
 * uses straight-line distances between the arc's end points, not the stored
 * road length, so it stays valid whatever the geometry of the road is.
 * Arcs with infinite weight (closed) do not lower the scale.
 */
class GeoPotential
{
    SpherePoints const *points_;
    double scale_;

public:
    GeoPotential(Metric const &metric, SpherePoints const &points);

    //! Weight per unit of chord length that no arc undercuts.
    [[nodiscard]] double scale() const { return scale_; }
    [[nodiscard]] Weight operator()(NodeId x, NodeId target) const
    {
        return scale_ * points_->chord(x, target);
    }
};

/**
 * Reusable one-to-one A* search with a GeoPotential, on a Metric.
 *
 *     AStarQuery query(metric, potential);
 *     query.reset(t).add_source(s).run();
 *     auto cost = query.distance();      // inf_weight if unreachable
 *     auto arcs = query.arc_path();
 *
 * Same threading rules as DijkstraQuery: one query object per thread; the
 * metric and the potential must outlive it.
 */
class AStarQuery
{
    Metric const *metric_;
    GeoPotential const *potential_;
    SearchLabels labels_;
    NodeId target_ = invalid_id;
    std::size_t settled_count_ = 0;

public:
    AStarQuery(Metric const &metric, GeoPotential const &potential);

    //! Forgets the previous search and aims the next one at ``target``.
    AStarQuery &reset(NodeId target);
    AStarQuery &add_source(NodeId source, Weight initial = 0);
    //! Settles nodes in order of distance + potential until the target.
    AStarQuery &run();

    [[nodiscard]] Weight distance() const { return labels_.dist(target_); }
    [[nodiscard]] std::vector<ArcId> arc_path() const;
    [[nodiscard]] std::size_t settled_count() const { return settled_count_; }
};
/**
 * Reusable one-to-one bidirectional A* (average potentials) on a Metric.
 *
 * Both directions use ``p(v) = (pi_t(v) - pi_s(v)) / 2`` (forward) and
 * ``-p(v)`` (backward), built from the GeoPotential towards the target and
 * towards the source (Ikeda et al. 1994; Goldberg & Harrelson 2005). The
 * reduced cost ``w(u, v) - p(u) + p(v)`` is >= 0 because both pi_t and pi_s
 * are consistent, so this is bidirectional Dijkstra on reduced costs: a node
 * is keyed by its distance plus its potential, and the search stops when the
 * two queue minima sum to at least ``best`` (the potentials cancel on any
 * source-target path).
 *
 *     BidirectionalAStarQuery query(metric, potential);
 *     query.reset(s, t).run();
 *     auto cost = query.distance();
 */
class BidirectionalAStarQuery
{
    Metric const *metric_;
    GeoPotential const *potential_;
    TwoSidedLabels labels_;  // side 0 forward, side 1 backward
    NodeId source_ = invalid_id;
    NodeId target_ = invalid_id;
    Weight best_ = inf_weight;
    NodeId meeting_node_ = invalid_id;
    std::size_t settled_count_ = 0;

public:
    BidirectionalAStarQuery(Metric const &metric,
                            GeoPotential const &potential);

    //! Forgets the previous search and starts one from ``source`` to
    //! ``target``.
    BidirectionalAStarQuery &reset(NodeId source, NodeId target);
    BidirectionalAStarQuery &run();

    [[nodiscard]] Weight distance() const { return best_; }
    [[nodiscard]] std::vector<ArcId> arc_path() const;
    [[nodiscard]] std::size_t settled_count() const { return settled_count_; }

private:
    // Forward potential of x (the backward one is its negation).
    [[nodiscard]] Weight forward_potential(NodeId x) const
    {
        return 0.5 * ((*potential_)(x, target_) - (*potential_)(x, source_));
    }
};
}  // namespace ecoroute

#endif  // ECOROUTE_ASTAR_HPP
