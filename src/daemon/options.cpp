#include "daemon/options.hpp"

#include "nswatch_config.h"
#include "types/getopt_args.hpp"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>
#include <optional>

namespace nswatch {

namespace {

constexpr const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};

template <typename T>
std::optional<T> parse_number(const std::string& text, T min, T max)
{
    T value{};
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || value < min || value > max) {
        return std::nullopt;
    }
    return value;
}

// Sets the source flags from "named,mounts,processes"; an error text if bad.
std::optional<std::string> parse_sources(const std::string& list, DaemonOptions& options)
{
    options.source_named = options.source_mounts = options.source_processes = false;
    std::size_t start = 0;
    while (start <= list.size()) {
        const auto comma = std::min(list.find(',', start), list.size());
        const std::string item = list.substr(start, comma - start);
        if (item == "named") {
            options.source_named = true;
        } else if (item == "mounts") {
            options.source_mounts = true;
        } else if (item == "processes") {
            options.source_processes = true;
        } else if (!item.empty()) {
            return "unknown source '" + item + "' in --sources (use named, mounts, processes)";
        }
        start = comma + 1;
    }
    return std::nullopt;
}

EarlyExit usage_error(const std::string& message)
{
    return EarlyExit{2, "nswatchd: " + message + "\nTry 'nswatchd --help' for more information.\n"};
}

} // namespace

std::string usage_text()
{
    return "Usage: nswatchd [OPTION]...\n"
           "Publish link and traffic-control changes of every network namespace on D-Bus\n(org.nswatch1).\n"
           "\n"
           "  --session              use the session bus instead of the system bus\n"
           "                         (the system bus address honours DBUS_SYSTEM_BUS_ADDRESS)\n"
           "  --netns-dir=DIR        directory of named namespaces (default /run/netns)\n"
           "  --log-level=LEVEL      trace, debug, info, warn, error, critical or off\n"
           "                         (default info); logs go to the journal when started\n"
           "                         by systemd, else to stderr\n"
           "  --rcvbuf=BYTES         netlink receive buffer per namespace (default 8388608)\n"
           "  --queue-size=N         events queued per namespace before a resync is needed\n"
           "                         (default 4096)\n"
           "  --sources=LIST         comma-separated discovery sources: named (/run/netns),\n"
           "                         mounts (other nsfs mounts: docker/..., mount/...),\n"
           "                         processes (namespaces only processes are in: proc/...);\n"
           "                         default named,mounts,processes. The host namespace\n"
           "                         (default) and Watch are always on\n"
           "  --process-scan-interval=SECONDS\n"
           "                         full /proc scan for process-held namespaces: a safety\n"
           "                         net beside process events (default 30), the only way\n"
           "                         without them (default 2, e.g. in a container); 0: off\n"
           "  --no-process-events    do not use the kernel's process-events connector\n"
           "  --metrics-listen=ADDR:PORT\n"
           "                         serve Prometheus metrics (/metrics) and health\n"
           "                         (/health) over HTTP on a numeric address, e.g.\n"
           "                         127.0.0.1:19110 or [::1]:19110 (default: off; a\n"
           "                         socket passed by systemd is served without it)\n"
           "  --metrics-per-namespace\n"
           "                         also export per-namespace metric series (many series\n"
           "                         on a host with thousands of namespaces)\n"
           "  -h, --help             show this help and exit\n"
           "  --version              show the version and exit\n";
}

namespace {

// Long-only options: vals from 256 on, so errors can name them.
enum OptionId : int {
    kHelp = 256,
    kVersion,
    kSession,
    kNetnsDir,
    kLogLevel,
    kRcvbuf,
    kQueueSize,
    kSources,
    kProcessScanInterval,
    kNoProcessEvents,
    kMetricsListen,
    kMetricsPerNamespace
};

constexpr option kLongOptions[] = {
    {"help", no_argument, nullptr, kHelp},
    {"version", no_argument, nullptr, kVersion},
    {"session", no_argument, nullptr, kSession},
    {"netns-dir", required_argument, nullptr, kNetnsDir},
    {"log-level", required_argument, nullptr, kLogLevel},
    {"rcvbuf", required_argument, nullptr, kRcvbuf},
    {"queue-size", required_argument, nullptr, kQueueSize},
    {"sources", required_argument, nullptr, kSources},
    {"process-scan-interval", required_argument, nullptr, kProcessScanInterval},
    {"no-process-events", no_argument, nullptr, kNoProcessEvents},
    {"metrics-listen", required_argument, nullptr, kMetricsListen},
    {"metrics-per-namespace", no_argument, nullptr, kMetricsPerNamespace},
    {nullptr, 0, nullptr, 0},
};

// Applies one option's value; an error text if the value is bad.
std::optional<std::string> apply(int id, const std::string& v, DaemonOptions& options)
{
    switch (id) {
    case kSession: options.session_bus = true; break;
    case kNoProcessEvents: options.process_events = false; break;
    case kSources: return parse_sources(v, options);
    case kMetricsPerNamespace: options.metrics_per_namespace = true; break;
    case kMetricsListen: {
        auto address = http::parse_listen_address(v);
        if (auto* error = std::get_if<std::string>(&address)) {
            return *error;
        }
        options.metrics_listen = std::get<http::ListenAddress>(address);
        break;
    }
    case kProcessScanInterval: {
        auto n = parse_number<long>(v, 0, 86'400);
        if (!n) {
            return "--process-scan-interval needs seconds from 0 to 86400, not '" + v + "'";
        }
        options.process_scan_interval = std::chrono::seconds(*n);
        break;
    }
    case kNetnsDir:
        if (v.empty() || v[0] != '/') {
            return "--netns-dir must be an absolute path, not '" + v + "'";
        }
        options.netns_dir = v;
        break;
    case kLogLevel:
        if (std::find(std::begin(kLevels), std::end(kLevels), v) == std::end(kLevels)) {
            return "unknown log level '" + v + "' (use trace, debug, info, warn, error, critical or off)";
        }
        options.log_level = v;
        break;
    case kRcvbuf: {
        auto n = parse_number<int>(v, 4096, std::numeric_limits<int>::max() / 2);
        if (!n) {
            return "--rcvbuf needs a byte count from 4096 to 1073741823, not '" + v + "'";
        }
        options.receive_buffer_bytes = *n;
        break;
    }
    case kQueueSize: {
        auto n = parse_number<std::size_t>(v, 1, 1U << 24);
        if (!n) {
            return "--queue-size needs a number from 1 to 16777216, not '" + v + "'";
        }
        options.queue_capacity = *n;
        break;
    }
    default: return "unexpected argument '" + v + "'"; // an operand: nswatchd takes none
    }
    return std::nullopt;
}

} // namespace

std::variant<DaemonOptions, EarlyExit> parse_options(const std::vector<std::string>& args)
{
    const auto parsed = parse_arguments(args, "h", kLongOptions);
    if (parsed.error) {
        return usage_error(*parsed.error);
    }
    DaemonOptions options;
    for (const auto& [id, value] : parsed.arguments) {
        if (id == kHelp || id == 'h') {
            return EarlyExit{0, usage_text()};
        }
        if (id == kVersion) {
            return EarlyExit{0, std::string("nswatchd ") + NSWATCH_VERSION + "\n"};
        }
    }
    for (const auto& [id, value] : parsed.arguments) {
        if (auto error = apply(id, value, options)) {
            return usage_error(*error);
        }
    }
    return options;
}

} // namespace nswatch
