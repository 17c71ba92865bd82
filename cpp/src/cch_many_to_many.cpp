#include "cch_many_to_many.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>

namespace ecoroute::detail
{
MatrixResult cch_matrix(CchMetric const &metric,
                        CchQuantities const *quantities,
                        std::span<NodeId const> sources,
                        std::span<NodeId const> targets,
                        unsigned num_threads,
                        ObjectPool<TreeSearch> &searches)
{
    auto const &cch = metric.cch();
    auto const n = cch.node_count();
    check_nodes(sources, n, "sources");
    check_nodes(targets, n, "targets");
    auto const source_count = sources.size();
    auto const target_count = targets.size();
    auto const k = quantities != nullptr ? quantities->count() : 0;
    auto const cells = source_count * target_count;

    MatrixResult result;
    result.cost.assign(cells, inf_weight);
    result.sums.assign(k * cells, inf_weight);
    if (cells == 0)
        return result;

    auto make_search = [&] { return std::make_unique<TreeSearch>(metric); };

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
    run_on_threads(
        target_threads,
        [&](unsigned t)
        {
            auto search = searches.acquire(make_search);
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
            searches.release(std::move(search));
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
    run_on_threads(
        source_threads,
        [&](unsigned)
        {
            auto search = searches.acquire(make_search);
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
            searches.release(std::move(search));
        });
    return result;
}

std::vector<Weight> cch_costs_from(CchMetric const &metric, NodeId source)
{
    auto const &cch = metric.cch();
    auto const n = cch.node_count();
    if (source >= n)
        throw std::out_of_range("source is node " + std::to_string(source)
                                + " but node_count is " + std::to_string(n)
                                + ".");
    auto const *weight = metric.weights().data();
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
}  // namespace ecoroute::detail
