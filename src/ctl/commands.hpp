#pragma once
// nswatchctl's one-shot commands. Each prints to stdout and throws
// sdbus::Error on a D-Bus failure (main turns it into one line and exit 1).
#include "ctl/ctl_options.hpp"

#include <sdbus-c++/IConnection.h>

namespace nswatch::ctl {

// quiet: names only, one a line, from one call (ListNamespaces).
void run_list(sdbus::IConnection& connection, bool json, bool quiet);
void run_show(sdbus::IConnection& connection, const std::string& name, bool json);
// Returns the exit status: 0 when the daemon is ok or degraded, 1 when
// failing (status_exit_code()).
int run_status(sdbus::IConnection& connection, bool json);
void run_watch(sdbus::IConnection& connection, const std::string& path);
void run_unwatch(sdbus::IConnection& connection, const std::string& name);

// Follows events until interrupted (monitor.cpp).
[[noreturn]] void run_monitor(sdbus::IConnection& connection, const std::vector<std::string>& names, bool json);

} // namespace nswatch::ctl
