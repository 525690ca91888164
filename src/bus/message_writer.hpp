#pragma once
// Writes the contract's values straight into a D-Bus message with sd-bus's
// own calls: GetState's snapshot objects, and the Events body when the
// wire writer's message cannot be loaded (events_signal.hpp).
//
// Why not sdbus::Variant: in sdbus-c++ 1.2 every Variant is an
// sd_bus_message of its own (an allocation, a serialization, then a copy
// into the outer message). A GetState of 10,000 objects made 60,000 of them
// and held the bus thread for 100-150 ms. These writers open each variant
// in place instead. The wire format is exactly what the XML says (a{sv},
// (sia{sv})).
// Threading: bus thread (the messages belong to its connection).
#include "events/event.hpp"

#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

namespace nswatch {

// The attribute map of one object, a{sv}. Returns 0 or the first negative
// errno of sd-bus.
int append_attributes(sd_bus_message* message, const KernelObject& object);
// One snapshot object: (s type, i ifindex, a{sv} attrs). Throws sdbus::Error,
// as sdbus-c++'s own writes do.
void write_snapshot_object(sdbus::Message& message, const KernelObject& object);

inline constexpr const char* kSnapshotObjectSignature = "(sia{sv})";

} // namespace nswatch
