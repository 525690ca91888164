#include "util/event_loop.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace nswatch {

FdWatch& FdWatch::operator=(FdWatch&& other) noexcept
{
    std::swap(loop_, other.loop_);
    std::swap(id_, other.id_);
    other.reset(); // what this held (nothing after a self-move)
    return *this;
}

void FdWatch::set_events(short events) noexcept
{
    if (loop_ != nullptr) {
        loop_->set_events(id_, events);
    }
}

void FdWatch::reset() noexcept
{
    if (loop_ != nullptr) {
        std::exchange(loop_, nullptr)->remove(id_);
    }
}

void Timer::set(std::chrono::nanoseconds value, std::chrono::nanoseconds interval)
{
    using std::chrono::seconds;
    const auto ts = [](std::chrono::nanoseconds ns) {
        return timespec{static_cast<time_t>(ns / seconds(1)), static_cast<long>((ns % seconds(1)).count())};
    };
    const itimerspec spec{ts(interval), ts(value)};
    // Setting the timer also resets the count of unread expirations.
    if (::timerfd_settime(fd_.get(), 0, &spec, nullptr) < 0) {
        throw std::system_error(errno, std::generic_category(), "timerfd_settime");
    }
    watch_.set_events(value.count() != 0 ? POLLIN : 0);
}

void Timer::arm_after(std::chrono::milliseconds delay)
{
    // A zero it_value would disarm: "now" is the smallest positive delay.
    set(std::max<std::chrono::nanoseconds>(delay, std::chrono::nanoseconds(1)), {});
}

void Timer::arm_every(std::chrono::milliseconds period)
{
    if (period.count() <= 0) {
        throw std::invalid_argument("Timer::arm_every: period must be positive");
    }
    set(period, period);
}

void Timer::disarm()
{
    set({}, {});
}

bool Timer::armed() const
{
    itimerspec spec{}; // gettime cannot fail on our own valid timerfd
    return fd_ && ::timerfd_gettime(fd_.get(), &spec) == 0 && (spec.it_value.tv_sec != 0 || spec.it_value.tv_nsec != 0);
}

FdWatch EventLoop::watch_fd(int fd, short events, std::function<void(short revents)> callback)
{
    const std::uint64_t id = next_id_++;
    entries_.emplace(id, std::make_shared<Entry>(Entry{fd, events, 0, std::move(callback)}));
    dirty_ = true;
    return FdWatch(this, id);
}

Timer EventLoop::add_timer(std::function<void()> callback)
{
    UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!fd) {
        throw std::system_error(errno, std::generic_category(), "timerfd_create");
    }
    // The lambda holds the fd number, not the Timer: the Timer may move, the
    // number does not change while the watch exists.
    const int raw = fd.get();
    auto watch = watch_fd(raw, 0, [raw, callback = std::move(callback)](short) {
        std::uint64_t expirations = 0;
        // EAGAIN: re-armed or disarmed after poll() saw the expiry.
        if (::read(raw, &expirations, sizeof expirations) == sizeof expirations && expirations != 0) {
            callback();
        }
    });
    return Timer(std::move(fd), std::move(watch));
}

void EventLoop::remove(std::uint64_t id) noexcept
{
    if (entries_.erase(id) != 0) {
        dirty_ = true;
    }
}

void EventLoop::set_events(std::uint64_t id, short events) noexcept
{
    const auto it = entries_.find(id);
    if (it == entries_.end() || it->second->events == events) {
        return;
    }
    Entry& entry = *it->second;
    entry.events = events;
    if (!dirty_) {
        // Patched in place: the sd-bus fd changes its events every round.
        // Safe during dispatch, which reads only revents.
        pollfds_[entry.slot].fd = events != 0 ? entry.fd : -1;
        pollfds_[entry.slot].events = events;
    }
}

void EventLoop::rebuild()
{
    pollfds_.clear();
    ids_.clear();
    for (const auto& [id, entry] : entries_) {
        entry->slot = pollfds_.size();
        // poll() ignores negative fds: a paused watch costs no wake-up.
        pollfds_.push_back(pollfd{entry->events != 0 ? entry->fd : -1, entry->events, 0});
        ids_.push_back(id);
    }
    dirty_ = false;
}

void EventLoop::run_once(int timeout_ms)
{
    if (dispatching_) {
        throw std::logic_error("EventLoop::run_once called from a callback");
    }
    if (dirty_) {
        rebuild();
    }
    const int ready = ::poll(pollfds_.data(), pollfds_.size(), timeout_ms);
    if (ready <= 0) {
        if (ready < 0 && errno != EINTR) {
            throw std::system_error(errno, std::generic_category(), "poll");
        }
        return; // timeout, or a signal: the caller loops anyway
    }

    dispatching_ = true;
    struct Lower {
        bool& flag;
        ~Lower() { flag = false; } // also when a callback throws
    } lower{dispatching_};
    // pollfds_ and ids_ are not resized until the next run_once(); callbacks
    // only change the map, so each slot is looked up again before its call.
    for (std::size_t i = 0; i < pollfds_.size(); ++i) {
        if (pollfds_[i].revents == 0) {
            continue;
        }
        const auto it = entries_.find(ids_[i]);
        if (it == entries_.end()) {
            continue; // removed earlier in this dispatch
        }
        const std::shared_ptr<Entry> entry = it->second; // outlives its own removal
        // Events changed earlier in this dispatch count: paused is not called.
        const auto revents = static_cast<short>(pollfds_[i].revents & (entry->events | POLLERR | POLLHUP | POLLNVAL));
        if (entry->events != 0 && revents != 0) {
            entry->callback(revents);
        }
    }
}

} // namespace nswatch
