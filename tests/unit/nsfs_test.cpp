#include "netns/nsfs.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <sys/stat.h>
#include <sys/types.h>

using namespace nswatch;
namespace fs = std::filesystem;

TEST_CASE("files that are not nsfs mounts are not namespaces", "[unit][netns]")
{
    test::TempDir tmp;
    std::ofstream(tmp.path() + "/pending").close(); // what `ip netns add` creates before its bind mount
    fs::create_directory(tmp.path() + "/subdir");
    CHECK_FALSE(nsfs_inode(tmp.path() + "/pending"));
    CHECK_FALSE(nsfs_inode(tmp.path() + "/subdir"));
    CHECK_FALSE(nsfs_inode(tmp.path() + "/absent"));
}

TEST_CASE("the process's own namespace file opens as a network namespace", "[unit][netns]")
{
    auto host = open_net_namespace("/proc/self/ns/net");
    CHECK(host.fd.valid());
    CHECK(host.inode == *nsfs_inode("/proc/self/ns/net"));
}

TEST_CASE("opening a non-namespace path fails with a message naming the path", "[unit][netns]")
{
    test::TempDir tmp;
    const std::string file = tmp.path() + "/plain";
    std::ofstream(file) << "x";
    CHECK_THROWS_WITH(open_net_namespace(file), Catch::Contains("not a namespace file") && Catch::Contains(file));
    CHECK_THROWS_WITH(open_net_namespace(tmp.path() + "/missing"), Catch::Contains("No such file"));
    CHECK_THROWS_WITH(open_net_namespace("/proc/self/ns/uts"), Catch::Contains("not a network namespace"));
}

TEST_CASE("opening a FIFO does not block and is refused", "[unit][netns]")
{
    test::TempDir tmp;
    const std::string fifo = tmp.path() + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_THROWS_WITH(open_net_namespace(fifo), Catch::Contains("not a namespace file"));
}
