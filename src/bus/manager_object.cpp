#include "bus/manager_object.hpp"

#include "nswatch/dbus_names.hpp"
#include "nswatch_config.h"

namespace nswatch {

ManagerObject::ManagerObject(sdbus::IConnection& connection, const ManagerBackend& backend)
    : AdaptorInterfaces(connection, dbus::kManagerPath), backend_(backend)
{
    registerAdaptor();
}

ManagerObject::~ManagerObject()
{
    unregisterAdaptor();
}

void ManagerObject::publish_namespace_added(const std::string& name, const std::string& path)
{
    emitNamespaceAdded(name, sdbus::ObjectPath(path));
    emitPropertiesChangedSignal(dbus::kManagerInterface, {"NamespaceCount"});
}

void ManagerObject::publish_namespace_removed(const std::string& name, const std::string& path)
{
    emitNamespaceRemoved(name, sdbus::ObjectPath(path));
    emitPropertiesChangedSignal(dbus::kManagerInterface, {"NamespaceCount"});
}

std::vector<sdbus::Struct<std::string, sdbus::ObjectPath, std::string, std::uint64_t>> ManagerObject::ListNamespaces()
{
    std::vector<sdbus::Struct<std::string, sdbus::ObjectPath, std::string, std::uint64_t>> out;
    for (auto& ns : backend_.list_namespaces()) {
        out.emplace_back(ns.name, sdbus::ObjectPath(ns.object_path), ns.source, ns.inode);
    }
    return out;
}

sdbus::ObjectPath ManagerObject::GetNamespace(const std::string& name)
{
    if (auto path = backend_.namespace_path(name)) {
        return sdbus::ObjectPath(*path);
    }
    throw sdbus::Error(dbus::kErrorNoSuchNamespace, "No monitored network namespace is named '" + name + "'");
}

void ManagerObject::require_root(const char* method)
{
    // The bus policy already limits these to root; the daemon checks again,
    // before it looks at any argument, so a lax policy leaks nothing.
    const auto* message = getObject().getCurrentlyProcessedMessage();
    if (message == nullptr || message->getCredsUid() != 0) {
        throw sdbus::Error(dbus::kErrorAccessDenied, std::string(method) + " is allowed to root only");
    }
}

std::tuple<std::string, sdbus::ObjectPath> ManagerObject::Watch(const std::string& /*path*/)
{
    require_root("Watch");
    throw sdbus::Error(dbus::kErrorNotSupported, "Watch is not available in this version of nswatchd");
}

void ManagerObject::Unwatch(const std::string& /*name*/)
{
    require_root("Unwatch");
    throw sdbus::Error(dbus::kErrorNotSupported, "Unwatch is not available in this version of nswatchd");
}

std::string ManagerObject::Version()
{
    return NSWATCH_VERSION;
}

std::uint32_t ManagerObject::NamespaceCount()
{
    return static_cast<std::uint32_t>(backend_.namespace_count());
}

} // namespace nswatch
