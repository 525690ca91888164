#include "daemon/daemon.hpp"

#include "bus/dbus_publisher.hpp"
#include "bus/enum_strings.hpp"
#include "bus/output_gate.hpp"
#include "bus/output_stall.hpp"
#include "bus/snapshot_replies.hpp"
#include "daemon/fd_limit.hpp"
#include "daemon/namespace_control.hpp"
#include "daemon/namespace_registry.hpp"
#include "daemon/observability.hpp"
#include "events/event_hub.hpp"
#include "health/health_rules.hpp"
#include "netns/mount_source.hpp"
#include "netns/nsfs.hpp"
#include "netns/process_source.hpp"
#include "netns/watch_path.hpp"
#include "netns/watch_source.hpp"
#include "nswatch/dbus_names.hpp"
#include "util/event_loop.hpp"
#include "util/unique_fd.hpp"

#include <malloc.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <system_error>

namespace nswatch {

namespace {

UniqueFd make_signalfd()
{
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    UniqueFd fd(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd) {
        throw std::system_error(errno, std::generic_category(), "signalfd");
    }
    return fd;
}

RegistryOptions registry_options(const DaemonOptions& options)
{
    RegistryOptions out;
    out.worker.netlink.receive_buffer_bytes = options.receive_buffer_bytes;
    out.queue_capacity = options.queue_capacity;
    if (const char* name = std::getenv("NSWATCH_TEST_FAIL_NAMESPACE")) {
        out.inject_failure_in = name;
    }
    return out;
}

// "The last minute" of the health rules; a test hook shortens it.
std::chrono::steady_clock::duration health_window()
{
    if (const char* ms = std::getenv("NSWATCH_TEST_HEALTH_WINDOW_MS")) {
        return std::chrono::milliseconds(std::strtoll(ms, nullptr, 10));
    }
    return kHealthWindow;
}

std::unique_ptr<sdbus::IConnection> connect(bool session)
{
    return session ? sdbus::createSessionBusConnection() : sdbus::createSystemBusConnection();
}

constexpr std::size_t kRequestsPerRound = 2;
// GetState replies are written while at most this much of our output waits
// to be read by the bus: a few Events signals, not a reply of a big namespace.
constexpr std::size_t kGateLimitBytes = std::size_t{64} * 1024;
constexpr auto kGateBackoffMin = std::chrono::milliseconds(1);
constexpr auto kGateBackoffMax = std::chrono::milliseconds(16);

std::uint64_t host_inode()
{
    return open_net_namespace("/proc/self/ns/net").inode;
}

} // namespace

struct Daemon::Impl final : NamespaceControl {
    Impl(const DaemonOptions& options, std::optional<UniqueFd> metrics_listener)
        : fd_limit(raise_fd_limit()), connection(connect(options.session_bus)),
          registry(hub, registry_options(options),
                   [this](const ManagerBackend& backend) {
                       auto made = std::make_unique<DbusPublisher>(*connection, backend, *this);
                       publisher = made.get();
                       return made;
                   }),
          host{"default", SourceKind::Default, "/proc/self/ns/net", host_inode()},
          mounts(loop, options.netns_dir, options.source_named, options.source_mounts, [this] { dirty = true; }),
          processes(loop,
                    ProcessSourceOptions{options.process_events, options.process_scan_interval, host.inode,
                                         options.source_processes},
                    [this] { dirty = true; }),
          signals(make_signalfd()), gate(connection->getEventLoopPollData().fd, kGateLimitBytes),
          stall(loop, *connection)
    {
        // A fixed mmap threshold: glibc otherwise raises it (and the trim
        // threshold with it, to twice as much) to the size of the largest
        // block freed, e.g. a ListNamespaces reply for thousands of
        // namespaces, and from then on keeps that much freed memory in the
        // heap. (Rings no longer matter here: they grow in ~1 KiB blocks.)
        ::mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        spdlog::info("file descriptor limit {} (hard {}): room for about {} namespaces", fd_limit.soft, fd_limit.hard,
                     namespace_capacity(fd_limit.soft));
        bus_watch = loop.watch_fd(connection->getEventLoopPollData().fd, POLLIN, [](short) {});
        hub_watch = loop.watch_fd(hub.fd(), POLLIN, [](short) {}); // hub.woke() drains it after every poll
        signal_watch = loop.watch_fd(signals.get(), POLLIN, [this](short) {
            signalfd_siginfo info{};
            [[maybe_unused]] auto n = ::read(signals.get(), &info, sizeof info);
            spdlog::info("received signal {}, stopping", info.ssi_signo);
            stopping = true;
        });
        retry_timer = loop.add_timer([this] {
            registry.retry_starts();
            observability->namespaces_changed();
        });
        gate_timer = loop.add_timer([] {});
        std::uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
            watchdog = loop.add_timer([] { sd_notify(0, "WATCHDOG=1"); });
            watchdog.arm_every(std::chrono::milliseconds(usec / 2000));
            spdlog::debug("watchdog every {} ms", usec / 2000);
        }
        observability =
            std::make_unique<Observability>(loop, registry, publisher->manager(), options.metrics_per_namespace,
                                            health_window(), std::move(metrics_listener));
    }

