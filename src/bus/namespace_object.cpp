#include "bus/namespace_object.hpp"

#include "bus/enum_strings.hpp"
#include "bus/events_signal.hpp"
#include "bus/sd_bus_access.hpp"
#include "bus/snapshot_replies.hpp"
#include "nswatch/dbus_names.hpp"

namespace nswatch {

NamespaceObject::NamespaceObject(sdbus::IConnection& connection, const std::string& object_path,
                                 const NamespaceStatus& status, const NamespaceMirror& mirror)
    : AdaptorInterfaces(connection, object_path), status_(status), mirror_(mirror),
      bus_(SdBusAccess::bus(getObject().createSignal(dbus::kNamespaceInterface, "Events")))
{
    registerAdaptor();
}

NamespaceObject::~NamespaceObject()
{
    snapshot_replies().cancel(this);
    unregisterAdaptor();
}

void NamespaceObject::announce()
{
    emitInterfacesAddedSignal({dbus::kNamespaceInterface});
}

void NamespaceObject::withdraw()
{
    emitInterfacesRemovedSignal({dbus::kNamespaceInterface});
}

void NamespaceObject::publish_events(std::span<const SequencedEvent> events)
{
    if (events.empty()) {
        return;
    }
    emit_events_signal(bus_, getObject().getObjectPath().c_str(), status_.identity.name, events);
}

void NamespaceObject::publish_resynced(ResyncReason reason)
{
    emitResynced(status_.identity.name, mirror_.seq(), resync_reason_string(reason));
}

void NamespaceObject::publish_state_changed()
{
    emitPropertiesChangedSignal(dbus::kNamespaceInterface, {"State", "StateReason"});
}

void NamespaceObject::publish_holder_changed()
{
    emitPropertiesChangedSignal(dbus::kNamespaceInterface, {"Path", "HolderPid", "HolderCommand", "Unit", "Container"});
}

std::string NamespaceObject::Source()
{
    return source_string(status_.identity.source);
}

std::string NamespaceObject::State()
{
    return state_string(status_.state);
}

void NamespaceObject::GetState(
    sdbus::Result<std::uint64_t,
                  std::vector<sdbus::Struct<std::string, std::int32_t, std::map<std::string, sdbus::Variant>>>>&&
    /*unused*/)
{
    // The reply is written straight from the mirror instead of through
    // `result` (which would need a Variant per attribute), a slice at a time
    // by the bus loop (SnapshotReplies). The message being processed is the
    // MethodCall itself (sdbus-c++ creates it as one), and dropping `result`
    // unanswered sends nothing.
    const auto* call = static_cast<const sdbus::MethodCall*>(getObject().getCurrentlyProcessedMessage());
    snapshot_replies().start(*call, mirror_, this);
}

} // namespace nswatch
