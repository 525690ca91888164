#include "netlink/nla_policy.hpp"

#include <algorithm>

namespace nswatch {

namespace {

// <linux/netlink.h>, restated so this file needs no kernel header: the
// layout is ABI and cannot change.
constexpr std::size_t kNlmsgHeader = 16;       // NLMSG_HDRLEN
constexpr std::size_t kNlaHeader = 4;          // NLA_HDRLEN: nla_len u16, nla_type u16
constexpr std::uint16_t kNlaTypeMask = 0x3fff; // ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER)
constexpr std::size_t nla_align(std::size_t len)
{
    return (len + 3) & ~std::size_t{3};
}

template <class T>
T load(std::span<const std::byte> bytes, std::size_t offset)
{
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

std::uint16_t load_u16(std::span<const std::byte> bytes, std::size_t offset)
{
    return load<std::uint16_t>(bytes, offset);
}

// The rule's problem with `payload`, or empty.
std::string_view check(const NlaRule& rule, std::span<const std::byte> payload)
{
    const auto exact = [&](std::size_t size) { return payload.size() == size ? "" : "wrong length for its type"; };
    switch (rule.kind) {
    case NlaKind::Ignore: return {};
    case NlaKind::U8: return exact(1);
    case NlaKind::U16: return exact(2);
    case NlaKind::U32: return exact(4);
    case NlaKind::U64: return exact(8);
    case NlaKind::String: {
        const auto nul = std::find(payload.begin(), payload.end(), std::byte{0});
        if (nul == payload.end()) {
            return "string not NUL-terminated within its length";
        }
        if (rule.len != 0 && static_cast<std::size_t>(nul - payload.begin()) > rule.len) {
            return "string longer than its limit";
        }
        return {};
    }
    case NlaKind::Binary: return payload.size() >= rule.len ? "" : "shorter than its struct";
    case NlaKind::Nested: {
        // Only the structure here; the contents are checked with their own
        // policy when read.
        ParseError inner;
        return parse_attributes(payload, NlaPolicy{rule.name, {}}, inner) ? "" : inner.problem;
    }
    }
    return {};
}

} // namespace

std::string to_string(const ParseError& error)
{
    return std::string(error.where) + ": " + std::string(error.problem);
}

std::optional<std::string_view> NlaAttributes::string(std::uint16_t type) const noexcept
{
    const auto bytes = payload(type);
    const auto nul = std::find(bytes.begin(), bytes.end(), std::byte{0});
    if (!has(type) || nul == bytes.end()) {
        return std::nullopt;
    }
    return std::string_view(reinterpret_cast<const char*>(bytes.data()), static_cast<std::size_t>(nul - bytes.begin()));
}

std::optional<NlaAttributes> parse_attributes(std::span<const std::byte> stream, const NlaPolicy& policy,
                                              ParseError& error)
{
    NlaAttributes attrs;
    std::size_t offset = 0;
    while (offset < stream.size()) {
        const std::size_t left = stream.size() - offset;
        if (left < kNlaHeader) {
            error = {policy.container, "bytes left over after the last attribute"};
            return std::nullopt;
        }
        const std::uint16_t len = load_u16(stream, offset);
        const std::uint16_t type = load_u16(stream, offset + 2) & kNlaTypeMask;
        if (len < kNlaHeader) {
            error = {policy.container, "attribute length shorter than its header"};
            return std::nullopt;
        }
        if (len > left) {
            error = {policy.container, "attribute length beyond its container"};
            return std::nullopt;
        }
        const auto payload = stream.subspan(offset + kNlaHeader, len - kNlaHeader);
        // The padding after the last attribute may be missing: NLA_ALIGN
        // would step past the end, so stop at the end.
        offset += std::min(nla_align(len), left);

        const bool listed =
            type < policy.rules.size() && type < NlaAttributes::kMaxTypes && policy.rules[type].kind != NlaKind::Ignore;
        if (!listed) {
            continue;
        }
        const NlaRule& rule = policy.rules[type];
        if (const auto problem = check(rule, payload); !problem.empty()) {
            error = {rule.name, problem};
            return std::nullopt;
        }
        attrs.payload_[type] = payload;
        attrs.present_.set(type);
    }
    return attrs;
}

std::optional<NetlinkMessage> split_netlink_message(std::span<const std::byte> message, ParseError& error)
{
    if (message.size() < kNlmsgHeader) {
        error = {"nlmsghdr", "message shorter than its header"};
        return std::nullopt;
    }
    const auto len = load<std::uint32_t>(message, 0);
    if (len < kNlmsgHeader) {
        error = {"nlmsghdr", "nlmsg_len shorter than the header"};
        return std::nullopt;
    }
    if (len > message.size()) {
        error = {"nlmsghdr", "nlmsg_len beyond the bytes received"};
        return std::nullopt;
    }
    return NetlinkMessage{load<std::uint16_t>(message, 4), load<std::uint16_t>(message, 6),
                          message.subspan(kNlmsgHeader, len - kNlmsgHeader)};
}

std::optional<NlaAttributes> parse_nested(const NlaAttributes& outer, std::uint16_t type, const NlaPolicy& policy,
                                          ParseError& error)
{
    if (!outer.has(type)) {
        return std::nullopt;
    }
    return parse_attributes(outer.payload(type), policy, error);
}

} // namespace nswatch
