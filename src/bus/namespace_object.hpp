#pragma once
// org.nswatch1.Namespace: one object per monitored namespace.
//
// The pump's NamespaceSink on D-Bus: made by DbusPublisher. It is no
// sdbus-c++ object: NamespaceTree serves every namespace path from one
// sd-bus fallback vtable (vtable() below, which follows
// dbus/org.nswatch1.Namespace.xml member by member; integration-bus,
// tests/integration/namespace_objects_test.cpp, compares its Introspect
// with the XML), and finds this object
// by its path. What it costs per namespace is this object and its path.
//
// Threading: bus thread only (sd-bus calls the vtable's callbacks from
// sd_bus_process there; the publish_* calls come from the pump there).
// Ownership: owned by its registry entry (its PumpEntry's sink), and reads
// that entry's status and mirror by reference; the entry outlives it. It is
// in `tree`'s map from construction to destruction; the tree outlives it.
#include "daemon/namespace_status.hpp"
#include "daemon/publisher.hpp"
#include "events/namespace_mirror.hpp"

#include <systemd/sd-bus.h>

#include <span>
#include <string>

namespace nswatch {

class NamespaceTree;

class NamespaceObject final : public NamespaceSink {
public:
    NamespaceObject(NamespaceTree& tree, std::string object_path, const NamespaceStatus& status,
                    const NamespaceMirror& mirror);
    NamespaceObject(const NamespaceObject&) = delete;
    NamespaceObject& operator=(const NamespaceObject&) = delete;
    // Pending GetState replies are answered UnknownObject; the path is
    // unknown from then on.
    ~NamespaceObject() override;

    // ObjectManager InterfacesAdded for this object.
    void announce();

    // NamespaceSink (see daemon/publisher.hpp). withdraw(): InterfacesRemoved.
    void publish_events(std::span<const SequencedEvent> events) override;
    void publish_resynced(ResyncReason reason) override;
    void publish_state_changed() override;
    void publish_holder_changed() override;
    void withdraw() override;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    [[nodiscard]] const NamespaceStatus& status() const noexcept { return status_; }
    [[nodiscard]] const NamespaceMirror& mirror() const noexcept { return mirror_; }

    // org.nswatch1.Namespace for sd-bus: its callbacks take the
    // NamespaceObject that NamespaceTree's find callback returns as userdata.
    [[nodiscard]] static const sd_bus_vtable* vtable() noexcept;

private:
    // GetState's handler (a C callback: nothing may unwind through sd-bus).
    static int get_state(sd_bus_message* call, void* userdata, sd_bus_error* error) noexcept;

    NamespaceTree& tree_;
    std::string path_;
    const NamespaceStatus& status_;
    const NamespaceMirror& mirror_;
};

} // namespace nswatch
