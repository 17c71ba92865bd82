#ifndef ECOROUTE_ID_QUEUE_HPP
#define ECOROUTE_ID_QUEUE_HPP

#include "ecoroute/types.hpp"

#include <cassert>
#include <vector>

namespace ecoroute
{
/**
 * Indexed 4-ary min-heap over node ids 0..capacity-1 with decrease-key.
 *
 * Each id is in the queue at most once. ``clear()`` costs O(size), not
 * O(capacity), so a search that stops early pays only for what it touched.
 * Not thread-safe: every search object owns its own queue.
 */
class MinIdQueue
{
    struct Entry
    {
        Weight key;
        NodeId id;
    };

    static constexpr unsigned arity = 4;
    static constexpr NodeId absent = invalid_id;

    std::vector<Entry> heap_;
    std::vector<NodeId> position_;  // position_[id]: index in heap_, or absent

public:
    explicit MinIdQueue(NodeId capacity = 0) : position_(capacity, absent) {}

    //! Whether the queue holds no id.
    [[nodiscard]] bool empty() const { return heap_.empty(); }
    //! Number of ids in the queue.
    [[nodiscard]] std::size_t size() const { return heap_.size(); }
    //! Whether ``id`` is in the queue.
    [[nodiscard]] bool contains(NodeId id) const
    {
        return position_[id] != absent;
    }
    //! Smallest key; the queue must not be empty.
    [[nodiscard]] Weight min_key() const { return heap_.front().key; }
    //! Id with the smallest key; the queue must not be empty.
    [[nodiscard]] NodeId min_id() const { return heap_.front().id; }

    //! Inserts ``id``, which must not be in the queue yet.
    void push(NodeId id, Weight key)
    {
        assert(!contains(id));
        heap_.push_back({key, id});
        sift_up(static_cast<NodeId>(heap_.size() - 1));
    }

    //! Lowers the key of ``id``, which must be in the queue, to ``key``.
    void decrease_key(NodeId id, Weight key)
    {
        assert(contains(id) && key <= heap_[position_[id]].key);
        auto const pos = position_[id];
        heap_[pos].key = key;
        sift_up(pos);
    }

    //! Removes and returns the id with the smallest key.
    NodeId pop()
    {
        assert(!empty());
        auto const top = heap_.front().id;
        position_[top] = absent;
        auto const last = heap_.back();
        heap_.pop_back();
        if (!heap_.empty())
        {
            heap_.front() = last;
            sift_down(0);
        }
        return top;
    }

    //! Removes every id; O(size).
    void clear()
    {
        for (auto const &entry : heap_)
            position_[entry.id] = absent;
        heap_.clear();
    }

private:
    void sift_up(NodeId pos)
    {
        auto const entry = heap_[pos];
        while (pos != 0)
        {
            auto const parent = (pos - 1) / arity;
            if (!(entry.key < heap_[parent].key))
                break;
            heap_[pos] = heap_[parent];
            position_[heap_[pos].id] = pos;
            pos = parent;
        }
        heap_[pos] = entry;
        position_[entry.id] = pos;
    }

    void sift_down(NodeId pos)
    {
        auto const entry = heap_[pos];
        auto const size = static_cast<NodeId>(heap_.size());
        while (true)
        {
            auto const first = pos * arity + 1;
            NodeId best;
            if (first + arity <= size)
            {
                // Four children: a tournament of selects the compiler turns
                // into conditional moves (sift-down branches mispredict).
                auto const *child = &heap_[first];
                auto const left = child[1].key < child[0].key ? 1u : 0u;
                auto const right = child[3].key < child[2].key ? 3u : 2u;
                best = first
                       + (child[right].key < child[left].key ? right : left);
            }
            else if (first < size)
            {
                best = first;
                for (auto c = first + 1; c < size; ++c)
                    if (heap_[c].key < heap_[best].key)
                        best = c;
            }
            else
                break;
            if (!(heap_[best].key < entry.key))
                break;
            heap_[pos] = heap_[best];
            position_[heap_[pos].id] = pos;
            pos = best;
        }
        heap_[pos] = entry;
        position_[entry.id] = pos;
    }
};
}  // namespace ecoroute

#endif  // ECOROUTE_ID_QUEUE_HPP
