#pragma once
// The daemon's mount table, kept up to date by fanotify mount notifications
// (FAN_MNT_ATTACH / FAN_MNT_DETACH on its mount namespace, kernel 6.15+):
// each notification names one mount, which statmount(2) reads, so a change
// costs O(1) kernel work instead of a re-read of /proc/self/mountinfo
// (O(mounts) per change, O(N^2) for N `ip netns add`).
//
// Kernel-facing: open() returns nullopt when the kernel or a seccomp filter
// refuses any part (older kernel: EINVAL; no CAP_SYS_ADMIN: EPERM); the
// caller then falls back to mountinfo. Nothing is opened but the fanotify
// fd and, briefly, /proc/self/ns/mnt: no mount is pinned.
// Threading: bus thread only.
#include "netns/mount_records.hpp"
#include "netns/mountinfo.hpp"
#include "util/unique_fd.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nswatch {

class MountTable {
public:
    // The notification fd is marked before the table is listed, so no change
    // falls between the two. nullopt (and `why` set) when refused.
    static std::optional<MountTable> open(std::string& why);

    [[nodiscard]] int fd() const noexcept { return notify_.get(); }

    // Reads every queued notification and applies it (statmount of each
    // attached mount; the whole table again after an overflow). Returns
    // whether any mount came or went.
    bool read_changes();

    // The visible network-namespace mounts (mountinfo.hpp's rules).
    [[nodiscard]] std::vector<NsfsMount> nsfs_mounts() const;

private:
    explicit MountTable(UniqueFd notify) : notify_(std::move(notify)) {}
    bool list_all();
    // statmount of one mount; false when it is gone already.
    bool stat_into_table(std::uint64_t id);

    UniqueFd notify_;
    std::map<std::uint64_t, MountRecord> mounts_; // by unique ID: ascending is the order of creation
    std::vector<std::byte> buffer_;
    int last_stat_errno_ = 0;
};

} // namespace nswatch
