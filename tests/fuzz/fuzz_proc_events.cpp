// libFuzzer target: process-events connector datagrams of any bytes parse
// without reading out of bounds (ASan checks every access).
#include "netns/proc_events.hpp"

#include <cstddef>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> datagram(reinterpret_cast<const std::byte*>(data), size);
    for (const auto& event : nswatch::parse_proc_events(datagram)) {
        (void)event;
    }
    (void)nswatch::parse_proc_ack(datagram, 1);
    return 0;
}
