#pragma once
// org.nswatch1.Manager (with org.freedesktop.DBus.ObjectManager) at
// /org/nswatch1.
//
// Threading: bus thread only. It answers from a ManagerBackend (the
// registry's read-only view) and forwards Watch/Unwatch to a
// NamespaceControl (the daemon); both outlive it. Health and GetMetrics come
// from a HealthSource and a metrics function set after construction (they
// must outlive it too); it is still the only code that knows D-Bus.
#include "daemon/namespace_control.hpp"
#include "health/health_report.hpp"
#include "netns/namespace_identity.hpp"

#include "manager_adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <functional>
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

    // Where Health and HealthReasons come from. Without one (nullptr),
    // nothing is known to be wrong: "ok", no reasons.
    void set_health_source(const HealthSource* source) noexcept { health_ = source; }
    // GetMetrics is answered asynchronously: rendering the exposition of
    // 10,000 namespaces with --metrics-per-namespace takes over 100 ms,
    // which the bus thread must not spend (BENCHMARKS.md). The source is
    // asked once for every batch of calls that wait (not again while they
    // wait) and answers through the MetricsReply it is given, on the bus
    // thread, later or at once: the text, or nullopt and why (the callers
    // get org.freedesktop.DBus.Error.Failed). Without a source, GetMetrics
    // answers org.freedesktop.DBus.Error.NotSupported.
    using MetricsReply = std::function<void(std::optional<std::string> text, const std::string& error)>;
    using MetricsSource = std::function<void(MetricsReply reply)>;
    void set_metrics_source(MetricsSource source) { metrics_ = std::move(source); }
    // PropertiesChanged for Health and HealthReasons (their values read
    // now). Call it when the report differs from the last one published
    // (HealthReport's ==); the caller keeps that one.
    void publish_health_changed();

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
    std::string Health() override;
    std::vector<std::string> HealthReasons() override;
    void GetMetrics(sdbus::Result<std::string>&& result) override;

    [[nodiscard]] HealthReport health() const { return health_ != nullptr ? health_->health() : HealthReport{}; }

    // Whether the caller's uid is 0; the error names the method otherwise.
    std::optional<sdbus::Error> require_root(const char* method);

    const ManagerBackend& backend_;
    NamespaceControl& control_;
    const HealthSource* health_ = nullptr;
    MetricsSource metrics_;
    std::vector<sdbus::Result<std::string>> metrics_waiting_; // GetMetrics calls for the next text
};

} // namespace nswatch
