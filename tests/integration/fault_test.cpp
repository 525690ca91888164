// Faults the daemon must survive (issue "Hardened core", section 5): each
// test makes one happen to the real nswatchd and checks that nothing is lost,
// nothing leaks and the log says what happened. DEVELOPERS.md ("Faults")
// describes what each fault does to the daemon and how it responds.
// Each prints one "fault (...)" line with what it measured.
// NSWATCH_FAULT_CYCLES changes the churn test's size: 100 cycles by default,
// not the 300, because 300 took 33 s to 143 s on the 2-core CI VM
// depending on its load (the kernel's namespace setup and teardown
// dominate); memory reaches its plateau within 10 cycles.
#include "daemon/fd_limit.hpp"
#include "fixture.hpp"
#include "link_view.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

using namespace nswatch;
using namespace nswatch::test;

namespace {

// RSS is nswatchd's memory only without the sanitizers: ASan keeps freed
// blocks in its quarantine (its LeakSanitizer checks for leaks instead) and
// both ASan and TSan map shadow memory that grows with the heap.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kRssIsOurs = false;
#else
constexpr bool kRssIsOurs = true;
#endif

long long ms(Clock::duration d)
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// The daemon's usage without passing descriptors: its bus thread briefly
// opens /proc files when processes anywhere on the machine exec, so the
// fd count is the smallest of a few samples.
ProcessUsage settled_usage(pid_t pid)
{
    auto usage = process_usage(pid);
    for (int i = 0; i < 4; ++i) {
        ::poll(nullptr, 0, 10);
        usage.fds = std::min(usage.fds, process_usage(pid).fds);
    }
    return usage;
}

std::set<std::string> listed_names(Caller& caller)
{
    std::set<std::string> names;
    for (const auto& row : caller.list_namespaces()) {
        names.insert(row.name);
    }
    return names;
}

bool host_link_exists(const std::string& name)
{
    return std::filesystem::exists("/sys/class/net/" + name);
}

// Host links whose name starts with `prefix`.
std::vector<std::string> host_links(const std::string& prefix)
{
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::directory_iterator("/sys/class/net")) {
        const auto name = entry.path().filename().string();
        if (name.starts_with(prefix)) {
            out.push_back(name);
        }
    }
    return out;
}

std::size_t count_signals(SignalRecorder& recorder, const std::string& member, const std::string& name)
{
    std::size_t n = 0;
    for (const auto& s : recorder.all()) {
        n += s.member == member && s.name == name ? 1 : 0;
    }
    return n;
}

// An open /proc/PID/ns/mnt: keeps a daemon's mount namespace (its /run and
// the namespaces mounted there) alive after the daemon exits, as a host's
// /run/netns outlives nswatchd.
class MountNamespace {
public:
    explicit MountNamespace(pid_t pid)
        : fd_(::open(("/proc/" + std::to_string(pid) + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC))
    {
        if (fd_ < 0) {
            throw std::runtime_error("cannot open the daemon's mount namespace");
        }
    }
    MountNamespace(const MountNamespace&) = delete;
    MountNamespace& operator=(const MountNamespace&) = delete;
    ~MountNamespace() { ::close(fd_); }
    [[nodiscard]] int fd() const { return fd_; }
    // Runs a shell command there, whether or not a daemon runs; throws if it fails.
    void sh(const std::string& command) const
    {
        const auto result = run_shell("nsenter --mount=/proc/" + std::to_string(::getpid()) + "/fd/" +
                                      std::to_string(fd_) + " -- sh -c " + shell_quote(command));
        if (result.status != 0) {
            throw std::runtime_error("command failed: " + command + "\n" + result.output);
        }
    }

private:
    int fd_;
};

// Follows `ns` like a client until it agrees with the kernel.
void converge(LinkView& view, SignalRecorder& recorder, const DaemonProcess& daemon, const std::string& ns)
{
    const auto kernel = kernel_links(daemon, ns);
    wait_until(
        [&] {
            view.apply(recorder.events_of(ns));
            return view.set() == kernel;
        },
        "the client's view of " + ns + " to equal the kernel's", 60s);
}

} // namespace

