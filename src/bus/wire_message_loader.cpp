#include "bus/wire_message_loader.hpp"

#include <sys/socket.h>
#include <systemd/sd-id128.h>

#include <array>
#include <cerrno>
#include <string>
#include <system_error>

namespace nswatch {

namespace {

// The client's half of the authentication (the D-Bus specification's
// "Authentication Protocol"): the NUL byte, ANONYMOUS (which the private
// connection is told to accept) with its trace string ("nswatch" in hex:
// without one the server asks for DATA first), then BEGIN.
constexpr char kAuthenticationText[] = "\0AUTH ANONYMOUS 6e737761746368\r\nBEGIN\r\n";
constexpr std::string_view kAuthentication{kAuthenticationText, sizeof kAuthenticationText - 1};

// Bounds the handshake's steps; each is a non-blocking call on a socket
// this thread alone writes and reads, so it progresses every time.
constexpr int kHandshakeSteps = 16;

// The serial of a little-endian message (bytes 8..11 of its header).
std::uint64_t serial_of(std::string_view message)
{
    if (message.size() < 12) {
        return 0;
    }
    std::uint32_t serial = 0;
    for (unsigned i = 0; i < 4; ++i) {
        serial |= static_cast<std::uint32_t>(static_cast<unsigned char>(message[8 + i])) << (8U * i);
    }
    return serial;
}

void check(int result, const char* what)
{
    if (result < 0) {
        throw std::system_error(-result, std::generic_category(), what);
    }
}

} // namespace

WireMessageLoader::WireMessageLoader()
{
    open();
}

void WireMessageLoader::open()
{
    bus_ = sd_bus_close_unref(bus_);
    std::array<int, 2> fds{};
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds.data()) < 0) {
        throw std::system_error(errno, std::generic_category(), "socketpair");
    }
    ours_ = UniqueFd(fds[0]);
    UniqueFd theirs(fds[1]);
    try {
        check(sd_bus_new(&bus_), "sd_bus_new");
        sd_id128_t id{};
        check(sd_id128_randomize(&id), "sd_id128_randomize");
        check(sd_bus_set_fd(bus_, theirs.get(), theirs.get()), "sd_bus_set_fd");
        theirs.release(); // the connection closes it from here on
        check(sd_bus_set_server(bus_, 1, id), "sd_bus_set_server");
        check(sd_bus_set_anonymous(bus_, 1), "sd_bus_set_anonymous");
        check(sd_bus_negotiate_fds(bus_, 0), "sd_bus_negotiate_fds");
        check(sd_bus_start(bus_), "sd_bus_start");
        check(handshake(), "authentication on the private connection");
    } catch (...) {
        bus_ = sd_bus_close_unref(bus_);
        throw;
    }
}

WireMessageLoader::~WireMessageLoader()
{
    sd_bus_close_unref(bus_);
}

int WireMessageLoader::handshake()
{
    const ssize_t sent = ::send(ours_.get(), kAuthentication.data(), kAuthentication.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(kAuthentication.size())) {
        return sent < 0 ? -errno : -EIO;
    }
    for (int step = 0; step < kHandshakeSteps; ++step) {
        const int ready = sd_bus_is_ready(bus_);
        if (ready != 0) {
            if (ready < 0) {
                return ready;
            }
            // Discard the server's "OK <guid>": nothing else ever comes.
            std::array<char, 256> reply{};
            while (::recv(ours_.get(), reply.data(), reply.size(), 0) > 0) {
            }
            return 0;
        }
        const int r = sd_bus_process(bus_, nullptr);
        if (r < 0) {
            return r;
        }
    }
    return -ETIMEDOUT;
}

std::uint32_t WireMessageLoader::next_serial() noexcept
{
    if (++serial_ == 0) {
        serial_ = 1;
    }
    return serial_;
}

int WireMessageLoader::load(std::string_view message, sd_bus_message** loaded)
{
    const int r = load_once(message, loaded);
    failures_ = r < 0 ? failures_ + 1 : 0;
    if (r < 0) {
        // The stream may hold part of the message, or sd-bus closed the
        // connection: start again on a new socketpair.
        try {
            open();
        } catch (const std::system_error&) {
            bus_ = nullptr; // the next load() reports -ENOTCONN
        }
    }
    return r;
}

int WireMessageLoader::load_once(std::string_view message, sd_bus_message** loaded)
{
    if (bus_ == nullptr) {
        return -ENOTCONN;
    }
    std::size_t written = 0;
    for (;;) {
        bool progress = false;
        if (written < message.size()) {
            const ssize_t n = ::send(ours_.get(), message.data() + written, message.size() - written, MSG_NOSIGNAL);
            if (n < 0 && errno != EAGAIN) {
                return -errno;
            }
            if (n > 0) {
                written += static_cast<std::size_t>(n);
                progress = true;
            }
        }
        sd_bus_message* read = nullptr;
        const int r = sd_bus_process(bus_, &read);
        if (r < 0) {
            return r;
        }
        if (read != nullptr) {
            // Only ever the message written: never one sd-bus makes up (a
            // Disconnected signal on its local path would be forwarded).
            std::uint64_t cookie = 0;
            if (sd_bus_message_get_cookie(read, &cookie) < 0 || cookie != serial_of(message)) {
                sd_bus_message_unref(read);
                return -EBADMSG;
            }
            *loaded = read;
            return 0;
        }
        if (r == 0 && !progress) {
            return -EBADMSG; // all written, nothing more to read: not one whole message
        }
    }
}

int WireMessageLoader::marshal_with_sd_bus(sd_bus_message* message, std::string& bytes)
{
    const int r = sd_bus_send(bus_, message, nullptr);
    if (r < 0) {
        return r;
    }
    bytes.clear();
    std::array<char, 4096> chunk{};
    for (;;) {
        const ssize_t n = ::recv(ours_.get(), chunk.data(), chunk.size(), 0);
        if (n <= 0) {
            return n == 0 || errno == EAGAIN ? 0 : -errno;
        }
        bytes.append(chunk.data(), static_cast<std::size_t>(n));
    }
}

} // namespace nswatch
