// Fixtures: rtnetlink messages laid out as the kernel sends them.
#include "netlink/route_parser.hpp"

#include <catch2/catch.hpp>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <sys/socket.h>

#include <memory>

using namespace nswatch;

namespace {

struct MsgFree {
    void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgFree>;

MsgPtr link_message(int type, unsigned char family, int ifindex, bool with_details, const char* kind = "veth")
{
    MsgPtr msg(nlmsg_alloc_simple(type, 0));
    nlmsg_set_proto(msg.get(), NETLINK_ROUTE);
    ifinfomsg ifi{};
    ifi.ifi_family = family;
    ifi.ifi_index = ifindex;
    ifi.ifi_flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
    nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO);
    nla_put_string(msg.get(), IFLA_IFNAME, "veth-a");
    nla_put_u32(msg.get(), IFLA_MTU, 1400);
    nla_put_u8(msg.get(), IFLA_OPERSTATE, IF_OPER_LOWERLAYERDOWN);
    if (with_details) {
        const unsigned char mac[6] = {0x02, 0xab, 0xcd, 0x00, 0x10, 0xff};
        nla_put(msg.get(), IFLA_ADDRESS, sizeof mac, mac);
        nla_put_u32(msg.get(), IFLA_MASTER, 3);
        nla_put_s32(msg.get(), IFLA_LINK_NETNSID, 2);
        nlattr* info = nla_nest_start(msg.get(), IFLA_LINKINFO);
        nla_put_string(msg.get(), IFLA_INFO_KIND, kind);
        nla_nest_end(msg.get(), info);
    }
    return msg;
}

} // namespace

TEST_CASE("RTM_NEWLINK becomes a present link with every contract attribute", "[unit][parser]")
{
    auto msg = link_message(RTM_NEWLINK, AF_UNSPEC, 7, true);
    auto update = parse_route_message(msg.get());
    REQUIRE(update);
    CHECK_FALSE(update->removed);
    const auto& link = std::get<Link>(update->object);
    CHECK(link.ifindex == 7);
    CHECK(link.name == "veth-a");
    CHECK(link.kind == "veth");
    CHECK(link.mtu == 1400);
    CHECK(link.flags == (IFF_UP | IFF_BROADCAST | IFF_MULTICAST));
    CHECK(link.up());
    CHECK(operstate_name(link.operstate) == "lowerlayerdown");
    CHECK(link.address == "02:ab:cd:00:10:ff");
    CHECK(link.master == 3);
    CHECK(link.link_netnsid == 2);
}

TEST_CASE("a link without address, master, kind or peer reports the documented empty values", "[unit][parser]")
{
    auto msg = link_message(RTM_NEWLINK, AF_UNSPEC, 9, false);
    auto update = parse_route_message(msg.get());
    REQUIRE(update);
    const auto& link = std::get<Link>(update->object);
    CHECK(link.kind.empty());
    CHECK(link.address.empty());
    CHECK(link.master == 0);
    CHECK(link.link_netnsid == -1);
}

TEST_CASE("a bridge is reported as a link of kind bridge", "[unit][parser]")
{
    // libnl turns a bridge object's family into AF_BRIDGE; the message's is AF_UNSPEC.
    auto msg = link_message(RTM_NEWLINK, AF_UNSPEC, 4, true, "bridge");
    auto update = parse_route_message(msg.get());
    REQUIRE(update);
    CHECK(std::get<Link>(update->object).kind == "bridge");
}

TEST_CASE("RTM_DELLINK becomes a removal of that ifindex", "[unit][parser]")
{
    auto msg = link_message(RTM_DELLINK, AF_UNSPEC, 7, true);
    auto update = parse_route_message(msg.get());
    REQUIRE(update);
    CHECK(update->removed);
    CHECK(std::get<Link>(update->object).ifindex == 7);
}

TEST_CASE("bridge-port and IPv6 link messages are not mistaken for the link", "[unit][parser]")
{
    // A bridge sends RTM_DELLINK with AF_BRIDGE when a port leaves it: the
    // port itself still exists.
    auto bridge = link_message(RTM_DELLINK, AF_BRIDGE, 7, true);
    CHECK_FALSE(parse_route_message(bridge.get()));
    auto inet6 = link_message(RTM_NEWLINK, AF_INET6, 7, true);
    CHECK_FALSE(parse_route_message(inet6.get()));
}

TEST_CASE("messages nswatch does not follow are ignored", "[unit][parser]")
{
    MsgPtr msg(nlmsg_alloc_simple(RTM_NEWADDR, 0));
    nlmsg_set_proto(msg.get(), NETLINK_ROUTE);
    CHECK_FALSE(parse_route_message(msg.get()));
}
