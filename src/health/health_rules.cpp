#include "health/health_rules.hpp"

#include "bus/enum_strings.hpp"

#include <algorithm>

namespace nswatch {

namespace {

// 100 * part / whole, rounded down (whole > 0).
std::size_t percent(std::size_t part, std::size_t whole)
{
    return part * 100 / whole;
}

std::string plural(std::uint64_t n, const char* one, const char* many)
{
    std::string text = std::to_string(n);
    text += ' ';
    text += n == 1 ? one : many;
    return text;
}

std::string fd_reason(const HealthInputs& in, bool failing)
{
    std::string text = "file descriptors: ";
    text += std::to_string(in.fds_in_use);
    text += " of ";
    text += std::to_string(in.fd_limit);
    text += " in use (";
    text += std::to_string(percent(in.fds_in_use, in.fd_limit));
    text += failing ? " %): new namespaces cannot be monitored; raise LimitNOFILE=" : " %): raise LimitNOFILE=";
    return text;
}

std::string resync_reason(const HealthInputs& in, std::uint64_t total)
{
    std::string text = plural(total, "resync", "resyncs");
    text += " in the last minute (";
    // Spelled as the Resynced signal spells them, so the two can be matched.
    const std::pair<ResyncReason, std::uint64_t> parts[] = {{ResyncReason::Overrun, in.overrun_resyncs},
                                                            {ResyncReason::QueueFull, in.queue_full_resyncs},
                                                            {ResyncReason::Restart, in.restart_resyncs}};
    bool first = true;
    for (const auto& [reason, count] : parts) {
        if (count == 0) {
            continue;
        }
        text += first ? "" : ", ";
        text += resync_reason_string(reason);
        text += ": ";
        text += std::to_string(count);
        first = false;
    }
    text += ')';
    return text;
}

std::string failed_reason(const FailedNamespace& ns)
{
    std::string text = "namespace ";
    text += ns.name;
    text += ": worker failed";
    if (!ns.reason.empty()) {
        text += " (";
        text += ns.reason;
        text += ')';
    }
    // The worker's own reason usually says "retrying in N ms" already.
    if (ns.reason.find("retrying") == std::string::npos) {
        text += ", retrying";
    }
    return text;
}

} // namespace

HealthReport evaluate_health(const HealthInputs& in)
{
    HealthReport report;
    auto raise = [&](HealthState to) { report.state = std::max(report.state, to); };

    const bool fds_failing = in.fd_limit != 0 && in.fds_in_use * 100 >= kFailingFdPercent * in.fd_limit;
    const bool fds_degraded = in.fd_limit != 0 && in.fds_in_use * 100 > kDegradedFdPercent * in.fd_limit;
    if (fds_failing) {
        raise(HealthState::Failing);
        report.reasons.push_back(fd_reason(in, true));
    }
    if (in.monitored != 0 && in.failed_count >= in.monitored) {
        raise(HealthState::Failing);
        std::string text = in.monitored == 1 ? std::string("the only monitored namespace failed")
                                             : "all " + std::to_string(in.monitored) + " monitored namespaces failed";
        text += ": no events are delivered";
        report.reasons.push_back(std::move(text));
    }
    if (fds_degraded && !fds_failing) {
        raise(HealthState::Degraded);
        report.reasons.push_back(fd_reason(in, false));
    }
    if (in.dropped_last_minute != 0) {
        raise(HealthState::Degraded);
        report.reasons.push_back(plural(in.dropped_last_minute, "event", "events") +
                                 " dropped in the last minute (a queue filled; clients were resynced): raise "
                                 "--queue-size or find the slow subscriber");
    }
    const auto resyncs = in.overrun_resyncs + in.queue_full_resyncs + in.restart_resyncs;
    if (resyncs != 0) {
        raise(HealthState::Degraded);
        report.reasons.push_back(resync_reason(in, resyncs));
    }
    if (in.queue_capacity != 0 && in.deepest_queue * 100 > kDegradedQueuePercent * in.queue_capacity) {
        raise(HealthState::Degraded);
        std::string text = "queue of namespace ";
        text += in.deepest_queue_name;
        text += " is ";
        text += std::to_string(percent(in.deepest_queue, in.queue_capacity));
        text += " % full (";
        text += std::to_string(in.deepest_queue);
        text += " of ";
        text += std::to_string(in.queue_capacity);
        text += ')';
        report.reasons.push_back(std::move(text));
    }
    if (in.failed_count != 0) {
        raise(HealthState::Degraded);
    }
    std::size_t listed = 0;
    for (const auto& ns : in.failed) {
        if (listed == in.failed_count || (report.reasons.size() + 1 >= kMaxReasons && in.failed_count - listed > 1)) {
            break;
        }
        report.reasons.push_back(failed_reason(ns));
        ++listed;
    }
    if (listed < in.failed_count) {
        const auto more = in.failed_count - listed;
        report.reasons.push_back("and " + std::to_string(more) +
                                 (more == 1 ? " more namespace failed" : " more namespaces failed"));
    }
    return report;
}

} // namespace nswatch
