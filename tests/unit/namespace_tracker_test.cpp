#include "netlink/namespace_tracker.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;
using test::make_link;

namespace {
KernelUpdate present(const Link& link)
{
    return KernelUpdate{false, link};
}
KernelUpdate gone(const Link& link)
{
    return KernelUpdate{true, link};
}
} // namespace

TEST_CASE("during a dump nothing is handed out; the dump becomes the snapshot", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    CHECK_FALSE(tracker.apply(present(make_link(1, "lo")), 1));
    CHECK_FALSE(tracker.apply(present(make_link(2, "a")), 1));
    CHECK(tracker.dumps_completed() == 0);
    auto snapshot = tracker.end_dump();
    CHECK(snapshot->size() == 2);
    CHECK(tracker.dumps_completed() == 1);

    auto event = tracker.apply(present(make_link(2, "a", 1400)), 2);
    REQUIRE(event);
    CHECK(event->change == Change::Changed);
}

TEST_CASE("notifications read during a re-dump are part of its result", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    tracker.apply(present(make_link(1, "lo")), 0);
    tracker.apply(present(make_link(2, "a")), 0);
    tracker.end_dump();

    // Overrun: re-dump. Link 2 is deleted while the dump runs (its
    // notification arrives after the dump part that listed it), link 3 appears.
    tracker.begin_dump();
    tracker.apply(present(make_link(1, "lo")), 0);
    tracker.apply(present(make_link(2, "a")), 0);
    CHECK_FALSE(tracker.apply(gone(make_link(2, "a")), 0));
    CHECK_FALSE(tracker.apply(present(make_link(3, "b")), 0));
    auto state = tracker.end_dump();
    CHECK(state->size() == 2);
    CHECK(state->find(key_of(KernelObject(make_link(2, "a")))) == nullptr);
    CHECK(state->find(key_of(KernelObject(make_link(3, "b")))) != nullptr);
}

TEST_CASE("an aborted dump leaves the last complete view in place", "[unit][tracker]")
{
    NamespaceTracker tracker;
    tracker.begin_dump();
    tracker.apply(present(make_link(1, "lo")), 0);
    tracker.end_dump();
    tracker.begin_dump();
    tracker.abort_dump();
    CHECK_FALSE(tracker.dumping());
    CHECK(tracker.snapshot()->size() == 1);
    CHECK(tracker.dumps_completed() == 1);
}
