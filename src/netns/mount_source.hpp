#pragma once
// Namespaces held by nsfs mounts: /run/netns (`ip netns add`), Docker's
// /run/docker/netns, CNI/podman directories and any `mount --bind
// /proc/PID/ns/net FILE`.
//
// Kernel-facing: on kernels with fanotify mount notifications (6.15+) each
// mount or unmount in the daemon's mount namespace is one notification and
// one statmount(2) (MountTable): O(1) per change. Otherwise (older kernel,
// a seccomp filter, no CAP_SYS_ADMIN) /proc/self/mountinfo, pollable with
// POLLPRI, is re-read whole after every change. The log says which. Both
// cover `ip netns add`, which creates the file
// first and bind-mounts the namespace later (an inotify watch would see only
// the file), and a /run/netns that does not exist at boot or is deleted and
// recreated. Nothing is opened or statted, so nothing is pinned.
// Threading: bus thread only (registers with its EventLoop).
#include "netns/mount_table.hpp"
#include "netns/mountinfo.hpp"
#include "netns/namespace_identity.hpp"
#include "util/event_loop.hpp"
#include "util/unique_fd.hpp"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace nswatch {

class MountSource {
public:
    // `netns_dir`: the `ip netns` directory (names there are plain "X").
    // `with_named` / `with_other`: whether mounts in netns_dir / elsewhere
    // count (--sources). `changed` runs after a re-read found a difference.
    MountSource(EventLoop& loop, const std::string& netns_dir, bool with_named, bool with_other,
                std::function<void()> changed);

    [[nodiscard]] const std::vector<NamespaceIdentity>& identities() const noexcept { return identities_; }
    // Whether any nsfs mount (counted or not) holds this namespace now.
    [[nodiscard]] bool holds(std::uint64_t inode) const { return inodes_.contains(inode); }

    // Re-reads the table (mountinfo mode) or applies the queued
    // notifications; returns whether what it holds changed.
    bool refresh();

private:
    bool update(std::vector<NsfsMount> mounts);

    std::string netns_dir_;
    bool with_named_;
    bool with_other_;
    std::function<void()> changed_;
    std::optional<MountTable> table_; // notifications; empty: mountinfo mode
    UniqueFd mountinfo_;
    FdWatch watch_;
    std::vector<NsfsMount> mounts_;
    std::vector<NamespaceIdentity> identities_;
    std::set<std::uint64_t> inodes_;
};

// `dir` with symlinks resolved as far as it exists (/var/run/netns →
// /run/netns), so it compares with mountinfo's mount points.
std::string canonical_dir(const std::string& dir);

} // namespace nswatch
