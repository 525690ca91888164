#include "netlink/tc_parser.hpp"

#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace nswatch {

namespace {

constexpr double kUsecPerSec = 1'000'000.0;

template <typename T>
std::optional<T> struct_attr(const nlattr* attr)
{
    if (attr == nullptr || nla_len(attr) < static_cast<int>(sizeof(T))) {
        return std::nullopt;
    }
    T value{};
    std::memcpy(&value, nla_data(attr), sizeof(T));
    return value;
}

std::optional<std::uint32_t> u32_attr(const nlattr* attr)
{
    return struct_attr<std::uint32_t>(attr);
}

std::optional<std::uint64_t> u64_attr(const nlattr* attr)
{
    return struct_attr<std::uint64_t>(attr);
}

// Parses a nested option attribute into tb[0..max]; false if not nested.
bool parse_nested(nlattr** tb, int max, nlattr* options)
{
    return options != nullptr && nla_parse_nested(tb, max, options, nullptr) == 0;
}

TcParams htb_qdisc_params(nlattr* options)
{
    TcParams p;
    nlattr* tb[TCA_HTB_MAX + 1] = {};
    if (!parse_nested(tb, TCA_HTB_MAX, options)) {
        return p;
    }
    if (auto glob = struct_attr<tc_htb_glob>(tb[TCA_HTB_INIT])) {
        p.r2q = glob->rate2quantum;
        p.default_class = glob->defcls;
    }
    p.direct_qlen = u32_attr(tb[TCA_HTB_DIRECT_QLEN]);
    return p;
}

TcParams htb_class_params(nlattr* options, const TcUnits& units)
{
    TcParams p;
    nlattr* tb[TCA_HTB_MAX + 1] = {};
    if (!parse_nested(tb, TCA_HTB_MAX, options)) {
        return p;
    }
    auto opt = struct_attr<tc_htb_opt>(tb[TCA_HTB_PARMS]);
    if (!opt) {
        return p;
    }
    const std::uint64_t rate = u64_attr(tb[TCA_HTB_RATE64]).value_or(opt->rate.rate);
    const std::uint64_t ceil = u64_attr(tb[TCA_HTB_CEIL64]).value_or(opt->ceil.rate);
    p.rate = rate;
    p.ceil = ceil;
    p.burst = xmit_size(rate, opt->buffer, units);
    p.cburst = xmit_size(ceil, opt->cbuffer, units);
    p.prio = opt->prio;
    p.quantum = opt->quantum;
    return p;
}

TcParams tbf_params(nlattr* options, const TcUnits& units)
{
    TcParams p;
    nlattr* tb[TCA_TBF_MAX + 1] = {};
    if (!parse_nested(tb, TCA_TBF_MAX, options)) {
        return p;
    }
    auto opt = struct_attr<tc_tbf_qopt>(tb[TCA_TBF_PARMS]);
    if (!opt) {
        return p;
    }
    const std::uint64_t rate = u64_attr(tb[TCA_TBF_RATE64]).value_or(opt->rate.rate);
    p.rate = rate;
    p.burst = xmit_size(rate, opt->buffer, units);
    p.limit = opt->limit;
    const std::uint64_t peak = u64_attr(tb[TCA_TBF_PRATE64]).value_or(opt->peakrate.rate);
    if (peak != 0) {
        p.peakrate = peak;
        p.mtu = xmit_size(peak, opt->mtu, units);
    }
    return p;
}

TcParams qdisc_params(const std::string& kind, nlattr* options, const TcUnits& units)
{
    if (kind == "htb") {
        return htb_qdisc_params(options);
    }
    if (kind == "tbf") {
        return tbf_params(options, units);
    }
    TcParams p;
    if (kind == "pfifo" || kind == "bfifo" || kind == "pfifo_head_drop") {
        if (auto fifo = struct_attr<tc_fifo_qopt>(options)) {
            p.limit = fifo->limit;
        }
    } else if (kind == "pfifo_fast" || kind == "prio") {
        if (auto prio = struct_attr<tc_prio_qopt>(options)) {
            p.bands = static_cast<std::uint32_t>(prio->bands);
        }
    }
    return p;
}

std::optional<std::uint32_t> filter_classid(const std::string& kind, nlattr* options)
{
    // The attribute number of the class id in each kind's options.
    int attr = 0;
    if (kind == "u32" || kind == "basic" || kind == "fw" || kind == "route" || kind == "flower" || kind == "matchall") {
        attr = 1; // TCA_U32_CLASSID, TCA_BASIC_CLASSID, TCA_FW_CLASSID, …
    } else if (kind == "bpf") {
        attr = TCA_BPF_CLASSID;
    } else {
        return std::nullopt;
    }
    nlattr* tb[TCA_BPF_MAX + 16] = {};
    if (!parse_nested(tb, attr, options)) {
        return std::nullopt;
    }
    return u32_attr(tb[attr]);
}

} // namespace

