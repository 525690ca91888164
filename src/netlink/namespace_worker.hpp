#pragma once
// One thread per monitored network namespace.
//
// Ownership: the worker owns a dup of the namespace fd, its netlink socket
// (made inside the namespace) and its tracker; it shares a WorkerChannel
// with the bus thread. Destroying the worker requests stop, rings its bell
// and joins: the socket is closed before the destructor returns, so nothing
// of the daemon pins a deleted namespace.
//
// Failure: a socket error is reported as WorkerStatus{healthy=false}; the
// worker retries with exponential backoff and, once back, sends a complete
// snapshot ("restart") so clients get what changed meanwhile.
#include "events/event_hub.hpp"
#include "events/worker_channel.hpp"
#include "netlink/netlink_socket.hpp"
#include "util/unique_fd.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace nswatch {

struct WorkerOptions {
    NetlinkOptions netlink;
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{30'000};
};

class NamespaceWorker {
public:
    NamespaceWorker(std::string name, UniqueFd netns_fd, std::shared_ptr<WorkerChannel> channel, EventHub& hub,
                    WorkerOptions options);
    NamespaceWorker(const NamespaceWorker&) = delete;
    NamespaceWorker& operator=(const NamespaceWorker&) = delete;
    ~NamespaceWorker();

private:
    void run(const std::stop_token& stop);

    std::string name_;
    UniqueFd netns_fd_;
    std::shared_ptr<WorkerChannel> channel_;
    EventHub& hub_;
    WorkerOptions options_;
    std::jthread thread_; // last: started after, and joined before, the rest
};

} // namespace nswatch
