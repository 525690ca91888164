#include "util/thread_wake.hpp"

#include <cerrno>
#include <ctime>
#include <mutex>
#include <system_error>

namespace nswatch {

namespace {

// Empty: its only effect is that the kernel ends the owner's ppoll with
// EINTR. Touches nothing (errno included), so it is async-signal-safe.
void on_wake_signal(int /*signal*/) {}

void install_handler()
{
    struct sigaction action {};
    action.sa_handler = &on_wake_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; // no SA_RESTART: ppoll must return EINTR
    if (::sigaction(ThreadWake::kSignal, &action, nullptr) != 0) {
        throw std::system_error(errno, std::generic_category(), "sigaction");
    }
}

} // namespace

void ThreadWake::attach()
{
    static std::once_flag installed;
    std::call_once(installed, install_handler);
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, kSignal);
    sigset_t before;
    if (const int rc = ::pthread_sigmask(SIG_BLOCK, &block, &before); rc != 0) {
        throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
    }
    wait_mask_ = before;
    sigdelset(&wait_mask_, kSignal);
    thread_ = ::pthread_self();
    state_.fetch_or(kAttached, std::memory_order_release); // publishes thread_
}

void ThreadWake::detach() noexcept
{
    std::uint32_t state = state_.fetch_and(~kAttached, std::memory_order_acq_rel) & ~kAttached;
    // Wakes that saw the bit may still be about to signal us: wait them out.
    while (state != 0) {
        state_.wait(state, std::memory_order_acquire);
        state = state_.load(std::memory_order_acquire);
    }
}

void ThreadWake::wake() noexcept
{
    const std::uint32_t before = state_.fetch_add(kInFlight, std::memory_order_acq_rel);
    if ((before & kAttached) != 0) {
        ::pthread_kill(thread_, kSignal); // the thread cannot be joined before we leave
    }
    if (state_.fetch_sub(kInFlight, std::memory_order_acq_rel) == kInFlight) {
        state_.notify_all(); // the last wake in flight after a detach() began
    }
}

int ThreadWake::wait(pollfd* fds, nfds_t count, int timeout_ms) const noexcept
{
    timespec timeout{};
    timespec* limit = nullptr;
    if (timeout_ms >= 0) {
        timeout.tv_sec = timeout_ms / 1000;
        timeout.tv_nsec = static_cast<long>(timeout_ms % 1000) * 1'000'000L;
        limit = &timeout;
    }
    return ::ppoll(fds, count, limit, &wait_mask_);
}

} // namespace nswatch
