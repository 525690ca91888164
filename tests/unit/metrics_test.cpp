// DaemonMetrics as a scrape sees it: the observer calls of the event pump go
// in, the text exposition comes out.
#include "metrics/daemon_metrics.hpp"
#include "metrics_fixture.hpp"
#include "nswatch_config.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <ctime>
#include <thread>

using namespace nswatch;
using nswatch::test::metrics_event;
using nswatch::test::metrics_namespace;
using nswatch::test::sample;

TEST_CASE("events are counted by type, every type present from the start", "[unit][metrics]")
{
    DaemonMetrics metrics;
    const std::string idle = metrics.render();
    CHECK(sample(idle, R"(nswatch_events_published_total{type="link-added"})") == 0.0);
    CHECK(sample(idle, R"(nswatch_events_published_total{type="filter-removed"})") == 0.0);
    CHECK(sample(idle, R"(nswatch_events_published_total{type="class-changed"})") == 0.0);

    test::populate(metrics);
    const std::string text = metrics.render();
    CHECK(sample(text, R"(nswatch_events_published_total{type="link-added"})") == 2.0);
    CHECK(sample(text, R"(nswatch_events_published_total{type="qdisc-changed"})") == 1.0);
    CHECK(sample(text, R"(nswatch_events_published_total{type="filter-removed"})") == 1.0);
    CHECK(sample(text, R"(nswatch_events_published_total{type="link-removed"})") == 0.0);
    CHECK(sample(text, R"(nswatch_signals_emitted_total{signal="Events"})") == 1.0);
    CHECK(sample(text, R"(nswatch_signals_emitted_total{signal="NamespaceAdded"})") == 2.0);
    CHECK(sample(text, R"(nswatch_signals_emitted_total{signal="Resynced"})") == 3.0);
}

TEST_CASE("latencies land in their buckets, one observation per timed event", "[unit][metrics]")
{
    DaemonMetrics metrics;
    test::populate(metrics);
    const std::string text = metrics.render();
    // 10 us, 2 ms and 0.3 s; the filter event had no kernel time.
    CHECK(sample(text, "nswatch_event_latency_seconds_count") == 3.0);
    CHECK(sample(text, R"(nswatch_event_latency_seconds_bucket{le="5e-05"})") == 1.0);
    CHECK(sample(text, R"(nswatch_event_latency_seconds_bucket{le="0.0025"})") == 2.0);
    CHECK(sample(text, R"(nswatch_event_latency_seconds_bucket{le="0.25"})") == 2.0);
    CHECK(sample(text, R"(nswatch_event_latency_seconds_bucket{le="0.5"})") == 3.0);
    CHECK(sample(text, "nswatch_event_latency_seconds_sum").value() == Approx(0.30201));
    CHECK(sample(text, "nswatch_events_per_signal_count") == 1.0);
    CHECK(sample(text, R"(nswatch_events_per_signal_bucket{le="2"})") == 0.0);
    CHECK(sample(text, R"(nswatch_events_per_signal_bucket{le="4"})") == 1.0);
    CHECK(sample(text, "nswatch_discovery_latency_seconds_count") == 2.0);
    CHECK(sample(text, R"(nswatch_discovery_latency_seconds_bucket{le="0.005"})") == 1.0);
    CHECK(sample(text, R"(nswatch_discovery_latency_seconds_bucket{le="0.05"})") == 2.0);
}

TEST_CASE("a clock stepped back counts as no latency, not as years", "[unit][metrics]")
{
    DaemonMetrics metrics;
    const std::vector<SequencedEvent> events{metrics_event(Change::Added, Link{}, 2'000'000)};
    metrics.events_emitted(metrics_namespace("blue"), events, 1'000'000);
    const std::string text = metrics.render();
    CHECK(sample(text, R"(nswatch_event_latency_seconds_bucket{le="5e-05"})") == 1.0);
    CHECK(sample(text, "nswatch_event_latency_seconds_sum") == 0.0);
}

