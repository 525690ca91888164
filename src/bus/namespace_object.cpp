#include "bus/namespace_object.hpp"

#include "bus/dbus_string.hpp"
#include "bus/enum_strings.hpp"
#include "bus/events_signal.hpp"
#include "bus/namespace_tree.hpp"
#include "bus/sd_bus_wrap.hpp"
#include "bus/snapshot_replies.hpp"
#include "nswatch/dbus_names.hpp"

#include <sdbus-c++/Error.h>

#include <cstdint>
#include <exception>
#include <utility>

namespace nswatch {

namespace {

// A C callback's answer to an exception: sd-bus replies with the error.
int to_sd_bus_error(sd_bus_error* error) noexcept
{
    try {
        throw;
    } catch (const sdbus::Error& e) {
        return sd_bus_error_set(error, e.getName().c_str(), e.getMessage().c_str());
    } catch (const std::exception& e) {
        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, e.what());
    } catch (...) {
        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "unknown error");
    }
}

// Names, paths and commands come from the system as bytes: each that is
// not UTF-8 goes out as U+FFFD (dbus_string.hpp), or sd-bus refuses the
// whole property (and with it InterfacesAdded).
int append(sd_bus_message* reply, const std::string& value)
{
    return sd_bus_message_append_basic(reply, SD_BUS_TYPE_STRING, dbus_string(value).c_str());
}
int append(sd_bus_message* reply, std::uint64_t value)
{
    return sd_bus_message_append_basic(reply, SD_BUS_TYPE_UINT64, &value);
}
int append(sd_bus_message* reply, std::uint32_t value)
{
    return sd_bus_message_append_basic(reply, SD_BUS_TYPE_UINT32, &value);
}

// A property getter for sd-bus: Value(object) appended to the reply.
template <auto Value>
int property(sd_bus* /*bus*/, const char* /*path*/, const char* /*interface*/, const char* /*property*/,
             sd_bus_message* reply, void* userdata, sd_bus_error* error) noexcept
{
    try {
        return append(reply, Value(*static_cast<const NamespaceObject*>(userdata)));
    } catch (...) {
        return to_sd_bus_error(error);
    }
}

const std::string& name(const NamespaceObject& o)
{
    return o.status().identity.name;
}
std::string source(const NamespaceObject& o)
{
    return source_string(o.status().identity.source);
}
std::uint64_t inode(const NamespaceObject& o)
{
    return o.status().identity.inode;
}
std::uint64_t cookie(const NamespaceObject& o)
{
    return o.status().cookie;
}
const std::string& nsfs_path(const NamespaceObject& o)
{
    return o.status().identity.path;
}
std::string state(const NamespaceObject& o)
{
    return state_string(o.status().state);
}
const std::string& state_reason(const NamespaceObject& o)
{
    return o.status().state_reason;
}
std::uint32_t holder_pid(const NamespaceObject& o)
{
    return static_cast<std::uint32_t>(o.status().holder.pid);
}
const std::string& holder_command(const NamespaceObject& o)
{
    return o.status().holder.command;
}
const std::string& unit(const NamespaceObject& o)
{
    return o.status().holder.unit;
}
const std::string& container(const NamespaceObject& o)
{
    return o.status().container;
}
std::uint64_t seq(const NamespaceObject& o)
{
    return o.mirror().seq();
}

// The XML's EmitsChangedSignal: absent (true), "const", "false". These are
// the flags sdbus-c++ gave the same properties.
constexpr std::uint64_t kEmitsChange = SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE;
constexpr std::uint64_t kConst = SD_BUS_VTABLE_PROPERTY_CONST;
constexpr std::uint64_t kNoSignal = 0;

void check(int r, const char* what)
{
    SDBUS_THROW_ERROR_IF(r < 0, what, -r);
}

} // namespace

