// How long a whole exposition takes with many namespaces and
// --metrics-per-namespace (BENCHMARKS.md "Metrics on the hot path"):
// GetMetrics on D-Bus (rendered on the bus thread, which does nothing else
// meanwhile) and a GET /metrics (rendered on the HTTP thread). For each K:
// a daemon (--metrics-listen=127.0.0.1:0 --metrics-per-namespace), K named
// namespaces each with one event (lo up), then R calls of each, timed at
// the client; and a Get of a property in between, as the floor of a call.
// Run: sudo build/tests/metrics-render-bench [K...] (default 1000; R = 20)
#include "../unit/http_client.hpp"
#include "integration/harness.hpp"
#include "nswatch/dbus_names.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

using namespace nswatch;
using namespace nswatch::test;

namespace {

constexpr int kRounds = 20;

struct Times {
    std::vector<double> ms;
    void add(Clock::duration d) { ms.push_back(std::chrono::duration<double, std::milli>(d).count()); }
    [[nodiscard]] double median()
    {
        std::sort(ms.begin(), ms.end());
        return ms[ms.size() / 2];
    }
    [[nodiscard]] double max() const { return *std::max_element(ms.begin(), ms.end()); }
};

void measure(const PrivateBus& bus, std::size_t k)
{
    DaemonProcess daemon(bus, {"--metrics-listen=127.0.0.1:0", "--metrics-per-namespace"});
    const auto port = metrics_port(daemon);
    const auto prefix = unique_name("mr");
    const std::string batch = "/tmp/" + prefix + ".batch";
    {
        std::ofstream add(batch);
        for (std::size_t i = 0; i < k; ++i) {
            add << "netns add " << prefix << "x" << i << "\n";
        }
    }
    daemon.sh("ip -batch " + batch);
    Caller caller(bus.address());
    wait_until([&] { return caller.manager_property("NamespaceCount").get<std::uint32_t>() == k + 1; },
               "every namespace to be reported", 600s);
    daemon.sh("ip -all netns exec ip link set lo up >/dev/null"); // one event (and its series) in each
    auto connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
    auto manager = sdbus::createProxy(*connection, dbus::kServiceName, dbus::kManagerPath);
    std::string text;
    wait_until(
        [&] {
            manager->callMethod("GetMetrics").onInterface(dbus::kManagerInterface).storeResultsTo(text);
            return std::count(text.begin(), text.end(), '\n') > static_cast<std::ptrdiff_t>(k);
        },
        "every namespace's series", 120s);

    Times dbus_times;
    Times http_times;
    Times floor_times;
    for (int i = 0; i < kRounds; ++i) {
        auto t0 = Clock::now();
        manager->callMethod("GetMetrics").onInterface(dbus::kManagerInterface).storeResultsTo(text);
        dbus_times.add(Clock::now() - t0);
        t0 = Clock::now();
        caller.manager_property("NamespaceCount");
        floor_times.add(Clock::now() - t0);
        t0 = Clock::now();
        const auto reply = fetch(port, "GET", "/metrics");
        http_times.add(Clock::now() - t0);
        if (!reply || reply->status != 200) {
            throw std::runtime_error("GET /metrics failed");
        }
    }
    const auto lines = std::count(text.begin(), text.end(), '\n');
    std::printf("%7zu %9zu %8td %11.2f %9.2f %11.2f %9.2f %13.3f\n", k, text.size() / 1024, lines, dbus_times.median(),
                dbus_times.max(), http_times.median(), http_times.max(), floor_times.median());
    {
        std::ofstream del(batch);
        for (std::size_t i = 0; i < k; ++i) {
            del << "netns del " << prefix << "x" << i << "\n";
        }
    }
    daemon.try_sh("ip -batch " + batch);
    ::unlink(batch.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    if (::geteuid() != 0) {
        std::fprintf(stderr, "metrics-render-bench: needs root (namespaces): skipped\n");
        return 77;
    }
    std::vector<std::size_t> ks;
    for (int i = 1; i < argc; ++i) {
        ks.push_back(std::stoul(argv[i]));
    }
    if (ks.empty()) {
        ks.push_back(1000);
    }
    rlimit limit{65536, 65536}; // one netlink socket per namespace, as LimitNOFILE=65536
    ::setrlimit(RLIMIT_NOFILE, &limit);
    try {
        PrivateBus bus;
        std::printf("metrics-render-bench: nswatchd --metrics-listen --metrics-per-namespace, %d rounds; ms at the "
                    "client\n",
                    kRounds);
        std::printf("%7s %9s %8s %11s %9s %11s %9s %13s\n", "K", "text KiB", "lines", "GetMetrics", "max",
                    "GET /metrics", "max", "property Get");
        for (const auto k : ks) {
            measure(bus, k);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "metrics-render-bench: %s\n", e.what());
        return 1;
    }
    return 0;
}
