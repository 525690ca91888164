#pragma once
// The `Events` signal of one namespace, marshalled whole (header and body)
// by WireWriter: `(s name, a(ttsia{sv}) events)` from
// `object_path`, interface org.nswatch1.Namespace, member Events.
//
// A pure function of its arguments, so it is tested against sd-bus's own
// marshalling and fuzzed without a bus. Threading: none.
#include "events/namespace_mirror.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace nswatch {

inline constexpr std::string_view kEventsBodySignature = "sa(ttsia{sv})";

// The whole signal message. `serial` must not be 0. Flags: no reply
// expected (as sd-bus sets on every message sent without asking for one).
std::string events_signal_message(std::string_view object_path, std::string_view name,
                                  std::span<const SequencedEvent> events, std::uint32_t serial);

} // namespace nswatch
