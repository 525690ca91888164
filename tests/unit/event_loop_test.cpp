#include "util/event_loop.hpp"

#include "util/event_fd.hpp"

#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using nswatch::EventFd;
using nswatch::EventLoop;
using nswatch::FdWatch;
using nswatch::Timer;

namespace {

// Runs the loop until `done` or a generous deadline; never asserts how fast.
template <typename Pred>
bool run_until(EventLoop& loop, Pred done)
{
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
        loop.run_once(10);
    }
    return done();
}

} // namespace

TEST_CASE("a readable fd calls its callback with POLLIN", "[unit][loop]")
{
    EventLoop loop;
    EventFd bell;
    std::vector<short> seen;
    auto watch = loop.watch_fd(bell.fd(), POLLIN, [&](short revents) {
        seen.push_back(revents);
        bell.drain();
    });
    CHECK(loop.size() == 1);

    bell.signal();
    loop.run_once(1000);
    REQUIRE(seen.size() == 1);
    CHECK((seen[0] & POLLIN) != 0);

    loop.run_once(0); // drained: not ready any more
    CHECK(seen.size() == 1);
}

TEST_CASE("run_once returns after its timeout when nothing is ready", "[unit][loop]")
{
    EventLoop loop;
    loop.run_once(10); // no registrations at all

    EventFd bell;
    int calls = 0;
    auto watch = loop.watch_fd(bell.fd(), POLLIN, [&](short) { ++calls; });
    loop.run_once(20);
    CHECK(calls == 0);
}

TEST_CASE("a destroyed or reset watch is not called", "[unit][loop]")
{
    EventLoop loop;
    EventFd bell;
    bell.signal();
    int calls = 0;
    {
        auto watch = loop.watch_fd(bell.fd(), POLLIN, [&](short) { ++calls; });
        loop.run_once(0); // builds the poll array with it
        CHECK(calls == 1);
    }
    CHECK(loop.size() == 0);
    loop.run_once(0);
    CHECK(calls == 1);

    auto watch = loop.watch_fd(bell.fd(), POLLIN, [&](short) { ++calls; });
    watch.reset();
    CHECK_FALSE(watch.active());
    CHECK(loop.size() == 0);
    loop.run_once(0);
    CHECK(calls == 1);
}

TEST_CASE("set_events(0) pauses a watch until events are set again", "[unit][loop]")
{
    EventLoop loop;
    EventFd bell;
    bell.signal(); // stays readable: the callback does not drain
    int calls = 0;
    auto watch = loop.watch_fd(bell.fd(), POLLIN, [&](short) { ++calls; });
    loop.run_once(0);
    CHECK(calls == 1);

    watch.set_events(0);
    loop.run_once(20);
    CHECK(calls == 1);
    CHECK(loop.size() == 1);

    watch.set_events(POLLIN);
    loop.run_once(0);
    CHECK(calls == 2);
}

TEST_CASE("a watch removed by another callback of the same round is not called", "[unit][loop]")
{
    EventLoop loop;
    EventFd a;
    EventFd b;
    a.signal();
    b.signal();
    std::optional<FdWatch> watch_a;
    std::optional<FdWatch> watch_b;
    int calls = 0;
    // Whichever runs first removes the other: exactly one call, in any order.
    watch_a = loop.watch_fd(a.fd(), POLLIN, [&](short) {
        ++calls;
        watch_b.reset();
    });
    watch_b = loop.watch_fd(b.fd(), POLLIN, [&](short) {
        ++calls;
        watch_a.reset();
    });
    loop.run_once(0);
    CHECK(calls == 1);
    CHECK(loop.size() == 1);
}

TEST_CASE("a callback may remove its own watch", "[unit][loop]")
{
    EventLoop loop;
    EventFd bell;
    bell.signal();
    FdWatch watch;
    std::string seen;
    watch = loop.watch_fd(bell.fd(), POLLIN, [&, label = std::string(40, 'x')](short) {
        watch.reset();
        seen = label; // the running callback's captures are still alive
    });
    loop.run_once(0);
    CHECK(seen == std::string(40, 'x'));
    CHECK(loop.size() == 0);
}

