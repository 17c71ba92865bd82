// Tests of the customizable contraction hierarchy (order, contraction,
// customization, queries, batches, matrices) on small random graphs, against
// references written here independently of the code under test.

#include "check.hpp"

#include "ecoroute/cch.hpp"
#include "ecoroute/cch_query.hpp"
#include "ecoroute/nested_dissection.hpp"
#include "ecoroute/query_engine.hpp"
#include "ecoroute/search.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numbers>
#include <random>
#include <set>
#include <vector>

using namespace ecoroute;

namespace
{
struct RandomGraph
{
    std::shared_ptr<CsrGraph const> graph;
    std::vector<Weight> weight;
    std::vector<double> x, y, z;
};

// Random multigraph with loops, parallel arcs, zero weights, closed arcs,
// weights with many ties (tenths) and two isolated nodes; positions on a
// small patch of the sphere.
RandomGraph random_graph(unsigned seed, NodeId n, ArcId m)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> node(0, n - 3);  // last 2 isolated
    std::uniform_real_distribution<double> unit(0.0, 1.0);

    std::vector<std::vector<std::pair<NodeId, Weight>>> out(n);
    for (ArcId i = 0; i != m; ++i)
    {
        auto const a = node(rng);
        auto const b = (i % 17 == 0) ? a : node(rng);  // some loops
        double w = std::round(unit(rng) * 100) / 10;
        if (i % 13 == 0)
            w = 0;  // zero weights
        if (i % 29 == 0)
            w = inf_weight;  // closed arcs
        out[a].push_back({b, w});
        if (i % 11 == 0)
            out[a].push_back({b, w + 1});  // parallel arcs
        if (i % 7 == 0)
            out[b].push_back({a, w});  // two-way streets
    }
    RandomGraph g;
    std::vector<ArcId> first_out{0};
    std::vector<NodeId> head;
    for (NodeId v = 0; v != n; ++v)
    {
        for (auto [h, w] : out[v])
        {
            head.push_back(h);
            g.weight.push_back(w);
        }
        first_out.push_back(static_cast<ArcId>(head.size()));
    }
    g.graph = std::make_shared<CsrGraph const>(first_out, head);
    for (NodeId v = 0; v != n; ++v)
    {
        auto const lat = (45 + unit(rng) * 0.1) * std::numbers::pi / 180;
        auto const lon = (7 + unit(rng) * 0.1) * std::numbers::pi / 180;
        g.x.push_back(std::cos(lat) * std::cos(lon));
        g.y.push_back(std::cos(lat) * std::sin(lon));
        g.z.push_back(std::sin(lat));
    }
    return g;
}

// Bellman-Ford from `source`, using only arcs whose both ends pass `allowed`.
template <class Allowed>
std::vector<Weight> bellman_ford(CsrGraph const &graph,
                                 std::vector<Weight> const &weight,
                                 NodeId source,
                                 Allowed const &allowed)
{
    std::vector<Weight> dist(graph.node_count(), inf_weight);
    dist[source] = 0;
    for (bool changed = true; changed;)
    {
        changed = false;
        for (ArcId a = 0; a != graph.arc_count(); ++a)
        {
            auto const u = graph.tail(a), v = graph.head(a);
            if (!allowed(u) || !allowed(v))
                continue;
            if (dist[u] + weight[a] < dist[v])
            {
                dist[v] = dist[u] + weight[a];
                changed = true;
            }
        }
    }
    return dist;
}

std::vector<Weight> bellman_ford(CsrGraph const &graph,
                                 std::vector<Weight> const &weight,
                                 NodeId source)
{
    return bellman_ford(graph, weight, source, [](NodeId) { return true; });
}

