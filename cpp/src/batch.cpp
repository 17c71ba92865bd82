#include "ecoroute/batch.hpp"

#include "batch_support.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

namespace ecoroute
{
namespace
{
// Uniform "search one pair, then read cost and arcs" over the algorithms.
struct DijkstraAdapter
{
    DijkstraQuery query;
    NodeId target = invalid_id;

    explicit DijkstraAdapter(Metric const &metric) : query(metric) {}
    Weight run(NodeId s, NodeId t)
    {
        target = t;
        return query.reset().add_source(s).run(t).distance_to(t);
    }
    std::vector<ArcId> arcs() const { return query.arc_path_to(target); }
};

struct BidirectionalAdapter
{
    BidirectionalDijkstraQuery query;

    explicit BidirectionalAdapter(Metric const &metric) : query(metric) {}
    Weight run(NodeId s, NodeId t)
    {
        return query.reset().add_source(s).add_target(t).run().distance();
    }
    std::vector<ArcId> arcs() const { return query.arc_path(); }
};

struct AStarAdapter
{
    AStarQuery query;

    AStarAdapter(Metric const &metric, GeoPotential const &potential)
        : query(metric, potential)
    {
    }
    Weight run(NodeId s, NodeId t)
    {
        return query.reset(t).add_source(s).run().distance();
    }
    std::vector<ArcId> arcs() const { return query.arc_path(); }
};

struct BidirectionalAStarAdapter
{
    BidirectionalAStarQuery query;

