#include "ecoroute/td_dijkstra.hpp"

#include "ecoroute/id_queue.hpp"
#include "ecoroute/metric.hpp"
#include "ecoroute/threads.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>
#include <thread>

namespace ecoroute
{
namespace
{
template <class T>
void check_values(std::vector<T> const &values, char const *name)
{
    for (std::size_t i = 0; i != values.size(); ++i)
        if (!(values[i] >= 0))  // +inf is a closed arc; NaN and negatives are errors
            throw std::invalid_argument(std::string(name) + "["
                                        + std::to_string(i)
                                        + "] must be >= 0 (+inf: closed).");
}
}  // namespace

TimeDependentArcs::TimeDependentArcs(std::shared_ptr<CsrGraph const> graph,
                                     std::vector<double> static_time,
                                     std::vector<Weight> static_weight,
                                     std::vector<ArcId> profile_arcs,
                                     std::vector<float> slot_time,
                                     std::vector<Weight> slot_weight,
                                     double slot_length,
                                     std::uint32_t slot_count)
    : graph_(std::move(graph)), static_time_(std::move(static_time)),
      static_weight_(std::move(static_weight)),
      slot_time_(std::move(slot_time)), slot_weight_(std::move(slot_weight)),
      slot_length_(slot_length), slot_count_(slot_count),
      weight_is_time_(static_weight_.empty() && slot_weight_.empty())
{
    if (!graph_)
        throw std::invalid_argument("TimeDependentArcs needs a graph.");
    auto const m = graph_->arc_count();
    if (!(slot_length_ > 0) || std::isinf(slot_length_) || slot_count_ == 0)
        throw std::invalid_argument(
            "slot_length must be > 0 and slot_count >= 1.");
    if (static_time_.size() != m)
        throw std::invalid_argument("static_time must have one entry per arc.");
    if (!weight_is_time_ && static_weight_.size() != m)
        throw std::invalid_argument(
            "static_weight must have one entry per arc.");
    auto const cells = profile_arcs.size() * std::size_t{slot_count_};
    if (slot_time_.size() != cells)
        throw std::invalid_argument(
            "slot_time must have slot_count entries per profile arc.");
    if (!weight_is_time_ && slot_weight_.size() != cells)
        throw std::invalid_argument(
            "slot_weight must have slot_count entries per profile arc.");
    check_values(static_time_, "static_time");
    check_values(static_weight_, "static_weight");
    check_values(slot_time_, "slot_time");
    check_values(slot_weight_, "slot_weight");

    profile_row_.assign(m, invalid_id);
    for (std::size_t r = 0; r != profile_arcs.size(); ++r)
    {
        auto const a = profile_arcs[r];
        if (a >= m)
            throw std::out_of_range("profile arc " + std::to_string(a)
                                    + " is not an arc of the graph.");
        if (profile_row_[a] != invalid_id)
            throw std::invalid_argument("profile arc " + std::to_string(a)
                                        + " appears twice.");
        profile_row_[a] = static_cast<ArcId>(r);
    }
}

TimeDependentArcs::Traversal TimeDependentArcs::traverse(ArcId a,
                                                         double entry) const
{
    auto const row = profile_row_[a];
    if (row == invalid_id)
    {
        auto const time = static_time_[a];
        return {entry + time, weight_is_time_ ? time : static_weight_[a]};
    }
    auto const offset = std::size_t{row} * slot_count_;
    auto const *slot_time = slot_time_.data() + offset;
    auto const *slot_weight
        = weight_is_time_ ? nullptr : slot_weight_.data() + offset;

    // Drive the arc slot by slot: `remaining` is the fraction still ahead.
    double t = entry;
    double remaining = 1.0;
    Weight weight = 0.0;
    while (true)
    {
        auto const index = std::floor(t / slot_length_);
        auto slot = static_cast<std::int64_t>(index)
                    % static_cast<std::int64_t>(slot_count_);
        if (slot < 0)
            slot += slot_count_;
        double const whole = slot_time[slot];
        if (std::isinf(whole))  // closed in this slot: never left
            return {inf_weight, inf_weight};
        double const slot_end = (index + 1.0) * slot_length_;
        double const done = t + remaining * whole;
        if (done <= slot_end || whole <= 0.0)
        {
            if (slot_weight != nullptr)
                weight += remaining * slot_weight[slot];
            return {done, slot_weight != nullptr ? weight : done - entry};
        }
        double const part = (slot_end - t) / whole;
        remaining -= part;
        if (slot_weight != nullptr)
            weight += part * slot_weight[slot];
        t = slot_end;
    }
}

std::vector<Weight> TimeDependentArcs::lower_bound_weights() const
{
    auto const m = graph_->arc_count();
    std::vector<Weight> out(weight_is_time_ ? static_time_ : static_weight_);
    for (ArcId a = 0; a != m; ++a)
    {
        auto const row = profile_row_[a];
        if (row == invalid_id)
            continue;
        auto const offset = std::size_t{row} * slot_count_;
        Weight least = inf_weight;
        for (std::uint32_t k = 0; k != slot_count_; ++k)
            least = std::min(least,
                             weight_is_time_
                                 ? static_cast<Weight>(slot_time_[offset + k])
                                 : slot_weight_[offset + k]);
        out[a] = least;
    }
    return out;
}

struct TimeDependentDijkstra::Query
{
    explicit Query(NodeId n)
        : key(n, inf_weight), time(n, inf_weight), parent(n, invalid_id),
          queue(n)
    {
    }

