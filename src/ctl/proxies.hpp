#pragma once
// nswatchctl's view of the daemon: proxies generated from dbus/*.xml, with
// their signals turned into callbacks. Threading: one thread (the caller's),
// on one connection.
#include "manager_proxy.h"
#include "namespace_proxy.h"

#include <sdbus-c++/sdbus-c++.h>

#include <functional>
#include <string>

namespace nswatch::ctl {

using DbusEvents = std::vector<
    sdbus::Struct<std::uint64_t, std::uint64_t, std::string, std::int32_t, std::map<std::string, sdbus::Variant>>>;

class ManagerProxy final : public sdbus::ProxyInterfaces<org::nswatch1::Manager_proxy> {
public:
    explicit ManagerProxy(sdbus::IConnection& connection);
    ManagerProxy(const ManagerProxy&) = delete;
    ManagerProxy& operator=(const ManagerProxy&) = delete;
    ~ManagerProxy();

    std::function<void(const std::string& name, const std::string& path)> on_added;
    std::function<void(const std::string& name, const std::string& path)> on_removed;

private:
    void onNamespaceAdded(const std::string& name, const sdbus::ObjectPath& object) override;
    void onNamespaceRemoved(const std::string& name, const sdbus::ObjectPath& object) override;
};

class NamespaceProxy final : public sdbus::ProxyInterfaces<org::nswatch1::Namespace_proxy> {
public:
    NamespaceProxy(sdbus::IConnection& connection, const std::string& path);
    NamespaceProxy(const NamespaceProxy&) = delete;
    NamespaceProxy& operator=(const NamespaceProxy&) = delete;
    ~NamespaceProxy();

    std::function<void(const std::string& name, const DbusEvents& events)> on_events;
    std::function<void(const std::string& name, std::uint64_t seq, const std::string& reason)> on_resynced;

private:
    void onEvents(const std::string& name, const DbusEvents& events) override;
    void onResynced(const std::string& name, const std::uint64_t& seq, const std::string& reason) override;
};

} // namespace nswatch::ctl
