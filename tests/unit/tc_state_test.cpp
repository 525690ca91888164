// Removal cascades and scoped replacement of tc objects.
#include "events/namespace_state.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;

namespace {

Qdisc qdisc(std::uint32_t handle, std::uint32_t parent, std::string kind, int ifindex = 2)
{
    return Qdisc{ifindex, handle, parent, std::move(kind), {}};
}
TcClass tc_class(std::uint32_t handle, std::uint32_t parent, int ifindex = 2)
{
    return TcClass{ifindex, handle, parent, "htb", {}};
}
Filter filter(std::uint32_t parent, std::uint32_t handle, std::uint32_t priority = 5, int ifindex = 2)
{
    Filter f;
    f.ifindex = ifindex;
    f.parent = parent;
    f.handle = handle;
    f.priority = priority;
    f.protocol = 0x0800;
    f.kind = "u32";
    return f;
}

// link 2 with: htb 1: root → class 1:10 → tbf 20: under it; filters on 1:
// and 1:10; a clsact with an ingress filter; link 3 with its own htb.
NamespaceState tree()
{
    NamespaceState s;
    s.upsert(test::make_link(2, "a"), 0);
    s.upsert(test::make_link(3, "b"), 0);
    s.upsert(qdisc(0x10000, kTcRoot, "htb"), 0);
    s.upsert(tc_class(0x10010, kTcRoot), 0);
    s.upsert(qdisc(0x200000, 0x10010, "tbf"), 0);
    s.upsert(filter(0x10000, 0), 0);
    s.upsert(filter(0x10000, 0x800800), 0);
    s.upsert(filter(0x10010, 0x800800, 7), 0);
    s.upsert(qdisc(0xffff0000, 0xfffffff1, "clsact"), 0);
    s.upsert(filter(kTcIngressParent, 0x800800, 1), 0);
    s.upsert(qdisc(0x10000, kTcRoot, "htb", 3), 0);
    return s;
}

std::vector<std::string> types(const std::vector<ObjectEvent>& events)
{
    std::vector<std::string> out;
    out.reserve(events.size());
    for (const auto& e : events) {
        out.push_back(event_type_name(e));
    }
    return out;
}

} // namespace

TEST_CASE("deleting a link removes its tc objects first, then the link", "[unit][state]")
{
    auto s = tree();
    auto events = s.erase(test::make_link(2, ""), 1);
    REQUIRE(events.size() == 9);
    CHECK(event_type_name(events.back()) == "link-removed");
    CHECK(event_type_name(events.front()) == "filter-removed");
    CHECK(s.size() == 2); // link 3 and its qdisc stay
}

TEST_CASE("deleting a root qdisc removes its classes, filters and the qdiscs below it", "[unit][state]")
{
    auto s = tree();
    auto events = s.erase(qdisc(0x10000, kTcRoot, ""), 1);
    CHECK(types(events) == std::vector<std::string>{"filter-removed", "filter-removed", "filter-removed",
                                                    "class-removed", "qdisc-removed", "qdisc-removed"});
    // The clsact, its filter and the other link's htb stay.
    CHECK(s.size() == 5);
    CHECK(s.find(key_of(KernelObject(qdisc(0xffff0000, 0xfffffff1, "clsact")))) != nullptr);
}

TEST_CASE("deleting a class removes what hangs from it only", "[unit][state]")
{
    auto s = tree();
    auto events = s.erase(tc_class(0x10010, kTcRoot), 1);
    CHECK(types(events) == std::vector<std::string>{"filter-removed", "class-removed", "qdisc-removed"});
    CHECK(s.find(key_of(KernelObject(filter(0x10000, 0x800800)))) != nullptr);
}

TEST_CASE("deleting a filter protocol (handle 0) removes all its filters", "[unit][state]")
{
    auto s = tree();
    auto events = s.erase(filter(0x10000, 0), 1);
    CHECK(types(events) == std::vector<std::string>{"filter-removed", "filter-removed"});
    // A single filter handle removes only itself.
    CHECK(s.erase(filter(kTcIngressParent, 0x800800, 1), 2).size() == 1);
}

TEST_CASE("replacing a scope reports exactly what differs inside it", "[unit][state]")
{
    auto s = tree();
    RefreshScope scope;
    scope.filter_parents = {{2, 0x10000}};
    NamespaceState fresh;
    fresh.upsert(filter(0x10000, 0), 0);
    fresh.upsert(filter(0x10000, 0x800000), 0); // the hash table, never notified
    fresh.upsert(filter(0x10000, 0x800800), 0);
    auto events = s.replace_scope(scope, fresh, 3);
    REQUIRE(events.size() == 1);
    CHECK(event_type_name(events[0]) == "filter-added");
    CHECK(std::get<Filter>(events[0].object).handle == 0x800000);
}

TEST_CASE("tc objects are keyed by their contract identity", "[unit][state]")
{
    NamespaceState s;
    s.upsert(qdisc(0x10000, kTcRoot, "htb"), 0);
    // Same handle under another parent is another qdisc; same identity with
    // other parameters is a change.
    CHECK(s.upsert(qdisc(0x10000, 0x50005, "htb"), 1)->change == Change::Added);
    auto changed = qdisc(0x10000, kTcRoot, "htb");
    changed.params.default_class = 0x10;
    CHECK(s.upsert(changed, 2)->change == Change::Changed);
    auto f = filter(0x10000, 0x800800);
    s.upsert(f, 0);
    f.chain = 1;
    CHECK(s.upsert(f, 3)->change == Change::Added);
    f.protocol = 0x86dd;
    CHECK(s.upsert(f, 4)->change == Change::Added);
}
