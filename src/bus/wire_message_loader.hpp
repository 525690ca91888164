#pragma once
// Turns a message marshalled by hand (WireWriter) into an sd_bus_message
// that sd_bus_send() can put on the daemon's connection.
//
// Why: libsystemd has no public call that takes a message's bytes. It does
// read messages from a socket, and it sends a received (sealed) message
// unchanged on another connection, as systemd-stdio-bridge forwards them.
// So the bytes go into one end of a socketpair, and a private sd-bus
// "server" connection on the other end reads them back as a message. Its
// header is parsed; the body is not re-marshalled.
// Cost: one write and one read per message (≈ 2 µs), against ≈ 10 µs
// per event of sd-bus's marshalling (BENCHMARKS.md, "Per-event cost").
//
// The loaded message keeps the serial it was written with. sd-bus then
// keeps its own serials above it (it raises its counter to any sealed
// message it sends), so ours count from 1; a signal's serial is never
// answered, so one equal to an earlier serial of the connection is harmless.
//
// Threading: one thread (the bus thread). Ownership: owns the socketpair
// and the private connection; a loaded message may outlive the loader.
#include "util/unique_fd.hpp"

#include <systemd/sd-bus.h>

#include <string_view>

namespace nswatch {

class WireMessageLoader {
public:
    // Throws std::system_error if the socketpair or the connection fails.
    WireMessageLoader();
    WireMessageLoader(const WireMessageLoader&) = delete;
    WireMessageLoader& operator=(const WireMessageLoader&) = delete;
    ~WireMessageLoader();

    // The message whose bytes are `message` (one whole, valid D-Bus
    // message), or a negative errno. The caller unrefs it. After a failure
    // the loader starts over on a new socketpair (what was written of a
    // bad message must not prefix the next).
    int load(std::string_view message, sd_bus_message** loaded);

    // Whether the last load() failed and the one before it did not (so a
    // caller logs a lasting fault once).
    [[nodiscard]] bool first_failure() const noexcept { return failures_ == 1; }

    // The next serial to write into a message (never 0).
    std::uint32_t next_serial() noexcept;

    // For tests: the raw bytes sd-bus writes for `message` (sent on the
    // private connection and read back from the socketpair).
    int marshal_with_sd_bus(sd_bus_message* message, std::string& bytes);
    [[nodiscard]] sd_bus* private_bus() const noexcept { return bus_; }

private:
    void open();
    int load_once(std::string_view message, sd_bus_message** loaded);
    int handshake();

    UniqueFd ours_; // the writing end
    sd_bus* bus_ = nullptr;
    std::uint32_t serial_ = 0;
    std::uint64_t failures_ = 0; // loads failed in a row
};

} // namespace nswatch
