#pragma once
// Tells when the namespaces of an `ip netns` directory may have changed.
//
// Kernel-facing, level-triggered: it never says *what* changed, only that a
// rescan is due; the caller rescans and reconciles, so a missed detail (an
// inotify overflow, a directory that came and went) cannot leave state wrong.
//
// Sources:
//  - inotify on the directory (files created, deleted, renamed);
//  - inotify on its parent, for the directory appearing (it may not exist at
//    boot) or being deleted and recreated;
//  - /proc/self/mountinfo polled for POLLPRI: `ip netns add` creates the
//    file first and bind-mounts the namespace on it afterwards, which inotify
//    does not report; every mount or unmount does wake this.
// Threading: owned and used by the bus-loop thread.
#include "util/unique_fd.hpp"

#include <string>

namespace nswatch {

class NetnsDirWatcher {
public:
    explicit NetnsDirWatcher(std::string dir);

    [[nodiscard]] const std::string& dir() const noexcept { return dir_; }
    [[nodiscard]] int inotify_fd() const noexcept { return inotify_.get(); }
    [[nodiscard]] int mountinfo_fd() const noexcept { return mountinfo_.get(); }

    // inotify_fd() is readable: reads all pending events, re-arms the
    // directory watch if the directory appeared or was replaced, and returns
    // whether a rescan is due.
    bool on_inotify();

    // Whether the directory itself is being watched right now.
    [[nodiscard]] bool watching_dir() const noexcept { return dir_wd_ >= 0; }

private:
    void arm_dir();

    std::string dir_;
    std::string parent_;
    std::string base_;
    UniqueFd inotify_;
    UniqueFd mountinfo_;
    int dir_wd_ = -1;
    int parent_wd_ = -1;
};

} // namespace nswatch
