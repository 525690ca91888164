// tc messages captured from Linux 6.18 (fixtures/rtnl_tc_fixtures.hpp) →
// Qdisc, TcClass and Filter values; bursts in bytes exactly as tc printed
// them. Malformed variants: rtnl_robustness_test.cpp.
#include "netlink/tc_parser.hpp"

#include "fixtures/rtnl_link_fixtures.hpp"
#include "fixtures/rtnl_tc_fixtures.hpp"
#include "rtnl_mutations.hpp"

#include <catch2/catch.hpp>

#include <linux/pkt_sched.h>

using namespace nswatch;
using namespace nswatch::fixtures;
using namespace nswatch::test;

namespace {

const PschedUnits kUnits{}; // 15.625 ticks per microsecond, as this kernel's /proc/net/psched

template <std::size_t N>
KernelUpdate parse(const std::array<std::byte, N>& fixture, const PschedUnits& units = kUnits)
{
    ParseError error;
    auto update = parse_tc_message(bytes_of(fixture), units, &error);
    INFO(to_string(error));
    REQUIRE(update);
    CHECK_FALSE(error);
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
    // Found by fuzzing: 100 Gbit/s × a 4-second buffer is 50 GB, past uint32.
    CHECK(xmit_size(12'500'000'000ULL, 0xffffffffU, kUnits) == 0xffffffffU);
    CHECK(xmit_size(125000, 200000, PschedUnits{0.0}) == 0xffffffffU);
}

TEST_CASE("an htb qdisc reports its default class, r2q and direct queue length", "[unit][parser]")
{
    const auto update = parse(kHtbQdisc);
    CHECK_FALSE(update.removed);
    const auto& q = std::get<Qdisc>(update.object);
    CHECK(q.ifindex == 5);
    CHECK(q.handle == 0x10000U);
    CHECK(q.parent == kTcRoot);
    CHECK(q.kind == "htb");
    CHECK(q.params.default_class == 0x10U);
    CHECK(q.params.r2q == 10U);
    CHECK(q.params.direct_qlen == 1000U);
    CHECK_FALSE(q.params.rate);
}

TEST_CASE("an htb class reports rate, ceil, burst and cburst in bytes", "[unit][parser]")
{
    const auto c = std::get<TcClass>(parse(kHtbClass).object);
    CHECK(c.ifindex == 5);
    CHECK(c.handle == 0x10010U);
    CHECK(c.parent == kTcRoot);
    CHECK(c.kind == "htb");
    CHECK(c.params.rate == 375000U); // 3mbit
    CHECK(c.params.ceil == 500000U); // 4mbit
    CHECK(c.params.burst == xmit_size(375000, 66656, kUnits));
    CHECK(c.params.burst == 1599U); // what tc printed for this class
    CHECK(c.params.cburst == 1600U);
    CHECK(c.params.quantum == 37500U);
    CHECK(c.params.prio == 2U);
}

TEST_CASE("the psched units are a parameter, not a hidden read", "[unit][parser]")
{
    // The same ticks on a clock four times coarser are four times the time.
    const auto c = std::get<TcClass>(parse(kHtbClass, PschedUnits{15.625 / 4}).object);
    CHECK(c.params.burst == xmit_size(375000, 66656, PschedUnits{15.625 / 4}));
    CHECK(c.params.burst == 6398U);
}

TEST_CASE("rates above 4 GB/s come from the 64-bit attributes", "[unit][parser]")
{
    const auto c = std::get<TcClass>(parse(kHtbClass64).object);
    CHECK(c.params.rate == 12'500'000'000ULL); // 100gbit
    CHECK(c.params.ceil == 12'500'000'000ULL);
    CHECK(c.params.burst == 0U); // tc printed burst 0b cburst 0b
    CHECK(c.params.cburst == 0U);
}

TEST_CASE("a tbf qdisc reports rate, burst and limit; peakrate and mtu only when set", "[unit][parser]")
{
    const auto plain = std::get<Qdisc>(parse(kTbfQdisc).object);
    CHECK(plain.handle == 0x200000U);
    CHECK(plain.parent == 0x10010U);
    CHECK(plain.kind == "tbf");
    CHECK(plain.params.rate == 250000U);
    CHECK(plain.params.burst == 10240U); // tc printed burst 10Kb
    CHECK(plain.params.limit == 20480U);
    CHECK_FALSE(plain.params.peakrate);
    CHECK_FALSE(plain.params.mtu);
    const auto peaked = std::get<Qdisc>(parse(kTbfPeakQdisc).object);
    CHECK(peaked.params.peakrate == 500000U); // 4mbit
    CHECK(peaked.params.mtu == 1600U);        // tc printed mtu 1600b
}

TEST_CASE("pfifo reports its packet limit, pfifo_fast its bands", "[unit][parser]")
{
    const auto pfifo = std::get<Qdisc>(parse(kPfifoQdisc).object);
    CHECK(pfifo.ifindex == 4);
    CHECK(pfifo.handle == 0x30000U);
    CHECK(pfifo.kind == "pfifo");
    CHECK(pfifo.params.limit == 100U);
    const auto fast = std::get<Qdisc>(parse(kPfifoFastQdisc).object);
    CHECK(fast.ifindex == 7);
    CHECK(fast.handle == 0x80010000U);
    CHECK(fast.kind == "pfifo_fast");
    CHECK(fast.params.bands == 3U);
}

TEST_CASE("clsact and ingress have no parameters", "[unit][parser]")
{
    const auto clsact = std::get<Qdisc>(parse(kClsactQdisc).object);
    CHECK(clsact.kind == "clsact");
    CHECK(clsact.handle == 0xffff0000U);
    CHECK(clsact.parent == TC_H_CLSACT);
    CHECK(clsact.params == TcParams{});
    const auto ingress = std::get<Qdisc>(parse(kIngressQdisc).object);
    CHECK(ingress.kind == "ingress");
    CHECK(ingress.parent == TC_H_INGRESS);
    CHECK(ingress.params == TcParams{});
}

TEST_CASE("a u32 filter reports priority, protocol, chain and class id", "[unit][parser]")
{
    const auto f = std::get<Filter>(parse(kU32Filter).object);
    CHECK(f.ifindex == 5);
    CHECK(f.handle == 0x80000800U); // 800::800
    CHECK(f.parent == 0x10000U);
    CHECK(f.priority == 5U);
    CHECK(f.protocol == 0x0800);
    CHECK(f.chain == 2U);
    CHECK(f.kind == "u32");
    CHECK(f.classid == 0x10010U);
}

TEST_CASE("u32's protocol entry and hash table are filters without class id", "[unit][parser]")
{
    const auto entry = std::get<Filter>(parse(kU32ProtoEntry).object);
    CHECK(entry.handle == 0U);
    CHECK(entry.priority == 5U);
    CHECK(entry.protocol == 0x0800);
    CHECK(entry.chain == 2U);
    CHECK_FALSE(entry.classid);
    const auto table = std::get<Filter>(parse(kU32HashTable).object);
    CHECK(table.handle == 0x80000000U); // 800:
    CHECK_FALSE(table.classid);
}

TEST_CASE("deletions are removals with the last attributes", "[unit][parser]")
{
    const auto filter = parse(kU32FilterDel);
    CHECK(filter.removed);
    CHECK(std::get<Filter>(filter.object).classid == 0x10010U);
    const auto prio = parse(kU32PrioDel);
    CHECK(prio.removed);
    CHECK(std::get<Filter>(prio.object).handle == 0U);
    const auto tclass = parse(kHtbClassDel);
    CHECK(tclass.removed);
    CHECK(std::get<TcClass>(tclass.object).params.rate == 12'500'000'000ULL);
    const auto qdisc = parse(kHtbQdiscDel);
    CHECK(qdisc.removed);
    CHECK(std::get<Qdisc>(qdisc.object).params.default_class == 0x10U);
    const auto noqueue = parse(kNoqueueDelQdisc);
    CHECK(noqueue.removed);
    CHECK(std::get<Qdisc>(noqueue.object).kind == "noqueue");
}

TEST_CASE("other message types are not tc", "[unit][parser]")
{
    ParseError error;
    CHECK_FALSE(parse_tc_message(bytes_of(kNewChain), kUnits, &error));
    CHECK_FALSE(parse_tc_message(bytes_of(kVethNewLink), kUnits, &error));
    CHECK_FALSE(error);
}
