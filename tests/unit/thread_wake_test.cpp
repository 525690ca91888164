// ThreadWake: the worker's fd-less wake-up. Two threads of this process; no
// root needed. Timeouts are only there so that a broken wake-up fails the
// test instead of hanging it; no assertion depends on timing.
#include "util/thread_wake.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <cerrno>
#include <future>
#include <thread>

using nswatch::ThreadWake;

namespace {

constexpr int kLong = 30'000; // ms: never reached unless the wake-up is lost

struct WaitResult {
    int rc;
    int error;
};

WaitResult wait_once(const ThreadWake& wake, int timeout_ms)
{
    const int rc = wake.wait(nullptr, 0, timeout_ms);
    return {rc, rc < 0 ? errno : 0};
}

} // namespace

TEST_CASE("a wake from another thread ends the owner's wait", "[unit][wake]")
{
    ThreadWake wake;
    std::promise<void> attached;
    std::future<WaitResult> result = std::async(std::launch::async, [&] {
        const ThreadWake::Attachment attachment(wake);
        attached.set_value();
        return wait_once(wake, kLong);
    });
    attached.get_future().wait();
    wake.wake(); // before or during the wait: either way it ends it
    const auto woken = result.get();
    CHECK(woken.rc == -1);
    CHECK(woken.error == EINTR);
}

TEST_CASE("wakes sent before the wait are not lost, and count once", "[unit][wake]")
{
    ThreadWake wake;
    const ThreadWake::Attachment attachment(wake);
    wake.wake();
    std::thread([&] { wake.wake(); }).join();
    wake.wake();
    const auto first = wait_once(wake, kLong);
    CHECK(first.rc == -1);
    CHECK(first.error == EINTR);
    // Three wakes, one EINTR: nothing queued, no spurious second return.
    CHECK(wait_once(wake, 0).rc == 0);
}

TEST_CASE("a wait with nothing to wake it times out and reports ready fds", "[unit][wake]")
{
    ThreadWake wake;
    const ThreadWake::Attachment attachment(wake);
    CHECK(wait_once(wake, 1).rc == 0);

    std::array<int, 2> pipe_fds{};
    REQUIRE(::pipe(pipe_fds.data()) == 0);
    REQUIRE(::write(pipe_fds[1], "x", 1) == 1);
    pollfd fd{pipe_fds[0], POLLIN, 0};
    CHECK(wake.wait(&fd, 1, kLong) == 1);
    CHECK((fd.revents & POLLIN) != 0);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
}

TEST_CASE("a wake interrupts only the wait, never another blocking call", "[unit][wake]")
{
    ThreadWake wake;
    std::array<int, 2> pipe_fds{};
    REQUIRE(::pipe(pipe_fds.data()) == 0);
    std::promise<void> attached;
    std::future<std::array<int, 3>> result = std::async(std::launch::async, [&] {
        const ThreadWake::Attachment attachment(wake);
        attached.set_value();
        char byte = 0;
        const auto got = ::read(pipe_fds[0], &byte, 1); // the wake arrives before or during it
        const auto waited = wait_once(wake, kLong);
        return std::array<int, 3>{static_cast<int>(got), waited.rc, waited.error};
    });
    attached.get_future().wait();
    wake.wake();
    REQUIRE(::write(pipe_fds[1], "x", 1) == 1);
    const auto [got, rc, error] = result.get();
    CHECK(got == 1); // not EINTR: the signal stayed pending
    CHECK(rc == -1);
    CHECK(error == EINTR);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
}

TEST_CASE("after detach no wake reaches the thread", "[unit][wake]")
{
    ThreadWake wake;
    std::promise<void> detached;
    std::promise<void> woken;
    std::future<int> result = std::async(std::launch::async, [&] {
        ThreadWake other; // keeps the signal blocked here, and provides a wait
        const ThreadWake::Attachment attachment(other);
        {
            const ThreadWake::Attachment first(wake);
        }
        detached.set_value();
        woken.get_future().wait();
        return wait_once(other, 0).rc; // 0: no signal is pending for this thread
    });
    detached.get_future().wait();
    wake.wake();
    woken.set_value();
    CHECK(result.get() == 0);
}

TEST_CASE("wakes racing with detach never signal a joined thread", "[unit][wake]")
{
    // Many short-lived owners while another thread wakes without pause: a
    // wake must never reach a thread after its detach (the joined thread's id
    // may be reused). Under TSan and ASan this is also the race check.
    ThreadWake wake;
    std::atomic<bool> done{false};
    std::thread waker([&] {
        while (!done.load()) {
            wake.wake();
        }
    });
    for (int i = 0; i < 200; ++i) {
        std::thread([&] {
            const ThreadWake::Attachment attachment(wake);
            wake.wait(nullptr, 0, 0);
        }).join();
    }
    done.store(true);
    waker.join();
    SUCCEED("no stray signal killed or hung the process");
}
