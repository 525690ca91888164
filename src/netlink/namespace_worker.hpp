#pragma once
// One thread per monitored network namespace.
//
// Ownership: the worker owns its netlink socket (made inside the namespace)
// and its tracker; it shares a WorkerChannel with the bus thread. It opens
// the namespace file only to make the socket and closes it right after: an
// open file would pin the mount (a plain umount of /run/netns/X would fail
// with EBUSY). Destroying the worker requests stop, wakes its thread and
// joins: the socket is closed before the destructor returns, so nothing of
// the daemon keeps a deleted namespace alive.
//
// Failure: a socket error is reported as WorkerStatus{healthy=false}; the
// worker retries with exponential backoff and, once back, sends a complete
// snapshot ("restart") so clients get what changed meanwhile.
#include "events/event_hub.hpp"
#include "events/worker_channel.hpp"
#include "netlink/netlink_socket.hpp"
#include "netns/namespace_identity.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace nswatch {

struct WorkerOptions {
    NetlinkOptions netlink;
    std::chrono::milliseconds backoff_initial{100};
    std::chrono::milliseconds backoff_max{30'000};
    // Test hook (NSWATCH_TEST_FAIL_NAMESPACE): the socket that takes the
    // initial snapshot fails once, at the first read after it (see
    // NetlinkOptions::fail_after_first_dump).
    bool inject_failure_once = false;
};

class NamespaceWorker {
public:
    NamespaceWorker(NamespaceIdentity identity, std::shared_ptr<WorkerChannel> channel, EventHub& hub,
                    WorkerOptions options);
    NamespaceWorker(const NamespaceWorker&) = delete;
    NamespaceWorker& operator=(const NamespaceWorker&) = delete;
    ~NamespaceWorker();

private:
    void run(const std::stop_token& stop);
    [[nodiscard]] NetlinkSocket open_socket(bool initial) const;

    NamespaceIdentity identity_;
    std::shared_ptr<WorkerChannel> channel_;
    EventHub& hub_;
    WorkerOptions options_;
    std::jthread thread_; // last: started after, and joined before, the rest
};

} // namespace nswatch
