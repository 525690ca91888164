#pragma once
// The part of a namespace a scoped re-dump re-reads: all tc objects of some
// links, and the filters of some (link, parent) pairs. Needed because the
// kernel changes some tc state without a notification (a default qdisc
// attached when a link goes up or its root qdisc is deleted; a u32 hash
// table created with its first filter).
#include "events/event.hpp"

#include <cstdint>
#include <set>
#include <utility>

namespace nswatch {

struct RefreshScope {
    std::set<std::int32_t> links;
    std::set<std::pair<std::int32_t, std::uint32_t>> filter_parents;

    [[nodiscard]] bool empty() const noexcept { return links.empty() && filter_parents.empty(); }
    void merge(const RefreshScope& other)
    {
        links.insert(other.links.begin(), other.links.end());
        filter_parents.insert(other.filter_parents.begin(), other.filter_parents.end());
    }
    [[nodiscard]] bool contains(const KernelObject& object) const
    {
        if (std::holds_alternative<Link>(object)) {
            return false;
        }
        if (links.contains(object_ifindex(object))) {
            return true;
        }
        const auto* filter = std::get_if<Filter>(&object);
        return filter != nullptr && filter_parents.contains({filter->ifindex, filter->parent});
    }
    bool operator==(const RefreshScope&) const = default;
};

} // namespace nswatch
