#pragma once
// Where the event pump sends what clients see: D-Bus objects and Manager
// signals in the daemon (bus/dbus_publisher.hpp), a recording fake in the
// unit tests (tests/unit/pump_test.cpp).
//
// The pump and the registry know only these two interfaces, never
// sdbus-c++: publishing is separate from counting (PumpObserver) and from
// the set of namespaces and workers (NamespaceRegistry), and each is tested
// alone.
//
// Threading: bus thread only, like everything the pump does. A call must not
// block (the bus thread never waits) and is made in the order clients must
// see things: the events of a resync before its Resynced, an object's
// InterfacesAdded before NamespaceAdded, its InterfacesRemoved before
// NamespaceRemoved.
//
// Ownership: the registry owns its Publisher. Each exported namespace's
// PumpEntry owns its NamespaceSink, which may read that entry's status and
// mirror by reference: the entry outlives its sink.
#include "daemon/namespace_status.hpp"
#include "events/event.hpp"
#include "events/namespace_mirror.hpp"

#include <memory>
#include <span>
#include <string>

namespace nswatch {

// One exported namespace's object (org.nswatch1.Namespace).
class NamespaceSink {
public:
    virtual ~NamespaceSink() = default;

    // One Events signal per call, never empty, in seq order; the pump bounds
    // its size (RegistryOptions::max_batch).
    virtual void publish_events(std::span<const SequencedEvent> events) = 0;
    // Resynced(name, seq, reason): the difference already went out as events.
    virtual void publish_resynced(ResyncReason reason) = 0;
    // PropertiesChanged for State and StateReason (the status already changed).
    virtual void publish_state_changed() = 0;
    // PropertiesChanged for Path, HolderPid, HolderCommand, Unit, Container.
    virtual void publish_holder_changed() = 0;
    // InterfacesRemoved. The sink is destroyed right after, then
    // Publisher::namespace_removed() goes out.
    virtual void withdraw() = 0;
};

class Publisher {
public:
    virtual ~Publisher() = default;

    // Makes the namespace's object and announces it (InterfacesAdded, then
    // NamespaceAdded). `status` and `mirror` outlive the returned sink.
    virtual std::unique_ptr<NamespaceSink>
    export_namespace(const std::string& object_path, const NamespaceStatus& status, const NamespaceMirror& mirror) = 0;
    // NamespaceRemoved, after the namespace's sink withdrew and was destroyed.
    virtual void namespace_removed(const std::string& name, const std::string& object_path) = 0;
};

} // namespace nswatch
