#pragma once
// Everything one worker shares with the bus thread.
//
// Ownership: held by shared_ptr by the bus thread's namespace entry and by
// the worker; the worker thread is joined before the entry lets go.
// Threading: the worker produces into `ring`, the bus thread consumes.
#include "events/event.hpp"
#include "events/spsc_ring.hpp"
#include "util/thread_wake.hpp"
#include "util/unique_fd.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

namespace nswatch {

struct WorkerChannel {
    WorkerChannel(std::size_t capacity, std::string path) : ring(capacity), open_path_(std::move(path)) {}

    // The nsfs path the worker opens its namespace through. The bus thread
    // changes it when the namespace's representative path changes (another
    // holder process); the worker reads it at each (re)open.
    void set_open_path(std::string path)
    {
        const std::lock_guard lock(path_mutex_);
        open_path_ = std::move(path);
    }
    [[nodiscard]] std::string open_path() const
    {
        const std::lock_guard lock(path_mutex_);
        return open_path_;
    }

    // A namespace fd the bus thread already opened (a process-held or
    // watched namespace: its /proc path may vanish before the worker runs,
    // and opening it pins no mount). Taken by the worker's first open.
    void set_opened(UniqueFd fd)
    {
        const std::lock_guard lock(path_mutex_);
        opened_ = std::move(fd);
    }
    [[nodiscard]] UniqueFd take_opened()
    {
        const std::lock_guard lock(path_mutex_);
        return std::move(opened_);
    }

    SpscRing<WorkerMessage> ring;
    // Wakes the worker thread (attached to it for the thread's life): on
    // stop, and by the bus thread when it freed room in a ring whose producer
    // is waiting for room. No fd: see ThreadWake.
    ThreadWake worker_wake;
    // Set by the worker when the ring was full; the bus thread clears it and
    // wakes the worker after popping. Fences on both sides: no lost wake-up.
    std::atomic<bool> producer_waiting{false};
    // Events the worker could not queue (each one later repaired by a resync).
    std::atomic<std::uint64_t> dropped{0};
    // Netlink receive buffer overruns (ENOBUFS: the kernel dropped
    // notifications; each one repaired by a re-dump). Worker writes, relaxed.
    std::atomic<std::uint64_t> overruns{0};
    // The most messages the ring has held since it was made, as the producer
    // saw it after a push (WorkerOutbox). Worker writes, relaxed; only grows.
    std::atomic<std::size_t> queue_high_water{0};
    // The namespace's cookie (SO_NETNS_COOKIE), stored by the worker before it
    // pushes its first snapshot: the ring's release/acquire publishes it.
    std::atomic<std::uint64_t> cookie{0};

    // The ready-list (EventHub::notify(WorkerChannel&), take_ready): true
    // from the producer's listing of this channel until the bus thread
    // clears it, just before it drains the ring. While true the channel is
    // linked in the hub's stack or held by the bus thread, and no producer
    // links it again; so it is listed at most once, and the bus thread looks
    // only at rings that have data instead of every ring at each wake-up.
    std::atomic<bool> ready{false};
    // The next channel in the hub's stack: written by the producer that
    // links this channel, before the CAS that publishes it; read by the bus
    // thread after take_ready() (acquire). Nobody else touches it.
    WorkerChannel* ready_next = nullptr;

    // Bus thread, after popping: wake a producer that waits for room.
    void after_pop() noexcept
    {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (producer_waiting.load(std::memory_order_relaxed) && producer_waiting.exchange(false)) {
            worker_wake.wake();
        }
    }

private:
    mutable std::mutex path_mutex_;
    std::string open_path_;
    UniqueFd opened_;
};

} // namespace nswatch
