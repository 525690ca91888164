#include "bus/events_message.hpp"

#include "bus/attribute_list.hpp"
#include "bus/wire_writer.hpp"
#include "nswatch/dbus_names.hpp"

namespace nswatch {

namespace {

// D-Bus header field codes and the message type (the specification's
// "Message Format" section).
constexpr std::uint8_t kFieldPath = 1;
constexpr std::uint8_t kFieldInterface = 2;
constexpr std::uint8_t kFieldMember = 3;
constexpr std::uint8_t kFieldSignature = 8;
constexpr std::uint8_t kTypeSignal = 4;
constexpr std::uint8_t kFlagNoReplyExpected = 0x1;
constexpr std::uint8_t kProtocolVersion = 1;

// One a{sv} entry: {sv} aligned to 8, the key, the variant's signature and
// its value.
struct PutEntry {
    WireWriter& out;

    void entry(const char* key, char code) const { out.dict_entry_key(key, code); }
    void operator()(const char* key, std::string_view value) const
    {
        entry(key, 's');
        out.string(value);
    }
    void operator()(const char* key, bool value) const
    {
        entry(key, 'b');
        out.boolean(value);
    }
    void operator()(const char* key, std::uint16_t value) const
    {
        entry(key, 'q');
        out.u16(value);
    }
    void operator()(const char* key, std::int32_t value) const
    {
        entry(key, 'i');
        out.i32(value);
    }
    void operator()(const char* key, std::uint32_t value) const
    {
        entry(key, 'u');
        out.u32(value);
    }
    void operator()(const char* key, std::uint64_t value) const
    {
        entry(key, 't');
        out.u64(value);
    }
};

void write_event(WireWriter& out, const SequencedEvent& event)
{
    out.align(8); // (ttsia{sv})
    out.u64(event.seq);
    out.u64(event.event.time_usec);
    out.string(event_type_name(event.event));
    out.i32(object_ifindex(event.event.object));
    const auto attributes = out.begin_array(8);
    for_each_attribute(event.event.object, PutEntry{out});
    out.end_array(attributes);
}

template <typename Value>
void header_field(WireWriter& out, std::uint8_t code, std::string_view type, const Value& write)
{
    out.align(8); // (yv)
    out.byte(code);
    out.signature(type);
    write();
}

// The body: the name, then the array of events.
void write_events_body(WireWriter& out, std::string_view name, std::span<const SequencedEvent> events)
{
    out.string(name);
    const auto array = out.begin_array(8);
    for (const auto& event : events) {
        write_event(out, event);
    }
    out.end_array(array);
}

} // namespace

std::string events_signal_message(std::string_view object_path, std::string_view name,
                                  std::span<const SequencedEvent> events, std::uint32_t serial)
{
    std::string message;
    message.reserve(256 + events.size() * 320);
    WireWriter out(message);
    out.byte('l'); // little-endian
    out.byte(kTypeSignal);
    out.byte(kFlagNoReplyExpected);
    out.byte(kProtocolVersion);
    out.u32(0); // body length, filled in below
    out.u32(serial);
    const auto fields = out.begin_array(8);
    header_field(out, kFieldPath, "o", [&] { out.string(object_path); });
    header_field(out, kFieldInterface, "s", [&] { out.string(dbus::kNamespaceInterface); });
    header_field(out, kFieldMember, "s", [&] { out.string("Events"); });
    header_field(out, kFieldSignature, "g", [&] { out.signature(kEventsBodySignature); });
    out.end_array(fields);
    out.align(8);
    const std::size_t body_start = out.size();
    write_events_body(out, name, events);
    out.patch_u32(4, static_cast<std::uint32_t>(out.size() - body_start));
    return message;
}

} // namespace nswatch
