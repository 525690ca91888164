#include "netlink/psched.hpp"

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace nswatch {

namespace {
constexpr double kUsecPerSec = 1'000'000.0;
} // namespace

PschedUnits parse_psched(std::string_view text)
{
    PschedUnits units;
    unsigned t2us = 0;
    unsigned us2t = 0;
    unsigned clock_res = 0;
    const std::string copy(text); // sscanf needs a terminated string
    if (std::sscanf(copy.c_str(), "%08x%08x%08x", &t2us, &us2t, &clock_res) != 3 || us2t == 0) {
        return units;
    }
    // As iproute2's tc_core_init: for old tc binaries a kernel with a
    // nanosecond clock_res advertises a tick multiplier of 1000 that really is 1.
    if (clock_res == 1'000'000'000U) {
        t2us = us2t;
    }
    const double clock_factor = static_cast<double>(clock_res) / kUsecPerSec;
    units.tick_in_usec = static_cast<double>(t2us) / us2t * clock_factor;
    return units;
}

PschedUnits read_psched_units()
{
    std::ifstream in("/proc/net/psched");
    std::stringstream text;
    text << in.rdbuf();
    return parse_psched(text.str());
}

std::uint32_t xmit_size(std::uint64_t rate, std::uint32_t ticks, const PschedUnits& units)
{
    const double usec = ticks / units.tick_in_usec;
    const double bytes = static_cast<double>(rate) * usec / kUsecPerSec;
    // A rate and a buffer the kernel accepts can still multiply past 4 GiB
    // (found by fuzzing): converting that to uint32 would be undefined, so
    // it saturates, as does a nonsense tick length (0, NaN).
    if (!(bytes >= 0)) {
        return 0;
    }
    if (bytes >= static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
        return std::numeric_limits<std::uint32_t>::max();
    }
    return static_cast<std::uint32_t>(bytes);
}

} // namespace nswatch