TEST_CASE("a watch added by a callback is first called in the next round", "[unit][loop]")
{
    EventLoop loop;
    EventFd a;
    EventFd b;
    a.signal();
    b.signal(); // already ready when it gets added
    int b_calls = 0;
    FdWatch watch_b;
    auto watch_a = loop.watch_fd(a.fd(), POLLIN, [&](short) {
        a.drain();
        if (!watch_b.active()) {
            watch_b = loop.watch_fd(b.fd(), POLLIN, [&](short) { ++b_calls; });
        }
    });
    loop.run_once(0);
    CHECK(b_calls == 0);
    CHECK(loop.size() == 2);

    loop.run_once(0);
    CHECK(b_calls == 1);
}

TEST_CASE("moving handles keeps the registration", "[unit][loop]")
{
    EventLoop loop;
    EventFd bell;
    bell.signal();
    int calls = 0;
    auto first = loop.watch_fd(bell.fd(), POLLIN, [&](short) { ++calls; });
    FdWatch moved(std::move(first));
    CHECK_FALSE(first.active()); // NOLINT(bugprone-use-after-move)
    std::vector<FdWatch> held;
    held.push_back(std::move(moved));
    CHECK(loop.size() == 1);
    loop.run_once(0);
    CHECK(calls == 1);

    // Assigning over a live handle unregisters what it held.
    int other_calls = 0;
    held[0] = loop.watch_fd(bell.fd(), POLLIN, [&](short) { ++other_calls; });
    CHECK(loop.size() == 1);
    loop.run_once(0);
    CHECK(calls == 1);
    CHECK(other_calls == 1);

    int fired = 0;
    auto timer = loop.add_timer([&] { ++fired; });
    Timer moved_timer(std::move(timer));
    Timer assigned;
    assigned = std::move(moved_timer);
    held.clear();
    CHECK(loop.size() == 1);
    assigned.arm_after(5ms);
    CHECK(run_until(loop, [&] { return fired == 1; }));
}

TEST_CASE("a one-shot timer fires once", "[unit][loop]")
{
    EventLoop loop;
    int fired = 0;
    auto timer = loop.add_timer([&] { ++fired; });
    CHECK_FALSE(timer.armed());
    timer.arm_after(5ms);
    CHECK(timer.armed());
    REQUIRE(run_until(loop, [&] { return fired > 0; }));
    CHECK_FALSE(timer.armed());
    for (int i = 0; i < 3; ++i) {
        loop.run_once(20);
    }
    CHECK(fired == 1);
}

TEST_CASE("a timer can re-arm or destroy itself from its callback", "[unit][loop]")
{
    EventLoop loop;
    int fired = 0;
    std::optional<Timer> timer;
    timer = loop.add_timer([&] {
        if (++fired < 3) {
            timer->arm_after(1ms);
        } else {
            timer.reset();
        }
    });
    timer->arm_after(1ms);
    REQUIRE(run_until(loop, [&] { return fired == 3; }));
    CHECK_FALSE(timer.has_value());
    CHECK(loop.size() == 0);
}

TEST_CASE("a periodic timer fires repeatedly until disarmed", "[unit][loop]")
{
    EventLoop loop;
    int fired = 0;
    auto timer = loop.add_timer([&] { ++fired; });
    timer.arm_every(5ms);
    REQUIRE(run_until(loop, [&] { return fired >= 3; }));
    CHECK(timer.armed());

    timer.disarm();
    CHECK_FALSE(timer.armed());
    const int before = fired;
    loop.run_once(50);
    CHECK(fired == before);
    CHECK_THROWS_AS(timer.arm_every(0ms), std::invalid_argument);
}

TEST_CASE("a disarmed timer never fires", "[unit][loop]")
{
    EventLoop loop;
    int fired = 0;
    auto never_armed = loop.add_timer([&] { ++fired; });
    auto disarmed = loop.add_timer([&] { ++fired; });
    disarmed.arm_after(5ms);
    disarmed.disarm();
    CHECK(loop.size() == 2);
    loop.run_once(50);
    CHECK(fired == 0);

    // Expired but not yet dispatched, then disarmed: the expiry is dropped.
    disarmed.arm_after(1ms);
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    while (disarmed.armed() && std::chrono::steady_clock::now() < deadline) {
    }
    REQUIRE_FALSE(disarmed.armed());
    disarmed.disarm();
    loop.run_once(50);
    CHECK(fired == 0);
}

TEST_CASE("run_once refuses to run from a callback", "[unit][loop]")
{
    EventLoop loop;
    EventFd bell;
    bell.signal();
    auto watch = loop.watch_fd(bell.fd(), POLLIN, [&](short) { loop.run_once(0); });
    CHECK_THROWS_AS(loop.run_once(0), std::logic_error);
    watch.reset();
    loop.run_once(0); // the loop is usable again
}
