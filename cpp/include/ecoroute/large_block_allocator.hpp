#ifndef ECOROUTE_LARGE_BLOCK_ALLOCATOR_HPP
#define ECOROUTE_LARGE_BLOCK_ALLOCATOR_HPP

#include <cstddef>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

namespace ecoroute
{
namespace detail
{
/**
 * Process-wide cache of recently freed large blocks (at most 8 blocks and
 * 1 GiB in all). glibc returns blocks this big to the kernel on free, so the
 * next customization would page-fault its ~45 MB (on DIMACS New York) back
 * in: ~12,000 faults, a quarter of the customization time. Recycling the
 * block of a metric that was just dropped (a Router replaced by another)
 * skips that. Thread-safe.
 */
class LargeBlockCache
{
    struct Block
    {
        void *pointer;
        std::size_t bytes;
    };
    std::mutex mutex_;
    std::vector<Block> blocks_;  // most recently freed last
    std::size_t cached_bytes_ = 0;

    static constexpr std::size_t max_blocks = 8;
    static constexpr std::size_t max_bytes = std::size_t{1} << 30;

public:
    //! The cache lives as long as the process (never destroyed, so that
    //! metrics freed during shutdown still find it).
    static LargeBlockCache &instance()
    {
        static auto *cache = new LargeBlockCache;
        return *cache;
    }

    //! A cached block of exactly ``bytes``, or nullptr.
    void *take(std::size_t bytes)
    {
        std::lock_guard lock(mutex_);
        for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it)
            if (it->bytes == bytes)
            {
                auto *pointer = it->pointer;
                cached_bytes_ -= bytes;
                blocks_.erase(std::next(it).base());
                return pointer;
            }
        return nullptr;
    }

    //! Keeps ``pointer`` for reuse, evicting the oldest blocks beyond the
    //! limits (blocks over the byte limit are freed at once).
    void give(void *pointer, std::size_t bytes) noexcept
    {
        if (bytes > max_bytes)
        {
            ::operator delete(pointer);
            return;
        }
        std::lock_guard lock(mutex_);
        while (!blocks_.empty()
               && (blocks_.size() == max_blocks
                   || cached_bytes_ + bytes > max_bytes))
        {
            ::operator delete(blocks_.front().pointer);  // the oldest
            cached_bytes_ -= blocks_.front().bytes;
            blocks_.erase(blocks_.begin());
        }
        blocks_.push_back({pointer, bytes});  // capacity reserved: no throw
        cached_bytes_ += bytes;
    }

    LargeBlockCache() { blocks_.reserve(max_blocks); }
};
}  // namespace detail

/**
 * std::allocator replacement for the big per-metric arrays (CCH weights and
 * unpacking, customized quantities): blocks of 4 MiB and more are recycled
 * through detail::LargeBlockCache instead of going back to the kernel.
 *
 * Unlike std::allocator, ``resize(n)`` leaves new trivial elements
 * uninitialized: only use it for arrays that are written before being read
 * (zeroing them first would cost a pass over memory).
 */
template <class T> struct LargeBlockAllocator
{
    using value_type = T;

    static constexpr std::size_t threshold = std::size_t{4} << 20;

    LargeBlockAllocator() = default;
    template <class U>
    LargeBlockAllocator(LargeBlockAllocator<U> const &) noexcept  // NOLINT
    {
    }

    [[nodiscard]] T *allocate(std::size_t n)
    {
        auto const bytes = n * sizeof(T);
        if (bytes >= threshold)
            if (auto *p = detail::LargeBlockCache::instance().take(bytes))
                return static_cast<T *>(p);
        return static_cast<T *>(::operator new(bytes));
    }

    void deallocate(T *p, std::size_t n) noexcept
    {
        auto const bytes = n * sizeof(T);
        if (bytes >= threshold)
            detail::LargeBlockCache::instance().give(p, bytes);
        else
            ::operator delete(p);
    }

    template <class U> void construct(U *p) noexcept
    {
        ::new (static_cast<void *>(p)) U;  // default-initialization
    }
    template <class U, class... Args> void construct(U *p, Args &&...args)
    {
        ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
    }

    template <class U>
    bool operator==(LargeBlockAllocator<U> const &) const noexcept
    {
        return true;
    }
};

template <class T> using LargeVector = std::vector<T, LargeBlockAllocator<T>>;
}  // namespace ecoroute

#endif  // ECOROUTE_LARGE_BLOCK_ALLOCATOR_HPP
