#pragma once
// The bell between the workers (producers) and the bus thread (consumer),
// and the list of rings that have data (the ready-list).
//
// The consumer announces it is about to sleep (prepare_sleep), checks for
// work once more, then polls fd(). A producer rings the eventfd only when
// the consumer announced sleep, so a busy consumer costs producers no
// syscalls. Both sides use seq_cst operations (the ring's tail store, the
// ready stack's head, the flag here), so either the producer sees the flag
// or the consumer sees the new element: no lost wake-up.
//
// Ready-list: after a push a producer links its channel into a lock-free
// stack (intrusive, WorkerChannel::ready_next) unless the channel is listed
// already (WorkerChannel::ready). The consumer takes the whole stack at once
// (take_ready), so a wake-up costs O(rings with data), not O(namespaces):
// with 10,000 namespaces, looking at every ring at each wake-up was most of
// the bus thread's time at start. Only the consumer empties the stack (an
// exchange with null) and producers only push, so there is no ABA problem.
// The consumer must keep a channel alive while it may be linked (see
// NamespaceRegistry::remove).
//
// Threading: notify from any worker; the rest from the bus thread only.
#include "events/worker_channel.hpp"
#include "util/event_fd.hpp"

#include <atomic>

namespace nswatch {

class EventHub {
public:
    [[nodiscard]] int fd() const noexcept { return bell_.fd(); }

    // Producer side, after a successful push into `channel`'s ring: lists
    // the channel (if it is not listed yet), then rings as notify() does.
    void notify(WorkerChannel& channel) noexcept
    {
        if (!channel.ready.exchange(true, std::memory_order_seq_cst)) {
            WorkerChannel* head = ready_.load(std::memory_order_relaxed);
            do {
                channel.ready_next = head;
            } while (
                !ready_.compare_exchange_weak(head, &channel, std::memory_order_seq_cst, std::memory_order_relaxed));
        }
        notify();
    }

    // Rings the bell if the consumer announced sleep (a kick with no data).
    void notify() noexcept
    {
        if (sleeping_.load(std::memory_order_seq_cst) && sleeping_.exchange(false, std::memory_order_seq_cst)) {
            bell_.signal();
        }
    }

    // Consumer side: every listed channel, most recently listed first,
    // linked through ready_next (null: none). Each has `ready` set; the
    // consumer clears it before it drains that ring, so a push after the
    // clear lists the channel again.
    [[nodiscard]] WorkerChannel* take_ready() noexcept { return ready_.exchange(nullptr, std::memory_order_seq_cst); }
    // Consumer side: some channel is listed (seq_cst: for the sleep check).
    [[nodiscard]] bool has_ready() const noexcept { return ready_.load(std::memory_order_seq_cst) != nullptr; }

    // Consumer side: call before the final emptiness check that precedes poll.
    void prepare_sleep() noexcept { sleeping_.store(true, std::memory_order_seq_cst); }
    // Consumer side: after waking (or deciding not to sleep).
    void woke() noexcept
    {
        sleeping_.store(false, std::memory_order_seq_cst);
        bell_.drain();
    }

private:
    EventFd bell_;
    std::atomic<bool> sleeping_{false};
    std::atomic<WorkerChannel*> ready_{nullptr}; // the ready stack's top
};

} // namespace nswatch
