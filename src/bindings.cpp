// Python bindings for the ecoroute core (module ecoroute._core). Keep this
// file boring: convert arguments, release the GIL, call one C++ function,
// convert the result. Anything smarter belongs in cpp/ (C++) or in
// python/ecoroute (Python). User-facing documentation lives on the Python
// wrappers; this module is private.

#include "ecoroute/cch.hpp"
#include "ecoroute/csr_graph.hpp"
#include "ecoroute/metric.hpp"
#include "ecoroute/nested_dissection.hpp"
#include "ecoroute/osm_pbf.hpp"
#include "ecoroute/potential.hpp"
#include "ecoroute/query_engine.hpp"
#include "ecoroute/td_dijkstra.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <span>
#include <string>
#include <vector>

namespace py = pybind11;
using namespace pybind11::literals;
using namespace ecoroute;

namespace
{
// C-contiguous input of exactly dtype T; other dtypes are cast (a copy). The
// Python layer checks dtypes and ranges first (forcecast would turn 0.7 into
// node 0), so this is the memory-safety net, not the user-facing check.
template <class T>
using InArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <class T>
std::span<T const> as_span(InArray<T> const &array, char const *name)
{
    if (array.ndim() != 1)
        throw py::value_error(std::string(name) + " must be a 1-D array.");
    return {array.data(), static_cast<std::size_t>(array.size())};
}

template <class T>
std::vector<T> to_vector(InArray<T> const &array, char const *name)
{
    auto const span = as_span(array, name);
    return {span.begin(), span.end()};
}

// Hands a C++ vector to NumPy without copying: the capsule owns the memory.
template <class T> py::array_t<T> to_numpy(std::vector<T> &&values)
{
    auto *owned = new std::vector<T>(std::move(values));
    py::capsule owner(owned,
                      [](void *p) { delete static_cast<std::vector<T> *>(p); });
    return py::array_t<T>(
        static_cast<py::ssize_t>(owned->size()), owned->data(), owner);
}

// Read-only NumPy view of memory owned by a bound C++ object (`self`).
template <class T> py::array_t<T> view(std::span<T const> data, py::handle self)
{
    py::array_t<T> array(
        static_cast<py::ssize_t>(data.size()), data.data(), self);
    array.attr("setflags")("write"_a = false);
    return array;
}

// The one result conversion: (cost, sums (pairs x quantities), path_offsets,
// path_arcs), the arrays handed over without copies.
py::tuple to_python(PairResult &&result, std::size_t quantity_count)
{
    auto const pairs = static_cast<py::ssize_t>(result.cost.size());
    auto sums = to_numpy(std::move(result.sums));
    return py::make_tuple(
        to_numpy(std::move(result.cost)),
        sums.reshape({pairs, static_cast<py::ssize_t>(quantity_count)}),
        to_numpy(std::move(result.path_offsets)),
        to_numpy(std::move(result.path_arcs)));
}

// (cost (rows x columns), sums (quantities x rows x columns)).
py::tuple to_python(MatrixResult &&result,
                    std::size_t rows,
                    std::size_t columns,
                    std::size_t quantity_count)
{
    auto const r = static_cast<py::ssize_t>(rows);
    auto const c = static_cast<py::ssize_t>(columns);
    auto cost = to_numpy(std::move(result.cost));
    auto sums = to_numpy(std::move(result.sums));
    return py::make_tuple(
        cost.reshape({r, c}),
        sums.reshape({static_cast<py::ssize_t>(quantity_count), r, c}));
}

// A QueryEngine and the NumPy arrays of the quantities it reads: the engine
// stores views into them, so they live exactly as long as it does.
struct BoundEngine
{
    std::vector<InArray<double>> arrays;
    std::unique_ptr<QueryEngine> engine;
};

std::vector<std::span<double const>>
quantity_spans(std::vector<InArray<double>> const &arrays)
{
    std::vector<std::span<double const>> spans;
    for (auto const &array : arrays)
        spans.push_back(as_span(array, "quantity"));
    return spans;
}

// Binds one nested-dissection order function (nodes or arcs of a graph, by
// positions on the unit sphere): the GIL is released while it runs.
template <class Id>
void def_order(py::module_ &m,
               char const *name,
               std::vector<Id> (*order_of)(CsrGraph const &,
                                           std::span<double const>,
                                           std::span<double const>,
                                           std::span<double const>,
                                           unsigned))
{
    m.def(
        name,
        [order_of](std::shared_ptr<CsrGraph> const &graph,
                   InArray<double> const &x,
                   InArray<double> const &y,
                   InArray<double> const &z,
                   unsigned num_threads)
        {
            auto const xs = as_span(x, "x");
            auto const ys = as_span(y, "y");
            auto const zs = as_span(z, "z");
            std::vector<Id> order;
            {
                py::gil_scoped_release release;
                order = order_of(*graph, xs, ys, zs, num_threads);
            }
            return to_numpy(std::move(order));
        },
        "graph"_a,
        "x"_a,
        "y"_a,
        "z"_a,
        py::kw_only(),
        "num_threads"_a = 0);
}

// A block's bytes (bytes, bytearray or a memoryview of them), read without the GIL.
std::span<std::uint8_t const> block_bytes(py::buffer const &block)
{
    py::buffer_info const info = block.request();
    if (info.ndim != 1 || info.itemsize != 1)
        throw py::value_error("a PBF block must be a 1-D buffer of bytes.");
    return {static_cast<std::uint8_t const *>(info.ptr), static_cast<std::size_t>(info.size)};
}

// Tag sets as lists of (key, value) bytes: OSM strings are UTF-8 by rule, not
// by guarantee, so Python decodes them.
py::list tag_sets(std::vector<pbf::TagList> const &sets, std::size_t from, std::size_t to)
{
    py::list out;
    for (std::size_t i = from; i < to; ++i)
    {
        py::list pairs;
        for (auto const &[key, value] : sets[i])
            pairs.append(py::make_tuple(py::bytes(key), py::bytes(value)));
        out.append(pairs);
    }
    return out;
}
}  // namespace

