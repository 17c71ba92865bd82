#include "ecoroute/cch_router.hpp"

#include "ecoroute/cch_query.hpp"

#include "batch_support.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace ecoroute
{
namespace
{
// One side of an unpruned elimination-tree search: labels per rank, reset
// along the walked path only.
struct TreeSearch
{
    struct Label
    {
        Weight dist;
        ArcId pred;
    };

    CchMetric const *metric;
    std::vector<Label> label;
    std::vector<NodeId> path;      // ranks walked, increasing
    std::vector<NodeId> position;  // position[r]: index of r in path

    explicit TreeSearch(CchMetric const &m)
        : metric(&m),
          label(m.cch().node_count(), Label{inf_weight, invalid_id}),
          position(m.cch().node_count(), invalid_id)
    {
    }

    // Walks from rank r to the root, relaxing upward arcs in direction
    // `backward`; afterwards label[path[i]] holds the final distances.
    void walk(NodeId r, int backward)
    {
        auto const &cch = metric->cch();
        auto const *weight = metric->weights().data();
        path.clear();
        label[r] = Label{0, invalid_id};
        for (auto x = r; x != invalid_id; x = cch.parent(x))
        {
            position[x] = static_cast<NodeId>(path.size());
            path.push_back(x);
            auto const dist = label[x].dist;
            if (dist == inf_weight)
                continue;
            auto const end = cch.up_first_out(x + 1);
            for (auto b = cch.up_first_out(x); b != end; ++b)
            {
                auto const w
                    = backward ? weight[b].backward : weight[b].forward;
                auto &to = label[cch.up_head(b)];
                if (dist + w < to.dist)
                    to = Label{dist + w, b};
            }
        }
    }

    // Sums of the quantities along each walked rank's CCH path, into
    // `out` (path.size() x count), in path order.
    void sum_quantities(CchQuantities const &quantities,
                        int backward,
                        std::vector<double> &out) const
    {
        auto const &cch = metric->cch();
        auto const k = quantities.count();
        out.assign(path.size() * k, 0.0);
        for (std::size_t i = 1; i < path.size(); ++i)
        {
            auto const &l = label[path[i]];
            if (l.dist == inf_weight)
                continue;
            auto const *from = out.data() + position[cch.up_tail(l.pred)] * k;
            auto const *arc = quantities.at(l.pred, backward);
            for (std::size_t j = 0; j != k; ++j)
                out[i * k + j] = from[j] + arc[j];
        }
    }

    void clear()
    {
        for (auto const x : path)
            label[x] = Label{inf_weight, invalid_id};
    }
};

}  // namespace

struct CchRouter::Pools
{
    detail::ObjectPool<CchQuery> queries;
    detail::ObjectPool<TreeSearch> searches;
};

CchRouter::CchRouter(std::shared_ptr<CchMetric const> metric)
    : metric_(std::move(metric)), pools_(std::make_unique<Pools>())
{
    if (!metric_)
        throw std::invalid_argument("CchRouter needs a CchMetric.");
}

CchRouter::~CchRouter() = default;

BatchResult
CchRouter::route_pairs(std::span<NodeId const> sources,
                       std::span<NodeId const> targets,
                       std::span<std::span<double const> const> sum_over,
                       bool with_paths,
                       unsigned num_threads,
                       CchQuantities const *quantities) const
{
    auto const &graph = metric_->cch().graph();
    if (quantities != nullptr && !sum_over.empty())
        throw std::invalid_argument("give per-arc quantities to sum, or "
                                    "customized quantities, not both.");
    if (quantities != nullptr && &quantities->metric() != metric_.get())
        throw std::invalid_argument(
            "the quantities were customized for another metric.");
    detail::check_pairs(
        sources, targets, sum_over, graph.node_count(), graph.arc_count());

    auto const pair_count = sources.size();
    auto const quantity_count
        = quantities != nullptr ? quantities->count() : sum_over.size();
    BatchResult result;
    result.cost.assign(pair_count, inf_weight);
    result.sums.assign(pair_count * quantity_count, 0.0);
    if (pair_count == 0)
    {
        if (with_paths)
            result.path_offsets.assign(1, 0);
        return result;
    }
    auto const threads = resolve_thread_count(num_threads, pair_count);
    bool const need_arcs
        = with_paths || (quantity_count != 0 && quantities == nullptr);

    detail::PathCollector paths(threads);
    std::atomic<std::size_t> next{0};
    constexpr std::size_t chunk = 64;
    auto const nan = std::numeric_limits<double>::quiet_NaN();

    detail::run_on_threads(
        threads,
        [&](unsigned t)
        {
            auto query = pools_->queries.acquire(
                [&] { return std::make_unique<CchQuery>(*metric_); });
            auto &arcs = paths.buffer(t);
            while (true)
            {
                auto const begin = next.fetch_add(chunk);
                if (begin >= pair_count)
                    break;
                auto const end = std::min(pair_count, begin + chunk);
                for (auto i = begin; i != end; ++i)
                {
                    auto const cost
                        = query->run(sources[i], targets[i]).distance();
                    result.cost[i] = cost;
                    if (quantities != nullptr)
                    {
                        auto *sums = result.sums.data() + i * quantity_count;
                        if (cost == inf_weight)
                            std::fill_n(sums, quantity_count, nan);
                        else
                            query->add_quantities(*quantities, sums);
                    }
                    if (!need_arcs)
                        continue;
                    auto const start = arcs.size();
                    if (cost != inf_weight)
                        query->append_arc_path(arcs);
                    for (std::size_t j = 0;
                         quantities == nullptr && j != quantity_count;
                         ++j)
                    {
                        double sum = cost != inf_weight ? 0.0 : nan;
                        for (auto p = start; p != arcs.size(); ++p)
                            sum += sum_over[j][arcs[p]];
                        result.sums[i * quantity_count + j] = sum;
                    }
                    if (with_paths)
                        paths.add(t, i, start);
                    else
                        arcs.resize(start);
                }
            }
            pools_->queries.release(std::move(query));
        });

    if (with_paths)
        paths.stitch(pair_count, result);
    return result;
}

MatrixResult CchRouter::matrix(std::span<NodeId const> sources,
                               std::span<NodeId const> targets,
                               CchQuantities const *quantities,
                               unsigned num_threads) const
{
    auto const &cch = metric_->cch();
    auto const n = cch.node_count();
    detail::check_nodes(sources, n, "sources");
    detail::check_nodes(targets, n, "targets");
    if (quantities != nullptr && &quantities->metric() != metric_.get())
        throw std::invalid_argument(
            "the quantities were customized for another metric.");
    auto const source_count = sources.size();
    auto const target_count = targets.size();
    auto const k = quantities != nullptr ? quantities->count() : 0;
    auto const cells = source_count * target_count;

    MatrixResult result;
    result.cost.assign(cells, inf_weight);
    result.sums.assign(k * cells, std::numeric_limits<double>::quiet_NaN());
    if (cells == 0)
        return result;

    auto make_search = [&] { return std::make_unique<TreeSearch>(*metric_); };

    // 1. Backward search space of every target, per thread in target order.
    struct Entry
    {
        NodeId rank;
        std::uint32_t target;
        Weight dist;
    };
    auto const target_threads = resolve_thread_count(num_threads, target_count);
    std::vector<std::vector<Entry>> thread_entries(target_threads);
    std::vector<std::vector<double>> thread_values(target_threads);
    detail::run_on_threads(
        target_threads,
        [&](unsigned t)
        {
            auto search = pools_->searches.acquire(make_search);
            std::vector<double> along;
            auto const begin = target_count * t / target_threads;
            auto const end = target_count * (t + 1) / target_threads;
            for (auto j = begin; j != end; ++j)
            {
                search->walk(cch.rank(targets[j]), 1);
                if (k != 0)
                    search->sum_quantities(*quantities, 1, along);
                for (std::size_t i = 0; i != search->path.size(); ++i)
                {
                    auto const r = search->path[i];
                    auto const dist = search->label[r].dist;
                    if (dist == inf_weight)
                        continue;
                    thread_entries[t].push_back(
                        {r, static_cast<std::uint32_t>(j), dist});
                    thread_values[t].insert(thread_values[t].end(),
                                            along.begin() + i * k,
                                            along.begin() + (i + 1) * k);
                }
                search->clear();
            }
            pools_->searches.release(std::move(search));
        });

    // 2. Buckets: entries grouped by rank (counting sort, stable).
    std::vector<std::uint32_t> bucket_first(std::size_t{n} + 1, 0);
    std::size_t entry_count = 0;
    for (auto const &entries : thread_entries)
    {
        entry_count += entries.size();
        for (auto const &e : entries)
            ++bucket_first[e.rank + 1];
    }
    if (entry_count >= invalid_id)  // checked before any source starts
        throw std::invalid_argument(
            "too many targets for one matrix: split them into blocks.");
    for (NodeId r = 0; r != n; ++r)
        bucket_first[r + 1] += bucket_first[r];
    std::vector<std::uint32_t> bucket_target(entry_count);
    std::vector<Weight> bucket_dist(entry_count);
    std::vector<double> bucket_values(entry_count * k);
    {
        std::vector<std::uint32_t> fill(bucket_first.begin(),
                                        bucket_first.end() - 1);
        for (unsigned t = 0; t != target_threads; ++t)
            for (std::size_t i = 0; i != thread_entries[t].size(); ++i)
            {
                auto const &e = thread_entries[t][i];
                auto const at = fill[e.rank]++;
                bucket_target[at] = e.target;
                bucket_dist[at] = e.dist;
                std::copy_n(thread_values[t].begin()
                                + static_cast<std::ptrdiff_t>(i * k),
                            k,
                            bucket_values.begin()
                                + static_cast<std::ptrdiff_t>(at * k));
            }
    }
    thread_entries.clear();
    thread_values.clear();

    // 3. Every source walks up and scans the buckets on its path. Meeting
    // ranks are visited in increasing order and only a strictly smaller sum
    // wins, so ties go to the lowest meeting rank.
    auto const source_threads = resolve_thread_count(num_threads, source_count);
    std::atomic<std::size_t> next{0};
    detail::run_on_threads(
        source_threads,
        [&](unsigned)
        {
            auto search = pools_->searches.acquire(make_search);
            std::vector<std::uint32_t> meet_entry(target_count);
            std::vector<std::uint32_t> meet_position(target_count);
            std::vector<double> along;
            while (true)
            {
                auto const i = next.fetch_add(1);
                if (i >= source_count)
                    break;
                search->walk(cch.rank(sources[i]), 0);
                auto *row = result.cost.data() + i * target_count;
                auto const &path = search->path;
                for (std::size_t p = 0; p != path.size(); ++p)
                {
                    auto const dist = search->label[path[p]].dist;
                    if (dist == inf_weight)
                        continue;
                    auto const end = bucket_first[path[p] + 1];
                    for (auto e = bucket_first[path[p]]; e != end; ++e)
                    {
                        auto const j = bucket_target[e];
                        auto const candidate = dist + bucket_dist[e];
                        if (candidate < row[j])
                        {
                            row[j] = candidate;
                            meet_entry[j] = e;
                            meet_position[j] = static_cast<std::uint32_t>(p);
                        }
                    }
                }
                if (k != 0)
                {
                    search->sum_quantities(*quantities, 0, along);
                    for (std::size_t j = 0; j != target_count; ++j)
                    {
                        if (row[j] == inf_weight)
                            continue;
                        auto const *up = along.data() + meet_position[j] * k;
                        auto const *down = bucket_values.data()
                                           + std::size_t{meet_entry[j]} * k;
                        for (std::size_t q = 0; q != k; ++q)
                            result.sums[q * cells + i * target_count + j]
                                = up[q] + down[q];
                    }
                }
                search->clear();
            }
            pools_->searches.release(std::move(search));
        });
    return result;
}

std::vector<Weight> CchRouter::costs_from(NodeId source) const
{
    auto const &cch = metric_->cch();
    auto const n = cch.node_count();
    if (source >= n)
        throw std::out_of_range("source is node " + std::to_string(source)
                                + " but node_count is " + std::to_string(n)
                                + ".");
    auto const *weight = metric_->weights().data();
    std::vector<Weight> dist(n, inf_weight);  // by rank
    auto const r = cch.rank(source);
    dist[r] = 0;
    for (auto x = r; x != invalid_id; x = cch.parent(x))
    {
        if (dist[x] == inf_weight)
            continue;
        for (auto b = cch.up_first_out(x); b != cch.up_first_out(x + 1); ++b)
            dist[cch.up_head(b)]
                = std::min(dist[cch.up_head(b)], dist[x] + weight[b].forward);
    }
    // Every shortest path goes up, then down: settle ranks top-down.
    for (auto v = n; v-- != 0;)
    {
        auto best = dist[v];
        for (auto b = cch.up_first_out(v); b != cch.up_first_out(v + 1); ++b)
            best = std::min(best, dist[cch.up_head(b)] + weight[b].backward);
        dist[v] = best;
    }
    std::vector<Weight> by_node(n);
    for (NodeId x = 0; x != n; ++x)
        by_node[x] = dist[cch.rank(x)];
    return by_node;
}
}  // namespace ecoroute
