#include "netns/mount_naming.hpp"

#include "bus/dbus_string.hpp"

namespace nswatch {

namespace {

// The file name of `path` when it lies directly in `dir` ("/run/netns" and
// "/run/netns/X" -> "X"); empty when it does not, or names `dir` itself.
std::string_view entry_in(std::string_view path, std::string_view dir)
{
    if (dir.empty()) {
        return {}; // no directory configured
    }
    while (!dir.empty() && dir.back() == '/') {
        dir.remove_suffix(1); // "/" becomes "", so "/X" is directly in it
    }
    if (path.size() <= dir.size() + 1 || !path.starts_with(dir) || path[dir.size()] != '/') {
        return {};
    }
    const std::string_view entry = path.substr(dir.size() + 1);
    return entry.find('/') == std::string_view::npos ? entry : std::string_view{};
}

std::string_view basename_of(std::string_view path)
{
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

} // namespace

NamespaceIdentity identity_for_mount(const NsfsMount& mount, std::string_view netns_dir)
{
    NamespaceIdentity out;
    out.path = mount.mount_point;
    out.inode = mount.inode;
    if (const std::string_view name = entry_in(mount.mount_point, netns_dir); !name.empty()) {
        out.name = escape_name(name);
        out.source = SourceKind::Named;
    } else if (const std::string_view id = entry_in(mount.mount_point, kDockerNetnsDir); !id.empty()) {
        out.source = SourceKind::Docker;
        out.name = std::string(name_prefix(out.source)) + "/" + escape_name(id);
    } else {
        std::string_view rest = mount.mount_point;
        if (rest.starts_with('/')) {
            rest.remove_prefix(1);
        }
        out.source = SourceKind::Mount;
        out.name = std::string(name_prefix(out.source)) + "/" + escape_name(rest);
    }
    return out;
}

std::string container_from_mount_point(std::string_view mount_point)
{
    if (const std::string_view id = entry_in(mount_point, kDockerNetnsDir); !id.empty()) {
        return std::string(id);
    }
    const std::string_view file = basename_of(mount_point);
    return file.starts_with("cni-") ? std::string(file) : std::string();
}

} // namespace nswatch
