#pragma once
// nswatchctl's command line. Pure: never prints or exits.
#include <string>
#include <variant>
#include <vector>

namespace nswatch::ctl {

enum class Command { List, Show, Monitor, Watch, Unwatch, Status };

struct CtlOptions {
    Command command = Command::List;
    std::vector<std::string> args; // show: NAME; monitor: NAME…; watch: PATH; unwatch: NAME
    bool session_bus = false;
    bool json = false;
    bool quiet = false; // list: names only, one a line (scripts, shell completion)
};

struct CtlExit {
    int status = 0;
    std::string text; // stdout when status is 0, else stderr
};

std::variant<CtlOptions, CtlExit> parse_ctl_options(const std::vector<std::string>& args);
std::string ctl_usage();

} // namespace nswatch::ctl
