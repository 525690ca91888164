#pragma once
// The producer side of one worker's channel. Worker thread only.
//
// Events are droppable: when the ring is full the outbox drops them (and
// counts them) and remembers that clients need a "queue-full" repair. Control
// messages (snapshots, status) are never dropped: they wait in a small local
// backlog until the bus thread frees room and wakes the worker.
#include "events/event.hpp"
#include "events/event_hub.hpp"
#include "events/worker_channel.hpp"

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

namespace nswatch {

class WorkerOutbox {
public:
    // A worker restarted on the same channel goes on from its high-water mark.
    WorkerOutbox(WorkerChannel& channel, EventHub& hub)
        : channel_(channel), hub_(hub), high_water_(channel.queue_high_water.load(std::memory_order_relaxed))
    {
    }

    void event(ObjectEvent event);
    void snapshot(std::shared_ptr<const NamespaceState> state, ResyncReason reason);
    void status(WorkerStatus status);

    // A queue-full repair is owed (events were dropped).
    [[nodiscard]] bool repair_owed() const noexcept { return repair_owed_; }
    // A complete snapshot is on its way: it repairs whatever was dropped.
    void repair_covered() noexcept { repair_owed_ = false; }

    // Called when the worker was woken: moves the backlog into the ring and,
    // if a repair is owed and room allows, pushes make_snapshot() as a
    // "queue-full" snapshot (none if it returns null: no consistent view now).
    void flush(const std::function<std::shared_ptr<const NamespaceState>()>& make_snapshot);

    [[nodiscard]] bool backlog_empty() const noexcept { return backlog_.empty(); }

    // The netlink socket overran (ENOBUFS): counted for the metrics.
    void count_overrun() noexcept { channel_.overruns.fetch_add(1, std::memory_order_relaxed); }

private:
    bool push(WorkerMessage& message);
    void note_depth() noexcept; // after a push: keeps channel_.queue_high_water

    WorkerChannel& channel_;
    EventHub& hub_;
    // A vector, not a deque: libstdc++'s deque allocates a 512-byte node and
    // its map when it is made, even empty, and the backlog is empty nearly
    // always, in every namespace (~0.6 KiB each). It holds a few control
    // messages at most; flush() takes them from the front in one erase.
    std::vector<WorkerMessage> backlog_;
    bool repair_owed_ = false;
    std::size_t high_water_; // this thread's copy of channel_.queue_high_water
};

} // namespace nswatch
