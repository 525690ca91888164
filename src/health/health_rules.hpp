#pragma once
// The health rules: a pure function from what the HealthMonitor kept to a
// HealthReport. No clock, no state; unit-tested rule by rule.
//
// The rules: condition -> state, and its reason (examples).
// - fds in use >= 95 % of RLIMIT_NOFILE -> failing:
//     "file descriptors: 980 of 1024 in use (95 %): new namespaces cannot be monitored; raise LimitNOFILE="
// - every monitored namespace failed (at least one) -> failing, each one's reason follows:
//     "all 3 monitored namespaces failed: no events are delivered"
//     ("the only monitored namespace failed: no events are delivered" for one)
// - fds in use > 80 % of the limit -> degraded:
//     "file descriptors: 850 of 1024 in use (83 %): raise LimitNOFILE="
// - events dropped in the last minute -> degraded:
//     "42 events dropped in the last minute (a queue filled; clients were resynced): raise --queue-size or find
//     the slow subscriber"
// - resyncs in the last minute -> degraded (reasons spelled as the Resynced signal spells them):
//     "3 resyncs in the last minute (overrun: 2, queue-full: 1)"
// - the fullest queue (last sample) is over 80 % of --queue-size -> degraded:
//     "queue of namespace ns1 is 85 % full (3500 of 4096)"
// - a namespace's worker failed and retries with backoff -> degraded:
//     "namespace ns1: worker failed (<its StateReason>), retrying"
//
// Why only these are failing: "failing" means the daemon as a whole cannot
// do its job, so that HTTP /health answers 503 and a supervisor may restart
// it. Near the fd limit every new namespace fails to start; with every
// namespace failed nothing is delivered at all. One failed namespace, the
// host's included, is degraded: its worker retries with backoff, every other
// namespace is still delivered, and a restart would interrupt them all
// without curing a socket that fails (its reason says why it fails).
//
// Order of the reasons: failing ones, then fds, drops, resyncs, queue, then
// the failed namespaces by name. More than kMaxReasons are cut to
// kMaxReasons - 1 and "and 37 more namespaces failed".
#include "health/health_report.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nswatch {

inline constexpr std::chrono::seconds kHealthWindow{60}; // "the last minute"
inline constexpr std::size_t kDegradedQueuePercent = 80; // a queue over this is degraded
inline constexpr std::size_t kDegradedFdPercent = 80;    // fds over this are degraded
inline constexpr std::size_t kFailingFdPercent = 95;     // fds at or over this are failing
inline constexpr std::size_t kMaxReasons = 10;

struct FailedNamespace {
    std::string name;
    std::string reason; // its StateReason (may be empty)
};

struct HealthInputs {
    std::size_t monitored = 0;           // namespaces the daemon has (exported or not)
    std::size_t failed_count = 0;        // of them, failed now
    std::vector<FailedNamespace> failed; // the first of those in name order (kMaxReasons are enough)
    std::uint64_t dropped_last_minute = 0;
    std::uint64_t overrun_resyncs = 0; // resyncs in the last minute, by reason
    std::uint64_t queue_full_resyncs = 0;
    std::uint64_t restart_resyncs = 0;
    // Levels from the last RegistrySample (0: not known yet).
    std::size_t deepest_queue = 0;
    std::string deepest_queue_name;
    std::size_t queue_capacity = 0;
    std::size_t fds_in_use = 0;
    std::size_t fd_limit = 0;
};

[[nodiscard]] HealthReport evaluate_health(const HealthInputs& in);

} // namespace nswatch
