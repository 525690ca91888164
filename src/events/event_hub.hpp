#pragma once
// The bell between the workers (producers) and the bus thread (consumer).
//
// The consumer announces it is about to sleep (prepare_sleep), checks its
// rings once more, then polls fd(). A producer rings the eventfd only when
// the consumer announced sleep, so a busy consumer costs producers no
// syscalls. Both sides use seq_cst operations (the ring's tail store, the
// flag here), so either the producer sees the flag or the consumer sees the
// new element: no lost wake-up.
#include "util/event_fd.hpp"

#include <atomic>

namespace nswatch {

class EventHub {
public:
    [[nodiscard]] int fd() const noexcept { return bell_.fd(); }

    // Producer side, after a successful push.
    void notify() noexcept
    {
        if (sleeping_.load(std::memory_order_seq_cst) && sleeping_.exchange(false, std::memory_order_seq_cst)) {
            bell_.signal();
        }
    }

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
};

} // namespace nswatch
