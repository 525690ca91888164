#include "netns/watch_path.hpp"

#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <limits>
#include <system_error>

namespace nswatch {

namespace {

constexpr std::size_t kShownHead = 96; // bytes of a long path shown before the cut
constexpr std::size_t kShownTail = 48; // and after it

bool is_control(char c)
{
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

bool is_continuation(char c)
{
    return (static_cast<unsigned char>(c) & 0xc0) == 0x80;
}

void append_escaped(std::string& out, std::string_view part)
{
    for (const char c : part) {
        if (is_control(c)) {
            char buf[5];
            std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out += c;
        }
    }
}

// The path as a message shows it: quoted, control characters escaped (a NUL
// or newline must not reach a log line), a long one cut in the middle at
// character boundaries. Widths count the escaped form, so the result stays
// short whatever the path holds.
std::string shown(std::string_view path)
{
    const auto width = [](char c) -> std::size_t { return is_control(c) ? 4 : 1; };
    std::size_t total = 0;
    for (const char c : path) {
        total += width(c);
    }
    std::string out = "'";
    if (total <= kShownHead + kShownTail + 3) {
        append_escaped(out, path);
        return out + "'";
    }
    std::size_t head = 0;
    for (std::size_t w = 0; head < path.size() && w + width(path[head]) <= kShownHead; ++head) {
        w += width(path[head]);
    }
    while (head > 0 && is_continuation(path[head])) {
        --head; // do not split a multi-byte character
    }
    std::size_t tail = path.size();
    for (std::size_t w = 0; tail > head && w + width(path[tail - 1]) <= kShownTail; --tail) {
        w += width(path[tail - 1]);
    }
    while (tail < path.size() && is_continuation(path[tail])) {
        ++tail;
    }
    append_escaped(out, path.substr(0, head));
    out += "…";
    append_escaped(out, path.substr(tail));
    return out + "'";
}

std::string errno_text(int err)
{
    return std::generic_category().message(err); // thread-safe, unlike strerror
}

// A decimal number as procfs spells one in a name: digits only, no leading
// zero ("/proc/0123" does not exist), at most INT_MAX.
std::optional<int> proc_number(std::string_view digits)
{
    if (digits.empty() || digits.size() > 10 || (digits.size() > 1 && digits.front() == '0')) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    if (value > std::numeric_limits<int>::max()) {
        return std::nullopt;
    }
    return static_cast<int>(value);
}

const char* file_kind(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR: return "a directory";
    case S_IFIFO: return "a FIFO";
    case S_IFCHR: return "a character device";
    case S_IFBLK: return "a block device";
    case S_IFREG: return "a regular file";
    case S_IFSOCK: return "a socket";
    default: return nullptr;
    }
}

std::string namespace_kind(int nstype)
{
    switch (nstype) {
    case CLONE_NEWNS: return "a mount";
    case CLONE_NEWUTS: return "a UTS";
    case CLONE_NEWIPC: return "an IPC";
    case CLONE_NEWPID: return "a PID";
    case CLONE_NEWUSER: return "a user";
    case CLONE_NEWCGROUP: return "a cgroup";
    case CLONE_NEWTIME: return "a time";
    default: return "a type " + std::to_string(nstype);
    }
}

// /proc/self and /proc/thread-self, with the /proc/PID spelling to use instead.
std::optional<std::string> self_reference(std::string_view path)
{
    for (const auto& [prefix, instead] : {std::pair<std::string_view, std::string_view>{"/proc/self", "/proc/PID"},
                                          {"/proc/thread-self", "/proc/PID/task/TID"}}) {
        if (path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/')) {
            return std::string(instead) + std::string(path.substr(prefix.size()));
        }
    }
    return std::nullopt;
}

std::string missing(const std::string& path)
{
    std::string message = shown(path) + " does not exist";
    // "/proc/<n>/": say whether the process itself is gone (procfs: cannot block).
    if (path.starts_with("/proc/")) {
        const auto rest = std::string_view(path).substr(6);
        const auto pid = proc_number(rest.substr(0, rest.find('/')));
        if (pid && ::access(("/proc/" + std::to_string(*pid)).c_str(), F_OK) != 0 && errno == ENOENT) {
            message += " (no process " + std::to_string(*pid) + " is running)";
        }
    }
    return message;
}

} // namespace

std::variant<WatchTarget, std::string> check_watch_path(const std::string& path)
{
    if (path.empty()) {
        return std::string("the path is empty");
    }
    if (path.size() > PATH_MAX) { // bytes; exactly PATH_MAX leaves no room for the NUL: the kernel says so
        return "the path is longer than " + std::to_string(PATH_MAX) + " characters: " + shown(path);
    }
    if (path.find('\0') != std::string::npos) {
        return "the path contains a NUL character: " + shown(path);
    }
    if (path.front() != '/') {
        return shown(path) + " is not an absolute path";
    }
    if (const auto instead = self_reference(path)) {
        return shown(path) + " would name nswatchd's own process, not yours: use " + shown(*instead) +
               " with the PID of the process whose network namespace is meant (nswatchd's own is "
               "monitored as 'default')";
    }

    // O_PATH: resolves the path (magic links included) without opening the
    // file, so nothing about the target can block.
    const UniqueFd handle(::open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!handle) {
        const int err = errno;
        return err == ENOENT ? missing(path) : "cannot open " + shown(path) + ": " + errno_text(err);
    }
    struct statfs fs {};
    if (::fstatfs(handle.get(), &fs) != 0) {
        const int err = errno;
        return "cannot examine " + shown(path) + ": " + errno_text(err);
    }
    if (fs.f_type != static_cast<decltype(fs.f_type)>(NSFS_MAGIC)) {
        std::string message = shown(path) + " is not a namespace file";
        struct stat st {};
        if (::fstat(handle.get(), &st) == 0) {
            if (const char* kind = file_kind(st.st_mode)) {
                message += std::string(": it is ") + kind;
            }
        }
        return message + " (use /proc/PID/ns/net or an nsfs bind mount such as /run/netns/NAME)";
    }

    // nsfs now: opening it cannot block. Reopen the very inode checked above
    // (not the path again, which may lead elsewhere by now); the ioctl needs
    // a real open file, O_PATH fds refuse ioctls.
    const std::string via = "/proc/self/fd/" + std::to_string(handle.get());
    const UniqueFd ns(::open(via.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
        const int err = errno;
        return "cannot open " + shown(path) + ": " + errno_text(err);
    }
    const int nstype = ::ioctl(ns.get(), NS_GET_NSTYPE);
    if (nstype < 0) {
        const int err = errno;
        return "cannot tell the namespace type of " + shown(path) + ": " + errno_text(err);
    }
    if (nstype != CLONE_NEWNET) {
        return shown(path) + " is " + namespace_kind(nstype) + " namespace, not a network namespace";
    }
    struct stat st {};
    if (::fstat(ns.get(), &st) != 0) {
        const int err = errno;
        return "cannot examine " + shown(path) + ": " + errno_text(err);
    }
    return WatchTarget{static_cast<std::uint64_t>(st.st_ino), proc_pid_of_path(path).value_or(0), path};
} // both fds close here: nothing stays pinned

std::optional<pid_t> proc_pid_of_path(std::string_view path)
{
    constexpr std::string_view kProc = "/proc/";
    if (!path.starts_with(kProc)) {
        return std::nullopt;
    }
    path.remove_prefix(kProc.size());
    const auto slash = path.find('/');
    const auto pid = proc_number(path.substr(0, slash));
    if (slash == std::string_view::npos || !pid || *pid == 0) {
        return std::nullopt;
    }
    std::string_view rest = path.substr(slash + 1);
    if (rest == "ns/net") {
        return *pid;
    }
    if (rest.starts_with("fd/") && proc_number(rest.substr(3))) {
        return *pid;
    }
    if (rest.starts_with("task/")) {
        rest.remove_prefix(5);
        const auto tid_end = rest.find('/');
        const auto tid = proc_number(rest.substr(0, tid_end));
        if (tid_end != std::string_view::npos && tid && *tid != 0 && rest.substr(tid_end + 1) == "ns/net") {
            return *pid;
        }
    }
    return std::nullopt;
}

} // namespace nswatch
