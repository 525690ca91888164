#pragma once
// The metrics listener's socket: either bound here from --metrics-listen, or
// passed by systemd (socket activation, nswatchd-metrics.socket). Both give
// a listening, non-blocking, close-on-exec TCP socket that MetricsServer
// serves; with a passed socket the daemon never calls socket() for TCP,
// which is what lets the service keep RestrictAddressFamilies=AF_UNIX
// AF_NETLINK (accept() on an inherited socket is not filtered).
//
// Call from main before any thread starts (sd_listen_fds unsets LISTEN_FDS
// and LISTEN_PID, so a child process does not take them for its own).
// Errors are thrown as std::runtime_error with a text for the log.
#include "http/listen_address.hpp"
#include "util/unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace nswatch::http {

// The listening socket from systemd, if the daemon was given one
// (LISTEN_FDS/LISTEN_PID, via libsystemd's sd_listen_fds). nullopt when
// nothing was passed. Throws if more than one descriptor was passed or the
// one passed is not a listening IPv4/IPv6 stream socket (a unit file
// mistake the log must name, not a silent "no metrics").
std::optional<UniqueFd> take_activated_listener();

// A socket bound to `address` and listening (SO_REUSEADDR; IPV6_V6ONLY for
// an IPv6 address, so "[::]:P" does not also take IPv4's port P). Port 0
// binds an ephemeral port (tests): bound_port() tells which. Throws with
// the address and errno's text ("127.0.0.1:80: Permission denied").
UniqueFd open_listener(const ListenAddress& address);

// The local port of a bound socket; throws if getsockname fails.
std::uint16_t bound_port(int fd);

// "127.0.0.1:19110" / "[::1]:19110" of a bound socket, for the log.
std::string local_address(int fd);

} // namespace nswatch::http
