#pragma once
// The pump's Publisher on D-Bus: the only part of the pump's path that
// knows sdbus-c++ or sd-bus. An exported namespace becomes a NamespaceObject
// at its object path (InterfacesAdded), then the Manager's NamespaceAdded
// goes out; a removed one's NamespaceRemoved follows its InterfacesRemoved.
//
// Threading: bus thread only (sdbus-c++ is not thread-safe; the bus thread
// owns the connection).
// Ownership: owns the Manager object (org.nswatch1.Manager at /org/nswatch1),
// which answers from `backend` and forwards Watch/Unwatch to `control`; both
// outlive it. Owns the NamespaceTree that serves every namespace object
// (one sd-bus fallback vtable). The namespace objects it makes belong to the
// caller (each registry entry owns its sink) and must go before the
// publisher (the registry destroys its entries first); the connection
// outlives them all.
#include "bus/manager_object.hpp"
#include "bus/namespace_tree.hpp"
#include "daemon/namespace_control.hpp"
#include "daemon/publisher.hpp"

#include <memory>
#include <string>

namespace sdbus {
class IConnection;
}

namespace nswatch {

class DbusPublisher final : public Publisher {
public:
    DbusPublisher(sdbus::IConnection& connection, const ManagerBackend& backend, NamespaceControl& control);
    DbusPublisher(const DbusPublisher&) = delete;
    DbusPublisher& operator=(const DbusPublisher&) = delete;
    ~DbusPublisher() override = default;

    // Publisher
    std::unique_ptr<NamespaceSink> export_namespace(const std::string& object_path, const NamespaceStatus& status,
                                                    const NamespaceMirror& mirror) override;
    void namespace_removed(const std::string& name, const std::string& object_path) override;

    // For the daemon's own Manager-level signals and properties.
    [[nodiscard]] ManagerObject& manager() noexcept { return manager_; }

private:
    ManagerObject manager_; // first: InterfacesAdded needs its ObjectManager
    NamespaceTree tree_;
};

} // namespace nswatch