TEST_CASE("bus killed: nswatchd exits with status 1 and says why; started again it owns the name and lists every "
          "namespace including those made meanwhile",
          "[integration][fault]")
{
    PrivateBus bus;
    auto daemon = std::make_unique<DaemonProcess>(bus);
    const MountNamespace mounts(daemon->pid());
    const auto before = unique_name("nbk");
    const auto during = unique_name("nbk");
    const auto host_end = unique_name("hbk");
    {
        SignalRecorder recorder(bus.address());
        daemon->sh("ip netns add " + before + " && ip link add " + host_end + " type veth peer name inner netns " +
                   before);
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == before; });
    }

    const auto killed = Clock::now();
    bus.kill();
    const auto status = daemon->wait_exit(kTimeout);
    const auto exited = Clock::now();
    INFO(log_tail(*daemon));
    REQUIRE(status.has_value()); // a hang fails here
    CHECK(*status == 1);         // a failure, so that systemd restarts it (Restart=on-failure); never 0
    CHECK(logged(*daemon, "lost its connection to the bus"));

    mounts.sh("ip netns add " + during); // while neither runs
    bus.restart();
    // What systemd does after Restart=on-failure: start it again (same /run).
    daemon = std::make_unique<DaemonProcess>(bus, std::vector<std::string>{}, std::vector<std::string>{}, mounts.fd());
    Caller caller(bus.address());
    CHECK(listed_names(caller) == std::set<std::string>{"default", before, during});
    std::set<std::string> links;
    for (const auto& o : caller.get_state(caller.get_namespace(before)).second) {
        links.insert(o.get<2>().at("name").get<std::string>());
    }
    CHECK(links == std::set<std::string>{"lo", "inner"});
    daemon->sh("ip netns del " + before + " && ip netns del " + during);
    wait_until([&] { return !host_link_exists(host_end); }, "the host end of the veth to go");
    std::printf("fault (bus killed): nswatchd exited with status %d %lld ms after dbus-daemon was killed\n", *status,
                ms(exited - killed));
}

TEST_CASE("a subscriber that stops reading during a burst on a bus with default limits: other clients are answered "
          "within 2 s and see every event",
          "[integration][fault]")
{
    PrivateBus bus; // dbus-daemon's defaults, Debian's too: 127 MiB queued per sender and per receiver
    DaemonProcess daemon(bus);
    SignalRecorder recorder(bus.address());
    Caller caller(bus.address());
    const auto ns = unique_name("nss");
    daemon.sh("ip netns add " + ns);
    const auto path =
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == ns; }).object;
    LinkView view;
    view.snapshot(caller.get_state(path));
    const auto baseline = settled_usage(daemon.pid());

    // Subscribes to every signal, then never reads: the bus queues for it.
    auto stuck = sdbus::createSessionBusConnectionWithAddress(bus.address());
    auto stuck_match = stuck->addMatch("type='signal',path_namespace='/org/nswatch1'", [](sdbus::Message&) {});

    TempDirectory dir;
    const auto batch = write_burst(dir, 1000, "b");
    std::atomic<bool> burst_done{false};
    std::jthread burst([&] {
        daemon.try_sh("ip -n " + ns + " -batch " + batch);
        burst_done = true;
    });
    Caller other(bus.address());
    Clock::duration slowest{};
    std::size_t calls = 0;
    std::size_t peak_rss = baseline.rss_kib;
    const auto started = Clock::now();
    while (!burst_done) {
        for (int i = 0; i < 2; ++i) {
            const auto t0 = Clock::now();
            if (i == 0) {
                other.list_namespaces();
            } else {
                other.get_state(path);
            }
            slowest = std::max(slowest, Clock::now() - t0);
            ++calls;
        }
        peak_rss = std::max(peak_rss, process_usage(daemon.pid()).rss_kib);
        ::poll(nullptr, 0, 20); // pace the calls
    }
    burst.join();
    const auto burst_took = Clock::now() - started;
    converge(view, recorder, daemon, ns);
    CHECK(view.gapless);
    CHECK(view.rows.size() == 2001);
    CHECK(slowest < 2s);
    std::printf("fault (stuck subscriber, default bus limits): 1000 veth pairs in %lld ms; %zu calls meanwhile, "
                "slowest %lld ms; RSS %zu -> peak %zu KiB (2,000 more links tracked)\n",
                ms(burst_took), calls, ms(slowest), baseline.rss_kib, peak_rss);
}

