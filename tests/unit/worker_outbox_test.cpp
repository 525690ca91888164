#include "netlink/worker_outbox.hpp"
#include "events/namespace_state.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;
using test::make_link;

namespace {
ObjectEvent added(int ifindex)
{
    return ObjectEvent{Change::Added, 0, make_link(ifindex, "l" + std::to_string(ifindex))};
}
} // namespace

TEST_CASE("a full queue drops events, counts them and repairs with a queue-full snapshot", "[unit][outbox]")
{
    EventHub hub;
    WorkerChannel channel(2, "");
    WorkerOutbox outbox(channel, hub);
    outbox.event(added(1));
    outbox.event(added(2));
    outbox.event(added(3)); // full
    outbox.event(added(4)); // dropped too: ordering after a drop needs the repair
    CHECK(channel.dropped.load() == 2);
    CHECK(outbox.repair_owed());
    CHECK(channel.producer_waiting.load());

    NamespaceState kernel;
    for (int i = 1; i <= 4; ++i) {
        kernel.upsert(make_link(i, "l" + std::to_string(i)), 0);
    }
    auto make_snapshot = [&] { return std::make_shared<const NamespaceState>(kernel); };

    outbox.flush(make_snapshot); // still full: nothing moves
    CHECK(outbox.repair_owed());

    REQUIRE(channel.ring.try_pop());
    channel.after_pop(); // rings the worker's bell
    outbox.flush(make_snapshot);
    CHECK_FALSE(outbox.repair_owed());

    REQUIRE(channel.ring.try_pop()); // event 2
    auto repair = channel.ring.try_pop();
    REQUIRE(repair);
    const auto& snapshot = std::get<StateSnapshot>(*repair);
    CHECK(snapshot.reason == ResyncReason::QueueFull);
    CHECK(snapshot.state->size() == 4);
}

TEST_CASE("snapshots and status are never dropped and keep their order", "[unit][outbox]")
{
    EventHub hub;
    WorkerChannel channel(1, "");
    WorkerOutbox outbox(channel, hub);
    outbox.event(added(1));
    outbox.status(WorkerStatus{false, "boom"});
    outbox.snapshot(std::make_shared<const NamespaceState>(), ResyncReason::Restart);
    CHECK_FALSE(outbox.backlog_empty());

    CHECK(std::holds_alternative<ObjectEvent>(*channel.ring.try_pop()));
    outbox.flush(nullptr);
    CHECK(std::get<WorkerStatus>(*channel.ring.try_pop()).error == "boom");
    outbox.flush(nullptr);
    CHECK(std::get<StateSnapshot>(*channel.ring.try_pop()).reason == ResyncReason::Restart);
    CHECK(outbox.backlog_empty());
    CHECK(channel.dropped.load() == 0);
}

TEST_CASE("no repair snapshot is sent while no consistent view exists", "[unit][outbox]")
{
    EventHub hub;
    WorkerChannel channel(1, "");
    WorkerOutbox outbox(channel, hub);
    outbox.event(added(1));
    outbox.event(added(2)); // dropped: repair owed
    REQUIRE(channel.ring.try_pop());
    outbox.flush([] { return std::shared_ptr<const NamespaceState>(); }); // a dump runs
    CHECK(outbox.repair_owed());
    CHECK_FALSE(channel.ring.try_pop());
}
