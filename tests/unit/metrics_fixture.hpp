#pragma once
// Feeding DaemonMetrics the calls the event pump makes, and reading its
// exposition back: shared by the metrics unit tests, the dashboard test and
// tests/metrics/render_metrics.cpp (the promtool check).
#include "metrics/daemon_metrics.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace nswatch::test {

inline NamespaceStatus metrics_namespace(std::string name, SourceKind source = SourceKind::Named)
{
    NamespaceStatus ns;
    ns.identity.name = std::move(name);
    ns.identity.source = source;
    ns.state = MonitorState::Monitoring;
    return ns;
}

inline SequencedEvent metrics_event(Change change, KernelObject object, std::uint64_t time_usec)
{
    static std::uint64_t seq = 0;
    return SequencedEvent{++seq, ObjectEvent{change, time_usec, std::move(object)}};
}

// One of every observer call, with per-type events and latencies a test
// can count on: 2 link-added (10 us and 2 ms), 1 qdisc-changed (0.3 s),
// 1 filter-removed (no time).
inline void populate(DaemonMetrics& metrics)
{
    constexpr std::uint64_t kNow = 1'700'000'000'000'000;
    const NamespaceStatus blue = metrics_namespace("blue");
    const NamespaceStatus docker = metrics_namespace("docker/1a2b", SourceKind::Docker);
    metrics.namespace_exported(blue, std::chrono::milliseconds(3));
    metrics.namespace_exported(docker, std::chrono::milliseconds(40));
    const std::vector<SequencedEvent> events{
        metrics_event(Change::Added, Link{}, kNow - 10), metrics_event(Change::Added, Link{}, kNow - 2'000),
        metrics_event(Change::Changed, Qdisc{}, kNow - 300'000), metrics_event(Change::Removed, Filter{}, 0)};
    metrics.events_emitted(blue, events, kNow);
    metrics.resynced(blue, ResyncReason::Overrun);
    metrics.resynced(docker, ResyncReason::QueueFull);
    NamespaceStatus failed = docker;
    failed.state = MonitorState::Failed;
    failed.state_reason = "socket: EMFILE";
    metrics.state_changed(failed, MonitorState::Monitoring);
    metrics.worker_failed(failed);
    metrics.state_changed(docker, MonitorState::Failed);
    metrics.resynced(docker, ResyncReason::Restart);
    RegistrySample sample;
    sample.namespaces = {{SourceKind::Named, MonitorState::Monitoring, 1},
                         {SourceKind::Docker, MonitorState::Monitoring, 1}};
    sample.events_dropped = 7;
    sample.netlink_overruns = 2;
    sample.queue_depth = 5;
    sample.queue_capacity = 4096;
    sample.deepest_queue = 4;
    sample.deepest_queue_name = "blue";
    sample.queue_high_water = 100;
    sample.fds_in_use = 20;
    sample.fd_limit = 1024;
    metrics.sampled(sample);
}

// The samples of an exposition: "name{labels}" (as written) -> value.
inline std::map<std::string, double> parse_exposition(const std::string& text)
{
    std::map<std::string, double> samples;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line.front() == '#')
            continue;
        const auto space = line.rfind(' ');
        std::string value = line.substr(space + 1);
        samples[line.substr(0, space)] = value == "+Inf" ? 1e300 : std::stod(value);
    }
    return samples;
}

// The metric names in an exposition's samples (histograms: _bucket, _sum, _count).
inline std::set<std::string> sample_names(const std::string& text)
{
    std::set<std::string> names;
    for (const auto& [series, value] : parse_exposition(text))
        names.insert(series.substr(0, series.find('{')));
    return names;
}

inline std::optional<double> sample(const std::string& text, const std::string& series)
{
    const auto samples = parse_exposition(text);
    const auto found = samples.find(series);
    if (found == samples.end())
        return std::nullopt;
    return found->second;
}

} // namespace nswatch::test
