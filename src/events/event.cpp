#include "events/event.hpp"

#include <ctime>

namespace nswatch {

namespace {
struct TypeName {
    std::string_view operator()(const Link&) const noexcept { return "link"; }
};
struct IfIndex {
    std::int32_t operator()(const Link& link) const noexcept { return link.ifindex; }
};
} // namespace

std::string_view object_type_name(const KernelObject& object) noexcept
{
    return std::visit(TypeName{}, object);
}

std::int32_t object_ifindex(const KernelObject& object) noexcept
{
    return std::visit(IfIndex{}, object);
}

std::string event_type_name(const ObjectEvent& event)
{
    std::string name(object_type_name(event.object));
    switch (event.change) {
    case Change::Added: return name + "-added";
    case Change::Changed: return name + "-changed";
    case Change::Removed: return name + "-removed";
    }
    return name;
}

std::uint64_t realtime_usec() noexcept
{
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000U + static_cast<std::uint64_t>(ts.tv_nsec) / 1000U;
}

} // namespace nswatch
