#include "daemon/event_pump.hpp"

#include "bus/enum_strings.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace nswatch {

EventPump::EventPump(Publisher& publisher, std::size_t max_batch) : publisher_(publisher), max_batch_(max_batch) {}

bool EventPump::drain(PumpEntry& ns)
{
    const std::size_t limit = budget();
    std::size_t popped = 0;
    while (popped < limit) {
        auto message = ns.channel->ring.try_pop();
        if (!message) {
            break;
        }
        ++popped;
        if (auto* event = std::get_if<ObjectEvent>(&*message)) {
            add_to_batch(ns, ns.mirror.record(std::move(*event)));
        } else if (auto* snapshot = std::get_if<StateSnapshot>(&*message)) {
            on_snapshot(ns, *snapshot);
        } else {
            on_status(ns, std::get<WorkerStatus>(*message));
        }
    }
    flush(ns);
    if (popped > 0) {
        ns.channel->after_pop(); // a worker waiting for room may go on
    }
    return popped == limit;
}

void EventPump::add_to_batch(PumpEntry& ns, SequencedEvent event)
{
    batch_.push_back(std::move(event));
    if (batch_.size() >= max_batch_) {
        flush(ns);
    }
}

void EventPump::flush(PumpEntry& ns)
{
    if (batch_.empty()) {
        return;
    }
    spdlog::trace("[{}] emitting {} events, seq {}..{}", ns.status.identity.name, batch_.size(), batch_.front().seq,
                  batch_.back().seq);
    if (ns.sink) {
        ns.sink->publish_events(batch_);
        if (!observers_.empty()) {
            const std::uint64_t now = realtime_usec(); // read only when someone looks
            for (auto* observer : observers_) {
                observer->events_emitted(ns.status, batch_, now);
            }
        }
    }
    // Counted even without an object, as before the split (a worker sends
    // its snapshot before any event, so it does not happen).
    events_published_ += batch_.size();
    batch_.clear();
}

void EventPump::on_snapshot(PumpEntry& ns, const StateSnapshot& snapshot)
{
    flush(ns);
    // The worker stored the cookie before pushing; the pop made it visible.
    ns.status.cookie = ns.channel->cookie.load(std::memory_order_relaxed);
    if (!ns.sink) {
        ns.mirror.reset(*snapshot.state); // the snapshot at seq 0
        set_state(ns, MonitorState::Monitoring, "");
        export_entry(ns);
        return;
    }
    // A first snapshot after an initial failure repairs like a restart.
    const ResyncReason reason = snapshot.reason == ResyncReason::Initial ? ResyncReason::Restart : snapshot.reason;
    for (auto& event : ns.mirror.resync_to(*snapshot.state, realtime_usec())) {
        add_to_batch(ns, std::move(event));
    }
    flush(ns);
    set_state(ns, MonitorState::Monitoring, "");
    ++resyncs_;
    spdlog::info("[{}] resynced ({}), seq {}", ns.status.identity.name, resync_reason_string(reason), ns.mirror.seq());
    ns.sink->publish_resynced(reason);
    for (auto* observer : observers_) {
        observer->resynced(ns.status, reason);
    }
}

void EventPump::on_status(PumpEntry& ns, const WorkerStatus& status)
{
    flush(ns);
    if (status.healthy) {
        set_state(ns, MonitorState::Monitoring, "");
    } else {
        set_state(ns, MonitorState::Failed, status.error);
    }
    if (!ns.sink) {
        export_entry(ns); // a failing namespace is shown failed, never hidden
    }
    if (!status.healthy) {
        for (auto* observer : observers_) {
            observer->worker_failed(ns.status); // each failed attempt: the worker retries with backoff
        }
    }
}

void EventPump::start_failed(PumpEntry& ns, std::string reason)
{
    set_state(ns, MonitorState::Failed, std::move(reason));
    if (!ns.sink) {
        export_entry(ns); // a failing namespace is shown failed, never hidden
    }
    for (auto* observer : observers_) {
        observer->worker_failed(ns.status);
    }
}

void EventPump::set_state(PumpEntry& ns, MonitorState state, std::string reason)
{
    if (ns.status.state == state && ns.status.state_reason == reason) {
        return;
    }
    const MonitorState before = ns.status.state;
    ns.status.state = state;
    ns.status.state_reason = std::move(reason);
    if (ns.sink) {
        ns.sink->publish_state_changed();
    }
    if (before != state) { // a new reason alone (the backoff grew) is no new state
        for (auto* observer : observers_) {
            observer->state_changed(ns.status, before);
        }
    }
}

void EventPump::holder_changed(PumpEntry& ns)
{
    if (ns.sink) {
        ns.sink->publish_holder_changed();
    }
}

void EventPump::export_entry(PumpEntry& ns)
{
    ns.sink = publisher_.export_namespace(ns.object_path, ns.status, ns.mirror);
    ++exported_;
    const auto since_seen = std::chrono::steady_clock::now() - ns.seen;
    for (auto* observer : observers_) {
        observer->namespace_exported(ns.status, since_seen);
    }
    for (auto& done : std::exchange(ns.on_export, {})) {
        done(WatchResult{ns.status.identity.name, ns.object_path});
    }
}

void EventPump::remove(PumpEntry& ns)
{
    const std::string& name = ns.status.identity.name;
    if (ns.sink) {
        ns.sink->withdraw();
        ns.sink.reset();
        --exported_;
        publisher_.namespace_removed(name, ns.object_path);
    }
    for (auto& done : std::exchange(ns.on_export, {})) {
        done(ControlError{ControlError::Kind::Failed,
                          "network namespace " + name + " went away before it was monitored"});
    }
    for (auto* observer : observers_) {
        observer->namespace_removed(ns.status);
    }
}

void EventPump::sampled(const RegistrySample& sample)
{
    for (auto* observer : observers_) {
        observer->sampled(sample);
    }
}

} // namespace nswatch
