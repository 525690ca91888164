#pragma once
// The kernel's view of one namespace, kept by its worker. Pure logic.
//
// Between begin_dump and end_dump every update (dump part or notification,
// in socket order, which the kernel keeps consistent) goes into a fresh
// table and nothing is handed out; end_dump makes the fresh table current and
// returns it whole, for the bus thread to diff against what clients saw.
#include "events/namespace_state.hpp"
#include "netlink/route_parser.hpp"

#include <memory>
#include <optional>

namespace nswatch {

class NamespaceTracker {
public:
    void begin_dump() { fresh_.emplace(); }
    void abort_dump() noexcept { fresh_.reset(); }
    [[nodiscard]] bool dumping() const noexcept { return fresh_.has_value(); }

    // The event clients must see for this update, if any (never while dumping).
    std::optional<ObjectEvent> apply(const KernelUpdate& update, std::uint64_t time_usec);

    std::shared_ptr<const NamespaceState> end_dump();
    [[nodiscard]] std::shared_ptr<const NamespaceState> snapshot() const;
    // How many dumps completed: 0 until the initial snapshot exists.
    [[nodiscard]] std::uint64_t dumps_completed() const noexcept { return dumps_completed_; }

private:
    std::uint64_t dumps_completed_ = 0;
    NamespaceState current_;
    std::optional<NamespaceState> fresh_;
};

} // namespace nswatch