TEST_CASE("resyncs, failures, restarts and the sampled levels", "[unit][metrics]")
{
    DaemonMetrics metrics;
    test::populate(metrics);
    const std::string text = metrics.render();
    CHECK(sample(text, R"(nswatch_resyncs_total{reason="overrun"})") == 1.0);
    CHECK(sample(text, R"(nswatch_resyncs_total{reason="queue-full"})") == 1.0);
    CHECK(sample(text, R"(nswatch_resyncs_total{reason="restart"})") == 1.0);
    CHECK_FALSE(sample(text, R"(nswatch_resyncs_total{reason="initial"})"));
    CHECK(sample(text, "nswatch_worker_failures_total") == 1.0);
    CHECK(sample(text, "nswatch_worker_restarts_total") == 1.0);
    CHECK(sample(text, "nswatch_events_dropped_total") == 7.0);
    CHECK(sample(text, "nswatch_netlink_overruns_total") == 2.0);
    CHECK(sample(text, R"(nswatch_namespaces{source="docker",state="monitoring"})") == 1.0);
    CHECK(sample(text, R"(nswatch_namespaces{source="named",state="failed"})") == 0.0);
    CHECK(sample(text, "nswatch_namespaces_exported") == 2.0);
    CHECK(sample(text, "nswatch_queue_depth") == 5.0);
    CHECK(sample(text, "nswatch_queue_deepest") == 4.0);
    CHECK(sample(text, "nswatch_queue_capacity") == 4096.0);
    CHECK(sample(text, "nswatch_queue_high_water") == 100.0);
    CHECK(sample(text, R"(nswatch_build_info{version=")" NSWATCH_VERSION R"("})") == 1.0);

    // The registry's totals are since start: a later sample adds the difference.
    RegistrySample later;
    later.events_dropped = 10;
    later.netlink_overruns = 2;
    metrics.sampled(later);
    const std::string after = metrics.render();
    CHECK(sample(after, "nswatch_events_dropped_total") == 10.0);
    CHECK(sample(after, "nswatch_netlink_overruns_total") == 2.0);
    CHECK(sample(after, R"(nswatch_namespaces{source="docker",state="monitoring"})") == 0.0);
}

TEST_CASE("a namespace removed before it was exported sent no NamespaceRemoved", "[unit][metrics]")
{
    DaemonMetrics metrics;
    metrics.namespace_exported(metrics_namespace("blue"), std::chrono::milliseconds(1));
    metrics.namespace_removed(metrics_namespace("never-exported"));
    CHECK(sample(metrics.render(), R"(nswatch_signals_emitted_total{signal="NamespaceRemoved"})") == 0.0);
    metrics.namespace_removed(metrics_namespace("blue"));
    const std::string text = metrics.render();
    CHECK(sample(text, R"(nswatch_signals_emitted_total{signal="NamespaceRemoved"})") == 1.0);
    CHECK(sample(text, "nswatch_namespaces_removed_total") == 1.0);
    CHECK(sample(text, "nswatch_namespaces_exported") == 0.0);
}

TEST_CASE("per-namespace series only when asked for, gone with their namespace", "[unit][metrics]")
{
    DaemonMetrics plain;
    test::populate(plain);
    CHECK(plain.render().find("namespace=") == std::string::npos);

    DaemonMetrics per_namespace(true);
    test::populate(per_namespace);
    const std::string text = per_namespace.render();
    CHECK(sample(text, R"(nswatch_namespace_events_published_total{namespace="blue"})") == 4.0);
    CHECK(sample(text, R"(nswatch_namespace_events_published_total{namespace="docker/1a2b"})") == 0.0);
    CHECK(sample(text, R"(nswatch_namespace_resyncs_total{namespace="blue",reason="overrun"})") == 1.0);
    CHECK(sample(text, R"(nswatch_namespace_resyncs_total{namespace="docker/1a2b",reason="restart"})") == 1.0);

    // A name escaped from a file name that is not UTF-8 is its label as is
    // (the exposition writes the backslash as \\).
    const NamespaceStatus escaped = metrics_namespace("a\\xff");
    per_namespace.namespace_exported(escaped, std::chrono::milliseconds(1));
    CHECK(sample(per_namespace.render(), R"(nswatch_namespace_events_published_total{namespace="a\\xff"})") == 0.0);

    per_namespace.namespace_removed(metrics_namespace("blue"));
    const std::string after = per_namespace.render();
    CHECK(after.find(R"(namespace="blue")") == std::string::npos);
    CHECK(sample(after, R"(nswatch_namespace_events_published_total{namespace="docker/1a2b"})") == 0.0);
    // The daemon-wide counters keep what the namespace contributed.
    CHECK(sample(after, R"(nswatch_events_published_total{type="link-added"})") == 2.0);
}

