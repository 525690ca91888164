#include "netns/reconcile.hpp"

#include <tuple>

namespace nswatch {

namespace {

bool same_namespace(const NamespaceIdentity& a, const NamespaceIdentity& b)
{
    return a.name == b.name && a.inode == b.inode && a.source == b.source;
}

// Whether `candidate` should replace `chosen` for the same inode.
bool better(const NamespaceIdentity& candidate, const NamespaceIdentity& chosen,
            const std::map<std::string, NamespaceIdentity>& current)
{
    if (candidate.source != chosen.source) {
        return candidate.source < chosen.source;
    }
    const auto in_use = [&](const NamespaceIdentity& id) {
        auto it = current.find(id.name);
        return it != current.end() && same_namespace(it->second, id);
    };
    const bool candidate_in_use = in_use(candidate);
    if (candidate_in_use != in_use(chosen)) {
        return candidate_in_use;
    }
    return candidate.name < chosen.name;
}

} // namespace

ReconcilePlan reconcile(const std::map<std::string, NamespaceIdentity>& current,
                        const std::vector<NamespaceIdentity>& found)
{
    // Pick one identity per inode.
    std::map<std::uint64_t, NamespaceIdentity> chosen;
    for (const auto& candidate : found) {
        auto [it, inserted] = chosen.try_emplace(candidate.inode, candidate);
        if (!inserted && better(candidate, it->second, current)) {
            it->second = candidate;
        }
    }

    ReconcilePlan plan;
    for (const auto& [name, identity] : current) {
        auto it = chosen.find(identity.inode);
        if (it == chosen.end() || !same_namespace(it->second, identity)) {
            plan.remove.push_back(name);
        }
    }
    for (const auto& [inode, identity] : chosen) {
        auto it = current.find(identity.name);
        if (it == current.end() || !same_namespace(it->second, identity)) {
            plan.add.push_back(identity);
        } else if (it->second.path != identity.path) {
            plan.update.push_back(identity);
        }
    }
    return plan;
}

} // namespace nswatch
