#pragma once
// Namespaces added by the Watch method, until Unwatch or until nothing but
// nswatchd holds them.
//
// A watch is kept while its path still leads to the namespace (the process
// of /proc/PID/ns/net is alive and inside, the fd of /proc/PID/fd/N is still
// open, the bind mount is still there) or while another process or mount
// holds the namespace. nswatchd's own socket keeps every monitored namespace
// alive, so "until it dies" is this decision, never something to wait for.
// A namespace held only by another process's fd (not the watched one) is
// invisible to the daemon: it is released once the watched path is gone.
//
// Checked at every reconcile: after process exits, mount changes and each
// fallback scan. Checking is a stat() of the path: nothing is opened.
// Threading: bus thread only.
#include "netns/namespace_identity.hpp"
#include "netns/watch_path.hpp"

#include <functional>
#include <map>
#include <vector>

namespace nswatch {

class WatchSource {
public:
    void add(const WatchTarget& target) { watches_[target.inode] = target; }
    bool erase(std::uint64_t inode) { return watches_.erase(inode) != 0; }
    [[nodiscard]] bool contains(std::uint64_t inode) const { return watches_.contains(inode); }

    // Drops the watches that nothing holds any more: their path no longer
    // leads to the namespace and `held_elsewhere(inode)` is false.
    void release_unheld(const std::function<bool(std::uint64_t inode)>& held_elsewhere);

    // "watch/<inode>" for every watch, opened through the watched path.
    [[nodiscard]] std::vector<NamespaceIdentity> identities() const;

private:
    std::map<std::uint64_t, WatchTarget> watches_;
};

} // namespace nswatch
