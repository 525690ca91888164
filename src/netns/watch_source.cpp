#include "netns/watch_source.hpp"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <spdlog/spdlog.h>

namespace nswatch {

namespace {
// Whether `path` still leads to the nsfs inode (stat follows magic links,
// opens nothing).
bool leads_to(const std::string& path, std::uint64_t inode)
{
    struct statfs fs {};
    struct stat st {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == static_cast<decltype(fs.f_type)>(NSFS_MAGIC) &&
           ::stat(path.c_str(), &st) == 0 && static_cast<std::uint64_t>(st.st_ino) == inode;
}
} // namespace

void WatchSource::release_unheld(const std::function<bool(std::uint64_t inode)>& held_elsewhere)
{
    for (auto it = watches_.begin(); it != watches_.end();) {
        const auto& [inode, target] = *it;
        if (leads_to(target.path, inode) || held_elsewhere(inode)) {
            ++it;
            continue;
        }
        spdlog::info("watched namespace {} released: {} is gone and nothing else holds it", inode, target.path);
        it = watches_.erase(it);
    }
}

std::vector<NamespaceIdentity> WatchSource::identities() const
{
    std::vector<NamespaceIdentity> out;
    out.reserve(watches_.size());
    for (const auto& [inode, target] : watches_) {
        out.push_back({std::string(name_prefix(SourceKind::Watch)) + "/" + std::to_string(inode), SourceKind::Watch,
                       target.path, inode});
    }
    return out;
}

} // namespace nswatch
