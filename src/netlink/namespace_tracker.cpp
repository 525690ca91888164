#include "netlink/namespace_tracker.hpp"

namespace nswatch {

namespace {

void apply_to(NamespaceState& table, const KernelUpdate& update, std::uint64_t time_usec,
              std::vector<ObjectEvent>* events)
{
    if (update.removed) {
        auto removed = table.erase(update.object, time_usec);
        if (events != nullptr) {
            events->insert(events->end(), removed.begin(), removed.end());
        }
    } else if (auto event = table.upsert(update.object, time_usec); event && events != nullptr) {
        events->push_back(std::move(*event));
    }
}

// Every place on link `ifindex` where filters of the qdisc with `major` can
// hang: the qdisc, its classes, and both hooks of a clsact/ingress qdisc.
void filter_parents_with_major(const NamespaceState& state, std::int32_t ifindex, std::uint32_t major,
                               RefreshScope& scope)
{
    state.for_each_on_link(ifindex, [&](const ObjectKey& /*key*/, const KernelObject& object) {
        if (const auto* q = std::get_if<Qdisc>(&object); q != nullptr && tc_major(q->handle) == major) {
            scope.filter_parents.insert({ifindex, q->handle});
        } else if (const auto* c = std::get_if<TcClass>(&object); c != nullptr && tc_major(c->handle) == major) {
            scope.filter_parents.insert({ifindex, c->handle});
        }
    });
    if (major == tc_major(kTcIngressParent)) {
        scope.filter_parents.insert({ifindex, kTcIngressParent});
        scope.filter_parents.insert({ifindex, kTcEgressParent});
    }
}

// Notifications after which the kernel may have changed tc state without
// telling: a link going up or down (a default qdisc is attached), a qdisc
// added or deleted (a default qdisc returns, tbf grows a class), a filter
// added or deleted (the protocol entry, u32 hash tables — which u32 shares
// among all filters of one qdisc, so every parent of that qdisc is re-read).
RefreshScope silent_changes_after(const KernelUpdate& update, const NamespaceState& before)
{
    RefreshScope scope;
    const std::int32_t ifindex = object_ifindex(update.object);
    if (const auto* link = std::get_if<Link>(&update.object)) {
        if (update.removed) {
            return scope;
        }
        const auto* known = before.find(key_of(update.object));
        const bool was_up = known != nullptr && std::get<Link>(*known).up();
        if (was_up != link->up()) {
            scope.links.insert(ifindex);
        }
    } else if (std::holds_alternative<Qdisc>(update.object)) {
        scope.links.insert(ifindex);
    } else if (const auto* filter = std::get_if<Filter>(&update.object)) {
        scope.filter_parents.insert({ifindex, filter->parent});
        filter_parents_with_major(before, ifindex, tc_major(filter->parent), scope);
    }
    return scope;
}

} // namespace

ApplyResult NamespaceTracker::apply(const KernelUpdate& update, bool from_dump, std::uint64_t time_usec)
{
    ApplyResult result;
    if (fresh_) {
        if (!from_dump) {
            result.refresh = silent_changes_after(update, *fresh_);
        }
        apply_to(*fresh_, update, time_usec, nullptr);
        return result;
    }
    if (refresh_ && refresh_->scope.contains(update.object)) {
        apply_to(refresh_->found, update, time_usec, nullptr);
    }
    if (from_dump) {
        return result; // dump parts of a refresh only build its view
    }
    result.refresh = silent_changes_after(update, current_);
    apply_to(current_, update, time_usec, &result.events);
    return result;
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

void NamespaceTracker::begin_refresh(RefreshScope scope)
{
    refresh_.emplace(Refresh{std::move(scope), {}});
}

std::vector<ObjectEvent> NamespaceTracker::end_refresh(std::uint64_t time_usec)
{
    if (!refresh_) {
        return {};
    }
    auto events = current_.replace_scope(refresh_->scope, refresh_->found, time_usec);
    refresh_.reset();
    return events;
}

const NamespaceState& NamespaceTracker::found() const noexcept
{
    if (fresh_) {
        return *fresh_;
    }
    return refresh_ ? refresh_->found : current_;
}

std::shared_ptr<const NamespaceState> NamespaceTracker::snapshot() const
{
    return std::make_shared<const NamespaceState>(current_);
}

} // namespace nswatch
