#pragma once
// The daemon's Prometheus metrics: a PumpObserver that counts what the event
// pump tells it, and render(), the text exposition for /metrics and D-Bus
// GetMetrics. Names follow Prometheus' conventions (`promtool check metrics`
// is silent; tests/metrics/): prefix nswatch_, counters end in _total, base
// units (seconds, bytes). Every series, with its type, labels and help, is
// made in the constructor (daemon_metrics.cpp), so a scrape shows them all
// from the start (zeros included).
//
// Ownership: the daemon owns one; the registry holds it by pointer as an
// observer. It owns its prometheus::Registry and every series in it.
//
// Threading:
// - The PumpObserver calls come from the bus thread only (pump_observer.hpp);
//   the state they keep besides the registry (the scratch buckets, the
//   per-namespace children, the exported set, the last sampled totals) is
//   touched by them alone.
// - render() may be called from any thread (the HTTP server's, the bus
//   thread for GetMetrics), concurrently with those calls. That rests on
//   prometheus-cpp 1.0.1 (read in its source): Counter and Gauge keep an
//   std::atomic<double> (Increment is a compare-exchange loop, Set a
//   store); Histogram::ObserveMultiple and Histogram::Collect hold the
//   histogram's mutex (a scrape sees whole observations); Family::Add,
//   Remove and Collect hold the family's mutex (a series removed on the bus
//   thread is never read by a scrape after it is freed); Registry::Collect
//   holds the registry's mutex, and families are only registered in the
//   constructor. ProcessCollector reads /proc and constants only.
//   Series of one signal are not updated atomically together: a scrape may
//   see a signal's events counted but its latencies not yet.
// - Hot path (events_emitted, once per Events signal): no string is built and
//   no map is searched (unless per_namespace): the type's series are made in
//   the constructor and indexed by (object kind, change); the events are
//   counted per type in a small array, each type's counter is incremented
//   once, and the latencies go in with one ObserveMultiple.
#include "daemon/pump_observer.hpp"
#include "metrics/namespace_series.hpp"
#include "metrics/process_collector.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <variant>
#include <vector>

namespace nswatch {

class DaemonMetrics final : public PumpObserver {
public:
    // per_namespace: keep the per-namespace series (--metrics-per-namespace).
    explicit DaemonMetrics(bool per_namespace = false);
    DaemonMetrics(const DaemonMetrics&) = delete;
    DaemonMetrics& operator=(const DaemonMetrics&) = delete;
    ~DaemonMetrics() override;

    // The text exposition format (version 0.0.4), process_* included. Any
    // thread (see above).
    [[nodiscard]] std::string render() const;

    void namespace_exported(const NamespaceStatus& ns, std::chrono::steady_clock::duration since_seen) override;
    void namespace_removed(const NamespaceStatus& ns) override;
    void events_emitted(const NamespaceStatus& ns, std::span<const SequencedEvent> events,
                        std::uint64_t now_usec) override;
    void resynced(const NamespaceStatus& ns, ResyncReason reason) override;
    void state_changed(const NamespaceStatus& ns, MonitorState before) override;
    void worker_failed(const NamespaceStatus& ns) override;
    void sampled(const RegistrySample& sample) override;

    // Event latency buckets in microseconds (kernel read -> signal); public
    // for the tests.
    static constexpr std::array<std::uint64_t, 16> kLatencyBoundsUsec{
        50,     100,    250,     500,     1'000,   2'500,     5'000,     10'000,
        25'000, 50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000};

private:
    static constexpr std::size_t kObjectKinds = std::variant_size_v<KernelObject>;
    static constexpr std::size_t kChanges = 3; // Change values
    static constexpr std::size_t kEventTypes = kObjectKinds * kChanges;
    static constexpr std::size_t kReasons = 4; // ResyncReason values
    static constexpr std::size_t kSources = 6; // SourceKind values
    static constexpr std::size_t kStates = 3;  // MonitorState values
    enum Signal : std::uint8_t { SignalEvents, SignalResynced, SignalAdded, SignalRemoved, kSignals };

    prometheus::Registry registry_;
    ProcessCollector process_;

    std::array<prometheus::Counter*, kEventTypes> published_{};
    std::array<prometheus::Counter*, kReasons> resyncs_{}; // Initial: none
    std::array<prometheus::Counter*, kSignals> signals_{};
    std::array<prometheus::Gauge*, kSources * kStates> namespaces_{};
    prometheus::Counter* dropped_ = nullptr;
    prometheus::Counter* overruns_ = nullptr;
    prometheus::Counter* worker_failures_ = nullptr;
    prometheus::Counter* worker_restarts_ = nullptr;
    prometheus::Counter* namespaces_added_ = nullptr;
    prometheus::Counter* namespaces_removed_ = nullptr;
    prometheus::Gauge* exported_gauge_ = nullptr;
    prometheus::Gauge* queue_depth_ = nullptr;
    prometheus::Gauge* queue_deepest_ = nullptr;
    prometheus::Gauge* queue_capacity_ = nullptr;
    prometheus::Gauge* queue_high_water_ = nullptr;
    prometheus::Histogram* event_latency_ = nullptr;
    prometheus::Histogram* events_per_signal_ = nullptr;
    prometheus::Histogram* discovery_latency_ = nullptr;

    std::optional<NamespaceSeries> per_namespace_;

    // Bus thread only.
    std::vector<double> latency_scratch_; // one count per bucket, +Inf included
    std::unordered_set<std::string> exported_;
    std::uint64_t last_dropped_ = 0;
    std::uint64_t last_overruns_ = 0;
};

} // namespace nswatch
