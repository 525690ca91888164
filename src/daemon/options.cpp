#include "daemon/options.hpp"

#include "nswatch_config.h"

#include <algorithm>
#include <charconv>
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
           "  --help                 show this help and exit\n"
           "  --version              show the version and exit\n";
}

std::variant<DaemonOptions, EarlyExit> parse_options(const std::vector<std::string>& args)
{
    DaemonOptions options;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string arg = args[i];
        std::string value;
        bool has_value = false;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        auto take_value = [&]() -> std::optional<std::string> {
            if (has_value) {
                return value;
            }
            if (i + 1 < args.size()) {
                return args[++i];
            }
            return std::nullopt;
        };
        if (arg == "--help" || arg == "-h") {
            return EarlyExit{0, usage_text()};
        }
        if (arg == "--version") {
            return EarlyExit{0, std::string("nswatchd ") + NSWATCH_VERSION + "\n"};
        }
        if (arg == "--session") {
            options.session_bus = true;
            continue;
        }
        if (arg == "--no-process-events") {
            options.process_events = false;
            continue;
        }
        if (arg == "--sources" || arg == "--process-scan-interval") {
            auto v = take_value();
            if (!v) {
                return usage_error("option " + arg + " needs a value");
            }
            if (arg == "--sources") {
                if (auto error = parse_sources(*v, options)) {
                    return usage_error(*error);
                }
            } else {
                auto n = parse_number<long>(*v, 0, 86'400);
                if (!n) {
                    return usage_error("--process-scan-interval needs seconds from 0 to 86400, not '" + *v + "'");
                }
                options.process_scan_interval = std::chrono::seconds(*n);
            }
            continue;
        }
        if (arg == "--netns-dir" || arg == "--log-level" || arg == "--rcvbuf" || arg == "--queue-size") {
            auto v = take_value();
            if (!v || v->empty()) {
                return usage_error("option " + arg + " needs a value");
            }
            if (arg == "--netns-dir") {
                if ((*v)[0] != '/') {
                    return usage_error("--netns-dir must be an absolute path, not '" + *v + "'");
                }
                options.netns_dir = *v;
            } else if (arg == "--log-level") {
                bool known = false;
                for (const char* level : kLevels) {
                    known = known || *v == level;
                }
                if (!known) {
                    return usage_error("unknown log level '" + *v +
                                       "' (use trace, debug, info, warn, error, critical or off)");
                }
                options.log_level = *v;
            } else if (arg == "--rcvbuf") {
                auto n = parse_number<int>(*v, 4096, std::numeric_limits<int>::max() / 2);
                if (!n) {
                    return usage_error("--rcvbuf needs a byte count from 4096 to 1073741823, not '" + *v + "'");
                }
                options.receive_buffer_bytes = *n;
            } else {
                auto n = parse_number<std::size_t>(*v, 1, 1U << 24);
                if (!n) {
                    return usage_error("--queue-size needs a number from 1 to 16777216, not '" + *v + "'");
                }
                options.queue_capacity = *n;
            }
            continue;
        }
        return usage_error("unknown argument '" + args[i] + "'");
    }
    return options;
}

} // namespace nswatch
