#pragma once
// Who a monitored namespace is: plain values shared by the sources, the
// registry and the D-Bus objects. Strings for these enums exist only at the
// D-Bus edge (src/bus/) and in names.
#include <cstdint>
#include <string>
#include <string_view>

namespace nswatch {

// Where a namespace was found. The order is the rank reconcile() uses when
// several sources lead to one namespace: a smaller value wins.
enum class SourceKind : std::uint8_t {
    Default, // the daemon's own (host) namespace: "default"
    Named,   // an nsfs mount in the `ip netns` directory (/run/netns): "X"
    Docker,  // an nsfs mount in /run/docker/netns: "docker/<id>"
    Mount,   // any other nsfs mount: "mount/<mount point without the leading />"
    Watch,   // added by the Watch method: "watch/<inode>"
    Process, // only processes are in it: "proc/<inode>"
};

// The part of a name before its "/" for the sources that have one
// ("docker", "mount", "watch", "proc"); empty for Default and Named.
std::string_view name_prefix(SourceKind source) noexcept;

struct NamespaceIdentity {
    std::string name; // unique among monitored namespaces: "default", "X", "<prefix>/<id>"
    SourceKind source = SourceKind::Named;
    std::string path; // the nsfs path it is opened through (may change: a new holder process)
    std::uint64_t inode = 0;

    bool operator==(const NamespaceIdentity&) const = default;
};

} // namespace nswatch
