#ifndef ECOROUTE_BATCH_HPP
#define ECOROUTE_BATCH_HPP

#include "ecoroute/astar.hpp"
#include "ecoroute/bidirectional_dijkstra.hpp"
#include "ecoroute/dijkstra.hpp"
#include "ecoroute/metric.hpp"
#include "ecoroute/types.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ecoroute
{
enum class Algorithm
{
    dijkstra,
    bidirectional,
    astar,
    bidirectional_astar,
};

/**
 * Answers of a batch of (source, target) pairs.
 *
 * ``sums`` is row-major ``pair_count x quantity_count``: entry (i, j) is
 * quantity j summed over the arcs of the path chosen for pair i (NaN where
 * the pair is unreachable). Paths are ragged, in CSR form like the graph:
 * the arcs of pair i are ``path_arcs[path_offsets[i] .. path_offsets[i+1]-1]``
 * (both empty unless paths were asked for).
 */
struct BatchResult
{
    std::vector<Weight> cost;                 // inf_weight where unreachable
    std::vector<double> sums;                 // pair_count x quantity_count
    std::vector<std::uint64_t> path_offsets;  // pair_count + 1, or empty
    std::vector<ArcId> path_arcs;
};

/**
 * Runs many point-to-point queries on one Metric, spread over threads.
 *
 * Holds the metric (shared), the algorithm and, for A*, the geometric
 * potential; keeps finished query objects in a pool so that repeated calls
 * do not reallocate O(node_count) scratch memory. All methods are const and
 * thread-safe: several threads may call route_pairs at once.
 *
 * Input is validated before any worker starts (std::out_of_range,
 * std::invalid_argument); workers never throw.
 *
 *     PairRouter router(metric, Algorithm::bidirectional);
 *     auto result = router.route_pairs(sources, targets, {}, false, 0);
 */
class PairRouter
{
public:
    PairRouter(std::shared_ptr<Metric const> metric,
               Algorithm algorithm,
               std::shared_ptr<SpherePoints const> points = nullptr);
    ~PairRouter();
    PairRouter(PairRouter const &) = delete;
    PairRouter &operator=(PairRouter const &) = delete;

    [[nodiscard]] Metric const &metric() const { return *metric_; }
    [[nodiscard]] Algorithm algorithm() const { return algorithm_; }
    //! A* scale (weight per unit chord), or 0 when the algorithm is not A*.
    [[nodiscard]] double potential_scale() const;

    /**
     * Cost (and optionally path and path sums) of ``sources[i] -> targets[i]``.
     *
     * ``sum_over`` holds per-arc quantities (one value per arc each) summed
     * along every chosen path. ``num_threads == 0`` uses every core.
     */
    [[nodiscard]] BatchResult
    route_pairs(std::span<NodeId const> sources,
                std::span<NodeId const> targets,
                std::span<std::span<double const> const> sum_over,
                bool with_paths,
                unsigned num_threads) const;

    /**
     * One-to-all: cost from ``source`` to every node (inf_weight where
     * unreachable) and the arc through which each node is reached
     * (invalid_id for the source and unreachable nodes).
     */
    void one_to_all(NodeId source,
                    std::vector<Weight> &cost,
                    std::vector<ArcId> &pred_arc) const;

private:
    struct Pools;

    std::shared_ptr<Metric const> metric_;
    Algorithm algorithm_;
    std::shared_ptr<SpherePoints const> points_;
    std::unique_ptr<GeoPotential> potential_;
    std::unique_ptr<Pools> pools_;
};

//! Number of worker threads used for ``requested`` (0 = all cores) and
//! ``work_items`` independent items.
unsigned resolve_thread_count(unsigned requested, std::size_t work_items);
}  // namespace ecoroute

#endif  // ECOROUTE_BATCH_HPP
