// Socket activation: take_activated_listener() reads LISTEN_FDS/LISTEN_PID
// as systemd sets them (through libsystemd's sd_listen_fds), and the
// server serves the passed socket. systemd passes descriptors from 3 on and
// names the receiving process in LISTEN_PID, so the passing is simulated in
// a forked child: it moves a pre-bound listening socket to fd 3, sets both
// variables, and reports back through a pipe; the parent scrapes it.
#include "http/listener.hpp"
#include "http/metrics_server.hpp"
#include "http_client.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdlib>
#include <functional>

using namespace nswatch;
using namespace nswatch::test;

namespace {

// Runs `body` in a child with `passed` as its fd 3 and LISTEN_FDS=1,
// LISTEN_PID=its pid. The child writes body's text to the parent and
// stays alive (serving, if body started a server) until the parent is done
// with it (closes `hold`). Returns the text.
struct Child {
    pid_t pid = -1;
    UniqueFd hold;
    std::string text;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    Child(Child&&) = delete;
    Child& operator=(Child&&) = delete;
    Child(int passed, const std::function<std::string(std::unique_ptr<http::MetricsServer>&)>& body)
    {
        int report[2];
        int wait[2];
        REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
        REQUIRE(::pipe2(wait, O_CLOEXEC) == 0);
        pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            // Out of the way of fd 3, then the passed socket onto it.
            const int out = ::fcntl(report[1], F_DUPFD_CLOEXEC, 10);
            const int in = ::fcntl(wait[0], F_DUPFD_CLOEXEC, 10);
            // Only these two ends: the parent's EOFs depend on it.
            for (const int fd : {report[0], report[1], wait[0], wait[1]}) {
                ::close(fd);
            }
            ::dup2(passed, SD_LISTEN_FDS_START);
            ::setenv("LISTEN_FDS", "1", 1);
            ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
            std::unique_ptr<http::MetricsServer> server;
            std::string result;
            try {
                result = body(server);
            } catch (const std::exception& e) {
                result = std::string("error: ") + e.what();
            }
            (void)!::write(out, result.data(), result.size());
            ::close(out);
            char byte = 0;
            (void)!::read(in, &byte, 1); // EOF: the parent is done
            server.reset();
            ::_exit(0);
        }
        ::close(report[1]);
        ::close(wait[0]);
        hold.reset(wait[1]);
        char buffer[512];
        ssize_t n = 0;
        while ((n = ::read(report[0], buffer, sizeof buffer)) > 0) {
            text.append(buffer, static_cast<std::size_t>(n));
        }
        ::close(report[0]);
    }
    ~Child()
    {
        hold.reset();
        int status = 0;
        ::waitpid(pid, &status, 0);
    }
};

} // namespace

TEST_CASE("a socket passed by systemd is served, and the environment is consumed", "[unit][http]")
{
    UniqueFd listener = http::open_listener({AF_INET, "127.0.0.1", 0});
    const auto port = http::bound_port(listener.get());
    const Child child(listener.get(), [](std::unique_ptr<http::MetricsServer>& server) {
        auto fd = http::take_activated_listener();
        if (!fd) {
            return std::string("no socket");
        }
        const bool consumed = ::getenv("LISTEN_FDS") == nullptr && ::getenv("LISTEN_PID") == nullptr;
        server = std::make_unique<http::MetricsServer>(
            std::move(*fd), [] { return std::string("activated 1\n"); }, [] { return http::HealthDocument{}; });
        return std::string(consumed ? "serving " : "env left ") + server->address();
    });
    listener.reset(); // only the child has it now
    REQUIRE(child.text == "serving 127.0.0.1:" + std::to_string(port));
    const auto r = fetch(port, "GET", "/metrics");
    REQUIRE(r);
    CHECK(r->body == "activated 1\n");
}

TEST_CASE("a passed descriptor that is not a listening TCP socket is refused by name", "[unit][http]")
{
    const UniqueFd datagram(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    const Child udp(datagram.get(), [](auto&) { return http::take_activated_listener() ? "taken" : "none"; });
    CHECK(udp.text.find("error: socket activation passed a descriptor that is not a listening") == 0);
    const UniqueFd unbound(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    const Child stream(unbound.get(), [](auto&) { return http::take_activated_listener() ? "taken" : "none"; });
    CHECK(stream.text.find("not a listening IPv4 or IPv6 stream socket") != std::string::npos);
}

TEST_CASE("without LISTEN_FDS, or with another process's LISTEN_PID, nothing is taken", "[unit][http]")
{
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_PID");
    CHECK_FALSE(http::take_activated_listener());
    ::setenv("LISTEN_FDS", "1", 1);
    ::setenv("LISTEN_PID", std::to_string(::getpid() + 1).c_str(), 1); // meant for a child of ours
    CHECK_FALSE(http::take_activated_listener());
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_PID");
}
