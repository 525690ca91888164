#include "bus/events_signal.hpp"

#include "bus/dbus_string.hpp"
#include "bus/events_message.hpp"
#include "bus/message_writer.hpp"
#include "bus/wire_message_loader.hpp"
#include "nswatch/dbus_names.hpp"

#include <sdbus-c++/Error.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <system_error>

namespace nswatch {

namespace {

struct MessageUnref {
    void operator()(sd_bus_message* m) const noexcept { sd_bus_message_unref(m); }
};
using MessagePtr = std::unique_ptr<sd_bus_message, MessageUnref>;

MessagePtr load_wire_message(WireMessageLoader& loader, const char* object_path, std::string_view name,
                             std::span<const SequencedEvent> events)
{
    const std::string bytes = events_signal_message(object_path, name, events, loader.next_serial());
    sd_bus_message* loaded = nullptr;
    const int r = loader.load(bytes, &loaded);
    if (r >= 0) {
        return MessagePtr(loaded);
    }
    if (loader.first_failure()) { // logged once until a load works again
        spdlog::warn("Events of {}: the wire-marshalled signal could not be loaded ({}); writing Events with "
                     "sd-bus's calls until it can",
                     dbus_string(name), std::error_code(-r, std::generic_category()).message());
    }
    return nullptr;
}

MessagePtr write_with_sd_bus(sd_bus* bus, const char* object_path, std::string_view name,
                             std::span<const SequencedEvent> events)
{
    sd_bus_message* raw = nullptr;
    int r = sd_bus_message_new_signal(bus, &raw, object_path, dbus::kNamespaceInterface, "Events");
    MessagePtr message(raw);
    if (r >= 0) {
        r = append_events_with_sd_bus(message.get(), name, events);
    }
    if (r < 0) {
        throw sdbus::createError(-r, "Failed to write the Events signal");
    }
    return message;
}

} // namespace

int append_events_with_sd_bus(sd_bus_message* m, std::string_view name, std::span<const SequencedEvent> events)
{
    const std::string text = dbus_string(name);
    int r = sd_bus_message_append_basic(m, SD_BUS_TYPE_STRING, text.c_str());
    if (r >= 0) {
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "(ttsia{sv})");
    }
    for (const auto& event : events) {
        if (r < 0) {
            return r;
        }
        const std::string type = event_type_name(event.event);
        const std::int32_t ifindex = object_ifindex(event.event.object);
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "ttsia{sv}");
        if (r >= 0) {
            r = sd_bus_message_append(m, "ttsi", event.seq, event.event.time_usec, type.c_str(), ifindex);
        }
        if (r >= 0) {
            r = append_attributes(m, event.event.object);
        }
        if (r >= 0) {
            r = sd_bus_message_close_container(m);
        }
    }
    return r < 0 ? r : sd_bus_message_close_container(m);
}

void emit_events_signal(WireMessageLoader& loader, sd_bus* bus, const char* object_path, std::string_view name,
                        std::span<const SequencedEvent> events)
{
    MessagePtr message = load_wire_message(loader, object_path, name, events);
    if (!message) {
        message = write_with_sd_bus(bus, object_path, name, events);
    }
    const int r = sd_bus_send(bus, message.get(), nullptr);
    if (r < 0) {
        throw sdbus::createError(-r, "Failed to emit the Events signal");
    }
}

} // namespace nswatch
