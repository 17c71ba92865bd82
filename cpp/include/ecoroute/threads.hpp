#ifndef ECOROUTE_THREADS_HPP
#define ECOROUTE_THREADS_HPP

#include <algorithm>
#include <cstddef>
#include <thread>

namespace ecoroute
{
//! Number of worker threads used for ``requested`` (0 = all cores) and
//! ``work_items`` independent items: never more threads than items.
inline unsigned resolve_thread_count(unsigned requested, std::size_t work_items)
{
    auto threads = requested;
    if (threads == 0)
        threads = std::max(1u, std::thread::hardware_concurrency());
    if (work_items < threads)
        threads = static_cast<unsigned>(std::max<std::size_t>(1, work_items));
    return threads;
}
}  // namespace ecoroute

#endif  // ECOROUTE_THREADS_HPP
