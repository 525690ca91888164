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

// Why a complete dump was taken. Initial: the first one, the snapshot at
// seq 0. The others are diffed by the bus thread against what clients were
// told; the difference goes out as ordinary events, then Resynced(reason).
enum class ResyncReason : std::uint8_t {
    Initial,
    Overrun,   // the kernel dropped notifications (ENOBUFS)
    QueueFull, // the worker's ring was full and events were dropped
    Restart,   // the worker recovered from a failure
};

// A complete dump of the namespace, handed over whole (one ring slot).
struct StateSnapshot {
    std::shared_ptr<const NamespaceState> state;
    ResyncReason reason = ResyncReason::Initial;
};

// The worker's health: healthy once its socket works, else failed (with why).
struct WorkerStatus {
    bool healthy = true;
    std::string error;
};

using WorkerMessage = std::variant<ObjectEvent, StateSnapshot, WorkerStatus>;

std::uint64_t realtime_usec() noexcept;

} // namespace nswatch
