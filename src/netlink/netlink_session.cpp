#include "netlink/netlink_session.hpp"

#include "netlink/route_parser.hpp"

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <poll.h>

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace nswatch {

void NetlinkSession::CallbackFree::operator()(nl_cb* cb) const noexcept
{
    nl_cb_put(cb);
}

NetlinkSession::NetlinkSession(const std::string& name, NetlinkSocket socket, NamespaceTracker& tracker,
                               WorkerOutbox& outbox, bool& inject_failure)
    : name_(name), socket_(std::move(socket)), tracker_(tracker), outbox_(outbox), inject_failure_(inject_failure),
      cb_(nl_cb_alloc(NL_CB_DEFAULT))
{
    if (!cb_) {
        throw NetlinkError("nl_cb_alloc", NLE_NOMEM);
    }
    // Notifications (seq 0) interleave with dump replies: no sequence check.
    nl_cb_set(cb_.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, &NetlinkSession::accept, nullptr);
    nl_cb_set(cb_.get(), NL_CB_VALID, NL_CB_CUSTOM, &NetlinkSession::on_valid, this);
    nl_cb_set(cb_.get(), NL_CB_FINISH, NL_CB_CUSTOM, &NetlinkSession::on_finish, this);
    nl_cb_err(cb_.get(), NL_CB_CUSTOM, &NetlinkSession::on_error, this);
}

NetlinkSession::~NetlinkSession() = default;

void NetlinkSession::run(const std::stop_token& stop, const EventFd& bell, ResyncReason first_reason)
{
    start_full(first_reason);
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

int NetlinkSession::accept(nl_msg* /*msg*/, void* /*arg*/)
{
    return NL_OK;
}

int NetlinkSession::on_valid(nl_msg* msg, void* arg)
{
    auto* self = static_cast<NetlinkSession*>(arg);
    const nlmsghdr* hdr = nlmsg_hdr(msg);
    spdlog::trace("[{}] netlink message type {}", self->name_, hdr->nlmsg_type);
    if ((hdr->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
        self->dump_interrupted_ = true;
    }
    if (self->inject_failure_ && self->job_ == Job::None && self->tracker_.dumps_completed() > 0) {
        self->injected_ = true; // thrown in receive(): never through libnl's C frames
        return NL_STOP;
    }
    // Notifications carry the seq and port of the request that caused them;
    // a reply to our dump carries ours.
    const bool from_dump = self->request_seq_ != 0 && hdr->nlmsg_seq == self->request_seq_ &&
                           hdr->nlmsg_pid == self->socket_.local_port();
    if (auto update = parse_route_message(msg)) {
        auto result = self->tracker_.apply(*update, from_dump, realtime_usec());
        for (auto& event : result.events) {
            self->outbox_.event(std::move(event));
        }
        if (!result.refresh.empty()) {
            self->want_refresh(result.refresh);
        }
    }
    return NL_OK;
}

int NetlinkSession::on_finish(nl_msg* msg, void* arg)
{
    auto* self = static_cast<NetlinkSession*>(arg);
    if (nlmsg_hdr(msg)->nlmsg_seq == self->request_seq_) {
        self->step_done_ = true;
    } else if (self->resend_after_done_) {
        self->resend_after_done_ = false; // the dump that blocked ours is over
        self->resend_ = true;
    }
    return NL_STOP;
}

int NetlinkSession::on_error(sockaddr_nl* /*who*/, nlmsgerr* error, void* arg)
{
    auto* self = static_cast<NetlinkSession*>(arg);
    if (error->msg.nlmsg_seq == self->request_seq_) {
        if (error->error == -ENOBUFS) {
            // The dump started but its first part did not fit: the kernel
            // keeps it running and ends it with NLMSG_DONE as usual.
            spdlog::debug("[{}] dump delayed by a full receive buffer", self->name_);
        } else if (error->error == -EBUSY) {
            // Another dump of ours still runs: ask again once it is done.
            spdlog::warn("[{}] dump request refused while another runs; retrying after it", self->name_);
            self->resend_after_done_ = true;
        } else {
            // A dump the kernel refuses (e.g. the link just vanished) has nothing to add.
            spdlog::debug("[{}] dump request refused: {}", self->name_, std::strerror(-error->error));
            self->step_done_ = true;
        }
    } else {
        spdlog::warn("[{}] unexpected netlink error: {}", self->name_, std::strerror(-error->error));
    }
    return NL_SKIP; // NL_STOP would make nl_recvmsgs fail with this error
}

void NetlinkSession::start_full(ResyncReason reason)
{
    job_ = Job::Full;
    reason_ = reason;
    full_pending_ = false;
    dump_interrupted_ = false;
    refresh_pending_ = {}; // a full dump covers every refresh; new ones may follow it
    tracker_.abort_refresh();
    tracker_.begin_dump();
    enter_phase(first_phase(nullptr));
}

void NetlinkSession::start_refresh()
{
    job_ = Job::Refresh;
    dump_interrupted_ = false;
    tracker_.begin_refresh(std::exchange(refresh_pending_, {}));
    enter_phase(first_phase(tracker_.refresh_scope()));
}

void NetlinkSession::enter_phase(DumpPhase phase)
{
    for (; phase != DumpPhase::Done; phase = next_phase(phase)) {
        auto planned = plan_phase(phase, tracker_.found(), job_ == Job::Full ? nullptr : tracker_.refresh_scope());
        if (!planned.empty()) {
            phase_ = phase;
            requests_.assign(planned.begin(), planned.end());
            send_front();
            return;
        }
    }
    finish_job();
}

void NetlinkSession::send_front()
{
    const auto& r = requests_.front();
    request_seq_ = socket_.request_dump(r.type, r.ifindex, r.parent);
}

void NetlinkSession::finish_step()
{
    step_done_ = false;
    if (full_pending_) { // an overrun: whatever ran is now incomplete
        tracker_.abort_refresh();
        tracker_.abort_dump();
        start_full(full_pending_reason_);
        return;
    }
    if (dump_interrupted_) { // the kernel's data changed under the dump: read it again
        spdlog::debug("[{}] dump interrupted; dumping again", name_);
        if (job_ == Job::Full) {
            tracker_.abort_dump();
            start_full(reason_);
        } else {
            refresh_pending_.merge(*tracker_.refresh_scope());
            tracker_.abort_refresh();
            start_refresh();
        }
        return;
    }
    requests_.pop_front();
    if (!requests_.empty()) {
        send_front();
    } else {
        enter_phase(next_phase(phase_));
    }
}

void NetlinkSession::finish_job()
{
    const Job finished = std::exchange(job_, Job::None);
    request_seq_ = 0;
    if (finished == Job::Full) {
        auto state = tracker_.end_dump();
        outbox_.repair_covered();
        spdlog::debug("[{}] dump complete: {} objects ({})", name_, state->size(), static_cast<int>(reason_));
        outbox_.snapshot(std::move(state), reason_);
    } else if (finished == Job::Refresh) {
        for (auto& event : tracker_.end_refresh(realtime_usec())) {
            outbox_.event(std::move(event));
        }
    }
    start_next_job();
}

void NetlinkSession::start_next_job()
{
    if (full_pending_) {
        start_full(full_pending_reason_);
    } else if (!refresh_pending_.empty()) {
        start_refresh();
    }
}

void NetlinkSession::want_refresh(const RefreshScope& scope)
{
    refresh_pending_.merge(scope);
    if (job_ == Job::None) {
        start_refresh();
    }
}

void NetlinkSession::overrun()
{
    spdlog::info("[{}] netlink receive buffer overrun: re-reading the kernel state", name_);
    full_pending_ = true;
    full_pending_reason_ = ResyncReason::Overrun;
    if (job_ == Job::None) {
        start_full(ResyncReason::Overrun);
    } // else: one dump at a time; finish_step starts it over
}

void NetlinkSession::receive()
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
        if (resend_) {
            resend_ = false;
            send_front();
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

} // namespace nswatch
