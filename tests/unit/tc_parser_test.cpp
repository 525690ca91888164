// Fixtures: tc messages laid out as the kernel sends them (tcmsg, TCA_KIND,
// TCA_OPTIONS with the kind's own structs).
#include "netlink/tc_parser.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include <functional>
#include <memory>

using namespace nswatch;

namespace {

struct MsgFree {
    void operator()(nl_msg* msg) const { nlmsg_free(msg); }
};
using MsgPtr = std::unique_ptr<nl_msg, MsgFree>;

const TcUnits kUnits{}; // 15.625 ticks per microsecond

MsgPtr tc_message(int type, int ifindex, std::uint32_t handle, std::uint32_t parent, const char* kind,
                  const std::function<void(nl_msg*)>& options = nullptr, std::uint32_t info = 0)
{
    MsgPtr msg(nlmsg_alloc_simple(type, 0));
    tcmsg tcm{};
    tcm.tcm_family = AF_UNSPEC;
    tcm.tcm_ifindex = ifindex;
    tcm.tcm_handle = handle;
    tcm.tcm_parent = parent;
    tcm.tcm_info = info;
    nlmsg_append(msg.get(), &tcm, sizeof tcm, NLMSG_ALIGNTO);
    nla_put_string(msg.get(), TCA_KIND, kind);
    if (options) {
        options(msg.get());
    }
    return msg;
}

void nested_options(nl_msg* msg, const std::function<void(nl_msg*)>& body)
{
    nlattr* opts = nla_nest_start(msg, TCA_OPTIONS);
    body(msg);
    nla_nest_end(msg, opts);
}

KernelUpdate parse(const MsgPtr& msg)
{
    auto update = parse_tc_message(nlmsg_hdr(msg.get()), kUnits);
    REQUIRE(update);
    return *update;
}

} // namespace

TEST_CASE("burst sizes are computed from ticks as tc shows them", "[unit][parser]")
{
    CHECK(parse_psched("000003e8 00000040 000f4240 3b9aca00\n").tick_in_usec == Approx(15.625));
    CHECK(parse_psched("garbage").tick_in_usec == Approx(15.625)); // current kernels' value
    // tc: "rate 1Mbit burst 1600b" is 125000 B/s with a 200000-tick buffer.
    CHECK(xmit_size(125000, 200000, kUnits) == 1600);
    CHECK(xmit_size(0, 200000, kUnits) == 0);
}

TEST_CASE("an htb qdisc reports its default class, r2q and direct queue length", "[unit][parser]")
{
    auto msg = tc_message(RTM_NEWQDISC, 3, 0x10000, TC_H_ROOT, "htb", [](nl_msg* m) {
        nested_options(m, [](nl_msg* n) {
            tc_htb_glob glob{};
            glob.version = 3;
            glob.rate2quantum = 10;
            glob.defcls = 0x10;
            nla_put(n, TCA_HTB_INIT, sizeof glob, &glob);
            nla_put_u32(n, TCA_HTB_DIRECT_QLEN, 1000);
        });
    });
    auto update = parse(msg);
    CHECK_FALSE(update.removed);
    const auto& q = std::get<Qdisc>(update.object);
    CHECK(q.ifindex == 3);
    CHECK(q.handle == 0x10000);
    CHECK(q.parent == TC_H_ROOT);
    CHECK(q.kind == "htb");
    CHECK(q.params.default_class == 0x10U);
    CHECK(q.params.r2q == 10U);
    CHECK(q.params.direct_qlen == 1000U);
    CHECK_FALSE(q.params.rate);
}

TEST_CASE("an htb class reports rate, ceil, burst and cburst in bytes", "[unit][parser]")
{
    auto msg = tc_message(RTM_NEWTCLASS, 3, 0x10010, TC_H_ROOT, "htb", [](nl_msg* m) {
        nested_options(m, [](nl_msg* n) {
            tc_htb_opt opt{};
            opt.rate.rate = 375000;  // 3mbit
            opt.ceil.rate = 500000;  // 4mbit
            opt.buffer = 66656;      // ticks
            opt.cbuffer = 50000;
            opt.quantum = 37500;
            opt.prio = 2;
            nla_put(n, TCA_HTB_PARMS, sizeof opt, &opt);
        });
    });
    const auto c = std::get<TcClass>(parse(msg).object);
    CHECK(c.params.rate == 375000U);
    CHECK(c.params.ceil == 500000U);
    CHECK(c.params.burst == xmit_size(375000, 66656, kUnits));
    CHECK(c.params.burst == 1599U); // what tc printed for this class
    CHECK(c.params.cburst == 1600U);
    CHECK(c.params.quantum == 37500U);
    CHECK(c.params.prio == 2U);
}

