#pragma once
// One netlink socket's life inside a worker: the initial (or restart) dump,
// then notifications, scoped refreshes and, after an overrun, full re-dumps.
//
// Threading: the worker thread only. run() returns when stop is requested
// and throws (NetlinkError, std::system_error) when the socket fails.
#include "events/refresh_scope.hpp"
#include "netlink/dump_plan.hpp"
#include "netlink/namespace_tracker.hpp"
#include "netlink/netlink_socket.hpp"
#include "netlink/worker_outbox.hpp"
#include "util/event_fd.hpp"

#include <deque>
#include <memory>
#include <stop_token>
#include <string>

struct nl_cb;
struct nl_msg;
struct nlmsgerr;
struct sockaddr_nl;

namespace nswatch {

class NetlinkSession {
public:
    NetlinkSession(const std::string& name, NetlinkSocket socket, NamespaceTracker& tracker, WorkerOutbox& outbox,
                   bool& inject_failure);
    NetlinkSession(const NetlinkSession&) = delete;
    NetlinkSession& operator=(const NetlinkSession&) = delete;
    ~NetlinkSession();

    // `first_reason`: Initial for the first dump, Restart after a failure.
    void run(const std::stop_token& stop, const EventFd& bell, ResyncReason first_reason);

private:
    enum class Job { None, Full, Refresh };

    static int on_valid(nl_msg* msg, void* arg);
    static int on_finish(nl_msg* msg, void* arg);
    static int on_error(sockaddr_nl* who, nlmsgerr* error, void* arg);
    static int accept(nl_msg* msg, void* arg);

    void start_full(ResyncReason reason);
    void start_refresh();
    void enter_phase(DumpPhase phase);
    void send_front();
    void finish_step();
    void finish_job();
    void start_next_job();
    void want_refresh(const RefreshScope& scope);
    void overrun();
    void receive();

    const std::string& name_;
    NetlinkSocket socket_;
    NamespaceTracker& tracker_;
    WorkerOutbox& outbox_;
    bool& inject_failure_;
    bool injected_ = false;
    struct CallbackFree {
        void operator()(nl_cb* cb) const noexcept;
    };
    std::unique_ptr<nl_cb, CallbackFree> cb_;

    Job job_ = Job::None;
    DumpPhase phase_ = DumpPhase::Done;
    std::deque<DumpRequest> requests_;
    std::uint32_t request_seq_ = 0; // seq of the dump request in flight
    bool step_done_ = false;
    bool resend_after_done_ = false; // our request met EBUSY: resend after the running dump's DONE
    bool resend_ = false;
    bool dump_interrupted_ = false;
    ResyncReason reason_ = ResyncReason::Initial; // of the running full dump
    bool full_pending_ = false;      // a full re-dump waits for the running step
    ResyncReason full_pending_reason_ = ResyncReason::Overrun;
    RefreshScope refresh_pending_;
};

} // namespace nswatch