    std::vector<Weight> key;
    std::vector<double> time;
    std::vector<ArcId> parent;
    std::vector<NodeId> touched;
    MinIdQueue queue;

    void reset()
    {
        for (auto x : touched)
        {
            key[x] = inf_weight;
            time[x] = inf_weight;
            parent[x] = invalid_id;
        }
        touched.clear();
        queue.clear();
    }

    // Settles nodes from `source` until `target` is settled (or all are,
    // when target == invalid_id). With a bound (and a target), A*.
    void run(TimeDependentArcs const &arcs,
             NodeId source,
             NodeId target,
             double departure,
             GeoBound const *bound)
    {
        reset();
        auto const &graph = arcs.graph();
        bool const by_time = arcs.weight_is_time();
        auto const potential = [&](NodeId x) -> Weight
        { return bound == nullptr ? 0.0 : (*bound)(x, target); };
        key[source] = by_time ? departure : 0.0;
        time[source] = departure;
        touched.push_back(source);
        queue.push(source, key[source] + potential(source));
        while (!queue.empty())
        {
            auto const x = queue.pop();
            if (x == target)
                return;
            auto const at = time[x];
            for (auto a = graph.first_out(x); a != graph.first_out(x + 1); ++a)
            {
                auto const y = graph.head(a);
                auto const step = arcs.traverse(a, at);
                Weight const candidate
                    = by_time ? step.arrival : key[x] + step.weight;
                if (!(candidate < key[y]))
                    continue;
                if (key[y] == inf_weight)
                    touched.push_back(y);
                key[y] = candidate;
                time[y] = step.arrival;
                parent[y] = a;
                auto const aim = candidate + potential(y);
                if (queue.contains(y))
                    queue.decrease_key(y, aim);
                else
                    queue.push(y, aim);
            }
        }
    }
};

TimeDependentDijkstra::TimeDependentDijkstra(
    std::shared_ptr<TimeDependentArcs const> arcs,
    std::shared_ptr<SpherePoints const> points)
    : arcs_(std::move(arcs)), points_(std::move(points))
{
    if (!arcs_)
        throw std::invalid_argument("TimeDependentDijkstra needs arcs.");
    if (points_)
    {
        if (points_->size() != arcs_->graph().node_count())
            throw std::invalid_argument("points must hold one point per node.");
        Metric const lower(arcs_->shared_graph(), arcs_->lower_bound_weights());
        bound_ = std::make_unique<GeoBound>(lower, *points_);
    }
}

TimeDependentDijkstra::~TimeDependentDijkstra() = default;

std::unique_ptr<TimeDependentDijkstra::Query>
TimeDependentDijkstra::acquire() const
{
    {
        std::lock_guard lock(mutex_);
        if (!pool_.empty())
        {
            auto query = std::move(pool_.back());
            pool_.pop_back();
            return query;
        }
    }
    return std::make_unique<Query>(arcs_->graph().node_count());
}

void TimeDependentDijkstra::release(std::unique_ptr<Query> query) const
{
    std::lock_guard lock(mutex_);
    pool_.push_back(std::move(query));
}

TimeDependentRoute TimeDependentDijkstra::solve(Query &query,
                                                NodeId source,
                                                NodeId target,
                                                double departure) const
{
    query.run(*arcs_, source, target, departure, bound_.get());
    TimeDependentRoute result;
    if (query.key[target] != inf_weight)
    {
        result.arrival = query.time[target];
        result.cost = arcs_->weight_is_time() ? query.time[target] - departure
                                              : query.key[target];
        for (auto x = target; x != source;)
        {
            auto const a = query.parent[x];
            result.arcs.push_back(a);
            x = arcs_->graph().tail(a);
        }
        std::reverse(result.arcs.begin(), result.arcs.end());
        result.entry.reserve(result.arcs.size());
        for (auto a : result.arcs)
            result.entry.push_back(query.time[arcs_->graph().tail(a)]);
    }
    return result;
}

TimeDependentRoute TimeDependentDijkstra::route(NodeId source,
                                                NodeId target,
                                                double departure) const
{
    auto const n = arcs_->graph().node_count();
    if (source >= n || target >= n)
        throw std::out_of_range("source or target is not a node of the graph.");
    if (!std::isfinite(departure))
        throw std::invalid_argument("departure must be finite.");
    auto query = acquire();
    auto result = solve(*query, source, target, departure);
    release(std::move(query));
    return result;
}

TimeDependentPairs
TimeDependentDijkstra::route_pairs(std::span<NodeId const> sources,
                                   std::span<NodeId const> targets,
                                   std::span<double const> departures,
                                   unsigned num_threads) const
{
    auto const count = sources.size();
    if (targets.size() != count || departures.size() != count)
        throw std::invalid_argument(
            "sources, targets and departures must have the same length.");
    auto const n = arcs_->graph().node_count();
    for (std::size_t i = 0; i != count; ++i)
    {
        if (sources[i] >= n || targets[i] >= n)
            throw std::out_of_range("pair " + std::to_string(i)
                                    + " names a node outside the graph.");
        if (!std::isfinite(departures[i]))
            throw std::invalid_argument("departure of pair " + std::to_string(i)
                                        + " is not finite.");
    }
    std::vector<TimeDependentRoute> routes(count);
    std::atomic<std::size_t> next{0};
    auto const work = [&]
    {
        auto query = acquire();
        for (auto i = next++; i < count; i = next++)
            routes[i] = solve(*query, sources[i], targets[i], departures[i]);
        release(std::move(query));
    };
    auto const threads = resolve_thread_count(num_threads, count);
    {
        std::vector<std::jthread> pool;
        for (unsigned k = 1; k < threads; ++k)
            pool.emplace_back(work);
        work();
    }  // joins

    TimeDependentPairs out;
    out.arrival.reserve(count);
    out.cost.reserve(count);
    out.path_offsets.reserve(count + 1);
    out.path_offsets.push_back(0);
    for (auto &route : routes)
    {
        out.arrival.push_back(route.arrival);
        out.cost.push_back(route.cost);
        out.path_arcs.insert(
            out.path_arcs.end(), route.arcs.begin(), route.arcs.end());
        out.path_entry.insert(
            out.path_entry.end(), route.entry.begin(), route.entry.end());
        out.path_offsets.push_back(out.path_arcs.size());
        route = {};  // free as we go
    }
    return out;
}

std::vector<double> TimeDependentDijkstra::arrivals_from(NodeId source,
                                                         double departure) const
{
    auto const n = arcs_->graph().node_count();
    if (source >= n)
        throw std::out_of_range("source is not a node of the graph.");
    if (!std::isfinite(departure))
        throw std::invalid_argument("departure must be finite.");
    auto query = acquire();
    query->run(*arcs_, source, invalid_id, departure, nullptr);
    std::vector<double> out(query->time);
    release(std::move(query));
    return out;
}
}  // namespace ecoroute
