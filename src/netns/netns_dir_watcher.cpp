#include "netns/netns_dir_watcher.hpp"

#include <fcntl.h>
#include <sys/inotify.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace nswatch {

namespace {
constexpr std::uint32_t kDirMask =
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
constexpr std::uint32_t kParentMask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR;

std::string strip_trailing_slashes(std::string path)
{
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    return path;
}
} // namespace

NetnsDirWatcher::NetnsDirWatcher(std::string dir)
    : dir_(strip_trailing_slashes(std::move(dir))), inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)),
      mountinfo_(::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC))
{
    if (!inotify_) {
        throw std::system_error(errno, std::generic_category(), "inotify_init1");
    }
    if (!mountinfo_) {
        throw std::system_error(errno, std::generic_category(), "open /proc/self/mountinfo");
    }
    const auto slash = dir_.rfind('/');
    parent_ = slash == 0 ? "/" : dir_.substr(0, slash);
    base_ = dir_.substr(slash + 1);
    parent_wd_ = ::inotify_add_watch(inotify_.get(), parent_.c_str(), kParentMask);
    if (parent_wd_ < 0) {
        // Still correct through mountinfo, only slower to see deletions.
        spdlog::warn("cannot watch {}: {}; relying on mount notifications", parent_, std::strerror(errno));
    }
    arm_dir();
}

void NetnsDirWatcher::arm_dir()
{
    // Adding a watch on an already watched inode returns the same wd; on a
    // recreated directory it returns a new one.
    const int wd = ::inotify_add_watch(inotify_.get(), dir_.c_str(), kDirMask);
    if (wd >= 0) {
        if (wd != dir_wd_) {
            spdlog::debug("watching {}", dir_);
        }
        dir_wd_ = wd;
    } else {
        if (dir_wd_ >= 0 || errno != ENOENT) {
            spdlog::debug("{} not watched: {}", dir_, std::strerror(errno));
        }
        dir_wd_ = -1;
    }
}

bool NetnsDirWatcher::on_inotify()
{
    alignas(inotify_event) std::array<char, 16384> buffer{};
    bool rescan = false;
    bool rearm = false;
    for (;;) {
        const ssize_t n = ::read(inotify_.get(), buffer.data(), buffer.size());
        if (n <= 0) {
            break; // EAGAIN: drained
        }
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buffer.data() + off);
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            if ((ev->mask & IN_Q_OVERFLOW) != 0) {
                spdlog::info("inotify queue overflow: rescanning {}", dir_);
                rescan = rearm = true;
            } else if (ev->wd == dir_wd_) {
                rescan = true;
                if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
                    rearm = true;
                }
            } else if (ev->wd == parent_wd_ && ev->len > 0 && base_ == ev->name) {
                rescan = rearm = true;
            }
        }
    }
    if (rearm) {
        arm_dir();
    }
    return rescan;
}

} // namespace nswatch