    BidirectionalAStarAdapter(Metric const &metric,
                              GeoPotential const &potential)
        : query(metric, potential)
    {
    }
    Weight run(NodeId s, NodeId t)
    {
        return query.reset(s, t).run().distance();
    }
    std::vector<ArcId> arcs() const { return query.arc_path(); }
};

}  // namespace

struct PairRouter::Pools
{
    detail::ObjectPool<DijkstraAdapter> dijkstra;
    detail::ObjectPool<BidirectionalAdapter> bidirectional;
    detail::ObjectPool<AStarAdapter> astar;
    detail::ObjectPool<BidirectionalAStarAdapter> bidirectional_astar;
    detail::ObjectPool<DijkstraQuery> one_to_all;
};

unsigned resolve_thread_count(unsigned requested, std::size_t work_items)
{
    auto threads = requested;
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    if (work_items < threads)
        threads = static_cast<unsigned>(std::max<std::size_t>(1, work_items));
    return threads;
}

PairRouter::PairRouter(std::shared_ptr<Metric const> metric,
                       Algorithm algorithm,
                       std::shared_ptr<SpherePoints const> points)
    : metric_(std::move(metric)), algorithm_(algorithm),
      points_(std::move(points)), pools_(std::make_unique<Pools>())
{
    if (!metric_)
        throw std::invalid_argument("PairRouter needs a metric.");
    if (algorithm_ == Algorithm::astar
        || algorithm_ == Algorithm::bidirectional_astar)
    {
        if (!points_)
            throw std::invalid_argument(
                "A* needs node positions (SpherePoints).");
        potential_ = std::make_unique<GeoPotential>(*metric_, *points_);
    }
}

PairRouter::~PairRouter() = default;

double PairRouter::potential_scale() const
{
    return potential_ ? potential_->scale() : 0.0;
}

namespace
{
template <class Adapter, class Make>
void run_pairs(detail::ObjectPool<Adapter> &pool,
               Make const &make,
               std::span<NodeId const> sources,
               std::span<NodeId const> targets,
               std::span<std::span<double const> const> sum_over,
               bool with_paths,
               unsigned num_threads,
               BatchResult &result)
{
    auto const pair_count = sources.size();
    auto const quantity_count = sum_over.size();
    bool const need_arcs = with_paths || quantity_count != 0;
    detail::PathCollector paths(num_threads);
    constexpr std::size_t chunk = 16;
    std::atomic<std::size_t> next{0};

    detail::run_on_threads(
        num_threads,
        [&](unsigned t)
        {
            auto query = pool.acquire(make);
            auto &buffer = paths.buffer(t);
            while (true)
            {
                auto const begin = next.fetch_add(chunk);
                if (begin >= pair_count)
                    break;
                auto const end = std::min(pair_count, begin + chunk);
                for (auto i = begin; i != end; ++i)
                {
                    auto const cost = query->run(sources[i], targets[i]);
                    result.cost[i] = cost;
                    if (!need_arcs)
                        continue;
                    auto const reachable = cost != inf_weight;
                    auto const start = buffer.size();
                    if (reachable)
                    {
                        auto const arcs = query->arcs();
                        buffer.insert(buffer.end(), arcs.begin(), arcs.end());
                    }
                    for (std::size_t j = 0; j != quantity_count; ++j)
                    {
                        double sum
                            = reachable
                                  ? 0.0
                                  : std::numeric_limits<double>::quiet_NaN();
                        for (auto p = start; p != buffer.size(); ++p)
                            sum += sum_over[j][buffer[p]];
                        result.sums[i * quantity_count + j] = sum;
                    }
                    if (with_paths)
                        paths.add(t, i, start);
                    else
                        buffer.resize(start);
                }
            }
            pool.release(std::move(query));
        });

    if (with_paths)
        paths.stitch(pair_count, result);
}
}  // namespace

BatchResult
PairRouter::route_pairs(std::span<NodeId const> sources,
                        std::span<NodeId const> targets,
                        std::span<std::span<double const> const> sum_over,
                        bool with_paths,
                        unsigned num_threads) const
{
    auto const &graph = metric_->graph();
    detail::check_pairs(
        sources, targets, sum_over, graph.node_count(), graph.arc_count());

    BatchResult result;
    result.cost.assign(sources.size(), inf_weight);
    result.sums.assign(sources.size() * sum_over.size(), 0.0);
    if (sources.empty())
    {
        if (with_paths)
            result.path_offsets.assign(1, 0);
        return result;
    }
    auto const threads = resolve_thread_count(num_threads, sources.size());
    auto const &metric = *metric_;

    switch (algorithm_)
    {
    case Algorithm::dijkstra:
        run_pairs(
            pools_->dijkstra,
            [&] { return std::make_unique<DijkstraAdapter>(metric); },
            sources,
            targets,
            sum_over,
            with_paths,
            threads,
            result);
        break;
    case Algorithm::bidirectional:
        run_pairs(
            pools_->bidirectional,
            [&] { return std::make_unique<BidirectionalAdapter>(metric); },
            sources,
            targets,
            sum_over,
            with_paths,
            threads,
            result);
        break;
    case Algorithm::astar:
        run_pairs(
            pools_->astar,
            [&] { return std::make_unique<AStarAdapter>(metric, *potential_); },
            sources,
            targets,
            sum_over,
            with_paths,
            threads,
            result);
        break;
    case Algorithm::bidirectional_astar:
        run_pairs(
            pools_->bidirectional_astar,
            [&]
            {
                return std::make_unique<BidirectionalAStarAdapter>(metric,
                                                                   *potential_);
            },
            sources,
            targets,
            sum_over,
            with_paths,
            threads,
            result);
        break;
    }
    return result;
}

void PairRouter::one_to_all(NodeId source,
                            std::vector<Weight> &cost,
                            std::vector<ArcId> &pred_arc) const
{
    auto const n = metric_->graph().node_count();
    if (source >= n)
        throw std::out_of_range("source is node " + std::to_string(source)
                                + " but node_count is " + std::to_string(n)
                                + ".");
    auto query = pools_->one_to_all.acquire(
        [&] { return std::make_unique<DijkstraQuery>(*metric_); });
    query->reset().add_source(source).run();
    cost.resize(n);
    pred_arc.resize(n);
    for (NodeId x = 0; x != n; ++x)
    {
        cost[x] = query->distance_to(x);
        pred_arc[x] = query->pred_arc(x);
    }
    pools_->one_to_all.release(std::move(query));
}
}  // namespace ecoroute
