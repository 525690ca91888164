// Every namespace on the host: held by processes only, bind-mounted anywhere,
// watched by path or fd; released when nothing but nswatchd holds it.
//
// These daemons run with every source on, so they also see other tests'
// namespaces: each test asserts only on namespaces it made itself.
#include "fixture.hpp"

#include <fstream>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

using namespace nswatch::test;

namespace {

const std::vector<std::string> kAllSources = {"--sources=named,mounts,processes"};

// `unshare --net sleep 600` in the background: a process alone in a new
// network namespace. Killed (and so released) at the end of the scope.
// `program`: a shell word naming the program to run as sleep, `comm` the
// command the kernel then shows for it.
class Holder {
public:
    explicit Holder(const std::string& program = "sleep", const std::string& comm = "sleep")
    {
        const auto out = run_shell("unshare --net " + program + " 600 >/dev/null 2>&1 & echo $!");
        pid_ = std::stoi(out.output);
        // unshare execs sleep once the namespace exists: wait for that.
        const auto deadline = Clock::now() + kTimeout;
        while (read_comm() != comm) {
            if (Clock::now() > deadline) {
                throw std::runtime_error("the holder process did not start");
            }
            std::this_thread::sleep_for(5ms);
        }
        struct stat st {};
        const auto path = "/proc/" + std::to_string(pid_) + "/ns/net";
        if (::stat(path.c_str(), &st) != 0) {
            throw std::runtime_error("cannot stat " + path);
        }
        inode_ = st.st_ino;
    }
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() { stop(); }
    void stop()
    {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            pid_ = -1;
        }
    }
    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] std::uint64_t inode() const { return inode_; }
    [[nodiscard]] std::string read_comm() const
    {
        std::ifstream in("/proc/" + std::to_string(pid_) + "/comm");
        std::string comm;
        std::getline(in, comm);
        return comm;
    }
    [[nodiscard]] std::string ns_path() const { return "/proc/" + std::to_string(pid_) + "/ns/net"; }

private:
    pid_t pid_ = -1;
    std::uint64_t inode_ = 0;
};

