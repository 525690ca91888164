// DbusPublisher: see the header. Each call is a few D-Bus calls in the
// order clients rely on (an object exists before NamespaceAdded names it,
// and is gone before NamespaceRemoved).
#include "bus/dbus_publisher.hpp"

#include "bus/namespace_object.hpp"
#include "nswatch/dbus_names.hpp"

#include <sdbus-c++/IObject.h>

namespace nswatch {

namespace {

// A signal made and never sent, by an sdbus-c++ object that registers
// nothing and is gone at once: the tree takes the connection's sd_bus from
// it (sdbus-c++ 1.2 has no other way to it).
sdbus::Signal probe_message(sdbus::IConnection& connection)
{
    auto object = sdbus::createObject(connection, dbus::kNamespacePathPrefix);
    return object->createSignal(dbus::kNamespaceInterface, "Resynced");
}

} // namespace

DbusPublisher::DbusPublisher(sdbus::IConnection& connection, const ManagerBackend& backend, NamespaceControl& control)
    : manager_(connection, backend, control), tree_(probe_message(connection))
{
}

std::unique_ptr<NamespaceSink> DbusPublisher::export_namespace(const std::string& object_path,
                                                               const NamespaceStatus& status,
                                                               const NamespaceMirror& mirror)
{
    auto object = std::make_unique<NamespaceObject>(tree_, object_path, status, mirror);
    object->announce();
    manager_.publish_namespace_added(status.identity.name, object_path);
    return object;
}

void DbusPublisher::namespace_removed(const std::string& name, const std::string& object_path)
{
    manager_.publish_namespace_removed(name, object_path);
}

} // namespace nswatch
