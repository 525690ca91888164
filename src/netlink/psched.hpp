#pragma once
// The kernel's packet-scheduler clock, as /proc/net/psched reports it.
//
// tc messages give buffers (htb burst/cburst, tbf burst and mtu) in
// scheduler ticks; `tc` shows them in bytes, converted with this clock
// (iproute2's tc_core_init and tc_calc_xmitsize). nswatch reports the same
// bytes, so it needs the same clock: read once by whoever parses, passed to
// the pure parsers as a value.
#include <cstdint>
#include <string_view>

namespace nswatch {

struct PschedUnits {
    // Ticks per microsecond. 15.625 (= 1000/64) is what current kernels
    // report: PSCHED_SHIFT 6 makes a tick 64 ns.
    double tick_in_usec = 15.625;

    bool operator==(const PschedUnits&) const = default;
};

// Pure: the four hex words of /proc/net/psched (t2us, us2t, clock_res, …),
// as tc reads them; the default above if the text does not parse.
PschedUnits parse_psched(std::string_view text);

// Not pure: reads /proc/net/psched (the default above if it cannot be read).
// Call once and keep the result: the clock never changes while the kernel runs.
PschedUnits read_psched_units();

// Bytes sent at `rate` bytes/s during `ticks` scheduler ticks (tc's
// tc_calc_xmitsize): how tc shows a burst.
std::uint32_t xmit_size(std::uint64_t rate, std::uint32_t ticks, const PschedUnits& units);

} // namespace nswatch
