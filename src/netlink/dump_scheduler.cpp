#include "netlink/dump_scheduler.hpp"

#include <cerrno>
#include <utility>

namespace nswatch {

void DumpScheduler::want_full(ResyncReason reason) noexcept
{
    full_pending_ = true;
    full_reason_ = reason;
}

void DumpScheduler::want_refresh(const RefreshScope& scope)
{
    refresh_pending_.merge(scope);
}

void DumpScheduler::on_reply_done(std::uint32_t seq) noexcept
{
    if (job_ == Job::None) {
        return;
    }
    if (stage_ == Stage::Waiting && seq == seq_) {
        stage_ = Stage::StepDone;
    } else if (stage_ == Stage::Blocked) {
        stage_ = Stage::Send; // the dump that refused ours is over: ask again
    }
}

ReplyError DumpScheduler::on_reply_error(std::uint32_t seq, int error) noexcept
{
    if (job_ == Job::None || stage_ != Stage::Waiting || seq != seq_) {
        return ReplyError::NotOurs;
    }
    if (error == -ENOBUFS) {
        // The dump started but its first part did not fit: the kernel keeps
        // it running and ends it with NLMSG_DONE. Ending the step here would
        // make every following request meet EBUSY.
        return ReplyError::Delayed;
    }
    if (error == -EBUSY) {
        stage_ = Stage::Blocked;
        return ReplyError::Busy;
    }
    // E.g. the link just vanished: a dump the kernel refuses has nothing to add.
    stage_ = Stage::StepDone;
    return ReplyError::Refused;
}

void DumpScheduler::on_interrupted() noexcept
{
    interrupted_ = true;
}

void DumpScheduler::on_overrun() noexcept
{
    want_full(ResyncReason::Overrun);
}

std::optional<DumpAction> DumpScheduler::next(const NamespaceState& found)
{
    for (;;) {
        if (job_ == Job::None) {
            return start_job();
        }
        switch (stage_) {
        case Stage::Plan:
            for (; phase_ != DumpPhase::Done; phase_ = next_phase(phase_)) {
                auto planned = plan_phase(phase_, found, job_ == Job::Full ? nullptr : &scope_);
                if (!planned.empty()) {
                    queue_ = std::move(planned);
                    front_ = 0;
                    break;
                }
            }
            if (phase_ == DumpPhase::Done) {
                return end_job();
            }
            stage_ = Stage::Send;
            break;
        case Stage::Send:
            stage_ = Stage::Waiting;
            seq_ = 0; // until sent()
            return DumpAction{DumpAction::Kind::Send, {}, {}, queue_[front_]};
        case Stage::Waiting:
        case Stage::Blocked: return std::nullopt; // the kernel has the word
        case Stage::StepDone: step_done(); break;
        }
    }
}

// The step in flight is over: only now may another request go out.
void DumpScheduler::step_done()
{
    if (full_pending_) { // an overrun: whatever ran is incomplete; start_job begins the full one
        job_ = Job::None;
        return;
    }
    if (interrupted_) { // the kernel's data changed under the dump: read it again
        if (job_ == Job::Full) {
            want_full(reason_);
        } else {
            refresh_pending_.merge(scope_); // with whatever was asked for meanwhile
        }
        job_ = Job::None;
        return;
    }
    if (++front_ == queue_.size()) {
        release_queue();
        phase_ = next_phase(phase_);
        stage_ = Stage::Plan;
    } else {
        stage_ = Stage::Send;
    }
}

void DumpScheduler::release_queue() noexcept
{
    queue_ = std::vector<DumpRequest>(); // not clear(): an idle worker keeps no block
    front_ = 0;
}

std::optional<DumpAction> DumpScheduler::start_job()
{
    release_queue();
    seq_ = 0;
    interrupted_ = false;
    stage_ = Stage::Plan;
    if (full_pending_) {
        full_pending_ = false;
        refresh_pending_ = {}; // the full view covers them; those asked for later run after it
        job_ = Job::Full;
        reason_ = full_reason_;
        phase_ = first_phase(nullptr);
        return DumpAction{DumpAction::Kind::BeginFull, reason_, {}, {}};
    }
    if (!refresh_pending_.empty()) {
        job_ = Job::Refresh;
        scope_ = std::exchange(refresh_pending_, {});
        phase_ = first_phase(&scope_);
        return DumpAction{DumpAction::Kind::BeginRefresh, {}, scope_, {}};
    }
    return std::nullopt;
}

DumpAction DumpScheduler::end_job()
{
    const Job finished = std::exchange(job_, Job::None);
    seq_ = 0;
    scope_ = {};
    if (finished == Job::Full) {
        return DumpAction{DumpAction::Kind::EndFull, reason_, {}, {}};
    }
    return DumpAction{DumpAction::Kind::EndRefresh, {}, {}, {}};
}

} // namespace nswatch
