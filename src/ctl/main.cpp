// nswatchctl: wiring only. Options, the bus connection, one command, and a
// one-line error instead of an exception when anything fails.
#include "ctl/commands.hpp"
#include "ctl/ctl_options.hpp"

#include <sdbus-c++/sdbus-c++.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

std::string explain(const sdbus::Error& e, bool session)
{
    const std::string bus = session ? "session" : "system";
    const auto& name = e.getName();
    if (name == "org.freedesktop.DBus.Error.ServiceUnknown" || name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
        return "nswatchd is not running (org.nswatch1 is not on the " + bus + " bus)";
    }
    if (name == "org.freedesktop.DBus.Error.AccessDenied") {
        return "access denied: " + e.getMessage();
    }
    if (name.starts_with("System.Error.") || name == "org.freedesktop.DBus.Error.FileNotFound") {
        return "cannot connect to the " + bus + " bus: " + e.getMessage();
    }
    return e.getMessage() + " (" + name + ")";
}

} // namespace

int main(int argc, char** argv)
{
    using namespace nswatch::ctl;
    const auto parsed = parse_ctl_options(std::vector<std::string>(argv + 1, argv + argc));
    if (const auto* exit = std::get_if<CtlExit>(&parsed)) {
        std::fputs(exit->text.c_str(), exit->status == 0 ? stdout : stderr);
        return exit->status;
    }
    const auto& options = std::get<CtlOptions>(parsed);
    int status = 0;
    try {
        auto connection =
            options.session_bus ? sdbus::createSessionBusConnection() : sdbus::createSystemBusConnection();
        switch (options.command) {
        case Command::List: run_list(*connection, options.json, options.quiet); break;
        case Command::Show: run_show(*connection, options.args[0], options.json); break;
        case Command::Status: status = run_status(*connection, options.json); break;
        case Command::Watch: run_watch(*connection, options.args[0]); break;
        case Command::Unwatch: run_unwatch(*connection, options.args[0]); break;
        case Command::Monitor: run_monitor(*connection, options.args, options.json);
        }
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "nswatchctl: %s\n", explain(e, options.session_bus).c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "nswatchctl: %s\n", e.what());
        return 1;
    }
    return status;
}
