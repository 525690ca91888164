#pragma once
// A deliberately plain HTTP/1.1 client for the metrics server tests: real
// TCP sockets on loopback, raw request bytes (so a test can send half a
// request line or a 1 MB one), and a deadline on every wait so a broken
// server fails the test instead of hanging it. Test code only.
#include "util/unique_fd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace nswatch::test {

using Clock = std::chrono::steady_clock;
inline constexpr std::chrono::seconds kNeverReached{20}; // only a broken server waits this long

inline sockaddr_in loopback(std::uint16_t port, const char* address = "127.0.0.1")
{
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    ::inet_pton(AF_INET, address, &in.sin_addr);
    return in;
}

// A TCP socket connecting to 127.0.0.1:port from `source` (any 127/8
// address: the server's per-IP limit sees them as different clients).
// Non-blocking connect when `nonblocking`, so thousands can be opened
// while the server's backlog is full; else connected when returned.
inline UniqueFd connect_from(std::uint16_t port, const char* source = "127.0.0.1", bool nonblocking = false)
{
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
    const auto from = loopback(0, source);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&from), sizeof from) < 0) {
        return {};
    }
    const auto to = loopback(port);
    const int rc = ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to);
    if (rc < 0 && !(nonblocking && errno == EINPROGRESS)) {
        fd.reset();
    }
    return fd;
}

inline bool send_all(int fd, const std::string& bytes)
{
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Waits until the peer closes (EOF or reset); false at the deadline.
// Reads and drops whatever the server sends first (an error status).
inline bool wait_closed(int fd, Clock::time_point deadline)
{
    char buffer[4096];
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (::poll(&p, 1, static_cast<int>(left.count()) + 1) <= 0) {
            continue;
        }
        const auto n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return true;
        }
    }
    return false;
}

// True while the peer has neither closed nor sent anything.
inline bool still_open(int fd)
{
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
}

struct Response {
    int status = 0;
    std::string head; // status line and headers
    std::string body;
    [[nodiscard]] std::optional<std::string> header(const std::string& name) const
    {
        const auto at = head.find("\r\n" + name + ": ");
        if (at == std::string::npos) {
            return std::nullopt;
        }
        const auto start = at + name.size() + 4;
        return head.substr(start, head.find("\r\n", start) - start);
    }
};

// Sends `request` (with "Connection: close") and reads until the server
// closes. nullopt if the server closed or reset without a status line.
inline std::optional<Response> exchange(int fd, const std::string& request)
{
    if (!send_all(fd, request)) {
        return std::nullopt;
    }
    std::string reply;
    char buffer[4096];
    const auto deadline = Clock::now() + kNeverReached;
    while (Clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 1000) <= 0) {
            continue;
        }
        const auto n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n <= 0) {
            break;
        }
        reply.append(buffer, static_cast<std::size_t>(n));
    }
    const auto end = reply.find("\r\n\r\n");
    if (reply.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) {
        return std::nullopt;
    }
    Response response;
    response.status = std::stoi(reply.substr(9, 3));
    response.head = reply.substr(0, end + 2);
    response.body = reply.substr(end + 4);
    return response;
}

inline std::optional<Response> fetch(std::uint16_t port, const std::string& method, const std::string& path,
                                     const char* source = "127.0.0.1")
{
    const UniqueFd fd = connect_from(port, source);
    if (!fd) {
        return std::nullopt;
    }
    return exchange(fd.get(), method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
}

} // namespace nswatch::test