TEST_CASE("the standard process metrics describe this process", "[unit][metrics]")
{
    const std::string text = DaemonMetrics().render();
    CHECK(text.find("# TYPE process_cpu_seconds_total counter") != std::string::npos);
    const auto cpu = sample(text, "process_cpu_seconds_total");
    REQUIRE(cpu);
    CHECK(*cpu >= 0.0);
    const auto rss = sample(text, "process_resident_memory_bytes");
    const auto vsize = sample(text, "process_virtual_memory_bytes");
    REQUIRE(rss);
    REQUIRE(vsize);
    CHECK(*rss > 1024.0 * 1024.0);
    CHECK(*vsize >= *rss);
    const auto fds = sample(text, "process_open_fds");
    const auto max_fds = sample(text, "process_max_fds");
    REQUIRE(fds);
    REQUIRE(max_fds);
    CHECK(*fds >= 3.0);
    CHECK(*fds <= *max_fds);
    const auto start = sample(text, "process_start_time_seconds");
    REQUIRE(start);
    const auto now = static_cast<double>(std::time(nullptr));
    CHECK(*start <= now + 1);
    CHECK(*start > now - 3600); // this test program started moments ago
}

TEST_CASE("render() on another thread while the bus thread counts", "[unit][metrics]")
{
    // What the HTTP server's thread does during a burst; run under TSan
    // (b_sanitize=thread) this is the check of the class comment's claims.
    DaemonMetrics metrics(true);
    std::atomic<bool> done{false};
    std::atomic<int> scrapes{0};
    std::atomic<int> incomplete{0};
    std::thread scraper([&] {
        while (!done.load()) {
            // Catch2's assertions are for the test's thread: count, check after.
            if (metrics.render().find("nswatch_events_published_total") == std::string::npos)
                ++incomplete;
            ++scrapes;
        }
    });
    const std::vector<SequencedEvent> events{metrics_event(Change::Added, Link{}, 1'000),
                                             metrics_event(Change::Changed, Qdisc{}, 2'000)};
    // At least kRounds, and on until the scraper has rendered during them.
    constexpr int kRounds = 2'000;
    int rounds = 0;
    for (int i = 0; i < kRounds || scrapes.load() < 10; ++i, ++rounds) {
        const NamespaceStatus ns = metrics_namespace("ns" + std::to_string(i % 8));
        metrics.namespace_exported(ns, std::chrono::microseconds(i));
        metrics.events_emitted(ns, events, 5'000);
        metrics.resynced(ns, ResyncReason::Overrun);
        metrics.namespace_removed(ns);
    }
    done = true;
    scraper.join();
    const std::string text = metrics.render();
    CHECK(scrapes.load() >= 10);
    CHECK(incomplete.load() == 0);
    CHECK(sample(text, R"(nswatch_events_published_total{type="link-added"})") == rounds);
    CHECK(sample(text, "nswatch_event_latency_seconds_count") == 2 * rounds);
    CHECK(sample(text, R"(nswatch_resyncs_total{reason="overrun"})") == rounds);
    CHECK(text.find("namespace=") == std::string::npos);
}
