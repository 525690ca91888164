// libFuzzer target: reconcile() is the single place that decides which
// namespaces are monitored. For any current set and any findings:
//  - after applying the plan, every found inode is monitored exactly once,
//    under a name some source found, and nothing else is;
//  - applying it reaches a fixed point: reconciling again changes nothing.
#include "netns/reconcile.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdlib>
#include <set>

using nswatch::NamespaceIdentity;
using nswatch::SourceKind;

namespace {

NamespaceIdentity identity(FuzzedDataProvider& in)
{
    // Few names, inodes and paths, so that collisions (aliases, reused
    // names, moved paths) are common.
    const auto source = static_cast<SourceKind>(in.ConsumeIntegralInRange<int>(0, 5));
    const auto inode = in.ConsumeIntegralInRange<std::uint64_t>(1, 6);
    std::string name =
        source == SourceKind::Default ? "default" : "n" + std::to_string(in.ConsumeIntegralInRange(0, 5));
    const std::string path = "/p" + std::to_string(in.ConsumeIntegralInRange(0, 3));
    return NamespaceIdentity{std::move(name), source, path, inode};
}

void apply_plan(std::map<std::string, NamespaceIdentity>& current, const nswatch::ReconcilePlan& plan)
{
    for (const auto& name : plan.remove) {
        if (current.erase(name) != 1) {
            std::abort(); // removes only what is monitored
        }
    }
    for (const auto& id : plan.add) {
        if (!current.emplace(id.name, id).second) {
            std::abort(); // adds only names that are free after the removals
        }
    }
    for (const auto& id : plan.update) {
        auto it = current.find(id.name);
        if (it == current.end() || it->second.inode != id.inode) {
            std::abort(); // updates only the same namespace
        }
        it->second = id;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    std::map<std::string, NamespaceIdentity> current;
    std::set<std::uint64_t> current_inodes;
    for (int n = in.ConsumeIntegralInRange(0, 6); n > 0; --n) {
        auto id = identity(in);
        // A consistent current set: unique names and inodes (what the registry holds).
        if (!current.contains(id.name) && current_inodes.insert(id.inode).second) {
            current.emplace(id.name, id);
        }
    }
    std::vector<NamespaceIdentity> found;
    for (int n = in.ConsumeIntegralInRange(0, 10); n > 0; --n) {
        found.push_back(identity(in));
    }
    // Sources never offer two different namespaces under one name.
    std::map<std::string, std::uint64_t> name_inode;
    for (const auto& id : found) {
        if (auto [it, fresh] = name_inode.emplace(id.name, id.inode); !fresh && it->second != id.inode) {
            return 0;
        }
    }

    apply_plan(current, nswatch::reconcile(current, found));

    std::set<std::uint64_t> found_inodes;
    for (const auto& id : found) {
        found_inodes.insert(id.inode);
    }
    std::set<std::uint64_t> monitored;
    for (const auto& [name, id] : current) {
        if (!monitored.insert(id.inode).second || !found_inodes.contains(id.inode)) {
            std::abort(); // one name per namespace, and only found ones
        }
        if (std::find(found.begin(), found.end(), id) == found.end()) {
            std::abort(); // exactly an identity some source found
        }
    }
    if (monitored != found_inodes) {
        std::abort();
    }
    const auto again = nswatch::reconcile(current, found);
    if (!again.remove.empty() || !again.add.empty() || !again.update.empty()) {
        std::abort();
    }
    return 0;
}