namespace {

// A subscriber that never reads, on a bus where a sender may have only
// 256 KiB of messages waiting (max_incoming_bytes; Debian's default bus
// allows 127 MiB, with the same rule). Once that much waits for the stuck
// subscriber, dbus-daemon stops reading from nswatchd: every client stalls.
struct StalledBus {
    PrivateBus bus{"", "<limit name=\"max_incoming_bytes\">262144</limit>"};
    // A netlink buffer for every change the test makes (each ~4 KiB of
    // truesize): with the default 8 MiB, a worker descheduled for 0.1 s on
    // a loaded machine overruns, and that repair (Resynced "overrun", a full
    // dump) covers the drops instead of the "queue-full" one tested here.
    DaemonProcess daemon{bus, {"--rcvbuf=268435456"}};
    SignalRecorder recorder{bus.address()};
    Caller caller{bus.address()};
    std::string ns = unique_name("nsk");
    std::string path;
    TempDirectory dir;
    LinkView view;
    ProcessUsage baseline;
    std::size_t peak_rss = 0;
    std::atomic<int> batches{0}; // of 20,000 changes
    std::unique_ptr<sdbus::IConnection> stuck;
    sdbus::Slot stuck_match;

    StalledBus()
    {
        std::ofstream pairs(dir.path() + "/pairs");
        for (int i = 0; i < 20; ++i) {
            pairs << "link add k" << i << "a type veth peer name k" << i << "b\n";
        }
        pairs.close();
        daemon.sh("ip netns add " + ns + " && ip -n " + ns + " -batch " + dir.path() + "/pairs");
        path = recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == ns; })
                   .object;
        view.snapshot(caller.get_state(path));
        baseline = settled_usage(daemon.pid());
        stuck = sdbus::createSessionBusConnectionWithAddress(bus.address());
        stuck_match = stuck->addMatch("type='signal',path_namespace='/org/nswatch1'", [](sdbus::Message&) {});
    }

    // MTU changes, 20,000 at a time (about 7 MB of signals), until the
    // daemon says the bus stopped reading: that takes more than the bus
    // queues for the stuck subscriber plus what the kernel buffers on
    // nswatchd's bus socket (sd-bus makes it 8 MiB): about 60,000 measured.
    void stall()
    {
        std::ofstream stream(dir.path() + "/stream");
        for (int i = 0; i < 20000; ++i) {
            stream << "link set dev k" << i % 20 << "a mtu " << 1280 + i % 200 << "\n";
        }
        stream.close();
        const std::string stalled = "the bus has read none of nswatchd's messages";
        std::atomic<bool> done{false};
        std::jthread changes([&] {
            for (int batch = 0; batch < 20 && !done; ++batch) {
                daemon.sh("ip -n " + ns + " -batch " + dir.path() + "/stream");
                ++batches;
            }
        });
        // No fixed deadline: on a loaded machine the batches take many
        // times longer (CI: 90 s to stall). Given up 10 s after the last
        // batch (the warning comes 2 s after the bus stops reading).
        std::optional<Clock::time_point> last_batch;
        while (!logged(daemon, stalled) && (!last_batch || Clock::now() < *last_batch + 10s)) {
            if (!last_batch && batches == 20) {
                last_batch = Clock::now();
            }
            peak_rss = std::max(peak_rss, process_usage(daemon.pid()).rss_kib);
            ::poll(nullptr, 0, 20);
        }
        done = true;
        changes.join();
        REQUIRE(logged(daemon, stalled));
        // The rings are not drained while the bus reads nothing, but what
        // came before the warning may not have filled one (a slow machine
        // reaches the stall early in a batch). These changes, more than a
        // ring and the worker's coalescing hold, make the drops certain.
        std::ofstream overflow(dir.path() + "/overflow");
        for (int i = 0; i < 6000; ++i) {
            overflow << "link set dev k" << i % 20 << "a mtu " << 1500 + i % 200 << "\n";
        }
        overflow.close();
        daemon.sh("ip -n " + ns + " -batch " + dir.path() + "/overflow");
        peak_rss = std::max(peak_rss, process_usage(daemon.pid()).rss_kib);
    }

    void unstick()
    {
        stuck_match.reset();
        stuck.reset();
    }
};

} // namespace

