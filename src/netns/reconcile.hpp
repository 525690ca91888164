#pragma once
// Which namespaces to start and stop monitoring. Pure: the single place that
// decides, whatever the sources found.
#include "netns/namespace_identity.hpp"

#include <map>
#include <string>
#include <vector>

namespace nswatch {

struct ReconcilePlan {
    std::vector<std::string> remove;       // names to stop monitoring
    std::vector<NamespaceIdentity> add;    // identities to start monitoring
    std::vector<NamespaceIdentity> update; // same name and inode, another path (a new holder process)
};

// `current`: monitored namespaces by name. `found`: every identity the
// sources see now (one namespace may appear under several names).
//
// Identity is the nsfs inode: one kernel namespace is monitored once. When
// several names lead to it, the better source wins (SourceKind order:
// default, then a /run/netns name, docker, other mounts, Watch, processes);
// within one source the name already in use is kept while it still exists
// (names are stable), otherwise the smallest name wins. A namespace whose
// name and inode stay but whose path changes is updated in place, never
// removed and added again.
ReconcilePlan reconcile(const std::map<std::string, NamespaceIdentity>& current,
                        const std::vector<NamespaceIdentity>& found);

} // namespace nswatch
