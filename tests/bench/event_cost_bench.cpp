// CPU per link event and idle latency, nswatchd beside `ip monitor`, against
// the real daemon on a private bus (needs root), as latency-bench does.
//   1. Burst: one namespace with a veth; N (default 20,000) `link set dev la
//      mtu M` lines in one `ip -n NS -batch` (M alternates, so each line is a
//      change). Reports µs of CPU (utime+stime of /proc/PID/stat, before and
//      after, over N) of nswatchd, of dbus-daemon and of an `ip -n NS monitor
//      link` that watched the same burst (its output into a pipe this program
//      drains), and the events per `Events` signal. Checks that the client
//      got exactly the N changes, in order, with gapless seq and no Resynced.
//   2. Idle latency: S (default 200) single `ip link set la mtu M`, 20 ms
//      apart, from the command's exit to the `Events` signal at a D-Bus
//      client (SignalRecorder) and to ip monitor's line (a pipe read).
// Run: sudo build/tests/event-cost-bench [N [S]]
// NSWATCH_BENCH_DAEMON_ARGS (words split at spaces) adds daemon options, e.g.
// "--metrics-listen=127.0.0.1:0 --metrics-per-namespace" for the cost of
// metrics on the hot path (BENCHMARKS.md "Metrics on the hot path").
#include "integration/harness.hpp"
#include "percentiles.hpp"

#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace nswatch::test;

namespace {

constexpr auto kIdle = 20ms; // pause before each idle sample and around the burst

double ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// utime + stime of the whole process (every thread, live or exited), in µs.
double cpu_usec(pid_t pid)
{
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) {
        throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat");
    }
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) { // field 3 is the state
        if (i == 14) {
            utime = std::stoull(field);
        } else if (i == 15) {
            stime = std::stoull(field);
        }
    }
    return static_cast<double>(utime + stime) * 1e6 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// The same from the scheduler (the first field of each thread's
// /proc/PID/task/TID/schedstat, in ns): exact, but only of live threads.
double run_usec(pid_t pid)
{
    const std::string base = "/proc/" + std::to_string(pid) + "/task";
    DIR* dir = ::opendir(base.c_str());
    double total = 0;
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') {
            double ns = 0;
            std::istringstream(slurp(base + "/" + entry->d_name + "/schedstat")) >> ns;
            total += ns / 1000.0;
        }
    }
    ::closedir(dir);
    return total;
}

struct Cpu {
    double ticks_us = 0; // utime + stime
    double run_us = 0;   // schedstat
};

Cpu cpu_of(pid_t pid)
{
    return {cpu_usec(pid), run_usec(pid)};
}

// `ip link set la mtu M` in the namespace behind netns_fd, forked and exec'd
// directly (no shell, no `ip -n`, which remounts /sys): the moment it was
// reaped.
Clock::time_point set_mtu(int netns_fd, std::uint32_t mtu)
{
    const std::string value = std::to_string(mtu);
    const pid_t pid = ::fork();
    if (pid == 0) {
        if (::setns(netns_fd, CLONE_NEWNET) != 0) {
            ::_exit(126);
        }
        ::execlp("ip", "ip", "link", "set", "la", "mtu", value.c_str(), nullptr);
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    const auto exited = Clock::now();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("ip link set la mtu " + value + " failed");
    }
    return exited;
}

// An rtnetlink socket in the namespace behind netns_fd (made by a thread
// that enters it; the socket stays there), to change la's MTU without a
// process: the kernel sends the notification before it acknowledges the
// request, so the ack's arrival is the moment the change was announced.
class LinkSetter {
public:
    explicit LinkSetter(int netns_fd)
    {
        std::thread([&] {
            if (::setns(netns_fd, CLONE_NEWNET) == 0) {
                fd_ = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
                ifindex_ = static_cast<int>(::if_nametoindex("la"));
            }
        }).join();
        if (fd_ < 0 || ifindex_ == 0) {
            throw std::runtime_error("cannot open a netlink socket on la");
        }
    }
    LinkSetter(const LinkSetter&) = delete;
    LinkSetter& operator=(const LinkSetter&) = delete;
    ~LinkSetter() { ::close(fd_); }

