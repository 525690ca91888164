#pragma once
// rtnetlink messages → plain values. The parsers are pure functions of the
// message bytes (links here, tc objects in tc_parser.hpp): no libnl, no I/O,
// attributes checked against policy tables (nla_policy.hpp). Only the
// nl_msg* entry point at the bottom touches libnl, to hand over the bytes.
#include "events/event.hpp"
#include "netlink/nla_policy.hpp"
#include "netlink/psched.hpp"

#include <cstddef>
#include <optional>
#include <span>

struct nl_msg;

namespace nswatch {

// One object the kernel reports as present (RTM_NEW*) or gone (RTM_DEL*).
struct KernelUpdate {
    bool removed = false;
    KernelObject object;
};

// `message`: one netlink message from its nlmsghdr on; bytes past its
// nlmsg_len are not read. Links (RTM_*LINK) and tc objects (RTM_*QDISC,
// RTM_*TCLASS, RTM_*TFILTER; `units` turns their tick counts into bytes).
//
// Returns nothing for messages nswatch does not follow — other types, and
// link messages of a family other than AF_UNSPEC (AF_BRIDGE port
// information, AF_INET6 device configuration), which are not the link
// itself — and for malformed messages: a length that lies at any level, an
// attribute that breaks its policy. Only malformed ones set *error.
std::optional<KernelUpdate> parse_route_message(std::span<const std::byte> message, const PschedUnits& units,
                                                ParseError* error = nullptr);

// RTM_NEWLINK / RTM_DELLINK only (anything else: nothing, no error).
std::optional<KernelUpdate> parse_link_message(std::span<const std::byte> message, ParseError* error = nullptr);

// The session's entry point: libnl delivers nl_msg, whose nlmsg_hdr() holds
// the nlmsg_len bytes libnl already framed. Uses this machine's psched units,
// read once (read_psched_units). A malformed message is logged and dropped.
std::optional<KernelUpdate> parse_route_message(nl_msg* msg);

} // namespace nswatch
