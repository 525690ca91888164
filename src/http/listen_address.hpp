#pragma once
// The address of the metrics listener (--metrics-listen=ADDR:PORT): a
// numeric IPv4 address ("127.0.0.1:19110") or a bracketed IPv6 address
// ("[::1]:19110"). Numeric only, on purpose: a daemon that starts at boot
// must not wait for DNS, and a name that resolves to several addresses
// would make "which one is listening" a guess.
//
// Pure (libc and the standard library only): options.cpp parses with it,
// listener.cpp binds with it. Any thread.
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <variant>

namespace nswatch::http {

struct ListenAddress {
    int family = AF_INET; // AF_INET or AF_INET6
    std::string host;     // as written, without brackets: "127.0.0.1", "::1"
    std::uint16_t port = 0;
};

// A ListenAddress, or an error text naming the bad part (for example
// "port '99999' in --metrics-listen '…' is not a number from 0 to 65535").
// Port 0 takes any free port; the daemon logs which (tests use it).
std::variant<ListenAddress, std::string> parse_listen_address(const std::string& text);

// "127.0.0.1:19110" or "[::1]:19110".
std::string to_string(const ListenAddress& address);

} // namespace nswatch::http
