#pragma once
// A single-threaded poll() loop that components register with, instead of
// filling numbered slots of one pollfd array.
//
// Threading: one thread owns the loop and uses it and its handles; nothing
// here is thread-safe. Other threads wake it through a watched fd (EventFd).
// Ownership: the loop holds the registrations; each is owned by one RAII
// handle (FdWatch, Timer) whose destruction or reset() removes it. Watched
// fds are not owned. Handles must go before their loop.
// Callbacks may add, remove and change registrations (their own included): a
// removed one is not called later in the same dispatch, an added one first in
// the next run_once(). run_once() must not be called from a callback.
#include "util/unique_fd.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include <poll.h>

namespace nswatch {

class EventLoop;

// Handle of one fd registration. Move-only (copies are implicitly deleted);
// empty when default-constructed, moved from or reset.
class FdWatch {
public:
    FdWatch() = default;
    FdWatch(FdWatch&& other) noexcept : loop_(std::exchange(other.loop_, nullptr)), id_(other.id_) {}
    FdWatch& operator=(FdWatch&& other) noexcept;
    ~FdWatch() { reset(); }

    // Events to poll for (POLLIN, POLLOUT, POLLPRI…). 0 pauses the watch: the
    // fd is left out of poll(), so not even POLLERR/POLLHUP wake the loop.
    void set_events(short events) noexcept;
    void reset() noexcept;
    [[nodiscard]] bool active() const noexcept { return loop_ != nullptr; }

private:
    friend class EventLoop;
    FdWatch(EventLoop* loop, std::uint64_t id) noexcept : loop_(loop), id_(id) {}

    EventLoop* loop_ = nullptr;
    std::uint64_t id_ = 0;
};

// A CLOCK_MONOTONIC timerfd watched by the loop; owns the timerfd. Move-only
// (member-wise). Created disarmed; a disarmed timer is left out of poll()
// (no wake-up). The callback runs once per batch of expirations read.
class Timer {
public:
    Timer() = default;

    // One-shot, after `delay` (<= 0: at the next run_once). Replaces any
    // earlier arming and drops expirations not yet dispatched.
    void arm_after(std::chrono::milliseconds delay);
    // Periodic: first after `period`, then every `period` (> 0, or throws
    // std::invalid_argument).
    void arm_every(std::chrono::milliseconds period);
    void disarm();
    // Whether an expiry is still to come (a fired one-shot is not armed).
    [[nodiscard]] bool armed() const;

private:
    friend class EventLoop;
    Timer(UniqueFd fd, FdWatch watch) noexcept : fd_(std::move(fd)), watch_(std::move(watch)) {}
    void set(std::chrono::nanoseconds value, std::chrono::nanoseconds interval);

    UniqueFd fd_;   // declared first: closed after watch_ is removed
    FdWatch watch_; // events 0 while disarmed
};

class EventLoop {
public:
    EventLoop() = default;
    EventLoop(const EventLoop&) = delete; // handles point at the loop
    EventLoop& operator=(const EventLoop&) = delete;

    // Calls `callback(revents)` from run_once() whenever poll() reports fd
    // ready for `events` (or POLLERR/POLLHUP/POLLNVAL). fd is not owned and
    // must stay open while the watch is active and its events non-zero.
    [[nodiscard]] FdWatch watch_fd(int fd, short events, std::function<void(short revents)> callback);
    // A disarmed timer whose expirations call `callback` from run_once().
    [[nodiscard]] Timer add_timer(std::function<void()> callback);

    // One poll() over the live registrations (up to timeout_ms; -1 forever),
    // then the callbacks of the ready ones, in registration order. EINTR
    // returns without dispatching; other poll errors throw std::system_error.
    // Exceptions from callbacks propagate (the rest of the round is skipped).
    void run_once(int timeout_ms);

    // Live registrations (paused watches and disarmed timers included).
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

private:
    friend class FdWatch;

    struct Entry {
        int fd;
        short events;
        std::size_t slot; // index in pollfds_, valid while !dirty_
        std::function<void(short)> callback;
    };

    void remove(std::uint64_t id) noexcept;
    void set_events(std::uint64_t id, short events) noexcept;
    void rebuild();

    // Shared so that a callback running while its watch is removed (by
    // itself or by a callback it calls) stays alive until it returns.
    std::map<std::uint64_t, std::shared_ptr<Entry>> entries_;
    std::uint64_t next_id_ = 1; // never reused: a stale id finds nothing
    // The poll array and the id of each slot; rebuilt only after
    // registrations were added or removed (dirty_), never during dispatch.
    std::vector<pollfd> pollfds_;
    std::vector<std::uint64_t> ids_;
    bool dirty_ = false;
    bool dispatching_ = false;
};

} // namespace nswatch
