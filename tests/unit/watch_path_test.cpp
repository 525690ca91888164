#include "netns/watch_path.hpp"
#include "temp_dir.hpp"
#include "util/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

using namespace nswatch;
namespace fs = std::filesystem;

namespace {

// The message for a rejected path; fails the test if the path was accepted.
std::string rejection(const std::string& path)
{
    auto result = check_watch_path(path);
    REQUIRE(std::holds_alternative<std::string>(result));
    return std::get<std::string>(result);
}

WatchTarget accepted(const std::string& path)
{
    auto result = check_watch_path(path);
    if (const auto* message = std::get_if<std::string>(&result)) {
        FAIL("rejected: " << *message);
    }
    return std::get<WatchTarget>(result);
}

std::uint64_t own_net_inode()
{
    struct stat st {};
    REQUIRE(::stat("/proc/self/ns/net", &st) == 0);
    return st.st_ino;
}

std::size_t open_fd_count()
{
    return static_cast<std::size_t>(std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator{}));
}

const std::string kPid = std::to_string(::getpid());

} // namespace

TEST_CASE("malformed strings are refused before the file system is asked", "[unit][watchpath]")
{
    CHECK_THAT(rejection(""), Catch::Contains("the path is empty"));
    CHECK_THAT(rejection("relative/path"),
               Catch::Contains("'relative/path'") && Catch::Contains("not an absolute path"));
    CHECK_THAT(rejection(std::string("/proc/1/ns/net\0x", 16)), Catch::Contains("NUL") && Catch::Contains("\\x00"));
}

TEST_CASE("an over-long path is refused with a short message", "[unit][watchpath]")
{
    const std::string huge = "/" + std::string(9999, 'a');
    const auto message = rejection(huge);
    CHECK_THAT(message, Catch::Contains("longer than 4096 characters"));
    CHECK(message.size() < 300);
    // Exactly PATH_MAX bytes leaves no room for the terminating NUL: the kernel refuses it.
    CHECK_THAT(rejection("/" + std::string(4095, 'b')), Catch::Contains("File name too long"));
}

TEST_CASE("a long path is shown cut at a character boundary, control characters escaped", "[unit][watchpath]")
{
    std::string path = "/tmp/line\nbreak/";
    for (int i = 0; i < 200; ++i) {
        path += "é"; // two bytes each: a cut at an odd offset would split one
    }
    const auto message = rejection(path);
    CHECK_THAT(message, Catch::Contains("\\x0a") && Catch::Contains("…") && Catch::Contains("does not exist"));
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.size() < 300);
    CHECK(message.find("é…é") != std::string::npos); // whole characters on both sides of the cut
}

TEST_CASE("/proc/self and /proc/thread-self are refused: they would name the daemon", "[unit][watchpath]")
{
    CHECK_THAT(rejection("/proc/self/ns/net"), Catch::Contains("/proc/PID/ns/net") && Catch::Contains("nswatchd"));
    CHECK_THAT(rejection("/proc/thread-self/ns/net"), Catch::Contains("/proc/PID/task/TID/ns/net"));
    CHECK_THAT(rejection("/proc/self"), Catch::Contains("/proc/PID"));
}

TEST_CASE("files that are not namespaces are refused, saying what they are", "[unit][watchpath]")
{
    test::TempDir tmp;
    CHECK_THAT(rejection("/etc/passwd"), Catch::Contains("is not a namespace file") && Catch::Contains("regular file"));
    CHECK_THAT(rejection("/dev/zero"), Catch::Contains("is not a namespace file") && Catch::Contains("device"));
    CHECK_THAT(rejection(tmp.path()), Catch::Contains(tmp.path()) && Catch::Contains("is a directory"));
    CHECK_THAT(rejection(tmp.path() + "/missing"), Catch::Contains("/missing' does not exist"));
    CHECK_THAT(rejection("/etc/passwd/x"), Catch::Contains("Not a directory"));
}

