#include "netlink/netlink_session.hpp"

#include "netlink/route_parser.hpp"
#include "util/stack_trim.hpp"

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <poll.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

namespace nswatch {

namespace {

// Coalescing under a burst. An event read while the last release is older
// than kCoalesce goes out at once (idle: no added latency). Within kCoalesce
// of a release, events are held and go out together when it ends (or at
// kMaxHeld, when a read while the socket is watched — during a dump — ends
// with that many; a window's unwatched backlog is read whole and released
// at once, however many): the bus thread then wakes once and sends one
// Events signal for all of them instead of one per event or two. Each
// signal costs dbus-daemon (which routes per message) and both of our
// threads far more than one more event in it does. A burst's events wait at
// most kCoalesce (rounded up to poll's millisecond).
constexpr auto kCoalesce = std::chrono::milliseconds(1);
constexpr std::size_t kMaxHeld = 256;

} // namespace

void NetlinkSession::CallbackFree::operator()(nl_cb* cb) const noexcept
{
    nl_cb_put(cb);
}

NetlinkSession::NetlinkSession(const std::string& name, NetlinkSocket socket, NamespaceTracker& tracker,
                               WorkerOutbox& outbox)
    : name_(name), socket_(std::move(socket)), tracker_(tracker), outbox_(outbox), cb_(socket_.callbacks())
{
    // Notifications (seq 0) interleave with dump replies: no sequence check.
    nl_cb_set(cb_.get(), NL_CB_SEQ_CHECK, NL_CB_CUSTOM, &NetlinkSession::accept, nullptr);
    nl_cb_set(cb_.get(), NL_CB_VALID, NL_CB_CUSTOM, &NetlinkSession::on_valid, this);
    nl_cb_set(cb_.get(), NL_CB_FINISH, NL_CB_CUSTOM, &NetlinkSession::on_finish, this);
    nl_cb_err(cb_.get(), NL_CB_CUSTOM, &NetlinkSession::on_error, this);
}

NetlinkSession::~NetlinkSession() = default;

void NetlinkSession::run(const std::stop_token& stop, const ThreadWake& wake, ResyncReason first_reason)
{
    stop_ = stop;
    scheduler_.want_full(first_reason);
    act();
    pollfd socket{socket_.fd(), POLLIN, 0};
    int timeout_ms = -1; // no wake-up unless events are held
    StackTrim stack;
    while (!stop_.stop_requested()) {
        if (timeout_ms < 0 && scheduler_.idle()) {
            stack.trim(); // no request out, nothing held: idle, maybe for hours
        }
        // Within a coalescing window (events held) and with no dump step to
        // send, the socket is not watched: what arrives meanwhile is read
        // in one go when the window ends. Under a burst the worker then
        // wakes once a window, not once or twice per notification (each
        // wake-up was a context switch: ~40 % of the worker's CPU).
        const bool read_at_window_end = timeout_ms >= 0 && scheduler_.idle();
        const int ready = wake.wait(&socket, read_at_window_end ? 0 : 1, timeout_ms);
        if (ready < 0) {
            if (errno != EINTR) {
                throw std::system_error(errno, std::generic_category(), "ppoll");
            }
            // Woken (stop, or room in the ring); a signal is all it says.
            release(); // before the backlog: the outbox keeps their order
            outbox_.flush([this] { return tracker_.dumping() ? nullptr : tracker_.snapshot(); });
        } else if (ready == 0) { // the coalescing window ended
            if (read_at_window_end) {
                receive();
            }
            release();
        } else if (socket.revents != 0) {
            receive();
        }
        timeout_ms = release_or_wait_ms();
    }
}

void NetlinkSession::hold(ObjectEvent event)
{
    held_.push_back(std::move(event));
}

void NetlinkSession::release()
{
    if (held_.empty()) {
        return;
    }
    for (auto& event : held_) {
        outbox_.event(std::move(event));
    }
    // Not clear(): the capacity a burst grew (a window's events, ~200 bytes
    // each) would stay with every namespace that ever had one.
    std::vector<ObjectEvent>().swap(held_);
    last_release_ = std::chrono::steady_clock::now();
}

int NetlinkSession::release_or_wait_ms()
{
    if (held_.empty()) {
        return -1;
    }
    const auto now = std::chrono::steady_clock::now();
    const auto due = last_release_ + kCoalesce;
    if (now >= due || held_.size() >= kMaxHeld) {
        release();
        return -1;
    }
    // Rounded up: poll's unit is the millisecond.
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(due - now);
    return static_cast<int>(std::max<std::chrono::milliseconds::rep>(wait.count(), 1));
}

int NetlinkSession::accept(nl_msg* /*msg*/, void* /*arg*/) noexcept
{
    return NL_OK;
}

// Keeps an exception out of libnl's C frames: receive() rethrows it.
int NetlinkSession::stop_libnl(std::exception_ptr failure) noexcept
{
    if (!failure_) {
        failure_ = std::move(failure);
    }
    return NL_STOP;
}

int NetlinkSession::on_valid(nl_msg* msg, void* arg) noexcept
{
    auto* self = static_cast<NetlinkSession*>(arg);
    if (self->stop_.stop_requested()) {
        return NL_STOP; // the rest is of no use to anyone: the socket closes
    }
    try {
        self->apply(msg);
        return NL_OK;
    } catch (...) { // parsing, the tracker and the outbox allocate
        return self->stop_libnl(std::current_exception());
    }
}

void NetlinkSession::apply(nl_msg* msg)
{
    const nlmsghdr* hdr = nlmsg_hdr(msg);
    spdlog::trace("[{}] netlink message type {}", name_, hdr->nlmsg_type);
    if ((hdr->nlmsg_flags & NLM_F_DUMP_INTR) != 0) {
        scheduler_.on_interrupted();
    }
    // Notifications carry the seq and port of the request that caused them;
    // a reply to our dump carries ours.
    const bool from_dump = scheduler_.is_reply(hdr->nlmsg_seq) && hdr->nlmsg_pid == socket_.local_port();
    if (auto update = parse_route_message(msg)) {
        auto result = tracker_.apply(*update, from_dump, realtime_usec());
        for (auto& event : result.events) {
            hold(std::move(event));
        }
        if (!result.refresh.empty()) {
            scheduler_.want_refresh(result.refresh);
        }
    }
}

int NetlinkSession::on_finish(nl_msg* msg, void* arg) noexcept
{
    auto* self = static_cast<NetlinkSession*>(arg);
    self->scheduler_.on_reply_done(nlmsg_hdr(msg)->nlmsg_seq);
    return NL_STOP; // the scheduler may want to send the next request
}

int NetlinkSession::on_error(sockaddr_nl* /*who*/, nlmsgerr* error, void* arg) noexcept
{
    auto* self = static_cast<NetlinkSession*>(arg);
    try { // nothing may leave a callback, not even from logging (spdlog rethrows some errors)
        switch (self->scheduler_.on_reply_error(error->msg.nlmsg_seq, error->error)) {
        case ReplyError::Delayed: spdlog::debug("[{}] dump delayed by a full receive buffer", self->name_); break;
        case ReplyError::Busy:
            spdlog::warn("[{}] dump request refused while another runs; retrying after it", self->name_);
            break;
        case ReplyError::Refused:
            spdlog::debug("[{}] dump request refused: {}", self->name_, std::strerror(-error->error));
            break;
        case ReplyError::NotOurs:
            spdlog::warn("[{}] unexpected netlink error: {}", self->name_, std::strerror(-error->error));
            break;
        }
    } catch (...) {
        return self->stop_libnl(std::current_exception());
    }
    return NL_SKIP; // NL_STOP would make nl_recvmsgs fail with this error
}

void NetlinkSession::act()
{
    while (auto action = scheduler_.next(tracker_.found())) {
        switch (action->kind) {
        case DumpAction::Kind::BeginFull:
            tracker_.abort_refresh(); // a full view covers it
            tracker_.begin_dump();    // a fresh table, whatever the last one held
            break;
        case DumpAction::Kind::BeginRefresh: tracker_.begin_refresh(std::move(action->scope)); break;
        case DumpAction::Kind::Send: {
            const auto& r = action->request;
            scheduler_.sent(socket_.request_dump(r.type, r.ifindex, r.parent));
            break;
        }
        case DumpAction::Kind::EndFull: {
            auto state = tracker_.end_dump();
            release(); // the events before the snapshot go before it
            outbox_.repair_covered();
            spdlog::debug("[{}] dump complete: {} objects ({})", name_, state->size(),
                          static_cast<int>(action->reason));
            outbox_.snapshot(std::move(state), action->reason);
            socket_.dump_completed();
            break;
        }
        case DumpAction::Kind::EndRefresh:
            for (auto& event : tracker_.end_refresh(realtime_usec())) {
                hold(std::move(event));
            }
            break;
        }
    }
}

// Each pass reads until libnl stops: at the DONE of a dump step (so the
// next request goes out), when a callback failed or stop was requested, or
// when the socket is drained.
void NetlinkSession::receive()
{
    while (!stop_.stop_requested()) {
        const int rc = socket_.receive(cb_.get());
        if (failure_) {
            std::rethrow_exception(std::exchange(failure_, nullptr));
        }
        if (rc == -NLE_NOMEM) { // ENOBUFS: the kernel dropped notifications
            spdlog::info("[{}] netlink receive buffer overrun: re-reading the kernel state", name_);
            outbox_.count_overrun();
            scheduler_.on_overrun();
        } else if (rc == -NLE_DUMP_INTR) { // also seen per message: the scheduler knows
            spdlog::debug("[{}] dump interrupted; reading it again", name_);
        } else if (rc < 0 && rc != -NLE_AGAIN) {
            throw NetlinkError("receive", -rc);
        }
        if (stop_.stop_requested()) {
            return; // no new request: the socket closes
        }
        act();
        if (rc == 0 || rc == -NLE_AGAIN) {
            return; // drained (libnl 3.7 reports EAGAIN as -NLE_AGAIN)
        }
    }
}

} // namespace nswatch
