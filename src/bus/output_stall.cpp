#include "bus/output_stall.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <sdbus-c++/sdbus-c++.h>
#include <spdlog/spdlog.h>

namespace nswatch {

namespace {

// How long the bus may leave our messages unread before it is logged.
constexpr auto kStallWarning = std::chrono::seconds(2);

} // namespace

OutputStall::OutputStall(EventLoop& loop, sdbus::IConnection& connection)
    : connection_(connection), timer_(loop.add_timer([this] { report(); }))
{
}

bool OutputStall::held()
{
    const bool held = (connection_.getEventLoopPollData().events & POLLOUT) != 0;
    if (held && !held_since_) {
        held_since_ = std::chrono::steady_clock::now();
        timer_.arm_after(kStallWarning);
    } else if (!held && held_since_) {
        if (reported_) {
            spdlog::info(
                "the bus reads nswatchd's messages again after {} ms; namespaces that dropped events "
                "resync (Resynced \"queue-full\")",
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - *held_since_)
                    .count());
        }
        held_since_.reset();
        reported_ = false;
        timer_.disarm();
    }
    return held;
}

void OutputStall::report()
{
    reported_ = true;
    spdlog::warn("the bus has read none of nswatchd's messages for {} s (dbus-daemon stops reading from a "
                 "sender once max_incoming_bytes of its messages wait for a client that does not read): events "
                 "wait; a namespace whose queue fills counts its drops (EventsDropped) and resyncs once the bus "
                 "reads again; calls are answered then",
                 std::chrono::duration_cast<std::chrono::seconds>(kStallWarning).count());
}

void OutputStall::abandon_unwritable_output()
{
    if (held()) {
        spdlog::warn("the bus is not reading nswatchd's messages: closing the connection without the unsent ones");
        ::shutdown(connection_.getEventLoopPollData().fd, SHUT_RDWR);
    }
}

} // namespace nswatch