TcUnits parse_psched(std::string_view text)
{
    TcUnits units;
    unsigned t2us = 0;
    unsigned us2t = 0;
    unsigned clock_res = 0;
    const std::string copy(text);
    if (std::sscanf(copy.c_str(), "%08x%08x%08x", &t2us, &us2t, &clock_res) != 3 || us2t == 0) {
        return units;
    }
    if (clock_res == 1'000'000'000U) {
        t2us = us2t;
    }
    const double clock_factor = static_cast<double>(clock_res) / kUsecPerSec;
    units.tick_in_usec = static_cast<double>(t2us) / us2t * clock_factor;
    return units;
}

const TcUnits& system_tc_units()
{
    static const TcUnits units = [] {
        std::ifstream in("/proc/net/psched");
        std::stringstream text;
        text << in.rdbuf();
        return parse_psched(text.str());
    }();
    return units;
}

std::uint32_t xmit_size(std::uint64_t rate, std::uint32_t ticks, const TcUnits& units)
{
    const double usec = ticks / units.tick_in_usec;
    return static_cast<std::uint32_t>(static_cast<double>(rate) * usec / kUsecPerSec);
}

std::optional<KernelUpdate> parse_tc_message(const nlmsghdr* hdr, const TcUnits& units)
{
    const int type = hdr->nlmsg_type;
    const bool removed = type == RTM_DELQDISC || type == RTM_DELTCLASS || type == RTM_DELTFILTER;
    if (type != RTM_NEWQDISC && type != RTM_NEWTCLASS && type != RTM_NEWTFILTER && !removed) {
        return std::nullopt;
    }
    nlattr* tb[TCA_MAX + 1] = {};
    if (!nlmsg_valid_hdr(hdr, sizeof(tcmsg)) ||
        nlmsg_parse(const_cast<nlmsghdr*>(hdr), sizeof(tcmsg), tb, TCA_MAX, nullptr) < 0) {
        return std::nullopt;
    }
    const auto* tcm = static_cast<const tcmsg*>(nlmsg_data(hdr));
    const std::string kind = tb[TCA_KIND] != nullptr ? nla_get_string(tb[TCA_KIND]) : "";
    nlattr* options = tb[TCA_OPTIONS];

    if (type == RTM_NEWQDISC || type == RTM_DELQDISC) {
        return KernelUpdate{removed, Qdisc{tcm->tcm_ifindex, tcm->tcm_handle, tcm->tcm_parent, kind,
                                           qdisc_params(kind, options, units)}};
    }
    if (type == RTM_NEWTCLASS || type == RTM_DELTCLASS) {
        TcParams params = kind == "htb" ? htb_class_params(options, units) : TcParams{};
        return KernelUpdate{removed, TcClass{tcm->tcm_ifindex, tcm->tcm_handle, tcm->tcm_parent, kind, params}};
    }
    Filter filter;
    filter.ifindex = tcm->tcm_ifindex;
    filter.handle = tcm->tcm_handle;
    filter.parent = tcm->tcm_parent;
    filter.priority = TC_H_MAJ(tcm->tcm_info) >> 16;
    filter.protocol = ntohs(static_cast<std::uint16_t>(TC_H_MIN(tcm->tcm_info)));
    filter.chain = u32_attr(tb[TCA_CHAIN]).value_or(0);
    filter.kind = kind;
    filter.classid = filter_classid(kind, options);
    return KernelUpdate{removed, filter};
}

} // namespace nswatch
