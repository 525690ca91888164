#include "netlink/tc_parser.hpp"

#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <string_view>

namespace nswatch {

namespace {

// tcmsg attributes (the kernel's rtm_tca_policy). A kind is a qdisc's
// Qdisc_ops.id or a classifier's tcf_proto_ops.kind: char[IFNAMSIZ], so at
// most 15 characters. TCA_OPTIONS is nested for htb and tbf but a bare
// struct for the fifos and pfifo_fast, so its rules depend on the kind.
constexpr auto kTcRules = make_nla_rules<TCA_CHAIN + 1>({
    {TCA_KIND, {NlaKind::String, 15, "TCA_KIND"}},
    {TCA_OPTIONS, {NlaKind::Binary, 0, "TCA_OPTIONS"}},
    {TCA_CHAIN, {NlaKind::U32, 0, "TCA_CHAIN"}},
});
constexpr NlaPolicy kTcPolicy{"tcmsg attributes", kTcRules};

// One table for htb's qdisc and class options, as sch_htb.c's htb_policy.
constexpr auto kHtbRules = make_nla_rules<TCA_HTB_CEIL64 + 1>({
    {TCA_HTB_PARMS, {NlaKind::Binary, sizeof(tc_htb_opt), "TCA_HTB_PARMS"}},
    {TCA_HTB_INIT, {NlaKind::Binary, sizeof(tc_htb_glob), "TCA_HTB_INIT"}},
    {TCA_HTB_DIRECT_QLEN, {NlaKind::U32, 0, "TCA_HTB_DIRECT_QLEN"}},
    {TCA_HTB_RATE64, {NlaKind::U64, 0, "TCA_HTB_RATE64"}},
    {TCA_HTB_CEIL64, {NlaKind::U64, 0, "TCA_HTB_CEIL64"}},
});
constexpr NlaPolicy kHtbPolicy{"TCA_OPTIONS (htb)", kHtbRules};

constexpr auto kTbfRules = make_nla_rules<TCA_TBF_PRATE64 + 1>({
    {TCA_TBF_PARMS, {NlaKind::Binary, sizeof(tc_tbf_qopt), "TCA_TBF_PARMS"}},
    {TCA_TBF_RATE64, {NlaKind::U64, 0, "TCA_TBF_RATE64"}},
    {TCA_TBF_PRATE64, {NlaKind::U64, 0, "TCA_TBF_PRATE64"}},
});
constexpr NlaPolicy kTbfPolicy{"TCA_OPTIONS (tbf)", kTbfRules};

// Where a filter kind keeps the class it sends to: attribute 1 for u32,
// basic, fw, route, flower and matchall (TCA_U32_CLASSID, TCA_BASIC_CLASSID,
// …), TCA_BPF_CLASSID (3) for bpf.
constexpr auto kClassidAt1Rules = make_nla_rules<2>({{1, {NlaKind::U32, 0, "TCA_*_CLASSID"}}});
constexpr auto kBpfRules = make_nla_rules<TCA_BPF_CLASSID + 1>({
    {TCA_BPF_CLASSID, {NlaKind::U32, 0, "TCA_BPF_CLASSID"}},
});

// The option struct that a kind sends as TCA_OPTIONS' whole payload.
template <class T>
std::optional<T> bare_options(const NlaAttributes& tca, std::string_view where, ParseError& error)
{
    if (!tca.has(TCA_OPTIONS)) {
        return std::nullopt;
    }
    auto value = tca.get_struct<T>(TCA_OPTIONS);
    if (!value) {
        error = {where, "shorter than its struct"};
    }
    return value;
}

void htb_qdisc_params(const NlaAttributes& htb, TcParams& p)
{
    if (auto glob = htb.get_struct<tc_htb_glob>(TCA_HTB_INIT)) {
        p.r2q = glob->rate2quantum;
        p.default_class = glob->defcls;
    }
    p.direct_qlen = htb.u32(TCA_HTB_DIRECT_QLEN);
}

// Rates above 2^32-1 bytes/s do not fit the 32-bit tc_ratespec: the kernel
// then also sends the 64-bit attributes, which win.
void htb_class_params(const NlaAttributes& htb, const PschedUnits& units, TcParams& p)
{
    const auto opt = htb.get_struct<tc_htb_opt>(TCA_HTB_PARMS);
    if (!opt) {
        return;
    }
    const std::uint64_t rate = htb.u64(TCA_HTB_RATE64).value_or(opt->rate.rate);
    const std::uint64_t ceil = htb.u64(TCA_HTB_CEIL64).value_or(opt->ceil.rate);
    p.rate = rate;
    p.ceil = ceil;
    p.burst = xmit_size(rate, opt->buffer, units);
    p.cburst = xmit_size(ceil, opt->cbuffer, units);
    p.prio = opt->prio;
    p.quantum = opt->quantum;
}

void tbf_params(const NlaAttributes& tbf, const PschedUnits& units, TcParams& p)
{
    const auto opt = tbf.get_struct<tc_tbf_qopt>(TCA_TBF_PARMS);
    if (!opt) {
        return;
    }
    const std::uint64_t rate = tbf.u64(TCA_TBF_RATE64).value_or(opt->rate.rate);
    p.rate = rate;
    p.burst = xmit_size(rate, opt->buffer, units);
    p.limit = opt->limit;
    const std::uint64_t peak = tbf.u64(TCA_TBF_PRATE64).value_or(opt->peakrate.rate);
    if (peak != 0) {
        p.peakrate = peak;
        p.mtu = xmit_size(peak, opt->mtu, units);
    }
}

// Qdisc and class parameters of the kinds nswatch knows; other kinds and
// absent options: none. `is_class`: htb's class options differ from its
// qdisc's (the fifos and tbf only have qdisc options).
TcParams tc_params(std::string_view kind, bool is_class, const NlaAttributes& tca, const PschedUnits& units,
                   ParseError& error)
{
    TcParams p;
    if (kind == "htb") {
        if (auto htb = parse_nested(tca, TCA_OPTIONS, kHtbPolicy, error); htb && is_class) {
            htb_class_params(*htb, units, p);
        } else if (htb) {
            htb_qdisc_params(*htb, p);
        }
    } else if (is_class) {
        return p;
    } else if (kind == "tbf") {
        if (auto tbf = parse_nested(tca, TCA_OPTIONS, kTbfPolicy, error)) {
            tbf_params(*tbf, units, p);
        }
    } else if (kind == "pfifo" || kind == "bfifo" || kind == "pfifo_head_drop") {
        if (auto fifo = bare_options<tc_fifo_qopt>(tca, "TCA_OPTIONS (fifo)", error)) {
            p.limit = fifo->limit;
        }
    } else if (kind == "pfifo_fast" || kind == "prio") {
        if (auto prio = bare_options<tc_prio_qopt>(tca, "TCA_OPTIONS (prio)", error)) {
            p.bands = static_cast<std::uint32_t>(prio->bands);
        }
    }
    return p;
}

std::optional<std::uint32_t> filter_classid(std::string_view kind, const NlaAttributes& tca, ParseError& error)
{
    std::uint16_t type = 1;
    NlaPolicy policy{"TCA_OPTIONS (filter)", kClassidAt1Rules};
    if (kind == "bpf") {
        type = TCA_BPF_CLASSID;
        policy.rules = kBpfRules;
    } else if (kind != "u32" && kind != "basic" && kind != "fw" && kind != "route" && kind != "flower" &&
               kind != "matchall") {
        return std::nullopt;
    }
    const auto options = parse_nested(tca, TCA_OPTIONS, policy, error);
    return options ? options->u32(type) : std::nullopt;
}

std::optional<KernelUpdate> malformed(ParseError* out, const ParseError& error)
{
    if (out != nullptr) {
        *out = error;
    }
    return std::nullopt;
}

} // namespace

std::optional<KernelUpdate> parse_tc_message(std::span<const std::byte> bytes, const PschedUnits& units,
                                             ParseError* error_out)
{
    ParseError error;
    const auto message = split_netlink_message(bytes, error);
    if (!message) {
        return malformed(error_out, error);
    }
    const int type = message->type;
    const bool qdisc = type == RTM_NEWQDISC || type == RTM_DELQDISC;
    const bool tclass = type == RTM_NEWTCLASS || type == RTM_DELTCLASS;
    const bool filter = type == RTM_NEWTFILTER || type == RTM_DELTFILTER;
    if (!qdisc && !tclass && !filter) {
        return std::nullopt;
    }
    const bool removed = type == RTM_DELQDISC || type == RTM_DELTCLASS || type == RTM_DELTFILTER;
    const auto tc = split_family_header<tcmsg>(*message, "tcmsg", error);
    if (!tc) {
        return malformed(error_out, error);
    }
    const auto tca = parse_attributes(tc->attributes, kTcPolicy, error);
    if (!tca) {
        return malformed(error_out, error);
    }
    const tcmsg& tcm = tc->header;
    const std::string kind(tca->string(TCA_KIND).value_or(""));

    if (qdisc || tclass) {
        TcParams params = tc_params(kind, tclass, *tca, units, error);
        if (error) {
            return malformed(error_out, error);
        }
        if (qdisc) {
            return KernelUpdate{removed, Qdisc{tcm.tcm_ifindex, tcm.tcm_handle, tcm.tcm_parent, kind, params}};
        }
        return KernelUpdate{removed, TcClass{tcm.tcm_ifindex, tcm.tcm_handle, tcm.tcm_parent, kind, params}};
    }
    Filter f;
    f.ifindex = tcm.tcm_ifindex;
    f.handle = tcm.tcm_handle;
    f.parent = tcm.tcm_parent;
    // tcm_info of a filter: priority in the upper 16 bits, protocol (network
    // byte order) in the lower.
    f.priority = TC_H_MAJ(tcm.tcm_info) >> 16;
    f.protocol = ntohs(static_cast<std::uint16_t>(TC_H_MIN(tcm.tcm_info)));
    f.chain = tca->u32(TCA_CHAIN).value_or(0);
    f.kind = kind;
    f.classid = filter_classid(kind, *tca, error);
    if (error) {
        return malformed(error_out, error);
    }
    return KernelUpdate{removed, std::move(f)};
}

} // namespace nswatch
