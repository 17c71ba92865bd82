#ifndef ECOROUTE_TD_DIJKSTRA_HPP
#define ECOROUTE_TD_DIJKSTRA_HPP

#include "ecoroute/csr_graph.hpp"
#include "ecoroute/potential.hpp"
#include "ecoroute/types.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace ecoroute
{
/**
 * Arc costs that depend on the moment an arc is entered (a periodic
 * profile of ``slot_count`` slots of ``slot_length`` time units each, e.g.
 * the 168 hours of a week).
 *
 * An arc without a profile always takes ``static_time[a]`` to drive and
 * costs ``static_weight[a]``. An arc with one (row ``r``) takes
 * ``slot_time[r * slot_count + k]`` to drive whole at the speed of slot
 * ``k``, and costs ``slot_weight[r * slot_count + k]`` for that whole
 * traversal. A vehicle drives at the speed in force at each moment: when a
 * slot ends half-way along the arc, the rest of the arc is driven at the
 * next slot's speed, and the weight is shared in proportion to the fraction
 * of the arc driven in each slot. Arrival is therefore non-decreasing in
 * entry time (FIFO): waiting never lets a vehicle overtake.
 *
 * Without weights (``static_weight`` and ``slot_weight`` both empty) the
 * weight of a traversal is its time.
 */
class TimeDependentArcs
{
public:
    struct Traversal
    {
        double arrival;  // time at the arc's head
        Weight weight;   // cost of this traversal
    };

    //! Copies its inputs. Throws std::invalid_argument on inconsistent
    //! sizes, negative or NaN values, or arcs out of range.
    TimeDependentArcs(std::shared_ptr<CsrGraph const> graph,
                      std::vector<double> static_time,
                      std::vector<Weight> static_weight,
                      std::vector<ArcId> profile_arcs,
                      std::vector<float> slot_time,
                      std::vector<Weight> slot_weight,
                      double slot_length,
                      std::uint32_t slot_count);

    [[nodiscard]] CsrGraph const &graph() const { return *graph_; }
    [[nodiscard]] std::shared_ptr<CsrGraph const> const &shared_graph() const
    {
        return graph_;
    }
    [[nodiscard]] bool weight_is_time() const { return weight_is_time_; }
    [[nodiscard]] std::size_t profile_count() const
    {
        return slot_count_ == 0 ? 0 : slot_time_.size() / slot_count_;
    }

    //! Drives arc ``a`` entered at time ``entry``.
    [[nodiscard]] Traversal traverse(ArcId a, double entry) const;

    //! Per arc, the least weight of any traversal (the minimum over slots):
    //! a static lower bound, e.g. for an A* potential.
    [[nodiscard]] std::vector<Weight> lower_bound_weights() const;

private:
    std::shared_ptr<CsrGraph const> graph_;
    std::vector<double> static_time_;
    std::vector<Weight> static_weight_;
    std::vector<ArcId> profile_row_;   // per arc: row, or invalid_id
    std::vector<float> slot_time_;     // rows x slot_count
    std::vector<Weight> slot_weight_;  // rows x slot_count, or empty
    double slot_length_;
    std::uint32_t slot_count_;
    bool weight_is_time_;
};

//! A time-dependent route: its arcs and the moment each is entered.
struct TimeDependentRoute
{
    double arrival = inf_weight;  // inf when the target is unreachable
    Weight cost = inf_weight;
    std::vector<ArcId> arcs;
    std::vector<double> entry;  // entry[i]: when arcs[i] is entered
};

/**
 * Time-dependent routes of a batch of pairs, paths in CSR form: the arcs of
 * pair i are ``path_arcs[path_offsets[i] .. path_offsets[i+1]-1]``, entered
 * at ``path_entry[...]`` (the same positions).
 */
struct TimeDependentPairs
{
    std::vector<double> arrival;  // inf where unreachable
    std::vector<Weight> cost;     // inf where unreachable
    std::vector<std::uint64_t> path_offsets;
    std::vector<ArcId> path_arcs;
    std::vector<double> path_entry;
};

/**
 * Time-dependent Dijkstra over TimeDependentArcs, from one departure.
 *
 * When the weight is time, nodes are settled by earliest arrival; with FIFO
 * arcs that is exact (Dreyfus 1969; Kaufman & Smith 1993). With another
 * weight, nodes are settled by least weight and each node keeps the
 * arrival time of its least-weight path, whose arcs are then driven at
 * that time: exact when the weights do not depend on time, a heuristic
 * otherwise (a costlier but earlier path may miss a later jam), documented
 * in docs/traffic.md. Weights must be >= 0 (shift them by a potential
 * first). Thread-safe: each call takes a query object from a pool.
 *
 * With node positions, route() is A*: keys add ``scale * chord(x, target)``
 * (GeoBound over lower_bound_weights()), consistent because no traversal
 * at any time costs less than its arc's lower bound; the settled order
 * still yields the same labels as Dijkstra (ties aside).
 */
class TimeDependentDijkstra
{
public:
    explicit TimeDependentDijkstra(
        std::shared_ptr<TimeDependentArcs const> arcs,
        std::shared_ptr<SpherePoints const> points = nullptr);
    ~TimeDependentDijkstra();
    TimeDependentDijkstra(TimeDependentDijkstra const &) = delete;
    TimeDependentDijkstra &operator=(TimeDependentDijkstra const &) = delete;

    //! The route from ``source`` to ``target`` leaving at ``departure``.
    [[nodiscard]] TimeDependentRoute
    route(NodeId source, NodeId target, double departure) const;

    //! route() for every ``sources[i] -> targets[i]`` leaving at
    //! ``departures[i]``, over ``num_threads`` threads (0 = every core).
    //! Input is checked before any thread starts.
    [[nodiscard]] TimeDependentPairs
    route_pairs(std::span<NodeId const> sources,
                std::span<NodeId const> targets,
                std::span<double const> departures,
                unsigned num_threads) const;

    //! Arrival time at every node (inf where unreachable), by earliest
    //! arrival when the weight is time, else along least-weight paths.
    [[nodiscard]] std::vector<double> arrivals_from(NodeId source,
                                                    double departure) const;

private:
    struct Query;

    std::unique_ptr<Query> acquire() const;
    TimeDependentRoute
    solve(Query &query, NodeId source, NodeId target, double departure) const;
    void release(std::unique_ptr<Query> query) const;

    std::shared_ptr<TimeDependentArcs const> arcs_;
    std::shared_ptr<SpherePoints const> points_;
    std::unique_ptr<GeoBound> bound_;  // A* only
    mutable std::mutex mutex_;
    mutable std::vector<std::unique_ptr<Query>> pool_;
};
}  // namespace ecoroute

#endif  // ECOROUTE_TD_DIJKSTRA_HPP
