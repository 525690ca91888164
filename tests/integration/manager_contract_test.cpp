// The Manager's health and metrics members, as a client sees them: this test
// process serves a ManagerObject (fed by a HealthMonitor it drives) on a
// private bus under org.nswatch1, and busctl and nswatchctl ask it. The
// daemon's own wiring of health and metrics is tested elsewhere; this is the
// D-Bus contract: values, PropertiesChanged, errors, and what nswatchctl
// status makes of them (text, --json, exit status).
#include "fixture.hpp"

#include "bus/manager_object.hpp"
#include "health/health_monitor.hpp"
#include "nswatch/dbus_names.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <array>
#include <stdexcept>

using namespace nswatch;
using namespace nswatch::test;

namespace {

struct FakeBackend final : ManagerBackend {
    std::vector<NamespaceListing> list_namespaces() const override { return {}; }
    std::optional<std::string> namespace_path(const std::string& /*name*/) const override { return std::nullopt; }
    std::size_t namespace_count() const override { return 3; }
    DaemonCounters counters() const override { return {1234, 42, 3}; }
};

struct FakeControl final : NamespaceControl {
    void watch(const std::string& /*path*/, WatchCompletion done) override { done(ControlError{}); }
    std::optional<ControlError> unwatch(const std::string& /*name*/) override { return ControlError{}; }
};

// Owns the serving connection on the test thread: requests are answered
// only inside run(), while a client command runs.
class ManagerServer {
public:
    explicit ManagerServer(const std::string& address)
        : connection_(sdbus::createSessionBusConnectionWithAddress(address)),
          manager_(std::make_unique<ManagerObject>(*connection_, backend_, control_))
    {
        manager_->set_health_source(&monitor);
        connection_->requestName(dbus::kServiceName);
    }
    ~ManagerServer() { manager_.reset(); }
    ManagerServer(const ManagerServer&) = delete;
    ManagerServer& operator=(const ManagerServer&) = delete;

    ManagerObject& manager() { return *manager_; }

