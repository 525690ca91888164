#pragma once
// The bus-side half of each worker: pops its ring, numbers the events in the
// namespace's mirror (seq), publishes them in bounded batches through a
// Publisher, applies the snapshot and status policy (initial export, resync,
// failed state) and tells the PumpObservers what went out, in that order.
//
// No sdbus-c++, no threads, no workers: the unit tests (tests/unit/
// pump_test.cpp) push WorkerMessages into a ring by hand and look at what a
// fake publisher and a fake observer were told.
//
// Threading: bus thread only (the consumer side of every ring).
// Ownership: the registry owns the pump, and one PumpEntry per namespace (in
// its entry, beside the worker). The pump holds the publisher and the
// observers by reference; they outlive it.
#include "daemon/namespace_control.hpp"
#include "daemon/namespace_status.hpp"
#include "daemon/publisher.hpp"
#include "daemon/pump_observer.hpp"
#include "events/namespace_mirror.hpp"
#include "events/worker_channel.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace nswatch {

// What the pump keeps about one namespace.
struct PumpEntry {
    NamespaceStatus status;
    std::string object_path;
    std::shared_ptr<WorkerChannel> channel; // null until the worker started
    NamespaceMirror mirror;                 // what clients were told, and its seq
    std::vector<WatchCompletion> on_export; // Watch replies waiting for the object
    std::unique_ptr<NamespaceSink> sink;    // null until exported
    // When the registry learned of it: NamespaceAdded's discovery latency.
    std::chrono::steady_clock::time_point seen = std::chrono::steady_clock::now();
};

class EventPump {
public:
    EventPump(Publisher& publisher, std::size_t max_batch);

    void add_observer(PumpObserver& observer) { observers_.push_back(&observer); }

    // Pops at most budget() messages from the namespace's ring (it must have
    // a channel) and publishes them. Returns whether it stopped at the
    // budget, i.e. more may be waiting.
    bool drain(PumpEntry& ns);
    // Bounded per call so one busy namespace cannot starve the others or the bus.
    [[nodiscard]] std::size_t budget() const noexcept { return max_batch_ * 4; }

    // Its worker could not even be started (no thread, no fd): shown failed,
    // and exported if it was not yet (a failing namespace is shown failed,
    // never hidden). Counted as a worker failure.
    void start_failed(PumpEntry& ns, std::string reason);
    // The identity's path or the holder changed (status already updated).
    void holder_changed(PumpEntry& ns);
    // The namespace goes: its object is withdrawn (NamespaceRemoved), Watch
    // calls still waiting fail. The caller forgets the entry afterwards.
    void remove(PumpEntry& ns);
    // Hands a look at the levels to every observer.
    void sampled(const RegistrySample& sample);

    [[nodiscard]] std::size_t exported() const noexcept { return exported_; } // entries with a sink
    [[nodiscard]] std::uint64_t events_published() const noexcept { return events_published_; }
    [[nodiscard]] std::uint64_t resyncs() const noexcept { return resyncs_; }

private:
    void on_snapshot(PumpEntry& ns, const StateSnapshot& snapshot);
    void on_status(PumpEntry& ns, const WorkerStatus& status);
    void add_to_batch(PumpEntry& ns, SequencedEvent event);
    void flush(PumpEntry& ns);
    void set_state(PumpEntry& ns, MonitorState state, std::string reason);
    void export_entry(PumpEntry& ns);

    Publisher& publisher_;
    const std::size_t max_batch_; // events per Events signal
    std::vector<PumpObserver*> observers_;
    // The batch being built: one namespace's, within one drain() (kept to
    // reuse its capacity: no allocation per drain).
    std::vector<SequencedEvent> batch_;
    std::size_t exported_ = 0; // kept, not counted per loop iteration
    std::uint64_t events_published_ = 0;
    std::uint64_t resyncs_ = 0;
};

} // namespace nswatch
