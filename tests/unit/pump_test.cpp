// The EventPump driven by hand: messages pushed into a worker's ring as a
// worker would, a fake publisher standing for D-Bus and a fake observer for
// metrics and health (pump_fakes.hpp). No threads, no root.
#include "daemon/event_pump.hpp"
#include "events/namespace_state.hpp"
#include "netlink/worker_outbox.hpp"
#include "pump_fakes.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>

using namespace nswatch;
using test::make_link;

namespace {

struct Rig {
    explicit Rig(std::size_t max_batch = 256, std::size_t capacity = 4096) : pump(publisher, max_batch)
    {
        pump.add_observer(observer);
        ns.status.identity = NamespaceIdentity{"blue", SourceKind::Named, "/run/netns/blue", 4026532001};
        ns.object_path = "/org/nswatch1/netns/blue";
        ns.channel = std::make_shared<WorkerChannel>(capacity, ns.status.identity.path);
    }

    void push(WorkerMessage message) { REQUIRE(ns.channel->ring.try_push(message)); }
    void snapshot(std::initializer_list<int> ifindexes, ResyncReason reason, std::uint32_t mtu = 1500)
    {
        auto state = std::make_shared<NamespaceState>();
        for (int ifindex : ifindexes) {
            state->upsert(make_link(ifindex, "veth" + std::to_string(ifindex), mtu), 1);
        }
        push(StateSnapshot{std::move(state), reason});
    }
    void event(int ifindex) { push(ObjectEvent{Change::Added, realtime_usec(), make_link(ifindex, "e")}); }
    void status(bool healthy, std::string error = {}) { push(WorkerStatus{healthy, std::move(error)}); }
    bool drain() { return pump.drain(ns); }

    test::Journal journal;
    test::FakePublisher publisher{journal};
    test::FakeObserver observer{journal};
    EventPump pump;
    PumpEntry ns;
};

std::vector<std::uint64_t> flat(const std::vector<std::vector<std::uint64_t>>& signals)
{
    std::vector<std::uint64_t> out;
    for (const auto& signal : signals) {
        out.insert(out.end(), signal.begin(), signal.end());
    }
    return out;
}

std::vector<std::uint64_t> one_to(std::uint64_t last)
{
    std::vector<std::uint64_t> out(last);
    std::iota(out.begin(), out.end(), 1);
    return out;
}

} // namespace

TEST_CASE("the initial snapshot exports the namespace at seq 0 and answers waiting Watch calls", "[unit][pump]")
{
    Rig rig;
    std::vector<std::string> watched;
    rig.ns.on_export.emplace_back([&](const std::variant<WatchResult, ControlError>& result) {
        watched.push_back(std::get<WatchResult>(result).object_path);
    });
    rig.snapshot({1, 2}, ResyncReason::Initial);
    CHECK_FALSE(rig.drain());

    CHECK(rig.journal.exported == std::vector<std::string>{"blue"});
    CHECK(rig.journal.exported_in_state == std::vector{MonitorState::Monitoring});
    CHECK(rig.journal.signals.empty()); // the snapshot is GetState's, not events
    CHECK(rig.journal.resynced.empty());
    CHECK(rig.ns.mirror.seq() == 0);
    CHECK(rig.ns.mirror.state().size() == 2);
    CHECK(rig.pump.exported() == 1);
    CHECK(watched == std::vector<std::string>{"/org/nswatch1/netns/blue"});
    CHECK(rig.journal.observed_exported == std::vector<std::string>{"blue"});
    CHECK(rig.journal.observed_states == std::vector{std::pair{MonitorState::Starting, MonitorState::Monitoring}});
}

TEST_CASE("events get consecutive seqs and go out in signals of at most max_batch", "[unit][pump]")
{
    Rig rig(4);
    rig.snapshot({1}, ResyncReason::Initial);
    const std::uint64_t before = realtime_usec();
    for (int i = 0; i < 10; ++i) {
        rig.event(10 + i);
    }
    CHECK_FALSE(rig.drain());

    REQUIRE(rig.journal.signals.size() == 3);
    CHECK(rig.journal.signals[0].size() == 4);
    CHECK(rig.journal.signals[1].size() == 4);
    CHECK(rig.journal.signals[2].size() == 2);
    CHECK(flat(rig.journal.signals) == one_to(10));
    CHECK(rig.ns.mirror.seq() == 10);
    CHECK(rig.pump.events_published() == 10);
    // One observer call per signal, with the same events and a realtime "now".
    CHECK(rig.journal.observed_signals == rig.journal.signals);
    CHECK(std::all_of(rig.journal.observed_now.begin(), rig.journal.observed_now.end(),
                      [&](std::uint64_t now) { return now >= before; }));
}

