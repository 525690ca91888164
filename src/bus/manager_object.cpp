#include "bus/manager_object.hpp"

#include "bus/dbus_string.hpp"
#include "bus/enum_strings.hpp"
#include "nswatch/dbus_names.hpp"
#include "nswatch_config.h"

#include <memory>

namespace nswatch {

namespace {
constexpr const char* kErrorNotSupported = "org.freedesktop.DBus.Error.NotSupported";

// The messages quote names and paths: sd-bus refuses an error reply that
// is not UTF-8 (and sdbus-c++ then throws on the bus thread).
sdbus::Error to_dbus_error(const ControlError& error)
{
    switch (error.kind) {
    case ControlError::Kind::InvalidArgs: return sdbus::Error(dbus::kErrorInvalidArgs, dbus_string(error.message));
    case ControlError::Kind::NoSuchNamespace:
        return sdbus::Error(dbus::kErrorNoSuchNamespace, dbus_string(error.message));
    case ControlError::Kind::Failed: break;
    }
    return sdbus::Error(dbus::kErrorFailed, dbus_string(error.message));
}
} // namespace

ManagerObject::ManagerObject(sdbus::IConnection& connection, const ManagerBackend& backend, NamespaceControl& control)
    : AdaptorInterfaces(connection, dbus::kManagerPath), backend_(backend), control_(control)
{
    registerAdaptor();
}

ManagerObject::~ManagerObject()
{
    unregisterAdaptor();
}

void ManagerObject::publish_namespace_added(const std::string& name, const std::string& path)
{
    emitNamespaceAdded(dbus_string(name), sdbus::ObjectPath(path));
    emitPropertiesChangedSignal(dbus::kManagerInterface, {"NamespaceCount"});
}

void ManagerObject::publish_namespace_removed(const std::string& name, const std::string& path)
{
    emitNamespaceRemoved(dbus_string(name), sdbus::ObjectPath(path));
    emitPropertiesChangedSignal(dbus::kManagerInterface, {"NamespaceCount"});
}

void ManagerObject::publish_health_changed()
{
    emitPropertiesChangedSignal(dbus::kManagerInterface, {"Health", "HealthReasons"});
}

std::string ManagerObject::Health()
{
    return health_string(health().state);
}

std::vector<std::string> ManagerObject::HealthReasons()
{
    auto reasons = health().reasons; // they quote names and errors
    for (auto& reason : reasons) {
        reason = dbus_string(reason);
    }
    return reasons;
}

void ManagerObject::GetMetrics(sdbus::Result<std::string>&& result)
{
    if (!metrics_) {
        result.returnError(sdbus::Error(kErrorNotSupported, "this nswatchd keeps no metrics"));
        return;
    }
    metrics_waiting_.push_back(std::move(result));
    if (metrics_waiting_.size() > 1) {
        return; // the text asked for already answers this one too
    }
    metrics_([this](std::optional<std::string> text, const std::string& error) {
        for (auto& waiting : std::exchange(metrics_waiting_, {})) {
            if (text) {
                waiting.returnResults(*text);
            } else {
                waiting.returnError(sdbus::Error(dbus::kErrorFailed, "cannot render the metrics: " + error));
            }
        }
    });
}

std::vector<sdbus::Struct<std::string, sdbus::ObjectPath, std::string, std::uint64_t>> ManagerObject::ListNamespaces()
{
    std::vector<sdbus::Struct<std::string, sdbus::ObjectPath, std::string, std::uint64_t>> out;
    for (auto& ns : backend_.list_namespaces()) {
        out.emplace_back(dbus_string(ns.name), sdbus::ObjectPath(ns.object_path), source_string(ns.source), ns.inode);
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

std::optional<sdbus::Error> ManagerObject::require_root(const char* method)
{
    // The bus policy already limits these to root; the daemon checks again,
    // before it looks at any argument, so a lax policy leaks nothing.
    const auto* message = getObject().getCurrentlyProcessedMessage();
    if (message == nullptr || message->getCredsUid() != 0) {
        return sdbus::Error(dbus::kErrorAccessDenied, std::string(method) + " is allowed to root only");
    }
    return std::nullopt;
}

void ManagerObject::Watch(sdbus::Result<std::string, sdbus::ObjectPath>&& result, std::string path)
{
    if (auto denied = require_root("Watch")) {
        result.returnError(*denied);
        return;
    }
    // The reply waits until the namespace's object exists; std::function
    // needs a copyable callable, so the Result lives in a shared_ptr.
    auto pending = std::make_shared<sdbus::Result<std::string, sdbus::ObjectPath>>(std::move(result));
    control_.watch(path, [pending](const std::variant<WatchResult, ControlError>& outcome) {
        if (const auto* ok = std::get_if<WatchResult>(&outcome)) {
            pending->returnResults(dbus_string(ok->name), sdbus::ObjectPath(ok->object_path));
        } else {
            pending->returnError(to_dbus_error(std::get<ControlError>(outcome)));
        }
    });
}

void ManagerObject::Unwatch(const std::string& name)
{
    if (auto denied = require_root("Unwatch")) {
        throw *denied;
    }
    if (auto error = control_.unwatch(name)) {
        throw to_dbus_error(*error);
    }
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
