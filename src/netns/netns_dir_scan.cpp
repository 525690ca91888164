#include "netns/netns_dir_scan.hpp"

#include "netns/nsfs.hpp"

#include <dirent.h>

#include <memory>

namespace nswatch {

std::vector<NamespaceIdentity> scan_netns_dir(const std::string& dir)
{
    std::vector<NamespaceIdentity> found;
    std::unique_ptr<DIR, int (*)(DIR*)> stream(::opendir(dir.c_str()), &::closedir);
    if (!stream) {
        return found;
    }
    while (const dirent* entry = ::readdir(stream.get())) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        std::string path = dir + "/" + name;
        if (auto inode = nsfs_inode(path)) {
            found.push_back(NamespaceIdentity{name, "named", std::move(path), *inode});
        }
    }
    return found;
}

} // namespace nswatch
