// nswatchctl against the real daemon.
#include "fixture.hpp"

#include <unistd.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <regex>
#include <sstream>

using namespace nswatch::test;

namespace {

std::string slurp(const std::string& path)
{
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Waits until `path` holds `text` (the monitor writes as things happen).
void wait_file_contains(const std::string& path, const std::string& text)
{
    const auto deadline = Clock::now() + kTimeout;
    while (slurp(path).find(text) == std::string::npos) {
        if (Clock::now() > deadline) {
            throw std::runtime_error("'" + text + "' never appeared in:\n" + slurp(path));
        }
        ::poll(nullptr, 0, 20);
    }
}

} // namespace

TEST_CASE("nswatchctl says in one line that the daemon is not running, and fails", "[integration][ctl]")
{
    PrivateBus bus; // a bus without nswatchd
    const auto result = ctl(bus.address(), "list");
    CHECK(result.status == 1);
    CHECK(result.output == "nswatchctl: nswatchd is not running (org.nswatch1 is not on the system bus)\n");
    CHECK(ctl(bus.address(), "status").status == 1);
}

TEST_CASE("nswatchctl list, show and status describe what the daemon sees", "[integration][ctl]")
{
    DaemonFixture f;
    const auto ns = f.add_namespace("nsc").name;
    f.daemon.sh("ip -n " + ns + " link add ca type veth peer name cb && tc -n " + ns +
                " qdisc add dev ca root handle 1: htb && tc -n " + ns +
                " class add dev ca parent 1: classid 1:10 htb rate 1mbit");
    f.recorder.wait_for([&](const ReceivedSignal& s) {
        return s.member == "Events" && s.name == ns && s.events.back().get<2>() == "class-added";
    });
    const auto list = ctl(f.bus.address(), "list");
    CHECK(list.status == 0);
    CHECK(std::regex_search(list.output, std::regex("\n" + ns + " +named +[0-9]+ +monitoring +/run/netns/" + ns)));
    const auto show = ctl(f.bus.address(), "show " + ns);
    CHECK(show.status == 0);
    CHECK(std::regex_search(show.output, std::regex("ca +htb +1:10 +root +rate 1Mbit")));
    CHECK(std::regex_search(show.output, std::regex("ca +htb +1: +root")));
    const auto json = ctl(f.bus.address(), "--json show " + ns);
    CHECK(json.output.find("\"type\":\"class\"") != std::string::npos);
    const auto status = ctl(f.bus.address(), "status");
    CHECK(status.output.find("Namespaces: 2") != std::string::npos);
    CHECK(ctl(f.bus.address(), "show no-such").output.find("No monitored network namespace is named 'no-such'") !=
          std::string::npos);
}

TEST_CASE("nswatchctl monitor starts from a snapshot and prints every later change once", "[integration][ctl]")
{
    DaemonFixture f;
    // Links made after NamespaceAdded are events (made before, they would be
    // part of the namespace's first snapshot and never an event).
    const auto ns = f.add_namespace("nsm").name;
    f.daemon.sh("ip -n " + ns + " link add ma0 type veth peer name mb0");
    f.wait_event(ns, "link-added", "mb0");
    TempDirectory dir;
    const auto out = dir.path() + "/monitor.txt";
    const pid_t monitor = ::fork();
    if (monitor == 0) {
        ::execl("/bin/sh", "sh", "-c",
                ("DBUS_SYSTEM_BUS_ADDRESS=" + shell_quote(f.bus.address()) + " exec " + ctl_binary() + " monitor " +
                 ns + " > " + out)
                    .c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // The snapshot holds what existed before the monitor started.
    wait_file_contains(out, " link-present dev ");
    wait_file_contains(out, "mb0");
    f.daemon.sh("ip -n " + ns + " link set ma0 mtu 1400");
    wait_file_contains(out, "link-changed");
    f.daemon.sh("ip -n " + ns + " link del ma0");
    wait_file_contains(out, "link-removed dev");
    ::kill(monitor, SIGTERM);
    ::waitpid(monitor, nullptr, 0);

    // Every event line after the snapshot, in seq order, each once.
    std::istringstream in(slurp(out));
    std::uint64_t snapshot_seq = 0;
    std::uint64_t last = 0;
    int changes = 0;
    static const std::regex line("^" + ns + " #([0-9]+) ([a-z]+-[a-z]+) dev ");
    for (std::string l; std::getline(in, l);) {
        std::smatch m;
        REQUIRE(std::regex_search(l, m, line));
        const auto seq = std::stoull(m[1].str());
        if (m[2].str().ends_with("-present")) {
            snapshot_seq = seq;
            last = seq;
            continue;
        }
        CHECK(seq == last + 1);
        last = seq;
        ++changes;
    }
    CHECK(snapshot_seq > 0);
    CHECK(changes >= 3); // ma0 changed, ma0 and mb0 removed
    CHECK(slurp(out).find("mtu 1400") != std::string::npos);
}

TEST_CASE("nswatchd --session and nswatchctl --session use the session bus", "[integration][ctl]")
{
    PrivateBus bus;
    // The system bus address leads nowhere: only the session bus works.
    DaemonProcess daemon(
        bus, {"--session"},
        {"DBUS_SESSION_BUS_ADDRESS=" + bus.address(), "DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent"});
    const auto session =
        run_shell("DBUS_SESSION_BUS_ADDRESS=" + shell_quote(bus.address()) +
                  " DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent " + ctl_binary() + " --session list");
    CHECK(session.status == 0);
    CHECK(session.output.find("default") != std::string::npos);
    const auto system = run_shell("DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent " + ctl_binary() + " list");
    CHECK(system.status == 1);
    CHECK(system.output.find("nswatchctl: cannot connect to the system bus") == 0);
}

TEST_CASE("nswatchctl watch and unwatch report the daemon's answer in one line", "[integration][ctl]")
{
    DaemonFixture f;
    // This test process is in the host namespace: Watch answers with "default".
    const auto watch = ctl(f.bus.address(), "watch /proc/" + std::to_string(::getpid()) + "/ns/net");
    CHECK(watch.status == 0);
    CHECK(watch.output == "default /org/nswatch1/netns/default\n");
    const auto refused = ctl(f.bus.address(), "watch /etc/passwd");
    CHECK(refused.status == 1);
    CHECK(refused.output == "nswatchctl: '/etc/passwd' is not a namespace file: it is a regular file (use "
                            "/proc/PID/ns/net or an nsfs bind mount such as /run/netns/NAME) "
                            "(org.freedesktop.DBus.Error.InvalidArgs)\n");
    const auto unwatch = ctl(f.bus.address(), "unwatch default");
    CHECK(unwatch.status == 1);
    CHECK(unwatch.output.find("'default' was not added by Watch") != std::string::npos);
}

TEST_CASE("a healthy daemon reads Health ok with no reasons, on D-Bus and in nswatchctl status (and --json)",
          "[integration][ctl]")
{
    DaemonFixture f;
    f.add_namespace("nsh");
    CHECK(f.caller.manager_property("Health").get<std::string>() == "ok");
    CHECK(f.caller.manager_property("HealthReasons").get<std::vector<std::string>>().empty());
    // Any local user may read them and call GetMetrics (the bus policy).
    const auto as_nobody = [&](const std::string& args) {
        return run_shell("setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address=" + f.bus.address() +
                         " " + args);
    };
    CHECK(as_nobody("get-property org.nswatch1 /org/nswatch1 org.nswatch1.Manager Health HealthReasons").output ==
          "s \"ok\"\nas 0\n");
    // GetMetrics: the exposition, counting what this daemon did (two
    // namespaces exported) and the process figures.
    const auto metrics = as_nobody("call org.nswatch1 /org/nswatch1 org.nswatch1.Manager GetMetrics");
    CHECK(metrics.status == 0);
    CHECK(metrics.output.find("nswatch_namespaces_exported 2") != std::string::npos);
    CHECK(metrics.output.find("process_resident_memory_bytes") != std::string::npos);

    const auto status = ctl(f.bus.address(), "status");
    CHECK(status.status == 0);
    CHECK(status.output.find("        Health: ok\n    Namespaces: 2\n") != std::string::npos);
    const auto json = ctl(f.bus.address(), "--json status");
    CHECK(json.status == 0);
    const auto parsed = nlohmann::json::parse(json.output);
    CHECK(parsed.at("health") == "ok");
    CHECK(parsed.at("health_reasons").empty());
    CHECK(parsed.at("namespaces") == 2);
    CHECK(parsed.at("events_dropped") == 0);
}
