#pragma once
// `nswatchctl status`: the daemon's health and figures as text, as JSON, and
// the exit status they mean. Pure: values read from the Manager in, text out.
#include "ctl/format.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace nswatch::ctl {

struct StatusFigures {
    std::string version;
    std::string health;                      // Manager.Health: "ok", "degraded", "failing"
    std::vector<std::string> health_reasons; // Manager.HealthReasons
    std::uint32_t namespaces = 0;
    std::uint64_t events_published = 0;
    std::uint64_t events_dropped = 0;
    std::uint64_t resyncs = 0;
};

// Aligned "Label: value" lines; each health reason on a line of its own
// under the state.
std::string status_text(const StatusFigures& figures);
// {"version","health","health_reasons","namespaces","events_published",
//  "events_dropped","resyncs"}
Json status_json(const StatusFigures& figures);
// 0 for "ok" and "degraded" (the daemon does its job; HTTP /health answers
// 200), 1 for "failing" or anything else (HTTP 503): the line /health draws,
// so the two agree. Like `systemctl is-system-running`, the state is printed
// and the exit status lets a script test it.
int status_exit_code(const std::string& health);

} // namespace nswatch::ctl
