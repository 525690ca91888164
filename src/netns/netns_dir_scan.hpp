#pragma once
// Lists the network-namespace files of an `ip netns` directory.
#include "netns/namespace_identity.hpp"

#include <string>
#include <vector>

namespace nswatch {

// Every entry of `dir` that is an nsfs mount right now, as a "named"
// identity (name = file name). A file not yet bind-mounted, a directory, or
// a missing `dir` yields nothing. Opens nothing.
std::vector<NamespaceIdentity> scan_netns_dir(const std::string& dir);

} // namespace nswatch
