// libFuzzer target: the mountinfo parser takes any text without crashing,
// and what it returns is well-formed (absolute mount points, nonzero inodes,
// one entry per mount point).
#include "netns/mountinfo.hpp"

#include <cstdlib>
#include <set>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::set<std::string> points;
    for (const auto& mount : nswatch::parse_nsfs_mounts(text)) {
        if (mount.mount_point.empty() || mount.mount_point[0] != '/' || mount.inode == 0 ||
            !points.insert(mount.mount_point).second) {
            std::abort();
        }
    }
    return 0;
}
