#include "ecoroute/potential.hpp"

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

GeoBound::GeoBound(Metric const &metric, SpherePoints const &points)
    : points_(&points), scale_(std::numeric_limits<double>::infinity())
{
    auto const &graph = metric.graph();
    if (points.size() != graph.node_count())
        throw std::invalid_argument(
            "a geometric bound needs one point per node: got "
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
}  // namespace ecoroute
