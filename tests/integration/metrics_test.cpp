// Metrics and health as a scraper and an operator see them: /metrics and
// /health over HTTP (--metrics-listen), the Manager's Health properties and
// `nswatchctl status`, against what a D-Bus client received.
#include "../unit/metrics_fixture.hpp"
#include "fixture.hpp"
#include "link_view.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <thread>

using namespace nswatch::test;

namespace {

struct HttpReply {
    int status = 0;
    std::string body;
};

HttpReply http_get(std::uint16_t port, const std::string& path)
{
    const auto r = run_shell("curl -sS -m 10 -w '\\n%{http_code}' http://127.0.0.1:" + std::to_string(port) + path);
    if (r.status != 0) {
        throw std::runtime_error("curl " + path + ": " + r.output);
    }
    auto cut = r.output.rfind('\n');
    const int status = std::stoi(r.output.substr(cut + 1));
    while (cut > 0 && r.output[cut - 1] == '\n') {
        --cut; // the body's own last newline
    }
    return {status, r.output.substr(0, cut)};
}

// The sum of every series of a metric family (all label sets).
double family_sum(const std::string& text, const std::string& family)
{
    double sum = 0;
    for (const auto& [series, value] : parse_exposition(text)) {
        if (series.substr(0, series.find('{')) == family) {
            sum += value;
        }
    }
    return sum;
}

} // namespace

TEST_CASE("a scrape of /metrics during a burst: counters only grow, and once quiet they equal the events a D-Bus "
          "client received (per namespace too); promtool finds nothing to say",
          "[integration][metrics]")
{
    DaemonFixture f({"--metrics-listen=127.0.0.1:0", "--metrics-per-namespace"});
    const auto ns = f.add_namespace("nsm");
    const auto port = metrics_port(f.daemon);
    TempDirectory dir;
    const auto batch = write_burst(dir, 300, "m");
    std::atomic<bool> done{false};
    std::jthread burst([&] {
        f.daemon.sh("ip -n " + ns.name + " -batch " + batch);
        done = true;
    });
    double last_total = 0;
    int scrapes = 0;
    while (!done) {
        const auto reply = http_get(port, "/metrics");
        REQUIRE(reply.status == 200);
        const double total = family_sum(reply.body, "nswatch_events_published_total");
        CHECK(total >= last_total);
        last_total = total;
        ++scrapes;
    }
    burst.join();

    const std::string per_namespace = "nswatch_namespace_events_published_total{namespace=\"" + ns.name + "\"}";
    std::string text;
    std::size_t received = 0;
    wait_until(
        [&] {
            text = http_get(port, "/metrics").body;
            received = f.recorder.events_of(ns.name).size();
            const auto published = f.caller.manager_property("EventsPublished").get<std::uint64_t>();
            return received >= 600 && sample(text, per_namespace) == static_cast<double>(received) &&
                   family_sum(text, "nswatch_events_published_total") == static_cast<double>(published);
        },
        "the scraped counters to equal what the client received");
    CHECK(sample(text, "nswatch_event_latency_seconds_count").value_or(-1) >= static_cast<double>(received));
    CHECK(family_sum(text, "nswatch_events_dropped_total") == 0);
    CHECK(sample(text, "nswatch_namespaces_exported") == 2);

    const char* get_promtool = std::getenv("NSWATCH_GET_PROMTOOL");
    REQUIRE(get_promtool != nullptr);
    const auto promtool = run_shell(std::string(get_promtool) + " 2>/dev/null");
    if (promtool.status == 0) {
        std::ofstream(dir.path() + "/scrape") << text << '\n'; // http_get took the last newline off
        const auto path = promtool.output.substr(0, promtool.output.find('\n'));
        const auto check = run_shell(path + " check metrics < " + dir.path() + "/scrape");
        INFO(check.output);
        CHECK(check.status == 0);
        CHECK(check.output.empty());
    } else {
        WARN("promtool could not be had: the exposition's conventions were not checked");
    }
    std::printf("metrics (scrape during a burst): %d scrapes while 300 veth pairs were made; %zu events received "
                "= %s\n",
                scrapes, received, per_namespace.c_str());
}

TEST_CASE("a worker that fails makes the health degraded, naming the namespace, on D-Bus, /health and nswatchctl "
          "status alike; it is ok again once the window passed",
          "[integration][metrics]")
{
    const auto name = unique_name("nsh");
    PrivateBus bus;
    DaemonProcess daemon(bus, {"--metrics-listen=127.0.0.1:0"},
                         {"NSWATCH_TEST_FAIL_NAMESPACE=" + name, "NSWATCH_TEST_HEALTH_WINDOW_MS=3000"});
    SignalRecorder recorder(bus.address());
    Caller caller(bus.address());
    const auto port = metrics_port(daemon);
    CHECK(http_get(port, "/health").body == "{\"health\":\"ok\",\"health_reasons\":[]}");

    // The hook fails the worker at its first read after the initial dump:
    // a notification makes sure there is one.
    daemon.sh("ip netns add " + name);
    recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == name; });
    daemon.sh("ip -n " + name + " link set lo up");
    const auto degraded = recorder.wait_for([&](const ReceivedSignal& s) {
        const auto it = s.changed.find("Health");
        return s.member == "PropertiesChanged" && it != s.changed.end() && it->second.get<std::string>() == "degraded";
    });
    const auto reasons = degraded.changed.at("HealthReasons").get<std::vector<std::string>>();
    REQUIRE(!reasons.empty());
    CHECK(reasons.front().find(name) != std::string::npos);
    // The same report everywhere while it lasts (the window is 3 s).
    const auto health = http_get(port, "/health");
    const auto status = ctl(bus.address(), "--json status");
    const auto parsed = nlohmann::json::parse(health.body);
    CHECK(health.status == 200);
    if (parsed.at("health") == "degraded") {
        CHECK(nlohmann::json::parse(status.output).at("health_reasons") == parsed.at("health_reasons"));
    }

    recorder.wait_for([&](const ReceivedSignal& s) {
        const auto it = s.changed.find("Health");
        return s.member == "PropertiesChanged" && s.received > degraded.received && it != s.changed.end() &&
               it->second.get<std::string>() == "ok";
    });
    CHECK(caller.manager_property("HealthReasons").get<std::vector<std::string>>().empty());
    CHECK(http_get(port, "/health").body == "{\"health\":\"ok\",\"health_reasons\":[]}");
    daemon.sh("ip netns delete " + name);
    std::printf("metrics (health): degraded with \"%s\", then ok\n", reasons.front().c_str());
}
