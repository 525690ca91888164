#include "netns/nsfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h> // OPEN_TREE_CLONE
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>

namespace nswatch {

std::optional<std::uint64_t> nsfs_inode(const std::string& path)
{
    struct statfs fs {};
    if (::statfs(path.c_str(), &fs) != 0 || fs.f_type != static_cast<decltype(fs.f_type)>(NSFS_MAGIC)) {
        return std::nullopt;
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(st.st_ino);
}

namespace {
// An O_PATH handle on `path` that does not pin the mount it is on.
//
// Why: any fd opened through a bind mount (/run/netns/X) holds that mount,
// and an administrator's plain `umount /run/netns/X` at that moment fails
// with EBUSY. open_tree(OPEN_TREE_CLONE) resolves the path to a detached
// copy of the mount instead: what we hold then is the copy, and umount of
// the original succeeds even while the worker still has the fd (verified on
// Linux 6.18). It fails for paths that are not on an ordinary mount (the
// magic links of /proc/PID/ns/net, which pin nothing anyway) or where the
// syscall is not allowed (no CAP_SYS_ADMIN, a seccomp filter): then a plain
// O_PATH open, held as briefly as before.
UniqueFd open_handle(const std::string& path)
{
    if (!path.starts_with("/proc/")) {
        UniqueFd tree(
            static_cast<int>(::syscall(SYS_open_tree, AT_FDCWD, path.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)));
        if (tree) {
            return tree;
        }
    }
    return UniqueFd(::open(path.c_str(), O_PATH | O_CLOEXEC));
}
} // namespace

OpenedNamespace open_net_namespace(const std::string& path)
{
    UniqueFd handle = open_handle(path);
    if (!handle) {
        throw NamespaceFileError(path, errno);
    }
    struct statfs fs {};
    if (::fstatfs(handle.get(), &fs) != 0) {
        throw NamespaceFileError(path, errno);
    }
    if (fs.f_type != static_cast<decltype(fs.f_type)>(NSFS_MAGIC)) {
        throw NamespaceFileError(path + ": not a namespace file");
    }
    // Reopen the very inode we checked, now for reading (setns needs it).
    const std::string via = "/proc/self/fd/" + std::to_string(handle.get());
    OpenedNamespace out{UniqueFd(::open(via.c_str(), O_RDONLY | O_CLOEXEC)), 0};
    if (!out.fd) {
        throw NamespaceFileError(path, errno);
    }
    const int type = ::ioctl(out.fd.get(), NS_GET_NSTYPE);
    if (type != CLONE_NEWNET) {
        throw NamespaceFileError(path + ": not a network namespace");
    }
    struct stat st {};
    if (::fstat(out.fd.get(), &st) != 0) {
        throw NamespaceFileError(path, errno);
    }
    out.inode = static_cast<std::uint64_t>(st.st_ino);
    return out;
}

} // namespace nswatch
