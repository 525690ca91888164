// libFuzzer target: the hand-marshalled Events signal (events_message.cpp)
// for any events, any strings (not UTF-8, NULs) and any values.
//  - it is byte for byte what sd-bus writes for the same events (the
//    reference, append_events_with_sd_bus, sent on WireMessageLoader's
//    private connection and read back), with the serial sd-bus gave it;
//  - it loads as an sd-bus message (dbus-daemon would take it).
#include "bus/events_message.hpp"
#include "bus/events_signal.hpp"
#include "bus/wire_message_loader.hpp"
#include "nswatch/dbus_names.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <memory>
#include <vector>

using namespace nswatch;

namespace {

template <typename T>
std::optional<T> maybe(FuzzedDataProvider& in)
{
    if (in.ConsumeBool()) {
        return in.ConsumeIntegral<T>();
    }
    return std::nullopt;
}

TcParams params(FuzzedDataProvider& in)
{
    TcParams p;
    p.rate = maybe<std::uint64_t>(in);
    p.ceil = maybe<std::uint64_t>(in);
    p.peakrate = maybe<std::uint64_t>(in);
    p.burst = maybe<std::uint32_t>(in);
    p.cburst = maybe<std::uint32_t>(in);
    p.limit = maybe<std::uint32_t>(in);
    p.mtu = maybe<std::uint32_t>(in);
    p.prio = maybe<std::uint32_t>(in);
    p.quantum = maybe<std::uint32_t>(in);
    p.default_class = maybe<std::uint32_t>(in);
    p.r2q = maybe<std::uint32_t>(in);
    p.direct_qlen = maybe<std::uint32_t>(in);
    p.bands = maybe<std::uint32_t>(in);
    return p;
}

KernelObject object(FuzzedDataProvider& in)
{
    switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {
        Link link;
        link.ifindex = in.ConsumeIntegral<std::int32_t>();
        link.name = in.ConsumeRandomLengthString(40);
        link.kind = in.ConsumeRandomLengthString(20);
        link.mtu = in.ConsumeIntegral<std::uint32_t>();
        link.flags = in.ConsumeIntegral<std::uint32_t>();
        link.operstate = in.ConsumeIntegral<std::uint8_t>();
        link.address = in.ConsumeRandomLengthString(40);
        link.master = in.ConsumeIntegral<std::int32_t>();
        link.link_netnsid = in.ConsumeIntegral<std::int32_t>();
        return link;
    }
    case 1:
        return Qdisc{in.ConsumeIntegral<std::int32_t>(), in.ConsumeIntegral<std::uint32_t>(),
                     in.ConsumeIntegral<std::uint32_t>(), in.ConsumeRandomLengthString(20), params(in)};
    case 2:
        return TcClass{in.ConsumeIntegral<std::int32_t>(), in.ConsumeIntegral<std::uint32_t>(),
                       in.ConsumeIntegral<std::uint32_t>(), in.ConsumeRandomLengthString(20), params(in)};
    default:
        return Filter{in.ConsumeIntegral<std::int32_t>(),  in.ConsumeIntegral<std::uint32_t>(),
                      in.ConsumeIntegral<std::uint32_t>(), in.ConsumeIntegral<std::uint32_t>(),
                      in.ConsumeIntegral<std::uint16_t>(), in.ConsumeIntegral<std::uint32_t>(),
                      in.ConsumeRandomLengthString(20),    maybe<std::uint32_t>(in)};
    }
}

struct MessageUnref {
    void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static WireMessageLoader loader; // one private connection for the whole run
    FuzzedDataProvider in(data, size);
    const std::string name = in.ConsumeRandomLengthString(40);
    std::vector<SequencedEvent> events;
    while (in.remaining_bytes() > 0 && events.size() < 16) {
        const auto change = static_cast<Change>(in.ConsumeIntegralInRange(0, 2));
        const auto seq = in.ConsumeIntegral<std::uint64_t>();
        const auto time = in.ConsumeIntegral<std::uint64_t>();
        events.push_back({seq, ObjectEvent{change, time, object(in)}});
    }

    constexpr const char* kPath = "/org/nswatch1/netns/fuzz";
    sd_bus_message* raw = nullptr;
    if (sd_bus_message_new_signal(loader.private_bus(), &raw, kPath, dbus::kNamespaceInterface, "Events") < 0) {
        std::abort();
    }
    MessagePtr reference(raw);
    std::string expected;
    std::uint64_t cookie = 0;
    if (append_events_with_sd_bus(reference.get(), name, events) < 0 ||
        loader.marshal_with_sd_bus(reference.get(), expected) < 0 ||
        sd_bus_message_get_cookie(reference.get(), &cookie) < 0) {
        std::abort(); // sd-bus refused what dbus_string() made of the strings
    }
    const std::string ours = events_signal_message(kPath, name, events, static_cast<std::uint32_t>(cookie));
    if (ours != expected) {
        std::abort();
    }
    sd_bus_message* loaded = nullptr;
    if (loader.load(ours, &loaded) < 0) {
        std::abort();
    }
    sd_bus_message_unref(loaded);
    return 0;
}
