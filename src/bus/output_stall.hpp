#pragma once
// Whether the bus reads what nswatchd writes, and what to do when it does
// not: a dbus-daemon stops reading from a sender once max_incoming_bytes of
// its messages wait for a client that does not read (a subscriber that
// stopped reading). sd-bus then keeps what it could not write and asks for
// POLLOUT. A stall that lasts kStallWarning is logged once, and its end.
//
// Threading: bus thread only (it asks the connection for its poll data).
// Ownership: reads the connection, which outlives it; owns its timer.
#include "util/event_loop.hpp"

#include <chrono>
#include <optional>

namespace sdbus {
class IConnection;
}

namespace nswatch {

class OutputStall {
public:
    OutputStall(EventLoop& loop, sdbus::IConnection& connection);

    // Whether sd-bus holds messages it could not write yet. Call once per
    // loop round: it tracks how long that lasts.
    bool held();

    // sdbus-c++ destroys the connection with sd_bus_flush_close_unref(),
    // which waits without a time limit until sd-bus wrote its queue: with a
    // bus that reads nothing from us nswatchd would never exit. Messages the
    // bus did not take are given up instead (the socket is shut down).
    void abandon_unwritable_output();

private:
    void report();

    sdbus::IConnection& connection_;
    Timer timer_;
    std::optional<std::chrono::steady_clock::time_point> held_since_; // sd-bus has unwritten messages since
    bool reported_ = false;
};

} // namespace nswatch
