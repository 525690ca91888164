#pragma once
// Namespaces that processes are in, and who holds every namespace.
//
// Without polling: the kernel's process-events connector reports each fork,
// exec and exit at once. An exec or fork costs one readlink of that pid's
// /proc/PID/ns/net (never an open); a namespace not seen before is found
// within milliseconds. The exit of a tracked holder triggers one rescan of
// /proc (a readlink per process) to find another holder before the
// namespace is declared released. A slow full scan remains as a safety net
// (events can be lost under a burst: ENOBUFS also triggers it) and is the
// only mode where the connector is unavailable (the daemon in a container:
// the connector exists only in the initial network namespace).
//
// A further trigger: RTM_NEWNSID in the daemon's own namespace (a peer
// namespace got an id, e.g. a veth end was moved into it) rescans /proc, so
// a process that unshared without exec or fork is found then too.
//
// Holders: for each namespace one process inside it, kept while it lives
// and is inside (so HolderPid is stable), else the lowest PID found by the
// next rescan. nswatchd itself is skipped: its worker threads visit
// namespaces to make their sockets.
// Threading: bus thread only (registers with its EventLoop).
#include "netns/namespace_identity.hpp"
#include "netns/proc_connector.hpp"
#include "netns/proc_info.hpp"
#include "util/event_loop.hpp"
#include "util/unique_fd.hpp"

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace nswatch {

struct ProcessSourceOptions {
    bool use_connector = true;
    // Full /proc scan period; nullopt: the default for the mode (30 s with
    // the connector, 2 s without it); 0: never.
    std::optional<std::chrono::seconds> scan_interval;
    std::uint64_t host_inode = 0; // the daemon's own namespace: "default", never "proc/…"
    bool announce = true;         // offer "proc/…" identities (--sources); holders are tracked anyway
};

class ProcessSource {
public:
    ProcessSource(EventLoop& loop, ProcessSourceOptions options, std::function<void()> changed);

    // "proc/<inode>" for every namespace a process is in (the host's aside).
    [[nodiscard]] std::vector<NamespaceIdentity> identities() const;
    // Whether a process is in this namespace (as far as the source knows).
    [[nodiscard]] bool holds(std::uint64_t inode) const { return holders_.contains(inode); }
    // The holder of a namespace; pid 0 if none is known.
    [[nodiscard]] HolderInfo holder_of(std::uint64_t inode) const;
    [[nodiscard]] bool connector_active() const noexcept { return connector_.has_value(); }

    // Rescans /proc now (also what the timer and overruns do).
    void rescan();

private:
    void on_connector();
    void on_nsid();
    void on_process(pid_t pid, bool exec);
    void set_holder(std::uint64_t inode, pid_t pid);

    ProcessSourceOptions options_;
    std::function<void()> changed_;
    pid_t self_;
    std::optional<ProcConnector> connector_;
    FdWatch connector_watch_;
    UniqueFd nsid_socket_; // rtnetlink, RTNLGRP_NSID of the host namespace
    FdWatch nsid_watch_;
    Timer scan_timer_;
    std::map<std::uint64_t, HolderInfo> holders_; // inode → its holder
    std::map<pid_t, std::uint64_t> held_by_;      // holder pid → inode
};

} // namespace nswatch