    // Sets la's MTU; the moment the kernel's ack was read.
    Clock::time_point set_mtu(std::uint32_t mtu)
    {
        struct {
            nlmsghdr hdr;
            ifinfomsg ifi;
            rtattr attr;
            std::uint32_t mtu;
        } request{};
        request.hdr.nlmsg_len = sizeof request;
        request.hdr.nlmsg_type = RTM_SETLINK;
        request.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        request.hdr.nlmsg_seq = ++seq_;
        request.ifi.ifi_family = AF_UNSPEC;
        request.ifi.ifi_index = ifindex_;
        request.attr.rta_len = RTA_LENGTH(sizeof(std::uint32_t));
        request.attr.rta_type = IFLA_MTU;
        request.mtu = mtu;
        if (::send(fd_, &request, sizeof request, 0) != static_cast<ssize_t>(sizeof request)) {
            throw std::runtime_error("RTM_SETLINK send failed");
        }
        std::array<char, 4096> reply{};
        const auto n = ::recv(fd_, reply.data(), reply.size(), 0);
        const auto acked = Clock::now();
        const auto* hdr = reinterpret_cast<const nlmsghdr*>(reply.data());
        if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) || hdr->nlmsg_type != NLMSG_ERROR ||
            static_cast<const nlmsgerr*>(NLMSG_DATA(hdr))->error != 0) {
            throw std::runtime_error("RTM_SETLINK was not acknowledged");
        }
        return acked;
    }

private:
    int fd_ = -1;
    int ifindex_ = 0;
    std::uint32_t seq_ = 0;
};

// The private bus's dbus-daemon: our child whose comm is dbus-daemon.
pid_t find_bus_daemon()
{
    DIR* dir = ::opendir("/proc");
    pid_t found = -1;
    while (dirent* entry = ::readdir(dir)) {
        const pid_t pid = std::atoi(entry->d_name);
        if (pid <= 0) {
            continue;
        }
        const std::string base = "/proc/" + std::string(entry->d_name);
        const std::string stat = slurp(base + "/stat");
        const auto close = stat.rfind(')');
        if (close == std::string::npos || slurp(base + "/comm") != "dbus-daemon\n") {
            continue;
        }
        std::istringstream fields(stat.substr(close + 2));
        std::string state;
        pid_t ppid = 0;
        fields >> state >> ppid;
        if (ppid == ::getpid()) {
            found = pid;
        }
    }
    ::closedir(dir);
    if (found < 0) {
        throw std::runtime_error("cannot find the private dbus-daemon");
    }
    return found;
}

// `ip -n NS monitor link` in the daemon's mount namespace (where /run/netns
// is), its stdout a pipe that a thread drains and time-stamps line by line.
class IpMonitor {
public:
    IpMonitor(pid_t daemon_pid, const std::string& ns)
    {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2");
        }
        const std::string mnt = "/proc/" + std::to_string(daemon_pid) + "/ns/mnt";
        const int mnt_fd = ::open(mnt.c_str(), O_RDONLY | O_CLOEXEC);
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::setns(mnt_fd, CLONE_NEWNS) != 0) {
                ::_exit(126);
            }
            ::dup2(fds[1], STDOUT_FILENO);
            // The same receive buffer as nswatchd's default (8 MiB).
            ::execlp("ip", "ip", "-rcvbuf", "8388608", "-n", ns.c_str(), "monitor", "link", nullptr);
            ::_exit(127);
        }
        ::close(mnt_fd);
        ::close(fds[1]);
        read_fd_ = fds[0];
        reader_ = std::jthread([this](const std::stop_token& stop) { read_lines(stop); });
    }
    IpMonitor(const IpMonitor&) = delete;
    IpMonitor& operator=(const IpMonitor&) = delete;
    ~IpMonitor()
    {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        reader_.request_stop();
        reader_.join();
        ::close(read_fd_);
    }
    [[nodiscard]] pid_t pid() const { return pid_; }
    std::size_t lines()
    {
        const std::lock_guard lock(mutex_);
        return lines_;
    }
    // Waits for a line holding `text` after line `from`; its arrival time.
    Clock::time_point wait_line(const std::string& text, std::size_t from, std::chrono::milliseconds timeout = kTimeout)
    {
        std::unique_lock lock(mutex_);
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            for (std::size_t i = from; i < recent_.size(); ++i) {
                if (recent_[i].first.find(text) != std::string::npos) {
                    return recent_[i].second;
                }
            }
            if (changed_.wait_until(lock, deadline) == std::cv_status::timeout) {
                throw std::runtime_error("ip monitor printed no line with '" + text + "'");
            }
        }
    }
    // Waits until `count` lines were read in total.
    bool wait_lines(std::size_t count, std::chrono::milliseconds timeout)
    {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, timeout, [&] { return lines_ >= count; });
    }
    // Lines kept since keep_lines(true).
    std::size_t kept()
    {
        const std::lock_guard lock(mutex_);
        return recent_.size();
    }
    void keep_lines(bool keep)
    {
        const std::lock_guard lock(mutex_);
        keep_ = keep;
        recent_.clear();
    }

