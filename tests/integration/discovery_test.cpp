// Namespace discovery: /run/netns absent at start, appearing, vanishing,
// aliases, and the name being taken only after the initial export.
#include "fixture.hpp"

#include <set>

using namespace nswatch::test;

TEST_CASE("with no /run/netns at start, ip netns add is announced", "[integration][discovery]")
{
    DaemonFixture f;
    f.daemon.sh("test ! -e /run/netns");
    const auto ns = unique_name("nsa");
    f.cleanup.push_back(ns);

    f.daemon.sh("ip netns add " + ns);
    const auto path = f.wait_added(ns);
    CHECK(path == "/org/nswatch1/netns/" + ns);
    CHECK(f.caller.get_namespace(ns) == path);

    const auto inode = std::stoull(f.daemon.sh("stat -L -c %i /run/netns/" + ns));
    bool listed = false;
    for (const auto& row : f.caller.list_namespaces()) {
        if (row.name == ns) {
            listed = true;
            CHECK(row.path == path);
            CHECK(row.source == "named");
            CHECK(row.inode == inode);
        }
    }
    CHECK(listed);
    CHECK(f.caller.namespace_property(path, "Inode").get<std::uint64_t>() == inode);
    CHECK(f.caller.namespace_property(path, "Path").get<std::string>() == "/run/netns/" + ns);
    CHECK(f.caller.namespace_property(path, "State").get<std::string>() == "monitoring");
    CHECK(f.caller.manager_property("NamespaceCount").get<std::uint32_t>() == 2);
}

TEST_CASE("the host namespace is monitored as default", "[integration][discovery]")
{
    DaemonFixture f;
    const auto rows = f.caller.list_namespaces();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].name == "default");
    CHECK(rows[0].source == "default");
    CHECK(rows[0].path == "/org/nswatch1/netns/default");
    CHECK(rows[0].inode == std::stoull(run_shell("stat -L -c %i /proc/self/ns/net").output));
    auto [seq, objects] = f.caller.get_state(rows[0].path);
    CHECK(seq == 0);
    bool has_lo = false;
    for (const auto& o : objects) {
        has_lo = has_lo || (o.get<0>() == "link" && o.get<2>().at("name").get<std::string>() == "lo");
    }
    CHECK(has_lo);
}

TEST_CASE("deleting the namespace directory and creating it again keeps discovery working", "[integration][discovery]")
{
    DaemonFixture f;
    const auto first = unique_name("nsd");
    const auto second = unique_name("nsd");
    f.cleanup = {first, second};
    f.daemon.sh("ip netns add " + first);
    f.wait_added(first);
    f.daemon.sh("ip netns del " + first);
    f.wait_removed(first);
    // ip netns made /run/netns a mount point of its own: undo it, then remove it.
    f.daemon.sh("umount /run/netns; rmdir /run/netns; test ! -e /run/netns");
    f.daemon.sh("ip netns add " + second);
    f.wait_added(second);
}

TEST_CASE("one namespace reachable under two names is monitored once", "[integration][discovery]")
{
    DaemonFixture f;
    const auto a = unique_name("nsb");
    const auto alias = a + "z";
    const auto barrier = unique_name("nsb");
    f.cleanup = {a, barrier};
    f.daemon.sh("ip netns add " + a);
    f.wait_added(a);
    f.daemon.sh("touch /run/netns/" + alias + " && mount --bind /run/netns/" + a + " /run/netns/" + alias);
    // Rescans happen in order: once a later namespace is announced, the alias
    // has been seen too.
    f.daemon.sh("ip netns add " + barrier);
    f.wait_added(barrier);
    std::set<std::string> names;
    for (const auto& row : f.caller.list_namespaces()) {
        names.insert(row.name);
    }
    CHECK(names == std::set<std::string>{"default", a, barrier});

    // The name in use goes away: the alias takes over the same namespace.
    f.daemon.sh("ip netns del " + a);
    f.wait_removed(a);
    f.wait_added(alias);
    f.daemon.sh("umount /run/netns/" + alias + " && rm /run/netns/" + alias);
    f.wait_removed(alias);
}

TEST_CASE("namespaces present at start are exported before the name is taken", "[integration][discovery]")
{
    TempDirectory dir;
    std::vector<std::string> files;
    for (int i = 0; i < 3; ++i) {
        files.push_back(dir.path() + "/pre" + std::to_string(i));
        REQUIRE(run_shell("touch " + files.back() + " && unshare --net=" + files.back() + " true").status == 0);
    }
    {
        PrivateBus bus;
        DaemonProcess daemon(bus, {"--netns-dir=" + dir.path()});
        Caller caller(bus.address());
        // The very first call after READY sees every namespace.
        std::set<std::string> names;
        for (const auto& row : caller.list_namespaces()) {
            names.insert(row.name);
        }
        CHECK(names == std::set<std::string>{"default", "pre0", "pre1", "pre2"});
        CHECK(caller.manager_property("NamespaceCount").get<std::uint32_t>() == 4);
    }
    for (const auto& f : files) {
        run_shell("umount " + f);
    }
}

TEST_CASE("a file that is not a namespace is ignored", "[integration][discovery]")
{
    DaemonFixture f;
    const auto barrier = unique_name("nsf");
    f.cleanup.push_back(barrier);
    f.daemon.sh("mkdir -p /run/netns && echo text > /run/netns/notans && mkfifo /run/netns/fifo");
    f.daemon.sh("ip netns add " + barrier);
    f.wait_added(barrier);
    CHECK(f.caller.list_namespaces().size() == 2);
    CHECK(f.caller.manager_call_error("GetNamespace", "notans") == "org.nswatch1.Error.NoSuchNamespace");
}
