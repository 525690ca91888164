#include "ctl/status.hpp"

#include <nlohmann/json.hpp>

namespace nswatch::ctl {

namespace {

// "    Namespaces: 3": labels right-aligned to one column, as systemctl status.
void line(std::string& out, const char* label, const std::string& value)
{
    constexpr std::size_t kLabelWidth = 14;
    const std::string text(label);
    out.append(text.size() < kLabelWidth ? kLabelWidth - text.size() : 0, ' ');
    out += text;
    out += ": ";
    out += value;
    out += '\n';
}

} // namespace

std::string status_text(const StatusFigures& f)
{
    std::string out;
    line(out, "Version", f.version);
    line(out, "Health", f.health);
    for (const auto& reason : f.health_reasons) {
        out.append(16, ' '); // under the value
        out += reason;
        out += '\n';
    }
    line(out, "Namespaces", std::to_string(f.namespaces));
    line(out, "Published", std::to_string(f.events_published) + " events");
    line(out, "Dropped", std::to_string(f.events_dropped) + " events (each repaired by a resync)");
    line(out, "Resyncs", std::to_string(f.resyncs));
    return out;
}

Json status_json(const StatusFigures& f)
{
    return Json{{"version", f.version},
                {"health", f.health},
                {"health_reasons", f.health_reasons},
                {"namespaces", f.namespaces},
                {"events_published", f.events_published},
                {"events_dropped", f.events_dropped},
                {"resyncs", f.resyncs}};
}

int status_exit_code(const std::string& health)
{
    return health == "ok" || health == "degraded" ? 0 : 1;
}

} // namespace nswatch::ctl
