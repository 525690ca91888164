#pragma once
// The file-descriptor limit. Every monitored namespace costs one fd, its
// netlink socket (up to two more for a moment while its worker makes the
// socket; workers are woken by a signal, not an fd: util/thread_wake.hpp),
// and systemd gives services a soft limit of 1,024: about 1,000 namespaces.
// The hard limit (LimitNOFILE= in the unit) is what counts.
#include <cstdint>

namespace nswatch {

struct FdLimit {
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard one and returns both (after).
// Never fails: without permission it leaves the limit as it was.
FdLimit raise_fd_limit() noexcept;

inline constexpr std::uint64_t kFdsPerNamespace = 1;
// The daemon's own: stdio, the bus, the loop, mountinfo, the process-events
// connector, inotify, signalfd, the hub's eventfd, a reconcile's opens.
inline constexpr std::uint64_t kFdsReserved = 32;

// How many namespaces a soft limit leaves room for (the log line at start).
constexpr std::uint64_t namespace_capacity(std::uint64_t soft_limit) noexcept
{
    return soft_limit > kFdsReserved ? (soft_limit - kFdsReserved) / kFdsPerNamespace : 0;
}

} // namespace nswatch