const sd_bus_vtable* NamespaceObject::vtable() noexcept
{
    // In sdbus-c++'s order (methods, signals, properties, each sorted by
    // name), so Introspect lists the members as it did. Methods are
    // UNPRIVILEGED as sdbus-c++ makes them (the bus policy decides who may
    // call).
    static const sd_bus_vtable table[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_NAMES("GetState", "", "", "ta(sia{sv})", SD_BUS_PARAM(seq) SD_BUS_PARAM(objects),
                                 &NamespaceObject::get_state, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_NAMES("Events", "sa(ttsia{sv})", SD_BUS_PARAM(name) SD_BUS_PARAM(events), 0),
        SD_BUS_SIGNAL_WITH_NAMES("Resynced", "sts", SD_BUS_PARAM(name) SD_BUS_PARAM(seq) SD_BUS_PARAM(reason), 0),
        SD_BUS_PROPERTY("Container", "s", &property<container>, 0, kEmitsChange),
        SD_BUS_PROPERTY("Cookie", "t", &property<cookie>, 0, kConst),
        SD_BUS_PROPERTY("HolderCommand", "s", &property<holder_command>, 0, kEmitsChange),
        SD_BUS_PROPERTY("HolderPid", "u", &property<holder_pid>, 0, kEmitsChange),
        SD_BUS_PROPERTY("Inode", "t", &property<inode>, 0, kConst),
        SD_BUS_PROPERTY("Name", "s", &property<name>, 0, kConst),
        SD_BUS_PROPERTY("Path", "s", &property<nsfs_path>, 0, kEmitsChange),
        SD_BUS_PROPERTY("Seq", "t", &property<seq>, 0, kNoSignal),
        SD_BUS_PROPERTY("Source", "s", &property<source>, 0, kConst),
        SD_BUS_PROPERTY("State", "s", &property<state>, 0, kEmitsChange),
        SD_BUS_PROPERTY("StateReason", "s", &property<state_reason>, 0, kEmitsChange),
        SD_BUS_PROPERTY("Unit", "s", &property<unit>, 0, kEmitsChange),
        SD_BUS_VTABLE_END,
    };
    return table;
}

NamespaceObject::NamespaceObject(NamespaceTree& tree, std::string object_path, const NamespaceStatus& status,
                                 const NamespaceMirror& mirror)
    : tree_(tree), path_(std::move(object_path)), status_(status), mirror_(mirror)
{
    tree_.add(*this);
}

NamespaceObject::~NamespaceObject()
{
    tree_.remove(*this);
    snapshot_replies().cancel(this);
}

void NamespaceObject::announce()
{
    check(sd_bus_emit_interfaces_added(tree_.bus(), path_.c_str(), dbus::kNamespaceInterface, nullptr),
          "Failed to emit InterfacesAdded signal");
}

void NamespaceObject::withdraw()
{
    check(sd_bus_emit_interfaces_removed(tree_.bus(), path_.c_str(), dbus::kNamespaceInterface, nullptr),
          "Failed to emit InterfacesRemoved signal");
}

void NamespaceObject::publish_events(std::span<const SequencedEvent> events)
{
    if (events.empty()) {
        return;
    }
    emit_events_signal(tree_.loader(), tree_.bus(), path_.c_str(), status_.identity.name, events);
}

void NamespaceObject::publish_resynced(ResyncReason reason)
{
    const std::uint64_t seq = mirror_.seq();
    const std::string name = dbus_string(status_.identity.name);
    check(sd_bus_emit_signal(tree_.bus(), path_.c_str(), dbus::kNamespaceInterface, "Resynced", "sts", name.c_str(),
                             seq, resync_reason_string(reason).c_str()),
          "Failed to emit signal");
}

void NamespaceObject::publish_state_changed()
{
    check(sd_bus_emit_properties_changed(tree_.bus(), path_.c_str(), dbus::kNamespaceInterface, "State", "StateReason",
                                         nullptr),
          "Failed to emit PropertiesChanged signal");
}

void NamespaceObject::publish_holder_changed()
{
    check(sd_bus_emit_properties_changed(tree_.bus(), path_.c_str(), dbus::kNamespaceInterface, "Path", "HolderPid",
                                         "HolderCommand", "Unit", "Container", nullptr),
          "Failed to emit PropertiesChanged signal");
}

int NamespaceObject::get_state(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept
{
    // The reply is written straight from the mirror (no sdbus::Variant per
    // attribute), a slice at a time by the bus loop (SnapshotReplies).
    // Returning 1 without a reply tells sd-bus the call is being handled.
    auto& self = *static_cast<NamespaceObject*>(userdata);
    try {
        snapshot_replies().start(wrap_method_call(call, self.tree_.sdbus()), self.mirror_, &self);
        return 1;
    } catch (...) {
        return to_sd_bus_error(error);
    }
}

} // namespace nswatch
