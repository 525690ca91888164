#include "netns/reconcile.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace nswatch;

namespace {
NamespaceIdentity named(const std::string& name, std::uint64_t inode)
{
    return NamespaceIdentity{name, "named", "/run/netns/" + name, inode};
}
const NamespaceIdentity kDefault{"default", "default", "/proc/self/ns/net", 1};

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
