#include "netlink/namespace_tracker.hpp"

namespace nswatch {

std::optional<ObjectEvent> NamespaceTracker::apply(const KernelUpdate& update, std::uint64_t time_usec)
{
    NamespaceState& table = fresh_ ? *fresh_ : current_;
    auto event = update.removed ? table.erase(update.object, time_usec) : table.upsert(update.object, time_usec);
    if (fresh_) {
        return std::nullopt;
    }
    return event;
}

std::shared_ptr<const NamespaceState> NamespaceTracker::end_dump()
{
    if (fresh_) {
        current_ = std::move(*fresh_);
        fresh_.reset();
        ++dumps_completed_;
    }
    return snapshot();
}

std::shared_ptr<const NamespaceState> NamespaceTracker::snapshot() const
{
    return std::make_shared<const NamespaceState>(current_);
}

} // namespace nswatch
