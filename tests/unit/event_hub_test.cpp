#include "events/event_hub.hpp"

#include <catch2/catch.hpp>

#include <poll.h>

#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

using nswatch::EventHub;
using nswatch::WorkerChannel;
using nswatch::WorkerMessage;
using nswatch::WorkerStatus;

namespace {
bool readable(int fd)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 1;
}

std::vector<WorkerChannel*> listed(EventHub& hub)
{
    std::vector<WorkerChannel*> out;
    for (WorkerChannel* c = hub.take_ready(); c != nullptr; c = c->ready_next) {
        out.push_back(c);
    }
    return out;
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

TEST_CASE("a ring with data is listed once until the consumer takes it and clears its mark", "[unit][hub]")
{
    EventHub hub;
    WorkerChannel a(16, "/run/netns/a");
    WorkerChannel b(16, "/run/netns/b");
    CHECK_FALSE(hub.has_ready());

    hub.prepare_sleep();
    hub.notify(a);
    CHECK(readable(hub.fd())); // listing rings the bell as notify() does
    hub.woke();
    hub.notify(a); // listed already: not twice
    hub.notify(b);
    CHECK(hub.has_ready());
    CHECK(listed(hub) == std::vector<WorkerChannel*>{&b, &a}); // most recent first
    CHECK_FALSE(hub.has_ready());

    hub.notify(a); // still marked: the consumer holds it, nothing is listed
    CHECK_FALSE(hub.has_ready());
    a.ready.store(false); // the consumer clears the mark before draining
    hub.notify(a);
    CHECK(listed(hub) == std::vector<WorkerChannel*>{&a});
}

// Producers push as WorkerOutbox does; the consumer sleeps on the bell as
// the bus loop does, and looks only at listed rings. Every message arrives:
// no listing and no wake-up is lost.
TEST_CASE("the consumer of the ready-list sees every message of many producers", "[unit][hub]")
{
    constexpr std::size_t kProducers = 8;
    constexpr std::size_t kMessages = 20'000;
    EventHub hub;
    std::vector<std::unique_ptr<WorkerChannel>> channels;
    for (std::size_t i = 0; i < kProducers; ++i) {
        channels.push_back(std::make_unique<WorkerChannel>(64, "/run/netns/p"));
    }
    std::vector<std::jthread> producers;
    producers.reserve(kProducers);
    for (auto& channel : channels) {
        producers.emplace_back([&hub, &ch = *channel] {
            for (std::size_t sent = 0; sent < kMessages;) {
                WorkerMessage message(WorkerStatus{true, {}});
                if (ch.ring.try_push(message)) {
                    hub.notify(ch);
                    ++sent;
                } else {
                    std::this_thread::yield(); // full: the consumer makes room
                }
            }
        });
    }
    std::size_t received = 0;
    for (;;) {
        for (WorkerChannel* c = hub.take_ready(); c != nullptr;) {
            WorkerChannel* next = c->ready_next; // read before the mark is cleared
            c->ready.store(false);
            while (!c->ring.empty()) { // seq_cst, as NamespaceRegistry::drain checks
                c->ring.try_pop();
                ++received;
            }
            c = next;
        }
        if (received == kProducers * kMessages) {
            break;
        }
        hub.prepare_sleep();
        if (!hub.has_ready()) {
            pollfd bell{hub.fd(), POLLIN, 0};
            REQUIRE(::poll(&bell, 1, 10'000) == 1); // a guard against a lost wake-up, not a timing
        }
        hub.woke();
    }
    CHECK(received == kProducers * kMessages);
}
