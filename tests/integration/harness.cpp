#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

extern char** environ;

namespace nswatch::test {

namespace {

std::runtime_error failure(const std::string& what)
{
    return std::runtime_error(what);
}

// Waits for a child with a deadline; returns its status or nullopt.
std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    // A pidfd lets us wait with a timeout without polling in a loop.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
        ::close(pidfd);
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return std::nullopt;
}

std::vector<char*> c_strings(std::vector<std::string>& strings)
{
    std::vector<char*> out;
    out.reserve(strings.size() + 1);
    for (auto& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// From the environment (meson test sets them) or the build's own paths.
std::string setting(const char* name, const char* fallback)
{
    const char* value = std::getenv(name);
    return value != nullptr ? value : fallback;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

} // namespace

CommandResult run_shell(const std::string& command)
{
    CommandResult result;
    FILE* pipe = ::popen(("exec 2>&1; " + command).c_str(), "r");
    if (pipe == nullptr) {
        throw failure("popen failed for: " + command);
    }
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.output.append(buffer.data(), n);
    }
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string shell_quote(const std::string& text)
{
    std::string out = "'";
    for (char c : text) {
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return out + "'";
}

std::string unique_name(const std::string& prefix)
{
    static std::atomic<int> counter{0};
    return prefix + std::to_string(::getpid() % 100000) + "x" + std::to_string(counter++);
}

TempDirectory::TempDirectory()
{
    std::string tmpl = (std::filesystem::temp_directory_path() / "nswatch-it-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) {
        throw failure("mkdtemp failed");
    }
    path_ = tmpl;
}

TempDirectory::~TempDirectory()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

PrivateBus::PrivateBus(const std::string& policy_override, const std::string& extra_config)
{
    const std::string socket = dir_.path() + "/system_bus_socket";
    config_ = dir_.path() + "/system.conf";
    // The shipped policy on a system-like bus: tests see what users get.
    const std::string policy =
        policy_override.empty() ? setting("NSWATCH_BUS_POLICY", NSWATCH_DEFAULT_BUS_POLICY) : policy_override;
    std::string text = read_file(setting("NSWATCH_BUS_TEMPLATE", NSWATCH_DEFAULT_BUS_TEMPLATE));
    auto fill = [&](const std::string& key, const std::string& value) {
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size())) {
            text.replace(at, key.size(), value);
        }
    };
    fill("@SOCKET@", socket);
    fill("@POLICY@", policy);
    if (!extra_config.empty()) {
        text.insert(text.rfind("</busconfig>"), extra_config + "\n");
    }
    std::ofstream(config_) << text;
    ::chmod(dir_.path().c_str(), 0755); // unprivileged clients reach the socket
    start();
}

void PrivateBus::start()
{
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw failure("pipe2 failed");
    }
    std::vector<std::string> args = {"dbus-daemon", "--nofork", "--nopidfile", "--config-file=" + config_,
                                     "--print-address=" + std::to_string(fds[1])};
    auto argv = c_strings(args);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::fcntl(fds[1], F_SETFD, 0); // keep the write end across exec
        ::execvp("dbus-daemon", argv.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    // dbus-daemon prints its address once it listens: that is readiness.
    pollfd p{fds[0], POLLIN, 0};
    std::string line;
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 10'000) > 0) {
        std::array<char, 512> buf{};
        const auto n = ::read(fds[0], buf.data(), buf.size());
        if (n <= 0) {
            break;
        }
        line.append(buf.data(), static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    if (line.find('\n') == std::string::npos) {
        throw failure("dbus-daemon did not start");
    }
    const auto address = line.substr(0, line.find('\n'));
    // The socket path stays; only the guid part of the address is new.
    if (!address_.empty() && address.substr(0, address.find(',')) != address_.substr(0, address_.find(','))) {
        throw failure("dbus-daemon restarted at another address: " + address);
    }
    address_ = address;
}

void PrivateBus::kill()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }
}

void PrivateBus::restart()
{
    kill();
    start();
}

PrivateBus::~PrivateBus()
{
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        if (!wait_child(pid_, 5s)) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
}

DaemonProcess::DaemonProcess(const PrivateBus& bus, std::vector<std::string> extra_args,
                             const std::vector<std::string>& extra_env, int mount_namespace_fd,
                             std::chrono::milliseconds ready_timeout)
{
    const std::string binary = setting("NSWATCHD", NSWATCH_DEFAULT_NSWATCHD);
    const std::string notify_path = dir_.path() + "/notify";
    notify_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, notify_path.c_str(), sizeof addr.sun_path - 1);
    if (::bind(notify_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw failure("cannot bind the notify socket");
    }

    std::vector<std::string> args = {binary, "--log-level=debug"};
    // Tests run in parallel, and every daemon sees every process on the
    // machine (and mounts made outside its /run): a test that counts
    // namespaces would see the other tests' ones. Unless a test chooses its
    // sources, its daemon announces only the host and its own /run/netns.
    if (std::none_of(extra_args.begin(), extra_args.end(), [](const auto& a) { return a.starts_with("--sources"); })) {
        args.emplace_back("--sources=named");
    }
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    // Our environment, less what a test must control, plus the test's own
    // settings (which win over the defaults here).
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e != nullptr; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        const auto key = entry.substr(0, eq);
        if (eq != std::string::npos && key != "NOTIFY_SOCKET" && key != "JOURNAL_STREAM" &&
            !key.starts_with("WATCHDOG_")) {
            vars[key] = entry.substr(eq + 1);
        }
    }
    vars["DBUS_SYSTEM_BUS_ADDRESS"] = bus.address();
    vars["NOTIFY_SOCKET"] = notify_path;
    for (const auto& entry : extra_env) {
        const auto eq = entry.find('=');
        vars[entry.substr(0, eq)] = entry.substr(eq + 1);
    }
    std::vector<std::string> env;
    env.reserve(vars.size());
    for (const auto& [key, value] : vars) {
        env.push_back(key + "=" + value);
    }
    auto argv = c_strings(args);
    auto envp = c_strings(env);
    const std::string log_path = dir_.path() + "/daemon.log";
    const int log_fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    pid_ = ::fork();
    if (pid_ == 0) {
        // Only async-signal-safe calls from here to exec.
        if (mount_namespace_fd >= 0) {
            if (::setns(mount_namespace_fd, CLONE_NEWNS) != 0) {
                ::_exit(126);
            }
        } else if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
                   ::mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) {
            ::_exit(126);
        }
        ::dup2(log_fd, STDERR_FILENO);
        ::dup2(log_fd, STDOUT_FILENO);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    ::close(log_fd);
    reader_ = std::jthread([this](const std::stop_token& stop) { read_notifications(stop); });
    wait_ready(ready_timeout);
}

