#pragma once
// The kernel's view of one namespace, kept by its worker. Pure logic.
//
// Full dump (begin_dump … end_dump): every update, dump part or
// notification, in socket order (which the kernel keeps consistent), goes
// into a fresh table and nothing is handed out; end_dump makes the fresh
// table current and returns it whole, for the bus thread to diff against
// what clients saw.
//
// Refresh (begin_refresh … end_refresh): a dump scoped to some links or
// filter parents, for tc state the kernel changes without notifying.
// Notifications keep flowing as events meanwhile; end_refresh returns the
// events that make the scope what the kernel now says.
#include "events/namespace_state.hpp"
#include "events/refresh_scope.hpp"
#include "netlink/route_parser.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace nswatch {

struct ApplyResult {
    std::vector<ObjectEvent> events; // for clients, in order (none during a full dump)
    RefreshScope refresh;            // what to re-read because the kernel may have changed it silently
};

class NamespaceTracker {
public:
    void begin_dump() { fresh_.emplace(); }
    void abort_dump() noexcept { fresh_.reset(); }
    [[nodiscard]] bool dumping() const noexcept { return fresh_.has_value(); }
    std::shared_ptr<const NamespaceState> end_dump();

    // Only while not dumping.
    void begin_refresh(RefreshScope scope);
    void abort_refresh() noexcept { refresh_.reset(); }
    [[nodiscard]] bool refreshing() const noexcept { return refresh_.has_value(); }
    [[nodiscard]] const RefreshScope* refresh_scope() const noexcept { return refresh_ ? &refresh_->scope : nullptr; }
    std::vector<ObjectEvent> end_refresh(std::uint64_t time_usec);

    // `from_dump`: a reply to our dump request, not a notification.
    ApplyResult apply(const KernelUpdate& update, bool from_dump, std::uint64_t time_usec);

    // What the running dump or refresh found so far (to plan its next phase).
    [[nodiscard]] const NamespaceState& found() const noexcept;

    [[nodiscard]] std::shared_ptr<const NamespaceState> snapshot() const;
    // How many full dumps completed: 0 until the initial snapshot exists.
    [[nodiscard]] std::uint64_t dumps_completed() const noexcept { return dumps_completed_; }

private:
    struct Refresh {
        RefreshScope scope;
        NamespaceState found;
    };

    std::uint64_t dumps_completed_ = 0;
    NamespaceState current_;
    std::optional<NamespaceState> fresh_;
    std::optional<Refresh> refresh_;
};

} // namespace nswatch
