#pragma once
// The contract's D-Bus value types, for clients (nswatchctl, tests) that
// read events and snapshots. The daemon writes them without these types
// (message_writer.hpp: no sdbus::Variant per attribute).
#include <sdbus-c++/Types.h>

#include <cstdint>
#include <map>
#include <string>

namespace nswatch {

using Attributes = std::map<std::string, sdbus::Variant>;
// (t seq, t time_usec, s type, i ifindex, a{sv} attrs)
using DbusEvent = sdbus::Struct<std::uint64_t, std::uint64_t, std::string, std::int32_t, Attributes>;
// (s type, i ifindex, a{sv} attrs)
using DbusObject = sdbus::Struct<std::string, std::int32_t, Attributes>;

} // namespace nswatch
