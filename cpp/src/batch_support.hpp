#ifndef ECOROUTE_BATCH_SUPPORT_HPP
#define ECOROUTE_BATCH_SUPPORT_HPP

// Private helpers shared by the batch runners (PairRouter, CchRouter): pooled
// scratch objects, input checks, running work on threads, and stitching the
// paths that threads collect into one CSR-shaped result. Not installed.

#include "ecoroute/batch.hpp"
#include "ecoroute/types.hpp"

#include <algorithm>
#include <memory>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
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
                        std::span<std::span<double const> const> sum_over,
                        NodeId node_count,
                        ArcId arc_count)
{
    if (sources.size() != targets.size())
        throw std::invalid_argument(
            "sources and targets must have the same length: got "
            + std::to_string(sources.size()) + " and "
            + std::to_string(targets.size()) + ".");
    check_nodes(sources, node_count, "sources");
    check_nodes(targets, node_count, "targets");
    for (std::size_t j = 0; j != sum_over.size(); ++j)
        if (sum_over[j].size() != arc_count)
            throw std::invalid_argument(
                "every quantity to sum must have one value per arc; quantity "
                + std::to_string(j) + " has "
                + std::to_string(sum_over[j].size()) + ".");
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

    void stitch(std::size_t pair_count, BatchResult &result) const
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
}  // namespace ecoroute::detail

#endif  // ECOROUTE_BATCH_SUPPORT_HPP
