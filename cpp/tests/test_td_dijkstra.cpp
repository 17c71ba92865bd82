// Tests of the time-dependent Dijkstra on a hand-computed graph: arcs driven
// across slot boundaries, periodicity, FIFO, weights shared between slots,
// query reuse and input checks. (Python tests compare it with an independent
// reference on random graphs: tests/test_traffic.py.)

#include "check.hpp"

#include "ecoroute/td_dijkstra.hpp"

#include <cmath>
#include <memory>
#include <vector>

using namespace ecoroute;

namespace
{
bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-9 * (1 + std::abs(b));
}

// Arcs 0: 0->1 (profile), 1: 0->2, 2: 1->2; slots of 10 time units, 3 per
// period.
std::shared_ptr<CsrGraph const> triangle()
{
    return std::make_shared<CsrGraph const>(std::vector<ArcId>{0, 2, 3, 3},
                                            std::vector<NodeId>{1, 2, 2});
}

std::shared_ptr<TimeDependentArcs const> arcs(bool with_weights)
{
    return std::make_shared<TimeDependentArcs const>(
        triangle(),
        std::vector<double>{0.0, 100.0, 4.0},  // arc 0's static time is unused
        with_weights ? std::vector<Weight>{0.0, 10.0, 1.0}
                     : std::vector<Weight>{},
        std::vector<ArcId>{0},
        std::vector<float>{20.0F, 5.0F, 10.0F},  // whole-arc times per slot
        with_weights ? std::vector<Weight>{2.0, 1.0, 3.0}
                     : std::vector<Weight>{},
        10.0,
        3);
}

void test_traversal_across_slots()
{
    auto const td = arcs(true);
    // Entered at 5: a quarter of the arc by 10 (slot 0 takes 20 for all of
    // it), the other three quarters at slot 1's pace (5 for all): 13.75.
    auto const step = td->traverse(0, 5.0);
    CHECK(near(step.arrival, 13.75));
    CHECK(near(step.weight, 0.25 * 2.0 + 0.75 * 1.0));
    // One period later: the same, shifted.
    CHECK(near(td->traverse(0, 35.0).arrival, 43.75));
    // Inside one slot: the slot's whole time.
    CHECK(near(td->traverse(0, 20.0).arrival, 30.0));
    // An arc without a profile: its static time and weight.
    CHECK(near(td->traverse(2, 7.0).arrival, 11.0));
    CHECK(near(td->traverse(2, 7.0).weight, 1.0));
    // FIFO: arrival never decreases with entry time.
    double last = -1.0;
    for (double t = 0.0; t < 90.0; t += 0.37)
    {
        auto const arrival = td->traverse(0, t).arrival;
        CHECK(arrival >= last - 1e-12);
        last = arrival;
    }
}

void test_routes_and_reuse()
{
    auto const td = arcs(false);
    TimeDependentDijkstra const search(td);
    for (int repeat = 0; repeat != 3; ++repeat)  // reuse must not leak state
    {
        auto const route = search.route(0, 2, 5.0);
        CHECK(near(route.arrival, 17.75));  // 0 -> 1 by 13.75, then 4
        CHECK(near(route.cost, 12.75));
        CHECK((route.arcs == std::vector<ArcId>{0, 2}));
        CHECK(route.entry.size() == 2);
        CHECK(near(route.entry[1], 13.75));
        auto const unreachable = search.route(2, 0, 0.0);
        CHECK(std::isinf(unreachable.arrival));
        CHECK(unreachable.arcs.empty());
    }
    // A batch over two threads: the same answers as one route at a time.
    std::vector<NodeId> const sources{0, 0, 2, 1};
    std::vector<NodeId> const targets{2, 1, 0, 2};
    std::vector<double> const departures{5.0, 35.0, 0.0, 3.0};
    auto const batch = search.route_pairs(sources, targets, departures, 2);
    CHECK(batch.path_offsets.size() == 5);
    for (std::size_t i = 0; i != sources.size(); ++i)
    {
        auto const one = search.route(sources[i], targets[i], departures[i]);
        CHECK((std::isinf(one.arrival) && std::isinf(batch.arrival[i]))
              || near(batch.arrival[i], one.arrival));
        CHECK(batch.path_offsets[i + 1] - batch.path_offsets[i]
              == one.arcs.size());
    }
    std::vector<double> const one_departure{1.0};
    CHECK_THROWS(search.route_pairs(sources, targets, one_departure, 1),
                 std::invalid_argument);
    std::vector<NodeId> const outside{7};
    std::vector<NodeId> const zero{0};
    std::vector<double> const at_zero{0.0};
    CHECK_THROWS(search.route_pairs(outside, zero, at_zero, 1),
                 std::out_of_range);
    auto const all = search.arrivals_from(0, 5.0);
    CHECK(near(all[1], 13.75));
    CHECK(near(all[2], 17.75));
    // Weights: 0 -> 1 costs 1.25 entered at 5, then 1: cheaper than 10.
    TimeDependentDijkstra const by_weight(arcs(true));
    auto const route = by_weight.route(0, 2, 5.0);
    CHECK(near(route.cost, 2.25));
    CHECK(near(route.arrival, 17.75));
}

void test_inputs_are_checked()
{
    auto const graph = triangle();
    std::vector<double> const time{1.0, 1.0, 1.0};
    CHECK_THROWS(TimeDependentArcs(graph, time, {}, {0}, {1.0F}, {}, 10.0, 3),
                 std::invalid_argument);  // one slot time, three slots
    CHECK_THROWS(TimeDependentArcs(
                     graph, time, {}, {5}, {1.0F, 1.0F, 1.0F}, {}, 10.0, 3),
                 std::out_of_range);
    CHECK_THROWS(TimeDependentArcs(
                     graph, time, {}, {0}, {1.0F, -1.0F, 1.0F}, {}, 10.0, 3),
                 std::invalid_argument);
    CHECK_THROWS(TimeDependentArcs(graph, {1.0, 1.0}, {}, {}, {}, {}, 10.0, 3),
                 std::invalid_argument);
    CHECK_THROWS(TimeDependentArcs(graph, time, {}, {}, {}, {}, 0.0, 3),
                 std::invalid_argument);
}
}  // namespace

int main()
{
    test_traversal_across_slots();
    test_routes_and_reuse();
    test_inputs_are_checked();
    if (ecoroute_test::failures != 0)
    {
        std::cerr << ecoroute_test::failures << " check(s) failed\n";
        return 1;
    }
    std::cout << "all checks passed\n";
    return 0;
}
