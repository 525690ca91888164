#include "events/event_hub.hpp"

#include <catch2/catch.hpp>

#include <poll.h>

namespace {
bool readable(int fd)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}
} // namespace

TEST_CASE("a producer rings the bell only when the consumer announced sleep", "[unit][hub]")
{
    nswatch::EventHub hub;
    hub.notify();
    CHECK_FALSE(readable(hub.fd())); // consumer awake: no syscall, no wake-up

    hub.prepare_sleep();
    hub.notify();
    CHECK(readable(hub.fd()));
    hub.woke();
    CHECK_FALSE(readable(hub.fd()));

    hub.prepare_sleep();
    hub.notify();
    hub.notify(); // a second producer finds the consumer already woken
    hub.woke();
    CHECK_FALSE(readable(hub.fd()));
}