TEST_CASE("rates above 4 GB/s come from the 64-bit attributes", "[unit][parser]")
{
    auto msg = tc_message(RTM_NEWTCLASS, 3, 0x10010, TC_H_ROOT, "htb", [](nl_msg* m) {
        nested_options(m, [](nl_msg* n) {
            tc_htb_opt opt{};
            opt.rate.rate = ~0U;
            opt.ceil.rate = ~0U;
            nla_put(n, TCA_HTB_PARMS, sizeof opt, &opt);
            nla_put_u64(n, TCA_HTB_RATE64, 10'000'000'000ULL);
            nla_put_u64(n, TCA_HTB_CEIL64, 12'500'000'000ULL);
        });
    });
    const auto c = std::get<TcClass>(parse(msg).object);
    CHECK(c.params.rate == 10'000'000'000ULL);
    CHECK(c.params.ceil == 12'500'000'000ULL);
}

TEST_CASE("a tbf qdisc reports rate, burst and limit; peakrate and mtu only when set", "[unit][parser]")
{
    auto make = [](std::uint32_t peak) {
        return tc_message(RTM_NEWQDISC, 3, 0x200000, 0x10010, "tbf", [peak](nl_msg* m) {
            nested_options(m, [peak](nl_msg* n) {
                tc_tbf_qopt opt{};
                opt.rate.rate = 250000;
                opt.limit = 20480;
                opt.buffer = 640000; // 10240 bytes at 250000 B/s
                opt.peakrate.rate = peak;
                opt.mtu = peak != 0 ? 125000 : 0;
                nla_put(n, TCA_TBF_PARMS, sizeof opt, &opt);
            });
        });
    };
    const auto plain = std::get<Qdisc>(parse(make(0)).object);
    CHECK(plain.params.rate == 250000U);
    CHECK(plain.params.burst == 10240U);
    CHECK(plain.params.limit == 20480U);
    CHECK_FALSE(plain.params.peakrate);
    CHECK_FALSE(plain.params.mtu);
    const auto peaked = std::get<Qdisc>(parse(make(500000)).object);
    CHECK(peaked.params.peakrate == 500000U);
    CHECK(peaked.params.mtu == xmit_size(500000, 125000, kUnits));
}

TEST_CASE("pfifo reports its packet limit; clsact has no parameters", "[unit][parser]")
{
    auto pfifo = tc_message(RTM_NEWQDISC, 3, 0x300000, TC_H_ROOT, "pfifo", [](nl_msg* m) {
        tc_fifo_qopt opt{};
        opt.limit = 100;
        nla_put(m, TCA_OPTIONS, sizeof opt, &opt); // not nested: the struct itself
    });
    CHECK(std::get<Qdisc>(parse(pfifo).object).params.limit == 100U);
    auto clsact = tc_message(RTM_NEWQDISC, 3, 0xffff0000, TC_H_CLSACT, "clsact");
    const auto q = std::get<Qdisc>(parse(clsact).object);
    CHECK(q.kind == "clsact");
    CHECK(q.params == TcParams{});
}

TEST_CASE("a u32 filter reports priority, protocol, chain and class id", "[unit][parser]")
{
    const std::uint32_t info = TC_H_MAKE(5U << 16, htons(0x0800));
    auto msg = tc_message(RTM_NEWTFILTER, 3, 0x800800, 0x10000, "u32", [](nl_msg* m) {
        nla_put_u32(m, TCA_CHAIN, 2);
        nested_options(m, [](nl_msg* n) { nla_put_u32(n, TCA_U32_CLASSID, 0x10010); });
    }, info);
    const auto f = std::get<Filter>(parse(msg).object);
    CHECK(f.ifindex == 3);
    CHECK(f.handle == 0x800800);
    CHECK(f.parent == 0x10000);
    CHECK(f.priority == 5U);
    CHECK(f.protocol == 0x0800);
    CHECK(f.chain == 2U);
    CHECK(f.kind == "u32");
    CHECK(f.classid == 0x10010U);
}

TEST_CASE("deletions are removals; other message types are not tc", "[unit][parser]")
{
    auto del = tc_message(RTM_DELTFILTER, 3, 0, 0x10000, "u32", nullptr, TC_H_MAKE(5U << 16, htons(0x0800)));
    auto update = parse(del);
    CHECK(update.removed);
    CHECK(std::get<Filter>(update.object).handle == 0);
    CHECK(parse(tc_message(RTM_DELQDISC, 3, 0x10000, TC_H_ROOT, "htb")).removed);
    CHECK(parse(tc_message(RTM_DELTCLASS, 3, 0x10010, TC_H_ROOT, "htb")).removed);
    auto chain = tc_message(RTM_NEWCHAIN, 3, 0, 0x10000, "");
    CHECK_FALSE(parse_tc_message(nlmsg_hdr(chain.get()), kUnits));
}
