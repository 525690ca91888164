#pragma once
// nswatchd's command line. parse_options is pure: it never prints or exits.
#include "http/listen_address.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace nswatch {

struct DaemonOptions {
    bool session_bus = false;
    std::string netns_dir = "/run/netns";
    std::string log_level = "info";
    int receive_buffer_bytes = 8 * 1024 * 1024;
    std::size_t queue_capacity = 4096;
    // --sources: which discovery sources announce namespaces. The host
    // namespace and Watch are always on.
    bool source_named = true;     // /run/netns (--netns-dir)
    bool source_mounts = true;    // every other nsfs mount (docker/…, mount/…)
    bool source_processes = true; // namespaces only processes are in (proc/…)
    bool process_events = true;   // use the process-events connector when it works
    // Full /proc scan period; nullopt: 30 s with process events, 2 s without.
    std::optional<std::chrono::seconds> process_scan_interval;
    // --metrics-listen=ADDR:PORT: serve /metrics and /health over HTTP there.
    // Unset: no TCP socket is opened (a socket passed by systemd,
    // nswatchd-metrics.socket, is served whether this is set or not).
    std::optional<http::ListenAddress> metrics_listen;
    // --metrics-per-namespace: metric series per namespace too. Off by
    // default: 10,000 namespaces x event types is more series than a
    // Prometheus operator wants from one host.
    bool metrics_per_namespace = false;
};

// --help / --version, or a usage error: text to print and the exit status.
struct EarlyExit {
    int status = 0;
    std::string text; // to stdout when status is 0, else to stderr
};

std::variant<DaemonOptions, EarlyExit> parse_options(const std::vector<std::string>& args);

std::string usage_text();

} // namespace nswatch
