#include "bus/namespace_object.hpp"

#include "bus/attributes.hpp"
#include "bus/object_path.hpp"
#include "nswatch/dbus_names.hpp"

namespace nswatch {

NamespaceObject::NamespaceObject(sdbus::IConnection& connection, const NamespaceIdentity& identity,
                                 const NamespaceMirror& mirror, const std::string& state)
    : AdaptorInterfaces(connection, namespace_object_path(identity.name)), identity_(identity), mirror_(mirror),
      state_(state)
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
    emitEvents(identity_.name, out);
}

void NamespaceObject::publish_resynced(const std::string& reason)
{
    emitResynced(identity_.name, mirror_.seq(), reason);
}

void NamespaceObject::publish_state_changed()
{
    emitPropertiesChangedSignal(dbus::kNamespaceInterface, {"State"});
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
