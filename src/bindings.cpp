// Python bindings for the ecoroute core (module ecoroute._core). Keep this
// file boring: convert arguments, release the GIL, call one C++ function,
// convert the result. Anything smarter belongs in cpp/ (C++) or in
// python/ecoroute (Python). User-facing documentation lives on the Python
// wrappers; this module is private.

#include "ecoroute/astar.hpp"
#include "ecoroute/batch.hpp"
#include "ecoroute/cch.hpp"
#include "ecoroute/cch_router.hpp"
#include "ecoroute/csr_graph.hpp"
#include "ecoroute/metric.hpp"
#include "ecoroute/nested_dissection.hpp"

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

// (cost, sums (pairs x quantities), path_offsets, path_arcs) for Python.
py::tuple batch_to_python(BatchResult &&result,
                          std::size_t pair_count,
                          std::size_t quantity_count)
{
    auto sums = to_numpy(std::move(result.sums));
    sums = sums.reshape({static_cast<py::ssize_t>(pair_count),
                         static_cast<py::ssize_t>(quantity_count)});
    return py::make_tuple(to_numpy(std::move(result.cost)),
                          sums,
                          to_numpy(std::move(result.path_offsets)),
                          to_numpy(std::move(result.path_arcs)));
}

Algorithm parse_algorithm(std::string const &name)
{
    if (name == "dijkstra")
        return Algorithm::dijkstra;
    if (name == "bidirectional")
        return Algorithm::bidirectional;
    if (name == "astar")
        return Algorithm::astar;
    if (name == "bidirectional_astar")
        return Algorithm::bidirectional_astar;
    throw py::value_error(
        "unknown algorithm '" + name
        + "'; expected dijkstra, bidirectional, astar or bidirectional_astar.");
}

