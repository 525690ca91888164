// The hand-marshalled Events signal (events_message.cpp) must be exactly
// what sd-bus would write: dbus-daemon disconnects a peer that sends a
// malformed message, and clients read these bytes with their own library.
#include "bus/wire_writer.hpp"
#include "bus/events_message.hpp"
#include "bus/events_signal.hpp"
#include "bus/wire_message_loader.hpp"
#include "nswatch/dbus_names.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <vector>

using namespace nswatch;

namespace {

constexpr const char* kPath = "/org/nswatch1/netns/ns_2d1";

SequencedEvent sequenced(std::uint64_t seq, Change change, KernelObject object)
{
    return {seq, ObjectEvent{change, 1'700'000'000'000'000 + seq, std::move(object)}};
}

// Every kind of object, every attribute type, absent and present optionals.
std::vector<SequencedEvent> every_kind()
{
    Link link = test::make_link(7, "veth-a", 9000, 0x1);
    link.master = 3;
    link.link_netnsid = 0;
    Link bare; // empty strings, no address
    bare.ifindex = 1;
    Qdisc htb{7, 0x10000, 0xffffffff, "htb", {}};
    htb.params.default_class = 0x10;
    htb.params.r2q = 10;
    htb.params.direct_qlen = 1000;
    TcClass tc_class{7, 0x10010, 0x10000, "htb", {}};
    tc_class.params = TcParams{125000, 250000, 300000, 1600, 1600, 100, 1500, 1, 1514, {}, {}, {}, 3};
    Filter u32{7, 0x800, 0x10000, 49152, 0x0800, 0, "u32", 0x10010};
    Filter proto{7, 0, 0x10000, 49152, 0x0800, 2, "u32", std::nullopt};
    return {sequenced(1, Change::Added, link),
            sequenced(2, Change::Changed, bare),
            sequenced(3, Change::Added, htb),
            sequenced(4, Change::Changed, tc_class),
            sequenced(5, Change::Added, u32),
            sequenced(6, Change::Removed, proto),
            sequenced(7, Change::Removed, test::make_link(8, "x"))};
}

struct MessageUnref {
    void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

// The signal as sd-bus marshals it, and the serial it gave it.
std::string sd_bus_bytes(WireMessageLoader& loader, std::string_view name, std::span<const SequencedEvent> events,
                         std::uint32_t& serial)
{
    sd_bus_message* raw = nullptr;
    REQUIRE(sd_bus_message_new_signal(loader.private_bus(), &raw, kPath, dbus::kNamespaceInterface, "Events") >= 0);
    MessagePtr message(raw);
    REQUIRE(append_events_with_sd_bus(message.get(), name, events) >= 0);
    std::string bytes;
    REQUIRE(loader.marshal_with_sd_bus(message.get(), bytes) >= 0);
    std::uint64_t cookie = 0;
    REQUIRE(sd_bus_message_get_cookie(message.get(), &cookie) >= 0);
    serial = static_cast<std::uint32_t>(cookie);
    return bytes;
}

} // namespace

TEST_CASE("an Events signal marshalled by hand is byte for byte the one sd-bus writes", "[unit][dbus]")
{
    WireMessageLoader loader;
    const auto events = every_kind();
    const std::span<const SequencedEvent> all(events);
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{2}, events.size()}) {
        for (std::size_t first = 0; first + count <= events.size(); first += std::max<std::size_t>(count, 1)) {
            const auto some = all.subspan(first, count);
            std::uint32_t serial = 0;
            const std::string expected = sd_bus_bytes(loader, "ns-1", some, serial);
            CHECK(events_signal_message(kPath, "ns-1", some, serial) == expected);
        }
    }
}

TEST_CASE("names that are not UTF-8 are sent with U+FFFD, as sd-bus would be given them", "[unit][dbus]")
{
    WireMessageLoader loader;
    const std::vector<SequencedEvent> events{sequenced(1, Change::Added, test::make_link(2, "bad\xff\xfe"))};
    std::uint32_t serial = 0;
    const std::string expected = sd_bus_bytes(loader, "ns\xc0\x80", events, serial);
    CHECK(events_signal_message(kPath, "ns\xc0\x80", events, serial) == expected);
    CHECK(expected.find("bad\xef\xbf\xbd\xef\xbf\xbd") != std::string::npos);
}

TEST_CASE("a hand-marshalled signal loads as an sd-bus message that reads back the events", "[unit][dbus]")
{
    WireMessageLoader loader;
    const auto events = every_kind();
    sd_bus_message* raw = nullptr;
    REQUIRE(loader.load(events_signal_message(kPath, "ns-1", events, loader.next_serial()), &raw) == 0);
    MessagePtr message(raw);
    CHECK(std::string_view(sd_bus_message_get_path(raw)) == kPath);
    CHECK(std::string_view(sd_bus_message_get_interface(raw)) == dbus::kNamespaceInterface);
    CHECK(std::string_view(sd_bus_message_get_member(raw)) == "Events");
    CHECK(std::string_view(sd_bus_message_get_signature(raw, 1)) == kEventsBodySignature);
    const char* name = nullptr;
    REQUIRE(sd_bus_message_read(raw, "s", &name) > 0);
    CHECK(std::string_view(name) == "ns-1");
    REQUIRE(sd_bus_message_enter_container(raw, 'a', "(ttsia{sv})") > 0);
    for (const auto& event : events) {
        std::uint64_t seq = 0;
        std::uint64_t time = 0;
        const char* type = nullptr;
        std::int32_t ifindex = 0;
        REQUIRE(sd_bus_message_enter_container(raw, 'r', "ttsia{sv}") > 0);
        REQUIRE(sd_bus_message_read(raw, "ttsi", &seq, &time, &type, &ifindex) > 0);
        CHECK(seq == event.seq);
        CHECK(time == event.event.time_usec);
        CHECK(type == event_type_name(event.event));
        CHECK(ifindex == object_ifindex(event.event.object));
        REQUIRE(sd_bus_message_skip(raw, "a{sv}") >= 0);
        REQUIRE(sd_bus_message_exit_container(raw) > 0);
    }
    REQUIRE(sd_bus_message_exit_container(raw) > 0);
    CHECK(sd_bus_message_at_end(raw, 1) > 0);
}

TEST_CASE("a truncated message is refused and the loader goes on with the next", "[unit][dbus]")
{
    WireMessageLoader loader;
    const auto events = every_kind();
    const std::string bytes = events_signal_message(kPath, "ns-1", events, loader.next_serial());
    sd_bus_message* raw = nullptr;
    CHECK(loader.load(std::string_view(bytes).substr(0, bytes.size() - 3), &raw) < 0);
    CHECK(raw == nullptr);
    REQUIRE(loader.load(events_signal_message(kPath, "ns-1", events, loader.next_serial()), &raw) == 0);
    MessagePtr message(raw);
    CHECK(std::string_view(sd_bus_message_get_member(raw)) == "Events");
}

TEST_CASE("a signal larger than the socket buffer loads whole", "[unit][dbus]")
{
    WireMessageLoader loader;
    std::vector<SequencedEvent> events;
    for (std::uint64_t seq = 1; seq <= 5000; ++seq) { // ≈ 1.3 MB
        events.push_back(sequenced(seq, Change::Changed, test::make_link(static_cast<int>(seq), "link")));
    }
    sd_bus_message* raw = nullptr;
    REQUIRE(loader.load(events_signal_message(kPath, "ns-1", events, loader.next_serial()), &raw) == 0);
    MessagePtr message(raw);
    CHECK(std::string_view(sd_bus_message_get_member(raw)) == "Events");
}

TEST_CASE("strings are checked for UTF-8 as D-Bus and sd-bus require", "[unit][dbus]")
{
    CHECK(is_dbus_string(""));
    CHECK(is_dbus_string("veth0"));
    CHECK(is_dbus_string("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80")); // ü ß € 😀
    CHECK_FALSE(is_dbus_string(std::string_view("a\0b", 3)));
    CHECK_FALSE(is_dbus_string("\xff"));
    CHECK_FALSE(is_dbus_string("\xc0\x80"));         // overlong NUL
    CHECK_FALSE(is_dbus_string("\xed\xa0\x80"));     // a UTF-16 surrogate
    CHECK_FALSE(is_dbus_string("\xf4\x90\x80\x80")); // past U+10FFFF
    CHECK_FALSE(is_dbus_string("\xef\xbf\xbf"));     // U+FFFF, a noncharacter
    CHECK_FALSE(is_dbus_string("\xe2\x82"));         // cut short
    CHECK(to_dbus_string("a\xff"
                         "b") == "a\xef\xbf\xbd"
                                 "b");
    CHECK(to_dbus_string("\xe2\x82") == "\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(to_dbus_string(std::string_view("a\0", 2)) == "a\xef\xbf\xbd");
    CHECK(to_dbus_string("\xe2\x82\xac") == "\xe2\x82\xac");
}
