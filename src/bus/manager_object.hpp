#pragma once
// org.nswatch1.Manager (with org.freedesktop.DBus.ObjectManager) at
// /org/nswatch1.
//
// Threading: bus thread only. It answers from a ManagerBackend (the
// registry's read-only view) and forwards Watch/Unwatch to a
// NamespaceControl (the daemon); both outlive it.
#include "daemon/namespace_control.hpp"
#include "netns/namespace_identity.hpp"

#include "manager_adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nswatch {

struct NamespaceListing {
    std::string name;
    std::string object_path;
    SourceKind source = SourceKind::Named;
    std::uint64_t inode = 0;
};

struct DaemonCounters {
    std::uint64_t events_published = 0;
    std::uint64_t events_dropped = 0;
    std::uint64_t resyncs = 0;
};

class ManagerBackend {
public:
    virtual ~ManagerBackend() = default;
    [[nodiscard]] virtual std::vector<NamespaceListing> list_namespaces() const = 0;
    [[nodiscard]] virtual std::optional<std::string> namespace_path(const std::string& name) const = 0;
    [[nodiscard]] virtual std::size_t namespace_count() const = 0; // == list_namespaces().size()
    [[nodiscard]] virtual DaemonCounters counters() const = 0;
};

class ManagerObject final : public sdbus::AdaptorInterfaces<org::nswatch1::Manager_adaptor, sdbus::Properties_adaptor,
                                                            sdbus::ObjectManager_adaptor> {
public:
    ManagerObject(sdbus::IConnection& connection, const ManagerBackend& backend, NamespaceControl& control);
    ManagerObject(const ManagerObject&) = delete;
    ManagerObject& operator=(const ManagerObject&) = delete;
    ~ManagerObject();

    void publish_namespace_added(const std::string& name, const std::string& path);
    void publish_namespace_removed(const std::string& name, const std::string& path);

private:
    std::vector<sdbus::Struct<std::string, sdbus::ObjectPath, std::string, std::uint64_t>> ListNamespaces() override;
    sdbus::ObjectPath GetNamespace(const std::string& name) override;
    void Watch(sdbus::Result<std::string, sdbus::ObjectPath>&& result, std::string path) override;
    void Unwatch(const std::string& name) override;
    std::string Version() override;
    std::uint32_t NamespaceCount() override;
    std::uint64_t EventsPublished() override { return backend_.counters().events_published; }
    std::uint64_t EventsDropped() override { return backend_.counters().events_dropped; }
    std::uint64_t Resyncs() override { return backend_.counters().resyncs; }

    // Whether the caller's uid is 0; the error names the method otherwise.
    std::optional<sdbus::Error> require_root(const char* method);

    const ManagerBackend& backend_;
    NamespaceControl& control_;
};

} // namespace nswatch
