#include "ecoroute/metric.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace ecoroute
{
Metric::Metric(std::shared_ptr<CsrGraph const> graph,
               std::vector<Weight> weight)
    : graph_(std::move(graph)), weight_(std::move(weight))
{
    if (!graph_)
        throw std::invalid_argument("Metric needs a graph.");
    if (weight_.size() != graph_->arc_count())
        throw std::invalid_argument("weight must have one entry per arc: got "
                                    + std::to_string(weight_.size()) + " for "
                                    + std::to_string(graph_->arc_count())
                                    + " arcs.");
    for (ArcId a = 0; a != weight_.size(); ++a)
    {
        auto const w = weight_[a];
        if (std::isnan(w))
            throw std::invalid_argument("weight of arc " + std::to_string(a)
                                        + " is NaN.");
        if (w < 0)
            throw std::invalid_argument(
                "weight of arc " + std::to_string(a) + " is negative ("
                + std::to_string(w)
                + "); shift energies by a potential first.");
    }
    auto const in_arc = graph_->in_arc();
    backward_weight_.resize(weight_.size());
    for (ArcId i = 0; i != in_arc.size(); ++i)
        backward_weight_[i] = weight_[in_arc[i]];
}
}  // namespace ecoroute
