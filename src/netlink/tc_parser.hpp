#pragma once
// rtnetlink tc messages (qdisc, class, filter) → plain values. Pure
// functions of the message bytes; attributes checked against policy tables
// (nla_policy.hpp) at every level, TCA_OPTIONS with the rules of its kind.
#include "netlink/nla_policy.hpp"
#include "netlink/psched.hpp"
#include "netlink/route_parser.hpp"

#include <cstddef>
#include <optional>
#include <span>

namespace nswatch {

// RTM_{NEW,DEL}{QDISC,TCLASS,TFILTER} → present/removed object. Nothing for
// other messages; nothing with *error set for malformed ones (see
// parse_route_message). `units` converts htb's and tbf's buffers from
// scheduler ticks to bytes, as tc shows them.
std::optional<KernelUpdate> parse_tc_message(std::span<const std::byte> message, const PschedUnits& units,
                                             ParseError* error = nullptr);

} // namespace nswatch
