#include "netns/mount_source.hpp"

#include "netns/mount_naming.hpp"

#include <fcntl.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <system_error>

namespace nswatch {

std::string canonical_dir(const std::string& dir)
{
    std::string path = dir;
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    // Resolve the longest existing prefix; keep the rest as written.
    std::string rest;
    for (;;) {
        char resolved[PATH_MAX];
        if (::realpath(path.c_str(), resolved) != nullptr) {
            std::string out = resolved;
            if (!rest.empty()) {
                out += (out == "/" ? "" : "/") + rest;
            }
            return out;
        }
        const auto slash = path.rfind('/');
        if (slash == std::string::npos || slash == 0) {
            return dir;
        }
        rest = path.substr(slash + 1) + (rest.empty() ? "" : "/" + rest);
        path.resize(slash);
    }
}

MountSource::MountSource(EventLoop& loop, const std::string& netns_dir, bool with_named, bool with_other,
                         std::function<void()> changed)
    : netns_dir_(canonical_dir(netns_dir)), with_named_(with_named), with_other_(with_other),
      changed_(std::move(changed))
{
    std::string why;
    table_ = MountTable::open(why);
    if (table_) {
        spdlog::info("mounts: fanotify mount notifications and statmount (each change read alone)");
        watch_ = loop.watch_fd(table_->fd(), POLLIN, [this](short) {
            if (refresh()) {
                changed_();
            }
        });
        update(table_->nsfs_mounts());
        return;
    }
    spdlog::info("mounts: /proc/self/mountinfo, read whole after each change (mount notifications unavailable: {})",
                 why);
    mountinfo_ = UniqueFd(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC));
    if (!mountinfo_) {
        throw std::system_error(errno, std::generic_category(), "open /proc/self/mountinfo");
    }
    watch_ = loop.watch_fd(mountinfo_.get(), POLLPRI, [this](short) {
        if (refresh()) {
            changed_();
        }
    });
    refresh();
}

bool MountSource::refresh()
{
    if (table_) {
        return table_->read_changes() && update(table_->nsfs_mounts());
    }
    return update(parse_nsfs_mounts(read_mountinfo(mountinfo_.get())));
}

bool MountSource::update(std::vector<NsfsMount> mounts)
{
    if (mounts == mounts_) {
        return false;
    }
    mounts_ = std::move(mounts);
    identities_.clear();
    inodes_.clear();
    for (const auto& mount : mounts_) {
        inodes_.insert(mount.inode);
        auto identity = identity_for_mount(mount, netns_dir_);
        if (identity.source == SourceKind::Named ? with_named_ : with_other_) {
            identities_.push_back(std::move(identity));
        }
    }
    spdlog::debug("{} network namespace mounts", mounts_.size());
    return true;
}

} // namespace nswatch
