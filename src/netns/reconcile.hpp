#pragma once
// Which namespaces to start and stop monitoring. Pure.
#include "netns/namespace_identity.hpp"

#include <map>
#include <string>
#include <vector>

namespace nswatch {

struct ReconcilePlan {
    std::vector<std::string> remove;     // names to stop monitoring
    std::vector<NamespaceIdentity> add;  // identities to start monitoring
};

// `current`: monitored namespaces by name. `found`: every identity the
// sources see now (one namespace may appear under several names).
//
// One kernel namespace (inode) is monitored once. When several names lead to
// it, the name already in use is kept while it still exists (names are
// stable); otherwise "default" wins, then a /run/netns name, then any other
// source; ties go to the smallest name.
ReconcilePlan reconcile(const std::map<std::string, NamespaceIdentity>& current,
                        const std::vector<NamespaceIdentity>& found);

} // namespace nswatch
