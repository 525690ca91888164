// The health rules (health_rules.hpp) through HealthMonitor, as the pump
// would drive it, on a clock the test moves.
#include "health/health_monitor.hpp"

#include "bus/enum_strings.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;
using namespace std::chrono_literals;
using Clock = HealthMonitor::Clock;

namespace {

struct Fixture {
    Clock::time_point now{std::chrono::hours(1)};
    HealthMonitor monitor{[this] { return now; }};

    static NamespaceStatus ns(const std::string& name, MonitorState state = MonitorState::Monitoring,
                              std::string reason = "")
    {
        NamespaceStatus status;
        status.identity.name = name;
        status.identity.source = name == "default" ? SourceKind::Default : SourceKind::Named;
        status.state = state;
        status.state_reason = std::move(reason);
        return status;
    }
    void add(const std::string& name) { monitor.namespace_exported(ns(name), 5ms); }
    void fail(const std::string& name, const std::string& why)
    {
        const auto failed = ns(name, MonitorState::Failed, why);
        monitor.state_changed(failed, MonitorState::Monitoring);
        monitor.worker_failed(failed);
    }
    void recover(const std::string& name) { monitor.state_changed(ns(name), MonitorState::Failed); }
    void sample(std::uint64_t dropped, std::size_t deepest = 0, std::size_t fds = 10, std::size_t limit = 1024)
    {
        RegistrySample s;
        s.events_dropped = dropped;
        s.queue_capacity = 4096;
        s.deepest_queue = deepest;
        s.deepest_queue_name = deepest == 0 ? "" : "ns1";
        s.fds_in_use = fds;
        s.fd_limit = limit;
        monitor.sampled(s);
    }
    HealthReport report() const { return monitor.evaluate(now); }
};

} // namespace

TEST_CASE("a daemon with nothing wrong is ok with no reasons, and nothing changes by itself", "[unit][health]")
{
    Fixture f;
    CHECK(f.report() == HealthReport{});
    f.add("default");
    f.add("ns1");
    f.sample(0, 100, 50);
    CHECK(f.report() == HealthReport{HealthState::Ok, {}});
    CHECK(f.monitor.health() == HealthReport{});
    CHECK_FALSE(f.monitor.next_change(f.now).has_value());
}

TEST_CASE("a failed worker makes the daemon degraded, names the namespace and why; recovery clears it",
          "[unit][health]")
{
    Fixture f;
    f.add("default");
    f.add("ns1");
    f.fail("ns1", "netlink failed: Too many open files; retrying in 400 ms");
    const auto r = f.report();
    CHECK(r.state == HealthState::Degraded);
    CHECK(r.reasons == std::vector<std::string>{
                           "namespace ns1: worker failed (netlink failed: Too many open files; retrying in 400 ms)"});
    f.fail("ns1", "socket closed");
    CHECK(f.report().reasons == std::vector<std::string>{"namespace ns1: worker failed (socket closed), retrying"});
    f.recover("ns1");
    CHECK(f.report() == HealthReport{});
}

TEST_CASE("a failed namespace that is removed no longer counts", "[unit][health]")
{
    Fixture f;
    f.add("default");
    f.add("ns1");
    f.fail("ns1", "x");
    f.monitor.namespace_removed(Fixture::ns("ns1", MonitorState::Failed, "x"));
    CHECK(f.report() == HealthReport{});
}

TEST_CASE("every monitored namespace failed is failing: nothing is delivered", "[unit][health]")
{
    Fixture f;
    f.add("default");
    f.fail("default", "netlink failed: No buffer space available; retrying in 100 ms");
    auto r = f.report();
    CHECK(r.state == HealthState::Failing);
    REQUIRE(r.reasons.size() == 2);
    CHECK(r.reasons[0] == "the only monitored namespace failed: no events are delivered");
    f.add("ns1");
    CHECK(f.report().state == HealthState::Degraded); // the host failed, ns1 still delivered
    f.fail("ns1", "y");
    r = f.report();
    CHECK(r.state == HealthState::Failing);
    CHECK(r.reasons[0] == "all 2 monitored namespaces failed: no events are delivered");
    f.recover("default");
    CHECK(f.report().state == HealthState::Degraded);
    f.recover("ns1");
    CHECK(f.report().state == HealthState::Ok);
}

TEST_CASE("events dropped in the last minute are degraded until the minute has passed", "[unit][health]")
{
    Fixture f;
    f.add("default");
    f.sample(0);
    f.now += 10s;
    f.sample(42);
    const auto dropped_at = f.now;
    auto r = f.report();
    CHECK(r.state == HealthState::Degraded);
    CHECK(r.reasons == std::vector<std::string>{"42 events dropped in the last minute (a queue filled; clients were "
                                                "resynced): raise --queue-size or find the slow subscriber"});
    CHECK(f.monitor.next_change(f.now) == dropped_at + 60s);
    f.now += 30s;
    f.sample(43); // one more, 30 s later: 43 in the window
    CHECK(f.report().reasons[0].starts_with("43 events dropped"));
    f.now = dropped_at + 60s; // the first 42 left the window
    CHECK(f.report().reasons ==
          std::vector<std::string>{"1 event dropped in the last minute (a queue filled; clients were resynced): raise "
                                   "--queue-size or find the slow subscriber"});
    CHECK(f.monitor.next_change(f.now) == dropped_at + 90s);
    f.now = dropped_at + 90s;
    CHECK(f.report() == HealthReport{});
    CHECK_FALSE(f.monitor.next_change(f.now).has_value());
    f.sample(43); // no increase: nothing new
    CHECK(f.report() == HealthReport{});
}