TEST_CASE("a subscriber that stops reading until the bus stops reading from nswatchd: events wait instead of piling "
          "up; drops are counted and repaired once it goes",
          "[integration][fault]")
{
    StalledBus s;
    s.stall();
    INFO(log_tail(s.daemon));
    // Without holding back, the ~20 MB the bus does not take piled up in
    // sd-bus's queue (measured: RSS +27 MiB, growing with every event).
    if (kRssIsOurs) {
        CHECK(s.peak_rss <= s.baseline.rss_kib + std::size_t{8} * 1024);
    }

    const auto unstuck = Clock::now();
    s.unstick();
    // What the bus queued while stalled (up to the 8 MiB socket buffer of
    // signals) reaches the recorder first: on a loaded machine that alone
    // took more than 20 s (CI).
    const auto resynced = s.recorder.wait_for_progressing(
        [&](const ReceivedSignal& r) { return r.member == "Resynced" && r.name == s.ns && r.reason == "queue-full"; });
    const std::size_t received = s.recorder.count();
    converge(s.view, s.recorder, s.daemon, s.ns);
    const auto repaired = Clock::now();
    CHECK(s.view.gapless);
    const auto dropped = s.caller.manager_property("EventsDropped").get<std::uint64_t>();
    CHECK(dropped > 0);
    CHECK(logged(s.daemon, "the bus reads nswatchd's messages again"));
    const auto t0 = Clock::now();
    s.caller.list_namespaces();
    s.caller.get_state(s.path);
    const auto answered = Clock::now() - t0;
    CHECK(answered < 2s);
    std::printf(
        "fault (stuck subscriber stalls the bus): stalled within %d x 20000 MTU changes; RSS %zu -> peak %zu "
        "KiB while stalled; %llu events dropped; repaired (Resynced queue-full at seq %llu, signal %zu) %lld ms "
        "after the subscriber went; calls then took %lld ms\n",
        s.batches.load(), s.baseline.rss_kib, s.peak_rss, static_cast<unsigned long long>(dropped),
        static_cast<unsigned long long>(resynced.seq), received, ms(repaired - unstuck), ms(answered));
}

TEST_CASE("SIGTERM while the bus reads nothing from nswatchd: exit status 0 within 5 s", "[integration][fault]")
{
    StalledBus s;
    s.stall();
    const auto sent = Clock::now();
    const int status = s.daemon.stop(5s);
    const auto took = Clock::now() - sent;
    INFO(log_tail(s.daemon));
    CHECK(status == 0); // -1: still running after 5 s (it waited for the bus), killed
    CHECK(took < 5s);
    CHECK(logged(s.daemon, "closing the connection without the unsent ones"));
    std::printf("fault (SIGTERM while the bus is stalled): status %d after %lld ms\n", status, ms(took));
}

