#ifndef ECOROUTE_HUGE_PAGE_ALLOCATOR_HPP
#define ECOROUTE_HUGE_PAGE_ALLOCATOR_HPP

#include <cstddef>
#include <cstdlib>
#include <new>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ecoroute
{
/**
 * std::allocator replacement for big arrays that are filled once and then
 * read at random (CCH weights, query labels): blocks of 4 MiB and more are
 * aligned to 2 MiB and marked MADV_HUGEPAGE, so Linux backs them with
 * transparent huge pages when it can. That turns ~6,000 page faults per
 * 25 MB customization into ~12 and cuts TLB misses of random access.
 * Smaller blocks, and other systems, use plain operator new.
 *
 * Unlike std::allocator, ``resize(n)`` leaves new trivial elements
 * uninitialized: only use it for arrays that are written before being read.
 */
template <class T> struct HugePageAllocator
{
    using value_type = T;

    static constexpr std::size_t huge_page = std::size_t{2} << 20;
    static constexpr std::size_t threshold = std::size_t{4} << 20;

    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(HugePageAllocator<U> const &) noexcept  // NOLINT
    {
    }

    [[nodiscard]] T *allocate(std::size_t n)
    {
        auto const bytes = n * sizeof(T);
        if (bytes < threshold)
            return static_cast<T *>(::operator new(bytes));
        auto const rounded = (bytes + huge_page - 1) / huge_page * huge_page;
        void *p = std::aligned_alloc(huge_page, rounded);
        if (p == nullptr)
            throw std::bad_alloc();
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure is harmless
#endif
        return static_cast<T *>(p);
    }

    void deallocate(T *p, std::size_t n) noexcept
    {
        if (n * sizeof(T) < threshold)
            ::operator delete(p);
        else
            std::free(p);
    }

    //! ``resize(n)`` default-initializes (leaves trivial values unset): the
    //! arrays are written in full right after, so zeroing them first would
    //! only cost a pass over memory.
    template <class U> void construct(U *p) noexcept
    {
        ::new (static_cast<void *>(p)) U;
    }
    template <class U, class... Args> void construct(U *p, Args &&...args)
    {
        ::new (static_cast<void *>(p)) U(std::forward<Args>(args)...);
    }

    template <class U>
    bool operator==(HugePageAllocator<U> const &) const noexcept
    {
        return true;
    }
};

template <class T> using HugeVector = std::vector<T, HugePageAllocator<T>>;
}  // namespace ecoroute

#endif  // ECOROUTE_HUGE_PAGE_ALLOCATOR_HPP
