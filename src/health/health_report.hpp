#pragma once
// The daemon's health as one value: a state and the reasons for it. Plain
// values; the strings "ok", "degraded" and "failing" exist only at the edges
// (src/bus/enum_strings, nswatchctl, HTTP /health).
#include <cstdint>
#include <string>
#include <vector>

namespace nswatch {

enum class HealthState : std::uint8_t {
    Ok,       // nothing known to be wrong
    Degraded, // events still flow, but something needs a look (see the reasons)
    Failing,  // the daemon cannot do its job: an operator must act
};

struct HealthReport {
    HealthState state = HealthState::Ok;
    std::vector<std::string> reasons; // empty when Ok; one sentence a person can act on each

    // What the bus loop compares to decide whether to emit PropertiesChanged.
    bool operator==(const HealthReport&) const = default;
};

// What D-Bus (ManagerObject) and HTTP read the health from. Threading: the
// bus thread calls it, as it makes the observer calls that feed it.
class HealthSource {
public:
    virtual ~HealthSource() = default;
    [[nodiscard]] virtual HealthReport health() const = 0; // as of now
};

} // namespace nswatch
