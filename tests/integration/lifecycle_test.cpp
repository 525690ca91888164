// Removal releases the namespace; a second client sees the same signals;
// errors are D-Bus errors; SIGTERM stops cleanly.
#include "fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <set>

using namespace nswatch;
using namespace nswatch::test;

TEST_CASE("ip netns del ends monitoring and nothing keeps the namespace alive", "[integration][lifecycle]")
{
    DaemonFixture f;
    const auto ns = unique_name("nsr");
    const auto host_end = unique_name("h");
    f.cleanup.push_back(ns);
    f.daemon.sh("ip netns add " + ns);
    f.wait_added(ns);
    f.daemon.sh("ip link add " + host_end + " type veth peer name peer0 netns " + ns);
    f.wait_event("default", "link-added", host_end);
    f.wait_event(ns, "link-added", "peer0");

    f.daemon.sh("ip netns del " + ns);
    f.wait_removed(ns);
    CHECK(f.caller.manager_call_error("GetNamespace", ns) == "org.nswatch1.Error.NoSuchNamespace");
    // The kernel destroys the namespace only when nothing holds it; with it
    // goes peer0 and therefore the host end of the pair.
    f.wait_event("default", "link-removed", host_end);
    CHECK(run_shell("ip link show " + host_end).status != 0);
}

TEST_CASE("a second, independent client (busctl) sees the signals", "[integration][lifecycle]")
{
    DaemonFixture f;
    const auto ns = unique_name("nsm");
    f.cleanup.push_back(ns);
    TempDirectory dir;
    const auto out = dir.path() + "/monitor.txt";
    const pid_t busctl = ::fork();
    if (busctl == 0) {
        const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, STDOUT_FILENO);
        ::execlp("busctl", "busctl", ("--address=" + f.bus.address()).c_str(), "monitor", "--json=short",
                 static_cast<char*>(nullptr));
        ::_exit(127);
    }
    auto seen = [&](const std::string& text) {
        return run_shell("grep -q -- " + shell_quote(text) + " " + out).status == 0;
    };
    // Handshake: busctl prints our own call once it is monitoring.
    const auto deadline = Clock::now() + kTimeout;
    while (!seen("ListNamespaces")) {
        REQUIRE(Clock::now() < deadline);
        f.caller.list_namespaces();
        ::poll(nullptr, 0, 50); // pace the handshake calls
    }
    f.daemon.sh("ip netns add " + ns);
    f.wait_added(ns);
    f.daemon.sh("ip -n " + ns + " link add mona type veth peer name monb");
    f.wait_event(ns, "link-added", "mona");
    while (!(seen("\"NamespaceAdded\"") && seen("\"Events\"") && seen(ns))) {
        REQUIRE(Clock::now() < deadline);
        ::poll(nullptr, 0, 50);
    }
    ::kill(busctl, SIGTERM);
    ::waitpid(busctl, nullptr, 0);
    CHECK(run_shell("busctl --address=" + f.bus.address() +
                    " call org.nswatch1 /org/nswatch1 org.nswatch1.Manager "
                    "GetNamespace s " +
                    ns)
              .output.find("/org/nswatch1/netns/" + ns) != std::string::npos);
}

TEST_CASE("bad requests get D-Bus errors, not crashes", "[integration][lifecycle]")
{
    DaemonFixture f;
    CHECK(f.caller.manager_call_error("GetNamespace", "no-such") == "org.nswatch1.Error.NoSuchNamespace");
    CHECK(f.caller.manager_call_error("Watch", "/etc/passwd") == "org.freedesktop.DBus.Error.InvalidArgs");
    CHECK(f.caller.manager_call_error("Unwatch", "default") == "org.freedesktop.DBus.Error.InvalidArgs");
    CHECK(f.caller.manager_call_error("Unwatch", "no-such") == "org.nswatch1.Error.NoSuchNamespace");
    CHECK(f.caller.list_namespaces().size() == 1); // still serving
}

TEST_CASE("SIGTERM stops the daemon promptly with exit status 0", "[integration][lifecycle]")
{
    PrivateBus bus;
    DaemonProcess daemon(bus);
    const auto ns = unique_name("nst");
    daemon.sh("ip netns add " + ns + " && ip -n " + ns + " link add ta type veth peer name tb");
    const auto started = Clock::now();
    CHECK(daemon.stop(5s) == 0);
    CHECK(Clock::now() - started < 2s);
    bool stopping = false;
    bool status = false;
    for (const auto& n : daemon.notifications()) {
        stopping = stopping || n.find("STOPPING=1") != std::string::npos;
        status = status || n.find("STATUS=Monitoring") != std::string::npos;
    }
    CHECK(stopping);
    CHECK(status);
    CHECK(daemon.log().find("stopped") != std::string::npos);
}

TEST_CASE("any local user may read; only root may call Watch (shipped bus policy)", "[integration][lifecycle]")
{
    DaemonFixture f;
    auto as_nobody = [&](const std::string& args) {
        return run_shell("setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address=" + f.bus.address() +
                         " " + args);
    };
    const auto list = as_nobody("call org.nswatch1 /org/nswatch1 org.nswatch1.Manager ListNamespaces");
    CHECK(list.status == 0);
    CHECK(list.output.find("\"default\"") != std::string::npos);
    CHECK(as_nobody("call org.nswatch1 /org/nswatch1/netns/default org.nswatch1.Namespace GetState").status == 0);
    CHECK(as_nobody("get-property org.nswatch1 /org/nswatch1 org.nswatch1.Manager NamespaceCount").output == "u 1\n");

    const auto watch = as_nobody("call org.nswatch1 /org/nswatch1 org.nswatch1.Manager Watch s /proc/1/ns/net");
    CHECK(watch.status != 0);
    CHECK(watch.output.find("Access denied") !=
          std::string::npos); // busctl words org.freedesktop.DBus.Error.AccessDenied so
    const auto unwatch = as_nobody("call org.nswatch1 /org/nswatch1 org.nswatch1.Manager Unwatch s default");
    CHECK(unwatch.status != 0);
    CHECK(unwatch.output.find("Access denied") != std::string::npos);
}