void DaemonProcess::read_notifications(const std::stop_token& stop)
{
    std::array<char, 4096> buf{};
    pollfd p{notify_fd_, POLLIN, 0};
    while (!stop.stop_requested()) {
        if (::poll(&p, 1, 50) <= 0) { // the timeout only lets the reader end
            continue;
        }
        const auto n = ::recv(notify_fd_, buf.data(), buf.size(), 0);
        if (n > 0) {
            std::lock_guard lock(mutex_);
            notifications_.emplace_back(buf.data(), static_cast<std::size_t>(n));
            notified_.notify_all();
        }
    }
}

void DaemonProcess::wait_ready(std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
        for (const auto& n : notifications_) {
            if (n.find("READY=1") != std::string::npos) {
                return;
            }
        }
        if (auto status = wait_child(pid_, 0ms)) {
            pid_ = -1;
            throw failure("nswatchd exited with status " + std::to_string(*status) + " before READY=1:\n" + log());
        }
        if (Clock::now() >= deadline) {
            throw failure("nswatchd sent no READY=1 in time:\n" + log());
        }
        notified_.wait_for(lock, 200ms); // bounded: also notices an early exit
    }
}

std::vector<std::string>
DaemonProcess::wait_notifications(const std::function<bool(const std::vector<std::string>&)>& done,
                                  std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    if (!notified_.wait_for(lock, timeout, [&] { return done(notifications_); })) {
        throw failure("expected sd_notify messages did not arrive in time");
    }
    return notifications_;
}

