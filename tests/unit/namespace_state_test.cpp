#include "events/namespace_state.hpp"
#include "events/namespace_mirror.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;
using test::make_link;

TEST_CASE("a new link is added, a changed one is changed, a repeated one is silent", "[unit][state]")
{
    NamespaceState state;
    auto added = state.upsert(make_link(5, "v0"), 100);
    REQUIRE(added);
    CHECK(added->change == Change::Added);
    CHECK(added->time_usec == 100);

    CHECK_FALSE(state.upsert(make_link(5, "v0"), 101)); // identical: no event

    auto changed = state.upsert(make_link(5, "v0", 1400), 102);
    REQUIRE(changed);
    CHECK(changed->change == Change::Changed);
    CHECK(std::get<Link>(changed->object).mtu == 1400);
    CHECK(event_type_name(*changed) == "link-changed");
}

TEST_CASE("a removal carries the last known attributes; an unknown removal is silent", "[unit][state]")
{
    NamespaceState state;
    state.upsert(make_link(5, "v0", 9000), 1);
    Link gone = make_link(5, "", 0); // a kernel DELLINK may carry less
    auto removed = state.erase(gone, 2);
    REQUIRE(removed.size() == 1);
    CHECK(removed[0].change == Change::Removed);
    CHECK(std::get<Link>(removed[0].object).mtu == 9000);
    CHECK(std::get<Link>(removed[0].object).name == "v0");
    CHECK(state.size() == 0);
    CHECK(state.erase(gone, 3).empty());
}

TEST_CASE("diff_to lists removals, then additions and changes", "[unit][state]")
{
    NamespaceState told;
    told.upsert(make_link(1, "lo"), 0);
    told.upsert(make_link(2, "a"), 0);
    told.upsert(make_link(3, "b"), 0);
    NamespaceState kernel;
    kernel.upsert(make_link(1, "lo"), 0);
    kernel.upsert(make_link(3, "b", 1400), 0);
    kernel.upsert(make_link(4, "c"), 0);

    auto events = told.diff_to(kernel, 7);
    REQUIRE(events.size() == 3);
    CHECK(events[0].change == Change::Removed);
    CHECK(object_ifindex(events[0].object) == 2);
    CHECK(events[1].change == Change::Changed);
    CHECK(object_ifindex(events[1].object) == 3);
    CHECK(events[2].change == Change::Added);
    CHECK(object_ifindex(events[2].object) == 4);

    for (const auto& e : events) {
        told.apply(e);
    }
    CHECK(told == kernel);
}

TEST_CASE("the mirror numbers events from 1 without gaps, resyncs included", "[unit][mirror]")
{
    NamespaceMirror mirror;
    NamespaceState initial;
    initial.upsert(make_link(1, "lo"), 0);
    mirror.reset(initial);
    CHECK(mirror.seq() == 0);
    CHECK(mirror.state().size() == 1);

    auto first = mirror.record(ObjectEvent{Change::Added, 1, make_link(2, "a")});
    CHECK(first.seq == 1);

    NamespaceState kernel;
    kernel.upsert(make_link(2, "a", 1280), 0);
    kernel.upsert(make_link(3, "b"), 0);
    auto resync = mirror.resync_to(kernel, 5);
    REQUIRE(resync.size() == 3); // lo removed, a changed, b added
    CHECK(resync[0].seq == 2);
    CHECK(resync[1].seq == 3);
    CHECK(resync[2].seq == 4);
    CHECK(mirror.seq() == 4);
    CHECK(mirror.state() == kernel);

    CHECK(mirror.resync_to(kernel, 6).empty()); // nothing differs: nothing emitted
    CHECK(mirror.seq() == 4);
}
