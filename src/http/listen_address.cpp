#include "http/listen_address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>

namespace nswatch::http {

namespace {

std::string quoted(const std::string& text)
{
    return "'" + text + "'";
}

} // namespace

std::variant<ListenAddress, std::string> parse_listen_address(const std::string& text)
{
    const std::string where = " in --metrics-listen " + quoted(text);
    ListenAddress address;
    std::string port_text;
    if (!text.empty() && text.front() == '[') {
        const auto close = text.find(']');
        if (close == std::string::npos) {
            return "missing ']' after the IPv6 address" + where + " (use [ADDR]:PORT, e.g. [::1]:19110)";
        }
        if (close + 1 >= text.size() || text[close + 1] != ':') {
            return "missing ':PORT' after ']'" + where + " (use [ADDR]:PORT, e.g. [::1]:19110)";
        }
        address.family = AF_INET6;
        address.host = text.substr(1, close - 1);
        port_text = text.substr(close + 2);
        in6_addr parsed{};
        if (::inet_pton(AF_INET6, address.host.c_str(), &parsed) != 1) {
            return "address " + quoted(address.host) + where + " is not a numeric IPv6 address";
        }
    } else {
        const auto colon = text.rfind(':');
        if (colon == std::string::npos) {
            return "missing ':PORT'" + where + " (use ADDR:PORT, e.g. 127.0.0.1:19110)";
        }
        address.host = text.substr(0, colon);
        port_text = text.substr(colon + 1);
        if (address.host.find(':') != std::string::npos) {
            return "IPv6 address " + quoted(address.host) + where + " needs brackets (e.g. [::1]:19110)";
        }
        in_addr parsed{};
        // inet_pton, not inet_aton: no "127.1" or octal shorthands.
        if (::inet_pton(AF_INET, address.host.c_str(), &parsed) != 1) {
            return "address " + quoted(address.host) + where +
                   " is not a numeric IPv4 address (host names are not resolved)";
        }
    }
    unsigned value = 0;
    const auto* end = port_text.data() + port_text.size();
    const auto [ptr, ec] = std::from_chars(port_text.data(), end, value);
    if (port_text.empty() || ec != std::errc() || ptr != end || value > 65535) {
        return "port " + quoted(port_text) + where + " is not a number from 0 to 65535";
    }
    address.port = static_cast<std::uint16_t>(value);
    return address;
}

std::string to_string(const ListenAddress& address)
{
    const auto port = std::to_string(address.port);
    if (address.family == AF_INET6) {
        return "[" + address.host + "]:" + port;
    }
    return address.host + ":" + port;
}

} // namespace nswatch::http
