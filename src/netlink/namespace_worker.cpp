#include "netlink/namespace_worker.hpp"

#include "netlink/namespace_tracker.hpp"
#include "netlink/route_parser.hpp"
#include "netlink/worker_outbox.hpp"
#include "netns/nsfs.hpp"

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <poll.h>
#include <pthread.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <system_error>

namespace nswatch {

namespace {

// What one (re)dump asks for, in order. One dump at a time per socket.
constexpr std::array kDumpTypes = {RTM_GETLINK};

// A session that lived this long restarts the backoff from its initial delay;
// one that fails sooner keeps doubling it, so a persistent fault never spins.
constexpr auto kHealthyFor = std::chrono::seconds(60);

struct CallbackFree {
    void operator()(nl_cb* cb) const noexcept { nl_cb_put(cb); }
};

// One socket's life: dump, then follow notifications until stop (returns)
// or a socket error (throws). Worker thread only.
class Session {
public:
    Session(const std::string& name, NetlinkSocket socket, NamespaceTracker& tracker, WorkerOutbox& outbox,
            bool& inject_failure)
        : name_(name), socket_(std::move(socket)), tracker_(tracker), outbox_(outbox), inject_failure_(inject_failure),
          cb_(nl_cb_alloc(NL_CB_DEFAULT))
    {
        if (!cb_) {
            throw NetlinkError("nl_cb_alloc", NLE_NOMEM);
        }
        // Notifications (seq 0) interleave with dump replies: no sequence check.
        nl_cb_set(cb_.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, &Session::accept, nullptr);
        nl_cb_set(cb_.get(), NL_CB_VALID, NL_CB_CUSTOM, &Session::on_valid, this);
        nl_cb_set(cb_.get(), NL_CB_FINISH, NL_CB_CUSTOM, &Session::on_finish, this);
    }

    void run(const std::stop_token& stop, const EventFd& bell, std::string first_reason)
    {
        start_dump(std::move(first_reason));
        std::array<pollfd, 2> fds{{{socket_.fd(), POLLIN, 0}, {bell.fd(), POLLIN, 0}}};
        while (!stop.stop_requested()) {
            if (::poll(fds.data(), fds.size(), -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::system_error(errno, std::generic_category(), "poll");
            }
            if (fds[1].revents != 0) {
                bell.drain();
                outbox_.flush([this] { return tracker_.dumping() ? nullptr : tracker_.snapshot(); });
            }
            if (fds[0].revents != 0) {
                receive();
            }
        }
    }

private:
    static int accept(nl_msg* /*msg*/, void* /*arg*/) { return NL_OK; }

    static int on_valid(nl_msg* msg, void* arg)
    {
        auto* self = static_cast<Session*>(arg);
        if ((nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
            self->dump_interrupted_ = true;
        }
        spdlog::trace("[{}] netlink message type {}", self->name_, nlmsg_hdr(msg)->nlmsg_type);
        if (self->inject_failure_ && !self->tracker_.dumping() && self->tracker_.dumps_completed() > 0) {
            self->injected_ = true; // thrown in receive(): never through libnl's C frames
            return NL_STOP;
        }
        if (auto update = parse_route_message(msg)) {
            if (auto event = self->tracker_.apply(*update, realtime_usec())) {
                self->outbox_.event(std::move(*event));
            }
        }
        return NL_OK;
    }

    static int on_finish(nl_msg* /*msg*/, void* arg)
    {
        static_cast<Session*>(arg)->step_done_ = true;
        return NL_STOP;
    }

    void start_dump(std::string reason)
    {
        reason_ = std::move(reason);
        step_ = 0;
        dump_interrupted_ = false;
        redump_ = false;
        tracker_.begin_dump();
        socket_.request_dump(kDumpTypes[0]);
    }

    // A dump step's NLMSG_DONE arrived: next step, or the dump is complete.
    void finish_step()
    {
        step_done_ = false;
        if (dump_interrupted_ || redump_) {
            spdlog::debug("[{}] dump {}; dumping again", name_, dump_interrupted_ ? "interrupted" : "overrun");
            start_dump(redump_ ? "overrun" : reason_);
            return;
        }
        if (++step_ < kDumpTypes.size()) {
            socket_.request_dump(kDumpTypes[step_]);
            return;
        }
        auto state = tracker_.end_dump();
        outbox_.repair_covered();
        spdlog::debug("[{}] dump complete: {} objects ({})", name_, state->size(), reason_.empty() ? "initial" : reason_);
        outbox_.snapshot(std::move(state), reason_);
    }

    void overrun()
    {
        spdlog::info("[{}] netlink receive buffer overrun: re-reading the kernel state", name_);
        if (tracker_.dumping()) {
            redump_ = true; // one dump at a time: start over once this one ends
        } else {
            start_dump("overrun");
        }
    }

    // Reads until the socket is empty.
    void receive()
    {
        for (;;) {
            const int rc = nl_recvmsgs_report(socket_.get(), cb_.get());
            if (injected_) {
                inject_failure_ = false;
                throw NetlinkError("injected failure (NSWATCH_TEST_FAIL_NAMESPACE)", NLE_FAILURE);
            }
            if (step_done_) {
                finish_step();
            }
            if (rc > 0 || rc == -NLE_DUMP_INTR) {
                continue; // DUMP_INTR was seen per message and is handled at the step's end
            }
            if (rc == 0 || rc == -NLE_AGAIN) {
                return; // drained (libnl 3.7 reports EAGAIN as -NLE_AGAIN)
            }
            if (rc == -NLE_NOMEM) { // ENOBUFS: the kernel dropped notifications
                overrun();
                continue;
            }
            throw NetlinkError("receive", -rc);
        }
    }

    const std::string& name_;
    NetlinkSocket socket_;
    NamespaceTracker& tracker_;
    WorkerOutbox& outbox_;
    bool& inject_failure_;
    bool injected_ = false;
    std::unique_ptr<nl_cb, CallbackFree> cb_;
    std::string reason_;
    std::size_t step_ = 0;
    bool step_done_ = false;
    bool dump_interrupted_ = false;
    bool redump_ = false;
};

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
            Session session(identity_.name, open_socket(), tracker, outbox, inject_failure);
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
