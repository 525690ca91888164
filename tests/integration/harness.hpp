#pragma once
// Test harness for the real daemon: a private system-like dbus-daemon, the
// nswatchd binary in a private mount namespace (fresh tmpfs on /run, so no
// /run/netns at start, as at boot), and D-Bus clients.
//
// Throws std::runtime_error on failure; no test framework inside, so the
// latency benchmark reuses it.
#include "bus/attributes.hpp"
#include "nswatch/tc.hpp" // tests print tc handles (format_tc_handle)

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nswatch::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
inline constexpr auto kTimeout = 20s;

struct CommandResult {
    int status = -1;    // exit status, or -1 if killed
    std::string output; // stdout and stderr
};

// Runs /bin/sh -c `command` and waits for it.
CommandResult run_shell(const std::string& command);
std::string shell_quote(const std::string& text);
// A name no other test (or test run) uses: prefix + pid + counter, ≤ 15 chars.
std::string unique_name(const std::string& prefix);

class TempDirectory {
public:
    TempDirectory();
    TempDirectory(const TempDirectory&) = delete;
    TempDirectory& operator=(const TempDirectory&) = delete;
    ~TempDirectory();
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

class PrivateBus {
public:
    // With the shipped policy (dbus/org.nswatch1.conf), or another one;
    // `extra_config` (e.g. <limit> elements) goes into the configuration too.
    explicit PrivateBus(const std::string& policy = "", const std::string& extra_config = "");
    PrivateBus(const PrivateBus&) = delete;
    PrivateBus& operator=(const PrivateBus&) = delete;
    ~PrivateBus();
    [[nodiscard]] const std::string& address() const { return address_; }
    [[nodiscard]] pid_t pid() const { return pid_; }
    // SIGKILL, reaped: every connection to it breaks at once.
    void kill();
    // A new dbus-daemon with the same configuration at the same address.
    void restart();

private:
    void start();
    TempDirectory dir_;
    std::string config_;
    std::string address_;
    pid_t pid_ = -1;
};

class DaemonProcess {
public:
    // Starts nswatchd (path from $NSWATCHD) on `bus` and waits for READY=1.
    // With --sources=named unless extra_args has a --sources of its own.
    // In a new mount namespace, or in the one `mount_namespace_fd` (an open
    // /proc/PID/ns/mnt) names: a restarted daemon finds its predecessor's /run.
    // `ready_timeout`: how long READY=1 may take (longer for benchmarks that
    // start with thousands of namespaces: it comes after all are reported).
    explicit DaemonProcess(const PrivateBus& bus, std::vector<std::string> extra_args = {},
                           const std::vector<std::string>& extra_env = {}, int mount_namespace_fd = -1,
                           std::chrono::milliseconds ready_timeout = kTimeout);
    DaemonProcess(const DaemonProcess&) = delete;
    DaemonProcess& operator=(const DaemonProcess&) = delete;
    ~DaemonProcess();

    [[nodiscard]] pid_t pid() const { return pid_; }
    // Runs a shell command in the daemon's mount namespace (where its
    // /run/netns is); throws if it fails.
    std::string sh(const std::string& command) const;
    CommandResult try_sh(const std::string& command) const;
    // SIGTERM and wait; returns the exit status (or -1 if it had to be killed).
    int stop(std::chrono::milliseconds timeout);
    // Waits for it to exit by itself; its exit status (-1: killed by a
    // signal), or nullopt if it still runs after `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    // Every sd_notify datagram received so far.
    std::vector<std::string> notifications();
    // Waits until `done` holds for the datagrams received; throws on timeout.
    std::vector<std::string> wait_notifications(const std::function<bool(const std::vector<std::string>&)>& done,
                                                std::chrono::milliseconds timeout = kTimeout);
    [[nodiscard]] std::string log() const;

private:
    void wait_ready(std::chrono::milliseconds timeout);
    void read_notifications(const std::stop_token& stop);
    TempDirectory dir_;
    int notify_fd_ = -1;
    pid_t pid_ = -1;
    std::mutex mutex_;
    std::condition_variable notified_;
    std::vector<std::string> notifications_;
    // Drains the notify socket all the time, as systemd does: sd_notify
    // blocks once a datagram socket's queue (10 messages) is full.
    std::jthread reader_;
};

struct ReceivedSignal {
    std::string path;
    std::string interface;
    std::string member;
    std::string name;                              // first argument (namespace name), if a string
    std::string object;                            // NamespaceAdded/Removed: object path
    std::vector<DbusEvent> events;                 // Events
    std::uint64_t seq = 0;                         // Resynced
    std::string reason;                            // Resynced
    std::map<std::string, sdbus::Variant> changed; // PropertiesChanged (name = interface)
    Clock::time_point received;
};

// Records every signal below /org/nswatch1, on its own connection and loop thread.
class SignalRecorder {
public:
    explicit SignalRecorder(const std::string& address);
    SignalRecorder(const SignalRecorder&) = delete;
    SignalRecorder& operator=(const SignalRecorder&) = delete;
    ~SignalRecorder();