private:
    void read_lines(const std::stop_token& stop)
    {
        std::string partial;
        std::vector<char> buf(1 << 16);
        pollfd p{read_fd_, POLLIN, 0};
        while (!stop.stop_requested()) {
            if (::poll(&p, 1, 50) <= 0) { // the timeout only lets the reader end
                continue;
            }
            const auto n = ::read(read_fd_, buf.data(), buf.size());
            if (n <= 0) {
                return;
            }
            const auto now = Clock::now();
            partial.append(buf.data(), static_cast<std::size_t>(n));
            const std::lock_guard lock(mutex_);
            std::size_t start = 0;
            for (auto nl = partial.find('\n'); nl != std::string::npos; nl = partial.find('\n', start)) {
                // One record per link message; its continuation lines
                // ("    link/ether ...") are indented.
                lines_ += partial[start] != ' ' ? 1 : 0;
                if (keep_) {
                    recent_.emplace_back(partial.substr(start, nl - start), now);
                }
                start = nl + 1;
            }
            partial.erase(0, start);
            changed_.notify_all();
        }
    }

    pid_t pid_ = -1;
    int read_fd_ = -1;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::size_t lines_ = 0;
    bool keep_ = false;
    std::vector<std::pair<std::string, Clock::time_point>> recent_;
    std::jthread reader_;
};

using nswatch::bench::percentile;

std::uint64_t last_seq(SignalRecorder& recorder, const std::string& ns)
{
    const auto events = recorder.events_of(ns);
    return events.empty() ? 0 : events.back().get<0>();
}

double load_average()
{
    double load = 0;
    std::istringstream(slurp("/proc/loadavg")) >> load;
    return load;
}

