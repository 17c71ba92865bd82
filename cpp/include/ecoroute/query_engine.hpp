#ifndef ECOROUTE_QUERY_ENGINE_HPP
#define ECOROUTE_QUERY_ENGINE_HPP

#include "ecoroute/cch.hpp"
#include "ecoroute/metric.hpp"
#include "ecoroute/potential.hpp"
#include "ecoroute/threads.hpp"
#include "ecoroute/types.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ecoroute
{
//! The search behind a QueryEngine. All give the same costs; only speed
//! differs. ``cch`` needs a customized contraction hierarchy (CchMetric).
enum class Algorithm
{
    dijkstra,
    bidirectional,
    astar,
    bidirectional_astar,
    cch,
};

/**
 * Answers of a batch of (source, target) pairs.
 *
 * ``sums`` is row-major ``pair_count x quantity_count``: entry (i, j) is
 * quantity j summed over the arcs of the path chosen for pair i (inf where
 * the pair is unreachable). Paths are ragged, in CSR form like the graph:
 * the arcs of pair i are ``path_arcs[path_offsets[i] .. path_offsets[i+1]-1]``
 * (both empty unless paths were asked for).
 */
struct PairResult
{
    std::vector<Weight> cost;                 // inf_weight where unreachable
    std::vector<double> sums;                 // pair_count x quantity_count
    std::vector<std::uint64_t> path_offsets;  // pair_count + 1, or empty
    std::vector<ArcId> path_arcs;
};

/**
 * Answers of a many-to-many query (an origin-destination matrix).
 *
 * ``cost`` is row-major ``source_count x target_count`` (inf_weight where
 * unreachable). ``sums`` is ``quantity_count x source_count x target_count``:
 * entry (j, i, k) is quantity j summed along the path chosen for source i
 * and target k (inf where unreachable).
 */
struct MatrixResult
{
    std::vector<Weight> cost;
    std::vector<double> sums;
};

/**
 * Every query of one metric, whatever the algorithm: batches of pairs,
 * matrices and one-to-all costs, spread over threads.
 *
 * An engine holds the metric (shared), the per-arc quantities it reports
 * (summed along every path it chooses) and, for A*, the geometric bound. All
 * pairs run through one loop (pair_loop.hpp) over the algorithm's query
 * objects; finished query objects are pooled so that repeated calls do not
 * reallocate O(node_count) scratch memory. All methods are const and
 * thread-safe. Input is validated before any worker starts
 * (std::out_of_range, std::invalid_argument); workers never throw.
 *
 * The engine stores references to the ``quantities`` arrays (like
 * RoutingKit's metric stores its weights): the caller keeps them alive and
 * unchanged as long as the engine lives.
 *
 *     QueryEngine engine(metric, Algorithm::bidirectional, {time_s, co2_g});
 *     auto pairs = engine.route_pairs(sources, targets, false, 0);
 *     QueryEngine fast(customized, {time_s, co2_g});   // Algorithm::cch
 *     auto table = fast.matrix(sources, targets, 0);
 */
class QueryEngine
{
public:
    //! A search on the plain graph. A* needs node positions.
    QueryEngine(std::shared_ptr<Metric const> metric,
                Algorithm algorithm,
                std::vector<std::span<double const>> quantities,
                std::shared_ptr<SpherePoints const> points = nullptr);
    //! Elimination-tree queries on a customized contraction hierarchy.
    QueryEngine(std::shared_ptr<CchMetric const> metric,
                std::vector<std::span<double const>> quantities);
    ~QueryEngine();
    QueryEngine(QueryEngine const &) = delete;
    QueryEngine &operator=(QueryEngine const &) = delete;

    [[nodiscard]] Algorithm algorithm() const { return algorithm_; }
    [[nodiscard]] Metric const &metric() const { return *metric_; }
    [[nodiscard]] std::size_t quantity_count() const
    {
        return quantities_.size();
    }
    //! A* scale (weight per unit chord), or 0 when the algorithm is not A*.
    [[nodiscard]] double potential_scale() const;

    /**
     * Cost, quantity sums and (optionally) path of ``sources[i] ->
     * targets[i]``. ``num_threads == 0`` uses every core. With the
     * hierarchy and no paths, sums are added along the shortcuts (no path
     * is unpacked); otherwise along the path's arcs.
     */
    [[nodiscard]] PairResult route_pairs(std::span<NodeId const> sources,
                                         std::span<NodeId const> targets,
                                         bool with_paths,
                                         unsigned num_threads) const;

    //! Every source to every target. With the hierarchy: bucket-based
    //! many-to-many search; otherwise every pair through route_pairs.
    [[nodiscard]] MatrixResult matrix(std::span<NodeId const> sources,
                                      std::span<NodeId const> targets,
                                      unsigned num_threads) const;

    //! Cost from ``source`` to every node (inf_weight where unreachable).
    [[nodiscard]] std::vector<Weight> costs_from(NodeId source) const;

private:
    struct Pools;

    std::shared_ptr<Metric const> metric_;
    std::shared_ptr<CchMetric const> cch_metric_;  // Algorithm::cch only
    Algorithm algorithm_;
    std::vector<std::span<double const>> quantities_;
    std::shared_ptr<SpherePoints const> points_;
    std::unique_ptr<GeoBound> bound_;  // A* only
    // cch with quantities: built on first use (the first matrix or batch
    // without paths), not with the engine, so an engine that only answers
    // single routes never pays for it.
    mutable std::once_flag cch_quantities_once_;
    mutable std::unique_ptr<CchQuantities> cch_quantities_;
    std::unique_ptr<Pools> pools_;

    [[nodiscard]] CchQuantities const *cch_quantities() const;
};
}  // namespace ecoroute

#endif  // ECOROUTE_QUERY_ENGINE_HPP
