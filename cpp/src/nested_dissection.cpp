#include "ecoroute/nested_dissection.hpp"

#include "ecoroute/threads.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace ecoroute
{
namespace
{
constexpr NodeId unreached = invalid_id;

// One connected piece of the undirected graph being dissected (simple for the
// node order, with one edge per input arc for the arc order): CSR over local
// ids 0..k-1, every edge stored as two arcs that know each other.
struct Part
{
    std::vector<ArcId> first_out;  // k + 1 entries
    std::vector<NodeId> head;      // local ids
    std::vector<ArcId> back;       // back[a]: the arc head[a] -> tail(a)
    std::vector<NodeId> global;    // global[v]: node id in the input graph

    [[nodiscard]] NodeId node_count() const
    {
        return static_cast<NodeId>(global.size());
    }
    [[nodiscard]] ArcId arc_count() const
    {
        return static_cast<ArcId>(head.size());
    }
};

// Fills `back` from sorted, symmetric adjacency lists: visiting tails in
// increasing order meets the entries of every list in increasing order too,
// so a cursor per node points at the reverse arc.
void link_back_arcs(Part &part)
{
    auto const k = part.node_count();
    part.back.resize(part.head.size());
    std::vector<ArcId> cursor(part.first_out.begin(), part.first_out.end() - 1);
    for (NodeId x = 0; x != k; ++x)
        for (auto a = part.first_out[x]; a != part.first_out[x + 1]; ++a)
            part.back[a] = cursor[part.head[a]]++;
}

// The undirected simple graph underneath `graph`: no loops, no multi-edges.
Part make_top_part(CsrGraph const &graph)
{
    auto const n = graph.node_count();
    Part part;
    part.global.resize(n);
    for (NodeId x = 0; x != n; ++x)
        part.global[x] = x;
    part.first_out.assign(n + 1, 0);
    std::vector<NodeId> seen(n, invalid_id);
    for (int pass = 0; pass != 2; ++pass)
    {
        for (NodeId x = 0; x != n; ++x)
        {
            auto const begin = pass == 0 ? 0 : part.first_out[x];
            auto end = begin;
            auto add = [&](NodeId y)
            {
                if (y == x || seen[y] == x)
                    return;
                seen[y] = x;
                if (pass == 1)
                    part.head[end] = y;
                ++end;
            };
            for (auto a = graph.first_out(x); a != graph.first_out(x + 1); ++a)
                add(graph.head(a));
            for (auto i = graph.first_in(x); i != graph.first_in(x + 1); ++i)
                add(graph.in_tail(i));
            if (pass == 0)
                part.first_out[x + 1] = end;
            else
                std::sort(part.head.begin() + begin, part.head.begin() + end);
        }
        if (pass == 0)
        {
            for (NodeId x = 0; x != n; ++x)
                part.first_out[x + 1] += part.first_out[x];
            part.head.resize(part.first_out[n]);
            std::fill(seen.begin(), seen.end(), invalid_id);
        }
    }
    link_back_arcs(part);
    return part;
}

// The undirected multigraph underneath `graph` for the arc order: an edge
// {x, y} (x != y) as many times as there are arcs x -> y and y -> x, so that a
// unit-capacity cut counts the arcs it cuts (a two-way road twice, a one-way
// road once); no loops.
Part make_top_arc_part(CsrGraph const &graph)
{
    auto const n = graph.node_count();
    Part part;
    part.global.resize(n);
    part.first_out.assign(n + 1, 0);
    for (NodeId x = 0; x != n; ++x)
    {
        part.global[x] = x;
        for (auto a = graph.first_out(x); a != graph.first_out(x + 1); ++a)
            if (auto const y = graph.head(a); y != x)
            {
                ++part.first_out[x + 1];
                ++part.first_out[y + 1];
            }
    }
    for (NodeId x = 0; x != n; ++x)
        part.first_out[x + 1] += part.first_out[x];
    part.head.resize(part.first_out[n]);
    std::vector<ArcId> next(part.first_out.begin(), part.first_out.end() - 1);
    for (NodeId x = 0; x != n; ++x)
        for (auto a = graph.first_out(x); a != graph.first_out(x + 1); ++a)
            if (auto const y = graph.head(a); y != x)
            {
                part.head[next[x]++] = y;
                part.head[next[y]++] = x;
            }
    for (NodeId x = 0; x != n; ++x)
        std::sort(part.head.begin() + part.first_out[x],
                  part.head.begin() + part.first_out[x + 1]);
    link_back_arcs(part);  // equal heads pair up in order on both sides
    return part;
}

// The connected components of `part` without the nodes marked in `removed`
// and, when `side` is given (one flag per node), without the edges whose ends
// lie on different sides; in order of their smallest local id; local ids keep
// their relative order.
std::vector<Part> split_components(Part const &part,
                                   std::vector<std::uint8_t> const &removed,
                                   std::vector<std::uint8_t> const &side = {})
{
    auto const k = part.node_count();
    auto const cut = [&](NodeId x, NodeId y)
    { return !side.empty() && side[x] != side[y]; };
    std::vector<NodeId> component(k, invalid_id);
    std::vector<NodeId> size;
    std::vector<NodeId> stack;
    for (NodeId r = 0; r != k; ++r)
    {
        if (removed[r] || component[r] != invalid_id)
            continue;
        auto const c = static_cast<NodeId>(size.size());
        size.push_back(0);
        component[r] = c;
        stack.push_back(r);
        while (!stack.empty())
        {
            auto const x = stack.back();
            stack.pop_back();
            ++size[c];
            for (auto a = part.first_out[x]; a != part.first_out[x + 1]; ++a)
            {
                auto const y = part.head[a];
                if (!removed[y] && component[y] == invalid_id && !cut(x, y))
                {
                    component[y] = c;
                    stack.push_back(y);
                }
            }
        }
    }

    std::vector<Part> parts(size.size());
    std::vector<NodeId> local(k, invalid_id);
    std::vector<ArcId> new_arc(part.arc_count(), invalid_id);
    for (std::size_t c = 0; c != parts.size(); ++c)
    {
        parts[c].global.reserve(size[c]);
        parts[c].first_out.reserve(size[c] + 1);
        parts[c].first_out.push_back(0);
    }
    for (NodeId x = 0; x != k; ++x)
    {
        if (removed[x])
            continue;
        auto &p = parts[component[x]];
        local[x] = p.node_count();
        p.global.push_back(part.global[x]);
    }
    for (NodeId x = 0; x != k; ++x)
    {
        if (removed[x])
            continue;
        auto &p = parts[component[x]];
        for (auto a = part.first_out[x]; a != part.first_out[x + 1]; ++a)
        {
            auto const y = part.head[a];
            if (removed[y] || cut(x, y))
                continue;
            new_arc[a] = p.arc_count();
            p.head.push_back(local[y]);
        }
        p.first_out.push_back(p.arc_count());
    }
    for (auto &p : parts)
        p.back.resize(p.head.size());
    for (NodeId x = 0; x != k; ++x)
    {
        if (removed[x])
            continue;
        auto &p = parts[component[x]];
        for (auto a = part.first_out[x]; a != part.first_out[x + 1]; ++a)
            if (new_arc[a] != invalid_id)
                p.back[new_arc[a]] = new_arc[part.back[a]];
    }
    return parts;
}

enum Role : std::uint8_t
{
    free_node = 0,
    source_node = 1,
    target_node = 2,
};

/**
 * Unit-capacity maximum flow between a source and a target node set of one
 * Part, advanced one Dinic phase at a time (so that several cutters can
 * race and only the winner runs to the end). An undirected edge carries one
 * unit in either direction: arc a is usable unless it is saturated, and
 * pushing along a cancels flow on its back arc first.
 */
class FlowCutter
{
    Part const *part_;
    std::vector<std::uint8_t> role_;
    std::vector<NodeId> boundary_;  // sources with a non-source neighbour
    std::vector<std::uint8_t> saturated_;  // per arc
    std::vector<NodeId> level_;            // BFS level in the current phase
    std::vector<ArcId> current_;           // DFS: next arc to try per node
    std::vector<NodeId> queue_;
    std::vector<ArcId> path_;
    unsigned flow_ = 0;
    bool finished_ = false;

public:
    FlowCutter(Part const &part, std::vector<std::uint8_t> role)
        : part_(&part), role_(std::move(role)), saturated_(part.arc_count(), 0),
          level_(part.node_count()), current_(part.node_count()),
          queue_(part.node_count())
    {
        // The source set acts as one node: only its boundary ever matters.
        for (NodeId v = 0; v != part.node_count(); ++v)
        {
            if (role_[v] != source_node)
                continue;
            for (auto a = part.first_out[v]; a != part.first_out[v + 1]; ++a)
                if (role_[part.head[a]] != source_node)
                {
                    boundary_.push_back(v);
                    break;
                }
        }
    }

    [[nodiscard]] unsigned flow() const { return flow_; }
    [[nodiscard]] bool finished() const { return finished_; }

    //! One phase: a BFS level graph, then a blocking flow along it. Marks
    //! the cutter finished when no target can be reached any more.
    void advance()
    {
        if (finished_)
            return;
        if (!build_levels())
        {
            finished_ = true;
            return;
        }
        augment_blocking_flow();
    }

    //! After finishing: the most balanced minimum cut this flow can give,
    //! as a membership flag per node of the side that was returned.
    [[nodiscard]] std::vector<std::uint8_t> balanced_side() const;

private:
    // BFS levels from the sources over unsaturated arcs, targets included
    // but not expanded. Not stopping at the first target level lets one
    // phase augment along paths to targets at every distance: on road
    // graphs that cuts the phases from about one per unit of flow to a few.
    // Sources other than the boundary keep level `unreached` and are never
    // entered (role check).
    bool build_levels()
    {
        auto const &p = *part_;
        auto const *first_out = p.first_out.data();
        auto const *head = p.head.data();
        auto const *saturated = saturated_.data();
        auto const *role = role_.data();
        auto *level = level_.data();
        auto *queue = queue_.data();
        std::fill(level_.begin(), level_.end(), unreached);
        std::size_t queue_end = 0;
        for (auto const v : boundary_)
        {
            level[v] = 0;
            queue[queue_end++] = v;
        }
        bool target_reached = false;
        for (std::size_t i = 0; i != queue_end; ++i)
        {
            auto const x = queue[i];
            auto const next_level = level[x] + 1;
            for (auto a = first_out[x]; a != first_out[x + 1]; ++a)
            {
                auto const y = head[a];
                if (saturated[a] || level[y] != unreached
                    || role[y] == source_node)
                    continue;
                level[y] = next_level;
                if (role[y] == target_node)
                    target_reached = true;
                else
                    queue[queue_end++] = y;
            }
        }
        return target_reached;
    }

    void augment_blocking_flow()
    {
        auto const &p = *part_;
        auto const *first_out = p.first_out.data();
        auto const *head = p.head.data();
        auto const *back = p.back.data();
        auto *saturated = saturated_.data();
        auto *level = level_.data();
        auto *current = current_.data();
        std::copy(p.first_out.begin(), p.first_out.end() - 1, current_.begin());
        for (auto const s : boundary_)
        {
            path_.clear();
            auto x = s;
            while (true)
            {
                auto const end = first_out[x + 1];
                auto const wanted = level[x] + 1;
                auto a = current[x];
                while (a != end && (saturated[a] || level[head[a]] != wanted))
                    ++a;
                current[x] = a;
                if (a == end)  // dead end: nobody needs to enter x again
                {
                    level[x] = unreached;
                    if (path_.empty())
                        break;
                    x = head[back[path_.back()]];
                    path_.pop_back();
                    continue;
                }
                path_.push_back(a);
                x = head[a];
                if (role_[x] == target_node)
                {
                    for (auto const b : path_)
                    {
                        if (saturated[back[b]])
                            saturated[back[b]] = 0;
                        else
                            saturated[b] = 1;
                    }
                    ++flow_;
                    path_.clear();
                    x = s;
                }
            }
        }
    }
};

std::vector<std::uint8_t> FlowCutter::balanced_side() const
{
    // Closures in the residual graph: A = reachable from the sources,
    // B = able to reach a target. Any residual-closed set between them is a
    // minimum cut; grow the smaller side across saturated arcs ("piercing")
    // until it cannot grow any more, which balances the two sides.
    auto const &p = *part_;
    auto const k = p.node_count();
    std::vector<std::uint8_t> in_a(k, 0), in_b(k, 0);
    NodeId count_a = 0, count_b = 0;
    std::vector<NodeId> stack, pierce_a, pierce_b;

    auto grow_a = [&]
    {
        while (!stack.empty())
        {
            auto const x = stack.back();
            stack.pop_back();
            ++count_a;
            for (auto a = p.first_out[x]; a != p.first_out[x + 1]; ++a)
            {
                auto const y = p.head[a];
                if (saturated_[a])
                    pierce_a.push_back(y);
                else if (!in_a[y])
                {
                    in_a[y] = 1;
                    stack.push_back(y);
                }
            }
        }
    };
    auto grow_b = [&]
    {
        while (!stack.empty())
        {
            auto const y = stack.back();
            stack.pop_back();
            ++count_b;
            for (auto a = p.first_out[y]; a != p.first_out[y + 1]; ++a)
            {
                auto const x = p.head[a];  // x -> y is arc back[a]
                if (saturated_[p.back[a]])
                    pierce_b.push_back(x);
                else if (!in_b[x])
                {
                    in_b[x] = 1;
                    stack.push_back(x);
                }
            }
        }
    };

    for (NodeId v = 0; v != k; ++v)
        if (role_[v] == source_node)
        {
            in_a[v] = 1;
            stack.push_back(v);
        }
    grow_a();
    for (NodeId v = 0; v != k; ++v)
        if (role_[v] == target_node)
        {
            in_b[v] = 1;
            stack.push_back(v);
        }
    grow_b();

    while (true)
    {
        bool const grow_source_side = count_a <= count_b;
        auto &candidates = grow_source_side ? pierce_a : pierce_b;
        NodeId pierce = invalid_id;
        while (!candidates.empty() && pierce == invalid_id)
        {
            auto const v = candidates.back();
            candidates.pop_back();
            if (!in_a[v] && !in_b[v])
                pierce = v;
        }
        if (pierce == invalid_id)
            return grow_source_side ? in_a : in_b;
        stack.push_back(pierce);
        if (grow_source_side)
        {
            in_a[pierce] = 1;
            grow_a();
        }
        else
        {
            in_b[pierce] = 1;
            grow_b();
        }
    }
}

// Node separator from an edge cut: the end points of the cut edges on one
// side. Taking the side with fewer of them (the larger side on ties, which
// evens out the two parts) gave fewer CCH arcs and triangles on DIMACS New
// York than a minimum vertex cover of the cut edges, which mixes both sides.
std::vector<NodeId> boundary_separator(Part const &part,
                                       std::vector<std::uint8_t> const &side)
{
    std::vector<NodeId> boundary[2];
    NodeId on_side = 0;
    for (NodeId x = 0; x != part.node_count(); ++x)
    {
        on_side += side[x];
        for (auto a = part.first_out[x]; a != part.first_out[x + 1]; ++a)
            if (side[part.head[a]] != side[x])
            {
                boundary[side[x]].push_back(x);
                break;
            }
    }
    auto const larger = 2 * on_side >= part.node_count() ? 1 : 0;
    if (boundary[0].size() == boundary[1].size())
        return std::move(boundary[larger]);
    return std::move(boundary[boundary[0].size() < boundary[1].size() ? 0 : 1]);
}

using Vec3 = std::array<double, 3>;

double dot(Vec3 const &a, Vec3 const &b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

Vec3 cross(Vec3 const &a, Vec3 const &b)
{
    return {a[1] * b[2] - a[2] * b[1],
            a[2] * b[0] - a[0] * b[2],
            a[0] * b[1] - a[1] * b[0]};
}

Vec3 normalized(Vec3 const &a)
{
    auto const norm = std::sqrt(dot(a, a));
    if (!(norm > 1e-300))
        return {0, 0, 1};
    return {a[0] / norm, a[1] / norm, a[2] / norm};
}

struct Positions
{
    std::span<double const> x, y, z;
    [[nodiscard]] Vec3 operator[](NodeId v) const { return {x[v], y[v], z[v]}; }
};

// Share of a part's nodes (percent) taken as source and as target: two
// balances, descending.
constexpr std::array<unsigned, 2> balances{33, 25};

// The inertial-flow cuts of a connected part (at least 2 nodes), one per
// balance: the minimum edge cut of the four directions that finishes first,
// as the side flags of FlowCutter::balanced_side.
std::array<std::vector<std::uint8_t>, balances.size()>
inertial_cuts(Part const &part, Positions const &pos)
{
    auto const k = part.node_count();

    // Tangent plane at the centroid: east- and north-like unit vectors.
    Vec3 centre{0, 0, 0};
    for (auto const g : part.global)
    {
        auto const p = pos[g];
        for (int i = 0; i != 3; ++i)
            centre[i] += p[i];
    }
    centre = normalized(centre);
    Vec3 const pole = std::abs(centre[2]) < 0.9 ? Vec3{0, 0, 1} : Vec3{1, 0, 0};
    auto const east = normalized(cross(pole, centre));
    auto const north = cross(centre, east);
    std::vector<double> along_east(k), along_north(k);
    for (NodeId v = 0; v != k; ++v)
    {
        auto const p = pos[part.global[v]];
        along_east[v] = dot(p, east);
        along_north[v] = dot(p, north);
    }

    // Per direction, node order partitioned so that for every balance b the
    // first and last b*k nodes are the extremes along that direction.
    std::array<std::vector<NodeId>, 4> by_key;
    for (int d = 0; d != 4; ++d)
    {
        auto key = [&](NodeId v)
        {
            switch (d)
            {
            case 0:
                return along_east[v];
            case 1:
                return along_north[v];
            case 2:
                return along_east[v] + along_north[v];
            default:
                return along_east[v] - along_north[v];
            }
        };
        auto less = [&](NodeId a, NodeId b)
        {
            auto const ka = key(a), kb = key(b);
            return ka < kb || (ka == kb && a < b);
        };
        auto &nodes = by_key[d];
        nodes.resize(k);
        for (NodeId v = 0; v != k; ++v)
            nodes[v] = v;
        auto low_end = nodes.end();
        auto high_begin = nodes.begin();
        for (auto const b : balances)  // shrinking ranges, O(k) in all
        {
            auto const side = std::max<NodeId>(
                1, static_cast<NodeId>(std::uint64_t{k} * b / 100));
            auto const low = nodes.begin() + side;
            auto const high = nodes.end() - side;
            std::nth_element(nodes.begin(), low, low_end, less);
            std::nth_element(
                std::max(high_begin, low), high, nodes.end(), less);
            low_end = low;
            high_begin = high;
        }
    }

    std::array<std::vector<std::uint8_t>, balances.size()> cuts;
    for (std::size_t i = 0; i != balances.size(); ++i)
    {
        auto const b = balances[i];
        auto const side = std::max<NodeId>(
            1, static_cast<NodeId>(std::uint64_t{k} * b / 100));
        std::vector<FlowCutter> cutters;
        cutters.reserve(4);
        for (int d = 0; d != 4; ++d)
        {
            std::vector<std::uint8_t> role(k, free_node);
            for (NodeId i = 0; i != side; ++i)
            {
                role[by_key[d][i]] = source_node;
                role[by_key[d][k - 1 - i]] = target_node;
            }
            cutters.emplace_back(part, std::move(role));
        }
        // Race: always advance the cutter with the least flow so far; the
        // first to finish has the smallest cut of the four.
        FlowCutter *winner = nullptr;
        while (winner == nullptr)
        {
            auto *next = &cutters[0];
            for (auto &cutter : cutters)
                if (cutter.flow() < next->flow())
                    next = &cutter;
            if (next->finished())
                winner = next;
            else
                next->advance();
        }
        cuts[i] = winner->balanced_side();
    }
    return cuts;
}

// A node separator of a connected part (at least 3 nodes): the best of the
// inertial-flow cuts, by separator nodes per node on the smaller side.
std::vector<NodeId> find_separator(Part const &part, Positions const &pos)
{
    auto const k = part.node_count();
    std::vector<NodeId> best;
    double best_ratio = 0;
    for (auto const &side_flags : inertial_cuts(part, pos))
    {
        auto separator = boundary_separator(part, side_flags);
        NodeId on_side = 0, separator_on_side = 0;
        for (NodeId v = 0; v != k; ++v)
            on_side += side_flags[v];
        for (auto const v : separator)
            separator_on_side += side_flags[v];
        auto const a = on_side - separator_on_side;
        auto const rest = k - on_side - (separator.size() - separator_on_side);
        auto const smaller = std::max<NodeId>(
            1, std::min<NodeId>(a, static_cast<NodeId>(rest)));
        auto const ratio = static_cast<double>(separator.size()) / smaller;
        if (best.empty() || ratio < best_ratio)
        {
            best = std::move(separator);
            best_ratio = ratio;
        }
    }
    return best;
}

// An edge cut of a connected part (at least 2 nodes) as side flags: the best
// of the inertial-flow cuts, by cut edges (arcs, in make_top_arc_part's
// multigraph) per node on the smaller side.
std::vector<std::uint8_t> find_edge_cut(Part const &part, Positions const &pos)
{
    auto const k = part.node_count();
    if (k == 2)
        return {1, 0};
    std::vector<std::uint8_t> best;
    double best_ratio = 0;
    for (auto &side_flags : inertial_cuts(part, pos))
    {
        NodeId on_side = 0;
        ArcId cut_edges = 0;
        for (NodeId x = 0; x != k; ++x)
        {
            on_side += side_flags[x];
            if (side_flags[x])
                for (auto a = part.first_out[x]; a != part.first_out[x + 1];
                     ++a)
                    cut_edges += side_flags[part.head[a]] == 0;
        }
        auto const smaller
            = std::max<NodeId>(1, std::min<NodeId>(on_side, k - on_side));
        auto const ratio = static_cast<double>(cut_edges) / smaller;
        if (best.empty() || ratio < best_ratio)
        {
            best = std::move(side_flags);
            best_ratio = ratio;
        }
    }
    return best;
}

// A part waiting to be ordered into the ranks [rank_begin, rank_end).
struct Task
{
    Part part;
    std::uint32_t rank_begin;
    std::uint32_t rank_end;
};

// Shared state of a parallel dissection: a stack of parts to split. Parts
// are independent, so a thread that takes one writes only its rank range.
class TaskStack
{
    std::mutex mutex_;
    std::condition_variable wake_;
    std::vector<Task> stack_;
    unsigned busy_ = 0;

public:
    // Parts smaller than this are finished by the thread that made them.
    static constexpr NodeId share_threshold = 20000;

    void push(Task task)
    {
        {
            std::lock_guard lock(mutex_);
            stack_.push_back(std::move(task));
        }
        wake_.notify_one();
    }

    // Runs `split(task)` on tasks until the stack is empty and no thread is
    // busy any more (a busy thread may still push).
    template <class Split> void work(Split const &split)
    {
        std::unique_lock lock(mutex_);
        while (true)
        {
            wake_.wait(lock, [&] { return !stack_.empty() || busy_ == 0; });
            if (stack_.empty())
            {
                wake_.notify_all();
                return;
            }
            auto task = std::move(stack_.back());
            stack_.pop_back();
            ++busy_;
            lock.unlock();
            split(std::move(task));
            lock.lock();
            --busy_;
        }
    }

    // Runs `work(split)` on `threads` threads, this one included.
    template <class Split> void run(Split const &split, unsigned threads)
    {
        std::vector<std::jthread> workers;
        for (unsigned t = 1; t < threads; ++t)
            workers.emplace_back([&] { work(split); });
        work(split);
    }
};

// Node order: a part's separator takes its highest ranks, the components
// left without it are ordered below, recursively.
class NodeDissection
{
    Positions pos_;
    std::vector<NodeId> &order_;
    TaskStack &stack_;

public:
    NodeDissection(Positions pos, std::vector<NodeId> &order, TaskStack &stack)
        : pos_(pos), order_(order), stack_(stack)
    {
    }

    void operator()(Task task) const
    {
        auto &part = task.part;
        auto const rank_begin = task.rank_begin;
        auto const k = part.node_count();
        if (k <= 2)
        {
            for (NodeId v = 0; v != k; ++v)
                order_[rank_begin + v] = part.global[v];
            return;
        }
        auto const separator = find_separator(part, pos_);
        std::vector<std::uint8_t> removed(k, 0);
        auto top = rank_begin + k - static_cast<NodeId>(separator.size());
        for (auto const v : separator)
        {
            removed[v] = 1;
            order_[top++] = part.global[v];
        }
        auto children = split_components(part, removed);
        part = Part();  // release memory before recursing
        auto next = rank_begin;
        for (auto &child : children)
        {
            auto const size = child.node_count();
            Task sub{std::move(child), next, next + size};
            if (size >= TaskStack::share_threshold)
                stack_.push(std::move(sub));
            else
                (*this)(std::move(sub));
            next += size;
        }
    }
};

// Arc order: a part's cut arcs (those joining its two sides, in either
// direction) take its highest ranks, the arcs inside each component left
// without the cut edges are ordered below, recursively. A part of one node
// keeps its loops.
class ArcDissection
{
    CsrGraph const &graph_;
    Positions pos_;
    std::vector<ArcId> &order_;
    TaskStack &stack_;

public:
    ArcDissection(CsrGraph const &graph,
                  Positions pos,
                  std::vector<ArcId> &order,
                  TaskStack &stack)
        : graph_(graph), pos_(pos), order_(order), stack_(stack)
    {
    }

    // Arcs of the input graph with both ends in `part` (loops included):
    // those from x to itself or to one of its neighbours in the part.
    [[nodiscard]] ArcId inner_arc_count(Part const &part) const
    {
        ArcId count = 0;
        for (NodeId x = 0; x != part.node_count(); ++x)
        {
            auto const gx = part.global[x];
            for (auto e = graph_.first_out(gx); e != graph_.first_out(gx + 1);
                 ++e)
            {
                auto const h = graph_.head(e);
                bool inner = h == gx;
                for (auto a = part.first_out[x];
                     !inner && a != part.first_out[x + 1];
                     ++a)
                    inner = part.global[part.head[a]] == h;
                count += inner;
            }
        }
        return count;
    }

    void operator()(Task task) const
    {
        auto &part = task.part;
        auto const k = part.node_count();
        if (part.arc_count() == 0)  // one node (parts are connected): loops
        {
            auto next = task.rank_begin;
            for (NodeId v = 0; v != k; ++v)
            {
                auto const g = part.global[v];
                for (auto e = graph_.first_out(g); e != graph_.first_out(g + 1);
                     ++e)
                    if (graph_.head(e) == g)
                        order_[next++] = e;
            }
            return;
        }
        auto const side = find_edge_cut(part, pos_);
        auto top = task.rank_end;
        auto const add_arcs = [&](NodeId from, NodeId to)
        {
            for (auto e = graph_.first_out(from);
                 e != graph_.first_out(from + 1);
                 ++e)
                if (graph_.head(e) == to)
                    order_[--top] = e;
        };
        for (NodeId x = 0; x != k; ++x)
        {
            if (!side[x])
                continue;
            for (auto a = part.first_out[x]; a != part.first_out[x + 1]; ++a)
            {
                auto const y = part.head[a];
                if (side[y]
                    || (a != part.first_out[x] && part.head[a - 1] == y))
                    continue;  // same side, or a copy of the edge before
                add_arcs(part.global[x], part.global[y]);
                add_arcs(part.global[y], part.global[x]);
            }
        }
        auto children
            = split_components(part, std::vector<std::uint8_t>(k, 0), side);
        part = Part();  // release memory before recursing
        auto next = task.rank_begin;
        for (auto &child : children)
        {
            auto const size = child.node_count();
            auto const arcs = inner_arc_count(child);
            Task sub{std::move(child), next, next + arcs};
            if (size >= TaskStack::share_threshold)
                stack_.push(std::move(sub));
            else
                (*this)(std::move(sub));
            next += arcs;
        }
        assert(next == top);  // the children's arcs fill the rest
    }
};

void check_positions(NodeId n,
                     std::span<double const> x,
                     std::span<double const> y,
                     std::span<double const> z)
{
    if (x.size() != n || y.size() != n || z.size() != n)
        throw std::invalid_argument(
            "positions must have one x, y and z per node (" + std::to_string(n)
            + "); got " + std::to_string(x.size()) + ", "
            + std::to_string(y.size()) + " and " + std::to_string(z.size())
            + ".");
    for (NodeId v = 0; v != n; ++v)
        if (!std::isfinite(x[v]) || !std::isfinite(y[v])
            || !std::isfinite(z[v]))
            throw std::invalid_argument("position of node " + std::to_string(v)
                                        + " is not finite.");
}
}  // namespace

std::vector<NodeId> nested_dissection_order(CsrGraph const &graph,
                                            std::span<double const> x,
                                            std::span<double const> y,
                                            std::span<double const> z,
                                            unsigned num_threads)
{
    auto const n = graph.node_count();
    check_positions(n, x, y, z);
    std::vector<NodeId> order(n, invalid_id);
    TaskStack stack;
    auto components
        = split_components(make_top_part(graph), std::vector<std::uint8_t>(n));
    NodeId next = 0;
    for (auto &component : components)
    {
        auto const size = component.node_count();
        stack.push({std::move(component), next, next + size});
        next += size;
    }
    stack.run(NodeDissection(Positions{x, y, z}, order, stack),
              resolve_thread_count(num_threads, n));
    return order;
}

std::vector<ArcId> arc_nested_dissection_order(CsrGraph const &graph,
                                               std::span<double const> x,
                                               std::span<double const> y,
                                               std::span<double const> z,
                                               unsigned num_threads)
{
    auto const n = graph.node_count();
    check_positions(n, x, y, z);
    std::vector<ArcId> order(graph.arc_count(), invalid_id);
    TaskStack stack;
    ArcDissection const dissection(graph, Positions{x, y, z}, order, stack);
    auto components = split_components(make_top_arc_part(graph),
                                       std::vector<std::uint8_t>(n));
    ArcId next = 0;
    for (auto &component : components)
    {
        auto const arcs = dissection.inner_arc_count(component);
        stack.push({std::move(component), next, next + arcs});
        next += arcs;
    }
    stack.run(dissection, resolve_thread_count(num_threads, n));
    return order;
}
}  // namespace ecoroute
