#include "ctl/proxies.hpp"

#include "nswatch/dbus_names.hpp"

namespace nswatch::ctl {

ManagerProxy::ManagerProxy(sdbus::IConnection& connection)
    : ProxyInterfaces(connection, dbus::kServiceName, dbus::kManagerPath)
{
    registerProxy();
}

ManagerProxy::~ManagerProxy()
{
    unregisterProxy();
}

void ManagerProxy::onNamespaceAdded(const std::string& name, const sdbus::ObjectPath& object)
{
    if (on_added) {
        on_added(name, object);
    }
}

void ManagerProxy::onNamespaceRemoved(const std::string& name, const sdbus::ObjectPath& object)
{
    if (on_removed) {
        on_removed(name, object);
    }
}

NamespaceProxy::NamespaceProxy(sdbus::IConnection& connection, const std::string& path)
    : ProxyInterfaces(connection, dbus::kServiceName, path)
{
    registerProxy();
}

NamespaceProxy::~NamespaceProxy()
{
    unregisterProxy();
}

void NamespaceProxy::onEvents(const std::string& name, const DbusEvents& events)
{
    if (on_events) {
        on_events(name, events);
    }
}

void NamespaceProxy::onResynced(const std::string& name, const std::uint64_t& seq, const std::string& reason)
{
    if (on_resynced) {
        on_resynced(name, seq, reason);
    }
}

} // namespace nswatch::ctl
