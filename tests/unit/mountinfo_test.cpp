#include "netns/mountinfo.hpp"
#include "netns/mount_naming.hpp"
#include "netns/nsfs.hpp"
#include "temp_dir.hpp"
#include "util/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <system_error>

using namespace nswatch;

namespace {

// Captured on the development VM (kernel 6.18): `ip netns add tmpx`, then
// `unshare --net=FILE true` on plain files (one twice: stacked), on a uts
// namespace, on names with a space, a tab, a backslash and a newline.
const std::string kHost = R"(22 27 0:21 / /proc rw,relatime - proc proc rw
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
42 27 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
43 42 0:4 net:[4026532177] /run/netns/tmpx rw shared:2 - nsfs nsfs rw
44 27 0:4 net:[4026532246] /tmp/nsw-probe rw - nsfs nsfs rw
45 27 0:4 uts:[4026532315] /tmp/nsw-probe-uts rw - nsfs nsfs rw
46 27 0:4 net:[4026532316] /tmp/a\040b/ns1 rw - nsfs nsfs rw
47 44 0:4 net:[4026532385] /tmp/nsw-probe rw - nsfs nsfs rw
48 27 0:4 net:[4026532454] /tmp/t\011x\134y\012z rw - nsfs nsfs rw
49 27 0:4 net:[4026532523] /run/docker/netns/1a2b3c4d5e6f rw - nsfs nsfs rw
)";

const std::vector<NsfsMount> kHostMounts{
    {"/run/netns/tmpx", 4026532177}, {"/tmp/a b/ns1", 4026532316},
    {"/tmp/nsw-probe", 4026532385}, // 47, stacked on 44
    {"/tmp/t\tx\\y\nz", 4026532454}, {"/run/docker/netns/1a2b3c4d5e6f", 4026532523},
};

// A slave mount namespace (`unshare -m --propagation slave`) with a bind
// mount on /tmp/tuck/f; then the host mounted a namespace there. The kernel
// tucked the propagated nsfs mount (83) *under* the bind mount (81 now has
// parent 83) and lists it last: the bind mount is what the path shows.
const std::string kTucked = R"(80 52 0:39 / /tmp/tuck rw,relatime master:3 - tmpfs none rw
81 83 254:0 /etc/hostname /tmp/tuck/f rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
83 80 0:4 net:[4026532593] /tmp/tuck/f rw master:4 - nsfs nsfs rw
)";

// A private mount namespace whose tmpfs on /tmp/nsw-hide covers an nsfs mount
// copied from the host (as a test harness's tmpfs on /run covers the host's
// /run/netns/*).
const std::string kCovered =
    R"(45 44 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
66 45 0:4 net:[4026532177] /tmp/nsw-hide/ns rw - nsfs nsfs rw
67 45 0:39 / /tmp/nsw-hide rw,relatime - tmpfs none rw
)";

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) {
        out.push_back(text.substr(start, nl - start));
    }
    return out;
}

} // namespace

TEST_CASE("network-namespace nsfs mounts are found in real mountinfo", "[unit][mountinfo]")
{
    CHECK(parse_nsfs_mounts(kHost) == kHostMounts);
    CHECK(
        parse_nsfs_mounts("36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n").empty());
    CHECK(parse_nsfs_mounts("").empty());
    CHECK(parse_nsfs_mounts("\n\n").empty());
}

TEST_CASE("the last line needs no newline and optional fields may be many", "[unit][mountinfo]")
{
    CHECK(parse_nsfs_mounts("43 42 0:4 net:[7] /n rw shared:2 master:1 propagate_from:1 unbindable - nsfs nsfs rw") ==
          std::vector<NsfsMount>{{"/n", 7}});
}