TEST_CASE("churn: cycles of 20 namespaces each given a veth and deleted leave the count at 1 and no host veth end; "
          "threads and fds and RSS return to their baseline",
          "[integration][fault]")
{
    const char* env = std::getenv("NSWATCH_FAULT_CYCLES");
    const int cycles = env != nullptr ? std::stoi(env) : 100;
    constexpr int kPerCycle = 20;
    DaemonFixture f;
    const auto baseline = settled_usage(f.daemon.pid());
    // Names unique to this run and cycle: the kernel destroys namespaces
    // asynchronously, so the last cycle's host ends may still exist.
    const auto tag = std::to_string(::getpid() % 10000);
    const auto host_prefix = "fc" + tag + "c";
    TempDirectory dir;
    const auto started = Clock::now();
    for (int cycle = 0; cycle < cycles; ++cycle) {
        std::set<std::string> names;
        {
            std::ofstream add(dir.path() + "/add");
            std::ofstream del(dir.path() + "/del");
            for (int i = 0; i < kPerCycle; ++i) {
                const auto id = std::to_string(cycle) + "i" + std::to_string(i);
                const auto ns = "fcn" + tag + "c" + id;
                names.insert(ns);
                add << "netns add " << ns << "\n";
                add << "link add " << host_prefix << id << " type veth peer name eth0 netns " << ns << "\n";
                del << "netns del " << ns << "\n";
            }
        }
        f.daemon.sh("ip -batch " + dir.path() + "/add");
        auto waiting = names;
        f.recorder.wait_for([&](const ReceivedSignal& s) {
            if (s.member == "NamespaceAdded") {
                waiting.erase(s.name);
            }
            return waiting.empty();
        });
        f.daemon.sh("ip -batch " + dir.path() + "/del");
        waiting = names;
        f.recorder.wait_for([&](const ReceivedSignal& s) {
            if (s.member == "NamespaceRemoved") {
                waiting.erase(s.name);
            }
            return waiting.empty();
        });
    }
    const auto cycled = Clock::now();
    CHECK(listed_names(f.caller) == std::set<std::string>{"default"});
    CHECK(f.caller.manager_property("NamespaceCount").get<std::uint32_t>() == 1);
    // The kernel destroys a namespace, and with it the host end, once
    // nothing holds it: a worker socket left open would keep its veth here.
    wait_until([&] { return host_links(host_prefix).empty(); }, "every host veth end to go", 60s);
    // The reaper joins removed workers off the bus thread: a bounded wait.
    wait_until([&] { return settled_usage(f.daemon.pid()).threads == baseline.threads; },
               "the reaper to join every worker");
    wait_until([&] { return settled_usage(f.daemon.pid()).fds == baseline.fds; }, "every worker's fds to close");
    const auto after = settled_usage(f.daemon.pid());
    CHECK(after.threads == baseline.threads);
    CHECK(after.fds == baseline.fds);
    // Per-thread malloc arenas stay (about 1 MiB measured); rings go back to
    // the system (without the daemon's mallopt: +18 MiB).
    if (kRssIsOurs) {
        CHECK(after.rss_kib <= baseline.rss_kib + std::size_t{5} * 1024);
    }
    std::printf("fault (churn): %d cycles of %d namespaces in %lld ms (%lld ms per cycle); threads %zu -> %zu, "
                "fds %zu -> %zu, RSS %zu -> %zu KiB\n",
                cycles, kPerCycle, ms(cycled - started), ms(cycled - started) / std::max(cycles, 1), baseline.threads,
                after.threads, baseline.fds, after.fds, baseline.rss_kib, after.rss_kib);
}

