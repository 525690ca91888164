#pragma once
// How much of what nswatchd wrote to the bus the bus has not read yet.
//
// Why: everything nswatchd sends goes over its one connection, in order.
// sd-bus writes a finished message into the socket at once (it only queues
// what the socket does not take), so a GetState reply of 0.9 MiB sits in the
// socket, and then in dbus-daemon, ahead of every event emitted after it.
// Two clients calling GetState in a loop kept one or two such replies ahead
// of each event. The bus loop serves the next call only once the bus has
// read what came before (the gate is open), and drains the rings first: an
// event then waits behind at most one reply, not behind a queue of them.
// Measured with SIOCOUTQ: for a unix stream socket, the memory charged for
// what the peer has not read yet (the bytes, plus the kernel's overhead per
// buffer; a buffer read in part counts until it is read to its end). The bus fd has no event for "the peer read it", so
// a closed gate is looked at again by a timer (the bus loop's).
// Threading: the bus thread (the fd is its connection's). Does not own fd.
#include <cstddef>

namespace nswatch {

class OutputGate {
public:
    OutputGate(int fd, std::size_t limit_bytes) noexcept : fd_(fd), limit_(limit_bytes) {}

    // Bytes in the socket the peer has not read, about (0 if the fd cannot say).
    [[nodiscard]] std::size_t unread() const noexcept;
    // Whether at most `limit_bytes` wait to be read.
    [[nodiscard]] bool open() const noexcept { return unread() <= limit_; }

private:
    int fd_;
    std::size_t limit_;
};

} // namespace nswatch
