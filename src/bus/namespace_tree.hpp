#pragma once
// Every org.nswatch1.Namespace object, served from ONE sd-bus fallback
// vtable on /org/nswatch1/netns.
//
// Why: sdbus-c++ 1.2 makes a full object per path (its property map, a
// vtable vector, an interface map, sd-bus's slot and nodes: ~5.8 KiB per
// namespace, a quarter of a namespace's memory). sd-bus itself can serve a
// whole subtree from one static vtable: its find callback maps the object
// path to the NamespaceObject (0: no such object, so sd-bus answers
// UnknownObject as it did for a path nobody registered), and the node
// enumerator lists the paths, so Introspect and the Manager's
// ObjectManager.GetManagedObjects still show every namespace. Per namespace
// only the NamespaceObject and one hash-map node remain.
//
// Threading: bus thread only; the callbacks run inside sd_bus_process on it.
// Ownership: owns the two sd-bus slots (released in the destructor), the
// Events loader and the path → object map; borrows the objects, which add() themselves when made
// and remove() themselves when destroyed. Borrows the connection, which
// outlives it.
#include "bus/wire_message_loader.hpp"

#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

#include <memory>
#include <string_view>
#include <unordered_map>

namespace nswatch {

class NamespaceObject;

class NamespaceTree {
public:
    // `probe`: any message made on the connection (it yields the sd_bus and
    // sdbus-c++'s handle; see sd_bus_access.hpp). Registers the vtable and
    // the enumerator on dbus::kNamespacePathPrefix; throws sdbus::Error if
    // sd-bus refuses.
    explicit NamespaceTree(const sdbus::Message& probe);
    NamespaceTree(const NamespaceTree&) = delete;
    NamespaceTree& operator=(const NamespaceTree&) = delete;
    ~NamespaceTree();

    // `object` answers at object.path() from now on (until remove()).
    void add(NamespaceObject& object);
    void remove(const NamespaceObject& object) noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return objects_.size(); }

    [[nodiscard]] sd_bus* bus() const noexcept { return bus_; }
    // Loads the objects' Events signals (events_signal.hpp). Made with the
    // tree, at start-up: its two fds are there before READY=1.
    [[nodiscard]] WireMessageLoader& loader() noexcept { return loader_; }
    [[nodiscard]] sdbus::internal::ISdBus* sdbus() const noexcept { return sdbus_; }

private:
    static int find(sd_bus* bus, const char* path, const char* interface, void* userdata, void** found,
                    sd_bus_error* error) noexcept;
    static int enumerate(sd_bus* bus, const char* prefix, void* userdata, char*** nodes, sd_bus_error* error) noexcept;

    struct SlotUnref {
        void operator()(sd_bus_slot* slot) const noexcept { sd_bus_slot_unref(slot); }
    };
    using Slot = std::unique_ptr<sd_bus_slot, SlotUnref>;

    sd_bus* bus_;
    sdbus::internal::ISdBus* sdbus_;
    // Keys view the objects' own path strings.
    std::unordered_map<std::string_view, NamespaceObject*> objects_;
    Slot vtable_;
    Slot enumerator_;
    WireMessageLoader loader_;
};

} // namespace nswatch
