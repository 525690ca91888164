#pragma once
// rtnetlink message → plain value. The only place that reads libnl objects.
#include "events/event.hpp"

#include <optional>

struct nl_msg;

namespace nswatch {

// One object the kernel reports as present (RTM_NEW*) or gone (RTM_DEL*).
struct KernelUpdate {
    bool removed = false;
    KernelObject object;
};

// Pure: links (RTM_*LINK) and tc objects (RTM_*QDISC, RTM_*TCLASS,
// RTM_*TFILTER). Returns nothing for messages nswatch does not follow (other
// types, per-family link messages such as AF_BRIDGE port or AF_INET6 info,
// which are not the link itself).
std::optional<KernelUpdate> parse_route_message(nl_msg* msg);

} // namespace nswatch
