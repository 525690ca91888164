#pragma once
// Small builders for test values.
#include "nswatch/link.hpp"

#include <string>

namespace nswatch::test {

inline Link make_link(int ifindex, std::string name, std::uint32_t mtu = 1500, std::uint32_t flags = 0)
{
    Link link;
    link.ifindex = ifindex;
    link.name = std::move(name);
    link.kind = "veth";
    link.mtu = mtu;
    link.flags = flags;
    link.operstate = 2; // down
    link.address = "02:00:00:00:00:01";
    return link;
}

} // namespace nswatch::test
