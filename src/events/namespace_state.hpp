#pragma once
// The objects of one namespace, keyed by their identity in the contract.
//
// Used three ways, each instance owned by one thread:
//  - a worker's "told" table: what it has handed to the bus thread;
//  - a worker's dump table: the kernel's view being rebuilt by a (re)dump;
//  - the bus thread's mirror: what clients were told, answering GetState.
#include "events/event.hpp"
#include "events/refresh_scope.hpp"

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace nswatch {

// Identity of an object inside a namespace. Ordered by ifindex first, so all
// objects of one link are one range (a link sorts before its tc objects).
struct ObjectKey {
    std::int32_t ifindex = 0;
    std::uint8_t type = 0; // index of the alternative in KernelObject
    std::uint32_t handle = 0;
    std::uint32_t parent = 0;
    std::uint32_t priority = 0;
    std::uint16_t protocol = 0;
    std::uint32_t chain = 0;

    // The literal 0 that clang-tidy 14 sees is the synthesized comparison's.
    auto operator<=>(const ObjectKey&) const = default; // NOLINT(modernize-use-nullptr)
};

ObjectKey key_of(const KernelObject& object) noexcept;

class NamespaceState {
public:
    // The kernel reports `object` as present. Returns the event a client
    // must see: Added, Changed (only if a reported attribute differs), or none.
    std::optional<ObjectEvent> upsert(const KernelObject& object, std::uint64_t time_usec);

    // The kernel reports `object` as gone. Returns Removed events, with the
    // last known attributes, for it and for everything that hung under it,
    // children first: the kernel does not report those itself.
    //  - a link: all its qdiscs, classes and filters;
    //  - a qdisc: its classes, the filters attached to it or its classes,
    //    and the qdiscs grafted below it (recursively);
    //  - a class: the filters and qdiscs attached to it (recursively);
    //  - a filter with handle 0 (the whole filter protocol): every filter of
    //    that parent, chain, priority and protocol (0 matches any).
    std::vector<ObjectEvent> erase(const KernelObject& object, std::uint64_t time_usec);

    // Makes everything within `scope` what `fresh` says (fresh holds only
    // objects within scope). Returns the events, removals first.
    std::vector<ObjectEvent> replace_scope(const RefreshScope& scope, const NamespaceState& fresh,
                                           std::uint64_t time_usec);

    // Applies an event produced by upsert/erase/diff_to (the bus mirror).
    void apply(const ObjectEvent& event);

    // The events that turn this state into `target`: removals first
    // (children before parents), then additions and changes (parents first).
    [[nodiscard]] std::vector<ObjectEvent> diff_to(const NamespaceState& target, std::uint64_t time_usec) const;

    // Visits every object in key order, without copying.
    template <typename Visit>
    void for_each(Visit&& visit) const
    {
        for (const auto& [key, object] : objects_) {
            visit(object);
        }
    }
    // Visits the objects of one link (the link first, then its tc objects).
    template <typename Visit>
    void for_each_on_link(std::int32_t ifindex, Visit&& visit) const
    {
        const auto last = objects_.lower_bound(ObjectKey{.ifindex = ifindex + 1});
        for (auto it = objects_.lower_bound(ObjectKey{.ifindex = ifindex}); it != last; ++it) {
            visit(it->first, it->second);
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return objects_.size(); }
    [[nodiscard]] const KernelObject* find(const ObjectKey& key) const;

    bool operator==(const NamespaceState&) const = default;

private:
    void collect_subtree(const KernelObject& object, std::set<ObjectKey>& keys) const;

    std::map<ObjectKey, KernelObject> objects_;
};

} // namespace nswatch
