#pragma once
// Joins stopped workers off the bus thread.
//
// Why: a worker that is mid-dump needs a moment to notice its stop request,
// and the bus thread must never wait for that (it would delay every D-Bus
// reply and every other namespace's events). The registry hands a removed
// namespace's worker here; this thread destroys it (request stop, join,
// close the socket), in order.
//
// Ownership: owns the workers handed to it until they are joined; its
// destructor joins whatever is left, so it must be destroyed before anything
// the workers use (the EventHub, their channels are shared_ptrs they hold).
// Threading: dispose() from the bus thread; one reaper thread of its own,
// which sleeps on a condition variable (no periodic wake-up).
#include "netlink/namespace_worker.hpp"

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace nswatch {

class WorkerReaper {
public:
    WorkerReaper();
    WorkerReaper(const WorkerReaper&) = delete;
    WorkerReaper& operator=(const WorkerReaper&) = delete;
    ~WorkerReaper();

    // Never blocks on the worker.
    void dispose(std::unique_ptr<NamespaceWorker> worker);

    // Blocks until every worker handed over so far is joined (shutdown, tests).
    void drain();

private:
    void run(const std::stop_token& stop);

    std::mutex mutex_;
    std::condition_variable_any wake_;
    std::condition_variable idle_;
    std::deque<std::unique_ptr<NamespaceWorker>> pending_;
    bool busy_ = false;
    std::jthread thread_; // last: started after, and stopped before, the rest
};

} // namespace nswatch
