#pragma once
// The D-Bus spelling of the model's enums. Strings for these exist only here
// (and in the names the sources build); see dbus/*.xml.
#include "daemon/namespace_status.hpp"
#include "events/event.hpp"
#include "health/health_report.hpp"
#include "netns/namespace_identity.hpp"

#include <string>

namespace nswatch {

// Namespace.Source: "default", "named", or the name's prefix ("docker", "mount", "watch", "proc").
std::string source_string(SourceKind source);
// Namespace.State: "starting", "monitoring", "failed".
std::string state_string(MonitorState state);
// Resynced's reason: "initial" (never sent), "overrun", "queue-full", "restart".
std::string resync_reason_string(ResyncReason reason);
// Manager.Health: "ok", "degraded", "failing" (also HTTP /health's "status").
std::string health_string(HealthState state);

} // namespace nswatch
