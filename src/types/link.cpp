// Text forms of the link values in include/nswatch/link.hpp. Part of
// nswatch-types: the C++ standard library only, shared by nswatchd and
// nswatchctl.
#include "nswatch/link.hpp"

#include <array>

namespace nswatch {

std::string_view operstate_name(std::uint8_t operstate) noexcept
{
    // Indexed by IF_OPER_* from <linux/if.h>.
    static constexpr std::array<std::string_view, 7> names = {"unknown", "notpresent", "down", "lowerlayerdown",
                                                              "testing", "dormant",    "up"};
    return operstate < names.size() ? names[operstate] : "unknown";
}

std::string format_hw_address(const unsigned char* bytes, std::size_t length)
{
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 3);
    for (std::size_t i = 0; i < length; ++i) {
        if (i != 0) {
            out += ':';
        }
        out += hex[bytes[i] >> 4];
        out += hex[bytes[i] & 0xf];
    }
    return out;
}

} // namespace nswatch
