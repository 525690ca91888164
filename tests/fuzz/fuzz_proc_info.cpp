// libFuzzer target: /proc/PID/ns/net link text and /proc/PID/cgroup text.
#include "netns/proc_info.hpp"

#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (auto inode = nswatch::parse_ns_link(text); inode && !text.starts_with("net:[")) {
        std::abort(); // only net:[N] is a network namespace link
    }
    const auto info = nswatch::parse_cgroup(text);
    if (info.unit.size() > text.size() || info.container.size() > text.size()) {
        std::abort(); // both are taken from the text
    }
    return 0;
}
