// Scale benchmark: nswatchd with thousands of named network namespaces, the
// real daemon on a private bus (as latency-bench does; needs root). For each
// K of the argument list (default "1000 5000 10000") it prints:
//   rss/ns     RSS of nswatchd per namespace: (RSS with K - RSS with 0) / K,
//              once ListNamespaces lists all K and RSS has settled;
//   start      daemon start (fork) until the bus name is owned (READY=1) and
//              ListNamespaces lists all K, with the K made before the start;
//   ready      of which: until READY=1 (every namespace exported; the rest
//              is the first ListNamespaces, behind the start's signals);
//   add 1000   `ip -batch` of 1,000 `netns add` lines on the running daemon:
//              from the batch's exit until all 1,000 NamespaceAdded arrived;
//   churn      those 1,000 deleted again (`ip -batch`): RSS after minus RSS
//              before the 1,000 were added (settled, NamespaceCount back);
//   delete K   all K deleted by one `ip -batch`: from the batch's start until
//              the last NamespaceRemoved, when NamespaceCount must be 1.
// The daemon runs under the systemd unit's limits (systemd/nswatchd.service.in):
// LimitNOFILE=65536 as RLIMIT_NOFILE and TasksMax=32768 as RLIMIT_NPROC (the
// nearest a process can set; root ignores RLIMIT_NPROC, so this bench checks
// the thread count it reached against 32768 instead), set before it starts.
// All namespaces live in the daemons' private mount namespace (its own /run);
// they are deleted at the end, also on failure or SIGINT/SIGTERM, and that
// mount namespace goes with the last descriptor this program holds.
// Run: sudo build/tests/scale-bench [K...]  (SCALE_BENCH_SMAPS=DIR: see save_smaps)
#include "bench_interrupt.hpp"
#include "integration/harness.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace nswatch::test;

namespace {

constexpr std::size_t kLiveAdd = 1000;
constexpr auto kLongWait = std::chrono::minutes(10); // any one step, at 10,000 namespaces
constexpr std::size_t kTasksMax = 32768;

double seconds(Clock::duration d)
{
    return std::chrono::duration<double>(d).count();
}

// The named namespaces of the daemons' mount namespace, made and deleted with
// `ip -batch`; whatever is left is deleted by the destructor.
class Namespaces {
public:
    explicit Namespaces(int mntns_fd) : mntns_fd_(mntns_fd) {}
    Namespaces(const Namespaces&) = delete;
    Namespaces& operator=(const Namespaces&) = delete;
    ~Namespaces()
    {
        try {
            del(std::vector<std::string>(alive_.begin(), alive_.end()));
        } catch (const std::exception& e) {
            std::fprintf(stderr, "scale-bench: cleanup: %s\n", e.what());
        }
        ::close(mntns_fd_);
    }

    void add(const std::vector<std::string>& names)
    {
        alive_.insert(names.begin(), names.end()); // before: a partial batch is cleaned up too
        batch("add", names);
    }
    void del(const std::vector<std::string>& names)
    {
        batch("del", names);
        for (const auto& n : names) {
            alive_.erase(n);
        }
    }

private:
    void batch(const std::string& verb, const std::vector<std::string>& names)
    {
        if (names.empty()) {
            return;
        }
        const std::string file = dir_.path() + "/batch";
        {
            std::ofstream out(file);
            for (const auto& n : names) {
                out << "netns " << verb << ' ' << n << '\n';
            }
        }
        // -force: a delete goes on past a name that is already gone (cleanup).
        const auto r = run_shell("nsenter --mount=/proc/" + std::to_string(::getpid()) + "/fd/" +
                                 std::to_string(mntns_fd_) + " -- ip -force -batch " + file);
        if (r.status != 0 && verb == "add") {
            throw std::runtime_error("ip -batch (netns add) failed: " + r.output.substr(0, 2000));
        }
    }

    int mntns_fd_;
    TempDirectory dir_;
    std::set<std::string> alive_;
};

std::vector<std::string> names(const std::string& prefix, std::size_t count)
{
    std::vector<std::string> out;
    out.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        out.push_back(prefix + std::to_string(i));
    }
    return out;
}

// VmRSS once it stopped moving: sampled every 200 ms until two samples a
// second apart differ by less than 64 KiB (at most 30 s).
std::size_t settled_rss_kib(pid_t pid)
{
    std::vector<std::size_t> samples{process_usage(pid).rss_kib};
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
        check_interrupted();
        std::this_thread::sleep_for(200ms);
        samples.push_back(process_usage(pid).rss_kib);
        if (samples.size() > 5) {
            const auto a = samples[samples.size() - 6];
            const auto b = samples.back();
            if ((a > b ? a - b : b - a) < 64) {
                break;
            }
        }
    }
    return samples.back();
}

