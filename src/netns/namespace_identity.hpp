#pragma once
// Who a monitored namespace is: plain values shared by the watcher, the
// registry and the D-Bus objects.
#include <cstdint>
#include <string>

namespace nswatch {

struct NamespaceIdentity {
    std::string name;   // unique among monitored namespaces: "default", "X", "<source>/<id>"
    std::string source; // "default", "named", or the prefix of name before "/"
    std::string path;   // the nsfs path it is monitored through
    std::uint64_t inode = 0;

    bool operator==(const NamespaceIdentity&) const = default;
};

} // namespace nswatch