TEST_CASE("only the visible mount of a mount point counts", "[unit][mountinfo]")
{
    const auto lines = lines_of(kHost);
    SECTION("the stacked mount wins whatever the order") // 47 is on 44
    {
        CHECK(parse_nsfs_mounts(lines[7] + "\n" + lines[4]) == std::vector<NsfsMount>{{"/tmp/nsw-probe", 4026532385}});
    }
    SECTION("a mount tucked under another is hidden although listed last")
    {
        CHECK(parse_nsfs_mounts(kTucked).empty());
    }
    SECTION("a mount on a directory above hides the namespace")
    {
        CHECK(parse_nsfs_mounts(kCovered).empty());
        CHECK(parse_nsfs_mounts(lines_of(kCovered)[1]) == std::vector<NsfsMount>{{"/tmp/nsw-hide/ns", 4026532177}});
    }
    SECTION("without parent links, the last one listed wins")
    {
        CHECK(parse_nsfs_mounts("50 27 0:4 net:[1] /x rw - nsfs nsfs rw\n51 27 0:4 net:[2] /x rw - nsfs nsfs rw\n") ==
              std::vector<NsfsMount>{{"/x", 2}});
        CHECK(parse_nsfs_mounts("50 27 0:4 net:[1] /x rw - nsfs nsfs rw\n51 9 0:4 net:[2] /x rw - nsfs nsfs rw\n") ==
              std::vector<NsfsMount>{{"/x", 2}});
        CHECK(parse_nsfs_mounts("50 27 0:4 net:[1] /x rw - nsfs nsfs rw\n51 27 0:9 / /x rw - tmpfs  rw\n").empty());
    }
}

TEST_CASE("malformed lines are skipped", "[unit][mountinfo]")
{
    const std::string good = "9 1 0:4 net:[5] /ok rw - nsfs nsfs rw\n";
    for (const char* bad : {
             "43 42 0:4 net:[4026532177] /run/netns/tmpx",                          // too few fields
             "43 42 0:4 net:[4026532177] /run/netns/tmpx rw shared:2 nsfs nsfs rw", // no lone "-"
             "43 42 0:4 net:[4026532177] /run/netns/tmpx rw - nsfs nsfs",           // no super options
             "43 42 0:4 net:[1] /a\\04b rw - nsfs nsfs rw",                         // short escape
             "43 42 0:4 net:[1] /a\\ rw - nsfs nsfs rw",                            // lone backslash
             "43 42 0:4 net:[1] /a\\999 rw - nsfs nsfs rw",                         // not octal
             "43 42 0:4 net:[1] /a\\000 rw - nsfs nsfs rw",                         // NUL
             "43 42 0:4 net:[1] /a\\777 rw - nsfs nsfs rw",                         // above 0377
             "43 42 0:4 net:[] /a rw - nsfs nsfs rw",
             "43 42 0:4 net:[x1] /a rw - nsfs nsfs rw",
             "43 42 0:4 net:[12 /a rw - nsfs nsfs rw",
             "43 42 0:4 net:[-1] /a rw - nsfs nsfs rw",
             "43 42 0:4 net:[0] /a rw - nsfs nsfs rw",
             "43 42 0:4 net:[18446744073709551616] /a rw - nsfs nsfs rw", // 2^64
             "43 42 0:4 net:1 /a rw - nsfs nsfs rw",
             "43 42 0:4 net:[1] a/b rw - nsfs nsfs rw", // relative
             "43 42 0:4 net:[1] - rw - nsfs nsfs rw",
             "x 42 0:4 net:[1] /a rw - nsfs nsfs rw",
             "43 42 04 net:[1] /a rw - nsfs nsfs rw",
             "43  42 0:4 net:[1] /a rw - nsfs nsfs rw",
             " 43 42 0:4 net:[1] /a rw - nsfs nsfs rw",
         }) {
        INFO(bad);
        CHECK(parse_nsfs_mounts(bad).empty());
        CHECK(parse_nsfs_mounts(std::string(bad) + "\n" + good) == std::vector<NsfsMount>{{"/ok", 5}});
    }
    CHECK(parse_nsfs_mounts("43 42 0:4 net:[18446744073709551615] /a rw - nsfs nsfs rw") ==
          std::vector<NsfsMount>{{"/a", 18446744073709551615ULL}});
    CHECK(parse_nsfs_mounts("43 42 0:4 net:[1] /a\\101 rw - nsfs nsfs rw") == std::vector<NsfsMount>{{"/aA", 1}});
}