// With SCALE_BENCH_SMAPS=DIR, /proc/PID/smaps of the daemon with K
// namespaces (settled) goes to DIR/smaps-K, for finding where the memory is
// (diff the K = 0 file against another: stacks, [heap], arenas).
void save_smaps(pid_t pid, std::size_t k)
{
    const char* dir = std::getenv("SCALE_BENCH_SMAPS");
    if (dir == nullptr || *dir == '\0') {
        return;
    }
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
    std::ofstream out(std::string(dir) + "/smaps-" + std::to_string(k));
    out << in.rdbuf();
}

// Waits until NamespaceAdded (or NamespaceRemoved) arrived for every name.
Clock::time_point wait_all(SignalRecorder& recorder, const std::string& member, const std::vector<std::string>& list)
{
    std::set<std::string> missing(list.begin(), list.end());
    const auto deadline = Clock::now() + kLongWait;
    for (;;) {
        check_interrupted();
        try {
            // Rescans from the first signal on each call: erase() makes that harmless.
            return recorder
                .wait_for(
                    [&](const ReceivedSignal& s) {
                        return s.member == member && missing.erase(s.name) > 0 && missing.empty();
                    },
                    1s)
                .received;
        } catch (const std::runtime_error&) {
            if (Clock::now() > deadline) {
                throw std::runtime_error(member + " missing for " + std::to_string(missing.size()) + " namespaces");
            }
        }
    }
}

std::size_t namespace_count(Caller& caller)
{
    return static_cast<std::size_t>(caller.manager_property("NamespaceCount").get<std::uint32_t>());
}

std::string machine()
{
    utsname u{};
    ::uname(&u);
    std::string load;
    std::getline(std::ifstream("/proc/loadavg"), load);
    return "nproc " + std::to_string(std::thread::hardware_concurrency()) + ", kernel " + u.release +
           ", load average " + load.substr(0, load.find(' '));
}

// Sets soft and hard limit to `value`; where this process may not raise the
// hard limit (no CAP_SYS_RESOURCE, as in some containers) it gets what the
// hard limit allows. Returns the limit in force.
rlim_t set_limit(int resource, rlim_t value)
{
    rlimit limit{value, value};
    if (::setrlimit(resource, &limit) != 0) {
        ::getrlimit(resource, &limit);
        limit.rlim_cur = limit.rlim_max;
        if (::setrlimit(resource, &limit) != 0) {
            throw std::runtime_error("setrlimit failed");
        }
    }
    return limit.rlim_cur;
}

struct Row {
    std::size_t k = 0;
    double rss_per_ns_kib = 0, start_s = 0, ready_s = 0, add_s = 0, delete_s = 0, churn_mib = 0;
    std::size_t rss_kib = 0, threads = 0;
};

Row measure(const PrivateBus& bus, int mntns_fd, Namespaces& spaces, std::size_t k, std::size_t rss0_kib)
{
    Row row{k};
    const auto present = names("s", k);
    spaces.add(present);
    SignalRecorder recorder(bus.address());
    const auto t_start = Clock::now();
    DaemonProcess daemon(bus, {"--log-level=warn"}, {}, mntns_fd, kLongWait);
    row.ready_s = seconds(Clock::now() - t_start); // the constructor returns at READY=1
    Caller caller(bus.address());
    while (caller.list_namespaces().size() != k + 1) { // + the host's "default"
        check_interrupted();
        if (Clock::now() - t_start > kLongWait) {
            throw std::runtime_error("ListNamespaces never listed all " + std::to_string(k));
        }
        std::this_thread::sleep_for(20ms); // the measurement's resolution
    }
    row.start_s = seconds(Clock::now() - t_start);
    wait_all(recorder, "NamespaceAdded", present); // every namespace announced
    row.rss_kib = settled_rss_kib(daemon.pid());
    row.threads = process_usage(daemon.pid()).threads;
    row.rss_per_ns_kib = (static_cast<double>(row.rss_kib) - static_cast<double>(rss0_kib)) / static_cast<double>(k);
    save_smaps(daemon.pid(), k);

    // Live add of 1,000, then churn: the same 1,000 deleted.
    const auto added = names("c", kLiveAdd);
    spaces.add(added);
    const auto t_added = Clock::now();
    row.add_s = seconds(wait_all(recorder, "NamespaceAdded", added) - t_added);
    spaces.del(added);
    wait_all(recorder, "NamespaceRemoved", added);
    const auto rss_after = settled_rss_kib(daemon.pid());
    row.churn_mib = (static_cast<double>(rss_after) - static_cast<double>(row.rss_kib)) / 1024.0;

    const auto t_deleted = Clock::now(); // the batch's start: the daemon sees deletions while it runs
    spaces.del(present);
    row.delete_s = seconds(wait_all(recorder, "NamespaceRemoved", present) - t_deleted);
    if (const auto left = namespace_count(caller); left != 1) {
        throw std::runtime_error("NamespaceCount is " + std::to_string(left) + " after all were deleted");
    }
    daemon.stop(30s);
    return row;
}

