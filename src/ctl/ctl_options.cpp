#include "ctl/ctl_options.hpp"

#include "nswatch_config.h"
#include "types/getopt_args.hpp"

#include <map>

namespace nswatch::ctl {

namespace {

CtlExit usage_error(const std::string& message)
{
    return CtlExit{2, "nswatchctl: " + message + "\nTry 'nswatchctl --help' for more information.\n"};
}

struct CommandSpec {
    Command command;
    std::size_t min_args;
    std::size_t max_args;
    const char* what; // for errors
};

const std::map<std::string, CommandSpec>& commands()
{
    static const std::map<std::string, CommandSpec> table = {
        {"list", {Command::List, 0, 0, ""}},
        {"show", {Command::Show, 1, 1, "NAME"}},
        {"monitor", {Command::Monitor, 0, ~std::size_t{0}, "[NAME…]"}},
        {"watch", {Command::Watch, 1, 1, "PATH"}},
        {"unwatch", {Command::Unwatch, 1, 1, "NAME"}},
        {"status", {Command::Status, 0, 0, ""}},
    };
    return table;
}

} // namespace

std::string ctl_usage()
{
    return "Usage: nswatchctl [OPTION]... COMMAND [ARG]...\n"
           "Query and follow nswatchd (org.nswatch1): network namespaces, their links and\n"
           "traffic control.\n"
           "\n"
           "Commands:\n"
           "  list                 monitored namespaces (the default command)\n"
           "  show NAME            links, qdiscs, classes and filters of one namespace\n"
           "  monitor [NAME...]    one line per change, from a snapshot on, so nothing is\n"
           "                       missed; all namespaces (and new ones) without NAME\n"
           "  watch PATH           monitor the namespace behind an nsfs path (root)\n"
           "  unwatch NAME         stop monitoring a namespace added with watch (root)\n"
           "  status               the daemon's health (ok, degraded, failing) and why,\n"
           "                       its version, namespace count and counters\n"
           "\n"
           "Options:\n"
           "  --system             use the system bus (default; honours DBUS_SYSTEM_BUS_ADDRESS)\n"
           "  --session            use the session bus\n"
           "  --json               one JSON object per line (list, show, monitor, status)\n"
           "  -q, --quiet          list: only the names, one a line (one call; for scripts)\n"
           "  -h, --help           show this help and exit\n"
           "  --version            show the version and exit\n"
           "\n"
           "Exit status: 0 on success, 1 when the daemon cannot be reached or refuses,\n"
           "2 for bad arguments. status: 0 when the daemon is ok or degraded, 1 when it\n"
           "is failing (as HTTP /health: 200 or 503).\n";
}

std::variant<CtlOptions, CtlExit> parse_ctl_options(const std::vector<std::string>& args)
{
    // Long-only options: vals from 256 on, so errors can name them.
    enum : int { kHelp = 256, kVersion, kSystem, kSession, kJson, kQuiet };
    static constexpr option long_options[] = {
        {"help", no_argument, nullptr, kHelp},
        {"version", no_argument, nullptr, kVersion},
        {"system", no_argument, nullptr, kSystem},
        {"session", no_argument, nullptr, kSession},
        {"json", no_argument, nullptr, kJson},
        {"quiet", no_argument, nullptr, kQuiet},
        {nullptr, 0, nullptr, 0},
    };
    const auto parsed = parse_arguments(args, "hq", long_options);
    if (parsed.error) {
        return usage_error(*parsed.error);
    }
    CtlOptions options;
    std::vector<std::string> words; // the command and its arguments
    for (const auto& [id, value] : parsed.arguments) {
        switch (id) {
        case 'h':
        case kHelp: return CtlExit{0, ctl_usage()};
        case kVersion: return CtlExit{0, std::string("nswatchctl ") + NSWATCH_VERSION + "\n"};
        case kSystem: options.session_bus = false; break;
        case kSession: options.session_bus = true; break;
        case kJson: options.json = true; break;
        case 'q':
        case kQuiet: options.quiet = true; break;
        default: words.push_back(value);
        }
    }
    if (words.empty()) {
        return options; // list
    }
    auto it = commands().find(words[0]);
    if (it == commands().end()) {
        return usage_error("unknown command '" + words[0] + "'");
    }
    const auto& spec = it->second;
    options.command = spec.command;
    options.args.assign(words.begin() + 1, words.end());
    if (options.args.size() < spec.min_args || options.args.size() > spec.max_args) {
        return usage_error(spec.max_args == 0 ? "'" + words[0] + "' takes no arguments"
                                              : "usage: nswatchctl " + words[0] + " " + spec.what);
    }
    if (options.quiet && options.command != Command::List) {
        return usage_error("--quiet applies to 'list' only");
    }
    for (const auto& a : options.args) {
        if (a.empty()) {
            return usage_error("empty argument to '" + words[0] + "'");
        }
    }
    return options;
}

} // namespace nswatch::ctl
