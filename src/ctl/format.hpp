#pragma once
// How nswatchctl prints objects and events. Pure: D-Bus values in, text out.
#include "bus/attributes.hpp"

#include <nlohmann/json_fwd.hpp>

#include <string>

namespace nswatch::ctl {

// An attribute's value, or 0 / "" when the object does not have it.
std::uint32_t attr_u32(const Attributes& attrs, const char* key);
std::string attr_text(const Attributes& attrs, const char* key);

// "1Mbit", "512Kbit", "10Gbit" from bytes per second, as tc prints rates.
std::string format_rate(std::uint64_t bytes_per_second);

// --json output is built with nlohmann-json. Objects keep the order their
// keys are added in (ordered_json), so lines read as documented.
using Json = nlohmann::ordered_json;
// One line of --json output: compact, valid UTF-8 (invalid bytes replaced).
std::string json_text(const Json& value);
// A JSON object of attributes, keys sorted, D-Bus numbers and booleans kept:
// {"mtu":1500,"name":"veth0","up":true,…}.
Json attributes_json(const Attributes& attrs);

// One readable line for an event of namespace `ns`:
// "ns1 #12 link-changed 3 veth0 mtu 1400 up …".
std::string event_line(const std::string& ns, std::uint64_t seq, const std::string& type, std::int32_t ifindex,
                       const Attributes& attrs);
// The same as one JSON object:
// {"namespace","seq","time_usec","type","ifindex","attrs"}.
Json event_json(const std::string& ns, std::uint64_t seq, std::uint64_t time_usec, const std::string& type,
                std::int32_t ifindex, const Attributes& attrs);

// Pieces of describe(), for tables.
std::string protocol_name(std::uint16_t protocol);
std::string filter_parent_text(std::uint32_t parent);                          // "1:", "ingress", "egress"
std::string filter_handle_text(const std::string& kind, std::uint32_t handle); // u32: "800::800"
std::string tc_parameters_text(const Attributes& attrs);                       // "rate 1Mbit burst 1600b …"

// The attributes of an object in words: "veth0 veth mtu 1500 up" for a link,
// "htb 1: root default 0x10" for a qdisc, "u32 1: prio 5 ip handle 800::800
// flowid 1:10" for a filter. `type` is link, qdisc, class or filter.
std::string describe(const std::string& type, const Attributes& attrs);

} // namespace nswatch::ctl
