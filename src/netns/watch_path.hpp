#pragma once
// Validation of a Watch(path) argument: which network namespace a path leads
// to, or why it leads to none. Domain code without D-Bus types: the bus layer
// maps the message to org.freedesktop.DBus.Error.InvalidArgs.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace nswatch {

struct WatchTarget {
    std::uint64_t inode = 0; // nsfs inode of the network namespace
    pid_t pid = 0;           // the process the path belongs to, for /proc/PID/ns/net,
                             // /proc/PID/task/TID/ns/net and /proc/PID/fd/N (see
                             // proc_pid_of_path); 0 otherwise, e.g. a bind mount
    std::string path;        // the path as given (used later to reopen it)
};

// The network namespace behind `path`, or a message a person can act on. The
// message names the path: quoted, control characters escaped, cut in the
// middle when very long (at a UTF-8 character boundary, so a path that came
// as a D-Bus string stays valid UTF-8 in the error).
//
// Checks, in order: empty, over PATH_MAX, NUL, not absolute, /proc/self or
// /proc/thread-self (see below), then the file: resolved with O_PATH (magic
// links such as /proc/PID/ns/net and /proc/PID/fd/N are followed, the target
// itself is never opened, so a FIFO or device cannot block), required to be
// nsfs, only then opened read-only and asked its namespace type.
//
// /proc/self/... and /proc/thread-self/... are rejected: the daemon resolves
// them, so they name nswatchd's own namespaces, never the caller's. The
// daemon's namespace is monitored as `default` anyway; answering `default`
// to a caller who meant their own process would be a silent wrong answer.
// The check is lexical: another spelling of the daemon's own namespace
// (/proc//self, a symlink to it, the daemon's PID) is accepted and simply
// yields that namespace's inode.
//
// Returns with no fd open: a held fd would pin a bind mount (umount: EBUSY).
// Path resolution itself can wait only where any lookup can (a hung network
// file system on the way); nothing here reads, writes or opens the target.
// Thread-safe; needs /proc mounted (the checked inode is reopened through
// /proc/self/fd).
std::variant<WatchTarget, std::string> check_watch_path(const std::string& path);

// The PID of a /proc path that leads to a namespace through one process:
// /proc/PID/ns/net (the process is in it), /proc/PID/task/TID/ns/net (one of
// its threads is) and /proc/PID/fd/N (it holds an fd of it). Anything else is
// nullopt, including other paths under /proc/PID/ (/proc/PID/root/run/netns/X
// is a mount seen through the process, which neither is in nor holds that
// namespace), /proc/self/... (refers to the caller of this function), and
// non-canonical spellings: only "/proc/<digits>/" exactly as procfs names a
// process (no redundant slashes, no leading zeros, 1..INT_MAX). Pure.
std::optional<pid_t> proc_pid_of_path(std::string_view path);

} // namespace nswatch
