#include "ecoroute/cch.hpp"

#include "ecoroute/threads.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace ecoroute
{
namespace
{
// CCH arc ids travel with a direction bit in input_arc_code.
constexpr std::size_t max_cch_arcs = std::size_t{1} << 31;

std::vector<NodeId> invert_order(std::vector<NodeId> const &order, NodeId n)
{
    if (order.size() != n)
        throw std::invalid_argument("order must have one entry per node ("
                                    + std::to_string(n) + "), got "
                                    + std::to_string(order.size()) + ".");
    std::vector<NodeId> rank(n, invalid_id);
    for (NodeId r = 0; r != n; ++r)
    {
        auto const x = order[r];
        if (x >= n)
            throw std::out_of_range("order[" + std::to_string(r) + "] is node "
                                    + std::to_string(x) + " but node_count is "
                                    + std::to_string(n) + ".");
        if (rank[x] != invalid_id)
            throw std::invalid_argument("order must be a permutation; node "
                                        + std::to_string(x)
                                        + " appears twice.");
        rank[x] = r;
    }
    return rank;
}
}  // namespace

Cch::Cch(std::shared_ptr<CsrGraph const> graph, std::vector<NodeId> order)
    : graph_(std::move(graph)), order_(std::move(order))
{
    if (!graph_)
        throw std::invalid_argument("Cch needs a graph.");
    auto const n = graph_->node_count();
    rank_ = invert_order(order_, n);

    // Elimination game on the undirected graph, rank by rank: the upward
    // neighbours of r become r's CCH arcs; all but the lowest (the parent)
    // are handed on to the parent, which thereby becomes adjacent to them.
    std::vector<std::vector<NodeId>> pending(n);
    for (NodeId x = 0; x != n; ++x)
        for (auto a = graph_->first_out(x); a != graph_->first_out(x + 1); ++a)
        {
            auto const rx = rank_[x], ry = rank_[graph_->head(a)];
            if (rx < ry)
                pending[rx].push_back(ry);
            else if (ry < rx)
                pending[ry].push_back(rx);
        }
    up_first_out_.reserve(std::size_t{n} + 1);
    up_first_out_.push_back(0);
    std::vector<NodeId> seen(n, invalid_id);
    std::vector<NodeId> up;
    for (NodeId r = 0; r != n; ++r)
    {
        up.clear();
        for (auto const y : pending[r])
            if (seen[y] != r)
            {
                seen[y] = r;
                up.push_back(y);
            }
        std::vector<NodeId>().swap(pending[r]);
        std::sort(up.begin(), up.end());
        up_head_.insert(up_head_.end(), up.begin(), up.end());
        if (up_head_.size() >= max_cch_arcs)
            throw std::invalid_argument(
                "the hierarchy has more than 2^31 arcs; this order is too "
                "poor for this graph.");
        up_first_out_.push_back(static_cast<ArcId>(up_head_.size()));
        if (up.size() > 1)
        {
            auto &parent_list = pending[up.front()];
            parent_list.insert(parent_list.end(), up.begin() + 1, up.end());
        }
    }
    up_head_.shrink_to_fit();
    derive();
}

Cch::Cch(std::shared_ptr<CsrGraph const> graph,
         std::vector<NodeId> order,
         std::vector<ArcId> up_first_out,
         std::vector<NodeId> up_head)
    : graph_(std::move(graph)), order_(std::move(order)),
      up_first_out_(std::move(up_first_out)), up_head_(std::move(up_head))
{
    if (!graph_)
        throw std::invalid_argument("Cch needs a graph.");
    auto const n = graph_->node_count();
    rank_ = invert_order(order_, n);
    if (up_first_out_.size() != std::size_t{n} + 1)
        throw std::invalid_argument(
            "up_first_out must have node_count + 1 = " + std::to_string(n + 1)
            + " entries, got " + std::to_string(up_first_out_.size()) + ".");
    if (up_first_out_.front() != 0 || up_first_out_.back() != up_head_.size())
        throw std::invalid_argument(
            "up_first_out must start with 0 and end with len(up_head).");
    if (up_head_.size() >= max_cch_arcs)
        throw std::invalid_argument("the hierarchy has more than 2^31 arcs.");
    for (NodeId r = 0; r != n; ++r)
    {
        if (up_first_out_[r] > up_first_out_[r + 1])
            throw std::invalid_argument(
                "up_first_out must be non-decreasing; it decreases after rank "
                + std::to_string(r) + ".");
        auto previous = r;
        for (auto b = up_first_out_[r]; b != up_first_out_[r + 1]; ++b)
        {
            auto const y = up_head_[b];
            if (y >= n)
                throw std::out_of_range("up_head[" + std::to_string(b)
                                        + "] is rank " + std::to_string(y)
                                        + " but node_count is "
                                        + std::to_string(n) + ".");
            if (y <= previous)
                throw std::invalid_argument(
                    "the upward arcs of rank " + std::to_string(r)
                    + " must lead to higher ranks in increasing order.");
            previous = y;
        }
    }
    // Chordal: every rank's upward neighbours but the lowest (its parent p)
    // must be upward neighbours of p. By induction from the top, each upward
    // neighbourhood is then a clique, which customization relies on.
    for (NodeId r = 0; r != n; ++r)
    {
        auto const begin = up_first_out_[r], end = up_first_out_[r + 1];
        if (end - begin < 2)
            continue;
        auto const p = up_head_[begin];
        auto const p_begin = up_head_.begin() + up_first_out_[p];
        auto const p_end = up_head_.begin() + up_first_out_[p + 1];
        for (auto b = begin + 1; b != end; ++b)
            if (!std::binary_search(p_begin, p_end, up_head_[b]))
                throw std::invalid_argument(
                    "the hierarchy is not chordal: rank "
                    + std::to_string(up_head_[b]) + " is adjacent to rank "
                    + std::to_string(r) + " but not to its parent "
                    + std::to_string(p) + ".");
    }
    derive();
}

void Cch::renumber_in_postorder()
{
    auto const n = node_count();
    // Children of every rank, in increasing rank (counting sort by parent).
    std::vector<ArcId> child_first(std::size_t{n} + 1, 0);
    for (NodeId r = 0; r != n; ++r)
        if (up_first_out_[r] != up_first_out_[r + 1])
            ++child_first[up_head_[up_first_out_[r]] + 1];
    for (NodeId r = 0; r != n; ++r)
        child_first[r + 1] += child_first[r];
    std::vector<NodeId> children(child_first.back());
    {
        std::vector<ArcId> next(child_first.begin(), child_first.end() - 1);
        for (NodeId r = 0; r != n; ++r)
            if (up_first_out_[r] != up_first_out_[r + 1])
                children[next[up_head_[up_first_out_[r]]]++] = r;
    }

    // Post-order: roots in increasing rank, children in increasing rank.
    std::vector<NodeId> new_rank(n, invalid_id);
    NodeId next_rank = 0;
    bool identity = true;
    std::vector<std::pair<NodeId, ArcId>> stack;  // rank, next child index
    for (NodeId root = 0; root != n; ++root)
    {
        if (up_first_out_[root] != up_first_out_[root + 1])
            continue;  // not a root
        stack.emplace_back(root, child_first[root]);
        while (!stack.empty())
        {
            auto &[r, next_child] = stack.back();
            if (next_child != child_first[r + 1])
            {
                auto const child = children[next_child++];
                stack.emplace_back(child, child_first[child]);
                continue;
            }
            identity = identity && r == next_rank;
            new_rank[r] = next_rank++;
            stack.pop_back();
        }
    }
    if (identity)
        return;

    // Upward neighbours are ancestors, so they stay above after renumbering.
    std::vector<NodeId> order(n);
    std::vector<ArcId> up_first_out(std::size_t{n} + 1, 0);
    std::vector<NodeId> up_head(up_head_.size());
    std::vector<NodeId> old_rank(n);
    for (NodeId r = 0; r != n; ++r)
    {
        old_rank[new_rank[r]] = r;
        order[new_rank[r]] = order_[r];
    }
    for (NodeId q = 0; q != n; ++q)
    {
        auto const r = old_rank[q];
        auto const begin = up_first_out[q];
        auto end = begin;
        for (auto b = up_first_out_[r]; b != up_first_out_[r + 1]; ++b)
            up_head[end++] = new_rank[up_head_[b]];
        std::sort(up_head.begin() + begin, up_head.begin() + end);
        up_first_out[q + 1] = end;
    }
    order_ = std::move(order);
    up_first_out_ = std::move(up_first_out);
    up_head_ = std::move(up_head);
    for (NodeId q = 0; q != n; ++q)
        rank_[order_[q]] = q;
}

void Cch::derive()
{
    renumber_in_postorder();
    auto const n = node_count();
    auto const m = arc_count();

    up_tail_.resize(m);
    parent_.assign(n, invalid_id);
    for (NodeId r = 0; r != n; ++r)
    {
        for (auto b = up_first_out_[r]; b != up_first_out_[r + 1]; ++b)
            up_tail_[b] = r;
        if (up_first_out_[r] != up_first_out_[r + 1])
            parent_[r] = up_head_[up_first_out_[r]];
    }

    // Downward CSR: counting sort of the arcs by head keeps tails ascending.
    down_first_out_.assign(std::size_t{n} + 1, 0);
    for (auto const y : up_head_)
        ++down_first_out_[y + 1];
    for (NodeId r = 0; r != n; ++r)
        down_first_out_[r + 1] += down_first_out_[r];
    down_tail_.resize(m);
    down_arc_.resize(m);
    {
        std::vector<ArcId> next(down_first_out_.begin(),
                                down_first_out_.end() - 1);
        for (ArcId b = 0; b != m; ++b)
        {
            auto const i = next[up_head_[b]]++;
            down_tail_[i] = up_tail_[b];
            down_arc_[i] = b;
        }
    }

    // CCH arc of every input arc, found through a per-rank slot table; an
    // input arc without its CCH arc means the arrays do not fit the graph.
    auto const &g = *graph_;
    input_arc_code_.assign(g.arc_count(), invalid_id);
    std::vector<ArcId> slot(n, invalid_id);
    std::vector<NodeId> slot_owner(n, invalid_id);
    for (NodeId x = 0; x != n; ++x)
    {
        auto const r = rank_[x];
        for (auto b = up_first_out_[r]; b != up_first_out_[r + 1]; ++b)
        {
            slot[up_head_[b]] = b;
            slot_owner[up_head_[b]] = r;
        }
        auto lookup = [&](NodeId higher, ArcId a)
        {
            if (slot_owner[higher] != r)
                throw std::invalid_argument(
                    "the hierarchy has no arc for input arc "
                    + std::to_string(a) + " (" + std::to_string(g.tail(a))
                    + " -> " + std::to_string(g.head(a)) + ").");
            return slot[higher];
        };
        for (auto a = g.first_out(x); a != g.first_out(x + 1); ++a)
        {
            auto const ry = rank_[g.head(a)];
            if (ry > r)
                input_arc_code_[a] = 2 * lookup(ry, a);
        }
        for (auto i = g.first_in(x); i != g.first_in(x + 1); ++i)
        {
            auto const ru = rank_[g.in_tail(i)];
            if (ru > r)
            {
                auto const a = g.in_arc(i);
                input_arc_code_[a] = 2 * lookup(ru, a) + 1;
            }
        }
    }

    // The same, grouped by code (counting sort; stable, so by arc id within
    // a code): customization then writes CCH weights in order.
    {
        std::vector<ArcId> first(2 * std::size_t{m} + 1, 0);
        for (auto const code : input_arc_code_)
            if (code != invalid_id)
                ++first[code + 1];
        for (std::size_t c = 0; c + 1 < first.size(); ++c)
            first[c + 1] += first[c];
        sorted_input_code_.resize(first.back());
        input_arc_by_code_.resize(first.back());
        for (ArcId a = 0; a != g.arc_count(); ++a)
        {
            auto const code = input_arc_code_[a];
            if (code == invalid_id)
                continue;
            auto const i = first[code]++;
            sorted_input_code_[i] = code;
            input_arc_by_code_[i] = a;
        }
    }

    // Subtrees (contiguous in post-order), their work, and the tree height.
    subtree_work_.assign(n, 0);
    std::vector<NodeId> height(n, 0);
    tree_height_ = n == 0 ? 0 : 1;
    triangle_count_ = 0;
    for (NodeId r = 0; r != n; ++r)
    {
        std::uint64_t triangles = 0;
        for (auto i = down_first_out_[r]; i != down_first_out_[r + 1]; ++i)
            triangles += up_first_out_[down_tail_[i] + 1] - down_arc_[i] - 1;
        triangle_count_ += triangles;
        subtree_work_[r]
            += triangles + 1 + (down_first_out_[r + 1] - down_first_out_[r]);
        tree_height_ = std::max(tree_height_, height[r] + 1);
        auto const p = parent_[r];
        if (p != invalid_id)
        {
            subtree_work_[p] += subtree_work_[r];
            height[p] = std::max(height[p], height[r] + 1);
        }
    }
    // The first rank of a subtree is the first rank of its first child's
    // subtree: children come before their parent, so one more pass in
    // increasing rank order settles every subtree_first.
    subtree_first_.assign(n, invalid_id);
    for (NodeId r = 0; r != n; ++r)
    {
        if (subtree_first_[r] == invalid_id)
            subtree_first_[r] = r;
        auto const p = parent_[r];
        if (p != invalid_id && subtree_first_[p] == invalid_id)
            subtree_first_[p] = subtree_first_[r];
    }
}

std::size_t Cch::memory_bytes() const
{
    auto bytes = [](auto const &v)
    {
        return v.capacity()
               * sizeof(typename std::decay_t<decltype(v)>::value_type);
    };
    return bytes(order_) + bytes(rank_) + bytes(up_first_out_) + bytes(up_head_)
           + bytes(up_tail_) + bytes(parent_) + bytes(down_first_out_)
           + bytes(down_tail_) + bytes(down_arc_) + bytes(input_arc_code_)
           + bytes(sorted_input_code_) + bytes(input_arc_by_code_)
           + bytes(subtree_first_) + bytes(subtree_work_);
}

namespace
{
// Relaxes every lower triangle {x, y, z} (x < y < z) of rank y, which makes
// the weights of y's upward arcs final. Reads only arcs of lower ranks.
// `slot` is scratch of node_count entries (no reset needed: only slots of
// y's upward neighbours are read, and they are written first).
void relax_lower_triangles(Cch const &cch,
                           NodeId y,
                           CchArcWeight *weight,
                           CchUnpack *unpack,
                           ArcId *slot)
{
    auto const *head = cch.up_head().data();
    auto const *first_out = cch.up_first_out().data();
    for (auto b = first_out[y]; b != first_out[y + 1]; ++b)
        slot[head[b]] = b;
    auto const down_end = cch.down_first_out(y + 1);
    for (auto i = cch.down_first_out(y); i != down_end; ++i)
    {
        // The next triangle fan sits in another rank's block: start loading
        // it (and its page-table walk) while this one is relaxed.
        if (i + 1 != down_end)
        {
            auto const next = cch.down_arc(i + 1);
            __builtin_prefetch(weight + next);
            __builtin_prefetch(head + next);
        }
        auto const x = cch.down_tail(i);
        auto const a1 = cch.down_arc(i);  // {x, y}
        auto const w1 = weight[a1];       // forward x -> y, backward y -> x
        if (w1.forward == inf_weight && w1.backward == inf_weight)
            continue;
        auto const end = first_out[x + 1];
        for (auto a2 = a1 + 1; a2 != end; ++a2)  // {x, z}, z > y
        {
            auto const b = slot[head[a2]];  // {y, z}
            auto const w2 = weight[a2];
            auto const up = w1.backward + w2.forward;    // y -> x -> z
            auto const down = w2.backward + w1.forward;  // z -> x -> y
            auto &wb = weight[b];
            if (up < wb.forward)
            {
                wb.forward = up;
                unpack[2 * std::size_t{b}] = {a1, a2};
            }
            if (down < wb.backward)
            {
                wb.backward = down;
                unpack[2 * std::size_t{b} + 1] = {a1, a2};
            }
        }
    }
}
}  // namespace

namespace
{
/**
 * Bottom-up work on an elimination tree, shared out over threads: the tree
 * is cut into subtrees of at most ~1/16 of the work per thread ("tasks",
 * contiguous rank ranges), and every rank above them becomes ready once all
 * its children are done. `visit(thread, first, last)` handles the ranks
 * first..last in increasing order on thread `thread` (0 .. threads - 1);
 * each rank is visited exactly once, after all ranks below it in the tree.
 */
template <class Visit>
void bottom_up_in_parallel(Cch const &cch, unsigned threads, Visit const &visit)
{
    auto const n = cch.node_count();
    std::uint64_t total = 0;
    for (NodeId r = 0; r != n; ++r)
        if (cch.parent(r) == invalid_id)
            total += cch.subtree_work(r);
    auto const limit = std::max<std::uint64_t>(1, total / (16 * threads));

    // A rank is a task root if its subtree fits and its parent's does not;
    // ranks whose subtree is too big are handled one by one ("top" ranks).
    std::vector<NodeId> ready;
    std::vector<std::atomic<std::uint32_t>> pending(n);
    std::size_t items = 0;
    for (NodeId r = 0; r != n; ++r)
    {
        auto const p = cch.parent(r);
        bool const fits = cch.subtree_work(r) <= limit;
        if (fits && (p != invalid_id && cch.subtree_work(p) <= limit))
            continue;  // inside a task
        ++items;
        if (p != invalid_id)
            pending[p].fetch_add(1, std::memory_order_relaxed);
    }
    ready.reserve(items);  // workers push without reallocating
    for (NodeId r = 0; r != n; ++r)
    {
        bool const fits = cch.subtree_work(r) <= limit;
        auto const p = cch.parent(r);
        bool const is_item
            = !fits || p == invalid_id || cch.subtree_work(p) > limit;
        if (is_item && pending[r].load(std::memory_order_relaxed) == 0)
            ready.push_back(r);
    }

    std::mutex mutex;
    std::condition_variable wake;
    std::size_t done = 0;
    auto work = [&](unsigned thread)
    {
        std::unique_lock lock(mutex);
        while (true)
        {
            wake.wait(lock, [&] { return !ready.empty() || done == items; });
            if (ready.empty())
                return;
            auto const r = ready.back();
            ready.pop_back();
            lock.unlock();
            // A fitting item is a whole subtree; a top rank is just itself.
            auto const first
                = cch.subtree_work(r) <= limit ? cch.subtree_first(r) : r;
            visit(thread, first, r);
            auto const p = cch.parent(r);
            bool const parent_ready
                = p != invalid_id && pending[p].fetch_sub(1) == 1;
            lock.lock();
            if (parent_ready)
                ready.push_back(p);
            if (++done == items || parent_ready)
                wake.notify_all();
        }
    };
    std::vector<std::jthread> workers;
    for (unsigned t = 1; t < threads; ++t)
        workers.emplace_back(work, t);
    work(0);
}
}  // namespace

CchMetric::CchMetric(std::shared_ptr<Cch const> cch,
                     std::shared_ptr<Metric const> metric,
                     unsigned num_threads)
    : cch_(std::move(cch)), metric_(std::move(metric))
{
    if (!cch_ || !metric_)
        throw std::invalid_argument("CchMetric needs a Cch and a Metric.");
    if (cch_->graph_ptr() != metric_->graph_ptr())
        throw std::invalid_argument(
            "the metric and the hierarchy must be built on the same graph "
            "object.");
    auto const &c = *cch_;
    auto const m = c.arc_count();
    auto const n = c.node_count();
    // Input arcs first, in one pass over the CCH arcs in order (codes are
    // sorted): the cheapest of parallel arcs, the first (lowest id) on ties;
    // infinity and no unpacking where no input arc exists.
    weight_.resize(m);
    unpack_.resize(2 * std::size_t{m});
    auto *flat = reinterpret_cast<Weight *>(weight_.data());
    static_assert(sizeof(CchArcWeight) == 2 * sizeof(Weight));
    auto const input = metric_->weight();
    auto const codes = c.sorted_input_code();
    auto const arcs = c.input_arc_by_code();
    std::size_t i = 0;
    for (std::size_t code = 0; code != 2 * std::size_t{m}; ++code)
    {
        Weight best = inf_weight;
        CchUnpack how{invalid_id, invalid_id};
        for (; i != codes.size() && codes[i] == code; ++i)
            if (input[arcs[i]] < best)
            {
                best = input[arcs[i]];
                how.first = arcs[i];
            }
        flat[code] = best;  // 2 * arc + direction
        unpack_[code] = how;
    }

    auto *weight = weight_.data();
    auto *unpack = unpack_.data();
    auto const threads = resolve_thread_count(num_threads, n);
    constexpr std::uint64_t parallel_triangles = 200'000;
    if (threads == 1 || c.triangle_count() < parallel_triangles)
    {
        std::vector<ArcId> slot(n);
        for (NodeId y = 0; y != n; ++y)
            relax_lower_triangles(c, y, weight, unpack, slot.data());
        return;
    }
    // Scratch allocated here, so that nothing in the workers can throw.
    std::vector<std::vector<ArcId>> slots(threads, std::vector<ArcId>(n));
    bottom_up_in_parallel(c,
                          threads,
                          [&](unsigned thread, NodeId first, NodeId last)
                          {
                              auto &slot = slots[thread];
                              for (auto y = first;; ++y)
                              {
                                  relax_lower_triangles(
                                      c, y, weight, unpack, slot.data());
                                  if (y == last)
                                      break;
                              }
                          });
}

void CchMetric::append_input_arcs(
    ArcId b,
    int backward,
    std::vector<ArcId> &out,
    std::vector<std::pair<ArcId, int>> &stack) const
{
    stack.clear();
    stack.emplace_back(b, backward);
    while (!stack.empty())
    {
        auto const [arc, dir] = stack.back();
        stack.pop_back();
        auto const u = unpack(arc, dir);
        if (u.second == invalid_id)
        {
            out.push_back(u.first);
            continue;
        }
        // Forward y -> z is (y -> x) + (x -> z); backward z -> y is
        // (z -> x) + (x -> y): either way down an arc to x (its backward
        // direction), then up one (its forward direction). Push the second
        // half first, and start loading both halves now: unpacking is bound
        // by memory latency.
        auto const down = dir == 0 ? u.first : u.second;
        auto const up = dir == 0 ? u.second : u.first;
        __builtin_prefetch(&unpack_[2 * std::size_t{up}]);
        __builtin_prefetch(&unpack_[2 * std::size_t{down} + 1]);
        stack.emplace_back(up, 0);
        stack.emplace_back(down, 1);
    }
}

CchQuantities::CchQuantities(CchMetric const &metric,
                             std::vector<std::span<double const>> per_input_arc)
    : metric_(&metric), count_(per_input_arc.size())
{
    auto const input_arcs = metric_->cch().graph().arc_count();
    for (std::size_t j = 0; j != count_; ++j)
        if (per_input_arc[j].size() != input_arcs)
            throw std::invalid_argument(
                "every quantity must have one value per arc; quantity "
                + std::to_string(j) + " has "
                + std::to_string(per_input_arc[j].size()) + " for "
                + std::to_string(input_arcs) + " arcs.");
    auto const m = metric_->cch().arc_count();
    value_.resize(2 * std::size_t{m} * count_);
    auto const nan = std::numeric_limits<double>::quiet_NaN();
    // Halves of arc b belong to a lower rank, so they come earlier in arc
    // order: one pass in increasing arc order sees them finished.
    for (ArcId b = 0; b != m; ++b)
        for (int dir = 0; dir != 2; ++dir)
        {
            auto *out = value_.data() + (2 * std::size_t{b} + dir) * count_;
            auto const u = metric_->unpack(b, dir);
            if (u.second == invalid_id)
            {
                for (std::size_t j = 0; j != count_; ++j)
                    out[j] = u.first == invalid_id ? nan
                                                   : per_input_arc[j][u.first];
                continue;
            }
            // Forward y -> x -> z is {x, y} backward then {x, z} forward;
            // backward z -> x -> y is {x, z} backward then {x, y} forward.
            auto const *first = dir == 0 ? at(u.first, 1) : at(u.second, 1);
            auto const *second = dir == 0 ? at(u.second, 0) : at(u.first, 0);
            for (std::size_t j = 0; j != count_; ++j)
                out[j] = first[j] + second[j];
        }
}
}  // namespace ecoroute
