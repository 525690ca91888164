#pragma once
// HealthMonitor: keeps what the health rules (health_rules.hpp, where the
// table of rules is) need from the pump's observer calls, and evaluates them
// for a given moment.
//
// What it keeps: every namespace it was told of (exported, or a state
// change) and, of those, the failed ones with their StateReason; the times
// of the resyncs and of the drops seen in the last minute (a window); the
// levels of the last RegistrySample (queue, fds). Drops are a counter in the
// sample: an increase counts at the time of the sample that shows it, so
// their window is as fine as the sampling.
//
// Threading: bus thread only, as every PumpObserver (its calls, health(),
// evaluate() and next_change()). Nothing blocks or throws.
// Ownership: the registry holds it by pointer (as observer) and so does the
// ManagerObject (as HealthSource); it outlives both.
#include "daemon/pump_observer.hpp"
#include "health/health_report.hpp"
#include "health/health_rules.hpp"

#include <array>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace nswatch {

class HealthMonitor final : public PumpObserver, public HealthSource {
public:
    using Clock = std::chrono::steady_clock;

    // `clock` stamps the observer calls (a test passes its own). `window`:
    // what "the last minute" of the rules is (a test daemon shortens it).
    explicit HealthMonitor(std::function<Clock::time_point()> clock = &Clock::now,
                           Clock::duration window = kHealthWindow);

    // The health as of `now` (not before the last observer call).
    [[nodiscard]] HealthReport evaluate(Clock::time_point now) const;
    // HealthSource: evaluate(clock()).
    [[nodiscard]] HealthReport health() const override { return evaluate(clock_()); }
    // When the report of a moment after `now` will differ from evaluate(now)
    // without any observer call: the next expiry of a resync or drop out of
    // the last minute. nullopt: never by itself. Arm a timer for it and
    // compare reports then (HealthReport's ==) instead of polling.
    [[nodiscard]] std::optional<Clock::time_point> next_change(Clock::time_point now) const;
    [[nodiscard]] std::optional<Clock::time_point> next_change() const { return next_change(clock_()); }

    // PumpObserver
    void namespace_exported(const NamespaceStatus& ns, std::chrono::steady_clock::duration since_seen) override;
    void namespace_removed(const NamespaceStatus& ns) override;
    void events_emitted(const NamespaceStatus& ns, std::span<const SequencedEvent> events,
                        std::uint64_t now_usec) override;
    void resynced(const NamespaceStatus& ns, ResyncReason reason) override;
    void state_changed(const NamespaceStatus& ns, MonitorState before) override;
    void worker_failed(const NamespaceStatus& ns) override;
    void sampled(const RegistrySample& sample) override;

private:
    void set_state(const NamespaceStatus& ns, MonitorState state);
    // Forgets what left the window before `now`.
    void expire(Clock::time_point now);

    std::function<Clock::time_point()> clock_;
    Clock::duration window_;
    std::set<std::string> known_;                                    // every namespace told of, until removed
    std::map<std::string, std::string> failed_;                      // failed now: name -> StateReason
    std::deque<std::pair<Clock::time_point, ResyncReason>> resyncs_; // in time order
    std::deque<std::pair<Clock::time_point, std::uint64_t>> drops_;  // increases of the dropped counter
    static constexpr std::size_t kResyncReasons = 4;                 // ResyncReason's values
    std::array<std::uint64_t, kResyncReasons> resync_counts_{};      // of resyncs_, by reason
    std::uint64_t dropped_in_window_ = 0;                            // the sum of drops_
    std::uint64_t dropped_seen_ = 0;                                 // the counter in the last sample
    HealthInputs levels_;                                            // only the sample's levels are set
};

} // namespace nswatch
