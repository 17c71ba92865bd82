#ifndef ECOROUTE_PAIR_LOOP_HPP
#define ECOROUTE_PAIR_LOOP_HPP

// The one pair loop every algorithm runs through (route_pairs below), and
// what it needs: pooled query objects, input checks, running work on
// threads, and stitching the paths that threads collect into one CSR-shaped
// result. Private to the core; not installed.

#include "ecoroute/query_engine.hpp"
#include "ecoroute/types.hpp"

#include <algorithm>
#include <atomic>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace ecoroute::detail
{
// Finished scratch objects, kept for the next call: each holds O(node_count)
// memory that would otherwise be allocated and touched on every call.
template <class T> class ObjectPool
{
    std::mutex mutex_;
    std::vector<std::unique_ptr<T>> free_;

public:
    //! Returns a pooled object, or a new one from ``make()``.
    template <class Make> std::unique_ptr<T> acquire(Make const &make)
    {
        {
            std::lock_guard lock(mutex_);
            if (!free_.empty())
            {
                auto item = std::move(free_.back());
                free_.pop_back();
                return item;
            }
        }
        return make();
    }

    void release(std::unique_ptr<T> item)
    {
        std::lock_guard lock(mutex_);
        free_.push_back(std::move(item));
    }
};

//! Throws std::out_of_range naming the first entry of ``nodes`` >= ``n``.
inline void
check_nodes(std::span<NodeId const> nodes, NodeId n, char const *name)
{
    for (std::size_t i = 0; i != nodes.size(); ++i)
        if (nodes[i] >= n)
            throw std::out_of_range(std::string(name) + "[" + std::to_string(i)
                                    + "] is node " + std::to_string(nodes[i])
                                    + " but node_count is " + std::to_string(n)
                                    + ".");
}

//! The checks every batch of pairs makes before any thread starts.
inline void check_pairs(std::span<NodeId const> sources,
                        std::span<NodeId const> targets,
                        NodeId node_count)
{
    if (sources.size() != targets.size())
        throw std::invalid_argument(
            "sources and targets must have the same length: got "
            + std::to_string(sources.size()) + " and "
            + std::to_string(targets.size()) + ".");
    check_nodes(sources, node_count, "sources");
    check_nodes(targets, node_count, "targets");
}

//! Runs ``work(thread_index)`` on ``threads`` threads (the caller is thread
//! 0) and joins them. ``work`` must not throw.
template <class Work> void run_on_threads(unsigned threads, Work const &work)
{
    std::vector<std::jthread> workers;
    workers.reserve(threads - 1);
    for (unsigned t = 1; t < threads; ++t)
        workers.emplace_back(work, t);
    work(0);
}

/**
 * Paths found by several threads, put back in pair order.
 *
 * Each thread appends the arcs of the pairs it solves to its own buffer
 * (``add``); ``stitch`` then writes them into a BatchResult in CSR form, the
 * arcs of pair i at ``path_offsets[i] .. path_offsets[i + 1] - 1``.
 */
class PathCollector
{
    struct Piece
    {
        std::size_t pair, begin, size;
    };

    std::vector<std::vector<ArcId>> arcs_;
    std::vector<std::vector<Piece>> pieces_;

public:
    explicit PathCollector(unsigned threads) : arcs_(threads), pieces_(threads)
    {
    }

    //! The buffer thread ``t`` appends arcs to.
    [[nodiscard]] std::vector<ArcId> &buffer(unsigned t) { return arcs_[t]; }

    //! Records that pair ``pair``'s path is ``buffer(t)[begin ..]`` up to its
    //! end.
    void add(unsigned t, std::size_t pair, std::size_t begin)
    {
        pieces_[t].push_back({pair, begin, arcs_[t].size() - begin});
    }

    void stitch(std::size_t pair_count, PairResult &result) const
    {
        std::vector<std::size_t> size(pair_count, 0);
        for (auto const &pieces : pieces_)
            for (auto const &piece : pieces)
                size[piece.pair] = piece.size;
        result.path_offsets.assign(pair_count + 1, 0);
        for (std::size_t i = 0; i != pair_count; ++i)
            result.path_offsets[i + 1] = result.path_offsets[i] + size[i];
        result.path_arcs.resize(result.path_offsets.back());
        for (std::size_t t = 0; t != arcs_.size(); ++t)
            for (auto const &piece : pieces_[t])
                std::copy_n(arcs_[t].begin()
                                + static_cast<std::ptrdiff_t>(piece.begin),
                            piece.size,
                            result.path_arcs.begin()
                                + static_cast<std::ptrdiff_t>(
                                    result.path_offsets[piece.pair]));
    }
};
/**
 * The pair loop: solves ``sources[i] -> targets[i]`` for every i on
 * ``threads`` threads, each with a query object from ``pool`` (``make()``
 * builds one when the pool is empty). Any query with the common call shape
 * (search.hpp) works. Per pair it writes the cost, the sums of
 * ``quantities`` along the path and, with ``with_paths``, the path.
 *
 * ``shortcut_sums(query, out)``, when given (not nullptr), adds the sums
 * without the path (the hierarchy's shortcuts carry them); it is used when
 * no path is asked for. Unreachable pairs get inf sums and an empty path.
 * Pairs are handed out in chunks of 16 through an atomic counter. Inputs
 * must be checked before; nothing here throws.
 */
template <class Query, class Make, class ShortcutSums>
void route_pairs(ObjectPool<Query> &pool,
                 Make const &make,
                 std::span<NodeId const> sources,
                 std::span<NodeId const> targets,
                 std::span<std::span<double const> const> quantities,
                 bool with_paths,
                 unsigned threads,
                 ShortcutSums const &shortcut_sums,
                 PairResult &result)
{
    constexpr bool has_shortcut_sums
        = !std::is_same_v<ShortcutSums, std::nullptr_t>;
    auto const pair_count = sources.size();
    auto const k = quantities.size();
    result.cost.assign(pair_count, inf_weight);
    result.sums.assign(pair_count * k, 0.0);
    if (pair_count == 0)
    {
        if (with_paths)
            result.path_offsets.assign(1, 0);
        return;
    }
    bool const sum_along_path = k != 0 && (with_paths || !has_shortcut_sums);
    PathCollector paths(threads);
    constexpr std::size_t chunk = 16;
    std::atomic<std::size_t> next{0};

    run_on_threads(
        threads,
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
                    auto const cost
                        = query->run(sources[i], targets[i]).distance();
                    result.cost[i] = cost;
                    auto *sums = result.sums.data() + i * k;
                    auto const start = buffer.size();
                    if (cost == inf_weight)
                        std::fill_n(sums, k, inf_weight);
                    else if (with_paths || sum_along_path)
                    {
                        query->append_arc_path(buffer);
                        for (std::size_t j = 0; sum_along_path && j != k; ++j)
                        {
                            double sum = 0.0;
                            for (auto p = start; p != buffer.size(); ++p)
                                sum += quantities[j][buffer[p]];
                            sums[j] = sum;
                        }
                    }
                    if constexpr (has_shortcut_sums)
                        if (cost != inf_weight && k != 0 && !sum_along_path)
                            shortcut_sums(*query, sums);
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
}  // namespace ecoroute::detail

#endif  // ECOROUTE_PAIR_LOOP_HPP
