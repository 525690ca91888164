#include "netns/reconcile.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace nswatch;

namespace {
NamespaceIdentity named(const std::string& name, std::uint64_t inode)
{
    return NamespaceIdentity{name, SourceKind::Named, "/run/netns/" + name, inode};
}
const NamespaceIdentity kDefault{"default", SourceKind::Default, "/proc/self/ns/net", 1};
NamespaceIdentity process(std::uint64_t inode, int pid)
{
    return NamespaceIdentity{"proc/" + std::to_string(inode), SourceKind::Process,
                             "/proc/" + std::to_string(pid) + "/ns/net", inode};
}

std::map<std::string, NamespaceIdentity> as_current(const std::vector<NamespaceIdentity>& ids)
{
    std::map<std::string, NamespaceIdentity> out;
    for (const auto& id : ids) {
        out[id.name] = id;
    }
    return out;
}
} // namespace

TEST_CASE("new namespaces are added and vanished ones removed", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, named("a", 10)}), {kDefault, named("b", 11)});
    CHECK(plan.remove == std::vector<std::string>{"a"});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].name == "b");
}

TEST_CASE("nothing changes when the sources see what is monitored", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, named("a", 10)}), {named("a", 10), kDefault});
    CHECK(plan.remove.empty());
    CHECK(plan.add.empty());
}

TEST_CASE("one kernel namespace under two names is monitored once, by the smallest name", "[unit][reconcile]")
{
    auto plan = reconcile({}, {kDefault, named("zeta", 10), named("alpha", 10)});
    REQUIRE(plan.add.size() == 2);
    CHECK(std::count_if(plan.add.begin(), plan.add.end(), [](auto& i) { return i.inode == 10; }) == 1);
    CHECK(std::any_of(plan.add.begin(), plan.add.end(), [](auto& i) { return i.name == "alpha"; }));
}

TEST_CASE("the host namespace keeps the name default even when /run/netns names it", "[unit][reconcile]")
{
    auto plan = reconcile({}, {named("host", 1), kDefault});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].name == "default");
}

TEST_CASE("a name in use stays while it exists, even if a smaller alias appears", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, named("zeta", 10)}), {kDefault, named("zeta", 10), named("alpha", 10)});
    CHECK(plan.remove.empty());
    CHECK(plan.add.empty());
}

TEST_CASE("when the name in use goes, its alias takes over the namespace", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, named("zeta", 10)}), {kDefault, named("alpha", 10)});
    CHECK(plan.remove == std::vector<std::string>{"zeta"});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].name == "alpha");
}

TEST_CASE("a name reused for another namespace is removed and added again", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, named("a", 10)}), {kDefault, named("a", 12)});
    CHECK(plan.remove == std::vector<std::string>{"a"});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].inode == 12);
}

TEST_CASE("a new holder process changes the path in place, never the name", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, process(10, 100)}), {kDefault, process(10, 200)});
    CHECK(plan.remove.empty());
    CHECK(plan.add.empty());
    REQUIRE(plan.update.size() == 1);
    CHECK(plan.update[0].path == "/proc/200/ns/net");
}

TEST_CASE("a /run/netns name wins over a process-held name, even one in use", "[unit][reconcile]")
{
    auto plan = reconcile(as_current({kDefault, process(10, 100)}), {kDefault, process(10, 100), named("x", 10)});
    CHECK(plan.remove == std::vector<std::string>{"proc/10"});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].name == "x");
}

TEST_CASE("a namespace named in /run/netns that processes entered is monitored once by its name", "[unit][reconcile]")
{
    auto plan = reconcile({}, {process(10, 100), kDefault, named("x", 10)});
    REQUIRE(plan.add.size() == 2);
    CHECK(std::none_of(plan.add.begin(), plan.add.end(), [](auto& i) { return i.source == SourceKind::Process; }));
}

TEST_CASE("mounts outrank Watch, and Watch outranks processes", "[unit][reconcile]")
{
    const NamespaceIdentity watched{"watch/10", SourceKind::Watch, "/proc/5/fd/3", 10};
    const NamespaceIdentity mounted{"mount/tmp/ns", SourceKind::Mount, "/tmp/ns", 10};
    auto plan = reconcile({}, {process(10, 100), watched});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].name == "watch/10");
    plan = reconcile(as_current({watched}), {process(10, 100), watched, mounted});
    CHECK(plan.remove == std::vector<std::string>{"watch/10"});
    REQUIRE(plan.add.size() == 1);
    CHECK(plan.add[0].name == "mount/tmp/ns");
}
