#include "ecoroute/query_engine.hpp"

#include "ecoroute/cch_query.hpp"
#include "ecoroute/search.hpp"

#include "cch_many_to_many.hpp"
#include "pair_loop.hpp"

#include <stdexcept>
#include <string>

namespace ecoroute
{
struct QueryEngine::Pools
{
    detail::ObjectPool<DijkstraQuery> dijkstra;
    detail::ObjectPool<BidirectionalDijkstraQuery> bidirectional;
    detail::ObjectPool<AStarQuery> astar;
    detail::ObjectPool<BidirectionalAStarQuery> bidirectional_astar;
    detail::ObjectPool<CchQuery> cch;
    detail::ObjectPool<detail::TreeSearch> tree_searches;
};

namespace
{
void check_quantities(std::span<std::span<double const> const> quantities,
                      ArcId arc_count)
{
    for (std::size_t j = 0; j != quantities.size(); ++j)
        if (quantities[j].size() != arc_count)
            throw std::invalid_argument(
                "every quantity must have one value per arc; quantity "
                + std::to_string(j) + " has "
                + std::to_string(quantities[j].size()) + " for "
                + std::to_string(arc_count) + " arcs.");
}
}  // namespace

QueryEngine::QueryEngine(std::shared_ptr<Metric const> metric,
                         Algorithm algorithm,
                         std::vector<std::span<double const>> quantities,
                         std::shared_ptr<SpherePoints const> points)
    : metric_(std::move(metric)), algorithm_(algorithm),
      quantities_(std::move(quantities)), points_(std::move(points)),
      pools_(std::make_unique<Pools>())
{
    if (!metric_)
        throw std::invalid_argument("QueryEngine needs a metric.");
    if (algorithm_ == Algorithm::cch)
        throw std::invalid_argument(
            "Algorithm::cch needs a customized hierarchy (CchMetric).");
    check_quantities(quantities_, metric_->graph().arc_count());
    if (algorithm_ == Algorithm::astar
        || algorithm_ == Algorithm::bidirectional_astar)
    {
        if (!points_)
            throw std::invalid_argument(
                "A* needs node positions (SpherePoints).");
        bound_ = std::make_unique<GeoBound>(*metric_, *points_);
    }
}

QueryEngine::QueryEngine(std::shared_ptr<CchMetric const> metric,
                         std::vector<std::span<double const>> quantities)
    : cch_metric_(std::move(metric)), algorithm_(Algorithm::cch),
      quantities_(std::move(quantities)), pools_(std::make_unique<Pools>())
{
    if (!cch_metric_)
        throw std::invalid_argument("QueryEngine needs a CchMetric.");
    metric_ = cch_metric_->metric_ptr();
    check_quantities(quantities_, metric_->graph().arc_count());
}

CchQuantities const *QueryEngine::cch_quantities() const
{
    if (quantities_.empty())
        return nullptr;
    std::call_once(cch_quantities_once_,
                   [this]
                   {
                       cch_quantities_ = std::make_unique<CchQuantities>(
                           *cch_metric_, quantities_);
                   });
    return cch_quantities_.get();
}

QueryEngine::~QueryEngine() = default;

double QueryEngine::potential_scale() const
{
    return bound_ ? bound_->scale() : 0.0;
}

PairResult QueryEngine::route_pairs(std::span<NodeId const> sources,
                                    std::span<NodeId const> targets,
                                    bool with_paths,
                                    unsigned num_threads) const
{
    detail::check_pairs(sources, targets, metric_->graph().node_count());
    PairResult result;
    auto const threads = resolve_thread_count(num_threads, sources.size());
    auto const &metric = *metric_;
    auto run = [&](auto &pool, auto const &make, auto const &shortcut_sums)
    {
        detail::route_pairs(pool,
                            make,
                            sources,
                            targets,
                            quantities_,
                            with_paths,
                            threads,
                            shortcut_sums,
                            result);
    };
    switch (algorithm_)
    {
    case Algorithm::dijkstra:
        run(
            pools_->dijkstra,
            [&] { return std::make_unique<DijkstraQuery>(metric); },
            nullptr);
        break;
    case Algorithm::bidirectional:
        run(
            pools_->bidirectional,
            [&]
            { return std::make_unique<BidirectionalDijkstraQuery>(metric); },
            nullptr);
        break;
    case Algorithm::astar:
        run(
            pools_->astar,
            [&]
            {
                return std::make_unique<AStarQuery>(metric,
                                                    TargetPotential(*bound_));
            },
            nullptr);
        break;
    case Algorithm::bidirectional_astar:
        run(
            pools_->bidirectional_astar,
            [&]
            {
                return std::make_unique<BidirectionalAStarQuery>(
                    metric, AveragePotential(*bound_));
            },
            nullptr);
        break;
    case Algorithm::cch:
    {
        // Sums along the shortcuts only when no path is unpacked anyway.
        auto const *sums_along_shortcuts
            = with_paths || sources.empty() ? nullptr : cch_quantities();
        run(
            pools_->cch,
            [&] { return std::make_unique<CchQuery>(*cch_metric_); },
            [&](CchQuery const &query, double *sums)
            { query.add_quantities(*sums_along_shortcuts, sums); });
        break;
    }
    }
    return result;
}

MatrixResult QueryEngine::matrix(std::span<NodeId const> sources,
                                 std::span<NodeId const> targets,
                                 unsigned num_threads) const
{
    if (algorithm_ == Algorithm::cch)
        return detail::cch_matrix(
            *cch_metric_,
            sources.empty() || targets.empty() ? nullptr : cch_quantities(),
            sources,
            targets,
            num_threads,
            pools_->tree_searches);

    // No hierarchy: one search per cell, through the pair loop.
    auto const n = metric_->graph().node_count();
    detail::check_nodes(sources, n, "sources");
    detail::check_nodes(targets, n, "targets");
    auto const rows = sources.size();
    auto const columns = targets.size();
    std::vector<NodeId> pair_sources;
    std::vector<NodeId> pair_targets;
    pair_sources.reserve(rows * columns);
    pair_targets.reserve(rows * columns);
    for (auto const s : sources)
        for (auto const t : targets)
        {
            pair_sources.push_back(s);
            pair_targets.push_back(t);
        }
    auto pairs = route_pairs(pair_sources, pair_targets, false, num_threads);
    MatrixResult result;
    result.cost = std::move(pairs.cost);
    auto const k = quantities_.size();
    auto const cells = rows * columns;
    result.sums.resize(k * cells);
    for (std::size_t cell = 0; cell != cells; ++cell)
        for (std::size_t j = 0; j != k; ++j)
            result.sums[j * cells + cell] = pairs.sums[cell * k + j];
    return result;
}

std::vector<Weight> QueryEngine::costs_from(NodeId source) const
{
    auto const n = metric_->graph().node_count();
    if (source >= n)
        throw std::out_of_range("source is node " + std::to_string(source)
                                + " but node_count is " + std::to_string(n)
                                + ".");
    if (algorithm_ == Algorithm::cch)
        return detail::cch_costs_from(*cch_metric_, source);
    auto query = pools_->dijkstra.acquire(
        [&] { return std::make_unique<DijkstraQuery>(*metric_); });
    query->run_from(source);
    std::vector<Weight> cost(n);
    for (NodeId x = 0; x != n; ++x)
        cost[x] = query->distance_to(x);
    pools_->dijkstra.release(std::move(query));
    return cost;
}
}  // namespace ecoroute
