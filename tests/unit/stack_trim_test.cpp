// StackTrim: an idle thread gives back the stack pages its deep calls
// touched (what every idle worker does, see util/stack_trim.hpp).
#include "util/stack_trim.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

using nswatch::StackTrim;

namespace {

// Touches `bytes` of stack below the caller (as a dump and its parsers do).
[[gnu::noinline]] std::uintptr_t go_deep(std::size_t bytes)
{
    char* area = static_cast<char*>(__builtin_alloca(bytes));
    std::memset(area, 1, bytes);
    asm volatile("" : : "r"(area) : "memory");
    return reinterpret_cast<std::uintptr_t>(area);
}

// Resident pages of this thread's stack in [low, high).
std::size_t resident_pages(std::uintptr_t low, std::uintptr_t high)
{
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    low &= ~(page - 1);
    std::vector<unsigned char> map((high - low + page - 1) / page);
    // Page addresses computed from a stack address: the cast is the point.
    REQUIRE(::mincore(reinterpret_cast<void*>(low), high - low, map.data()) == 0); // NOLINT(performance-no-int-to-ptr)
    std::size_t resident = 0;
    for (const auto m : map) {
        resident += m & 1U;
    }
    return resident;
}

} // namespace

TEST_CASE("an idle thread's stack keeps only the pages above its wait", "[unit][wake]")
{
    std::size_t before = 0;
    std::size_t after = 0;
    std::thread([&] {
        StackTrim trim;
        const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
        const auto deepest = go_deep(std::size_t{64} * 1024);
        before = resident_pages(deepest, here - 8192);
        trim.trim();
        after = resident_pages(deepest, here - 8192);
    }).join();
    CHECK(before >= 14); // 64 KiB were touched below the frame, less the 8 KiB left out
    CHECK(after == 0);   // all given back
}
