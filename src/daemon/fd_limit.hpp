#pragma once
// The file-descriptor limit. Every monitored namespace costs two fds (its
// netlink socket and its worker's bell; two more for a moment while a worker
// makes its socket), and systemd gives services a soft limit of 1,024: about
// 500 namespaces. The hard limit (LimitNOFILE= in the unit) is what counts.
#include <cstdint>

namespace nswatch {

struct FdLimit {
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard one and returns both (after).
// Never fails: without permission it leaves the limit as it was.
FdLimit raise_fd_limit() noexcept;

inline constexpr std::uint64_t kFdsPerNamespace = 2;

} // namespace nswatch
