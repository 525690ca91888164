#pragma once
// Which dump request a session sends next. Pure: no libnl, no I/O.
//
// The session's libnl callbacks only record facts here (a reply's DONE, an
// error to our request, NLM_F_DUMP_INTR, a notification asking for a
// refresh); the receive buffer overrun and the session's own wishes come in
// the same way. After libnl returns, the session asks next() what to do and
// does it (sending may throw: outside libnl's C frames, where it is safe).
//
// Jobs, one at a time (the kernel runs one dump per socket):
// - full: every phase of dump_plan into a fresh view, handed over whole;
// - refresh: a scoped re-read; the scopes asked for meanwhile are merged.
// A full job wins over refreshes and covers those asked for before it
// starts. An overrun or an interrupted dump (NLM_F_DUMP_INTR) takes effect at
// the end of the step in flight: a full job starts over, a refresh is merged
// into the next one. A request refused with EBUSY (a dump of ours still
// runs) is sent again after that dump's DONE.
//
// Threading: the worker thread only, like the session that owns it.
#include "events/event.hpp"
#include "events/namespace_state.hpp"
#include "events/refresh_scope.hpp"
#include "netlink/dump_plan.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace nswatch {

// One thing for the session to do, in the order next() returns them.
struct DumpAction {
    enum class Kind : std::uint8_t {
        BeginFull,    // drop any partial view; collect a fresh full one (reason)
        BeginRefresh, // start re-reading `scope`
        Send,         // send `request`, then report its seq with sent()
        EndFull,      // the full view is complete: hand it over (reason)
        EndRefresh,   // the refresh is complete: emit what changed in its scope
    };
    Kind kind = Kind::Send;
    ResyncReason reason = ResyncReason::Initial; // BeginFull, EndFull
    RefreshScope scope;                          // BeginRefresh
    DumpRequest request;                         // Send

    bool operator==(const DumpAction&) const = default;
};

// What an NLMSG_ERROR meant for the running dump (for the session's log).
enum class ReplyError : std::uint8_t {
    NotOurs, // not an answer to the request in flight
    Delayed, // ENOBUFS: the dump runs anyway and ends with DONE as usual
    Busy,    // EBUSY: sent again after the running dump's DONE
    Refused, // anything else: the request has nothing to add; the step is over
};

class DumpScheduler {
public:
    // Wishes. want_refresh merges sets, so it may throw std::bad_alloc.
    void want_full(ResyncReason reason) noexcept;
    void want_refresh(const RefreshScope& scope);

    // Facts, recorded from libnl callbacks or right after a receive.
    void on_reply_done(std::uint32_t seq) noexcept;                   // NLMSG_DONE (ours or not)
    ReplyError on_reply_error(std::uint32_t seq, int error) noexcept; // error: -errno, as in nlmsgerr
    void on_interrupted() noexcept;                                   // a message carried NLM_F_DUMP_INTR
    void on_overrun() noexcept;                                       // the kernel dropped notifications (ENOBUFS)

    // A message with this seq (and our port, which the session checks) is a
    // reply to the request in flight, not a notification.
    [[nodiscard]] bool is_reply(std::uint32_t seq) const noexcept { return seq_ != 0 && seq == seq_; }

    // The next thing to do, or nothing until the kernel answers. `found` is
    // what the running job collected so far (NamespaceTracker::found()): a
    // new phase is planned from it. Call until it returns nothing.
    std::optional<DumpAction> next(const NamespaceState& found);
    // The request of the last Send went out with this seq.
    void sent(std::uint32_t seq) noexcept { seq_ = seq; }

    [[nodiscard]] bool idle() const noexcept { return job_ == Job::None && !full_pending_ && refresh_pending_.empty(); }

private:
    enum class Job : std::uint8_t { None, Full, Refresh };
    enum class Stage : std::uint8_t {
        Plan,     // plan phase_ (or the next non-empty one) from what was found
        Send,     // send queue_[front_]
        Waiting,  // queue_[front_] is in flight
        Blocked,  // refused with EBUSY: wait for the running dump's DONE
        StepDone, // queue_[front_] was answered in full (or refused)
    };

    std::optional<DumpAction> start_job();
    DumpAction end_job();
    void step_done();
    void release_queue() noexcept;

    Job job_ = Job::None;
    Stage stage_ = Stage::Plan;
    DumpPhase phase_ = DumpPhase::Done;
    // The phase's requests; queue_[front_]: the one sent or to send. A vector
    // (released between phases), not a deque: libstdc++'s deque allocates
    // ~0.6 KiB even empty, and every idle worker kept one.
    std::vector<DumpRequest> queue_;
    std::size_t front_ = 0;
    std::uint32_t seq_ = 0;                       // of the request in flight; 0 between jobs
    ResyncReason reason_ = ResyncReason::Initial; // of the running full job
    RefreshScope scope_;                          // of the running refresh
    bool interrupted_ = false;                    // NLM_F_DUMP_INTR during the running job

    bool full_pending_ = false;
    ResyncReason full_reason_ = ResyncReason::Initial;
    RefreshScope refresh_pending_;
};

} // namespace nswatch
