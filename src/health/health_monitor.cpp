#include "health/health_monitor.hpp"

#include <array>

namespace nswatch {

HealthMonitor::HealthMonitor(std::function<Clock::time_point()> clock, Clock::duration window)
    : clock_(std::move(clock)), window_(window)
{
}

HealthReport HealthMonitor::evaluate(Clock::time_point now) const
{
    HealthInputs in = levels_;
    in.monitored = known_.size();
    in.failed_count = failed_.size();
    for (const auto& [name, reason] : failed_) {
        if (in.failed.size() == kMaxReasons) {
            break;
        }
        in.failed.push_back(FailedNamespace{name, reason});
    }
    // The counts are of what expire() kept; entries at the front may have
    // left the window since (this is const: they are forgotten at the next
    // observer call). Only those are walked, so this stays cheap however
    // many resyncs the minute holds.
    std::array<std::uint64_t, kResyncReasons> resyncs = resync_counts_;
    for (const auto& [when, reason] : resyncs_) {
        if (now < when + window_) {
            break;
        }
        --resyncs[static_cast<std::size_t>(reason)];
    }
    in.overrun_resyncs = resyncs[static_cast<std::size_t>(ResyncReason::Overrun)];
    in.queue_full_resyncs = resyncs[static_cast<std::size_t>(ResyncReason::QueueFull)];
    in.restart_resyncs = resyncs[static_cast<std::size_t>(ResyncReason::Restart)];
    in.dropped_last_minute = dropped_in_window_;
    for (const auto& [when, count] : drops_) {
        if (now < when + window_) {
            break;
        }
        in.dropped_last_minute -= count;
    }
    return evaluate_health(in);
}

std::optional<HealthMonitor::Clock::time_point> HealthMonitor::next_change(Clock::time_point now) const
{
    std::optional<Clock::time_point> next;
    const auto consider = [&](Clock::time_point when) {
        const auto expiry = when + window_;
        if (expiry > now && (!next || expiry < *next)) {
            next = expiry;
        }
    };
    // Both are in time order: the first entry still in the window is the
    // next to leave it.
    for (const auto& [when, reason] : resyncs_) {
        if (when + window_ > now) {
            consider(when);
            break;
        }
    }
    for (const auto& [when, count] : drops_) {
        if (when + window_ > now) {
            consider(when);
            break;
        }
    }
    return next;
}

void HealthMonitor::expire(Clock::time_point now)
{
    while (!resyncs_.empty() && resyncs_.front().first + window_ <= now) {
        --resync_counts_[static_cast<std::size_t>(resyncs_.front().second)];
        resyncs_.pop_front();
    }
    while (!drops_.empty() && drops_.front().first + window_ <= now) {
        dropped_in_window_ -= drops_.front().second;
        drops_.pop_front();
    }
}

void HealthMonitor::set_state(const NamespaceStatus& ns, MonitorState state)
{
    const auto& name = ns.identity.name;
    known_.insert(name);
    if (state == MonitorState::Failed) {
        failed_[name] = ns.state_reason;
    } else {
        failed_.erase(name);
    }
}

void HealthMonitor::namespace_exported(const NamespaceStatus& ns, std::chrono::steady_clock::duration /*since_seen*/)
{
    set_state(ns, ns.state);
}

void HealthMonitor::namespace_removed(const NamespaceStatus& ns)
{
    known_.erase(ns.identity.name);
    failed_.erase(ns.identity.name);
}

void HealthMonitor::events_emitted(const NamespaceStatus& /*ns*/, std::span<const SequencedEvent> /*events*/,
                                   std::uint64_t /*now_usec*/)
{
    // Events flowing say nothing the other calls do not.
}

void HealthMonitor::resynced(const NamespaceStatus& /*ns*/, ResyncReason reason)
{
    const auto now = clock_();
    expire(now);
    resyncs_.emplace_back(now, reason);
    ++resync_counts_[static_cast<std::size_t>(reason)];
}

void HealthMonitor::state_changed(const NamespaceStatus& ns, MonitorState /*before*/)
{
    set_state(ns, ns.state);
}

void HealthMonitor::worker_failed(const NamespaceStatus& ns)
{
    set_state(ns, MonitorState::Failed);
}

void HealthMonitor::sampled(const RegistrySample& sample)
{
    const auto now = clock_();
    expire(now);
    if (sample.events_dropped > dropped_seen_) {
        drops_.emplace_back(now, sample.events_dropped - dropped_seen_);
        dropped_in_window_ += sample.events_dropped - dropped_seen_;
    }
    dropped_seen_ = sample.events_dropped;
    levels_.deepest_queue = sample.deepest_queue;
    levels_.deepest_queue_name = sample.deepest_queue_name;
    levels_.queue_capacity = sample.queue_capacity;
    levels_.fds_in_use = sample.fds_in_use;
    levels_.fd_limit = sample.fd_limit;
}

} // namespace nswatch