TEST_CASE("a resync snapshot emits the difference as events, then Resynced with its reason", "[unit][pump]")
{
    Rig rig;
    rig.snapshot({1, 2}, ResyncReason::Initial);
    rig.event(3); // seq 1
    rig.drain();
    // The kernel now holds 2 (another MTU) and 4: 1 and 3 went, 2 changed, 4 came.
    rig.snapshot({2, 4}, ResyncReason::Overrun, 9000);
    CHECK_FALSE(rig.drain());

    CHECK(flat(rig.journal.signals) == one_to(5));
    REQUIRE(rig.journal.resynced.size() == 1);
    CHECK(rig.journal.resynced[0] == std::pair{ResyncReason::Overrun, std::uint64_t{5}}); // Seq covers the difference
    CHECK(rig.journal.calls.back() == "obs:resynced");
    const auto resync = std::find(rig.journal.calls.begin(), rig.journal.calls.end(), "pub:resynced");
    CHECK(std::find(resync, rig.journal.calls.end(), "pub:events") == rig.journal.calls.end()); // events first
    CHECK(rig.ns.mirror.state().size() == 2);
    CHECK(rig.pump.resyncs() == 1);
    CHECK(rig.journal.observed_resyncs == std::vector{ResyncReason::Overrun});
}

TEST_CASE("a namespace whose worker fails first is shown failed, and its first snapshot repairs as a restart",
          "[unit][pump]")
{
    Rig rig;
    rig.status(false, "cannot open /run/netns/blue; retrying in 100 ms");
    rig.drain();
    CHECK(rig.journal.exported_in_state == std::vector{MonitorState::Failed}); // never hidden
    CHECK(rig.ns.status.state_reason == "cannot open /run/netns/blue; retrying in 100 ms");
    CHECK(rig.journal.observed_failures.size() == 1);

    rig.snapshot({1, 2}, ResyncReason::Initial); // the worker's first dump, after the failure
    rig.drain();
    CHECK(flat(rig.journal.signals) == one_to(2)); // clients saw nothing: both links are events
    REQUIRE(rig.journal.resynced.size() == 1);
    CHECK(rig.journal.resynced[0].first == ResyncReason::Restart);
    CHECK(rig.journal.state_signals == std::vector{std::pair{MonitorState::Monitoring, std::string{}}});
    CHECK(rig.journal.observed_resyncs == std::vector{ResyncReason::Restart});
}

TEST_CASE("a worker failure shows the namespace failed until its restart resyncs it", "[unit][pump]")
{
    Rig rig;
    rig.snapshot({1}, ResyncReason::Initial);
    rig.drain();
    rig.status(false, "netlink failed: ENOBUFS; retrying in 100 ms");
    rig.drain();
    rig.status(false, "netlink failed: ENOBUFS; retrying in 200 ms"); // the backoff grew
    rig.drain();
    CHECK(rig.ns.status.state == MonitorState::Failed);
    CHECK(rig.journal.state_signals.size() == 2);     // StateReason changed: clients see the backoff
    CHECK(rig.journal.observed_failures.size() == 2); // each failed attempt
    rig.snapshot({1}, ResyncReason::Restart);
    rig.drain();

    CHECK(rig.ns.status.state == MonitorState::Monitoring);
    CHECK(rig.journal.state_signals.back() == std::pair{MonitorState::Monitoring, std::string{}});
    CHECK(rig.journal.resynced.at(0).first == ResyncReason::Restart);
    CHECK(rig.journal.observed_states == std::vector{std::pair{MonitorState::Starting, MonitorState::Monitoring},
                                                     std::pair{MonitorState::Monitoring, MonitorState::Failed},
                                                     std::pair{MonitorState::Failed, MonitorState::Monitoring}});
}

TEST_CASE("a worker that cannot start is shown failed and counted as a failure", "[unit][pump]")
{
    Rig rig;
    rig.pump.start_failed(rig.ns, "the daemon's file descriptor limit (RLIMIT_NOFILE) is exhausted");
    CHECK(rig.journal.exported_in_state == std::vector{MonitorState::Failed});
    CHECK(rig.journal.observed_failures ==
          std::vector<std::string>{"the daemon's file descriptor limit (RLIMIT_NOFILE) is exhausted"});
}

