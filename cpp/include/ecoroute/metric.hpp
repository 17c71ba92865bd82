#ifndef ECOROUTE_METRIC_HPP
#define ECOROUTE_METRIC_HPP

#include "ecoroute/csr_graph.hpp"
#include "ecoroute/types.hpp"

#include <memory>
#include <span>
#include <vector>

namespace ecoroute
{
/**
 * One non-negative weight per arc of a CsrGraph: one vehicle and objective.
 *
 * Weights are finite and >= 0, or +infinity for an arc that must not be used
 * (a closed road). NaN and negative weights are refused with
 * std::invalid_argument naming the arc; negative energies (an EV recovering
 * energy downhill) must be shifted by a potential before they get here.
 *
 * The metric shares ownership of its graph, copies (or moves) its weights and
 * is read-only afterwards: any number of threads may search it at once. It
 * also keeps the weights in in-arc order (``backward_weight(i) ==
 * weight(graph.in_arc(i))``) so that backward searches read them in order.
 */
class Metric
{
    std::shared_ptr<CsrGraph const> graph_;
    std::vector<Weight> weight_;
    std::vector<Weight> backward_weight_;  // weight_ permuted into in-arc order

public:
    Metric(std::shared_ptr<CsrGraph const> graph, std::vector<Weight> weight);

    [[nodiscard]] CsrGraph const &graph() const { return *graph_; }
    [[nodiscard]] std::shared_ptr<CsrGraph const> const &graph_ptr() const
    {
        return graph_;
    }
    [[nodiscard]] Weight weight(ArcId a) const { return weight_[a]; }
    [[nodiscard]] std::span<Weight const> weight() const { return weight_; }
    [[nodiscard]] std::span<Weight const> backward_weight() const
    {
        return backward_weight_;
    }

    // Bytes held by the weights (the graph is counted by CsrGraph).
    [[nodiscard]] std::size_t memory_bytes() const
    {
        return (weight_.capacity() + backward_weight_.capacity())
               * sizeof(Weight);
    }
};
}  // namespace ecoroute

#endif  // ECOROUTE_METRIC_HPP