bool close(double a, double b)
{
    if (std::isinf(a) || std::isinf(b))
        return a == b;
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

// The arcs must form a connected walk from s to t whose weights sum to cost.
bool path_ok(CsrGraph const &graph,
             std::vector<Weight> const &weight,
             std::vector<ArcId> const &arcs,
             NodeId s,
             NodeId t,
             Weight cost)
{
    if (cost == inf_weight)
        return arcs.empty();
    NodeId at = s;
    Weight sum = 0;
    for (auto const a : arcs)
    {
        if (a >= graph.arc_count() || graph.tail(a) != at)
            return false;
        at = graph.head(a);
        sum += weight[a];
    }
    return at == t && close(sum, cost);
}

std::shared_ptr<Cch const> make_cch(RandomGraph const &g, unsigned threads)
{
    auto order = nested_dissection_order(*g.graph, g.x, g.y, g.z, threads);
    return std::make_shared<Cch const>(g.graph, std::move(order));
}

void test_order_is_a_deterministic_permutation()
{
    for (unsigned seed = 0; seed != 10; ++seed)
    {
        auto const g = random_graph(seed, 200, 400);
        auto const one = nested_dissection_order(*g.graph, g.x, g.y, g.z, 1);
        auto const three = nested_dissection_order(*g.graph, g.x, g.y, g.z, 3);
        CHECK(one == three);
        auto sorted = one;
        std::sort(sorted.begin(), sorted.end());
        for (NodeId r = 0; r != sorted.size(); ++r)
            CHECK(sorted[r] == r);
    }
    auto const g = random_graph(1, 20, 30);
    std::vector<double> short_x(g.x.begin(), g.x.end() - 1);
    CHECK_THROWS(nested_dissection_order(*g.graph, short_x, g.y, g.z),
                 std::invalid_argument);
    auto bad_y = g.y;
    bad_y[3] = std::nan("");
    CHECK_THROWS(nested_dissection_order(*g.graph, g.x, bad_y, g.z),
                 std::invalid_argument);
}

// Chordal supergraph: upward neighbourhoods are cliques, every input arc
// between distinct nodes has its CCH arc, ranks are a post-order of the
// elimination tree (subtrees contiguous), and the contraction is minimal in
// the sense that every CCH arc is an input edge or a fill edge.
void test_contraction_is_chordal_and_covers_the_graph()
{
    for (unsigned seed = 0; seed != 10; ++seed)
    {
        auto const g = random_graph(seed, 120, 260);
        auto const cch = make_cch(g, 1);
        auto const n = cch->node_count();
        std::set<std::pair<NodeId, NodeId>> edges;
        for (NodeId r = 0; r != n; ++r)
        {
            NodeId previous = r;
            for (auto b = cch->up_first_out(r); b != cch->up_first_out(r + 1);
                 ++b)
            {
                CHECK(cch->up_head(b) > previous);
                CHECK(cch->up_tail(b) == r);
                previous = cch->up_head(b);
                edges.insert({r, cch->up_head(b)});
            }
        }
        for (NodeId r = 0; r != n; ++r)
            for (auto b = cch->up_first_out(r); b != cch->up_first_out(r + 1);
                 ++b)
                for (auto c = b + 1; c != cch->up_first_out(r + 1); ++c)
                    CHECK(edges.count({cch->up_head(b), cch->up_head(c)}));
        auto const &graph = *g.graph;
        for (ArcId a = 0; a != graph.arc_count(); ++a)
        {
            auto const ru = cch->rank(graph.tail(a));
            auto const rv = cch->rank(graph.head(a));
            auto const code = cch->input_arc_code(a);
            if (ru == rv)
            {
                CHECK(code == invalid_id);
                continue;
            }
            auto const b = code >> 1;
            CHECK(cch->up_tail(b) == std::min(ru, rv));
            CHECK(cch->up_head(b) == std::max(ru, rv));
            CHECK((code & 1) == (ru > rv ? 1u : 0u));
        }
        for (NodeId r = 0; r != n; ++r)
        {
            CHECK(cch->order(cch->rank(r)) == r);
            auto const p = cch->parent(r);
            if (p != invalid_id)
            {
                CHECK(p > r);
                CHECK(cch->subtree_first(p) <= cch->subtree_first(r));
            }
            for (auto q = cch->subtree_first(r); q != r; ++q)
            {
                auto up = q;  // q must have r as an ancestor
                while (up != invalid_id && up < r)
                    up = cch->parent(up);
                CHECK(up == r);
            }
        }
    }
}

// Every CCH arc weight is the shortest path between its two ends through
// nodes ranked below both (the defining invariant of customization), for
// one and several threads alike, bit for bit.
void test_customization_matches_restricted_shortest_paths()
{
    for (unsigned seed = 0; seed != 8; ++seed)
    {
        auto const g = random_graph(seed, 90, 200);
        auto const cch = make_cch(g, 1);
        auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
        auto const serial = std::make_shared<CchMetric const>(cch, metric, 1);
        auto const parallel = std::make_shared<CchMetric const>(cch, metric, 3);
        for (ArcId b = 0; b != cch->arc_count(); ++b)
        {
            CHECK(serial->weight(b).forward == parallel->weight(b).forward);
            CHECK(serial->weight(b).backward == parallel->weight(b).backward);
            auto const low = cch->up_tail(b), high = cch->up_head(b);
            auto const below = [&](NodeId x)
            {
                auto const r = cch->rank(x);
                return r < low || r == low || r == high;
            };
            auto const from_low
                = bellman_ford(*g.graph, g.weight, cch->order(low), below);
            auto const from_high
                = bellman_ford(*g.graph, g.weight, cch->order(high), below);
            CHECK(close(serial->weight(b).forward, from_low[cch->order(high)]));
            CHECK(
                close(serial->weight(b).backward, from_high[cch->order(low)]));
        }
    }
}

void test_queries_match_bellman_ford()
{
    for (unsigned seed = 0; seed != 12; ++seed)
    {
        auto const g = random_graph(seed, 70, 170);
        auto const cch = make_cch(g, 2);
        auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
        auto const customized = std::make_shared<CchMetric const>(cch, metric);
        CchQuery query(*customized);  // reused for every pair
        QueryEngine engine(customized, {});
        auto const n = g.graph->node_count();
        for (NodeId s = 0; s != n; ++s)
        {
            auto const reference = bellman_ford(*g.graph, g.weight, s);
            for (NodeId t = 0; t != n; ++t)
            {
                query.run(s, t);
                CHECK(close(query.distance(), reference[t]));
                auto const arcs = query.arc_path();
                CHECK(path_ok(*g.graph, g.weight, arcs, s, t, reference[t]));
                if (s == t)
                    CHECK(arcs.empty());
            }
            auto const all = engine.costs_from(s);
            for (NodeId t = 0; t != n; ++t)
                CHECK(close(all[t], reference[t]));
        }
    }
}

void test_batches_and_matrices()
{
    auto const g = random_graph(7, 80, 220);
    auto const cch = make_cch(g, 1);
    auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
    auto const customized = std::make_shared<CchMetric const>(cch, metric);
    std::vector<NodeId> sources, targets;
    for (NodeId s = 0; s < 80; s += 3)
        sources.push_back(s);
    for (NodeId t = 0; t < 80; t += 2)
        targets.push_back(t);
    std::vector<NodeId> pair_sources, pair_targets;
    for (auto s : sources)
        for (auto t : targets)
        {
            pair_sources.push_back(s);
            pair_targets.push_back(t);
        }
    std::vector<double> ones(g.graph->arc_count(), 1.0);
    std::vector<double> random(g.graph->arc_count());
    std::mt19937 rng(3);
    for (auto &v : random)
        v = std::uniform_real_distribution<double>(-2.0, 5.0)(rng);
    std::vector<std::span<double const>> quantities{ones, random};
    QueryEngine engine(customized, quantities);
    // The same pairs without the hierarchy: sums along the unpacked paths.
    QueryEngine plain_engine(metric, Algorithm::dijkstra, quantities);

    for (unsigned threads : {1u, 3u})
        for (int repeat = 0; repeat != 2; ++repeat)  // pooled objects reused
        {
            auto const pairs
                = engine.route_pairs(pair_sources, pair_targets, true, threads);
            // Sums along the shortcuts (no unpacking), no paths.
            auto const fast = engine.route_pairs(
                pair_sources, pair_targets, false, threads);
            auto const matrix = engine.matrix(sources, targets, threads);
            auto const dijkstra_matrix
                = plain_engine.matrix(sources, targets, threads);
            auto const cells = pair_sources.size();
            CHECK(matrix.cost.size() == cells);
            CHECK(matrix.sums.size() == 2 * cells);
            for (std::size_t i = 0; i != cells; ++i)
            {
                auto const s = pair_sources[i], t = pair_targets[i];
                auto const reference = bellman_ford(*g.graph, g.weight, s)[t];
                CHECK(close(pairs.cost[i], reference));
                std::vector<ArcId> arcs(
                    pairs.path_arcs.begin()
                        + static_cast<std::ptrdiff_t>(pairs.path_offsets[i]),
                    pairs.path_arcs.begin()
                        + static_cast<std::ptrdiff_t>(
                            pairs.path_offsets[i + 1]));
                CHECK(path_ok(*g.graph, g.weight, arcs, s, t, reference));
                // The matrix describes the very path route_pairs returns
                // (same tie-breaking): same cost bit for bit, and the same
                // arc count and random quantity along it.
                CHECK(matrix.cost[i] == pairs.cost[i]);
                CHECK(fast.cost[i] == pairs.cost[i]);
                CHECK(fast.path_offsets.empty());
                CHECK(close(dijkstra_matrix.cost[i], reference));
                if (reference == inf_weight)
                {
                    CHECK(fast.sums[2 * i] == inf_weight);
                    CHECK(fast.sums[2 * i + 1] == inf_weight);
                    CHECK(pairs.sums[2 * i] == inf_weight);
                    CHECK(matrix.sums[i] == inf_weight);
                    CHECK(matrix.sums[cells + i] == inf_weight);
                    CHECK(dijkstra_matrix.sums[i] == inf_weight);
                    continue;
                }
                CHECK(pairs.sums[2 * i] == static_cast<double>(arcs.size()));
                CHECK(matrix.sums[i] == pairs.sums[2 * i]);
                CHECK(close(matrix.sums[cells + i], pairs.sums[2 * i + 1]));
                CHECK(fast.sums[2 * i] == pairs.sums[2 * i]);
                CHECK(close(fast.sums[2 * i + 1], pairs.sums[2 * i + 1]));
            }
        }

    // Costs only, no quantities: same costs.
    QueryEngine costs_only(customized, {});
    auto const plain = costs_only.matrix(sources, targets, 2);
    CHECK(plain.sums.empty());
    auto const with = engine.matrix(sources, targets, 1);
    CHECK(plain.cost == with.cost);
    // Empty sides.
    CHECK(engine.matrix({}, targets, 0).cost.empty());
    CHECK(costs_only.matrix(sources, {}, 0).cost.empty());
}

void test_from_arrays_round_trip_and_validation()
{
    auto const g = random_graph(4, 100, 240);
    auto const cch = make_cch(g, 1);
    std::vector<NodeId> order(cch->order().begin(), cch->order().end());
    std::vector<ArcId> first(cch->up_first_out().begin(),
                             cch->up_first_out().end());
    std::vector<NodeId> head(cch->up_head().begin(), cch->up_head().end());
    Cch const loaded(g.graph, order, first, head);
    CHECK(std::equal(loaded.order().begin(),
                     loaded.order().end(),
                     cch->order().begin(),
                     cch->order().end()));
    CHECK(std::equal(loaded.up_head().begin(),
                     loaded.up_head().end(),
                     cch->up_head().begin(),
                     cch->up_head().end()));
    // Rebuilding from the (already canonical) order gives the same arrays.
    Cch const rebuilt(g.graph, order);
    CHECK(std::equal(rebuilt.up_head().begin(),
                     rebuilt.up_head().end(),
                     cch->up_head().begin(),
                     cch->up_head().end()));

    // An arbitrary order (identity) is renumbered into a post-order, and
    // still answers queries exactly.
    std::vector<NodeId> identity(g.graph->node_count());
    for (NodeId v = 0; v != identity.size(); ++v)
        identity[v] = v;
    auto const plain = std::make_shared<Cch const>(g.graph, identity);
    auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
    auto const customized = std::make_shared<CchMetric const>(plain, metric);
    CchQuery q(*customized);
    for (NodeId s = 0; s < 100; s += 9)
    {
        auto const reference = bellman_ford(*g.graph, g.weight, s);
        for (NodeId t = 0; t < 100; t += 7)
            CHECK(close(q.run(s, t).distance(), reference[t]));
    }

    // Invalid arrays.
    auto bad_order = order;
    bad_order[0] = bad_order[1];
    CHECK_THROWS(Cch(g.graph, bad_order, first, head), std::invalid_argument);
    CHECK_THROWS(Cch(g.graph, bad_order), std::invalid_argument);
    auto far_order = order;
    far_order[0] = 1000;
    CHECK_THROWS(Cch(g.graph, far_order), std::out_of_range);
    CHECK_THROWS(
        Cch(g.graph, std::vector<NodeId>(order.begin(), order.end() - 1)),
        std::invalid_argument);
    auto short_first = first;
    short_first.pop_back();
    CHECK_THROWS(Cch(g.graph, order, short_first, head), std::invalid_argument);
    auto bad_head = head;
    bad_head[0] = static_cast<NodeId>(order.size());
    CHECK_THROWS(Cch(g.graph, order, first, bad_head), std::out_of_range);
    // A downward or repeated arc.
    auto down_head = head;
    auto const r = cch->up_tail(0);
    down_head[0] = r;
    CHECK_THROWS(Cch(g.graph, order, first, down_head), std::invalid_argument);
    // Drop one CCH arc: either chordality breaks or an input arc is missing.
    for (ArcId drop : {ArcId{0}, cch->arc_count() / 2, cch->arc_count() - 1})
    {
        auto f = first;
        auto h = head;
        h.erase(h.begin() + drop);
        for (auto &value : f)
            if (value > drop)
                --value;
        CHECK_THROWS(Cch(g.graph, order, f, h), std::invalid_argument);
    }
    // A graph the hierarchy was not built for (an extra arc).
    std::vector<ArcId> fo(g.graph->first_out().begin(),
                          g.graph->first_out().end());
    std::vector<NodeId> hd(g.graph->head().begin(), g.graph->head().end());
    auto const isolated = static_cast<NodeId>(fo.size() - 2);  // no arcs
    hd.insert(hd.begin(), isolated);
    for (std::size_t i = 1; i != fo.size(); ++i)
        ++fo[i];
    auto const other = std::make_shared<CsrGraph const>(fo, hd);
    CHECK_THROWS(Cch(other, order, first, head), std::invalid_argument);
}

// A side x side grid of two-way streets with random weights, some one-way
// and closed arcs: big enough that the order splits parts on several
// threads and customization takes its parallel path.
RandomGraph grid_graph(unsigned seed, NodeId side)
{
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    auto const n = side * side;
    std::vector<std::vector<std::pair<NodeId, Weight>>> out(n);
    auto link = [&](NodeId a, NodeId b)
    {
        auto const w = 1 + std::round(unit(rng) * 20);
        auto const roll = unit(rng);
        if (roll < 0.9)
            out[a].push_back({b, roll < 0.02 ? inf_weight : w});
        if (roll > 0.1)
            out[b].push_back({a, w});
    };
    for (NodeId r = 0; r != side; ++r)
        for (NodeId c = 0; c != side; ++c)
        {
            if (c + 1 != side)
                link(r * side + c, r * side + c + 1);
            if (r + 1 != side)
                link(r * side + c, (r + 1) * side + c);
        }
    RandomGraph g;
    std::vector<ArcId> first_out{0};
    std::vector<NodeId> head;
    for (NodeId v = 0; v != n; ++v)
    {
        for (auto [h, w] : out[v])
        {
            head.push_back(h);
            g.weight.push_back(w);
        }
        first_out.push_back(static_cast<ArcId>(head.size()));
    }
    g.graph = std::make_shared<CsrGraph const>(first_out, head);
    for (NodeId v = 0; v != n; ++v)
    {
        auto const lat = (45 + (v / side) * 1e-3) * std::numbers::pi / 180;
        auto const lon = (7 + (v % side) * 1e-3) * std::numbers::pi / 180;
        g.x.push_back(std::cos(lat) * std::cos(lon));
        g.y.push_back(std::cos(lat) * std::sin(lon));
        g.z.push_back(std::sin(lat));
    }
    return g;
}

void test_parallel_paths_on_a_grid()
{
    auto const g = grid_graph(5, 220);
    auto const one = nested_dissection_order(*g.graph, g.x, g.y, g.z, 1);
    auto const three = nested_dissection_order(*g.graph, g.x, g.y, g.z, 3);
    CHECK(one == three);
    auto const cch = std::make_shared<Cch const>(g.graph, one);
    CHECK(cch->triangle_count() > 200'000);  // customization goes parallel
    auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
    auto const serial = std::make_shared<CchMetric const>(cch, metric, 1);
    auto const parallel = std::make_shared<CchMetric const>(cch, metric, 3);
    bool same = true;
    for (ArcId b = 0; b != cch->arc_count(); ++b)
        same = same && serial->weight(b).forward == parallel->weight(b).forward
               && serial->weight(b).backward == parallel->weight(b).backward
               && serial->unpack(b, 0).first == parallel->unpack(b, 0).first
               && serial->unpack(b, 1).second == parallel->unpack(b, 1).second;
    CHECK(same);

    DijkstraQuery dijkstra(*metric);
    CchQuery query(*parallel);
    std::mt19937 rng(9);
    std::uniform_int_distribution<NodeId> node(0, g.graph->node_count() - 1);
    for (int i = 0; i != 300; ++i)
    {
        auto const s = node(rng), t = node(rng);
        dijkstra.run(s, t);
        query.run(s, t);
        CHECK(close(query.distance(), dijkstra.distance()));
        CHECK(path_ok(
            *g.graph, g.weight, query.arc_path(), s, t, dijkstra.distance()));
    }
}

// The turn graph of `graph` (one node per arc, an arc a -> b wherever
// head(a) == tail(b)), with every node at the head of its arc.
RandomGraph line_graph(RandomGraph const &g)
{
    auto const &graph = *g.graph;
    RandomGraph line;
    std::vector<ArcId> first_out{0};
    std::vector<NodeId> head;
    for (ArcId a = 0; a != graph.arc_count(); ++a)
    {
        auto const x = graph.head(a);
        for (auto b = graph.first_out(x); b != graph.first_out(x + 1); ++b)
            head.push_back(b);
        first_out.push_back(static_cast<ArcId>(head.size()));
        line.x.push_back(g.x[x]);
        line.y.push_back(g.y[x]);
        line.z.push_back(g.z[x]);
    }
    line.graph = std::make_shared<CsrGraph const>(first_out, head);
    return line;
}

void test_arc_order_is_a_deterministic_permutation()
{
    for (unsigned seed = 0; seed != 10; ++seed)
    {
        auto const g = random_graph(seed, 200, 400);  // loops, parallel arcs
        auto const one
            = arc_nested_dissection_order(*g.graph, g.x, g.y, g.z, 1);
        auto const three
            = arc_nested_dissection_order(*g.graph, g.x, g.y, g.z, 3);
        CHECK(one == three);
        auto sorted = one;
        std::sort(sorted.begin(), sorted.end());
        CHECK(sorted.size() == g.graph->arc_count());
        for (ArcId r = 0; r != sorted.size(); ++r)
            CHECK(sorted[r] == r);
    }
    auto const g = random_graph(1, 20, 30);
    std::vector<double> short_x(g.x.begin(), g.x.end() - 1);
    CHECK_THROWS(arc_nested_dissection_order(*g.graph, short_x, g.y, g.z),
                 std::invalid_argument);
    auto bad_z = g.z;
    bad_z[3] = std::nan("");
    CHECK_THROWS(arc_nested_dissection_order(*g.graph, g.x, g.y, bad_z),
                 std::invalid_argument);
    auto const empty = std::make_shared<CsrGraph const>(
        std::vector<ArcId>{0, 0, 0}, std::vector<NodeId>{});
    std::vector<double> c{1, 0};
    CHECK(arc_nested_dissection_order(*empty, c, c, c).empty());
}

// Two 6 x 6 grids of two-way roads joined by a bridge of two two-way roads
// and a parallel arc: the bridge's five arcs are the only minimal balanced
// cut, so they must take the five highest ranks, and each grid's arcs
// (loops included) a contiguous range below them.
void test_arc_order_cuts_at_the_bridge()
{
    constexpr NodeId side = 6, half = side * side;
    std::vector<std::vector<NodeId>> out(2 * half);
    auto const link = [&](NodeId a, NodeId b)
    {
        out[a].push_back(b);
        out[b].push_back(a);
    };
    for (NodeId grid = 0; grid != 2; ++grid)
        for (NodeId r = 0; r != side; ++r)
            for (NodeId c = 0; c != side; ++c)
            {
                auto const v = grid * half + r * side + c;
                if (c + 1 != side)
                    link(v, v + 1);
                if (r + 1 != side)
                    link(v, v + side);
            }
    out[7].push_back(7);                  // a loop in the left grid
    out[half + 20].push_back(half + 20);  // and one in the right grid
    // Bridge: right column of the left grid, rows 2 and 3, to the left
    // column of the right grid.
    link(2 * side + side - 1, half + 2 * side);
    link(3 * side + side - 1, half + 3 * side);
    out[2 * side + side - 1].push_back(half + 2 * side);  // parallel arc
    RandomGraph g;
    std::vector<ArcId> first_out{0};
    std::vector<NodeId> head;
    for (NodeId v = 0; v != 2 * half; ++v)
    {
        head.insert(head.end(), out[v].begin(), out[v].end());
        first_out.push_back(static_cast<ArcId>(head.size()));
        auto const grid = v / half, r = (v % half) / side, c = v % side;
        auto const lat = (45 + r * 1e-3) * std::numbers::pi / 180;
        auto const lon = (7 + grid * 0.02 + c * 1e-3) * std::numbers::pi / 180;
        g.x.push_back(std::cos(lat) * std::cos(lon));
        g.y.push_back(std::cos(lat) * std::sin(lon));
        g.z.push_back(std::sin(lat));
    }
    g.graph = std::make_shared<CsrGraph const>(first_out, head);
    auto const &graph = *g.graph;
    auto const order = arc_nested_dissection_order(graph, g.x, g.y, g.z, 1);
    auto const m = graph.arc_count();
    CHECK(order.size() == m);
    auto const grid_of = [&](ArcId a)
    {
        auto const t = graph.tail(a) / half, h = graph.head(a) / half;
        return t == h ? t : 2u;  // 2: the bridge
    };
    for (ArcId r = m - 5; r != m; ++r)
        CHECK(grid_of(order[r]) == 2u);
    // Below the bridge: one grid's arcs, then the other's.
    ArcId changes = 0;
    for (ArcId r = 1; r + 5 < m; ++r)
        changes += grid_of(order[r]) != grid_of(order[r - 1]);
    CHECK(changes == 1);
}

// On the turn graph of a grid, the arc order must give a hierarchy far
// smaller than a random order does, and about as small as a nested
// dissection of the turn graph itself.
void test_arc_order_is_a_nested_dissection_of_the_turn_graph()
{
    auto const g = grid_graph(5, 24);
    auto const line = line_graph(g);
    auto const arcs = arc_nested_dissection_order(*g.graph, g.x, g.y, g.z);
    auto random = arcs;
    std::mt19937 rng(3);
    std::shuffle(random.begin(), random.end(), rng);
    auto const direct
        = nested_dissection_order(*line.graph, line.x, line.y, line.z);
    Cch const by_cuts(line.graph, arcs);
    Cch const by_random(line.graph, random);
    Cch const by_direct(line.graph, direct);
    std::cout << "turn graph of a 24 x 24 grid, CCH arcs / triangles: "
              << "cuts " << by_cuts.arc_count() << " / "
              << by_cuts.triangle_count() << ", expanded ND "
              << by_direct.arc_count() << " / " << by_direct.triangle_count()
              << ", random " << by_random.arc_count() << " / "
              << by_random.triangle_count() << "\n";
    CHECK(3 * by_cuts.arc_count() < by_random.arc_count());
    CHECK(2 * by_cuts.arc_count() < 3 * by_direct.arc_count());
}

void test_invalid_input_and_edge_cases()
{
    auto const g = random_graph(2, 30, 60);
    auto const cch = make_cch(g, 1);
    auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
    auto const customized = std::make_shared<CchMetric const>(cch, metric);

    // A metric on another graph object (even an equal one) is refused.
    auto const copy = std::make_shared<CsrGraph const>(
        std::vector<ArcId>(g.graph->first_out().begin(),
                           g.graph->first_out().end()),
        std::vector<NodeId>(g.graph->head().begin(), g.graph->head().end()));
    auto const foreign = std::make_shared<Metric const>(copy, g.weight);
    CHECK_THROWS(CchMetric(cch, foreign), std::invalid_argument);
    CHECK_THROWS(CchMetric(nullptr, metric), std::invalid_argument);

    QueryEngine engine(customized, {});
    std::vector<NodeId> ok{0}, bad{30}, two{0, 1};
    CHECK_THROWS(engine.route_pairs(ok, bad, false, 1), std::out_of_range);
    CHECK_THROWS(engine.route_pairs(bad, ok, false, 1), std::out_of_range);
    CHECK_THROWS(engine.route_pairs(ok, two, false, 1), std::invalid_argument);
    CHECK_THROWS(engine.matrix(bad, ok, 1), std::out_of_range);
    CHECK_THROWS(engine.matrix(ok, bad, 1), std::out_of_range);
    CHECK_THROWS(engine.costs_from(30), std::out_of_range);
    CchQuery query(*customized);
    CHECK_THROWS(query.run(0, 30), std::out_of_range);
    std::vector<double> short_quantity(3);
    std::vector<std::span<double const>> wrong{short_quantity};
    CHECK_THROWS(QueryEngine(customized, wrong), std::invalid_argument);
    CHECK_THROWS(CchQuantities(*customized, wrong), std::invalid_argument);

    // Tiny graphs: no nodes, one node, two nodes joined by a closed arc.
    for (NodeId n : {0u, 1u})
    {
        auto const empty = std::make_shared<CsrGraph const>(
            std::vector<ArcId>(n + 1, 0), std::vector<NodeId>{});
        std::vector<double> c(n, 1.0 / std::sqrt(3.0));
        auto const order = nested_dissection_order(*empty, c, c, c, 0);
        CHECK(order.size() == n);
        auto const tiny = std::make_shared<Cch const>(empty, order);
        CHECK(tiny->arc_count() == 0);
        auto const m
            = std::make_shared<Metric const>(empty, std::vector<Weight>{});
        auto const cm = std::make_shared<CchMetric const>(tiny, m);
        if (n == 1)
        {
            CchQuery q(*cm);
            CHECK(q.run(0, 0).distance() == 0);
            CHECK(q.arc_path().empty());
        }
    }
    auto const pair = std::make_shared<CsrGraph const>(
        std::vector<ArcId>{0, 1, 1}, std::vector<NodeId>{1});
    std::vector<double> px{1, 0}, py{0, 1}, pz{0, 0};
    auto const pair_cch = std::make_shared<Cch const>(
        pair, nested_dissection_order(*pair, px, py, pz));
    auto const closed
        = std::make_shared<Metric const>(pair, std::vector<Weight>{inf_weight});
    auto const closed_cch = std::make_shared<CchMetric const>(pair_cch, closed);
    CchQuery q(*closed_cch);
    for (int repeat = 0; repeat != 3; ++repeat)  // reuse must not leak state
    {
        CHECK(q.run(0, 1).distance() == inf_weight);
        CHECK(q.arc_path().empty());
        CHECK(q.run(1, 1).distance() == 0);
        CHECK(q.run(1, 0).distance() == inf_weight);
    }
}
}  // namespace

int main()
{
    test_order_is_a_deterministic_permutation();
    test_contraction_is_chordal_and_covers_the_graph();
    test_customization_matches_restricted_shortest_paths();
    test_queries_match_bellman_ford();
    test_batches_and_matrices();
    test_parallel_paths_on_a_grid();
    test_arc_order_is_a_deterministic_permutation();
    test_arc_order_cuts_at_the_bridge();
    test_arc_order_is_a_nested_dissection_of_the_turn_graph();
    test_from_arrays_round_trip_and_validation();
    test_invalid_input_and_edge_cases();
    if (ecoroute_test::failures != 0)
    {
        std::cerr << ecoroute_test::failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
