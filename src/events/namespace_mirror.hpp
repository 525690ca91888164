#pragma once
// What clients of one namespace were told, and the seq that numbers it.
//
// Owned by the bus thread. Every event goes through record(), which gives it
// the next seq and applies it, so GetState (state() + seq()) and the Events
// signals agree by construction.
#include "events/namespace_state.hpp"

#include <cstdint>
#include <vector>

namespace nswatch {

struct SequencedEvent {
    std::uint64_t seq = 0;
    ObjectEvent event;
};

class NamespaceMirror {
public:
    // The first snapshot: what the namespace holds at seq 0.
    void reset(const NamespaceState& state) { state_ = state; }

    SequencedEvent record(ObjectEvent event);

    // Emits (records) the difference between what clients saw and `target`.
    std::vector<SequencedEvent> resync_to(const NamespaceState& target, std::uint64_t time_usec);

    [[nodiscard]] std::uint64_t seq() const noexcept { return seq_; }
    [[nodiscard]] const NamespaceState& state() const noexcept { return state_; }

private:
    NamespaceState state_;
    std::uint64_t seq_ = 0;
};

} // namespace nswatch
