// Hostile HTTP clients against the real daemon (issue 10 §4/§6): while
// 2,000 idle connections, slowloris clients and 1 MB request lines attack
// --metrics-listen from other loopback addresses, a burst of kernel changes
// must reach a D-Bus client as if nothing happened, method calls must stay
// quick, a scraper from 127.0.0.1 must get /metrics within the server's
// documented bound, and the daemon's threads and memory must not grow.
// The server's own limits are unit-tested in tests/unit/hostile_client_test.cpp.
#include "../unit/http_client.hpp"
#include "fixture.hpp"
#include "link_view.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using namespace nswatch;
using namespace nswatch::test;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kRssIsOurs = false; // the sanitizers' quarantine and shadow memory (fault_test.cpp)
#else
constexpr bool kRssIsOurs = true;
#endif

// The server's limits (ServerLimits defaults, nswatchd(8) METRICS LISTENER).
constexpr auto kIdleTimeout = 5s;
constexpr std::size_t kPerAddress = 8;
constexpr std::size_t kConnections = 32;

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

// curl from 127.0.0.1: its HTTP status (0 if none within a minute).
int scrape_status(std::uint16_t port)
{
    const auto r = run_shell("curl -s -o /dev/null --connect-timeout 60 -m 60 -w '%{http_code}' http://127.0.0.1:" +
                             std::to_string(port) + "/metrics");
    return r.output.empty() ? 0 : std::stoi(r.output);
}

// The daemon's sockets (the listener, the bus, netlink, HTTP connections).
std::size_t daemon_sockets(pid_t pid)
{
    std::size_t count = 0;
    std::error_code ec;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        std::error_code link_ec;
        count += std::filesystem::read_symlink(it->path(), link_ec).string().starts_with("socket:") ? 1 : 0;
    }
    return count;
}

// A blocking TCP socket from `source` whose connect, send and receive give
// up after 30 s (SO_SNDTIMEO bounds connect too), so a client never hangs.
UniqueFd connect_bounded(std::uint16_t port, const char* source)
{
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const timeval limit{30, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    const auto from = loopback(0, source);
    const auto to = loopback(port);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&from), sizeof from) < 0 ||
        ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
        fd.reset();
    }
    return fd;
}

} // namespace

