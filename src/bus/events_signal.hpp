#pragma once
// Sends a namespace's `Events` signal on the daemon's connection.
//
// The message is marshalled by events_signal_message() (WireWriter) and
// loaded by `loader`; if that ever fails, it is written with sd-bus's own
// calls instead (append_events_with_sd_bus), so no event is lost to a
// loader fault.
// Threading: the bus thread (the loader's and the connection's).
#include "events/namespace_mirror.hpp"

#include <systemd/sd-bus.h>

#include <span>
#include <string_view>

namespace nswatch {

class WireMessageLoader;

// Throws sdbus::Error if the signal cannot be sent (as emitSignal does).
void emit_events_signal(WireMessageLoader& loader, sd_bus* bus, const char* object_path, std::string_view name,
                        std::span<const SequencedEvent> events);

// The body `(s name, a(ttsia{sv}) events)` written with sd-bus's append
// calls: the fallback above, and the reference the wire writer is tested
// against. Returns 0 or a negative errno.
int append_events_with_sd_bus(sd_bus_message* message, std::string_view name, std::span<const SequencedEvent> events);

} // namespace nswatch