int run(int argc, char** argv)
{
    std::vector<std::size_t> ks;
    for (int i = 1; i < argc; ++i) {
        ks.push_back(static_cast<std::size_t>(std::strtoul(argv[i], nullptr, 10)));
    }
    if (ks.empty()) {
        ks = {1000, 5000, 10000};
    }
    for (const auto k : ks) {
        if (k == 0) {
            std::fprintf(stderr, "usage: scale-bench [K...]   (default 1000 5000 10000, as root)\n");
            return 2;
        }
    }
    if (::geteuid() != 0) {
        // 77: what meson reports as skipped (the smoke test in tests/meson.build).
        std::fprintf(stderr, "scale-bench: needs root (namespaces, mounts): skipped\n");
        return 77;
    }
    const auto host = machine();
    const auto nofile = set_limit(RLIMIT_NOFILE, 65536); // LimitNOFILE=65536
    set_limit(RLIMIT_NPROC, kTasksMax);                  // TasksMax=32768 (see the top)
    // As in discovery-bench: the bus and the daemons inherit SIGINT ignored,
    // so Ctrl-C unwinds this program, which then cleans up.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ignore, nullptr);
    PrivateBus bus;
    std::size_t rss0 = 0;
    int mntns_fd = -1;
    {
        // K = 0: only the host's namespace. Its mount namespace (private /run)
        // is kept for all later daemons and the namespaces made for them.
        DaemonProcess empty(bus, {"--log-level=warn"});
        mntns_fd = ::open(("/proc/" + std::to_string(empty.pid()) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
        if (mntns_fd < 0) {
            std::fprintf(stderr, "scale-bench: cannot open the daemon's mount namespace\n");
            return 1;
        }
        rss0 = settled_rss_kib(empty.pid());
        save_smaps(empty.pid(), 0);
        empty.stop(30s);
    }
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    Namespaces spaces(mntns_fd);
    std::printf("scale-bench: %s; nswatchd --sources=named, default --queue-size, RLIMIT_NOFILE %zu, "
                "RLIMIT_NPROC %zu, on a private bus; RSS with 0 namespaces %zu KiB\n",
                host.c_str(), static_cast<std::size_t>(nofile), kTasksMax, rss0);
    if (nofile < 65536) {
        std::printf("  warning: RLIMIT_NOFILE is only %zu here (this process may not raise its hard limit)\n",
                    static_cast<std::size_t>(nofile));
    }
    std::printf("%7s %12s %10s %9s %12s %8s %11s %13s %10s\n", "K", "RSS/ns KiB", "RSS MiB", "threads", "start s",
                "ready s", "add 1000 s", "churn MiB", "delete K s");
    try {
        for (const auto k : ks) {
            const auto r = measure(bus, mntns_fd, spaces, k, rss0);
            std::printf("%7zu %12.1f %10.1f %9zu %12.2f %8.2f %11.2f %+13.2f %10.2f\n", r.k, r.rss_per_ns_kib,
                        static_cast<double>(r.rss_kib) / 1024.0, r.threads, r.start_s, r.ready_s, r.add_s, r.churn_mib,
                        r.delete_s);
            std::fflush(stdout);
            if (r.threads > kTasksMax) {
                std::printf("  more threads than TasksMax=%zu would allow\n", kTasksMax);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "scale-bench: %s\n", g_interrupted != 0 ? "interrupted" : e.what());
        return g_interrupted != 0 ? 130 : 1; // Namespaces deletes what is left on the way out
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    // What fails (the bus, the daemon, a command) ends with its message, not
    // std::terminate.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", "scale-bench", e.what());
        return 1;
    }
}