TEST_CASE("/run/netns removed and recreated while namespaces live: they go with their mounts; a living one comes "
          "back under its new mount; new ones are found; nothing stale",
          "[integration][fault]")
{
    DaemonFixture f;
    const auto baseline = settled_usage(f.daemon.pid());
    const auto held = unique_name("nrh");  // a process stays inside when its mount goes
    const auto gone = unique_name("nrg");  // nothing but its mount holds it
    const auto back = unique_name("nrb");  // `held` mounted again
    const auto fresh = unique_name("nrf"); // made in the recreated directory
    const auto host_end = unique_name("hrg");
    f.cleanup.insert(f.cleanup.end(), {held, gone, back, fresh});
    f.daemon.sh("ip netns add " + held + " && ip netns add " + gone + " && ip link add " + host_end +
                " type veth peer name inner netns " + gone + " && ip -n " + held +
                " link add keep type veth peer name keep2");
    const auto held_path = f.wait_added(held);
    f.wait_added(gone);
    const auto held_inode = f.caller.namespace_property(held_path, "Inode").get<std::uint64_t>();
    // A process inside `held` keeps it alive without any mount.
    const pid_t holder = ::fork();
    if (holder == 0) {
        ::execlp("nsenter", "nsenter", "-t", std::to_string(f.daemon.pid()).c_str(), "-m", "ip", "netns", "exec",
                 held.c_str(), "sleep", "600", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    struct Reap {
        pid_t pid;
        ~Reap()
        {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
    } reap{holder};
    const auto holder_proc = "/proc/" + std::to_string(holder);
    wait_until([&] { return std::filesystem::read_symlink(holder_proc + "/exe").filename() == "sleep"; },
               "the holder to be inside " + held);

    // `ip netns` made /run/netns a mount point: detach it (and every
    // namespace mount below it), then remove the directory.
    f.daemon.sh("umount -l /run/netns && rm -rf /run/netns");
    f.wait_removed(held);
    f.wait_removed(gone);
    CHECK(listed_names(f.caller) == std::set<std::string>{"default"});
    // Nothing of the daemon pinned `gone`: it is destroyed, its host end too.
    wait_until([&] { return !host_link_exists(host_end); }, "the host end of the veth in " + gone + " to go");

    f.daemon.sh("mkdir /run/netns && ip netns add " + fresh + " && ip netns attach " + back + " " +
                std::to_string(holder));
    f.wait_added(fresh);
    const auto back_path = f.wait_added(back);
    CHECK(f.caller.namespace_property(back_path, "Inode").get<std::uint64_t>() == held_inode);
    std::set<std::string> links;
    for (const auto& o : f.caller.get_state(back_path).second) {
        links.insert(o.get<2>().at("name").get<std::string>());
    }
    CHECK(links == std::set<std::string>{"lo", "keep", "keep2"});
    CHECK(listed_names(f.caller) == std::set<std::string>{"default", fresh, back});
    // Two namespaces monitored again: a netlink socket each, no more.
    wait_until([&] { return settled_usage(f.daemon.pid()).fds == baseline.fds + 2 * kFdsPerNamespace; },
               "the daemon's fds to be those of two namespaces");
    CHECK(settled_usage(f.daemon.pid()).threads == baseline.threads + 2);
    CHECK(logged(f.daemon, "stopped monitoring network namespace " + gone));
    std::printf("fault (/run/netns removed and recreated): both namespaces withdrawn, the living one re-announced "
                "with inode %llu\n",
                static_cast<unsigned long long>(held_inode));
}

TEST_CASE("a namespace removed during its initial dump again and again: no announcement left behind; every worker "
          "joined; nothing pinned",
          "[integration][fault]")
{
    constexpr int kRounds = 40;
    DaemonFixture f;
    const auto baseline = settled_usage(f.daemon.pid());
    const auto host_end = unique_name("hdr");
    // A namespace outside /run/netns (not announced with --sources=named)
    // with 300 veth pairs: its initial dump takes hundreds of requests.
    const std::string file = "/run/nswatch-fault-big";
    TempDirectory dir;
    {
        std::ofstream batch(dir.path() + "/links");
        for (int i = 0; i < 300; ++i) {
            batch << "link add d" << i << "a type veth peer name d" << i << "b\n";
        }
    }
    f.daemon.sh("touch " + file + " && unshare --net=" + file + " true && nsenter --net=" + file + " ip -batch " +
                dir.path() + "/links && nsenter --net=" + file + " sh -c 'ip link add " + host_end +
                " type veth peer name inner && ip link set " + host_end + " netns " + std::to_string(::getpid()) + "'");
    struct Unmount {
        DaemonFixture& f;
        std::string file;
        ~Unmount() { f.daemon.try_sh("umount " + file); }
    } unmount{f, file};
    REQUIRE(host_link_exists(host_end));

    std::set<std::string> names;
    const auto started = Clock::now();
    for (int round = 0; round < kRounds; ++round) {
        const auto name = unique_name("ndr");
        names.insert(name);
        const auto target = "/run/netns/" + name;
        f.daemon.sh("mkdir -p /run/netns && touch " + target + " && mount --bind " + file + " " + target);
        if (round % 2 == 1) {
            // Every other round waits until the daemon started the worker:
            // the removal then lands in the dump rather than before it.
            wait_until([&] { return logged(f.daemon, "monitoring network namespace " + name + " "); },
                       "the daemon to start monitoring " + name);
        }
        f.daemon.sh("umount " + target + " && rm " + target);
    }
    const auto raced = Clock::now();
    wait_until([&] { return listed_names(f.caller) == std::set<std::string>{"default"}; }, "the count to return to 1");
    // Every namespace announced was withdrawn, once.
    std::size_t announced = 0;
    for (const auto& name : names) {
        const auto added = count_signals(f.recorder, "NamespaceAdded", name);
        CHECK(added <= 1);
        if (added == 1) {
            ++announced;
            f.wait_removed(name);
        }
        CHECK(count_signals(f.recorder, "NamespaceRemoved", name) == added);
    }
    wait_until([&] { return settled_usage(f.daemon.pid()).threads == baseline.threads; },
               "the reaper to join every worker");
    wait_until([&] { return settled_usage(f.daemon.pid()).fds == baseline.fds; }, "every worker's fds to close");
    // Nothing of the daemon holds the namespace: once its own mount goes, it is destroyed.
    f.daemon.sh("umount " + file);
    wait_until([&] { return !host_link_exists(host_end); }, "the namespace and its host veth end to be destroyed", 60s);
    std::printf("fault (removed during the initial dump): %d rounds in %lld ms; %zu announced before their removal "
                "(the others went before their dump ended)\n",
                kRounds, ms(raced - started), announced);
}

TEST_CASE("20000 plain files in /run/netns and one real namespace: the namespace is found and no file is announced",
          "[integration][fault]")
{
    DaemonFixture f;
    const auto real = unique_name("npr");
    const auto later = unique_name("npl");
    f.cleanup.insert(f.cleanup.end(), {real, later});
    const auto started = Clock::now();
    f.daemon.sh("mkdir -p /run/netns && cd /run/netns && seq -f 'plain%05g' 1 20000 | xargs touch && ip netns add " +
                real);
    f.wait_added(real);
    const auto found = Clock::now();
    // A namespace made after the files: whatever the daemon did about them
    // happened before it found this one.
    f.daemon.sh("ip netns add " + later);
    f.wait_added(later);
    CHECK(listed_names(f.caller) == std::set<std::string>{"default", real, later});
    for (const auto& s : f.recorder.all()) {
        if (s.member == "NamespaceAdded") {
            CHECK((s.name == real || s.name == later));
        }
    }
    CHECK(f.daemon.sh("ls /run/netns | wc -l") == "20002\n");
    std::printf("fault (20000 plain files): the namespace was announced %lld ms after the files were created\n",
                ms(found - started));
}

TEST_CASE("SIGTERM in the middle of a burst: exit status 0 within 5 s", "[integration][fault]")
{
    DaemonFixture f;
    const auto [ns, path] = f.add_namespace("nsb");
    TempDirectory dir;
    const auto batch = write_burst(dir, 2000, "t");
    // The command is made here, not in the thread: stop() below resets the
    // daemon's pid, which try_sh would read (a data race, TSan says).
    const auto command = "nsenter -t " + std::to_string(f.daemon.pid()) + " -m -- ip -n " + ns + " -batch " + batch;
    std::jthread burst([command] { run_shell(command); });
    // The burst is under way once its first events are out. (&ns = ns:
    // clang 14, which clang-tidy uses, cannot capture a structured binding.)
    f.recorder.wait_for([&, &ns = ns](const ReceivedSignal& s) { return s.member == "Events" && s.name == ns; });
    const auto pid = f.daemon.pid();
    const auto sent = Clock::now();
    const int status = f.daemon.stop(5s);
    const auto took = Clock::now() - sent;
    INFO(log_tail(f.daemon));
    CHECK(status == 0); // -1: still running after 5 s, killed
    CHECK(took < 5s);
    CHECK(logged(f.daemon, "received signal 15, stopping"));
    CHECK(logged(f.daemon, "stopped"));
    CHECK(::kill(pid, 0) != 0);
    std::printf("fault (SIGTERM during a burst): status %d after %lld ms\n", status, ms(took));
}

TEST_CASE("a worker failing again and again (no file descriptor left): the backoff doubles; State and StateReason "
          "say so; it recovers with what it missed",
          "[integration][fault]")
{
    const auto ns = unique_name("nsf");
    PrivateBus bus;
    DaemonProcess daemon(bus, {}, {"NSWATCH_TEST_FAIL_NAMESPACE=" + ns});
    SignalRecorder recorder(bus.address());
    Caller caller(bus.address());
    daemon.sh("ip netns add " + ns);
    const auto path =
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == ns; }).object;
    struct Delete {
        DaemonProcess& daemon;
        std::string ns;
        ~Delete() { daemon.try_sh("ip netns del " + ns); }
    } cleanup{daemon, ns};

    // No new descriptor from now on: the soft limit becomes the lowest free
    // one. (Not lower: poll() fails with EINVAL for more fds than the limit.)
    // (The smallest of a few looks: see settled_usage.)
    int lowest_free = std::numeric_limits<int>::max();
    for (int look = 0; look < 5; ++look) {
        std::set<int> open;
        for (const auto& entry : std::filesystem::directory_iterator("/proc/" + std::to_string(daemon.pid()) + "/fd")) {
            open.insert(std::stoi(entry.path().filename().string()));
        }
        int free = 0;
        while (open.count(free) != 0) {
            ++free;
        }
        lowest_free = std::min(lowest_free, free);
        ::poll(nullptr, 0, 10);
    }
    rlimit original{};
    REQUIRE(::prlimit(daemon.pid(), RLIMIT_NOFILE, nullptr, &original) == 0);
    rlimit exhausted = original;
    exhausted.rlim_cur = static_cast<rlim_t>(lowest_free);
    REQUIRE(::prlimit(daemon.pid(), RLIMIT_NOFILE, &exhausted, nullptr) == 0);
    struct Restore {
        pid_t pid;
        rlimit limit;
        bool done = false;
        void operator()()
        {
            if (!done) {
                ::prlimit(pid, RLIMIT_NOFILE, &limit, nullptr);
                done = true;
            }
        }
        ~Restore() { (*this)(); }
    } restore{daemon.pid(), original};

    // The test hook breaks the socket (once); every retry then finds no
    // descriptor for the namespace file or the new socket.
    daemon.sh("ip -n " + ns + " link add fa type veth peer name fb");
    const std::regex retry("\\[" + ns + "\\] netlink failed: (.*); retrying in ([0-9]+) ms");
    std::vector<long> delays;
    std::vector<std::string> reasons;
    wait_until(
        [&] {
            delays.clear();
            reasons.clear();
            const auto log = daemon.log();
            for (std::sregex_iterator it(log.begin(), log.end(), retry), end; it != end; ++it) {
                reasons.push_back((*it)[1]);
                delays.push_back(std::stol((*it)[2]));
            }
            return delays.size() >= 4;
        },
        "four failures");
    const auto state = caller.namespace_property(path, "State").get<std::string>();
    const auto reason = caller.namespace_property(path, "StateReason").get<std::string>();
    restore();
    INFO(log_tail(daemon));
    CHECK(state == "failed");
    CHECK(reason.find("file descriptor limit") != std::string::npos);
    CHECK(reasons[0].find("injected failure") != std::string::npos);
    for (std::size_t i = 1; i < delays.size(); ++i) {
        CHECK(delays[i] == 2 * delays[i - 1]); // grows: never a retry loop at full speed
        CHECK(reasons[i].find("RLIMIT_NOFILE") != std::string::npos);
    }
    // Clients were told, with PropertiesChanged.
    recorder.wait_for([&](const ReceivedSignal& s) {
        return s.member == "PropertiesChanged" && s.path == path && s.changed.count("StateReason") != 0 &&
               s.changed.at("StateReason").get<std::string>().find("RLIMIT_NOFILE") != std::string::npos;
    });

    // Descriptors back: the next retry succeeds and repairs.
    const auto resynced =
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "Resynced" && s.name == ns; });
    CHECK(resynced.reason == "restart");
    recorder.wait_for([&](const ReceivedSignal& s) {
        return s.member == "PropertiesChanged" && s.path == path && s.changed.count("State") != 0 &&
               s.changed.at("State").get<std::string>() == "monitoring";
    });
    CHECK(caller.namespace_property(path, "StateReason").get<std::string>().empty());
    std::set<std::string> added;
    for (const auto& e : recorder.events_of(ns)) {
        if (e.get<2>() == "link-added") {
            added.insert(e.get<4>().at("name").get<std::string>());
        }
    }
    CHECK(added == std::set<std::string>{"fa", "fb"});
    std::printf("fault (worker failing): %zu failures, retried after", delays.size());
    for (auto d : delays) {
        std::printf(" %ld", d);
    }
    std::printf(" ms; StateReason \"%s\"; recovered\n", reason.c_str());
}
