#ifndef ECOROUTE_TESTS_CHECK_HPP
#define ECOROUTE_TESTS_CHECK_HPP

// A dependency-free CHECK: prints the failing expression and location, counts
// failures, and lets the test binary return non-zero at the end.

#include <iostream>

namespace ecoroute_test
{
inline int failures = 0;
}

#define CHECK(condition)                                                       \
    do                                                                         \
    {                                                                          \
        if (!(condition))                                                      \
        {                                                                      \
            ++ecoroute_test::failures;                                         \
            std::cerr << __FILE__ << ":" << __LINE__                           \
                      << ": CHECK failed: " << #condition << "\n";             \
        }                                                                      \
    } while (false)

#define CHECK_THROWS(expression, Exception)                                    \
    do                                                                         \
    {                                                                          \
        bool thrown = false;                                                   \
        try                                                                    \
        {                                                                      \
            (void)(expression);                                                \
        }                                                                      \
        catch (Exception const &)                                              \
        {                                                                      \
            thrown = true;                                                     \
        }                                                                      \
        if (!thrown)                                                           \
        {                                                                      \
            ++ecoroute_test::failures;                                         \
            std::cerr << __FILE__ << ":" << __LINE__ << ": expected "          \
                      << #Exception << " from " << #expression << "\n";        \
        }                                                                      \
    } while (false)

#endif  // ECOROUTE_TESTS_CHECK_HPP
