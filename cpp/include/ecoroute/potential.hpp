#ifndef ECOROUTE_POTENTIAL_HPP
#define ECOROUTE_POTENTIAL_HPP

// Node potentials that steer a search towards its target (A*). A search is
// templated on its potential; the empty NoPotential compiles down to plain
// Dijkstra, so every search algorithm is written once.

#include "ecoroute/metric.hpp"
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
    std::vector<double> xyz_;  // x, y, z of node i at 3i .. 3i+2

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
 * Geometric lower bound on the cost between two nodes:
 * ``bound(x, y) = scale * chord(x, y)``.
 *
 * ``scale`` is the minimum over all arcs of ``weight / chord(tail, head)``
 * (arcs whose end points coincide are skipped: any weight >= 0 is fine for
 * them), shrunk by 1e-12 relative to absorb rounding. Why this is admissible
 * and consistent: for every arc (u, v), ``w(u, v) >= scale * chord(u, v)`` by
 * the choice of scale, and ``chord(u, v) >= chord(u, t) - chord(v, t)`` by
 * the triangle inequality, so the reduced cost ``w(u, v) - pi_t(u) +
 * pi_t(v)`` with ``pi_t(x) = bound(x, t)`` is >= 0 and ``pi_t(t) = 0``.
 * Summing reduced costs along any path to ``t`` shows pi_t never
 * overestimates the remaining cost. The bound uses straight-line distances
 * between the arc's end points, not the stored road length, so it stays
 * valid whatever the geometry of the road is. Closed arcs (infinite weight)
 * do not lower the scale.
 */
class GeoBound
{
    SpherePoints const *points_;
    double scale_;

public:
    GeoBound(Metric const &metric, SpherePoints const &points);

    //! Weight per unit of chord length that no arc undercuts.
    [[nodiscard]] double scale() const { return scale_; }
    [[nodiscard]] Weight operator()(NodeId x, NodeId y) const
    {
        return scale_ * points_->chord(x, y);
    }
};

/**
 * The potential concept: ``aim(source, target)`` before each query, then
 * ``forward(x)``, the key offset of node x in the forward search (the
 * backward search of a bidirectional query uses ``-forward(x)``).
 */

//! No potential: the search is Dijkstra.
struct NoPotential
{
    static constexpr bool active = false;
    void aim(NodeId, NodeId) {}
    [[nodiscard]] static constexpr Weight forward(NodeId) { return 0; }
};

//! ``pi_t(x) = bound(x, t)``: A* towards the target (one-sided searches).
class TargetPotential
{
    GeoBound const *bound_;
    NodeId target_ = invalid_id;

public:
    static constexpr bool active = true;
    explicit TargetPotential(GeoBound const &bound) : bound_(&bound) {}
    void aim(NodeId, NodeId target) { target_ = target; }
    [[nodiscard]] Weight forward(NodeId x) const
    {
        return (*bound_)(x, target_);
    }
};

/**
 * Average potential ``p(x) = (pi_t(x) - pi_s(x)) / 2`` for bidirectional A*
 * (Ikeda et al. 1994; Goldberg & Harrelson 2005): forward keys add p, the
 * backward keys add -p, both consistent because pi_t and pi_s are, and the
 * two cancel on any source-target path, so the bidirectional stopping rule
 * on keys stays exact.
 */
class AveragePotential
{
    GeoBound const *bound_;
    NodeId source_ = invalid_id;
    NodeId target_ = invalid_id;

public:
    static constexpr bool active = true;
    explicit AveragePotential(GeoBound const &bound) : bound_(&bound) {}
    void aim(NodeId source, NodeId target)
    {
        source_ = source;
        target_ = target;
    }
    [[nodiscard]] Weight forward(NodeId x) const
    {
        return 0.5 * ((*bound_)(x, target_) - (*bound_)(x, source_));
    }
};
}  // namespace ecoroute

#endif  // ECOROUTE_POTENTIAL_HPP