    // Waits until a recorded signal satisfies `match`; throws on timeout.
    ReceivedSignal wait_for(const std::function<bool(const ReceivedSignal&)>& match,
                            std::chrono::milliseconds timeout = kTimeout);
    // Like wait_for, but gives up only after `quiet` without any new
    // signal: for a backlog (megabytes a stalled bus releases at once) whose
    // delivery takes as long as the machine's load makes it.
    ReceivedSignal wait_for_progressing(const std::function<bool(const ReceivedSignal&)>& match,
                                        std::chrono::milliseconds quiet = kTimeout);
    std::vector<ReceivedSignal> all();
    [[nodiscard]] std::size_t count();
    // Waits until more than `seen` signals were received; false on timeout.
    bool wait_for_more(std::size_t seen, std::chrono::milliseconds timeout = kTimeout);
    // The events of namespace `name`, in the order received.
    std::vector<DbusEvent> events_of(const std::string& name);

private:
    std::unique_ptr<sdbus::IConnection> connection_;
    sdbus::Slot match_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<ReceivedSignal> signals_;
};

struct NamespaceRow {
    std::string name;
    std::string path;
    std::string source;
    std::uint64_t inode = 0;
};

// Synchronous method calls on a connection of its own (no loop thread).
class Caller {
public:
    explicit Caller(const std::string& address);
    std::vector<NamespaceRow> list_namespaces();
    std::string get_namespace(const std::string& name);
    std::pair<std::uint64_t, std::vector<DbusObject>> get_state(const std::string& path);
    sdbus::Variant manager_property(const std::string& property);
    sdbus::Variant namespace_property(const std::string& path, const std::string& property);
    // Calls `method` on the manager with one string argument; returns the D-Bus
    // error name, or "" on success.
    std::string manager_call_error(const std::string& method, const std::string& argument);
    // The error's name and message ({"", ""} on success).
    std::pair<std::string, std::string> manager_call_failure(const std::string& method, const std::string& argument);
    // Watch(path) → (name, object path); throws sdbus::Error.
    std::pair<std::string, std::string> watch(const std::string& path);

private:
    std::unique_ptr<sdbus::IConnection> connection_;
};

// What a process holds, from /proc/PID/status and /proc/PID/fd.
struct ProcessUsage {
    std::size_t threads = 0;
    std::size_t fds = 0;
    std::size_t rss_kib = 0; // VmRSS
};
ProcessUsage process_usage(pid_t pid);

// Link rows "ifindex name kind mtu address operstate up" from attributes.
std::string link_row(std::int32_t ifindex, const Attributes& attrs);

// Waits (bounded) for a condition nothing notifies about, such as a count in
// /proc or a line in the daemon's log; `what` names it in the failure.
void wait_until(const std::function<bool()>& done, const std::string& what,
                std::chrono::milliseconds timeout = kTimeout);
// The last 4,000 characters of the daemon's log (for INFO on failure).
std::string log_tail(const DaemonProcess& daemon);
// nswatchctl ($NSWATCHCTL, else the one built here), and it run with `args`
// against the bus at `address` (as its system bus).
std::string ctl_binary();
CommandResult ctl(const std::string& address, const std::string& args);
// The port nswatchd bound for --metrics-listen=127.0.0.1:0, from its log.
std::uint16_t metrics_port(const DaemonProcess& daemon);
// Whether the daemon's log has `text`.
bool logged(const DaemonProcess& daemon, const std::string& text);

} // namespace nswatch::test
