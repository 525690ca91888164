#include "netns/proc_info.hpp"
#include "temp_dir.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

using namespace nswatch;
namespace fs = std::filesystem;

namespace {

const std::string kId = "3f4e2a1b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f";

CgroupInfo cgroup(const std::string& text)
{
    return parse_cgroup(text);
}

// A fake /proc/PID/ns/net: a symbolic link whose text is `link`.
void fake_process(const std::string& root, const std::string& pid, const std::string& link)
{
    fs::create_directories(root + "/" + pid + "/ns");
    fs::create_symlink(link, root + "/" + pid + "/ns/net");
}

} // namespace

TEST_CASE("namespace links parse to their inode", "[unit][procinfo]")
{
    CHECK(parse_ns_link("net:[4026531992]") == std::optional<std::uint64_t>(4026531992));
    CHECK(parse_ns_link("net:[0]") == std::optional<std::uint64_t>(0));
    CHECK(parse_ns_link("net:[18446744073709551615]") == std::optional<std::uint64_t>(UINT64_MAX));
    CHECK(parse_ns_link("mnt:[4026531841]", "mnt") == std::optional<std::uint64_t>(4026531841));
}

TEST_CASE("anything but a namespace link of the right type is rejected", "[unit][procinfo]")
{
    for (const char* bad : {"",
                            "net",
                            "net:",
                            "net:[",
                            "net:[]",
                            "net:[12",
                            "net:12]",
                            "net[12]",
                            "mnt:[12]",
                            "netx:[12]",
                            "xnet:[12]",
                            "net :[12]",
                            "net:[12]x",
                            "net:[12]\n",
                            "net:[-1]",
                            "net:[+1]",
                            "net:[ 1]",
                            "net:[1a]",
                            "net:[0x1]",
                            "net:[[1]]",
                            "net:[1]]",
                            "net:[18446744073709551616]",
                            "net:[99999999999999999999999]",
                            "/proc/1/ns/net"}) {
        INFO(bad);
        CHECK_FALSE(parse_ns_link(bad));
    }
    CHECK_FALSE(parse_ns_link("net:[12]", "mnt"));
}

TEST_CASE("the innermost systemd unit of a cgroup path, slices excluded", "[unit][procinfo]")
{
    CHECK(cgroup("0::/system.slice/ssh.service\n") == CgroupInfo{"ssh.service", ""});
    CHECK(cgroup("0::/user.slice/user-0.slice/session-3.scope\n") == CgroupInfo{"session-3.scope", ""});
    CHECK(cgroup("0::/system.slice/foo.service/worker\n").unit == "foo.service"); // delegated subgroup
    CHECK(cgroup("0::/system.slice/systemd-nspawn@x.service/payload/system.slice/foo.service\n").unit == "foo.service");
    CHECK(cgroup("0::/system.slice/var-lib.mount\n").unit == "var-lib.mount");
    CHECK(cgroup("0::/system.slice/a:b.service\n").unit == "a:b.service"); // ':' in the path
    CHECK(cgroup("0::/system.slice\n") == CgroupInfo{});
    CHECK(cgroup("0::/init.scope\n").unit == "init.scope");
    CHECK(cgroup("0::/\n") == CgroupInfo{});
    CHECK(cgroup("0::/system.slice/.service\n").unit.empty());
}

TEST_CASE("the v2 line is preferred, then name=systemd", "[unit][procinfo]")
{
    CHECK(cgroup("1:name=systemd:/system.slice/old.service\n0::/system.slice/new.service\n").unit == "new.service");
    // Hybrid mode: the unified hierarchy may say only "/".
    CHECK(cgroup("12:pids:/system.slice/cron.service\n1:name=systemd:/system.slice/cron.service\n0::/\n").unit ==
          "cron.service");
    // v1 only; controller lines are not read for the unit.
    CHECK(cgroup("5:cpu,cpuacct:/system.slice/x.service\n1:name=systemd:/system.slice/y.service\n").unit ==
          "y.service");
    CHECK(cgroup("5:cpu,cpuacct:/system.slice/x.service\n").unit.empty());
}

TEST_CASE("container ids of Docker, Podman and Kubernetes are found", "[unit][procinfo]")
{
    CHECK(cgroup("0::/system.slice/docker-" + kId + ".scope\n") == CgroupInfo{"docker-" + kId + ".scope", kId});
    CHECK(cgroup("12:pids:/docker/" + kId + "\n11:memory:/docker/" + kId + "\n1:name=systemd:/docker/" + kId +
                 "\n0::/docker/" + kId + "\n") == CgroupInfo{"", kId});
    CHECK(cgroup("0::/machine.slice/libpod-" + kId + ".scope/container\n") ==
          CgroupInfo{"libpod-" + kId + ".scope", kId});
    CHECK(cgroup("0::/machine.slice/libpod-conmon-" + kId + ".scope\n").container == kId);
    CHECK(cgroup("0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" + kId + ".scope/container\n")
              .container == kId);
    CHECK(cgroup("0::/libpod_parent/libpod-" + kId + "\n").container == kId); // cgroupfs manager
    CHECK(cgroup("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1a2b_3c4d.slice/"
                 "cri-containerd-" +
                 kId + ".scope\n")
              .container == kId);
    CHECK(
        cgroup("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc.slice/crio-" + kId + ".scope\n")
            .container == kId);
    CHECK(cgroup("0::/kubepods/burstable/pod0f5c8e2a-1b2c-4d5e-8f90-123456789abc/" + kId + "\n").container == kId);
    // Only a v1 controller line names it.
    CHECK(cgroup("4:memory:/docker/" + kId + "\n0::/\n").container == kId);
}