PYBIND11_MODULE(_core, m)
{
    m.doc() = "Compiled core of ecoroute. Private: use ecoroute.* instead.";
    m.def("build_type", [] { return std::string(ECOROUTE_BUILD_TYPE); });
    m.def("hardware_threads",
          [] { return resolve_thread_count(0, static_cast<std::size_t>(-1)); });

    py::class_<CsrGraph, std::shared_ptr<CsrGraph>>(m, "CsrGraph")
        .def(
            py::init(
                [](InArray<ArcId> const &first_out, InArray<NodeId> const &head)
                {
                    auto fo = to_vector(first_out, "first_out");
                    auto hd = to_vector(head, "head");
                    py::gil_scoped_release release;
                    return std::make_shared<CsrGraph>(std::move(fo),
                                                      std::move(hd));
                }),
            "first_out"_a,
            "head"_a)
        .def_property_readonly("node_count", &CsrGraph::node_count)
        .def_property_readonly("arc_count", &CsrGraph::arc_count)
        .def_property_readonly("memory_bytes", &CsrGraph::memory_bytes)
        .def_property_readonly(
            "first_out",
            [](py::object self)
            { return view(self.cast<CsrGraph const &>().first_out(), self); })
        .def_property_readonly(
            "head",
            [](py::object self)
            { return view(self.cast<CsrGraph const &>().head(), self); })
        .def_property_readonly(
            "tail",
            [](py::object self)
            { return view(self.cast<CsrGraph const &>().tail(), self); });

    py::class_<Metric, std::shared_ptr<Metric>>(m, "Metric")
        .def(py::init(
                 [](std::shared_ptr<CsrGraph> const &graph,
                    InArray<Weight> const &weight)
                 {
                     auto w = to_vector(weight, "weight");
                     py::gil_scoped_release release;
                     return std::make_shared<Metric>(graph, std::move(w));
                 }),
             "graph"_a,
             "weight"_a)  // the metric shares ownership of the graph
        .def_property_readonly("memory_bytes", &Metric::memory_bytes)
        .def_property_readonly(
            "weight",
            [](py::object self)
            { return view(self.cast<Metric const &>().weight(), self); });

    py::class_<SpherePoints, std::shared_ptr<SpherePoints>>(m, "SpherePoints")
        .def(py::init(
                 [](InArray<double> const &x,
                    InArray<double> const &y,
                    InArray<double> const &z)
                 {
                     return std::make_shared<SpherePoints>(to_vector(x, "x"),
                                                           to_vector(y, "y"),
                                                           to_vector(z, "z"));
                 }),
             "x"_a,
             "y"_a,
             "z"_a);

    py::enum_<Algorithm>(m, "Algorithm")
        .value("dijkstra", Algorithm::dijkstra)
        .value("bidirectional", Algorithm::bidirectional)
        .value("astar", Algorithm::astar)
        .value("bidirectional_astar", Algorithm::bidirectional_astar)
        .value("cch", Algorithm::cch);

    py::class_<BoundEngine>(m, "QueryEngine")
        .def(py::init(
                 [](std::shared_ptr<Metric> const &metric,
                    Algorithm algorithm,
                    std::vector<InArray<double>> quantities,
                    std::shared_ptr<SpherePoints> const &points)
                 {
                     auto bound = std::make_unique<BoundEngine>();
                     bound->arrays = std::move(quantities);
                     auto spans = quantity_spans(bound->arrays);
                     py::gil_scoped_release release;  // A* scans every arc
                     bound->engine = std::make_unique<QueryEngine>(
                         metric, algorithm, std::move(spans), points);
                     return bound;
                 }),
             "metric"_a,
             "algorithm"_a,
             "quantities"_a,
             "points"_a = nullptr)
        .def(py::init(
                 [](std::shared_ptr<CchMetric> const &metric,
                    std::vector<InArray<double>> quantities)
                 {
                     auto bound = std::make_unique<BoundEngine>();
                     bound->arrays = std::move(quantities);
                     bound->engine = std::make_unique<QueryEngine>(
                         metric, quantity_spans(bound->arrays));
                     return bound;
                 }),
             "metric"_a,
             "quantities"_a)
        .def_property_readonly("algorithm",
                               [](BoundEngine const &self)
                               { return self.engine->algorithm(); })
        .def_property_readonly("potential_scale",
                               [](BoundEngine const &self)
                               { return self.engine->potential_scale(); })
        .def_property_readonly("quantity_count",
                               [](BoundEngine const &self)
                               { return self.engine->quantity_count(); })
        .def(
            "route_pairs",
            [](BoundEngine const &self,
               InArray<NodeId> const &sources,
               InArray<NodeId> const &targets,
               bool with_paths,
               unsigned num_threads)
            {
                // Views into NumPy memory, taken while we hold the GIL; the
                // arrays stay alive until this function returns.
                auto const src = as_span(sources, "sources");
                auto const dst = as_span(targets, "targets");
                PairResult result;
                {
                    py::gil_scoped_release release;
                    result = self.engine->route_pairs(
                        src, dst, with_paths, num_threads);
                }
                return to_python(std::move(result),
                                 self.engine->quantity_count());
            },
            "sources"_a,
            "targets"_a,
            py::kw_only(),
            "with_paths"_a = false,
            "num_threads"_a = 0)
        .def(
            "matrix",
            [](BoundEngine const &self,
               InArray<NodeId> const &sources,
               InArray<NodeId> const &targets,
               unsigned num_threads)
            {
                auto const src = as_span(sources, "sources");
                auto const dst = as_span(targets, "targets");
                MatrixResult result;
                {
                    py::gil_scoped_release release;
                    result = self.engine->matrix(src, dst, num_threads);
                }
                return to_python(std::move(result),
                                 src.size(),
                                 dst.size(),
                                 self.engine->quantity_count());
            },
            "sources"_a,
            "targets"_a,
            py::kw_only(),
            "num_threads"_a = 0)
        .def(
            "costs_from",
            [](BoundEngine const &self, NodeId source)
            {
                std::vector<Weight> cost;
                {
                    py::gil_scoped_release release;
                    cost = self.engine->costs_from(source);
                }
                return to_numpy(std::move(cost));
            },
            "source"_a);

    def_order(m, "nested_dissection_order", &nested_dissection_order);
    def_order(m, "arc_nested_dissection_order", &arc_nested_dissection_order);

    py::class_<Cch, std::shared_ptr<Cch>>(m, "Cch")
        .def(py::init(
                 [](std::shared_ptr<CsrGraph> const &graph,
                    InArray<NodeId> const &order)
                 {
                     auto o = to_vector(order, "order");
                     py::gil_scoped_release release;
                     return std::make_shared<Cch>(graph, std::move(o));
                 }),
             "graph"_a,
             "order"_a)  // the hierarchy shares ownership of the graph
        .def_static(
            "from_arrays",
            [](std::shared_ptr<CsrGraph> const &graph,
               InArray<NodeId> const &order,
               InArray<ArcId> const &up_first_out,
               InArray<NodeId> const &up_head)
            {
                auto o = to_vector(order, "order");
                auto f = to_vector(up_first_out, "up_first_out");
                auto h = to_vector(up_head, "up_head");
                py::gil_scoped_release release;
                return std::make_shared<Cch>(
                    graph, std::move(o), std::move(f), std::move(h));
            },
            "graph"_a,
            "order"_a,
            "up_first_out"_a,
            "up_head"_a)
        .def_property_readonly("node_count", &Cch::node_count)
        .def_property_readonly("arc_count", &Cch::arc_count)
        .def_property_readonly("tree_height", &Cch::tree_height)
        .def_property_readonly("triangle_count", &Cch::triangle_count)
        .def_property_readonly("memory_bytes", &Cch::memory_bytes)
        .def_property_readonly(
            "order",
            [](py::object self)
            { return view(self.cast<Cch const &>().order(), self); })
        .def_property_readonly(
            "rank",
            [](py::object self)
            { return view(self.cast<Cch const &>().rank(), self); })
        .def_property_readonly(
            "up_first_out",
            [](py::object self)
            { return view(self.cast<Cch const &>().up_first_out(), self); })
        .def_property_readonly(
            "up_head",
            [](py::object self)
            { return view(self.cast<Cch const &>().up_head(), self); })
        .def_property_readonly(
            "parent",
            [](py::object self)
            { return view(self.cast<Cch const &>().parent(), self); });

    py::class_<CchMetric, std::shared_ptr<CchMetric>>(m, "CchMetric")
        .def(py::init(
                 [](std::shared_ptr<Cch> const &cch,
                    std::shared_ptr<Metric> const &metric,
                    unsigned num_threads)
                 {
                     py::gil_scoped_release release;
                     return std::make_shared<CchMetric>(
                         cch, metric, num_threads);
                 }),
             "cch"_a,
             "metric"_a,
             py::kw_only(),
             "num_threads"_a = 0)  // shares ownership of both
        .def_property_readonly("memory_bytes", &CchMetric::memory_bytes);

    // ---- traffic (issue 12): time-dependent Dijkstra --------------------
    py::class_<TimeDependentDijkstra, std::shared_ptr<TimeDependentDijkstra>>(
        m, "TimeDependentDijkstra")
        .def(py::init(
                 [](std::shared_ptr<CsrGraph> const &graph,
                    InArray<double> const &static_time,
                    InArray<double> const &static_weight,
                    InArray<ArcId> const &profile_arcs,
                    InArray<float> const &slot_time,
                    InArray<double> const &slot_weight,
                    double slot_length,
                    std::uint32_t slot_count,
                    std::shared_ptr<SpherePoints> const &points)
                 {
                     auto time = to_vector(static_time, "static_time");
                     auto weight = to_vector(static_weight, "static_weight");
                     auto arcs = to_vector(profile_arcs, "profile_arcs");
                     auto slots = to_vector(slot_time, "slot_time");
                     auto slot_w = to_vector(slot_weight, "slot_weight");
                     py::gil_scoped_release release;
                     auto td = std::make_shared<TimeDependentArcs const>(
                         graph,
                         std::move(time),
                         std::move(weight),
                         std::move(arcs),
                         std::move(slots),
                         std::move(slot_w),
                         slot_length,
                         slot_count);
                     return std::make_shared<TimeDependentDijkstra>(td, points);
                 }),
             "graph"_a,
             "static_time"_a,
             "static_weight"_a,
             "profile_arcs"_a,
             "slot_time"_a,
             "slot_weight"_a,
             py::kw_only(),
             "slot_length"_a,
             "slot_count"_a,
             "points"_a = nullptr)  // A* towards the target when given
        .def(
            "route",
            [](TimeDependentDijkstra const &self,
               NodeId source,
               NodeId target,
               double departure)
            {
                TimeDependentRoute result;
                {
                    py::gil_scoped_release release;
                    result = self.route(source, target, departure);
                }
                return py::make_tuple(result.arrival,
                                      result.cost,
                                      to_numpy(std::move(result.arcs)),
                                      to_numpy(std::move(result.entry)));
            },
            "source"_a,
            "target"_a,
            "departure"_a)
        .def(
            "route_pairs",
            [](TimeDependentDijkstra const &self,
               InArray<NodeId> const &sources,
               InArray<NodeId> const &targets,
               InArray<double> const &departures,
               unsigned num_threads)
            {
                auto const src = as_span(sources, "sources");
                auto const dst = as_span(targets, "targets");
                auto const dep = as_span(departures, "departures");
                TimeDependentPairs result;
                {
                    py::gil_scoped_release release;
                    result = self.route_pairs(src, dst, dep, num_threads);
                }
                return py::make_tuple(to_numpy(std::move(result.arrival)),
                                      to_numpy(std::move(result.cost)),
                                      to_numpy(std::move(result.path_offsets)),
                                      to_numpy(std::move(result.path_arcs)),
                                      to_numpy(std::move(result.path_entry)));
            },
            "sources"_a,
            "targets"_a,
            "departures"_a,
            py::kw_only(),
            "num_threads"_a = 0)
        .def(
            "arrivals_from",
            [](TimeDependentDijkstra const &self,
               NodeId source,
               double departure)
            {
                std::vector<double> out;
                {
                    py::gil_scoped_release release;
                    out = self.arrivals_from(source, departure);
                }
                return to_numpy(std::move(out));
            },
            "source"_a,
            "departure"_a);
    // ---- end traffic ----------------------------------------------------

    // ---- OSM PBF reading (ecoroute.osm) ---------------------------------
    py::class_<pbf::OsmScan>(m, "PbfScan")
        .def(py::init(
                 [](std::vector<std::string> way_filter,
                    std::vector<std::string> way_keys,
                    std::vector<std::string> way_key_prefixes,
                    std::vector<std::string> node_filter,
                    std::vector<std::string> node_keys)
                 {
                     return std::make_unique<pbf::OsmScan>(pbf::ScanKeys{
                         std::move(way_filter),
                         std::move(way_keys),
                         std::move(way_key_prefixes),
                         std::move(node_filter),
                         std::move(node_keys)});
                 }),
             "way_filter"_a,
             "way_keys"_a,
             "way_key_prefixes"_a,
             "node_filter"_a,
             "node_keys"_a)
        .def(
            "read_block",
            [](pbf::OsmScan &self, py::buffer const &block)
            {
                auto const bytes = block_bytes(block);
                py::gil_scoped_release release;
                return self.read_block(bytes.data(), bytes.size());
            },
            "block"_a)
        .def("new_way_tag_sets",
             [](pbf::OsmScan const &self)
             {
                 std::vector<pbf::TagList> sets;
                 for (std::size_t i = self.decided_count(); i < self.way_tag_set_count(); ++i)
                     sets.push_back(self.way_tag_set(i));
                 return tag_sets(sets, 0, sets.size());
             })
        .def("decide", &pbf::OsmScan::decide, "keep"_a)
        .def("start_locations",
             &pbf::OsmScan::start_locations,
             py::call_guard<py::gil_scoped_release>())
        .def(
            "read_locations",
            [](pbf::OsmScan &self, py::buffer const &block)
            {
                auto const bytes = block_bytes(block);
                py::gil_scoped_release release;
                self.read_locations(bytes.data(), bytes.size());
            },
            "block"_a)
        .def("node_tag_sets",
             [](pbf::OsmScan const &self)
             { return tag_sets(self.node_sets, 0, self.node_sets.size()); })
        .def_readonly("nodes_after_ways", &pbf::OsmScan::nodes_after_ways)
        .def_readonly("duplicate_nodes", &pbf::OsmScan::duplicate_nodes)
        .def_readonly("locations_on_ways", &pbf::OsmScan::locations_on_ways)
        .def(
            "take_ways",
            [](pbf::OsmScan &self)
            {
                std::vector<double> lat, lon;
                {
                    py::gil_scoped_release release;
                    self.reference_locations(lat, lon);
                }
                py::dict out;
                out["way_id"] = to_numpy(std::move(self.way_id));
                out["way_tag_set"] = to_numpy(std::move(self.way_tag_set_of));
                out["way_length"] = to_numpy(std::move(self.way_length));
                out["ref"] = to_numpy(std::move(self.refs));
                out["lat"] = to_numpy(std::move(lat));
                out["lon"] = to_numpy(std::move(lon));
                out["node_id"] = to_numpy(std::move(self.node_id));
                out["node_tag_set"] = to_numpy(std::move(self.node_tag_set_of));
                return out;
            },
            "Hands the arrays over (no copies); the scan is spent after it.");
}