    // The single place that decides: every source's view, one reconcile.
    void reconcile_now()
    {
        dirty = false;
        watches.release_unheld([this](std::uint64_t inode) { return processes.holds(inode) || mounts.holds(inode); });
        std::vector<NamespaceIdentity> found{host};
        found.insert(found.end(), mounts.identities().begin(), mounts.identities().end());
        const auto watched = watches.identities();
        found.insert(found.end(), watched.begin(), watched.end());
        const auto held = processes.identities();
        found.insert(found.end(), held.begin(), held.end());
        registry.apply(reconcile(registry.identities(), found));
        observability->namespaces_changed();
        registry.update_holders([this](std::uint64_t inode) { return processes.holder_of(inode); });
        if (registry.has_unstarted() && !retry_timer.armed()) {
            retry_timer.arm_after(std::chrono::seconds(1));
        }
    }

    // NamespaceControl
    void watch(const std::string& path, WatchCompletion done) override
    {
        auto checked = check_watch_path(path);
        if (const auto* why = std::get_if<std::string>(&checked)) {
            done(ControlError{ControlError::Kind::InvalidArgs, *why});
            return;
        }
        const auto& target = std::get<WatchTarget>(checked);
        if (const auto* known = registry.find_inode(target.inode)) {
            registry.when_exported(known->identity.name, std::move(done)); // already monitored: its name
            return;
        }
        watches.add(target);
        reconcile_now();
        const auto* added = registry.find_inode(target.inode);
        if (added == nullptr) {
            watches.erase(target.inode);
            done(ControlError{ControlError::Kind::Failed, "'" + path + "' could not be monitored"});
            return;
        }
        spdlog::info("watching {} as {}", path, added->identity.name);
        registry.when_exported(added->identity.name, std::move(done));
    }

    std::optional<ControlError> unwatch(const std::string& name) override
    {
        const auto* status = registry.find(name);
        if (status == nullptr) {
            return ControlError{ControlError::Kind::NoSuchNamespace,
                                "No monitored network namespace is named '" + name + "'"};
        }
        if (status->identity.source != SourceKind::Watch) {
            return ControlError{ControlError::Kind::InvalidArgs, "'" + name +
                                                                     "' was not added by Watch: it was found as " +
                                                                     source_string(status->identity.source) +
                                                                     " and is monitored as long as something holds it"};
        }
        watches.erase(status->identity.inode);
        reconcile_now(); // removed, unless a source still finds it (then under that source's name)
        return std::nullopt;
    }

    void update_status()
    {
        const auto count = registry.exported();
        if (count != last_status_count) {
            last_status_count = count;
            sd_notifyf(0, "STATUS=Monitoring %zu network namespace%s", count, count == 1 ? "" : "s");
        }
    }

    // Once every namespace found at start has its object: take the name.
    void maybe_ready()
    {
        if (ready || registry.unreported() != 0) {
            return;
        }
        connection->requestName(dbus::kServiceName);
        ready = true;
        spdlog::info("ready: {} owned, {} namespaces monitored", dbus::kServiceName, registry.exported());
        sd_notify(0, "READY=1");
    }