TEST_CASE("a busy ring is drained a budget at a time and reports that more waits", "[unit][pump]")
{
    Rig rig(2); // budget: 8 messages per drain
    REQUIRE(rig.pump.budget() == 8);
    rig.snapshot({1}, ResyncReason::Initial);
    for (int i = 0; i < 20; ++i) {
        rig.event(10 + i);
    }
    CHECK(rig.drain()); // snapshot + 7 events
    CHECK(rig.pump.events_published() == 7);
    CHECK_FALSE(rig.ns.channel->ring.empty());
    CHECK(rig.drain()); // 8 more
    CHECK(rig.pump.events_published() == 15);
    CHECK_FALSE(rig.drain()); // the last 5
    CHECK(rig.ns.channel->ring.empty());
    CHECK(flat(rig.journal.signals) == one_to(20));
}

TEST_CASE("removal withdraws the object before NamespaceRemoved; waiting Watch calls fail", "[unit][pump]")
{
    Rig rig;
    rig.snapshot({1}, ResyncReason::Initial);
    rig.drain();
    rig.pump.remove(rig.ns);
    CHECK(rig.journal.removed == std::vector<std::string>{"blue"});
    const auto withdraw = std::find(rig.journal.calls.begin(), rig.journal.calls.end(), "pub:withdraw");
    CHECK(std::find(withdraw, rig.journal.calls.end(), "pub:removed") != rig.journal.calls.end());
    CHECK(rig.pump.exported() == 0);
    CHECK(rig.journal.observed_removed == std::vector<std::string>{"blue"});

    Rig never; // goes before its worker reported: no object, no NamespaceRemoved
    std::string error;
    never.ns.on_export.emplace_back(
        [&](const std::variant<WatchResult, ControlError>& result) { error = std::get<ControlError>(result).message; });
    never.pump.remove(never.ns);
    CHECK(error == "network namespace blue went away before it was monitored");
    CHECK(never.journal.removed.empty());
    CHECK(never.journal.observed_removed == std::vector<std::string>{"blue"});
}

TEST_CASE("observers are told exactly what was published", "[unit][pump]")
{
    Rig rig(3);
    rig.snapshot({1}, ResyncReason::Initial);
    for (int i = 0; i < 7; ++i) {
        rig.event(10 + i);
    }
    rig.drain();
    rig.snapshot({1, 2}, ResyncReason::QueueFull);
    rig.status(false, "boom");
    rig.snapshot({2}, ResyncReason::Restart);
    rig.drain();
    rig.pump.remove(rig.ns);

    CHECK(rig.journal.observed_signals == rig.journal.signals);
    std::vector<ResyncReason> published;
    for (const auto& [reason, seq] : rig.journal.resynced) {
        published.push_back(reason);
    }
    CHECK(published == std::vector{ResyncReason::QueueFull, ResyncReason::Restart});
    CHECK(rig.journal.observed_resyncs == published);
    CHECK(rig.journal.observed_exported == rig.journal.exported);
    CHECK(rig.journal.observed_removed == rig.journal.removed);
    // Each observer call follows the publisher call it reports.
    for (std::size_t i = 0; i < rig.journal.calls.size(); ++i) {
        if (rig.journal.calls[i] == "obs:events") {
            CHECK(rig.journal.calls.at(i - 1) == "pub:events");
        }
    }
    const auto observer_samples = rig.observer.samples.size();
    RegistrySample sample;
    sample.deepest_queue_name = "blue";
    rig.pump.sampled(sample);
    REQUIRE(rig.observer.samples.size() == observer_samples + 1);
    CHECK(rig.observer.samples.back().deepest_queue_name == "blue");
}

TEST_CASE("the outbox keeps the ring's high-water mark and counts netlink overruns", "[unit][outbox]")
{
    EventHub hub;
    WorkerChannel channel(8, "");
    {
        WorkerOutbox outbox(channel, hub);
        for (int i = 0; i < 5; ++i) {
            outbox.event(ObjectEvent{Change::Added, 0, make_link(i + 1, "e")});
        }
        CHECK(channel.queue_high_water.load() == 5);
        for (int i = 0; i < 4; ++i) {
            REQUIRE(channel.ring.try_pop());
        }
        outbox.event(ObjectEvent{Change::Added, 0, make_link(9, "e")}); // depth 2: the mark stays
        CHECK(channel.queue_high_water.load() == 5);
        CHECK(channel.ring.size() == 2);
        outbox.count_overrun();
        outbox.count_overrun();
    }
    WorkerOutbox restarted(channel, hub); // a restarted worker: same channel, the mark stays
    restarted.event(ObjectEvent{Change::Added, 0, make_link(10, "e")});
    CHECK(channel.queue_high_water.load() == 5);
    CHECK(channel.overruns.load() == 2);
}
