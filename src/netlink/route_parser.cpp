#include "netlink/route_parser.hpp"

#include "netlink/tc_parser.hpp"

#include <netlink/msg.h>
#include <netlink/object.h>
#include <netlink/route/link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>

namespace nswatch {

namespace {

Link to_link(rtnl_link* link)
{
    Link out;
    out.ifindex = rtnl_link_get_ifindex(link);
    if (const char* name = rtnl_link_get_name(link)) {
        out.name = name;
    }
    if (const char* kind = rtnl_link_get_type(link)) {
        out.kind = kind;
    }
    out.mtu = rtnl_link_get_mtu(link);
    out.flags = rtnl_link_get_flags(link);
    out.operstate = rtnl_link_get_operstate(link);
    if (nl_addr* addr = rtnl_link_get_addr(link)) {
        out.address = format_hw_address(static_cast<const unsigned char*>(nl_addr_get_binary_addr(addr)),
                                        nl_addr_get_len(addr));
    }
    out.master = rtnl_link_get_master(link);
    std::int32_t netnsid = -1;
    if (rtnl_link_get_link_netnsid(link, &netnsid) == 0) {
        out.link_netnsid = netnsid;
    }
    return out;
}

struct ParseContext {
    bool removed = false;
    std::optional<KernelUpdate> result;
};

void on_object(nl_object* object, void* arg)
{
    auto* ctx = static_cast<ParseContext*>(arg);
    if (std::strcmp(nl_object_get_type(object), "route/link") == 0) {
        ctx->result = KernelUpdate{ctx->removed, to_link(reinterpret_cast<rtnl_link*>(object))};
    }
}

} // namespace

std::optional<KernelUpdate> parse_route_message(nl_msg* msg)
{
    ParseContext ctx;
    nlmsghdr* hdr = nlmsg_hdr(msg);
    switch (hdr->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
        // Only AF_UNSPEC messages describe the link itself. Read the family
        // from the header: libnl rewrites the object's family for some kinds
        // (a bridge reads back as AF_BRIDGE), which would hide bridges.
        if (!nlmsg_valid_hdr(hdr, sizeof(ifinfomsg)) ||
            static_cast<const ifinfomsg*>(nlmsg_data(hdr))->ifi_family != AF_UNSPEC) {
            return std::nullopt;
        }
        ctx.removed = hdr->nlmsg_type == RTM_DELLINK;
        break;
    default: {
        // /proc/net/psched never changes while the kernel runs: read it once.
        static const PschedUnits units = read_psched_units();
        return parse_tc_message(std::span(reinterpret_cast<const std::byte*>(hdr), hdr->nlmsg_len), units);
    }
    }
    if (nl_msg_parse(msg, &on_object, &ctx) < 0) {
        return std::nullopt;
    }
    return std::move(ctx.result);
}

} // namespace nswatch
