#pragma once
// Names for namespaces found as nsfs mounts (see mountinfo.hpp): which
// source a mount point belongs to, and what the namespace is called. Pure.
#include "netns/mountinfo.hpp"
#include "netns/namespace_identity.hpp"

#include <string>
#include <string_view>

namespace nswatch {

// Docker puts its sandboxes' namespaces here (/var/run is a link to /run).
inline constexpr std::string_view kDockerNetnsDir = "/run/docker/netns";

// The identity of the namespace mounted on `mount.mount_point`:
//   directly in `netns_dir` (the `ip netns` directory) -> "X", Named;
//   directly in /run/docker/netns                     -> "docker/<file>", Docker;
//   anywhere else                                     -> "mount/<point without the leading />", Mount.
// `path` is the mount point, `inode` the mount's. A trailing "/" on
// `netns_dir` is ignored. The name part is escape_name()d: a file name
// that is not UTF-8 (or holds a backslash) gets \xNN escapes, so names
// stay unique and valid D-Bus strings.
NamespaceIdentity identity_for_mount(const NsfsMount& mount, std::string_view netns_dir);

// The container a mount point belongs to, when its name says so: the Docker
// sandbox id for /run/docker/netns/<id>; the file name when it starts with
// "cni-" (namespaces made by CNI plugins for podman, containerd, CRI-O:
// /run/netns/cni-<uuid>). Empty otherwise.
std::string container_from_mount_point(std::string_view mount_point);

} // namespace nswatch
