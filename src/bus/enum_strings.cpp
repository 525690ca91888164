#include "bus/enum_strings.hpp"

namespace nswatch {

std::string source_string(SourceKind source)
{
    switch (source) {
    case SourceKind::Default: return "default";
    case SourceKind::Named: return "named";
    case SourceKind::Docker:
    case SourceKind::Mount:
    case SourceKind::Watch:
    case SourceKind::Process: break;
    }
    return std::string(name_prefix(source));
}

std::string state_string(MonitorState state)
{
    switch (state) {
    case MonitorState::Starting: return "starting";
    case MonitorState::Monitoring: return "monitoring";
    case MonitorState::Failed: return "failed";
    }
    return "unknown";
}

std::string resync_reason_string(ResyncReason reason)
{
    switch (reason) {
    case ResyncReason::Initial: return "initial";
    case ResyncReason::Overrun: return "overrun";
    case ResyncReason::QueueFull: return "queue-full";
    case ResyncReason::Restart: return "restart";
    }
    return "unknown";
}

std::string health_string(HealthState state)
{
    switch (state) {
    case HealthState::Ok: return "ok";
    case HealthState::Degraded: return "degraded";
    case HealthState::Failing: return "failing";
    }
    return "unknown";
}

} // namespace nswatch
