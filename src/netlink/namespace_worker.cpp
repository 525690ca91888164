#include "netlink/namespace_worker.hpp"

#include "netlink/namespace_tracker.hpp"
#include "netlink/netlink_session.hpp"
#include "netlink/worker_outbox.hpp"
#include "netns/nsfs.hpp"

#include <poll.h>
#include <pthread.h>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace nswatch {

namespace {

// A session that lived this long restarts the backoff from its initial delay;
// one that fails sooner keeps doubling it, so a persistent fault never spins.
constexpr auto kHealthyFor = std::chrono::seconds(60);

// Waits for `delay` or stop, keeping the outbox flowing meanwhile.
void backoff_wait(const std::stop_token& stop, const EventFd& bell, WorkerOutbox& outbox,
                  std::chrono::milliseconds delay)
{
    const auto deadline = std::chrono::steady_clock::now() + delay;
    pollfd fd{bell.fd(), POLLIN, 0};
    while (!stop.stop_requested()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return;
        }
        if (::poll(&fd, 1, static_cast<int>(left.count())) > 0) {
            bell.drain();
            outbox.flush(nullptr);
        }
    }
}

} // namespace

NamespaceWorker::NamespaceWorker(NamespaceIdentity identity, std::shared_ptr<WorkerChannel> channel, EventHub& hub,
                                 WorkerOptions options)
    : identity_(std::move(identity)), channel_(std::move(channel)), hub_(hub),
      options_(options), thread_([this](const std::stop_token& stop) { run(stop); })
{
}

NamespaceWorker::~NamespaceWorker()
{
    thread_.request_stop(); // the stop_callback in run() rings the bell
    thread_.join();
}

NetlinkSocket NamespaceWorker::open_socket() const
{
    const auto ns = open_net_namespace(identity_.path);
    if (ns.inode != identity_.inode) {
        // The path now leads elsewhere; the watcher will replace this worker.
        throw NamespaceFileError(identity_.path + " no longer holds namespace " + std::to_string(identity_.inode));
    }
    return NetlinkSocket::open_in_namespace(ns.fd.get(), options_.netlink);
} // the namespace fd closes here: only the socket remains

void NamespaceWorker::run(const std::stop_token& stop)
{
    std::stop_callback wake(stop, [this] { channel_->worker_bell.signal(); });
    // "nsw:<name>" (15 characters at most) shows in top -H, ps -L and gdb.
    ::pthread_setname_np(::pthread_self(), ("nsw:" + identity_.name).substr(0, 15).c_str());
    NamespaceTracker tracker;
    WorkerOutbox outbox(*channel_, hub_);
    auto delay = options_.backoff_initial;
    bool inject_failure = options_.inject_failure_once;
    while (!stop.stop_requested()) {
        const auto dumps_before = tracker.dumps_completed();
        const auto started = std::chrono::steady_clock::now();
        try {
            NetlinkSession session(identity_.name, open_socket(), tracker, outbox, inject_failure);
            // After a failure the first dump is diffed against what clients saw.
            session.run(stop, channel_->worker_bell, dumps_before > 0 ? "restart" : "");
            return; // stopped
        } catch (const std::exception& e) {
            tracker.abort_dump();
            if (std::chrono::steady_clock::now() - started >= kHealthyFor) {
                delay = options_.backoff_initial; // it worked for a while: start the backoff over
            }
            spdlog::error("[{}] netlink failed: {}; retrying in {} ms", identity_.name, e.what(), delay.count());
            outbox.status(WorkerStatus{false, e.what()});
        }
        backoff_wait(stop, channel_->worker_bell, outbox, delay);
        delay = std::min(delay * 2, options_.backoff_max);
    }
}

} // namespace nswatch
