#include "netlink/route_parser.hpp"

#include "netlink/tc_parser.hpp"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

namespace nswatch {

namespace {

// What nswatch reads of a link, with the kernel's own limits
// (rtnetlink.c ifla_policy): a name is at most IFNAMSIZ - 1 characters;
// MTU, master and netnsid are 32-bit, operstate 8-bit (nla_put_u32/u8 in
// rtnl_fill_ifinfo). The hardware address has the device's addr_len, 0 to
// MAX_ADDR_LEN bytes, so only its presence is checked.
constexpr auto kLinkRules = make_nla_rules<IFLA_LINK_NETNSID + 1>({
    {IFLA_ADDRESS, {NlaKind::Binary, 0, "IFLA_ADDRESS"}},
    {IFLA_IFNAME, {NlaKind::String, 15, "IFLA_IFNAME"}},
    {IFLA_MTU, {NlaKind::U32, 0, "IFLA_MTU"}},
    {IFLA_MASTER, {NlaKind::U32, 0, "IFLA_MASTER"}},
    {IFLA_OPERSTATE, {NlaKind::U8, 0, "IFLA_OPERSTATE"}},
    {IFLA_LINKINFO, {NlaKind::Nested, 0, "IFLA_LINKINFO"}},
    {IFLA_LINK_NETNSID, {NlaKind::U32, 0, "IFLA_LINK_NETNSID"}},
});
constexpr NlaPolicy kLinkPolicy{"ifinfomsg attributes", kLinkRules};

// IFLA_LINKINFO: only the kind. IFLA_INFO_DATA and the slave attributes
// differ per kind and are not read.
constexpr auto kLinkInfoRules = make_nla_rules<IFLA_INFO_KIND + 1>({
    {IFLA_INFO_KIND, {NlaKind::String, 0, "IFLA_INFO_KIND"}},
});
constexpr NlaPolicy kLinkInfoPolicy{"IFLA_LINKINFO", kLinkInfoRules};

std::optional<KernelUpdate> malformed(ParseError* out, const ParseError& error)
{
    if (out != nullptr) {
        *out = error;
    }
    return std::nullopt;
}

} // namespace

std::optional<KernelUpdate> parse_link_message(std::span<const std::byte> bytes, ParseError* error_out)
{
    ParseError error;
    const auto message = split_netlink_message(bytes, error);
    if (!message) {
        return malformed(error_out, error);
    }
    if (message->type != RTM_NEWLINK && message->type != RTM_DELLINK) {
        return std::nullopt;
    }
    const auto ifi = split_family_header<ifinfomsg>(*message, "ifinfomsg", error);
    if (!ifi) {
        return malformed(error_out, error);
    }
    // Only AF_UNSPEC messages describe the link itself. A bridge also sends
    // AF_BRIDGE ones about its ports (an RTM_DELLINK when a port leaves,
    // though the port lives on), and IPv6 sends AF_INET6 ones. The family is
    // the message's: libnl's object layer reports a bridge's as AF_BRIDGE,
    // which once hid every bridge (DEVELOPERS.md).
    if (ifi->header.ifi_family != AF_UNSPEC) {
        return std::nullopt;
    }
    const auto attrs = parse_attributes(ifi->attributes, kLinkPolicy, error);
    if (!attrs) {
        return malformed(error_out, error);
    }
    const auto info = parse_nested(*attrs, IFLA_LINKINFO, kLinkInfoPolicy, error);
    if (error) {
        return malformed(error_out, error);
    }

    Link link;
    link.ifindex = ifi->header.ifi_index;
    link.name = attrs->string(IFLA_IFNAME).value_or("");
    if (info) {
        link.kind = info->string(IFLA_INFO_KIND).value_or("");
    }
    link.mtu = attrs->u32(IFLA_MTU).value_or(0);
    link.flags = ifi->header.ifi_flags;
    link.operstate = attrs->u8(IFLA_OPERSTATE).value_or(0); // IF_OPER_UNKNOWN
    const auto address = attrs->payload(IFLA_ADDRESS);
    link.address = format_hw_address(reinterpret_cast<const unsigned char*>(address.data()), address.size());
    link.master = static_cast<std::int32_t>(attrs->u32(IFLA_MASTER).value_or(0));
    if (const auto netnsid = attrs->u32(IFLA_LINK_NETNSID)) {
        link.link_netnsid = static_cast<std::int32_t>(*netnsid); // s32 on the wire
    }
    return KernelUpdate{message->type == RTM_DELLINK, std::move(link)};
}

std::optional<KernelUpdate> parse_route_message(std::span<const std::byte> bytes, const PschedUnits& units,
                                                ParseError* error_out)
{
    ParseError error;
    const auto message = split_netlink_message(bytes, error);
    if (!message) {
        return malformed(error_out, error);
    }
    if (message->type == RTM_NEWLINK || message->type == RTM_DELLINK) {
        return parse_link_message(bytes, error_out);
    }
    return parse_tc_message(bytes, units, error_out);
}

std::optional<KernelUpdate> parse_route_message(nl_msg* msg)
{
    // /proc/net/psched never changes while the kernel runs: read it once.
    static const PschedUnits units = read_psched_units();
    const nlmsghdr* hdr = nlmsg_hdr(msg);
    const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(hdr), hdr->nlmsg_len);
    ParseError error;
    auto update = parse_route_message(bytes, units, &error);
    if (error) {
        spdlog::warn("dropping a malformed rtnetlink message (type {}): {}", hdr->nlmsg_type, to_string(error));
    }
    return update;
}

} // namespace nswatch
