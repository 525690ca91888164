#include "ctl/format.hpp"

#include "nswatch/tc.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <sstream>

namespace nswatch::ctl {

std::uint32_t attr_u32(const Attributes& a, const char* key)
{
    auto it = a.find(key);
    return it == a.end() ? 0 : it->second.get<std::uint32_t>();
}

std::string attr_text(const Attributes& a, const char* key)
{
    auto it = a.find(key);
    return it == a.end() ? "" : it->second.get<std::string>();
}

std::string protocol_name(std::uint16_t protocol)
{
    switch (protocol) {
    case 0x0003: return "all";
    case 0x0800: return "ip";
    case 0x86dd: return "ipv6";
    case 0x0806: return "arp";
    case 0x8100: return "802.1q";
    default: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%04x", protocol);
        return buf;
    }
    }
}

namespace {

// u32 filter handles read as htid:hash:node ("800:", "800::800").
std::string u32_handle(std::uint32_t h)
{
    char buf[32];
    const unsigned htid = h >> 20;
    const unsigned hash = (h >> 12) & 0xffU;
    const unsigned node = h & 0xfffU;
    if (hash == 0 && node == 0) {
        std::snprintf(buf, sizeof buf, "%x:", htid);
    } else if (hash == 0) {
        std::snprintf(buf, sizeof buf, "%x::%x", htid, node);
    } else {
        std::snprintf(buf, sizeof buf, "%x:%x:%x", htid, hash, node);
    }
    return buf;
}

Json json_value(const sdbus::Variant& v)
{
    const auto type = v.peekValueType();
    if (type == "s") {
        return v.get<std::string>();
    }
    if (type == "b") {
        return v.get<bool>();
    }
    if (type == "u") {
        return v.get<std::uint32_t>();
    }
    if (type == "i") {
        return v.get<std::int32_t>();
    }
    if (type == "t") {
        return v.get<std::uint64_t>();
    }
    if (type == "q") {
        return v.get<std::uint16_t>();
    }
    if (type == "x") {
        return v.get<std::int64_t>();
    }
    return nullptr; // not a type the contract uses
}

} // namespace

std::string tc_parameters_text(const Attributes& a)
{
    std::ostringstream out;
    for (const char* key : {"rate", "ceil", "peakrate"}) {
        if (auto it = a.find(key); it != a.end()) {
            out << ' ' << key << ' ' << format_rate(it->second.get<std::uint64_t>());
        }
    }
    for (const char* key : {"burst", "cburst", "mtu"}) {
        if (auto it = a.find(key); it != a.end()) {
            out << ' ' << key << ' ' << it->second.get<std::uint32_t>() << 'b';
        }
    }
    for (const char* key : {"limit", "prio", "quantum", "r2q", "direct_qlen", "bands"}) {
        if (auto it = a.find(key); it != a.end()) {
            out << ' ' << key << ' ' << it->second.get<std::uint32_t>();
        }
    }
    if (auto it = a.find("default"); it != a.end()) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "0x%x", it->second.get<std::uint32_t>());
        out << " default " << buf;
    }
    const auto text = out.str();
    return text.empty() ? text : text.substr(1);
}

std::string filter_parent_text(std::uint32_t parent)
{
    if (parent == kTcIngressParent) {
        return "ingress";
    }
    if (parent == kTcEgressParent) {
        return "egress";
    }
    return format_tc_handle(parent);
}

std::string filter_handle_text(const std::string& kind, std::uint32_t handle)
{
    return kind == "u32" ? u32_handle(handle) : format_tc_handle(handle);
}

std::string format_rate(std::uint64_t bytes_per_second)
{
    static constexpr std::array<const char*, 4> units = {"bit", "Kbit", "Mbit", "Gbit"};
    double value = static_cast<double>(bytes_per_second) * 8.0;
    std::size_t unit = 0;
    while (unit + 1 < units.size() && value >= 1000.0) {
        value /= 1000.0;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g%s", value, units[unit]);
    return buf;
}

std::string json_text(const Json& value)
{
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json attributes_json(const Attributes& attrs)
{
    Json out = Json::object();
    for (const auto& [key, value] : attrs) { // a std::map: sorted keys
        out[key] = json_value(value);
    }
    return out;
}

std::string describe(const std::string& type, const Attributes& a)
{
    std::ostringstream out;
    if (type == "link") {
        out << attr_text(a, "name") << ' ' << (attr_text(a, "kind").empty() ? "-" : attr_text(a, "kind")) << " mtu "
            << attr_u32(a, "mtu") << ' ' << (a.count("up") != 0 && a.at("up").get<bool>() ? "up" : "down") << ' '
            << attr_text(a, "operstate");
        if (!attr_text(a, "address").empty()) {
            out << ' ' << attr_text(a, "address");
        }
        if (a.count("master") != 0 && a.at("master").get<std::int32_t>() != 0) {
            out << " master " << a.at("master").get<std::int32_t>();
        }
    } else if (type == "qdisc" || type == "class") {
        out << attr_text(a, "kind") << ' ' << format_tc_handle(attr_u32(a, "handle")) << ' '
            << (attr_u32(a, "parent") == kTcRoot ? "root" : "parent " + format_tc_handle(attr_u32(a, "parent")));
        if (const auto params = tc_parameters_text(a); !params.empty()) {
            out << ' ' << params;
        }
    } else if (type == "filter") {
        const auto parent = attr_u32(a, "parent");
        const std::string where = parent == kTcIngressParent || parent == kTcEgressParent
                                      ? filter_parent_text(parent)
                                      : "parent " + filter_parent_text(parent);
        const auto protocol = a.count("protocol") != 0 ? a.at("protocol").get<std::uint16_t>() : 0;
        const auto handle = attr_u32(a, "handle");
        out << attr_text(a, "kind") << ' ' << where << " prio " << attr_u32(a, "priority") << ' '
            << protocol_name(protocol) << " chain " << attr_u32(a, "chain");
        if (handle != 0) {
            out << " handle " << filter_handle_text(attr_text(a, "kind"), handle);
        }
        if (a.count("classid") != 0) {
            out << " flowid " << format_tc_handle(attr_u32(a, "classid"));
        }
    }
    return out.str();
}

std::string event_line(const std::string& ns, std::uint64_t seq, const std::string& type, std::int32_t ifindex,
                       const Attributes& attrs)
{
    const auto object_type = type.substr(0, type.find('-'));
    return ns + " #" + std::to_string(seq) + ' ' + type + " dev " + std::to_string(ifindex) + ' ' +
           describe(object_type, attrs);
}

Json event_json(const std::string& ns, std::uint64_t seq, std::uint64_t time_usec, const std::string& type,
                std::int32_t ifindex, const Attributes& attrs)
{
    return Json{{"namespace", ns}, {"seq", seq},         {"time_usec", time_usec},
                {"type", type},    {"ifindex", ifindex}, {"attrs", attributes_json(attrs)}};
}

} // namespace nswatch::ctl
