#pragma once
// The sd-bus handles under sdbus-c++ 1.2's wrappers.
//
// Why: sdbus-c++ 1.2 gives no way to reach the sd_bus or sd_bus_message it
// wraps, and two costs of issue 9 need sd-bus itself: one fallback vtable
// for every namespace object (sdbus-c++ makes a full object, ~6 KiB, per
// path), and writing a signal's body without a C++ call per container.
// sdbus::Message keeps its handles in protected members; a pointer to a
// member named through a derived class is an ordinary `T Message::*`, so
// reading them needs no cast of the object and no undefined behaviour.
// The Message keeps its reference; these borrow it.
// Threading: as the message's connection (the bus thread here).
#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

namespace nswatch {

class SdBusAccess : private sdbus::Message {
public:
    // The sd_bus_message that `message` wraps (borrowed).
    [[nodiscard]] static sd_bus_message* message(const sdbus::Message& message) noexcept
    {
        return static_cast<sd_bus_message*>(message.*(&SdBusAccess::msg_));
    }
    // The connection `message` belongs to (borrowed).
    [[nodiscard]] static sd_bus* bus(const sdbus::Message& message) noexcept
    {
        return sd_bus_message_get_bus(SdBusAccess::message(message));
    }
    // sdbus-c++'s own handle of that connection, to wrap further messages.
    [[nodiscard]] static sdbus::internal::ISdBus* sdbus(const sdbus::Message& message) noexcept
    {
        return message.*(&SdBusAccess::sdbus_);
    }
};

} // namespace nswatch
