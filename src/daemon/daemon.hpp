#pragma once
// The bus-loop thread: owns the sd-bus connection, the registry, the
// namespace watcher and the systemd notifications, and is the only thread
// that touches sdbus-c++ (1.2 is not thread-safe; signals emitted from other
// threads can stall). Everything it waits for is one poll(): the bus fd, the
// event hub's bell, inotify, mountinfo, a signalfd and, only when systemd
// asks for it, the watchdog timer. No other periodic wake-up exists.
#include "daemon/options.hpp"

#include <memory>

namespace nswatch {

class Daemon {
public:
    explicit Daemon(const DaemonOptions& options);
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
