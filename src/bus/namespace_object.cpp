#include "bus/namespace_object.hpp"

#include "bus/attributes.hpp"
#include "bus/enum_strings.hpp"
#include "nswatch/dbus_names.hpp"

namespace nswatch {

NamespaceObject::NamespaceObject(sdbus::IConnection& connection, const std::string& object_path,
                                 const NamespaceStatus& status, const NamespaceMirror& mirror)
    : AdaptorInterfaces(connection, object_path), status_(status), mirror_(mirror)
{
    registerAdaptor();
}

NamespaceObject::~NamespaceObject()
{
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

void NamespaceObject::publish_events(const std::vector<SequencedEvent>& events)
{
    if (events.empty()) {
        return;
    }
    std::vector<DbusEvent> out;
    out.reserve(events.size());
    for (const auto& event : events) {
        out.push_back(to_dbus(event));
    }
    emitEvents(status_.identity.name, out);
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

std::tuple<std::uint64_t, std::vector<sdbus::Struct<std::string, std::int32_t, std::map<std::string, sdbus::Variant>>>>
NamespaceObject::GetState()
{
    std::vector<DbusObject> objects;
    const auto& state = mirror_.state();
    objects.reserve(state.size());
    state.for_each([&](const KernelObject& object) { objects.push_back(to_dbus(object)); });
    return {mirror_.seq(), std::move(objects)};
}

} // namespace nswatch