TEST_CASE("a line cut at any position yields nothing or the whole line's mount", "[unit][mountinfo]")
{
    std::set<std::pair<std::string, std::uint64_t>> known;
    for (const std::string& text : {kHost, kTucked, kCovered}) {
        for (const std::string& line : lines_of(text)) {
            const auto whole = parse_nsfs_mounts(line);
            for (const NsfsMount& m : whole) {
                known.emplace(m.mount_point, m.inode);
            }
            for (std::size_t cut = 0; cut <= line.size(); ++cut) {
                const auto part = parse_nsfs_mounts(std::string_view(line).substr(0, cut));
                INFO(line.substr(0, cut));
                CHECK((part.empty() || part == whole));
                if (cut < line.find(" - ") + 14) { // before " - nsfs nsfs r" ends
                    CHECK(part.empty());
                }
            }
        }
        for (std::size_t cut = 0; cut <= text.size(); ++cut) { // a torn read
            for (const NsfsMount& m : parse_nsfs_mounts(std::string_view(text).substr(0, cut))) {
                CHECK(known.count({m.mount_point, m.inode}) == 1);
            }
        }
    }
}

TEST_CASE("mangled mountinfo never yields a bogus mount", "[unit][mountinfo]")
{
    std::mt19937 random(12345); // fixed: a failure reproduces
    const std::string alphabet = "0123456789 -\\/:[]\nnetsfrw";
    for (int round = 0; round < 20000; ++round) {
        std::string text = kHost + kTucked + kCovered;
        for (int edits = 1 + static_cast<int>(random() % 8); edits > 0; --edits) {
            const std::size_t at = random() % text.size();
            const char c = alphabet[random() % alphabet.size()];
            switch (random() % 3) {
            case 0: text[at] = c; break;
            case 1: text.insert(at, 1, c); break;
            default: text.erase(at, 1 + random() % 20); break;
            }
        }
        std::set<std::string> points;
        for (const NsfsMount& m : parse_nsfs_mounts(text)) {
            REQUIRE(m.mount_point.starts_with('/'));
            REQUIRE(m.inode != 0);
            REQUIRE(points.insert(m.mount_point).second);
        }
    }
}

TEST_CASE("mount points name their namespaces by where they are", "[unit][mountinfo]")
{
    auto identity = [](std::string point, std::string_view dir = "/run/netns") {
        return identity_for_mount({std::move(point), 77}, dir);
    };
    CHECK(identity("/run/netns/X") == NamespaceIdentity{"X", SourceKind::Named, "/run/netns/X", 77});
    CHECK(identity("/run/netns/X", "/run/netns/").name == "X");
    CHECK(identity("/srv/ns/X", "/srv/ns").source == SourceKind::Named);
    CHECK(identity("/run/docker/netns/1a2b3c4d5e6f") ==
          NamespaceIdentity{"docker/1a2b3c4d5e6f", SourceKind::Docker, "/run/docker/netns/1a2b3c4d5e6f", 77});
    CHECK(identity("/tmp/a b/ns1") == NamespaceIdentity{"mount/tmp/a b/ns1", SourceKind::Mount, "/tmp/a b/ns1", 77});
    CHECK(identity("/run/netns/sub/X") ==
          NamespaceIdentity{"mount/run/netns/sub/X", SourceKind::Mount, "/run/netns/sub/X", 77});
    CHECK(identity("/run/netnsX").name == "mount/run/netnsX");
    CHECK(identity("/run/netns").name == "mount/run/netns");
    CHECK(identity("/run/docker/netns/a/b").name == "mount/run/docker/netns/a/b");
    CHECK(identity("/run/netns/X", "").name == "mount/run/netns/X");
}

TEST_CASE("file names that are not UTF-8 name namespaces with \\xNN escapes, one name each", "[unit][mountinfo]")
{
    auto name = [](std::string point) { return identity_for_mount({std::move(point), 77}, "/run/netns").name; };
    CHECK(name("/run/netns/gr\xc3\xbcn") == "gr\xc3\xbcn"); // valid UTF-8 stays
    CHECK(name("/run/netns/a\xff") == "a\\xff");
    CHECK(name("/run/netns/a\xfe") == "a\\xfe");     // not the same name as the one above
    CHECK(name("/run/netns/a\\xff") == "a\\x5cxff"); // nor as a literal backslash-x-f-f
    CHECK(name("/run/netns/a\\b") == "a\\x5cb");
    CHECK(name("/run/docker/netns/\xc0\x80") == "docker/\\xc0\\x80");      // overlong NUL: two bad bytes
    CHECK(name("/srv/\xed\xa0\x80/ns") == "mount/srv/\\xed\\xa0\\x80/ns"); // a UTF-16 surrogate
    CHECK(identity_for_mount({"/run/netns/a\xff", 77}, "/run/netns").path == "/run/netns/a\xff"); // opened as is
}

