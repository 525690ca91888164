// The cost of DaemonMetrics (BENCHMARKS.md "Metrics"):
//
//   metrics-bench events CALLS BATCH [per-namespace]
//     CALLS events_emitted() calls of BATCH events each (types and
//     latencies mixed), as the bus thread makes them; run it under
//     callgrind with --toggle-collect='nswatch::DaemonMetrics::events_emitted*'
//     for instructions per call.
//   metrics-bench fds COUNT
//     opens COUNT extra fds (/dev/null), then times counting them by stat()
//     of /proc/self/fd and by listing it, and a whole render().
//
// No root needed. Figures are printed, never judged: this is a benchmark,
// not a test.
#include "metrics/daemon_metrics.hpp"
#include "metrics/proc_self.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace nswatch;

namespace {

int bench_events(long calls, long batch, bool per_namespace)
{
    DaemonMetrics metrics(per_namespace);
    NamespaceStatus ns;
    ns.identity.name = "blue";
    ns.state = MonitorState::Monitoring;
    metrics.namespace_exported(ns, std::chrono::milliseconds(1));
    constexpr std::uint64_t kNow = 1'700'000'000'000'000;
    std::vector<SequencedEvent> events;
    events.reserve(static_cast<std::size_t>(batch));
    for (long i = 0; i < batch; ++i) {
        const auto change = static_cast<Change>(i % 3);
        KernelObject object = (i % 2 == 0) ? KernelObject(Link{}) : KernelObject(Qdisc{});
        // Latencies from 20 us to ~1.3 ms: several buckets.
        events.push_back({static_cast<std::uint64_t>(i + 1),
                          ObjectEvent{change, kNow - 20 - static_cast<std::uint64_t>(i) * 20'000, std::move(object)}});
    }
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < calls; ++i)
        metrics.events_emitted(ns, events, kNow);
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - start;
    std::printf("events_emitted: %ld calls of %ld events: %.0f ns per call, %.1f ns per event\n", calls, batch,
                took.count() / static_cast<double>(calls), took.count() / static_cast<double>(calls * batch));
    return 0;
}

template <typename F>
double mean_usec(int reps, F&& f)
{
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i)
        f();
    const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
    return took.count() / reps;
}

int bench_fds(long count)
{
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    std::vector<int> fds;
    fds.reserve(static_cast<std::size_t>(count));
    for (long i = 0; i < count; ++i) {
        const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            std::perror("open");
            return 1;
        }
        fds.push_back(fd);
    }
    constexpr int kReps = 200;
    const auto by_stat = count_open_fds();
    const auto by_listing = count_open_fds_by_listing();
    std::printf("open fds: %zu (stat of /proc/self/fd), %zu (listing)\n", by_stat.value_or(0), by_listing.value_or(0));
    std::printf("count by stat: %.1f us, by listing: %.1f us (mean of %d)\n",
                mean_usec(kReps, [] { (void)count_open_fds(); }),
                mean_usec(kReps, [] { (void)count_open_fds_by_listing(); }), kReps);
    const DaemonMetrics metrics;
    std::size_t bytes = 0;
    const double render = mean_usec(kReps, [&] { bytes = metrics.render().size(); });
    std::printf("render(): %.1f us for %zu bytes (mean of %d)\n", render, bytes, kReps);
    for (const int fd : fds)
        ::close(fd);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "events" && argc >= 4)
        return bench_events(std::atol(argv[2]), std::atol(argv[3]),
                            argc > 4 && std::string_view(argv[4]) == "per-namespace");
    if (mode == "fds" && argc >= 3)
        return bench_fds(std::atol(argv[2]));
    std::fprintf(stderr, "usage: metrics-bench events CALLS BATCH [per-namespace] | fds COUNT\n");
    return 2;
}