int run(int argc, char** argv)
{
    const std::size_t n = argc > 1 ? std::stoul(argv[1]) : 20000;
    const std::size_t samples = argc > 2 ? std::stoul(argv[2]) : 200;
    if (::geteuid() != 0) {
        // 77: what meson reports as skipped (the smoke test in tests/meson.build).
        std::fprintf(stderr, "event-cost-bench: needs root (namespaces): skipped\n");
        return 77;
    }
    utsname uts{};
    ::uname(&uts);
    std::vector<std::string> daemon_args{"--log-level=warn"};
    const char* extra = std::getenv("NSWATCH_BENCH_DAEMON_ARGS");
    std::istringstream words(extra != nullptr ? extra : "");
    std::string shown;
    for (std::string word; words >> word;) {
        daemon_args.push_back(word);
        shown += " " + word;
    }
    std::printf("event-cost-bench: N=%zu, S=%zu, nproc %u, kernel %s, load average %.2f, nswatchd%s on a private "
                "bus\n",
                n, samples, std::thread::hardware_concurrency(), uts.release, load_average(), shown.c_str());
    PrivateBus bus;
    DaemonProcess daemon(bus, daemon_args);
    SignalRecorder recorder(bus.address());
    const pid_t bus_pid = find_bus_daemon();
    const auto ns = unique_name("cost");
    const std::string batch = "/tmp/" + ns + ".batch";
    int status = 0;
    try {
        daemon.sh("ip netns add " + ns);
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == ns; });
        daemon.sh("ip -n " + ns + " link add la type veth peer name lb");
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "Events" && s.name == ns; });
        IpMonitor monitor(daemon.pid(), ns);
        const std::string ns_path = "/proc/" + std::to_string(daemon.pid()) + "/root/run/netns/" + ns;
        const int netns_fd = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
        if (netns_fd < 0) {
            throw std::runtime_error("cannot open " + ns_path);
        }
        // ip monitor is ready once it prints the change of a probe (it may
        // not have subscribed in time for the first ones).
        monitor.keep_lines(true);
        for (std::uint32_t probe = 1450;; ++probe) {
            const std::size_t from = monitor.kept();
            set_mtu(netns_fd, probe);
            try {
                monitor.wait_line("mtu " + std::to_string(probe) + " ", from, 200ms);
            } catch (const std::runtime_error&) {
                if (probe < 1460) {
                    continue;
                }
                throw;
            }
            recorder.wait_for([&](const ReceivedSignal& s) {
                return s.member == "Events" && s.name == ns &&
                       std::any_of(s.events.begin(), s.events.end(), [&](const auto& e) {
                           return e.template get<4>().at("mtu").template get<std::uint32_t>() == probe;
                       });
            });
            break;
        }
        monitor.keep_lines(false);

        // 1. The burst.
        {
            std::ofstream out(batch);
            for (std::size_t i = 0; i < n; ++i) {
                out << "link set dev la mtu " << (1400 + i % 2) << '\n';
            }
        }
        std::this_thread::sleep_for(kIdle);
        const std::uint64_t seq0 = last_seq(recorder, ns);
        const std::size_t signals0 = recorder.count();
        const std::size_t lines0 = monitor.lines();
        const Cpu nswatchd0 = cpu_of(daemon.pid());
        const Cpu bus0 = cpu_of(bus_pid);
        const Cpu ip0 = cpu_of(monitor.pid());
        const auto start = Clock::now();
        daemon.sh("ip -n " + ns + " -batch " + batch);
        const auto exited = Clock::now();
        const auto last = recorder.wait_for(
            [&](const ReceivedSignal& s) {
                return s.member == "Events" && s.name == ns && !s.events.empty() &&
                       s.events.back().get<0>() >= seq0 + n;
            },
            std::chrono::milliseconds(120'000));
        const bool monitor_complete = monitor.wait_lines(lines0 + n, 10s);
        std::this_thread::sleep_for(kIdle); // let the last writes settle before reading the clocks
        const Cpu nswatchd1 = cpu_of(daemon.pid());
        const Cpu bus1 = cpu_of(bus_pid);
        const Cpu ip1 = cpu_of(monitor.pid());
        const double events = static_cast<double>(n);
        const double nswatchd_us = (nswatchd1.ticks_us - nswatchd0.ticks_us) / events;
        const double bus_us = (bus1.ticks_us - bus0.ticks_us) / events;
        const double ip_us = (ip1.ticks_us - ip0.ticks_us) / events;

        // Every change arrived, in order, seq gapless, nothing resynced.
        std::size_t event_signals = 0;
        std::size_t resynced = 0;
        std::size_t received = 0;
        std::size_t out_of_order = 0;
        std::uint64_t expected_seq = seq0 + 1;
        std::size_t seq_gaps = 0;
        const auto all = recorder.all();
        for (std::size_t i = signals0; i < all.size(); ++i) {
            const auto& s = all[i];
            if (s.name != ns) {
                continue;
            }
            if (s.member == "Resynced") {
                ++resynced;
            }
            if (s.member != "Events") {
                continue;
            }
            ++event_signals;
            for (const auto& e : s.events) {
                seq_gaps += e.get<0>() != expected_seq ? 1 : 0;
                expected_seq = e.get<0>() + 1;
                if (e.get<2>() == "link-changed" && e.get<4>().at("name").get<std::string>() == "la") {
                    const auto mtu = e.get<4>().at("mtu").get<std::uint32_t>();
                    out_of_order += mtu != 1400 + received % 2 ? 1 : 0;
                    ++received;
                }
            }
        }
        const std::size_t ip_lines = monitor.lines() - lines0;
        std::printf("1. burst of %zu `link set dev la mtu M` in one `ip -batch` (%.0f ms to run; last Events %.0f ms "
                    "after its exit)\n",
                    n, ms(exited - start), ms(last.received - exited));
        std::printf("    CPU per event: nswatchd %.2f us, ip monitor %.2f us (ratio %.2f), dbus-daemon %.2f us\n",
                    nswatchd_us, ip_us, nswatchd_us / ip_us, bus_us);
        std::printf("    (scheduler run time per event: nswatchd %.2f us, ip monitor %.2f us (ratio %.2f), dbus-daemon "
                    "%.2f us)\n",
                    (nswatchd1.run_us - nswatchd0.run_us) / events, (ip1.run_us - ip0.run_us) / events,
                    (nswatchd1.run_us - nswatchd0.run_us) / (ip1.run_us - ip0.run_us),
                    (bus1.run_us - bus0.run_us) / events);
        std::printf("    Events signals %zu: %.1f events per signal; ip monitor lines %zu%s\n", event_signals,
                    static_cast<double>(n) / static_cast<double>(std::max<std::size_t>(event_signals, 1)), ip_lines,
                    monitor_complete ? "" : " (INCOMPLETE)");
        const bool complete = received == n && out_of_order == 0 && seq_gaps == 0 && resynced == 0;
        std::printf("    checks: link-changed received %zu of %zu, out of order %zu, seq gaps %zu, Resynced %zu: %s\n",
                    received, n, out_of_order, seq_gaps, resynced, complete ? "ok" : "FAILED");
        status = complete ? 0 : 1;

        // 2. Idle latency, one change at a time: from an `ip` process's exit,
        // then from the kernel's ack of our own request.
        LinkSetter setter(netns_fd);
        monitor.keep_lines(true);
        std::printf("2. idle, one change of la's MTU every %lld ms (ms; nearest-rank percentiles):\n",
                    static_cast<long long>(kIdle.count()));
        for (int pass = 0; pass < 2 && samples > 0; ++pass) {
            std::vector<double> dbus_ms;
            std::vector<double> ip_ms;
            std::vector<double> read_ms;
            for (std::size_t i = 0; i < samples; ++i) {
                const std::uint32_t mtu = 1500 + static_cast<std::uint32_t>(pass * samples + i);
                const std::size_t from = monitor.kept();
                std::this_thread::sleep_for(kIdle);
                const auto done = pass == 0 ? set_mtu(netns_fd, mtu) : setter.set_mtu(mtu);
                const auto signal = recorder.wait_for([&](const ReceivedSignal& s) {
                    return s.member == "Events" && s.name == ns &&
                           std::any_of(s.events.begin(), s.events.end(), [&](const auto& e) {
                               return e.template get<4>().at("mtu").template get<std::uint32_t>() == mtu;
                           });
                });
                const auto line = monitor.wait_line("mtu " + std::to_string(mtu) + " ", from);
                // The event's time_usec is the daemon's CLOCK_REALTIME when it
                // read the message from the kernel.
                const auto offset =
                    std::chrono::system_clock::now().time_since_epoch() - Clock::now().time_since_epoch();
                for (const auto& e : signal.events) {
                    if (e.get<4>().at("mtu").get<std::uint32_t>() == mtu) {
                        const auto received_usec = std::chrono::duration_cast<std::chrono::microseconds>(
                            signal.received.time_since_epoch() + offset);
                        read_ms.push_back(
                            static_cast<double>(received_usec.count() - static_cast<std::int64_t>(e.get<1>())) /
                            1000.0);
                    }
                }
                dbus_ms.push_back(ms(signal.received - done));
                ip_ms.push_back(ms(line - done));
            }
            std::printf("  the daemon's read from the kernel (the event's time_usec) -> Events at a D-Bus client:\n"
                        "                                  p50 %6.3f  p99 %6.3f  max %6.3f\n",
                        percentile(read_ms, 50), percentile(read_ms, 99), percentile(read_ms, 100));
            std::printf("  %s\n", pass == 0 ? "from `ip link set la mtu M`'s exit (fork+exec, reaped):"
                                            : "from the kernel's ack of an RTM_SETLINK sent by this program:");
            std::printf("    -> Events at a D-Bus client   p50 %6.3f  p99 %6.3f  max %6.3f\n", percentile(dbus_ms, 50),
                        percentile(dbus_ms, 99), percentile(dbus_ms, 100));
            std::printf("    -> ip monitor's line          p50 %6.3f  p99 %6.3f  max %6.3f\n", percentile(ip_ms, 50),
                        percentile(ip_ms, 99), percentile(ip_ms, 100));
        }
        ::close(netns_fd);
        daemon.try_sh("ip netns del " + ns);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "event-cost-bench: %s\ndaemon log:\n%s\n", e.what(), daemon.log().c_str());
        daemon.try_sh("ip netns del " + ns);
        status = 1;
    }
    ::unlink(batch.c_str());
    return status;
}

} // namespace

int main(int argc, char** argv)
{
    // What fails (the bus, the daemon, a command) ends with its message, not
    // std::terminate.
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", "event-cost-bench", e.what());
        return 1;
    }
}