    // Runs `command` (sh -c, stdout and stderr captured) and answers its
    // calls until it exits.
    CommandResult run(const std::string& command)
    {
        std::array<int, 2> out{};
        if (::pipe2(out.data(), O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::dup2(out[1], 1);
            ::dup2(out[1], 2);
            ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ::close(out[1]);
        const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        CommandResult result;
        const auto deadline = Clock::now() + kTimeout;
        bool exited = false;
        bool eof = false;
        while (!exited || !eof) {
            while (connection_->processPendingRequest()) {
            }
            if (Clock::now() > deadline) {
                ::kill(pid, SIGKILL);
            }
            const auto bus = connection_->getEventLoopPollData();
            std::array<pollfd, 3> fds{{{bus.fd, bus.events, 0}, {pidfd, POLLIN, 0}, {out[0], POLLIN, 0}}};
            ::poll(fds.data(), fds.size(), 1000);
            if ((fds[2].revents & (POLLIN | POLLHUP)) != 0) {
                std::array<char, 4096> buffer{};
                const auto n = ::read(out[0], buffer.data(), buffer.size());
                if (n > 0) {
                    result.output.append(buffer.data(), static_cast<std::size_t>(n));
                } else {
                    eof = true;
                }
            }
            exited = exited || (fds[1].revents & POLLIN) != 0;
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(pidfd);
        ::close(out[0]);
        result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return result;
    }

    Clock::time_point now{std::chrono::hours(1)};
    HealthMonitor monitor{[this] { return now; }};

private:
    FakeBackend backend_;
    FakeControl control_;
    std::unique_ptr<sdbus::IConnection> connection_;
    std::unique_ptr<ManagerObject> manager_;
};

NamespaceStatus status_of(const std::string& name, MonitorState state, const std::string& reason = "")
{
    NamespaceStatus ns;
    ns.identity.name = name;
    ns.state = state;
    ns.state_reason = reason;
    return ns;
}

} // namespace

TEST_CASE("Health and HealthReasons follow the report, announced by PropertiesChanged; nswatchctl status shows "
          "them and exits 1 only when failing",
          "[integration][ctl]")
{
    PrivateBus bus;
    SignalRecorder recorder(bus.address());
    ManagerServer server(bus.address());
    const auto ctl = "DBUS_SYSTEM_BUS_ADDRESS=" + shell_quote(bus.address()) + " " + ctl_binary() + " ";
    const auto busctl = "busctl --address=" + shell_quote(bus.address()) + " ";

    server.monitor.namespace_exported(status_of("default", MonitorState::Monitoring), {});
    server.monitor.namespace_exported(status_of("ns1", MonitorState::Monitoring), {});
    CHECK(server.run(busctl + "get-property org.nswatch1 /org/nswatch1 org.nswatch1.Manager Health HealthReasons")
              .output == "s \"ok\"\nas 0\n");

    // A worker fails: degraded, and the caller of publish_health_changed
    // (the bus loop) announces both properties with their new values.
    server.monitor.worker_failed(status_of("ns1", MonitorState::Failed, "socket closed"));
    server.manager().publish_health_changed();
    const auto changed = recorder.wait_for([](const ReceivedSignal& s) {
        return s.member == "PropertiesChanged" && s.name == dbus::kManagerInterface && s.changed.count("Health") != 0;
    });
    CHECK(changed.path == dbus::kManagerPath);
    CHECK(changed.changed.at("Health").get<std::string>() == "degraded");
    CHECK(changed.changed.at("HealthReasons").get<std::vector<std::string>>() ==
          std::vector<std::string>{"namespace ns1: worker failed (socket closed), retrying"});

    auto status = server.run(ctl + "status");
    CHECK(status.status == 0);
    CHECK(status.output.find("        Health: degraded\n"
                             "                namespace ns1: worker failed (socket closed), retrying\n"
                             "    Namespaces: 3\n") != std::string::npos);
    CHECK(status.output.find("Dropped: 42 events") != std::string::npos);

    // Near the fd limit: failing, exit status 1 after printing everything.
    RegistrySample sample;
    sample.fds_in_use = 1000;
    sample.fd_limit = 1024;
    server.monitor.sampled(sample);
    status = server.run(ctl + "--json status");
    CHECK(status.status == 1);
    const auto json = nlohmann::json::parse(status.output);
    CHECK(json.at("health") == "failing");
    CHECK(json.at("health_reasons").size() == 2);
    CHECK(json.at("health_reasons")[0] ==
          "file descriptors: 1000 of 1024 in use (97 %): new namespaces cannot be monitored; raise LimitNOFILE=");
    CHECK(json.at("events_published") == 1234);

    // Back to ok.
    sample.fds_in_use = 20;
    server.monitor.sampled(sample);
    server.monitor.state_changed(status_of("ns1", MonitorState::Monitoring), MonitorState::Failed);
    status = server.run(ctl + "status");
    CHECK(status.status == 0);
    CHECK(status.output.find("        Health: ok\n    Namespaces: 3\n") != std::string::npos);
}

TEST_CASE("GetMetrics answers the metrics text, NotSupported without a source, Failed when rendering fails",
          "[integration][ctl]")
{
    PrivateBus bus;
    ManagerServer server(bus.address());
    const auto call = "busctl --address=" + shell_quote(bus.address()) +
                      " --json=short call org.nswatch1 /org/nswatch1 org.nswatch1.Manager GetMetrics";

    auto result = server.run(call);
    CHECK(result.status != 0);
    CHECK(result.output.find("keeps no metrics") != std::string::npos);

    server.manager().set_metrics_source(
        [](const ManagerObject::MetricsReply& reply) { reply("# TYPE x counter\nx_total 1\n", ""); });
    result = server.run(call);
    CHECK(result.status == 0);
    CHECK(result.output == "{\"type\":\"s\",\"data\":[\"# TYPE x counter\\nx_total 1\\n\"]}\n");

    server.manager().set_metrics_source(
        [](const ManagerObject::MetricsReply& reply) { reply(std::nullopt, "registry gone"); });
    result = server.run(call);
    CHECK(result.status != 0);
    CHECK(result.output.find("cannot render the metrics: registry gone") != std::string::npos);
}
