#pragma once
// Everything one worker shares with the bus thread.
//
// Ownership: held by shared_ptr by the bus thread's namespace entry and by
// the worker; the worker thread is joined before the entry lets go.
// Threading: the worker produces into `ring`, the bus thread consumes.
#include "events/event.hpp"
#include "events/spsc_ring.hpp"
#include "util/event_fd.hpp"

#include <atomic>
#include <cstdint>

namespace nswatch {

struct WorkerChannel {
    explicit WorkerChannel(std::size_t capacity) : ring(capacity) {}

    SpscRing<WorkerMessage> ring;
    // Rung to wake the worker: on stop, and by the bus thread when it freed
    // room in a ring whose producer is waiting for room.
    EventFd worker_bell;
    // Set by the worker when the ring was full; the bus thread clears it and
    // rings worker_bell after popping. Fences on both sides: no lost wake-up.
    std::atomic<bool> producer_waiting{false};
    // Events the worker could not queue (each one later repaired by a resync).
    std::atomic<std::uint64_t> dropped{0};

    // Bus thread, after popping: wake a producer that waits for room.
    void after_pop() noexcept
    {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (producer_waiting.load(std::memory_order_relaxed) && producer_waiting.exchange(false)) {
            worker_bell.signal();
        }
    }
};

} // namespace nswatch
