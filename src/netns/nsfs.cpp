#include "netns/nsfs.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>

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

OpenedNamespace open_net_namespace(const std::string& path)
{
    UniqueFd handle(::open(path.c_str(), O_PATH | O_CLOEXEC));
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
