#ifndef ECOROUTE_CCH_MANY_TO_MANY_HPP
#define ECOROUTE_CCH_MANY_TO_MANY_HPP

// Many-to-many and one-to-all searches on a customized hierarchy: what
// QueryEngine runs for matrices and costs_from with Algorithm::cch. Private
// to the core; not installed.

#include "ecoroute/cch.hpp"
#include "ecoroute/query_engine.hpp"

#include "pair_loop.hpp"

#include <span>
#include <vector>

namespace ecoroute::detail
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

/**
 * Every source to every target on a customized hierarchy. The backward
 * search space of each target (its elimination-tree path with distances) is
 * stored in buckets at the ranks it covers; each source then walks its own
 * path and scans the buckets it meets. Quantities (when given, built on the
 * same metric) are summed over the meeting rank's two CCH paths without
 * unpacking. Ties pick the lowest meeting rank, as CchQuery does, so a
 * matrix entry describes the same path a pair query would return.
 */
MatrixResult cch_matrix(CchMetric const &metric,
                        CchQuantities const *quantities,
                        std::span<NodeId const> sources,
                        std::span<NodeId const> targets,
                        unsigned num_threads,
                        ObjectPool<TreeSearch> &searches);

//! One-to-all: an upward walk, then one downward sweep over every CCH arc
//! in decreasing rank order (PHAST).
std::vector<Weight> cch_costs_from(CchMetric const &metric, NodeId source);
}  // namespace ecoroute::detail

#endif  // ECOROUTE_CCH_MANY_TO_MANY_HPP
