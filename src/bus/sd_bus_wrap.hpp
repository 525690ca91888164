#pragma once
// An sdbus-c++ 1.2 wrapper around a method call that sd-bus handed us.
//
// Why: the namespace objects are served by a raw sd-bus fallback vtable
// (bus/namespace_tree.hpp), so a GetState call arrives as an
// sd_bus_message*, while SnapshotReplies and message_writer write through
// sdbus::Message. sdbus-c++ constructs its messages from a raw handle only
// in protected constructors; a derived class may call them.
// Ownership: the wrapper takes a reference of its own on the message
// (sd_bus_message_ref), released with the last copy.
// Threading: as the message's connection (the bus thread).
#include <sdbus-c++/Message.h>
#include <systemd/sd-bus.h>

namespace nswatch {

// `call` as the sdbus::MethodCall sdbus-c++ would have made of it. `sdbus`:
// the connection's sdbus-c++ handle (SdBusAccess::sdbus of any message of
// that connection). Only createReply/createErrorReply are used on it.
inline sdbus::MethodCall wrap_method_call(sd_bus_message* call, sdbus::internal::ISdBus* sdbus)
{
    struct Wrapped : sdbus::MethodCall {
        Wrapped(sd_bus_message* message, sdbus::internal::ISdBus* handle) : sdbus::MethodCall(message, handle) {}
    };
    return Wrapped(call, sdbus);
}

} // namespace nswatch
