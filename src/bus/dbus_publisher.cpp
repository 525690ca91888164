// DbusPublisher: see the header. Each call is a few sdbus-c++ calls in the
// order clients rely on (an object exists before NamespaceAdded names it,
// and is gone before NamespaceRemoved).
#include "bus/dbus_publisher.hpp"

#include "bus/namespace_object.hpp"

namespace nswatch {

DbusPublisher::DbusPublisher(sdbus::IConnection& connection, const ManagerBackend& backend, NamespaceControl& control)
    : connection_(connection), manager_(connection, backend, control)
{
}

std::unique_ptr<NamespaceSink> DbusPublisher::export_namespace(const std::string& object_path,
                                                               const NamespaceStatus& status,
                                                               const NamespaceMirror& mirror)
{
    auto object = std::make_unique<NamespaceObject>(connection_, object_path, status, mirror);
    object->announce();
    manager_.publish_namespace_added(status.identity.name, object_path);
    return object;
}

void DbusPublisher::namespace_removed(const std::string& name, const std::string& object_path)
{
    manager_.publish_namespace_removed(name, object_path);
}

} // namespace nswatch
