#pragma once
// Wakes one thread out of its poll without a file descriptor of its own.
//
// Why: a worker used to have an eventfd as its bell, the second fd of every
// namespace next to its netlink socket. With ten thousand namespaces that
// halved what a file-descriptor limit allows. Instead the owner thread keeps
// kSignal blocked at all times except inside its wait(), which is ppoll()
// with a mask that unblocks it, and wake() sends kSignal to that thread
// (pthread_kill). The handler is empty; what matters is that ppoll returns
// EINTR.
//
// Why no wake-up is lost: a signal sent while the owner is anywhere but in
// ppoll stays pending (blocked), and ppoll installs its mask atomically, so
// the next wait() returns EINTR at once. A standard signal pends at most
// once: any number of wakes before a wait make one EINTR, never a queue (and
// never a busy loop). Nothing else in the thread is ever interrupted, since
// the signal is only deliverable inside ppoll; no SA_RESTART is needed or
// wanted. The caller checks its conditions (stop, room in its ring) after
// every return of wait(), as it would after an eventfd.
//
// Threading: attach(), wait() and detach() are the owner thread's; wake() may
// be called from any thread (and from the owner itself) and never blocks.
//
// Lifetime: a pthread_t must never be signalled once its thread has been
// joined (the id may be reused). wake() signals only between attach() and
// detach(): detach() clears the attached bit and then waits until no wake()
// that saw it set is still inside pthread_kill (a few microseconds at most,
// on the owner thread, never on the waker). The owner calls detach() before
// it returns (Attachment does), so every wake() after the join is a no-op,
// whoever still holds the object. The object itself must outlive its last
// wake() caller as usual (WorkerChannel is shared by both sides).
#include <csignal>
#include <poll.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>

namespace nswatch {

class ThreadWake {
public:
    // Not used by the daemon for anything else; blocked in every thread by
    // nswatchd's main() so that a stray `kill -USR2` is never delivered
    // outside a worker's wait() either.
    static constexpr int kSignal = SIGUSR2;

    ThreadWake() = default;
    ThreadWake(const ThreadWake&) = delete;
    ThreadWake& operator=(const ThreadWake&) = delete;

    // Owner thread: installs the (process-wide, empty) handler once, blocks
    // kSignal in this thread and makes it the target of wake().
    void attach();
    // Owner thread: no wake() signals it once this returns.
    void detach() noexcept;

    // Any thread, never blocks: the owner's current or next wait() returns.
    void wake() noexcept;

    // Owner thread: ppoll() on `fds` with kSignal unblocked. Returns its
    // result: -1 with errno EINTR after a wake(). `timeout_ms` < 0: none.
    int wait(pollfd* fds, nfds_t count, int timeout_ms) const noexcept;

    // RAII for attach()/detach() on the owner thread.
    class Attachment {
    public:
        explicit Attachment(ThreadWake& wake) : wake_(wake) { wake_.attach(); }
        Attachment(const Attachment&) = delete;
        Attachment& operator=(const Attachment&) = delete;
        ~Attachment() { wake_.detach(); }

    private:
        ThreadWake& wake_;
    };

private:
    // Bit 0: attached. The rest: twice the number of wake() calls in flight.
    static constexpr std::uint32_t kAttached = 1;
    static constexpr std::uint32_t kInFlight = 2;

    std::atomic<std::uint32_t> state_{0};
    pthread_t thread_{};   // written by attach() before the attached bit is published
    sigset_t wait_mask_{}; // the owner's mask without kSignal, for ppoll
};

} // namespace nswatch
