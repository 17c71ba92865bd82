// Tests of the searches on small graphs, against a Bellman-Ford reference
// written here independently of the code under test.

#include "check.hpp"

#include "ecoroute/query_engine.hpp"
#include "ecoroute/search.hpp"

#include <cmath>
#include <memory>
#include <numbers>
#include <random>
#include <vector>

using namespace ecoroute;

namespace
{
struct RandomGraph
{
    std::shared_ptr<CsrGraph const> graph;
    std::vector<Weight> weight;
    std::shared_ptr<SpherePoints const> points;
};

// Random multigraph with loops, parallel arcs, zero weights, closed arcs and
// two isolated nodes; positions on a small patch of the sphere.
RandomGraph random_graph(unsigned seed, NodeId n, ArcId m)
{
    std::mt19937 rng(seed);
    std::uniform_int_distribution<NodeId> node(0, n - 3);  // last 2 isolated
    std::uniform_real_distribution<double> unit(0.0, 1.0);

    std::vector<std::vector<std::pair<NodeId, Weight>>> out(n);
    for (ArcId i = 0; i != m; ++i)
    {
        auto const x = node(rng);
        auto const y = (i % 17 == 0) ? x : node(rng);  // some loops
        double w = std::round(unit(rng) * 100) / 10;
        if (i % 13 == 0)
            w = 0;  // zero weights
        if (i % 29 == 0)
            w = inf_weight;  // closed arcs
        out[x].push_back({y, w});
        if (i % 11 == 0)
            out[x].push_back({y, w + 1});  // parallel arcs
    }

    std::vector<ArcId> first_out{0};
    std::vector<NodeId> head;
    std::vector<Weight> weight;
    for (NodeId x = 0; x != n; ++x)
    {
        for (auto [y, w] : out[x])
        {
            head.push_back(y);
            weight.push_back(w);
        }
        first_out.push_back(static_cast<ArcId>(head.size()));
    }

    std::vector<double> px, py, pz;
    for (NodeId x = 0; x != n; ++x)
    {
        auto const lat = (45 + unit(rng) * 0.1) * std::numbers::pi / 180;
        auto const lon = (7 + unit(rng) * 0.1) * std::numbers::pi / 180;
        px.push_back(std::cos(lat) * std::cos(lon));
        py.push_back(std::cos(lat) * std::sin(lon));
        pz.push_back(std::sin(lat));
    }
    return {std::make_shared<CsrGraph const>(first_out, head),
            weight,
            std::make_shared<SpherePoints const>(px, py, pz)};
}

std::vector<Weight> bellman_ford(CsrGraph const &graph,
                                 std::vector<Weight> const &weight,
                                 NodeId source)
{
    std::vector<Weight> dist(graph.node_count(), inf_weight);
    dist[source] = 0;
    for (bool changed = true; changed;)
    {
        changed = false;
        for (ArcId a = 0; a != graph.arc_count(); ++a)
        {
            auto const x = graph.tail(a);
            if (dist[x] + weight[a] < dist[graph.head(a)])
            {
                dist[graph.head(a)] = dist[x] + weight[a];
                changed = true;
            }
        }
    }
    return dist;
}

bool close(Weight a, Weight b)
{
    if (a == inf_weight || b == inf_weight)
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
        if (graph.tail(a) != at)
            return false;
        at = graph.head(a);
        sum += weight[a];
    }
    return at == t && close(sum, cost);
}

// Every query object has the same call shape: run(s, t), distance(),
// append_arc_path(out). Checks one against Bellman-Ford for one pair.
template <class Query>
void check_query(Query &query,
                 RandomGraph const &g,
                 std::vector<Weight> const &reference,
                 NodeId s,
                 NodeId t)
{
    query.run(s, t);
    CHECK(close(query.distance(), reference[t]));
    std::vector<ArcId> arcs{7};  // appends after what is there
    query.append_arc_path(arcs);
    arcs.erase(arcs.begin());
    CHECK(path_ok(*g.graph, g.weight, arcs, s, t, reference[t]));
}

void test_algorithms_match_bellman_ford()
{
    for (unsigned seed = 0; seed != 20; ++seed)
    {
        auto const g = random_graph(seed, 60, 150);
        auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
        GeoBound const bound(*metric, *g.points);
        DijkstraQuery dijkstra(*metric);
        BidirectionalDijkstraQuery bidirectional(*metric);
        AStarQuery astar(*metric, TargetPotential(bound));
        BidirectionalAStarQuery bidirectional_astar(*metric,
                                                    AveragePotential(bound));

        for (NodeId s = 0; s != g.graph->node_count(); ++s)
        {
            auto const reference = bellman_ford(*g.graph, g.weight, s);
            for (NodeId t = 0; t != g.graph->node_count(); ++t)
            {
                check_query(dijkstra, g, reference, s, t);
                check_query(bidirectional, g, reference, s, t);
                check_query(astar, g, reference, s, t);
                check_query(bidirectional_astar, g, reference, s, t);
            }
        }
    }
}