std::vector<std::string> DaemonProcess::notifications()
{
    std::lock_guard lock(mutex_);
    return notifications_;
}

DaemonProcess::~DaemonProcess()
{
    if (pid_ > 0) {
        stop(10s);
    }
    reader_ = {}; // joins the reader before its socket closes
    ::close(notify_fd_);
}

std::optional<int> DaemonProcess::wait_exit(std::chrono::milliseconds timeout)
{
    if (pid_ <= 0) {
        throw failure("nswatchd is not running");
    }
    auto status = wait_child(pid_, timeout);
    if (status) {
        pid_ = -1;
    }
    return status;
}

int DaemonProcess::stop(std::chrono::milliseconds timeout)
{
    ::kill(pid_, SIGTERM);
    auto status = wait_child(pid_, timeout);
    if (!status) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
    return status.value_or(-1);
}

CommandResult DaemonProcess::try_sh(const std::string& command) const
{
    return run_shell("nsenter -t " + std::to_string(pid_) + " -m -- sh -c " + shell_quote(command));
}

std::string DaemonProcess::sh(const std::string& command) const
{
    auto result = try_sh(command);
    if (result.status != 0) {
        throw failure("command failed (" + std::to_string(result.status) + "): " + command + "\n" + result.output);
    }
    return result.output;
}

std::string DaemonProcess::log() const
{
    return read_file(dir_.path() + "/daemon.log");
}

ProcessUsage process_usage(pid_t pid)
{
    const std::string proc = "/proc/" + std::to_string(pid);
    ProcessUsage usage;
    std::istringstream status(read_file(proc + "/status"));
    for (std::string line; std::getline(status, line);) {
        if (line.starts_with("Threads:")) {
            usage.threads = std::stoul(line.substr(8));
        } else if (line.starts_with("VmRSS:")) {
            usage.rss_kib = std::stoul(line.substr(6));
        }
    }
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(proc + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        ++usage.fds;
    }
    if (usage.threads == 0) {
        throw failure("cannot read " + proc + "/status");
    }
    return usage;
}

// Waits (bounded) for a condition nothing notifies about, such as a count in
// /proc or a line in the daemon's log; `what` names it in the failure.
void wait_until(const std::function<bool()>& done, const std::string& what, std::chrono::milliseconds timeout)
{
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
        if (Clock::now() >= deadline) {
            throw std::runtime_error("timed out waiting for " + what);
        }
        ::poll(nullptr, 0, 20); // pace the checks
    }
}

std::string log_tail(const DaemonProcess& daemon)
{
    const auto log = daemon.log();
    return log.size() > 4000 ? log.substr(log.size() - 4000) : log;
}

bool logged(const DaemonProcess& daemon, const std::string& text)
{
    return daemon.log().find(text) != std::string::npos;
}

std::string ctl_binary()
{
    const char* env = std::getenv("NSWATCHCTL");
    return env != nullptr ? env : NSWATCH_DEFAULT_NSWATCHCTL;
}

CommandResult ctl(const std::string& address, const std::string& args)
{
    return run_shell("DBUS_SYSTEM_BUS_ADDRESS=" + shell_quote(address) + " " + ctl_binary() + " " + args);
}

std::uint16_t metrics_port(const DaemonProcess& daemon)
{
    // Not std::regex: GCC 12 raises -Wmaybe-uninitialized inside it under ASan.
    static constexpr std::string_view kServing = "serving /metrics and /health on http://127.0.0.1:";
    const auto log = daemon.log();
    const auto at = log.find(kServing);
    if (at == std::string::npos) {
        throw std::runtime_error("the daemon did not log its metrics address:\n" + log);
    }
    return static_cast<std::uint16_t>(std::stoul(log.substr(at + kServing.size())));
}

} // namespace nswatch::test