TEST_CASE("things that only look like container ids are not", "[unit][procinfo]")
{
    const std::string upper = "3F4E2A1B9C8D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E2F";
    CHECK(cgroup("0::/system.slice/docker-abc123.scope\n") == CgroupInfo{"docker-abc123.scope", ""});
    CHECK(cgroup("0::/docker/" + kId.substr(1) + "\n").container.empty());
    CHECK(cgroup("0::/docker/" + upper + "\n").container.empty());
    CHECK(cgroup("0::/other/" + kId + "\n").container.empty()); // a bare id needs docker/ or kubepods
    CHECK(cgroup("0::/" + kId + "\n").container.empty());
    CHECK(cgroup("0::/system.slice/docker-" + kId + "x.scope\n").container.empty());
}

TEST_CASE("garbage cgroup text gives empty results and never crashes", "[unit][procinfo]")
{
    for (const char* text : {"", "\n\n", ":", "::", ":::", "0::", "0:", "garbage", "0::////", "0::/a//b.service",
                             "1:name=systemd", "0:\n:", "x:y:z:docker-"}) {
        INFO(text);
        CHECK(cgroup(text).container.empty());
    }
    const char with_nul[] = "0::/sys\0tem.slice/a.service";
    CHECK(cgroup(std::string(with_nul, sizeof with_nul - 1)).unit == "a.service");
    // Random bytes from an alphabet that makes near-misses likely.
    const std::string alphabet = ":/\n0123456789abcdef.-=kubepods-docker-libpod-scope";
    std::mt19937 rng(7);
    for (int round = 0; round < 20000; ++round) {
        std::string text = "0::/";
        for (auto n = static_cast<int>(rng() % 200); n > 0; --n) {
            text += alphabet[rng() % alphabet.size()];
        }
        const CgroupInfo info = parse_cgroup(text);
        CHECK((info.container.empty() || info.container.size() == 64));
    }
}

TEST_CASE("comm loses only the newline the kernel appends", "[unit][procinfo]")
{
    CHECK(trim_comm("bash\n") == "bash");
    CHECK(trim_comm("bash") == "bash");
    CHECK(trim_comm("kworker/0:1 x\n") == "kworker/0:1 x");
    CHECK(trim_comm("a\n\n") == "a\n");
    CHECK(trim_comm("") == "");
}

TEST_CASE("the own process's namespace inode matches the nsfs file", "[unit][procinfo]")
{
    struct stat st {};
    REQUIRE(::stat("/proc/self/ns/net", &st) == 0);
    CHECK(process_netns_inode(::getpid()) == std::optional<std::uint64_t>(st.st_ino));
    CHECK_FALSE(process_netns_inode(0x3fffffff)); // above any pid_max
}

TEST_CASE("a zombie has no namespace any more", "[unit][procinfo]")
{
    const pid_t child = ::fork();
    if (child == 0) {
        ::_exit(0);
    }
    siginfo_t info{};
    REQUIRE(::waitid(P_PID, static_cast<id_t>(child), &info, WEXITED | WNOWAIT) == 0); // exited, not reaped
    CHECK_FALSE(process_netns_inode(child));
    CHECK(read_holder_info(child).pid == child);
    ::waitpid(child, nullptr, 0);
}

TEST_CASE("holder info of the own process and of a missing one", "[unit][procinfo]")
{
    const HolderInfo self = read_holder_info(::getpid());
    CHECK(self.pid == ::getpid());
    std::string comm;
    std::getline(std::ifstream("/proc/self/comm"), comm);
    CHECK_FALSE(self.command.empty());
    CHECK(self.command == comm);
    CHECK(read_holder_info(0x3fffffff) == HolderInfo{0x3fffffff, "", "", ""});
}

TEST_CASE("scanning /proc finds the own namespace, and skips the given pid", "[unit][procinfo]")
{
    const auto own = process_netns_inode(::getpid());
    REQUIRE(own);
    const auto all = scan_process_namespaces("/proc", 0);
    REQUIRE(all.count(*own) == 1);
    CHECK(all.at(*own) > 0);
    CHECK(all.at(*own) <= ::getpid());
    for (const auto& [inode, pid] : scan_process_namespaces("/proc", ::getpid())) {
        CHECK(pid != ::getpid());
    }
}

TEST_CASE("scanning maps each namespace to its smallest pid", "[unit][procinfo]")
{
    test::TempDir tmp;
    const std::string& root = tmp.path();
    fake_process(root, "7", "net:[42]");
    fake_process(root, "1", "net:[42]");
    fake_process(root, "30", "net:[42]");
    fake_process(root, "5", "net:[9]");
    fake_process(root, "3", "mnt:[1]");    // not a net link
    fake_process(root, "0", "net:[66]");   // not a pid
    fake_process(root, "abc", "net:[77]"); // not numeric
    fake_process(root, "12x", "net:[78]");
    fake_process(root, "99999999999", "net:[79]"); // overflows pid_t
    fs::create_directories(root + "/8");           // exited mid-scan: no ns/
    fs::create_symlink("7", root + "/self");
    CHECK(scan_process_namespaces(root, 0) == std::map<std::uint64_t, pid_t>{{42, 1}, {9, 5}});
    CHECK(scan_process_namespaces(root, 1) == std::map<std::uint64_t, pid_t>{{42, 7}, {9, 5}});
    CHECK(scan_process_namespaces(root + "/missing", 0).empty());
}
