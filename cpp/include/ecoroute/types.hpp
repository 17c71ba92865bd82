#ifndef ECOROUTE_TYPES_HPP
#define ECOROUTE_TYPES_HPP

#include <cstdint>
#include <limits>

namespace ecoroute
{
// Dense ids: nodes are 0..node_count-1, arcs are 0..arc_count-1. An arc's id
// is its position in the CSR `head` array. OSM ids never reach C++.
using NodeId = std::uint32_t;
using ArcId = std::uint32_t;

// Arc cost in whatever unit the caller chose (grams of CO2, seconds, metres,
// a weighted mix). The core never knows which unit it is.
using Weight = double;

inline constexpr NodeId invalid_id = std::numeric_limits<NodeId>::max();
inline constexpr Weight inf_weight = std::numeric_limits<Weight>::infinity();

static_assert(std::numeric_limits<Weight>::has_infinity,
              "unreachable is represented by infinity");
}  // namespace ecoroute

#endif  // ECOROUTE_TYPES_HPP
