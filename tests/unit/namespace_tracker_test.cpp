#include "netlink/namespace_tracker.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;
using test::make_link;

namespace {
KernelUpdate present(const KernelObject& link)
{
    return KernelUpdate{false, link};
}
KernelUpdate gone(const KernelObject& link)
{
    return KernelUpdate{true, link};
}
} // namespace

TEST_CASE("during a dump nothing is handed out; the dump becomes the snapshot", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    CHECK(tracker.apply(present(make_link(1, "lo")), true, 1).events.empty());
    CHECK(tracker.apply(present(make_link(2, "a")), true, 1).events.empty());
    CHECK(tracker.dumps_completed() == 0);
    auto snapshot = tracker.end_dump();
    CHECK(snapshot->size() == 2);
    CHECK(tracker.dumps_completed() == 1);

    auto result = tracker.apply(present(make_link(2, "a", 1400)), false, 2);
    REQUIRE(result.events.size() == 1);
    CHECK(result.events[0].change == Change::Changed);
}

TEST_CASE("notifications read during a re-dump are part of its result", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    tracker.apply(present(make_link(1, "lo")), true, 0);
    tracker.apply(present(make_link(2, "a")), true, 0);
    tracker.end_dump();

    // Overrun: re-dump. Link 2 is deleted while the dump runs (its
    // notification arrives after the dump part that listed it), link 3 appears.
    tracker.begin_dump();
    tracker.apply(present(make_link(1, "lo")), true, 0);
    tracker.apply(present(make_link(2, "a")), true, 0);
    CHECK(tracker.apply(gone(make_link(2, "a")), false, 0).events.empty());
    CHECK(tracker.apply(present(make_link(3, "b")), false, 0).events.empty());
    auto state = tracker.end_dump();
    CHECK(state->size() == 2);
    CHECK(state->find(key_of(KernelObject(make_link(2, "a")))) == nullptr);
    CHECK(state->find(key_of(KernelObject(make_link(3, "b")))) != nullptr);
}

TEST_CASE("an aborted dump leaves the last complete view in place", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    tracker.apply(present(make_link(1, "lo")), true, 0);
    tracker.end_dump();
    tracker.begin_dump();
    tracker.abort_dump();
    CHECK_FALSE(tracker.dumping());
    CHECK(tracker.snapshot()->size() == 1);
    CHECK(tracker.dumps_completed() == 1);
}

namespace {
Qdisc qdisc(int ifindex, std::uint32_t handle, std::uint32_t parent, std::string kind)
{
    return Qdisc{ifindex, handle, parent, std::move(kind), {}};
}
} // namespace

TEST_CASE("a link going up, or a qdisc coming or going, asks to re-read that link's tc state", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    tracker.apply(present(make_link(2, "a")), true, 0);
    tracker.end_dump();

    auto up = tracker.apply(present(make_link(2, "a", 1500, 0x1)), false, 1); // IFF_UP
    CHECK(up.refresh.links == std::set<std::int32_t>{2});
    auto mtu = tracker.apply(present(make_link(2, "a", 1400, 0x1)), false, 2); // still up
    CHECK(mtu.refresh.empty());
    auto q = tracker.apply(present(qdisc(2, 0x10000, kTcRoot, "htb")), false, 3);
    CHECK(q.refresh.links == std::set<std::int32_t>{2});
    Filter f;
    f.ifindex = 2;
    f.parent = 0x10000;
    f.handle = 0x800800;
    auto filter = tracker.apply(present(f), false, 4);
    CHECK(filter.refresh.filter_parents == std::set<std::pair<std::int32_t, std::uint32_t>>{{2, 0x10000}});
    // A reply to our own dump never asks for more.
    CHECK(tracker.apply(present(qdisc(2, 0x20000, 0x10010, "tbf")), true, 5).refresh.empty());
}

TEST_CASE("a refresh turns the scope into what the kernel says, and leaves the rest alone", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    tracker.apply(present(make_link(2, "a")), true, 0);
    tracker.apply(present(make_link(3, "b")), true, 0);
    tracker.apply(present(qdisc(2, 0x10000, kTcRoot, "htb")), true, 0);
    tracker.apply(present(qdisc(3, 0x10000, kTcRoot, "htb")), true, 0);
    tracker.end_dump();

    RefreshScope scope;
    scope.links = {2};
    tracker.begin_refresh(scope);
    // The dump of the whole namespace's qdiscs: link 2's root was replaced
    // by a default qdisc without a notification; link 3 is out of scope.
    tracker.apply(present(qdisc(2, 0, kTcRoot, "noqueue")), true, 1);
    tracker.apply(present(qdisc(3, 0x10000, kTcRoot, "htb")), true, 1);
    auto events = tracker.end_refresh(2);
    REQUIRE(events.size() == 2);
    CHECK(events[0].change == Change::Removed);
    CHECK(std::get<Qdisc>(events[0].object).kind == "htb");
    CHECK(events[1].change == Change::Added);
    CHECK(std::get<Qdisc>(events[1].object).kind == "noqueue");
    CHECK(tracker.snapshot()->size() == 4);
}
