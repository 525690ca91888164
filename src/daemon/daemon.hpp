#pragma once
// The bus-loop thread: owns the sd-bus connection, the event loop, the
// namespace sources, the registry and the systemd notifications, and is the
// only thread that touches sdbus-c++ (1.2 is not thread-safe; signals
// emitted from other threads can stall). Every component registers its fds
// and timers with one EventLoop: the bus fd, the event hub's bell,
// mountinfo, the process-events connector, a signalfd and, only when systemd
// asks for it, the watchdog. The only periodic wake-ups are the watchdog,
// the fallback /proc scan (--process-scan-interval; 0 turns it off) and,
// with a metrics listener, a look at the levels every 5 s (Observability).
#include "daemon/options.hpp"
#include "util/unique_fd.hpp"

#include <memory>
#include <optional>

namespace nswatch {

class Daemon {
public:
    // `metrics_listener`: a listening TCP socket for /metrics and /health
    // (see Observability), or none.
    Daemon(const DaemonOptions& options, std::optional<UniqueFd> metrics_listener);
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;
    ~Daemon();

    // Runs until SIGTERM/SIGINT; returns the process exit status. The caller
    // must have blocked SIGTERM and SIGINT in every thread (see main).
    int run();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace nswatch
