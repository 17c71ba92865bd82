#ifndef ECOROUTE_CCH_ROUTER_HPP
#define ECOROUTE_CCH_ROUTER_HPP

#include "ecoroute/batch.hpp"
#include "ecoroute/cch.hpp"
#include "ecoroute/types.hpp"

#include <memory>
#include <span>
#include <vector>

namespace ecoroute
{
/**
 * Answers of a many-to-many query (an origin-destination matrix).
 *
 * ``cost`` is row-major ``source_count x target_count`` (inf_weight where
 * unreachable). ``sums`` is ``quantity_count x source_count x target_count``:
 * entry (j, i, k) is quantity j summed along the path chosen for source i
 * and target k (NaN where unreachable), empty without quantities.
 */
struct MatrixResult
{
    std::vector<Weight> cost;
    std::vector<double> sums;
};

/**
 * Batches of queries on one CchMetric, spread over threads: the CCH
 * counterpart of PairRouter, with the same conventions.
 *
 * - ``route_pairs``: one elimination-tree query per pair (see CchQuery);
 *   optional paths (input arcs) and per-arc quantities summed along them.
 * - ``matrix``: every source to every target. The backward search space of
 *   each target (its elimination-tree path with distances) is stored in
 *   buckets at the ranks it covers; each source then walks its own path and
 *   scans the buckets it meets. Quantities come from a CchQuantities built
 *   on the same metric and are summed over the meeting rank's two CCH paths
 *   without unpacking. Ties pick the lowest meeting rank, as CchQuery does,
 *   so a matrix entry describes the same path ``route_pairs`` would return.
 * - ``costs_from``: one-to-all, an upward walk then one downward sweep over
 *   every CCH arc in decreasing rank order (PHAST).
 *
 * Scratch memory (query objects) is pooled between calls; all methods are
 * const and thread-safe. Input is validated before any worker starts
 * (std::out_of_range, std::invalid_argument); workers never throw.
 *
 *     CchRouter router(customized);
 *     auto pairs = router.route_pairs(sources, targets, {}, false, 0);
 *     auto table = router.matrix(sources, targets, &quantities, 0);
 */
class CchRouter
{
public:
    explicit CchRouter(std::shared_ptr<CchMetric const> metric);
    ~CchRouter();
    CchRouter(CchRouter const &) = delete;
    CchRouter &operator=(CchRouter const &) = delete;

    [[nodiscard]] CchMetric const &metric() const { return *metric_; }
    [[nodiscard]] std::shared_ptr<CchMetric const> const &metric_ptr() const
    {
        return metric_;
    }

    //! Same contract as PairRouter::route_pairs. Sums come from
    //! ``sum_over`` (per input arc: each path is unpacked to add them up) or,
    //! faster, from ``quantities`` customized on this router's metric (added
    //! along the CCH path without unpacking); give one or the other.
    [[nodiscard]] BatchResult
    route_pairs(std::span<NodeId const> sources,
                std::span<NodeId const> targets,
                std::span<std::span<double const> const> sum_over,
                bool with_paths,
                unsigned num_threads,
                CchQuantities const *quantities = nullptr) const;

    //! Cost from every source to every target, and, when ``quantities`` is
    //! given (it must be built on this router's metric), their sums.
    [[nodiscard]] MatrixResult matrix(std::span<NodeId const> sources,
                                      std::span<NodeId const> targets,
                                      CchQuantities const *quantities,
                                      unsigned num_threads) const;

    //! Cost from ``source`` to every node (inf_weight where unreachable).
    [[nodiscard]] std::vector<Weight> costs_from(NodeId source) const;

private:
    struct Pools;

    std::shared_ptr<CchMetric const> metric_;
    std::unique_ptr<Pools> pools_;
};
}  // namespace ecoroute

#endif  // ECOROUTE_CCH_ROUTER_HPP
