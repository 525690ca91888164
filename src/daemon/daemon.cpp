#include "daemon/daemon.hpp"

#include "daemon/namespace_registry.hpp"
#include "events/event_hub.hpp"
#include "netns/netns_dir_scan.hpp"
#include "netns/netns_dir_watcher.hpp"
#include "netns/nsfs.hpp"
#include "nswatch/dbus_names.hpp"
#include "util/unique_fd.hpp"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
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

// Fires at half the interval systemd asked for; invalid when no watchdog.
UniqueFd make_watchdog_timer()
{
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        return {};
    }
    UniqueFd fd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
    if (!fd) {
        throw std::system_error(errno, std::generic_category(), "timerfd_create");
    }
    const std::uint64_t half = usec / 2;
    itimerspec spec{};
    spec.it_interval.tv_sec = static_cast<time_t>(half / 1'000'000);
    spec.it_interval.tv_nsec = static_cast<long>((half % 1'000'000) * 1000);
    spec.it_value = spec.it_interval;
    ::timerfd_settime(fd.get(), 0, &spec, nullptr);
    spdlog::debug("watchdog every {} ms", half / 1000);
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

std::unique_ptr<sdbus::IConnection> connect(bool session)
{
    return session ? sdbus::createSessionBusConnection() : sdbus::createSystemBusConnection();
}

} // namespace

struct Daemon::Impl {
    explicit Impl(const DaemonOptions& options)
        : connection(connect(options.session_bus)),
          registry(*connection, hub, registry_options(options)),
          watcher(options.netns_dir), signals(make_signalfd()), watchdog(make_watchdog_timer())
    {
        const auto host = open_net_namespace("/proc/self/ns/net");
        host_identity = NamespaceIdentity{"default", dbus::kSourceDefault, "/proc/self/ns/net", host.inode};
    }

    void rescan()
    {
        auto found = scan_netns_dir(watcher.dir());
        found.push_back(host_identity);
        registry.apply(reconcile(registry.identities(), found));
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

    int loop()
    {
        rescan();
        for (;;) {
            while (connection->processPendingRequest()) {
            }
            bool more = registry.drain();
            maybe_ready();
            update_status();
            hub.prepare_sleep();
            if (more || registry.has_pending()) {
                hub.woke();
                continue;
            }
            const auto bus = connection->getEventLoopPollData();
            std::array<pollfd, 6> fds{{
                {bus.fd, bus.events, 0},
                {hub.fd(), POLLIN, 0},
                {signals.get(), POLLIN, 0},
                {watcher.inotify_fd(), POLLIN, 0},
                {watcher.mountinfo_fd(), POLLPRI, 0},
                {watchdog.get(), POLLIN, 0}, // -1 when there is no watchdog: poll ignores it
            }};
            if (::poll(fds.data(), fds.size(), bus.getPollTimeout()) < 0 && errno != EINTR) {
                throw std::system_error(errno, std::generic_category(), "poll");
            }
            hub.woke();
            if (fds[2].revents != 0) {
                signalfd_siginfo info{};
                [[maybe_unused]] auto n = ::read(signals.get(), &info, sizeof info);
                spdlog::info("received signal {}, stopping", info.ssi_signo);
                return 0;
            }
            if (fds[5].revents != 0) {
                std::uint64_t expirations = 0;
                [[maybe_unused]] auto n = ::read(watchdog.get(), &expirations, sizeof expirations);
                sd_notify(0, "WATCHDOG=1");
            }
            bool due = fds[4].revents != 0;
            if (fds[3].revents != 0) {
                due = watcher.on_inotify() || due;
            }
            if (due) {
                rescan();
            }
        }
    }

    EventHub hub;
    std::unique_ptr<sdbus::IConnection> connection;
    NamespaceRegistry registry;
    NetnsDirWatcher watcher;
    UniqueFd signals;
    UniqueFd watchdog;
    NamespaceIdentity host_identity;
    bool ready = false;
    std::size_t last_status_count = static_cast<std::size_t>(-1);
};

Daemon::Daemon(const DaemonOptions& options) : impl_(std::make_unique<Impl>(options)) {}

Daemon::~Daemon() = default;

int Daemon::run()
{
    const int status = impl_->loop();
    sd_notify(0, "STOPPING=1");
    return status;
}

} // namespace nswatch