void test_one_to_all_and_batch()
{
    auto const g = random_graph(7, 80, 220);
    auto const metric = std::make_shared<Metric const>(g.graph, g.weight);
    std::vector<NodeId> sources, targets;
    for (NodeId s = 0; s < 80; s += 3)
        for (NodeId t = 0; t < 80; t += 5)
        {
            sources.push_back(s);
            targets.push_back(t);
        }
    std::vector<double> ones(g.graph->arc_count(), 1.0);
    std::vector<std::span<double const>> quantities{g.weight, ones};

    for (auto algorithm : {Algorithm::dijkstra,
                           Algorithm::bidirectional,
                           Algorithm::astar,
                           Algorithm::bidirectional_astar})
        for (unsigned threads : {1u, 3u})
        {
            QueryEngine engine(metric, algorithm, quantities, g.points);
            for (int repeat = 0; repeat != 2;
                 ++repeat)  // pooled queries reused
            {
                auto const result
                    = engine.route_pairs(sources, targets, true, threads);
                for (std::size_t i = 0; i != sources.size(); ++i)
                {
                    auto const reference
                        = bellman_ford(*g.graph, g.weight, sources[i]);
                    CHECK(close(result.cost[i], reference[targets[i]]));
                    std::vector<ArcId> arcs(
                        result.path_arcs.begin()
                            + static_cast<std::ptrdiff_t>(
                                result.path_offsets[i]),
                        result.path_arcs.begin()
                            + static_cast<std::ptrdiff_t>(
                                result.path_offsets[i + 1]));
                    CHECK(path_ok(*g.graph,
                                  g.weight,
                                  arcs,
                                  sources[i],
                                  targets[i],
                                  result.cost[i]));
                    if (result.cost[i] != inf_weight)
                    {
                        CHECK(close(result.sums[2 * i], result.cost[i]));
                        CHECK(result.sums[2 * i + 1]
                              == static_cast<double>(arcs.size()));
                    }
                    else
                        CHECK(result.sums[2 * i] == inf_weight);
                }
            }
        }

    QueryEngine engine(metric, Algorithm::dijkstra, {});
    auto const cost = engine.costs_from(4);
    auto const reference = bellman_ford(*g.graph, g.weight, 4);
    DijkstraQuery query(*metric);
    query.run_from(4);
    for (NodeId x = 0; x != 80; ++x)
    {
        CHECK(close(cost[x], reference[x]));
        CHECK((query.pred_arc(x) == invalid_id)
              == (x == 4 || cost[x] == inf_weight));
    }
}

void test_invalid_input()
{
    // first_out must start at 0, end at len(head), and not decrease.
    CHECK_THROWS(CsrGraph({1, 1}, {0}), std::invalid_argument);
    CHECK_THROWS(CsrGraph({0, 2}, {0}), std::invalid_argument);
    CHECK_THROWS(CsrGraph({0, 2, 1, 2}, {0, 0}), std::invalid_argument);
    CHECK_THROWS(CsrGraph({}, {}), std::invalid_argument);
    CHECK_THROWS(CsrGraph({0, 1}, {5}), std::out_of_range);

    auto const graph = std::make_shared<CsrGraph const>(
        std::vector<ArcId>{0, 1, 1}, std::vector<NodeId>{1});
    CHECK_THROWS(Metric(graph, {-1.0}), std::invalid_argument);
    CHECK_THROWS(Metric(graph, {std::nan("")}), std::invalid_argument);
    CHECK_THROWS(Metric(graph, {1.0, 2.0}), std::invalid_argument);

    auto const metric = std::make_shared<Metric const>(graph, std::vector{1.0});
    QueryEngine engine(metric, Algorithm::dijkstra, {});
    std::vector<NodeId> ok{0}, bad{2}, two{0, 1};
    CHECK_THROWS(engine.route_pairs(ok, bad, false, 1), std::out_of_range);
    CHECK_THROWS(engine.route_pairs(bad, ok, false, 1), std::out_of_range);
    CHECK_THROWS(engine.route_pairs(ok, two, false, 1), std::invalid_argument);
    CHECK_THROWS(engine.matrix(ok, bad, 1), std::out_of_range);
    CHECK_THROWS(engine.costs_from(2), std::out_of_range);
    CHECK_THROWS(QueryEngine(metric, Algorithm::astar, {}),
                 std::invalid_argument);
    CHECK_THROWS(QueryEngine(metric, Algorithm::cch, {}),
                 std::invalid_argument);
    std::vector<double> wrong(2, 1.0);
    CHECK_THROWS(QueryEngine(metric, Algorithm::dijkstra, {wrong}),
                 std::invalid_argument);
}

void test_source_equals_target_and_unreachable()
{
    auto const graph = std::make_shared<CsrGraph const>(
        std::vector<ArcId>{0, 1, 1, 1}, std::vector<NodeId>{1});
    Metric const metric(graph, {2.5});
    DijkstraQuery dijkstra(metric);
    BidirectionalDijkstraQuery bidirectional(metric);
    auto path = [](auto const &query)
    {
        std::vector<ArcId> arcs;
        query.append_arc_path(arcs);
        return arcs;
    };
    for (int repeat = 0; repeat != 3; ++repeat)  // reuse must not leak state
    {
        dijkstra.run(1, 1);
        CHECK(dijkstra.distance() == 0);
        CHECK(path(dijkstra).empty());

        dijkstra.run(0, 1);
        CHECK(dijkstra.distance() == 2.5);
        CHECK((path(dijkstra) == std::vector<ArcId>{0}));

        dijkstra.run(1, 0);
        CHECK(dijkstra.distance() == inf_weight);
        CHECK(path(dijkstra).empty());

        bidirectional.run(2, 2);
        CHECK(bidirectional.distance() == 0);
        bidirectional.run(0, 2);
        CHECK(bidirectional.distance() == inf_weight);
        CHECK(path(bidirectional).empty());
    }
}
}  // namespace

int main()
{
    test_algorithms_match_bellman_ford();
    test_one_to_all_and_batch();
    test_invalid_input();
    test_source_equals_target_and_unreachable();
    if (ecoroute_test::failures != 0)
    {
        std::cerr << ecoroute_test::failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
