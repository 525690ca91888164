#pragma once
// A network interface as the daemon reports it: plain values, no libnl.
#include <cstdint>
#include <string>
#include <string_view>

namespace nswatch {

struct Link {
    std::int32_t ifindex = 0;
    std::string name;
    std::string kind; // IFLA_INFO_KIND: "veth", "bridge", … or empty
    std::uint32_t mtu = 0;
    std::uint32_t flags = 0;        // IFF_*
    std::uint8_t operstate = 0;     // IF_OPER_* (RFC 2863)
    std::string address;            // "aa:bb:cc:dd:ee:ff", empty if none
    std::int32_t master = 0;        // ifindex of the master, 0 if none
    std::int32_t link_netnsid = -1; // peer's netns id, -1 if none

    [[nodiscard]] bool up() const noexcept { return (flags & 0x1U) != 0; } // IFF_UP

    bool operator==(const Link&) const = default;
};

// Lower-case RFC 2863 name of an IF_OPER_* value ("up", "down", "unknown",
// "lowerlayerdown", "dormant", "notpresent", "testing").
std::string_view operstate_name(std::uint8_t operstate) noexcept;

// "aa:bb:…" from raw hardware-address bytes; empty for no bytes.
std::string format_hw_address(const unsigned char* bytes, std::size_t length);

} // namespace nswatch