TEST_CASE("hostile HTTP clients (2,000 idle connections, slowloris, 1 MB request lines) while 300 veth pairs are "
          "made: the D-Bus client gets every event gapless, calls stay under 2 s, a scraper is served once the "
          "idle timeout frees a slot, threads and memory do not grow",
          "[integration][metrics-hostile]")
{
    rlimit limit{}; // 2,000 client sockets: the soft fd limit may be 1,024
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    REQUIRE(limit.rlim_cur >= 2400);

    DaemonFixture f({"--metrics-listen=127.0.0.1:0"});
    const auto ns = f.add_namespace("nhh");
    const auto port = metrics_port(f.daemon);
    REQUIRE(scrape_status(port) == 200); // its response buffers exist before the baseline
    LinkView view;
    view.snapshot(f.caller.get_state(ns.path));
    const auto baseline = process_usage(f.daemon.pid());
    const auto sockets = daemon_sockets(f.daemon.pid());

    // Slowloris first, from two addresses: half a request line, then silence.
    // With the flood's 2 x 8 they take every one of the 32 slots.
    std::vector<UniqueFd> slowloris;
    for (const char* source : {"127.0.0.4", "127.0.0.5"}) {
        for (std::size_t i = 0; i < kPerAddress; ++i) {
            slowloris.push_back(connect_from(port, source));
            REQUIRE(send_all(slowloris.back().get(), "GET /metr"));
        }
    }
    wait_until([&] { return daemon_sockets(f.daemon.pid()) >= sockets + slowloris.size(); },
               "the server to accept the slowloris clients");
    std::vector<UniqueFd> flood; // 2,000 connections that never send a byte
    flood.reserve(2000);
    for (int i = 0; i < 2000; ++i) {
        flood.push_back(connect_from(port, i % 2 == 0 ? "127.0.0.2" : "127.0.0.3", true));
    }
    REQUIRE(std::all_of(flood.begin(), flood.end(), [](const UniqueFd& fd) { return fd.valid(); }));
    wait_until([&] { return daemon_sockets(f.daemon.pid()) >= sockets + kConnections; }, "every slot to be taken");
    const auto attacked = Clock::now();

    std::atomic<bool> stop{false};
    std::atomic<int> big_answered{0}; // 1 MB request lines refused with a status >= 400, or cut
    std::jthread big([&] {
        for (int i = 0; i < 4; ++i) { // each bounded by its socket's 30 s timeouts
            const auto fd = connect_bounded(port, "127.0.0.6");
            const std::string line = "GET /" + std::string(std::size_t{1} << 20, 'a') + " HTTP/1.1\r\n\r\n";
            const auto reply = fd ? exchange(fd.get(), line) : std::nullopt;
            big_answered += !reply || reply->status >= 400 ? 1 : 0;
        }
    });
    Clock::duration scraped_after{};
    int scraped = 0;
    std::jthread scraper([&] {
        scraped = scrape_status(port);
        scraped_after = Clock::now() - attacked;
    });
    TempDirectory dir;
    const auto batch = write_burst(dir, 300, "h");
    std::atomic<bool> burst_done{false};
    std::jthread burst([&] {
        f.daemon.try_sh("ip -n " + ns.name + " -batch " + batch);
        burst_done = true;
    });
    // Method calls all along, on a connection of their own (Caller is
    // single-threaded); the threads' count sampled meanwhile.
    Clock::duration slowest{};
    std::size_t calls = 0;
    std::size_t peak_threads = 0;
    std::jthread caller_thread([&] {
        Caller caller(f.bus.address());
        while (!stop) {
            for (int i = 0; i < 2; ++i) {
                const auto t0 = Clock::now();
                if (i == 0) {
                    caller.list_namespaces();
                } else {
                    caller.get_state(ns.path);
                }
                slowest = std::max(slowest, Clock::now() - t0);
                ++calls;
            }
            peak_threads = std::max(peak_threads, process_usage(f.daemon.pid()).threads);
            pollfd none{-1, 0, 0};
            ::poll(&none, 1, 20); // pace the calls
        }
    });

    burst.join();
    const auto kernel = kernel_links(f.daemon, ns.name);
    wait_until(
        [&] {
            view.apply(f.recorder.events_of(ns.name));
            return view.set() == kernel;
        },
        "the client's view to equal the kernel's", 60s);
    const auto converged = Clock::now() - attacked;
    scraper.join();
    stop = true;
    big.join();
    caller_thread.join();
    CHECK(view.gapless);
    CHECK(view.rows.size() == kernel.size());
    CHECK(kernel.size() == 601); // lo and 300 pairs
    CHECK(slowest < 2s);
    CHECK(calls > 0);
    CHECK(scraped == 200);
    // Every slot was taken: the slowloris slots free after the idle timeout
    // (whole seconds, checked once a second), and the scraper's SYN, dropped
    // while the backlog was full, is retried after 1, 3, 7, 15 s.
    CHECK(scraped_after < 2 * kIdleTimeout + 15s);
    CHECK(big_answered == 4);
    CHECK(peak_threads <= baseline.threads);

    // The attack ends: the server lets go of every connection.
    slowloris.clear();
    flood.clear();
    wait_until([&] { return daemon_sockets(f.daemon.pid()) == sockets; }, "the server to close every connection");
    CHECK(scrape_status(port) == 200);
    const auto after = process_usage(f.daemon.pid());
    CHECK(after.threads == baseline.threads);
    if (kRssIsOurs) {
        CHECK(after.rss_kib <= baseline.rss_kib + std::size_t{4} * 1024); // 600 links more tracked, too
    }
    std::printf("metrics-hostile: 2,000 idle + %zu slowloris + 4 x 1 MB; client converged after %.2f s, gapless %d; "
                "%zu calls, slowest %.0f ms; scraper served after %.2f s; threads %zu (peak %zu) -> %zu; RSS %zu -> "
                "%zu KiB\n",
                std::size_t{2} * kPerAddress, seconds(converged), view.gapless ? 1 : 0, calls, seconds(slowest) * 1000,
                seconds(scraped_after), baseline.threads, peak_threads, after.threads, baseline.rss_kib, after.rss_kib);
}
