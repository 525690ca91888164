#pragma once
// Network namespaces held by nsfs mounts anywhere, found in
// /proc/self/mountinfo. Reading mountinfo needs no statfs and no open of the
// mount points, so discovery never pins a mount (an open fd on it would make
// `ip netns del` fail with EBUSY).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nswatch {

struct NsfsMount {
    std::string mount_point; // unescaped absolute path, as the daemon's mount namespace sees it
    std::uint64_t inode = 0; // nsfs inode: the namespace's identity

    bool operator==(const NsfsMount&) const = default;
};

// One mount, whatever its type (any mount can hide an nsfs one): from a
// mountinfo line, or from statmount(2) (mount_records.hpp). IDs are
// compared only with IDs of the same kind (mountinfo's, or the unique
// 64-bit ones of statmount).
struct MountRecord {
    std::uint64_t id = 0;
    std::uint64_t parent = 0;
    std::string point;           // unescaped absolute mount point
    std::uint64_t net_inode = 0; // nonzero only for a network-namespace nsfs mount

    bool operator==(const MountRecord&) const = default;
};

// The namespace inode of a mount of file-system `type` whose root is
// `root`: N for nsfs with root "net:[N]", 0 for any other mount (another
// type, or another namespace type's nsfs root); nullopt when an nsfs root
// starting with "net:" is malformed.
std::optional<std::uint64_t> net_namespace_inode(std::string_view type, std::string_view root);

// The nsfs mounts of `mounts` (a whole table, in listing order) that are
// visible at their mount point, by the rules of parse_nsfs_mounts. Pure.
std::vector<NsfsMount> visible_nsfs_mounts(const std::vector<MountRecord>& mounts);

// Every network-namespace nsfs mount in `mountinfo` (the text of
// /proc/<pid>/mountinfo) that is visible at its mount point, in input order.
// A line counts when its file-system type is `nsfs` and its root is
// `net:[N]` (uts, mnt, ipc... namespaces are ignored). Mount points are
// unescaped (\040 \011 \012 \134).
//
// When several mounts share a mount point, only the visible one counts: the
// one no other mount at that point is stacked on (parent ID). Usually that is
// the last one listed, but a mount propagated into a slave namespace (the
// daemon's, under ProtectSystem=strict) is *tucked under* a mount already
// there and listed after it; the last one is the fallback when parent IDs do
// not decide. A non-nsfs mount on top hides the nsfs mount under it.
//
// Pure. Malformed lines (too few fields, no lone "-", bad escape, bad inode)
// are skipped; any input is safe.
std::vector<NsfsMount> parse_nsfs_mounts(std::string_view mountinfo);

// The whole content of the already open mountinfo file `fd` (not owned),
// read with pread from offset 0, so the same fd serves every re-read after
// POLLPRI. Throws std::system_error when a read fails. Not pure; blocks only
// as long as the kernel takes to print the mount table.
std::string read_mountinfo(int fd);

} // namespace nswatch
