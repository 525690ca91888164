#include "netlink/worker_outbox.hpp"

#include <atomic>
#include <cstddef>

namespace nswatch {

bool WorkerOutbox::push(WorkerMessage& message)
{
    if (channel_.ring.try_push(message)) {
        note_depth();
        hub_.notify(channel_);
        return true;
    }
    // Full: ask to be woken, then try once more in case the consumer drained
    // the ring between our attempt and the flag (pairs with after_pop).
    channel_.producer_waiting.store(true);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (channel_.ring.try_push(message)) {
        note_depth();
        hub_.notify(channel_);
        return true;
    }
    return false;
}

void WorkerOutbox::note_depth() noexcept
{
    // One load of the consumer's counter and one compare per push; the
    // shared high-water mark is written only when it grows (rarely, once
    // the ring has been as deep as it gets).
    const std::size_t depth = channel_.ring.size();
    if (depth > high_water_) {
        high_water_ = depth;
        channel_.queue_high_water.store(depth, std::memory_order_relaxed);
    }
}

void WorkerOutbox::event(ObjectEvent event)
{
    if (repair_owed_ || !backlog_.empty()) {
        channel_.dropped.fetch_add(1, std::memory_order_relaxed);
        repair_owed_ = true;
        return;
    }
    WorkerMessage message(std::move(event));
    if (!push(message)) {
        channel_.dropped.fetch_add(1, std::memory_order_relaxed);
        repair_owed_ = true;
    }
}

void WorkerOutbox::snapshot(std::shared_ptr<const NamespaceState> state, ResyncReason reason)
{
    WorkerMessage message(StateSnapshot{std::move(state), reason});
    if (!backlog_.empty() || !push(message)) {
        backlog_.push_back(std::move(message));
    }
}

void WorkerOutbox::status(WorkerStatus status)
{
    WorkerMessage message(std::move(status));
    if (!backlog_.empty() || !push(message)) {
        backlog_.push_back(std::move(message));
    }
}

void WorkerOutbox::flush(const std::function<std::shared_ptr<const NamespaceState>()>& make_snapshot)
{
    std::size_t sent = 0;
    while (sent < backlog_.size() && push(backlog_[sent])) {
        ++sent;
    }
    if (sent == backlog_.size()) {
        std::vector<WorkerMessage>().swap(backlog_); // no capacity kept while idle
    } else {
        backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<std::ptrdiff_t>(sent));
        return;
    }
    if (!repair_owed_ || !make_snapshot) {
        return;
    }
    auto state = make_snapshot();
    if (!state) {
        return; // no consistent view right now (a dump runs): its end repairs
    }
    WorkerMessage message(StateSnapshot{std::move(state), ResyncReason::QueueFull});
    if (push(message)) {
        repair_owed_ = false;
    }
}

} // namespace nswatch
