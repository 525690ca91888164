#pragma once
// What a worker tells the bus thread. Plain values only: libnl types never
// cross into this layer.
#include "nswatch/link.hpp"
#include "nswatch/tc.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace nswatch {

class NamespaceState;

// Every kind of kernel object a namespace holds. The order matters: it is
// the order of ObjectKey::type, so within a link its qdiscs sort before its
// classes, and those before its filters (parents before children).
using KernelObject = std::variant<Link, Qdisc, TcClass, Filter>;

enum class Change : std::uint8_t { Added, Changed, Removed };

// One change of one object. The bus thread gives it its seq when it emits it.
struct ObjectEvent {
    Change change = Change::Added;
    std::uint64_t time_usec = 0; // CLOCK_REALTIME when read from the kernel
    KernelObject object;         // full attributes: current, or last known if removed

    bool operator==(const ObjectEvent&) const = default;
};

// "link-added", "link-changed", … as the D-Bus contract spells them.
std::string event_type_name(const ObjectEvent& event);
// "link", "qdisc", "class", "filter": the snapshot object type.
std::string_view object_type_name(const KernelObject& object) noexcept;
std::int32_t object_ifindex(const KernelObject& object) noexcept;

// A complete dump of the namespace, handed over whole (one ring slot).
// The first one (reason empty) becomes the snapshot GetState answers with
// seq 0. Later ones ("overrun", "queue-full", "restart") are diffed by the bus
// thread against what clients were told; the difference goes out as ordinary
// events, then Resynced(reason).
struct StateSnapshot {
    std::shared_ptr<const NamespaceState> state;
    std::string reason;
};

// The worker's health: "monitoring" when healthy, else "failed" (with why).
struct WorkerStatus {
    bool healthy = true;
    std::string error;
};

using WorkerMessage = std::variant<ObjectEvent, StateSnapshot, WorkerStatus>;

std::uint64_t realtime_usec() noexcept;

} // namespace nswatch
