#include "netns/reconcile.hpp"

#include <tuple>

namespace nswatch {

namespace {

int source_rank(const std::string& source)
{
    if (source == "default") {
        return 0;
    }
    if (source == "named") {
        return 1;
    }
    return 2;
}

bool better(const NamespaceIdentity& a, const NamespaceIdentity& b)
{
    return std::tuple(source_rank(a.source), a.name) < std::tuple(source_rank(b.source), b.name);
}

} // namespace

ReconcilePlan reconcile(const std::map<std::string, NamespaceIdentity>& current,
                        const std::vector<NamespaceIdentity>& found)
{
    // Pick one identity per inode.
    std::map<std::uint64_t, NamespaceIdentity> chosen;
    for (const auto& candidate : found) {
        auto [it, inserted] = chosen.try_emplace(candidate.inode, candidate);
        if (inserted) {
            continue;
        }
        auto in_use = current.find(it->second.name);
        const bool incumbent_kept = in_use != current.end() && in_use->second == it->second;
        auto candidate_in_use = current.find(candidate.name);
        const bool candidate_is_incumbent = candidate_in_use != current.end() && candidate_in_use->second == candidate;
        if (candidate_is_incumbent || (!incumbent_kept && better(candidate, it->second))) {
            it->second = candidate;
        }
    }

    ReconcilePlan plan;
    for (const auto& [name, identity] : current) {
        auto it = chosen.find(identity.inode);
        if (it == chosen.end() || !(it->second == identity)) {
            plan.remove.push_back(name);
        }
    }
    for (const auto& [inode, identity] : chosen) {
        auto it = current.find(identity.name);
        if (it == current.end() || !(it->second == identity)) {
            plan.add.push_back(identity);
        }
    }
    return plan;
}

} // namespace nswatch