TEST_CASE("a FIFO is refused at once, never opened", "[unit][watchpath]")
{
    test::TempDir tmp;
    const std::string fifo = tmp.path() + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const auto started = std::chrono::steady_clock::now();
    CHECK_THAT(rejection(fifo), Catch::Contains("is not a namespace file") && Catch::Contains("FIFO"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(1));
}

TEST_CASE("namespaces of another type are refused by name", "[unit][watchpath]")
{
    CHECK_THAT(rejection("/proc/" + kPid + "/ns/mnt"),
               Catch::Contains("is a mount namespace, not a network namespace"));
    CHECK_THAT(rejection("/proc/" + kPid + "/ns/uts"), Catch::Contains("UTS namespace"));
    CHECK_THAT(rejection("/proc/" + kPid + "/ns/user"), Catch::Contains("user namespace"));
}

TEST_CASE("a process that is gone is named as such", "[unit][watchpath]")
{
    CHECK_THAT(rejection("/proc/2147483647/ns/net"),
               Catch::Contains("does not exist") && Catch::Contains("no process 2147483647 is running"));
}

TEST_CASE("a process's network namespace is accepted with its inode and pid", "[unit][watchpath]")
{
    const std::string path = "/proc/" + kPid + "/ns/net";
    const auto target = accepted(path);
    CHECK(target.inode == own_net_inode());
    CHECK(target.pid == ::getpid());
    CHECK(target.path == path);

    const auto thread = accepted("/proc/" + kPid + "/task/" + kPid + "/ns/net");
    CHECK(thread.inode == own_net_inode());
    CHECK(thread.pid == ::getpid());
}

TEST_CASE("a namespace fd held by a process is accepted through /proc/PID/fd/N", "[unit][watchpath]")
{
    const UniqueFd held(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
    REQUIRE(held);
    const auto target = accepted("/proc/" + kPid + "/fd/" + std::to_string(held.get()));
    CHECK(target.inode == own_net_inode());
    CHECK(target.pid == ::getpid());

    const UniqueFd uts(::open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC));
    REQUIRE(uts);
    CHECK_THAT(rejection("/proc/" + kPid + "/fd/" + std::to_string(uts.get())), Catch::Contains("UTS namespace"));
}

TEST_CASE("checking leaves no file descriptor open", "[unit][watchpath]")
{
    const auto before = open_fd_count();
    for (const char* path : {"/etc/passwd", "/dev/zero", "/proc/1/ns/absent"}) {
        (void)check_watch_path(path);
    }
    (void)check_watch_path("/proc/" + kPid + "/ns/net");
    (void)check_watch_path("/proc/" + kPid + "/ns/mnt");
    CHECK(open_fd_count() == before);
}

TEST_CASE("the pid of a /proc path is read only from canonical process paths", "[unit][watchpath]")
{
    CHECK(proc_pid_of_path("/proc/123/ns/net") == 123);
    CHECK(proc_pid_of_path("/proc/123/task/456/ns/net") == 123);
    CHECK(proc_pid_of_path("/proc/123/fd/7") == 123);
    CHECK(proc_pid_of_path("/proc/123/fd/0") == 123);
    CHECK(proc_pid_of_path("/proc/2147483647/ns/net") == 2147483647);

    CHECK_FALSE(proc_pid_of_path("/proc/self/ns/net"));
    CHECK_FALSE(proc_pid_of_path("/proc/thread-self/ns/net"));
    CHECK_FALSE(proc_pid_of_path("/run/netns/x"));
    CHECK_FALSE(proc_pid_of_path("/proc/123/root/run/netns/x")); // a mount, not the process's namespace
    CHECK_FALSE(proc_pid_of_path("//proc//123/ns/net"));
    CHECK_FALSE(proc_pid_of_path("proc/123/ns/net"));
    CHECK_FALSE(proc_pid_of_path("/proc/123"));
    CHECK_FALSE(proc_pid_of_path("/proc/123/"));
    CHECK_FALSE(proc_pid_of_path("/proc/123/ns/net/"));
    CHECK_FALSE(proc_pid_of_path("/proc/0123/ns/net")); // procfs has no such name
    CHECK_FALSE(proc_pid_of_path("/proc/0/ns/net"));
    CHECK_FALSE(proc_pid_of_path("/proc/2147483648/ns/net"));
    CHECK_FALSE(proc_pid_of_path("/proc/-1/ns/net"));
    CHECK_FALSE(proc_pid_of_path("/proc/123/fd/"));
    CHECK_FALSE(proc_pid_of_path("/proc/123/fd/x"));
    CHECK_FALSE(proc_pid_of_path("/proc/123/task//ns/net"));
    CHECK_FALSE(proc_pid_of_path(""));
}

TEST_CASE("a long /proc/self path is refused with a short message (found by fuzzing)", "[unit][watchpath]")
{
    // The suggestion part ("use /proc/PID/...") used to echo the rest of the
    // path whole: a 4,000-byte path came back as an 8 KiB error message.
    const auto checked = check_watch_path("/proc/self/" + std::string(4000, 'x'));
    REQUIRE(std::holds_alternative<std::string>(checked));
    const auto& why = std::get<std::string>(checked);
    CHECK_THAT(why, Catch::Contains("/proc/PID"));
    CHECK(why.size() < 600);
}
