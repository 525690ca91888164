#include "netlink/namespace_worker.hpp"

#include "netlink/namespace_tracker.hpp"
#include "netlink/netlink_session.hpp"
#include "netlink/worker_outbox.hpp"
#include "netns/nsfs.hpp"

#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <system_error>

namespace nswatch {

namespace {

// A session that lived this long restarts the backoff from its initial delay;
// one that fails sooner keeps doubling it, so a persistent fault never spins.
constexpr auto kHealthyFor = std::chrono::seconds(60);

// Waits for `delay` or stop, keeping the outbox flowing meanwhile.
void backoff_wait(const std::stop_token& stop, const ThreadWake& wake, WorkerOutbox& outbox,
                  std::chrono::milliseconds delay)
{
    const auto deadline = std::chrono::steady_clock::now() + delay;
    while (!stop.stop_requested()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return;
        }
        if (wake.wait(nullptr, 0, static_cast<int>(left.count())) < 0) {
            outbox.flush(nullptr); // woken: stop, or room in the ring
        }
    }
}

// An exhausted fd limit is named as such: libnl reports it as "Unspecific
// failure", which tells an administrator nothing.
std::string describe_failure(const std::exception& e)
{
    const auto* sys = dynamic_cast<const std::system_error*>(&e);
    if (sys != nullptr && (sys->code().value() == EMFILE || sys->code().value() == ENFILE)) {
        rlimit limit{};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        return sys->code().value() == EMFILE
                   ? "the daemon's file descriptor limit (" + std::to_string(limit.rlim_cur) +
                         ", RLIMIT_NOFILE) is exhausted; raise LimitNOFILE= or monitor fewer namespaces"
                   : "the system-wide file limit (fs.file-max) is exhausted";
    }
    return e.what();
}

// Gone namespaces' memory back to the system, once every kTrimEvery worker
// removals. A namespace's allocations (its state, parsed objects, libnl's
// receive buffers, the bus side's mirror and object) are freed in between
// longer-lived ones, in the main heap and in the workers' arenas, where free()
// never returns them: measured, 1,000 namespaces added and deleted left RSS
// 13.5 MiB above where it started; malloc_trim(0) gives back all but ~3 MiB.
// It walks every arena (a few ms with thousands of namespaces), so not at
// every removal; what is left untrimmed is at most kTrimEvery namespaces'
// worth (~1 MiB). Runs on the thread that joins workers (WorkerReaper), never
// on the bus thread.
constexpr unsigned kTrimEvery = 64;

void note_worker_gone()
{
    static std::atomic<unsigned> gone{0};
    if (gone.fetch_add(1, std::memory_order_relaxed) % kTrimEvery == kTrimEvery - 1) {
        ::malloc_trim(0);
    }
}

} // namespace

NamespaceWorker::NamespaceWorker(NamespaceIdentity identity, std::shared_ptr<WorkerChannel> channel, EventHub& hub,
                                 WorkerOptions options)
    : identity_(std::move(identity)), channel_(std::move(channel)), hub_(hub), options_(options),
      thread_([this](const std::stop_token& stop) { run(stop); })
{
}

NamespaceWorker::~NamespaceWorker()
{
    thread_.request_stop(); // the stop_callback in run() wakes the thread
    thread_.join();
    note_worker_gone();
}

NetlinkSocket NamespaceWorker::open_socket(bool initial) const
{
    // Read at every (re)open: a process-held namespace's path follows its
    // current holder process. The first open may have been done for us.
    const std::string path = channel_->open_path();
    OpenedNamespace ns{channel_->take_opened(), identity_.inode};
    if (!ns.fd) {
        ns = open_net_namespace(path);
    }
    if (ns.inode != identity_.inode) {
        // The path now leads elsewhere; the sources will replace this worker.
        throw NamespaceFileError(path + " no longer holds namespace " + std::to_string(identity_.inode));
    }
    auto netlink = options_.netlink;
    netlink.fail_after_first_dump = options_.inject_failure_once && initial;
    auto socket = NetlinkSocket::open_in_namespace(ns.fd.get(), netlink);
    channel_->cookie.store(socket.netns_cookie(), std::memory_order_relaxed); // published by the snapshot push
    return socket;
} // the namespace fd closes here: only the socket remains

void NamespaceWorker::run(const std::stop_token& stop)
{
    // Attached first and detached last: the stop callback and the bus thread
    // may wake this thread exactly while it runs (see ThreadWake: lifetime).
    const ThreadWake::Attachment attached(channel_->worker_wake);
    std::stop_callback wake(stop, [this] { channel_->worker_wake.wake(); });
    // "nsw:<name>" (15 characters at most) shows in top -H, ps -L and gdb.
    ::pthread_setname_np(::pthread_self(), ("nsw:" + identity_.name).substr(0, 15).c_str());
    NamespaceTracker tracker;
    WorkerOutbox outbox(*channel_, hub_);
    auto delay = options_.backoff_initial;
    while (!stop.stop_requested()) {
        const auto dumps_before = tracker.dumps_completed();
        const auto started = std::chrono::steady_clock::now();
        try {
            NetlinkSession session(identity_.name, open_socket(dumps_before == 0), tracker, outbox);
            // After a failure the first dump is diffed against what clients saw.
            session.run(stop, channel_->worker_wake, dumps_before > 0 ? ResyncReason::Restart : ResyncReason::Initial);
            return; // stopped
        } catch (const std::exception& e) {
            tracker.abort_dump();
            if (std::chrono::steady_clock::now() - started >= kHealthyFor) {
                delay = options_.backoff_initial; // it worked for a while: start the backoff over
            }
            const std::string why = describe_failure(e);
            spdlog::error("[{}] netlink failed: {}; retrying in {} ms", identity_.name, why, delay.count());
            // StateReason shows the growing backoff: an administrator sees
            // whether it is a blip or a persistent fault.
            outbox.status(WorkerStatus{false, why + "; retrying in " + std::to_string(delay.count()) + " ms"});
        }
        backoff_wait(stop, channel_->worker_wake, outbox, delay);
        delay = std::min(delay * 2, options_.backoff_max);
    }
}

} // namespace nswatch
