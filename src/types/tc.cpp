// Text forms of the tc values in include/nswatch/tc.hpp. Part of
// nswatch-types: the C++ standard library only, shared by nswatchd and
// nswatchctl.
#include "nswatch/tc.hpp"

#include <cstdio>

namespace nswatch {

std::string format_tc_handle(std::uint32_t handle)
{
    if (handle == kTcRoot) {
        return "root";
    }
    char text[24];
    if ((handle & 0xffffU) == 0) {
        std::snprintf(text, sizeof text, "%x:", handle >> 16);
    } else {
        std::snprintf(text, sizeof text, "%x:%x", handle >> 16, handle & 0xffffU);
    }
    return text;
}

} // namespace nswatch
