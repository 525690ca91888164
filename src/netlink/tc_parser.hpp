#pragma once
// rtnetlink tc messages (qdisc, class, filter) → plain values. Pure.
#include "netlink/route_parser.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

struct nlmsghdr;

namespace nswatch {

// The kernel's packet-scheduler clock, from /proc/net/psched: needed to turn
// buffer sizes reported in ticks into bytes, exactly as tc does.
struct TcUnits {
    double tick_in_usec = 15.625; // 1000/64: what current kernels report
};

TcUnits parse_psched(std::string_view text);
// Read once per process; the default above if the file cannot be read.
const TcUnits& system_tc_units();

// Bytes sent at `rate` bytes/s during `ticks` scheduler ticks (tc's
// tc_calc_xmitsize): how tc shows a burst.
std::uint32_t xmit_size(std::uint64_t rate, std::uint32_t ticks, const TcUnits& units);

// RTM_{NEW,DEL}{QDISC,TCLASS,TFILTER} → present/removed object; nothing for
// other messages or malformed ones.
std::optional<KernelUpdate> parse_tc_message(const nlmsghdr* hdr, const TcUnits& units);

} // namespace nswatch
