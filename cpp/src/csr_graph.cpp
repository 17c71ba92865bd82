#include "ecoroute/csr_graph.hpp"

#include <stdexcept>
#include <string>

namespace ecoroute
{
CsrGraph::CsrGraph(std::vector<ArcId> first_out, std::vector<NodeId> head)
    : first_out_(std::move(first_out)), head_(std::move(head))
{
    if (first_out_.empty())
        throw std::invalid_argument(
            "first_out must have node_count + 1 entries (at least one).");
    if (first_out_.front() != 0)
        throw std::invalid_argument("first_out must start with 0.");
    if (first_out_.back() != head_.size())
        throw std::invalid_argument("first_out must end with len(head) = "
                                    + std::to_string(head_.size()) + ", not "
                                    + std::to_string(first_out_.back()) + ".");
    if (head_.size() >= invalid_id)
        throw std::invalid_argument("too many arcs for 32-bit arc ids.");
    if (first_out_.size() - 1 >= invalid_id)
        throw std::invalid_argument("too many nodes for 32-bit node ids.");

    auto const n = node_count();
    for (NodeId x = 0; x != n; ++x)
        if (first_out_[x] > first_out_[x + 1])
            throw std::invalid_argument(
                "first_out must be non-decreasing; it decreases after node "
                + std::to_string(x) + ".");
    for (ArcId a = 0; a != head_.size(); ++a)
        if (head_[a] >= n)
            throw std::out_of_range(
                "head[" + std::to_string(a) + "] references node "
                + std::to_string(head_[a]) + " but node_count is "
                + std::to_string(n) + ".");

    tail_.resize(head_.size());
    for (NodeId x = 0; x != n; ++x)
        for (auto a = first_out_[x]; a != first_out_[x + 1]; ++a)
            tail_[a] = x;

    // Reverse CSR by counting sort on head; in-arcs keep increasing arc id.
    first_in_.assign(n + 1, 0);
    for (auto const y : head_)
        ++first_in_[y + 1];
    for (NodeId y = 0; y != n; ++y)
        first_in_[y + 1] += first_in_[y];
    in_arc_.resize(head_.size());
    std::vector<ArcId> next(first_in_.begin(), first_in_.end() - 1);
    for (ArcId a = 0; a != head_.size(); ++a)
        in_arc_[next[head_[a]]++] = a;
    in_tail_.resize(head_.size());
    for (ArcId i = 0; i != in_arc_.size(); ++i)
        in_tail_[i] = tail_[in_arc_[i]];
}

std::size_t CsrGraph::memory_bytes() const
{
    return (first_out_.capacity() + first_in_.capacity() + in_arc_.capacity())
               * sizeof(ArcId)
           + (head_.capacity() + tail_.capacity() + in_tail_.capacity())
                 * sizeof(NodeId);
}
}  // namespace ecoroute
