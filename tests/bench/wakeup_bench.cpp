// The floor under nswatchd's idle latency on this machine: how long one
// hand-off between two sleeping parties takes when the system is idle.
//
// nswatchd's path from the kernel to a D-Bus client is four such hand-offs
// (kernel → worker, worker → bus thread over an eventfd, bus thread →
// dbus-daemon and dbus-daemon → client over Unix sockets); `ip monitor`'s
// is one. This measures each kind in isolation, as the idle-latency row of
// event-cost-bench does: one message, then a pause so every party sleeps
// again, N times; p50/p99/max of the one-way time (CLOCK_MONOTONIC stamped
// by the sender just before its write, read by the receiver on return from
// poll and read).
//
//   build/tests/wakeup-bench [N [PAUSE_MS]]      # default 200 20; no root
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "percentiles.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

void print(const char* what, const std::vector<double>& ms)
{
    const auto s = nswatch::bench::stats(ms);
    std::printf("  %-52s p50 %6.3f  p99 %6.3f  max %6.3f ms\n", what, s.p50, s.p99, s.max);
}

// Receiver: waits in poll() on `fd`, reads the sender's stamp, records
// now - stamp. For an eventfd the stamp travels in shared memory.
std::vector<double> receive(int fd, int n, bool eventfd, const std::int64_t* shared)
{
    std::vector<double> out;
    for (int i = 0; i < n; ++i) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, -1) != 1) {
            std::perror("poll");
            std::exit(1);
        }
        std::int64_t stamp = 0;
        if (eventfd) {
            std::uint64_t count = 0;
            if (::read(fd, &count, sizeof count) != sizeof count) {
                std::exit(1);
            }
            stamp = __atomic_load_n(shared, __ATOMIC_ACQUIRE);
        } else if (::read(fd, &stamp, sizeof stamp) != sizeof stamp) {
            std::exit(1);
        }
        out.push_back(static_cast<double>(now_ns() - stamp) / 1e6);
    }
    return out;
}

void send_all(int fd, int n, int pause_ms, bool eventfd, std::int64_t* shared)
{
    for (int i = 0; i < n; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms));
        std::int64_t stamp = now_ns();
        if (eventfd) {
            __atomic_store_n(shared, stamp, __ATOMIC_RELEASE);
            const std::uint64_t one = 1;
            if (::write(fd, &one, sizeof one) != sizeof one) {
                std::exit(1);
            }
        } else if (::write(fd, &stamp, sizeof stamp) != sizeof stamp) {
            std::exit(1);
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    const int n = argc > 1 ? std::atoi(argv[1]) : 200;
    const int pause_ms = argc > 2 ? std::atoi(argv[2]) : 20;
    if (n <= 0 || pause_ms < 0) {
        std::fprintf(stderr, "usage: wakeup-bench [N [PAUSE_MS]]\n");
        return 2;
    }
    std::array<double, 3> load{};
    ::getloadavg(load.data(), 3);
    std::printf("wakeup-bench: N=%d, pause %d ms, nproc %u, load average %.2f; one-way hand-off, idle between\n", n,
                pause_ms, std::thread::hardware_concurrency(), load[0]);

    { // thread → thread over an eventfd (a worker waking the bus thread)
        const int fd = ::eventfd(0, EFD_CLOEXEC);
        std::int64_t shared = 0;
        std::vector<double> got;
        std::thread receiver([&] { got = receive(fd, n, true, &shared); });
        send_all(fd, n, pause_ms, true, &shared);
        receiver.join();
        print("thread -> thread, eventfd", got);
        ::close(fd);
    }
    { // process → process over a Unix socket (bus thread → dbus-daemon → client)
        std::array<int, 2> sv{};
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv.data()) != 0) {
            std::perror("socketpair");
            return 1;
        }
        const pid_t child = ::fork();
        if (child == 0) {
            ::close(sv[0]);
            send_all(sv[1], n, pause_ms, false, nullptr);
            ::_exit(0);
        }
        ::close(sv[1]);
        print("process -> process, Unix stream socket", receive(sv[0], n, false, nullptr));
        ::waitpid(child, nullptr, 0);
        ::close(sv[0]);
    }
    return 0;
}
