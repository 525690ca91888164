#include "http/listener.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace nswatch::http {

namespace {

// Backlog of connections the kernel completes while the server is at its
// connection limit (MetricsServer stops accepting then); more SYNs are
// dropped and retried by the client's kernel.
constexpr int kBacklog = 128;

std::runtime_error errno_error(const std::string& what, int error)
{
    return std::runtime_error(what + ": " + std::strerror(error));
}

void make_nonblocking(int fd)
{
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        throw errno_error("metrics listener: O_NONBLOCK", errno);
    }
}

} // namespace

std::optional<UniqueFd> take_activated_listener()
{
    const int count = ::sd_listen_fds(1); // 1: unset LISTEN_FDS/LISTEN_PID
    if (count < 0) {
        throw errno_error("socket activation (LISTEN_FDS)", -count);
    }
    if (count == 0) {
        return std::nullopt;
    }
    // Own them all, so that an error below closes every one of them.
    UniqueFd first(SD_LISTEN_FDS_START);
    for (int i = 1; i < count; ++i) {
        ::close(SD_LISTEN_FDS_START + i);
    }
    if (count > 1) {
        throw std::runtime_error("socket activation passed " + std::to_string(count) +
                                 " sockets; nswatchd takes one (ListenStream= of nswatchd-metrics.socket)");
    }
    const bool inet = ::sd_is_socket_inet(first.get(), AF_UNSPEC, SOCK_STREAM, 1, 0) > 0;
    if (!inet) {
        throw std::runtime_error("socket activation passed a descriptor that is not a listening IPv4 or IPv6 "
                                 "stream socket (nswatchd-metrics.socket needs ListenStream=ADDR:PORT)");
    }
    make_nonblocking(first.get());
    return first;
}

UniqueFd open_listener(const ListenAddress& address)
{
    const std::string name = to_string(address);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (address.family == AF_INET6) {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(address.port);
        if (::inet_pton(AF_INET6, address.host.c_str(), &in6->sin6_addr) != 1) {
            throw std::runtime_error(name + ": not a numeric IPv6 address");
        }
        length = sizeof(sockaddr_in6);
    } else {
        auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(address.port);
        if (::inet_pton(AF_INET, address.host.c_str(), &in4->sin_addr) != 1) {
            throw std::runtime_error(name + ": not a numeric IPv4 address");
        }
        length = sizeof(sockaddr_in);
    }
    UniqueFd fd(::socket(address.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        throw errno_error(name + ": socket", errno);
    }
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (address.family == AF_INET6) {
        ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&storage), length) < 0) {
        throw errno_error(name, errno);
    }
    if (::listen(fd.get(), kBacklog) < 0) {
        throw errno_error(name + ": listen", errno);
    }
    return fd;
}

std::uint16_t bound_port(int fd)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) {
        throw errno_error("metrics listener: getsockname", errno);
    }
    if (storage.ss_family == AF_INET6) {
        return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
    }
    return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
}

std::string local_address(int fd)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) < 0) {
        throw errno_error("metrics listener: getsockname", errno);
    }
    char text[INET6_ADDRSTRLEN] = {};
    ListenAddress address;
    address.family = storage.ss_family;
    if (storage.ss_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text, sizeof text);
    } else {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof text);
    }
    address.host = text;
    address.port = bound_port(fd);
    return to_string(address);
}

} // namespace nswatch::http