TEST_CASE("with WATCHDOG_USEC set the daemon pings systemd at half the interval", "[integration][lifecycle]")
{
    PrivateBus bus;
    DaemonProcess daemon(bus, {}, {"WATCHDOG_USEC=400000"});
    auto pings = [](const std::vector<std::string>& all) {
        return std::count_if(all.begin(), all.end(), [](const std::string& n) { return n == "WATCHDOG=1"; });
    };
    const auto first = Clock::now();
    daemon.wait_notifications([&](const auto& all) { return pings(all) >= 1; });
    const auto after_one = Clock::now();
    daemon.wait_notifications([&](const auto& all) { return pings(all) >= 4; });
    const auto interval = (Clock::now() - after_one) / 3;
    CHECK(interval > 150ms); // 200 ms expected: not a busy loop...
    CHECK(interval < 400ms); // ...and never as late as the watchdog's limit
    CHECK(after_one - first < 400ms);
    const auto all = daemon.notifications();
    CHECK(std::find(all.begin(), all.end(), "STATUS=Monitoring 1 network namespace") != all.end());
}

TEST_CASE("a failed worker shows State failed, restarts, and emits what it missed", "[integration][lifecycle]")
{
    const auto ns = unique_name("nsx");
    PrivateBus bus;
    DaemonProcess daemon(bus, {}, {"NSWATCH_TEST_FAIL_NAMESPACE=" + ns});
    SignalRecorder recorder(bus.address());
    Caller caller(bus.address());
    daemon.sh("ip netns add " + ns);
    const auto path =
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == ns; }).object;
    auto state_became = [&](const std::string& value) {
        return [&, value](const ReceivedSignal& s) {
            return s.member == "PropertiesChanged" && s.path == path && s.changed.count("State") != 0 &&
                   s.changed.at("State").get<std::string>() == value;
        };
    };
    // The first notification after the initial dump kills the socket: the
    // creation of this pair is read by nobody until the worker is back.
    daemon.sh("ip -n " + ns + " link add fa type veth peer name fb");
    const auto failed = recorder.wait_for(state_became("failed"));
    REQUIRE(failed.changed.count("StateReason") != 0);
    CHECK_THAT(failed.changed.at("StateReason").get<std::string>(),
               Catch::Contains("injected failure") && Catch::Contains("retrying in 100 ms"));
    const auto resynced =
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "Resynced" && s.name == ns; });
    CHECK(resynced.reason == "restart");
    recorder.wait_for(state_became("monitoring"));
    CHECK(caller.namespace_property(path, "State").get<std::string>() == "monitoring");

    // What happened while it was down arrived as ordinary events, gapless.
    const auto events = recorder.events_of(ns);
    std::set<std::string> added;
    for (std::size_t i = 0; i < events.size(); ++i) {
        CHECK(events[i].get<0>() == i + 1);
        if (events[i].get<2>() == "link-added") {
            added.insert(events[i].get<4>().at("name").get<std::string>());
        }
    }
    CHECK(added == std::set<std::string>{"fa", "fb"});
    CHECK(resynced.seq == events.size());
    CHECK(caller.get_state(path).second.size() == 3); // lo, fa, fb
    CHECK(daemon.log().find("injected failure") != std::string::npos);

    // And it keeps following changes.
    daemon.sh("ip -n " + ns + " link set fa mtu 1280");
    recorder.wait_for([&](const ReceivedSignal& s) {
        return s.member == "Events" && s.name == ns && s.events.back().get<4>().at("mtu").get<std::uint32_t>() == 1280;
    });
    daemon.sh("ip netns del " + ns);
}

TEST_CASE("the daemon itself refuses Watch and Unwatch to non-root callers, whatever the bus policy",
          "[integration][lifecycle]")
{
    TempDirectory dir;
    const auto lax = dir.path() + "/lax.conf";
    // A policy that lets anyone call anything on org.nswatch1.
    std::ofstream(lax)
        << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
           " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
           "<busconfig><policy user=\"root\"><allow own=\"org.nswatch1\"/></policy>"
           "<policy context=\"default\"><allow send_destination=\"org.nswatch1\"/></policy></busconfig>\n";
    ::chmod(dir.path().c_str(), 0755);
    PrivateBus bus(lax);
    DaemonProcess daemon(bus);
    // dbus-send prints the error's name and the daemon's own message.
    auto call = [&](const std::string& who, const std::string& method, const std::string& arg) {
        return run_shell(who + "dbus-send --bus=" + bus.address() +
                         " --print-reply --dest=org.nswatch1 /org/nswatch1 org.nswatch1.Manager." + method +
                         " string:" + arg);
    };
    const std::string nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
    const auto watch = call(nobody, "Watch", "/proc/1/ns/net");
    CHECK(watch.status != 0);
    CHECK(watch.output.find("org.freedesktop.DBus.Error.AccessDenied: Watch is allowed to root only") !=
          std::string::npos);
    CHECK(call(nobody, "Unwatch", "default").output.find("Unwatch is allowed to root only") != std::string::npos);
    // Root passes the check: this test is in the host namespace, monitored as default.
    const auto own = "/proc/" + std::to_string(::getpid()) + "/ns/net";
    CHECK(call("", "Watch", own).output.find("string \"default\"") != std::string::npos);
}
