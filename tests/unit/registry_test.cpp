// NamespaceRegistry with a fake publisher: one real worker, for a namespace
// path that does not exist, so it fails at once (no root, no netlink). The
// test waits for its report on the hub's eventfd, as the daemon's loop does.
#include "daemon/fd_limit.hpp"
#include "daemon/namespace_registry.hpp"
#include "pump_fakes.hpp"

#include <catch2/catch.hpp>

#include <poll.h>

#include <chrono>

using namespace nswatch;

namespace {

// Waits (on the hub's bell, never a sleep) until some ring holds a message.
void wait_for_message(NamespaceRegistry& registry, EventHub& hub)
{
    while (true) {
        hub.prepare_sleep();
        if (registry.has_pending()) {
            hub.woke();
            return;
        }
        pollfd bell{hub.fd(), POLLIN, 0};
        REQUIRE(::poll(&bell, 1, 10'000) == 1); // a guard against a hang, not a timing
        hub.woke();
    }
}

} // namespace

TEST_CASE("the registry shows a namespace it cannot open as failed, samples its levels and keeps removed counts",
          "[unit][registry]")
{
    EventHub hub;
    test::Journal journal;
    test::FakeObserver observer(journal);
    RegistryOptions options;
    options.queue_capacity = 16;
    options.worker.backoff_initial = std::chrono::hours(1); // one attempt during the test
    NamespaceRegistry registry(hub, options, [&journal](const ManagerBackend& /*backend*/) {
        return std::make_unique<test::FakePublisher>(journal);
    });
    registry.add_observer(observer);

    const NamespaceIdentity gone{"gone", SourceKind::Named, "/nonexistent/netns/gone", 4026532999};
    registry.apply(ReconcilePlan{{}, {gone}, {}});
    CHECK(registry.unreported() == 1);
    wait_for_message(registry, hub);
    CHECK_FALSE(registry.drain());

    CHECK(journal.exported_in_state == std::vector{MonitorState::Failed}); // shown failed, never hidden
    CHECK(journal.observed_failures.size() == 1);
    CHECK(registry.exported() == 1);
    REQUIRE(registry.list_namespaces().size() == 1);
    CHECK(registry.namespace_path("gone") == "/org/nswatch1/netns/gone");

    const RegistrySample sample = registry.sample();
    REQUIRE(sample.namespaces.size() == 1);
    CHECK(sample.namespaces[0].source == SourceKind::Named);
    CHECK(sample.namespaces[0].state == MonitorState::Failed);
    CHECK(sample.namespaces[0].count == 1);
    CHECK(sample.queue_capacity == 16);
    CHECK(sample.queue_depth == 0);
    CHECK(sample.deepest_queue_name.empty());
    CHECK(sample.queue_high_water == 1); // the status message
    CHECK(sample.fds_in_use == kFdsReserved + kFdsPerNamespace);
    CHECK(sample.fd_limit > 0);

    registry.sample_and_notify();
    REQUIRE(observer.samples.size() == 1);
    CHECK(observer.samples[0].namespaces.size() == 1);

    registry.apply(ReconcilePlan{{"gone"}, {}, {}});
    CHECK(journal.removed == std::vector<std::string>{"gone"});
    CHECK(journal.observed_removed == std::vector<std::string>{"gone"});
    const RegistrySample after = registry.sample();
    CHECK(after.namespaces.empty());
    CHECK(after.queue_high_water == 1); // totals since start include removed namespaces
    CHECK(after.fds_in_use == kFdsReserved);
    CHECK(registry.counters().events_dropped == 0);
}

TEST_CASE("a namespace removed while its ring waits to be drained is skipped, not published", "[unit][registry]")
{
    EventHub hub;
    test::Journal journal;
    RegistryOptions options;
    options.queue_capacity = 16;
    options.worker.backoff_initial = std::chrono::hours(1);
    NamespaceRegistry registry(hub, options, [&journal](const ManagerBackend& /*backend*/) {
        return std::make_unique<test::FakePublisher>(journal);
    });
    const NamespaceIdentity gone{"gone", SourceKind::Named, "/nonexistent/netns/gone", 4026532999};
    registry.apply(ReconcilePlan{{}, {gone}, {}});
    wait_for_message(registry, hub); // its failure report is listed for the bus thread

    registry.apply(ReconcilePlan{{"gone"}, {}, {}});
    CHECK_FALSE(registry.drain());
    CHECK_FALSE(registry.has_pending());
    CHECK(registry.exported() == 0);
    CHECK(journal.exported_in_state.empty()); // never shown: it went before its report was read
    CHECK(journal.removed.empty());           // no object, so no NamespaceRemoved

    // A namespace added afterwards is listed and drained as usual.
    const NamespaceIdentity other{"other", SourceKind::Named, "/nonexistent/netns/other", 4026532998};
    registry.apply(ReconcilePlan{{}, {other}, {}});
    wait_for_message(registry, hub);
    CHECK_FALSE(registry.drain());
    CHECK(registry.exported() == 1);
}