TEST_CASE("container ids come from Docker and CNI mount points", "[unit][mountinfo]")
{
    CHECK(container_from_mount_point("/run/docker/netns/1a2b3c4d5e6f") == "1a2b3c4d5e6f");
    CHECK(container_from_mount_point("/run/netns/cni-5f2a9c1e-0b6d-4e43-9f61-2b7c0d3e8a10") ==
          "cni-5f2a9c1e-0b6d-4e43-9f61-2b7c0d3e8a10");
    CHECK(container_from_mount_point("/run/user/1000/netns/cni-1234") == "cni-1234");
    CHECK(container_from_mount_point("/run/netns/X").empty());
    CHECK(container_from_mount_point("/run/docker/netns").empty());
    CHECK(container_from_mount_point("/tmp/cni-dir/ns").empty());
    CHECK(container_from_mount_point("").empty());
}

TEST_CASE("name prefixes of the sources", "[unit][mountinfo]")
{
    CHECK(name_prefix(SourceKind::Default).empty());
    CHECK(name_prefix(SourceKind::Named).empty());
    CHECK(name_prefix(SourceKind::Docker) == "docker");
    CHECK(name_prefix(SourceKind::Mount) == "mount");
    CHECK(name_prefix(SourceKind::Watch) == "watch");
    CHECK(name_prefix(SourceKind::Process) == "proc");
}

TEST_CASE("read_mountinfo reads a large file whole, each time from the start", "[unit][mountinfo]")
{
    test::TempDir tmp;
    std::string big;
    for (int i = 0; i < 12000; ++i) {
        big += std::to_string(100 + i) + " 27 0:4 net:[" + std::to_string(4026532000 + i) + "] /run/netns/n" +
               std::to_string(i) + " rw - nsfs nsfs rw\n";
    }
    std::ofstream(tmp.path() + "/mountinfo") << big;
    UniqueFd fd(::open((tmp.path() + "/mountinfo").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    CHECK(read_mountinfo(fd.get()) == big);
    CHECK(read_mountinfo(fd.get()) == big);
    CHECK(parse_nsfs_mounts(big).size() == 12000);

    UniqueFd proc(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
    REQUIRE(proc);
    const std::string text = read_mountinfo(proc.get());
    CHECK(text.find(" / / ") != std::string::npos);
    CHECK(text.ends_with('\n'));
    CHECK(read_mountinfo(proc.get()) == text);

    CHECK_THROWS_AS(read_mountinfo(-1), std::system_error);
}

TEST_CASE("a namespace bind-mounted on a file is found with its inode", "[unit][mountinfo][root]")
{
    if (::geteuid() != 0) {
        WARN("skipped: needs root to mount a namespace");
        return;
    }
    test::TempDir tmp;
    const std::string file = tmp.path() + "/held ns"; // the space comes back as \040
    std::ofstream(file).close();
    REQUIRE(std::system(("unshare --net='" + file + "' true").c_str()) == 0);
    struct Unmount {
        std::string path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{file};

    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0); // follows the mount: the nsfs inode, as `stat -L`
    UniqueFd fd(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
    REQUIRE(fd);
    const auto mounts = parse_nsfs_mounts(read_mountinfo(fd.get()));
    const NsfsMount expected{file, static_cast<std::uint64_t>(st.st_ino)};
    CHECK(std::count(mounts.begin(), mounts.end(), expected) == 1);
    CHECK(nsfs_inode(file) == expected.inode);

    REQUIRE(::umount2(file.c_str(), 0) == 0);
    const auto after = parse_nsfs_mounts(read_mountinfo(fd.get()));
    CHECK(std::count(after.begin(), after.end(), expected) == 0);
}