    int loop_until_stopped()
    {
        reconcile_now();
        for (;;) {
            // While the bus does not take what we wrote, the rings wait:
            // draining them would only grow sd-bus's queue, without bound if
            // a subscriber stopped reading (dbus-daemon counts what it queues
            // for that subscriber against our connection, and once that
            // reaches max_incoming_bytes it stops reading from us). Workers
            // keep reading the kernel and count what does not fit; their
            // resync ("queue-full") repairs once the bus reads again.
            const bool held = stall.held();
            // The rings first, then calls: what is drained now goes out
            // ahead of the next reply.
            bool more = !held && registry.drain();
            // A bounded number of calls per round. Each is cheap: GetState
            // only begins its reply (SnapshotReplies).
            std::size_t requests = 0;
            while (requests < kRequestsPerRound && connection->processPendingRequest()) {
                ++requests;
            }
            more = more || requests == kRequestsPerRound;
            // One slice of the oldest GetState reply, and only while the bus
            // has read what we sent before (OutputGate): a client calling
            // GetState in a loop then keeps at most one reply ahead of the
            // events, instead of a queue of them, and the rings are drained
            // between slices.
            bool gated = false;
            if (!held && snapshots.pending()) {
                if (gate.open()) {
                    more = snapshots.step() || more;
                } else {
                    gated = true;
                }
            }
            maybe_ready();
            update_status();
            observability->after_round(more);
            hub.prepare_sleep();
            if (!held && (more || registry.has_pending())) {
                hub.woke();
                continue;
            }
            const auto bus = connection->getEventLoopPollData();
            // Held: wait until the bus can take more, not for more calls
            // (their replies could not go out either). Gated: a reply waits
            // until the bus read our output, which no fd event announces:
            // look again after 1, 2, 4… 16 ms (bounded wake-ups if the bus
            // stops reading). Events and calls do not wait for this.
            bus_watch.set_events(held ? static_cast<short>(POLLOUT) : bus.events);
            if (gated) {
                if (!gate_timer.armed()) { // woken by something else: keep the time set
                    gate_timer.arm_after(gate_backoff);
                    gate_backoff = std::min(gate_backoff * 2, kGateBackoffMax);
                }
            } else {
                gate_timer.disarm();
                gate_backoff = kGateBackoffMin;
            }
            loop.run_once(bus.getPollTimeout());
            hub.woke();
            if (stopping) {
                return 0;
            }
            if (dirty) {
                reconcile_now();
            }
        }
    }

    FdLimit fd_limit;
    EventLoop loop;
    EventHub hub;
    std::unique_ptr<sdbus::IConnection> connection;
    DbusPublisher* publisher = nullptr; // the registry's; set while the registry is constructed
    NamespaceRegistry registry;
    NamespaceIdentity host;
    bool dirty = true;
    MountSource mounts;
    ProcessSource processes;
    WatchSource watches;
    UniqueFd signals;
    FdWatch bus_watch;
    FdWatch hub_watch;
    FdWatch signal_watch;
    Timer retry_timer;
    Timer watchdog;
    SnapshotReplies& snapshots = snapshot_replies();
    OutputGate gate;
    OutputStall stall;
    Timer gate_timer; // wakes the loop to look at a closed gate again
    std::chrono::milliseconds gate_backoff = kGateBackoffMin;
    bool stopping = false;
    bool ready = false;
    std::size_t last_status_count = static_cast<std::size_t>(-1);
    // After the registry (it observes the registry and reads its Manager):
    // destroyed first.
    std::unique_ptr<Observability> observability;
};

Daemon::Daemon(const DaemonOptions& options, std::optional<UniqueFd> metrics_listener)
    : impl_(std::make_unique<Impl>(options, std::move(metrics_listener)))
{
}

Daemon::~Daemon() = default;

namespace {

// The errors sd-bus reports once the bus has gone (dbus-daemon killed or
// restarted): the connection cannot be reopened with the name and objects.
bool connection_lost(const sdbus::Error& e)
{
    static constexpr std::string_view kLost[] = {"org.freedesktop.DBus.Error.Disconnected", "System.Error.ENOTCONN",
                                                 "System.Error.ECONNRESET", "System.Error.EPIPE"};
    return std::find(std::begin(kLost), std::end(kLost), e.getName()) != std::end(kLost);
}

} // namespace

int Daemon::run()
{
    try {
        const int status = impl_->loop_until_stopped();
        sd_notify(0, "STOPPING=1");
        impl_->stall.abandon_unwritable_output();
        return status;
    } catch (const sdbus::Error& e) {
        if (!connection_lost(e)) {
            throw;
        }
        // Exit, not reconnect: every client's connection broke too and must
        // start over (ListNamespaces, GetState), and systemd restarts a failed
        // unit (Restart=on-failure, RestartSec=1s), which then finds every
        // namespace again. Status 0 would leave it stopped.
        spdlog::critical("nswatchd lost its connection to the bus ({}: {}); exiting with status 1 so that the "
                         "service manager restarts it",
                         e.getName(), e.getMessage());
        return 1;
    }
}

} // namespace nswatch