// Waits (bounded) until `command` succeeds.
bool eventually(const std::string& command)
{
    const auto deadline = Clock::now() + kTimeout;
    while (run_shell(command).status != 0) {
        if (Clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

bool listed(Caller& caller, const std::string& name)
{
    const auto rows = caller.list_namespaces();
    return std::any_of(rows.begin(), rows.end(), [&](const auto& row) { return row.name == name; });
}

} // namespace

TEST_CASE("a namespace only a process is in is announced, and released when the process exits",
          "[integration][sources]")
{
    DaemonFixture f(kAllSources);
    Holder holder;
    const auto name = "proc/" + std::to_string(holder.inode());
    const auto path = f.wait_added(name);
    CHECK(f.caller.namespace_property(path, "Source").get<std::string>() == "proc");
    CHECK(f.caller.namespace_property(path, "Inode").get<std::uint64_t>() == holder.inode());
    CHECK(f.caller.namespace_property(path, "HolderPid").get<std::uint32_t>() ==
          static_cast<std::uint32_t>(holder.pid()));
    CHECK(f.caller.namespace_property(path, "HolderCommand").get<std::string>() == "sleep");
    CHECK(f.caller.namespace_property(path, "Path").get<std::string>() == holder.ns_path());
    CHECK(f.caller.namespace_property(path, "Cookie").get<std::uint64_t>() != 0);

    // A veth pair with one end inside: its events arrive under the new name.
    const auto host_end = unique_name("vh");
    const auto inner_end = unique_name("vp");
    f.daemon.sh("ip link add " + host_end + " type veth peer name " + inner_end + " netns " +
                std::to_string(holder.pid()));
    f.wait_event(name, "link-added", inner_end);

    // The holder exits: nswatchd lets go, the namespace dies, and with it the
    // veth, whose host end vanishes too.
    holder.stop();
    f.wait_removed(name);
    CHECK_FALSE(listed(f.caller, name));
    CHECK(eventually("! ip link show " + host_end + " >/dev/null 2>&1"));
}

TEST_CASE("a process whose command is not UTF-8 cannot stop the daemon: its namespace is announced with U+FFFD",
          "[integration][sources]")
{
    // Any user can name an executable so (and hold a namespace with it):
    // D-Bus strings must be UTF-8, and a refused one must not end nswatchd.
    DaemonFixture f(kAllSources);
    const auto dir = "/tmp/nswatch-comm-" + unique_name("c");
    f.daemon.sh("mkdir -p " + dir + " && cp \"$(command -v sleep)\" " + dir + "/\"$(printf 'z\\377\\376')\"");
    Holder holder(dir + "/\"$(printf 'z\\377\\376')\"", "z\xff\xfe");
    const auto name = "proc/" + std::to_string(holder.inode());
    const auto path = f.wait_added(name);
    CHECK(f.caller.namespace_property(path, "HolderCommand").get<std::string>() == "z\xef\xbf\xbd\xef\xbf\xbd");
    holder.stop();
    f.wait_removed(name);
    f.daemon.sh("rm -rf " + dir);
}

TEST_CASE("a named namespace whose file name is not UTF-8 is named with \\xNN escapes, found and removed",
          "[integration][sources]")
{
    DaemonFixture f;
    const auto base = unique_name("u");
    const std::string shell_name = base + "\"$(printf '\\377')\"";
    f.daemon.sh("ip netns add " + shell_name);
    const auto name = base + "\\xff"; // names stay unique: not U+FFFD
    const auto path = f.wait_added(name);
    CHECK(f.caller.namespace_property(path, "Name").get<std::string>() == name);
    CHECK(f.caller.get_namespace(name) == path);
    CHECK(f.caller.namespace_property(path, "Path").get<std::string>().ends_with(base + "\xef\xbf\xbd"));
    f.daemon.sh("ip netns del " + shell_name);
    f.wait_removed(name);
}

TEST_CASE("a namespace bind-mounted outside /run/netns is announced and removed on umount", "[integration][sources]")
{
    DaemonFixture f(kAllSources);
    const auto id = unique_name("bm");
    const auto file = "/run/containers-test/" + id;
    f.daemon.sh("mkdir -p /run/containers-test && touch " + file + " && unshare --net=" + file + " true");
    const auto name = "mount" + file;
    const auto path = f.wait_added(name);
    CHECK(f.caller.namespace_property(path, "Source").get<std::string>() == "mount");
    CHECK(f.caller.namespace_property(path, "Path").get<std::string>() == file);
    CHECK(f.caller.namespace_property(path, "HolderPid").get<std::uint32_t>() == 0);
    f.daemon.sh("umount " + file);
    f.wait_removed(name);
}

TEST_CASE("Docker's namespaces are named docker/<id> and show the id as Container", "[integration][sources]")
{
    DaemonFixture f(kAllSources);
    const auto id = unique_name("dk");
    const auto file = "/run/docker/netns/" + id;
    f.daemon.sh("mkdir -p /run/docker/netns && touch " + file + " && unshare --net=" + file + " true");
    const auto path = f.wait_added("docker/" + id);
    CHECK(f.caller.namespace_property(path, "Source").get<std::string>() == "docker");
    CHECK(f.caller.namespace_property(path, "Container").get<std::string>() == id);
    f.daemon.sh("umount " + file + " && rm " + file);
    f.wait_removed("docker/" + id);
}

TEST_CASE("a /run/netns namespace that a process entered is monitored once, under its /run/netns name",
          "[integration][sources]")
{
    DaemonFixture f(kAllSources);
    const auto ns = f.add_namespace("nsp");
    const auto out = f.daemon.sh("ip netns exec " + ns.name + " sleep 600 >/dev/null 2>&1 & echo $!");
    const auto pid = std::stoul(out);
    // The holder shows up on the named namespace's object (first as "ip",
    // which entered the namespace, then as the program it executed)...
    const auto deadline = Clock::now() + kTimeout;
    while (f.caller.namespace_property(ns.path, "HolderPid").get<std::uint32_t>() != pid ||
           f.caller.namespace_property(ns.path, "HolderCommand").get<std::string>() != "sleep") {
        REQUIRE(Clock::now() < deadline);
        std::this_thread::sleep_for(10ms);
    }
    // ...and no second object appears for the same inode.
    const auto inode = f.caller.namespace_property(ns.path, "Inode").get<std::uint64_t>();
    for (const auto& row : f.caller.list_namespaces()) {
        CHECK((row.inode != inode || row.name == ns.name));
    }
    ::kill(static_cast<pid_t>(pid), SIGKILL);
    while (f.caller.namespace_property(ns.path, "HolderPid").get<std::uint32_t>() != 0) {
        REQUIRE(Clock::now() < deadline + kTimeout);
        std::this_thread::sleep_for(10ms);
    }
    CHECK(listed(f.caller, ns.name)); // the mount still holds it
}

TEST_CASE("Watch of a process's namespace adds it until the process exits", "[integration][sources][watch]")
{
    DaemonFixture f; // processes are not announced by this daemon: only Watch adds the namespace
    Holder holder;
    const auto [name, path] = f.caller.watch(holder.ns_path());
    CHECK(name == "watch/" + std::to_string(holder.inode()));
    CHECK(f.caller.namespace_property(path, "Source").get<std::string>() == "watch");
    CHECK(f.caller.namespace_property(path, "State").get<std::string>() == "monitoring");
    // Watching it again answers with the same name.
    CHECK(f.caller.watch(holder.ns_path()).first == name);
    CHECK(f.caller.watch("/proc/" + std::to_string(::getpid()) + "/ns/net").first == "default");
    holder.stop();
    f.wait_removed(name);
}

TEST_CASE("Watch through a file descriptor, then Unwatch", "[integration][sources][watch]")
{
    DaemonFixture f;
    Holder holder;
    const int fd = ::open(holder.ns_path().c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    holder.stop(); // from now on only this test's fd holds the namespace
    const auto [name, path] = f.caller.watch("/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd));
    CHECK(name == "watch/" + std::to_string(holder.inode()));
    // The daemon learns of the holder's exit from the kernel, asynchronously.
    const auto deadline = Clock::now() + kTimeout;
    while (f.caller.namespace_property(path, "HolderPid").get<std::uint32_t>() != 0) {
        REQUIRE(Clock::now() < deadline);
        std::this_thread::sleep_for(10ms);
    }
    CHECK(f.caller.manager_call_error("Unwatch", name).empty());
    f.wait_removed(name);
    const auto [error, message] = f.caller.manager_call_failure("Unwatch", name);
    CHECK(error == "org.nswatch1.Error.NoSuchNamespace");
    ::close(fd);
}

TEST_CASE("Watch refuses everything that is not a network namespace file, with the reason",
          "[integration][sources][watch]")
{
    DaemonFixture f;
    TempDirectory dir;
    const auto fifo = dir.path() + "/fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"", "empty"},
        {"relative/path", "not an absolute path"},
        {"/etc/passwd", "not a namespace file"},
        {"/dev/zero", "not a namespace file"},
        {fifo, "FIFO"},
        {dir.path(), "directory"},
        {dir.path() + "/missing", "does not exist"},
        {std::string(10'000, 'x'), "longer than 4096"},
        {"/" + std::string(9'999, 'y'), "longer than 4096"},
        {"/proc/self/ns/mnt", "/proc/PID"},
        {"/proc/" + std::to_string(::getpid()) + "/ns/mnt", "mount namespace, not a network namespace"},
    };
    for (const auto& [input, why] : cases) {
        INFO("Watch(\"" << input.substr(0, 80) << "\")");
        const auto [error, message] = f.caller.manager_call_failure("Watch", input);
        CHECK(error == "org.freedesktop.DBus.Error.InvalidArgs");
        CHECK_THAT(message, Catch::Contains(why));
        CHECK(message.size() < 400);
    }
    const auto [error, message] = f.caller.manager_call_failure("Unwatch", "default");
    CHECK(error == "org.freedesktop.DBus.Error.InvalidArgs");
    CHECK_THAT(message, Catch::Contains("not added by Watch"));
    CHECK(listed(f.caller, "default")); // still serving
}
