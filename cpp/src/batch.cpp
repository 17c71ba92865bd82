#include "ecoroute/batch.hpp"

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
// Finished query objects, kept for the next call: a query owns O(node_count)
// scratch memory that would otherwise be allocated on every call.
template <class Query> class QueryPool
{
    std::mutex mutex_;
    std::vector<std::unique_ptr<Query>> free_;

public:
    // Returns a pooled query, or a new one from ``make()``.
    template <class Make> std::unique_ptr<Query> acquire_with(Make const &make)
    {
        {
            std::lock_guard lock(mutex_);
            if (!free_.empty())
            {
                auto query = std::move(free_.back());
                free_.pop_back();
                return query;
            }
        }
        return make();
    }

    void release(std::unique_ptr<Query> query)
    {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(query));
    }
};

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

void check_nodes(std::span<NodeId const> nodes, NodeId n, char const *name)
{
    for (std::size_t i = 0; i != nodes.size(); ++i)
        if (nodes[i] >= n)
            throw std::out_of_range(std::string(name) + "[" + std::to_string(i)
                                    + "] is node " + std::to_string(nodes[i])
                                    + " but node_count is " + std::to_string(n)
                                    + ".");
}
}  // namespace

struct PairRouter::Pools
{
    QueryPool<DijkstraAdapter> dijkstra;
    QueryPool<BidirectionalAdapter> bidirectional;
    QueryPool<AStarAdapter> astar;
    QueryPool<BidirectionalAStarAdapter> bidirectional_astar;
    QueryPool<DijkstraQuery> one_to_all;
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
void run_pairs(QueryPool<Adapter> &pool,
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
    // Paths are collected per thread and stitched in pair order afterwards.
    struct PathPiece
    {
        std::size_t pair;
        std::size_t begin;
        std::size_t size;
    };
    std::vector<std::vector<ArcId>> thread_arcs(num_threads);
    std::vector<std::vector<PathPiece>> thread_pieces(num_threads);

    constexpr std::size_t chunk = 16;
    std::atomic<std::size_t> next{0};

    auto work = [&](unsigned thread_index)
    {
        auto query = pool.acquire_with(make);
        auto &arcs_out = thread_arcs[thread_index];
        auto &pieces = thread_pieces[thread_index];
        bool const need_arcs = with_paths || quantity_count != 0;

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
                auto arcs = reachable ? query->arcs() : std::vector<ArcId>{};
                for (std::size_t j = 0; j != quantity_count; ++j)
                {
                    double sum = reachable
                                     ? 0.0
                                     : std::numeric_limits<double>::quiet_NaN();
                    for (auto const a : arcs)
                        sum += sum_over[j][a];
                    result.sums[i * quantity_count + j] = sum;
                }
                if (with_paths)
                {
                    pieces.push_back({i, arcs_out.size(), arcs.size()});
                    arcs_out.insert(arcs_out.end(), arcs.begin(), arcs.end());
                }
            }
        }
        pool.release(std::move(query));
    };

    {
        std::vector<std::jthread> workers;
        workers.reserve(num_threads - 1);
        for (unsigned t = 1; t < num_threads; ++t)
            workers.emplace_back(work, t);
        work(0);
    }  // joins

    if (!with_paths)
        return;
    std::vector<std::size_t> size(pair_count, 0);
    for (auto const &pieces : thread_pieces)
        for (auto const &piece : pieces)
            size[piece.pair] = piece.size;
    result.path_offsets.assign(pair_count + 1, 0);
    for (std::size_t i = 0; i != pair_count; ++i)
        result.path_offsets[i + 1] = result.path_offsets[i] + size[i];
    result.path_arcs.resize(result.path_offsets.back());
    for (unsigned t = 0; t != num_threads; ++t)
        for (auto const &piece : thread_pieces[t])
            std::copy_n(thread_arcs[t].begin()
                            + static_cast<std::ptrdiff_t>(piece.begin),
                        piece.size,
                        result.path_arcs.begin()
                            + static_cast<std::ptrdiff_t>(
                                result.path_offsets[piece.pair]));
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
    if (sources.size() != targets.size())
        throw std::invalid_argument(
            "sources and targets must have the same length: got "
            + std::to_string(sources.size()) + " and "
            + std::to_string(targets.size()) + ".");
    check_nodes(sources, graph.node_count(), "sources");
    check_nodes(targets, graph.node_count(), "targets");
    for (std::size_t j = 0; j != sum_over.size(); ++j)
        if (sum_over[j].size() != graph.arc_count())
            throw std::invalid_argument(
                "every quantity to sum must have one value per arc; quantity "
                + std::to_string(j) + " has "
                + std::to_string(sum_over[j].size()) + ".");

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
    auto query = pools_->one_to_all.acquire_with(
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
