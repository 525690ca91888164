#include "daemon/worker_reaper.hpp"

#include <pthread.h>

namespace nswatch {

WorkerReaper::WorkerReaper() : thread_([this](const std::stop_token& stop) { run(stop); }) {}

WorkerReaper::~WorkerReaper()
{
    thread_.request_stop();
    thread_.join();
    pending_.clear(); // anything handed over after the thread stopped: joined here
}

void WorkerReaper::dispose(std::unique_ptr<NamespaceWorker> worker)
{
    {
        const std::lock_guard lock(mutex_);
        pending_.push_back(std::move(worker));
    }
    wake_.notify_one();
}

void WorkerReaper::drain()
{
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return pending_.empty() && !busy_; });
}

void WorkerReaper::run(const std::stop_token& stop)
{
    ::pthread_setname_np(::pthread_self(), "nsw-reaper");
    std::unique_lock lock(mutex_);
    for (;;) {
        wake_.wait(lock, stop, [this] { return !pending_.empty(); });
        if (pending_.empty()) {
            return; // stop requested and nothing left
        }
        auto worker = std::move(pending_.front());
        pending_.pop_front();
        busy_ = true;
        lock.unlock();
        worker.reset(); // request stop, join: its socket is closed now
        lock.lock();
        busy_ = false;
        if (pending_.empty()) {
            idle_.notify_all();
        }
    }
}

} // namespace nswatch
