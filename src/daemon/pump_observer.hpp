#pragma once
// What the daemon's core tells whoever keeps figures about it: the metrics
// (src/metrics) and the health monitor (src/health). Neither knows the
// registry, the rings or D-Bus; the registry and its event pump know only
// this interface, so counting is separate from publishing and each side is
// unit-tested alone.
//
// Threading: every call is made on the bus thread, in the order things
// happen. An observer must not block and must not throw (they are called
// between a ring pop and a signal). Calls that happen per event are batched:
// events_emitted() is one call per Events signal.
//
// Ownership: the registry holds observers by pointer; they outlive it.
#include "daemon/namespace_status.hpp"
#include "events/event.hpp"
#include "events/namespace_mirror.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace nswatch {

// A look at the whole set, taken by the registry on request (a timer, or a
// scrape): what is a level rather than an event.
struct RegistrySample {
    struct SourceState {
        SourceKind source = SourceKind::Named;
        MonitorState state = MonitorState::Starting;
        std::size_t count = 0;
    };
    std::vector<SourceState> namespaces; // monitored namespaces by source and state (non-zero counts only)
    std::uint64_t events_dropped = 0;    // since start, removed namespaces included
    std::uint64_t netlink_overruns = 0;  // ENOBUFS read by workers since start, removed ones included
    std::size_t queue_depth = 0;         // messages waiting in all rings now
    std::size_t queue_capacity = 0;      // of one ring (--queue-size)
    std::size_t deepest_queue = 0;       // the fullest ring now, in messages
    std::string deepest_queue_name;      // its namespace (empty when every ring is empty)
    std::size_t queue_high_water = 0;    // the most messages any ring has held since start
    std::size_t fds_in_use = 0;          // the daemon's open file descriptors
    std::size_t fd_limit = 0;            // RLIMIT_NOFILE (soft)
};

class PumpObserver {
public:
    virtual ~PumpObserver() = default;

    // A namespace got its object (NamespaceAdded went out); `since_seen` is
    // the time from the registry learning of it to that signal.
    virtual void namespace_exported(const NamespaceStatus& ns, std::chrono::steady_clock::duration since_seen) = 0;
    // NamespaceRemoved went out (or it went before it was ever exported).
    virtual void namespace_removed(const NamespaceStatus& ns) = 0;
    // One Events signal went out with `events` (seq order). `now_usec` is
    // CLOCK_REALTIME at emission; each event's time_usec is when its worker
    // read it from the kernel.
    virtual void events_emitted(const NamespaceStatus& ns, std::span<const SequencedEvent> events,
                                std::uint64_t now_usec) = 0;
    // Resynced went out (after the difference was emitted as events).
    virtual void resynced(const NamespaceStatus& ns, ResyncReason reason) = 0;
    // State changed (ns.state is the new one): Monitoring -> Failed is a
    // worker failure, Failed -> Monitoring a recovery (a restart).
    virtual void state_changed(const NamespaceStatus& ns, MonitorState before) = 0;
    // A worker reported a failure (each failed attempt; it retries with
    // backoff). ns.state_reason says why.
    virtual void worker_failed(const NamespaceStatus& ns) = 0;
    // A periodic look at the levels (see RegistrySample).
    virtual void sampled(const RegistrySample& sample) = 0;
};

} // namespace nswatch
