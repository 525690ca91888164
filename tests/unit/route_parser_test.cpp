// Link messages captured from Linux 6.18 (fixtures/rtnl_link_fixtures.hpp)
// → Link values. Malformed variants: rtnl_robustness_test.cpp.
#include "netlink/route_parser.hpp"

#include "fixtures/rtnl_link_fixtures.hpp"
#include "fixtures/rtnl_tc_fixtures.hpp"
#include "rtnl_mutations.hpp"

#include <catch2/catch.hpp>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

using namespace nswatch;
using namespace nswatch::fixtures;
using namespace nswatch::test;

namespace {

const PschedUnits kUnits{};

Link parse_link(const Bytes& message)
{
    ParseError error;
    auto update = parse_route_message(message, kUnits, &error);
    INFO(to_string(error));
    REQUIRE(update);
    CHECK_FALSE(error);
    REQUIRE(std::holds_alternative<Link>(update->object));
    return std::get<Link>(update->object);
}

// Ignored without complaint: nothing, and no error.
void check_ignored(const Bytes& message)
{
    ParseError error;
    CHECK_FALSE(parse_route_message(message, kUnits, &error));
    CHECK_FALSE(error);
}

} // namespace

TEST_CASE("RTM_NEWLINK becomes a present link with every contract attribute", "[unit][parser]")
{
    auto update = parse_route_message(bytes_of(kVethEnslavedUp), kUnits);
    REQUIRE(update);
    CHECK_FALSE(update->removed);
    const auto& link = std::get<Link>(update->object);
    CHECK(link.ifindex == 2);
    CHECK(link.name == "vfa");
    CHECK(link.kind == "veth");
    CHECK(link.mtu == 1500);
    CHECK(link.flags == (IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP));
    CHECK(link.up());
    CHECK(operstate_name(link.operstate) == "up");
    CHECK(link.address == "96:a3:c6:02:a3:3e");
    CHECK(link.master == 3);
    CHECK(link.link_netnsid == 0);
}

TEST_CASE("a new veth is down, without master, with its peer's netns id", "[unit][parser]")
{
    const Link link = parse_link(bytes_of(kVethNewLink));
    CHECK(link.ifindex == 2);
    CHECK(link.name == "vfa");
    CHECK(link.kind == "veth");
    CHECK(link.flags == (IFF_BROADCAST | IFF_MULTICAST));
    CHECK_FALSE(link.up());
    CHECK(operstate_name(link.operstate) == "down");
    CHECK(link.master == 0);
    CHECK(link.link_netnsid == 0);
}

TEST_CASE("a link without kind, master or peer reports the documented empty values", "[unit][parser]")
{
    const Bytes lo = bytes_of(kLoopbackUp);
    const Link link = parse_link(lo);
    CHECK(link.ifindex == 1);
    CHECK(link.name == "lo");
    CHECK(link.kind.empty());
    CHECK(link.address == "00:00:00:00:00:00"); // loopback has a 6-byte address of zeros
    CHECK(link.master == 0);
    CHECK(link.link_netnsid == -1);
    CHECK(operstate_name(link.operstate) == "unknown");
    CHECK(link.up());
    // A device without hardware address (addr_len 0) sends no IFLA_ADDRESS.
    CHECK(parse_link(without(lo, top(lo, IFLA_ADDRESS))).address.empty());
}

TEST_CASE("a bridge is reported as a link of kind bridge", "[unit][parser]")
{
    // libnl's object layer read a bridge's family back as AF_BRIDGE; the
    // message's is AF_UNSPEC, and the parser reads the message.
    const Link link = parse_link(bytes_of(kBridgeNewLink));
    CHECK(link.ifindex == 3);
    CHECK(link.name == "brf");
    CHECK(link.kind == "bridge");
    CHECK(link.address == "32:49:ad:39:29:9c");
}

TEST_CASE("RTM_DELLINK becomes a removal of that ifindex", "[unit][parser]")
{
    auto update = parse_route_message(bytes_of(kBridgeDelLink), kUnits);
    REQUIRE(update);
    CHECK(update->removed);
    const auto& link = std::get<Link>(update->object);
    CHECK(link.ifindex == 3);
    CHECK(link.kind == "bridge");
}

TEST_CASE("bridge-port and IPv6 link messages are not mistaken for the link", "[unit][parser]")
{
    // A bridge sends AF_BRIDGE messages about its ports, an RTM_DELLINK
    // among them when a port leaves: the port itself still exists.
    check_ignored(bytes_of(kBridgePortNewLink));
    check_ignored(bytes_of(kBridgePortDelLink));
    Bytes inet6 = bytes_of(kVethNewLink);
    put(inet6, 16, static_cast<std::uint8_t>(AF_INET6)); // ifi_family
    check_ignored(inet6);
}

TEST_CASE("messages nswatch does not follow are ignored", "[unit][parser]")
{
    check_ignored(bytes_of(kNewChain)); // RTM_NEWCHAIN
    Bytes addr = bytes_of(kVethNewLink);
    put(addr, 4, std::uint16_t{RTM_NEWADDR});
    check_ignored(addr);
    // The link parser alone ignores tc messages.
    ParseError error;
    CHECK_FALSE(parse_link_message(bytes_of(kHtbQdisc), &error));
    CHECK_FALSE(error);
}

TEST_CASE("parse_route_message also parses tc messages", "[unit][parser]")
{
    auto update = parse_route_message(bytes_of(kHtbQdisc), kUnits);
    REQUIRE(update);
    CHECK(std::get<Qdisc>(update->object).kind == "htb");
}

TEST_CASE("bytes past nlmsg_len are not part of the message", "[unit][parser]")
{
    // A datagram's next message, or padding, may follow.
    Bytes longer = bytes_of(kVethEnslavedUp);
    const Link expected = parse_link(longer);
    longer.resize(longer.size() + 40, std::byte{0xff});
    CHECK(parse_link(longer) == expected);
}

TEST_CASE("the session's nl_msg entry point parses the same bytes", "[unit][parser]")
{
    // libnl only wraps the captured bytes here (nlmsg_convert copies them):
    // nothing is encoded by libnl.
    for (const Bytes& fixture : {bytes_of(kVethEnslavedUp), bytes_of(kBridgePortDelLink), bytes_of(kHtbClass)}) {
        std::vector<std::uint32_t> aligned((fixture.size() + 3) / 4);
        std::memcpy(aligned.data(), fixture.data(), fixture.size());
        std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(nlmsg_convert(reinterpret_cast<nlmsghdr*>(aligned.data())),
                                                       &nlmsg_free);
        REQUIRE(msg);
        const auto direct = parse_route_message(fixture, read_psched_units());
        const auto wrapped = parse_route_message(msg.get());
        REQUIRE(direct.has_value() == wrapped.has_value());
        if (direct) {
            CHECK(direct->removed == wrapped->removed);
            CHECK(direct->object == wrapped->object);
        }
    }
}