char const *algorithm_name(Algorithm algorithm)
{
    switch (algorithm)
    {
    case Algorithm::dijkstra:
        return "dijkstra";
    case Algorithm::bidirectional:
        return "bidirectional";
    case Algorithm::astar:
        return "astar";
    case Algorithm::bidirectional_astar:
        return "bidirectional_astar";
    }
    return "?";
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

    py::class_<PairRouter>(m, "PairRouter")
        .def(py::init(
                 [](std::shared_ptr<Metric> const &metric,
                    std::string const &algorithm,
                    std::shared_ptr<SpherePoints> const &points)
                 {
                     auto const parsed = parse_algorithm(algorithm);
                     py::gil_scoped_release release;  // A* scans every arc
                     return std::make_unique<PairRouter>(
                         metric, parsed, points);
                 }),
             "metric"_a,
             "algorithm"_a,
             "points"_a = nullptr)
        .def_property_readonly("algorithm",
                               [](PairRouter const &router)
                               { return algorithm_name(router.algorithm()); })
        .def_property_readonly("potential_scale", &PairRouter::potential_scale)
        .def(
            "route_pairs",
            [](PairRouter const &router,
               InArray<NodeId> const &sources,
               InArray<NodeId> const &targets,
               std::vector<InArray<double>> const &sum_over,
               bool with_paths,
               unsigned num_threads)
            {
                // Views into NumPy memory, taken while we hold the GIL; the
                // arrays stay alive until this function returns.
                auto const src = as_span(sources, "sources");
                auto const dst = as_span(targets, "targets");
                std::vector<std::span<double const>> quantities;
                for (auto const &array : sum_over)
                    quantities.push_back(as_span(array, "sum_over item"));

                BatchResult result;
                {
                    py::gil_scoped_release release;  // pure C++ from here on
                    result = router.route_pairs(
                        src, dst, quantities, with_paths, num_threads);
                }

                auto sums = to_numpy(std::move(result.sums));
                sums = sums.reshape(
                    {static_cast<py::ssize_t>(src.size()),
                     static_cast<py::ssize_t>(quantities.size())});
                return py::make_tuple(to_numpy(std::move(result.cost)),
                                      sums,
                                      to_numpy(std::move(result.path_offsets)),
                                      to_numpy(std::move(result.path_arcs)));
            },
            "sources"_a,
            "targets"_a,
            "sum_over"_a = std::vector<InArray<double>>{},
            py::kw_only(),
            "with_paths"_a = false,
            "num_threads"_a = 0)
        .def(
            "one_to_all",
            [](PairRouter const &router, NodeId source)
            {
                std::vector<Weight> cost;
                std::vector<ArcId> pred_arc;
                {
                    py::gil_scoped_release release;
                    router.one_to_all(source, cost, pred_arc);
                }
                return py::make_tuple(to_numpy(std::move(cost)),
                                      to_numpy(std::move(pred_arc)));
            },
            "source"_a);

    m.def(
        "nested_dissection_order",
        [](std::shared_ptr<CsrGraph> const &graph,
           InArray<double> const &x,
           InArray<double> const &y,
           InArray<double> const &z,
           unsigned num_threads)
        {
            auto const xs = as_span(x, "x");
            auto const ys = as_span(y, "y");
            auto const zs = as_span(z, "z");
            std::vector<NodeId> order;
            {
                py::gil_scoped_release release;
                order
                    = nested_dissection_order(*graph, xs, ys, zs, num_threads);
            }
            return to_numpy(std::move(order));
        },
        "graph"_a,
        "x"_a,
        "y"_a,
        "z"_a,
        py::kw_only(),
        "num_threads"_a = 0);

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

    py::class_<CchQuantities, std::shared_ptr<CchQuantities>>(m,
                                                              "CchQuantities")
        .def(py::init(
                 [](std::shared_ptr<CchMetric> const &metric,
                    std::vector<InArray<double>> const &per_arc)
                 {
                     std::vector<std::span<double const>> spans;
                     for (auto const &array : per_arc)
                         spans.push_back(as_span(array, "quantity"));
                     py::gil_scoped_release release;
                     return std::make_shared<CchQuantities>(metric, spans);
                 }),
             "metric"_a,
             "per_arc"_a)
        .def_property_readonly("count", &CchQuantities::count)
        .def_property_readonly("memory_bytes", &CchQuantities::memory_bytes);

    py::class_<CchRouter>(m, "CchRouter")
        .def(py::init<std::shared_ptr<CchMetric const>>(), "metric"_a)
        .def_property_readonly("algorithm",
                               [](CchRouter const &) { return "cch"; })
        .def(
            "route_pairs",
            [](CchRouter const &router,
               InArray<NodeId> const &sources,
               InArray<NodeId> const &targets,
               std::vector<InArray<double>> const &sum_over,
               bool with_paths,
               unsigned num_threads,
               std::shared_ptr<CchQuantities> const &customized)
            {
                auto const src = as_span(sources, "sources");
                auto const dst = as_span(targets, "targets");
                std::vector<std::span<double const>> quantities;
                for (auto const &array : sum_over)
                    quantities.push_back(as_span(array, "sum_over item"));
                BatchResult result;
                {
                    py::gil_scoped_release release;
                    result = router.route_pairs(src,
                                                dst,
                                                quantities,
                                                with_paths,
                                                num_threads,
                                                customized.get());
                }
                auto const count
                    = customized ? customized->count() : quantities.size();
                return batch_to_python(std::move(result), src.size(), count);
            },
            "sources"_a,
            "targets"_a,
            "sum_over"_a = std::vector<InArray<double>>{},
            py::kw_only(),
            "with_paths"_a = false,
            "num_threads"_a = 0,
            "quantities"_a = nullptr)
        .def(
            "matrix",
            [](CchRouter const &router,
               InArray<NodeId> const &sources,
               InArray<NodeId> const &targets,
               std::shared_ptr<CchQuantities> const &quantities,
               unsigned num_threads)
            {
                auto const src = as_span(sources, "sources");
                auto const dst = as_span(targets, "targets");
                MatrixResult result;
                {
                    py::gil_scoped_release release;
                    result = router.matrix(
                        src, dst, quantities.get(), num_threads);
                }
                auto const rows = static_cast<py::ssize_t>(src.size());
                auto const columns = static_cast<py::ssize_t>(dst.size());
                auto const k = static_cast<py::ssize_t>(
                    quantities ? quantities->count() : 0);
                auto cost = to_numpy(std::move(result.cost));
                auto sums = to_numpy(std::move(result.sums));
                return py::make_tuple(cost.reshape({rows, columns}),
                                      sums.reshape({k, rows, columns}));
            },
            "sources"_a,
            "targets"_a,
            "quantities"_a = nullptr,
            py::kw_only(),
            "num_threads"_a = 0)
        .def(
            "costs_from",
            [](CchRouter const &router, NodeId source)
            {
                std::vector<Weight> cost;
                {
                    py::gil_scoped_release release;
                    cost = router.costs_from(source);
                }
                return to_numpy(std::move(cost));
            },
            "source"_a);
}
