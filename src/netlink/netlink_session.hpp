#pragma once
// One netlink socket's life inside a worker: the initial (or restart) dump,
// then notifications, scoped refreshes and, after an overrun, full re-dumps.
// DumpScheduler decides which request goes out when; the session reads the
// socket, feeds the tracker and the outbox, and carries out its decisions.
//
// Threading: the worker thread only. run() returns when stop is requested
// and throws (NetlinkError, std::system_error) when the socket fails. Stop is
// observed between messages, in the middle of a dump too: removing a
// namespace joins its worker, and during a dump the socket is never drained
// (the kernel refills it as it is read, and each step's DONE is followed by
// the next step's request), so a check only between reads would wait for
// the whole dump.
//
// libnl calls the callbacks from C frames (nl_recvmsgs_report), which an
// exception must never unwind through. So the callbacks are noexcept and only
// record facts (in the tracker, the outbox and the scheduler); whatever those
// throw is caught, libnl is told to stop, and receive() rethrows it once
// libnl has returned. Requests are sent only then, never from a callback.
#include "netlink/dump_scheduler.hpp"
#include "netlink/namespace_tracker.hpp"
#include "netlink/netlink_socket.hpp"
#include "netlink/worker_outbox.hpp"
#include "util/thread_wake.hpp"

#include <chrono>
#include <exception>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

struct nl_cb;
struct nl_msg;
struct nlmsgerr;
struct sockaddr_nl;

namespace nswatch {

class NetlinkSession {
public:
    NetlinkSession(const std::string& name, NetlinkSocket socket, NamespaceTracker& tracker, WorkerOutbox& outbox);
    NetlinkSession(const NetlinkSession&) = delete;
    NetlinkSession& operator=(const NetlinkSession&) = delete;
    ~NetlinkSession();

    // `first_reason`: Initial for the first dump, Restart after a failure.
    // `wake` is the worker's, attached to this thread: run() waits in it.
    void run(const std::stop_token& stop, const ThreadWake& wake, ResyncReason first_reason);

private:
    // libnl callbacks: noexcept, see above.
    static int on_valid(nl_msg* msg, void* arg) noexcept;
    static int on_finish(nl_msg* msg, void* arg) noexcept;
    static int on_error(sockaddr_nl* who, nlmsgerr* error, void* arg) noexcept;
    static int accept(nl_msg* msg, void* arg) noexcept;
    int stop_libnl(std::exception_ptr failure) noexcept;

    void apply(nl_msg* msg); // a link or tc message, ours or a notification
    void act();              // what the scheduler decided: may throw, never inside libnl
    void receive();
    // Events go out through hold(), and reach the outbox (the ring, so the
    // bus thread) at release(). See kCoalesce in the .cpp.
    void hold(ObjectEvent event);
    void release();
    // After a read: releases now, or returns how long poll may wait before
    // release() is due (-1: nothing held).
    int release_or_wait_ms();

    const std::string& name_;
    NetlinkSocket socket_;
    NamespaceTracker& tracker_;
    WorkerOutbox& outbox_;
    struct CallbackFree {
        void operator()(nl_cb* cb) const noexcept;
    };
    // The socket's own callback set (a reference; see
    // NetlinkSocket::callbacks()), pointing at this session: the socket never
    // leaves the session, so they go together.
    std::unique_ptr<nl_cb, CallbackFree> cb_;
    DumpScheduler scheduler_;
    std::exception_ptr failure_; // thrown inside a callback; receive() rethrows it
    std::stop_token stop_;       // run()'s: on_valid stops libnl when it is requested
    std::vector<ObjectEvent> held_;
    std::chrono::steady_clock::time_point last_release_{};
};

} // namespace nswatch
