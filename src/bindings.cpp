// Python bindings for the ecoroute core (module ecoroute._core). Keep this
// file boring: convert arguments, release the GIL, call one C++ function,
// convert the result. Anything smarter belongs in cpp/ (C++) or in
// python/ecoroute (Python). User-facing documentation lives on the Python
// wrappers; this module is private.

#include "ecoroute/astar.hpp"
#include "ecoroute/batch.hpp"
#include "ecoroute/csr_graph.hpp"
#include "ecoroute/metric.hpp"

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
}
