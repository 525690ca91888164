#pragma once
// The daemon's figures about itself, wired to the bus loop: the Prometheus
// metrics (DaemonMetrics), the health rules (HealthMonitor), their D-Bus
// face on the Manager (Health, HealthReasons, GetMetrics) and, when asked
// for, their HTTP face (/metrics, /health: MetricsServer).
//
// Threading: constructed, used and destroyed on the bus thread, except what
// the HTTP server's own thread reads: DaemonMetrics::render() (thread-safe:
// prometheus-cpp's atomics and mutexes) and the last published health
// document (under a mutex). Neither thread ever waits for the other.
//
// Levels (queue depths, fds, namespaces by state) are not events: the
// registry is sampled (one walk over the rings, ~50 µs at 10,000
// namespaces) after the namespace set changed, after a resync (drops
// are counted then), at most once a second while rings are being drained,
// before GetMetrics, and with an HTTP listener every 5 s so that a scrape
// sees fresh gauges. Without a listener there is no periodic wake-up.
//
// Health is re-evaluated only after something that can change it (a
// resync, a worker failing or recovering, a sample, a namespace going) and
// when the last-minute window moves (a one-shot timer at next_change());
// PropertiesChanged goes out only when the report differs.
//
// Ownership: owns the metrics, the health monitor, the timers and the
// server; the registry and the Manager object outlive it (the registry
// holds it as an observer: destroy this first, as Daemon::Impl does).
#include "daemon/metrics_renderer.hpp"
#include "daemon/pump_observer.hpp"
#include "health/health_monitor.hpp"
#include "http/metrics_server.hpp"
#include "metrics/daemon_metrics.hpp"
#include "util/event_loop.hpp"
#include "util/unique_fd.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

namespace nswatch {

class ManagerObject;
class NamespaceRegistry;

class Observability final : private PumpObserver, private HealthSource {
public:
    // `listener`: a listening TCP socket to serve /metrics and /health on
    // (bound from --metrics-listen, or passed by systemd), or none.
    // `health_window`: "the last minute" of the health rules (tests
    // shorten it: NSWATCH_TEST_HEALTH_WINDOW_MS).
    Observability(EventLoop& loop, NamespaceRegistry& registry, ManagerObject& manager, bool per_namespace,
                  std::chrono::steady_clock::duration health_window, std::optional<UniqueFd> listener);
    Observability(const Observability&) = delete;
    Observability& operator=(const Observability&) = delete;
    ~Observability() override;

    // Bus thread, once per loop round: samples when due (`draining`: the
    // round drained rings), publishes a changed health.
    void after_round(bool draining);
    // The namespace set changed: fd and namespace figures moved.
    void namespaces_changed() noexcept { sample_due_ = true; }

private:
    using Clock = std::chrono::steady_clock;

    // PumpObserver: only notes what may change health or need a sample;
    // the metrics and the health monitor are observers of their own.
    void namespace_exported(const NamespaceStatus& /*ns*/, Clock::duration /*since_seen*/) override {}
    void namespace_removed(const NamespaceStatus& /*ns*/) override { health_due_ = true; }
    void events_emitted(const NamespaceStatus& /*ns*/, std::span<const SequencedEvent> /*events*/,
                        std::uint64_t /*now_usec*/) override
    {
    }
    void resynced(const NamespaceStatus& /*ns*/, ResyncReason /*reason*/) override { sample_due_ = true; }
    void state_changed(const NamespaceStatus& /*ns*/, MonitorState /*before*/) override { health_due_ = true; }
    void worker_failed(const NamespaceStatus& /*ns*/) override { health_due_ = true; }
    void sampled(const RegistrySample& /*sample*/) override { health_due_ = true; }

    // HealthSource (the Manager's properties): the last published report,
    // so a property read agrees with the PropertiesChanged that went out.
    [[nodiscard]] HealthReport health() const override { return published_; }

    void sample();
    void publish_health();
    [[nodiscard]] http::HealthDocument health_document() const;

    NamespaceRegistry& registry_;
    ManagerObject& manager_;
    DaemonMetrics metrics_;
    HealthMonitor monitor_;
    HealthReport published_;
    Timer health_timer_; // when the minute window changes the report by itself
    Timer sample_timer_; // only with a listener
    Clock::time_point last_sample_{};
    bool sample_due_ = true;
    bool health_due_ = true;
    mutable std::mutex document_mutex_;
    http::HealthDocument document_; // what /health answers (HTTP thread reads)
    MetricsRenderer renderer_;      // GetMetrics' text, off the bus thread
    // Last: destroyed first, so its thread stops before what it reads goes.
    std::unique_ptr<http::MetricsServer> server_;
};

} // namespace nswatch
