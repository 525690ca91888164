#pragma once
// org.nswatch1.Namespace: one object per monitored namespace.
//
// The pump's NamespaceSink on D-Bus: made by DbusPublisher.
//
// Threading: bus thread only (like every sdbus-c++ object here).
// Ownership: owned by its registry entry (its PumpEntry's sink), and reads
// that entry's status and mirror by reference; the entry outlives it.
#include "daemon/namespace_status.hpp"
#include "daemon/publisher.hpp"
#include "events/namespace_mirror.hpp"

#include "namespace_adaptor.h"

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-bus.h>

#include <span>
#include <string>
#include <vector>

namespace nswatch {

class NamespaceObject final : public sdbus::AdaptorInterfaces<org::nswatch1::Namespace_adaptor,
                                                              sdbus::Properties_adaptor, sdbus::ManagedObject_adaptor>,
                              public NamespaceSink {
public:
    NamespaceObject(sdbus::IConnection& connection, const std::string& object_path, const NamespaceStatus& status,
                    const NamespaceMirror& mirror);
    NamespaceObject(const NamespaceObject&) = delete;
    NamespaceObject& operator=(const NamespaceObject&) = delete;
    ~NamespaceObject() override;

    // ObjectManager InterfacesAdded for this object.
    void announce();

    // NamespaceSink (see daemon/publisher.hpp). withdraw(): InterfacesRemoved.
    void publish_events(std::span<const SequencedEvent> events) override;
    void publish_resynced(ResyncReason reason) override;
    void publish_state_changed() override;
    void publish_holder_changed() override;
    void withdraw() override;

private:
    void GetState(
        sdbus::Result<std::uint64_t,
                      std::vector<sdbus::Struct<std::string, std::int32_t, std::map<std::string, sdbus::Variant>>>>&&
            result) override;
    std::string Name() override { return status_.identity.name; }
    std::string Source() override;
    std::uint64_t Inode() override { return status_.identity.inode; }
    std::uint64_t Cookie() override { return status_.cookie; }
    std::string Path() override { return status_.identity.path; }
    std::string State() override;
    std::string StateReason() override { return status_.state_reason; }
    std::uint32_t HolderPid() override { return static_cast<std::uint32_t>(status_.holder.pid); }
    std::string HolderCommand() override { return status_.holder.command; }
    std::string Unit() override { return status_.holder.unit; }
    std::string Container() override { return status_.container; }
    std::uint64_t Seq() override { return mirror_.seq(); }

    const NamespaceStatus& status_;
    const NamespaceMirror& mirror_;
    sd_bus* bus_; // the connection's, for emit_events_signal()
};

} // namespace nswatch
