// libFuzzer target: NamespaceState under any sequence of kernel reports.
//  - diff_to(t) applied to a copy reaches t exactly (what a resync relies on);
//  - the events upsert/erase return, applied to a mirror, keep the mirror
//    equal to the state (what the bus thread relies on);
//  - erasing a link leaves nothing on that link, erasing a qdisc leaves none
//    of its classes (no orphans in a client's tree).
#include "events/namespace_state.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>

using namespace nswatch;

namespace {

KernelObject object(FuzzedDataProvider& in)
{
    // Small value ranges: parents, handles and links collide often.
    const int ifindex = in.ConsumeIntegralInRange(1, 3);
    const std::uint32_t major = in.ConsumeIntegralInRange<std::uint32_t>(1, 2) << 16;
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {
        Link link;
        link.ifindex = ifindex;
        link.name = "l" + std::to_string(ifindex);
        link.mtu = in.ConsumeIntegralInRange<std::uint32_t>(1000, 1002);
        return link;
    }
    case 1: {
        Qdisc qdisc;
        qdisc.ifindex = ifindex;
        qdisc.handle = major;
        qdisc.parent = in.ConsumeBool() ? kTcRoot : (in.ConsumeIntegralInRange<std::uint32_t>(1, 2) << 16) | 1;
        qdisc.kind = in.ConsumeBool() ? "htb" : "tbf";
        return qdisc;
    }
    case 2: {
        TcClass tc_class;
        tc_class.ifindex = ifindex;
        tc_class.handle = major | in.ConsumeIntegralInRange<std::uint32_t>(1, 2);
        tc_class.parent = in.ConsumeBool() ? major : major | 1;
        tc_class.kind = "htb";
        if (in.ConsumeBool()) {
            tc_class.params.rate = in.ConsumeIntegralInRange<std::uint64_t>(1, 2);
        }
        return tc_class;
    }
    default: {
        Filter filter;
        filter.ifindex = ifindex;
        filter.parent = in.ConsumeBool() ? major : major | 1;
        filter.priority = in.ConsumeIntegralInRange<std::uint32_t>(1, 2);
        filter.protocol = 0x0800;
        filter.handle = in.ConsumeIntegralInRange<std::uint32_t>(0, 2);
        filter.kind = "u32";
        return filter;
    }
    }
}

void build(FuzzedDataProvider& in, NamespaceState& state, NamespaceState& mirror)
{
    for (int n = in.ConsumeIntegralInRange(0, 24); n > 0 && in.remaining_bytes() > 0; --n) {
        const auto obj = object(in);
        if (in.ConsumeBool()) {
            if (auto event = state.upsert(obj, 1)) {
                mirror.apply(*event);
            }
            continue;
        }
        for (const auto& event : state.erase(obj, 1)) {
            mirror.apply(event);
        }
        const auto removed = key_of(obj);
        state.for_each([&](const KernelObject& left) {
            const auto key = key_of(left);
            if (std::holds_alternative<Link>(obj) && key.ifindex == removed.ifindex) {
                std::abort(); // an orphan of a removed link
            }
            if (std::holds_alternative<Qdisc>(obj) && std::holds_alternative<TcClass>(left) &&
                key.ifindex == removed.ifindex && tc_major(key.handle) == tc_major(removed.handle)) {
                std::abort(); // an orphan class of a removed qdisc
            }
        });
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    NamespaceState a;
    NamespaceState a_mirror;
    build(in, a, a_mirror);
    NamespaceState b;
    NamespaceState b_mirror;
    build(in, b, b_mirror);
    if (!(a == a_mirror) || !(b == b_mirror)) {
        std::abort(); // the events describe the state exactly
    }
    NamespaceState reached = a;
    for (const auto& event : a.diff_to(b, 2)) {
        reached.apply(event);
    }
    if (!(reached == b)) {
        std::abort();
    }
    return 0;
}
