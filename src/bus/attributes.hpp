#pragma once
// Plain values → D-Bus values of the contract (a{sv} attribute maps).
#include "events/event.hpp"
#include "events/namespace_mirror.hpp"

#include <sdbus-c++/Types.h>

#include <map>
#include <string>

namespace nswatch {

using Attributes = std::map<std::string, sdbus::Variant>;
// (t seq, t time_usec, s type, i ifindex, a{sv} attrs)
using DbusEvent = sdbus::Struct<std::uint64_t, std::uint64_t, std::string, std::int32_t, Attributes>;
// (s type, i ifindex, a{sv} attrs)
using DbusObject = sdbus::Struct<std::string, std::int32_t, Attributes>;

Attributes to_attributes(const KernelObject& object);
DbusEvent to_dbus(const SequencedEvent& event);
DbusObject to_dbus(const KernelObject& object);

} // namespace nswatch