TEST_CASE("resyncs in the last minute are counted by reason and expire", "[unit][health]")
{
    Fixture f;
    f.add("ns1");
    const auto first = f.now;
    f.monitor.resynced(Fixture::ns("ns1"), ResyncReason::Overrun);
    f.now += 1s;
    f.monitor.resynced(Fixture::ns("ns1"), ResyncReason::QueueFull);
    f.monitor.resynced(Fixture::ns("ns1"), ResyncReason::Overrun);
    auto r = f.report();
    CHECK(r.state == HealthState::Degraded);
    CHECK(r.reasons == std::vector<std::string>{"3 resyncs in the last minute (overrun: 2, queue-full: 1)"});
    CHECK(f.monitor.next_change(f.now) == first + 60s);
    f.now = first + 60s;
    CHECK(f.report().reasons == std::vector<std::string>{"2 resyncs in the last minute (overrun: 1, queue-full: 1)"});
    CHECK(f.monitor.next_change(f.now) == first + 61s);
    f.now = first + 61s;
    CHECK(f.report() == HealthReport{});
    CHECK_FALSE(f.monitor.next_change(f.now).has_value());
    // A worker's recovery is a "restart" resync.
    f.monitor.resynced(Fixture::ns("ns1"), ResyncReason::Restart);
    CHECK(f.report().reasons == std::vector<std::string>{"1 resync in the last minute (restart: 1)"});
}

TEST_CASE("a queue over 80 % full is degraded, below it is not", "[unit][health]")
{
    Fixture f;
    f.add("ns1");
    f.sample(0, 3276); // 79.98 %
    CHECK(f.report() == HealthReport{});
    f.sample(0, 3500);
    CHECK(f.report() == HealthReport{HealthState::Degraded, {"queue of namespace ns1 is 85 % full (3500 of 4096)"}});
    f.sample(0, 12);
    CHECK(f.report() == HealthReport{});
}

TEST_CASE("file descriptors over 80 % of the limit are degraded, 95 % failing", "[unit][health]")
{
    Fixture f;
    f.add("default");
    f.sample(0, 0, 819, 1024); // 79.98 %
    CHECK(f.report() == HealthReport{});
    f.sample(0, 0, 950, 1024);
    CHECK(f.report() ==
          HealthReport{HealthState::Degraded, {"file descriptors: 950 of 1024 in use (92 %): raise LimitNOFILE="}});
    f.sample(0, 0, 973, 1024); // 95.02 %
    CHECK(f.report() == HealthReport{HealthState::Failing,
                                     {"file descriptors: 973 of 1024 in use (95 %): new namespaces cannot be "
                                      "monitored; raise LimitNOFILE="}});
    f.sample(0, 0, 30, 1024);
    CHECK(f.report() == HealthReport{});
    f.sample(0, 0, 30, 0); // limit unknown: no rule
    CHECK(f.report() == HealthReport{});
}

TEST_CASE("many failed namespaces are summarized after ten reasons", "[unit][health]")
{
    Fixture f;
    f.add("default");
    for (int i = 0; i < 40; ++i) {
        const auto name = "ns" + std::to_string(100 + i);
        f.add(name);
        f.fail(name, "e");
    }
    f.monitor.resynced(Fixture::ns("ns100"), ResyncReason::Overrun);
    const auto r = f.report();
    CHECK(r.state == HealthState::Degraded);
    REQUIRE(r.reasons.size() == kMaxReasons);
    CHECK(r.reasons[0] == "1 resync in the last minute (overrun: 1)");
    CHECK(r.reasons[1] == "namespace ns100: worker failed (e), retrying");
    CHECK(r.reasons[8] == "namespace ns107: worker failed (e), retrying");
    CHECK(r.reasons[9] == "and 32 more namespaces failed");
}

TEST_CASE("ten reasons exactly are all listed", "[unit][health]")
{
    Fixture f;
    f.add("default");
    for (int i = 0; i < 10; ++i) {
        const auto name = "ns" + std::to_string(10 + i);
        f.add(name);
        f.fail(name, "e");
    }
    const auto r = f.report();
    REQUIRE(r.reasons.size() == 10);
    CHECK(r.reasons[9] == "namespace ns19: worker failed (e), retrying");
}

TEST_CASE("health states are spelled ok, degraded and failing on D-Bus", "[unit][health]")
{
    CHECK(health_string(HealthState::Ok) == "ok");
    CHECK(health_string(HealthState::Degraded) == "degraded");
    CHECK(health_string(HealthState::Failing) == "failing");
}
