#pragma once
// Netlink attribute streams checked against a policy table, as the kernel's
// nla_parse() and systemd's netlink-types-rtnl.c check them. Pure: bytes in,
// values out, no libnl and no I/O.
//
// An attribute (struct nlattr, the same as rtattr) is a 4-byte header —
// nla_len (u16, header included) and nla_type (u16, whose top two bits are
// the NLA_F_NESTED and NLA_F_NET_BYTEORDER flags) — then its payload, padded
// to 4 bytes (NLA_ALIGN). Attributes follow each other to the end of their
// container (the message after its fixed header, or a nested attribute's
// payload).
//
// Bounds: every length is checked against the span it claims to lie in
// before anything is read, and values are copied out with memcpy: an
// attribute is only 4-byte aligned inside the message (a u64 payload need
// not be 8-byte aligned), and the caller's buffer need not be aligned at all.
//
// Rejected — the whole stream, and so the message that holds it:
//  - an attribute header cut short, or an nla_len below 4 or beyond its
//    container: the attribute lies, and the next one cannot be found;
//  - 1 to 3 bytes left after the last attribute (the kernel itself refuses
//    them under strict validation, NL_VALIDATE_TRAILING);
//  - an attribute the policy lists whose payload breaks its rule (a u32 that
//    is not 4 bytes, a string with no NUL within its length, a struct shorter
//    than the struct).
// Ignored: attribute types the policy does not list. Kernels add attributes
// all the time (TCA_EXT_WARN_MSG, statistics, per-kind data); they must not
// make a message unreadable. When a type occurs twice the last one counts,
// as with nla_parse().
//
// The attributes inside a listed nest are checked when they are read
// (parse_nested), with the policy that fits them: what TCA_OPTIONS holds
// depends on TCA_KIND, which a table indexed by type cannot know. Their
// lengths are checked at once, with the outer stream.
#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace nswatch {

enum class NlaKind : std::uint8_t {
    Ignore, // not read; any payload (the default of a table slot)
    // Exactly 1, 2, 4 or 8 bytes: what nla_put_u8() … nla_put_u64_64bit()
    // send, and what the kernel's strict validation (NL_VALIDATE_STRICT_ATTRS)
    // demands.
    U8,
    U16,
    U32,
    U64,
    String, // a NUL within the payload; the value ends at the first NUL
    Binary, // at least `len` bytes: a kernel struct, to which newer kernels may
            // append fields (the .len of sch_htb.c's and sch_tbf.c's policies)
    Nested, // an attribute stream: its structure is checked with the outer
            // stream, its contents with their own policy when read
};

struct NlaRule {
    NlaKind kind = NlaKind::Ignore;
    std::uint16_t len = 0; // Binary: minimum payload; String: maximum characters, 0 for none
    std::string_view name; // "IFLA_IFNAME": names the attribute in errors
};

// Why bytes were not accepted: where ("IFLA_IFNAME", "TCA_OPTIONS (htb)",
// "nlmsghdr") and what is wrong. Both point to static text. An empty
// problem means no error.
struct ParseError {
    std::string_view where;
    std::string_view problem;

    [[nodiscard]] explicit operator bool() const noexcept { return !problem.empty(); }
};

std::string to_string(const ParseError& error);

// Rules indexed by attribute type, and the name of the container they
// describe (for errors about the stream itself).
struct NlaPolicy {
    std::string_view container;
    std::span<const NlaRule> rules;
};

// The payload of each listed attribute type of one stream. Views into the
// parsed bytes: valid while they are.
class NlaAttributes {
public:
    // The highest attribute type a policy may list, plus one. 64 covers every
    // attribute nswatch reads (IFLA_LINK_NETNSID is 37, TCA_CHAIN 11).
    static constexpr std::size_t kMaxTypes = 64;

    [[nodiscard]] bool has(std::uint16_t type) const noexcept { return type < kMaxTypes && present_[type]; }
    // The payload, empty if absent.
    [[nodiscard]] std::span<const std::byte> payload(std::uint16_t type) const noexcept
    {
        return has(type) ? payload_[type] : std::span<const std::byte>{};
    }

    // Each getter checks the size again, so reading an attribute under
    // another rule than the policy's gives nothing rather than stray bytes.
    [[nodiscard]] auto u8(std::uint16_t type) const noexcept { return exact<std::uint8_t>(type); }
    [[nodiscard]] auto u16(std::uint16_t type) const noexcept { return exact<std::uint16_t>(type); }
    [[nodiscard]] auto u32(std::uint16_t type) const noexcept { return exact<std::uint32_t>(type); }
    [[nodiscard]] auto u64(std::uint16_t type) const noexcept { return exact<std::uint64_t>(type); }
    // Up to the first NUL; nothing if absent or not NUL-terminated.
    [[nodiscard]] std::optional<std::string_view> string(std::uint16_t type) const noexcept;
    // The leading sizeof(T) bytes of the payload; nothing if absent or shorter.
    template <class T>
    [[nodiscard]] std::optional<T> get_struct(std::uint16_t type) const noexcept
    {
        const auto bytes = payload(type);
        if (!has(type) || bytes.size() < sizeof(T)) {
            return std::nullopt;
        }
        T value{};
        std::memcpy(&value, bytes.data(), sizeof(T));
        return value;
    }

private:
    template <class T>
    [[nodiscard]] std::optional<T> exact(std::uint16_t type) const noexcept
    {
        const auto bytes = payload(type);
        if (!has(type) || bytes.size() != sizeof(T)) {
            return std::nullopt;
        }
        T value{};
        std::memcpy(&value, bytes.data(), sizeof(T));
        return value;
    }

    friend std::optional<NlaAttributes> parse_attributes(std::span<const std::byte>, const NlaPolicy&, ParseError&);

    std::array<std::span<const std::byte>, kMaxTypes> payload_{};
    std::bitset<kMaxTypes> present_;
};

// One slot of a policy table, for make_nla_rules().
struct NlaEntry {
    std::uint16_t type = 0;
    NlaRule rule;
};

// A table indexed by attribute type, every unlisted slot Ignore. N: the
// highest listed type plus one; a type out of range does not compile.
template <std::size_t N>
consteval std::array<NlaRule, N> make_nla_rules(std::initializer_list<NlaEntry> entries)
{
    static_assert(N <= NlaAttributes::kMaxTypes);
    std::array<NlaRule, N> rules{};
    for (const NlaEntry& entry : entries) {
        rules.at(entry.type) = entry.rule;
    }
    return rules;
}

// Walks `stream` (a whole container: every byte must belong to an
// attribute) and checks each listed attribute against its rule. Nothing,
// with `error` set, if the stream is rejected (see the top of this file).
std::optional<NlaAttributes> parse_attributes(std::span<const std::byte> stream, const NlaPolicy& policy,
                                              ParseError& error);

// The stream inside a nested attribute, parsed with its own policy. Nothing
// without error if the attribute is absent; nothing with error if it is
// malformed.
std::optional<NlaAttributes> parse_nested(const NlaAttributes& outer, std::uint16_t type, const NlaPolicy& policy,
                                          ParseError& error);

// One netlink message as framed by its nlmsghdr (16 bytes: nlmsg_len u32,
// nlmsg_type u16, nlmsg_flags u16, nlmsg_seq u32, nlmsg_pid u32).
struct NetlinkMessage {
    std::uint16_t type = 0;
    std::uint16_t flags = 0;
    std::span<const std::byte> payload; // after the header, up to nlmsg_len
};

// Checks nlmsg_len: at least the header, at most the bytes given. Bytes past
// nlmsg_len (alignment padding, the next message of a datagram) are not
// part of the message and are not read.
std::optional<NetlinkMessage> split_netlink_message(std::span<const std::byte> message, ParseError& error);

// The family header that starts an rtnetlink payload (ifinfomsg, tcmsg),
// copied out, and the attribute stream after it (from NLMSG_ALIGN(sizeof(T))).
template <class T>
struct FamilyMessage {
    T header{};
    std::span<const std::byte> attributes;
};

template <class T>
std::optional<FamilyMessage<T>> split_family_header(const NetlinkMessage& message, std::string_view name,
                                                    ParseError& error)
{
    if (message.payload.size() < sizeof(T)) {
        error = {name, "message shorter than its family header"};
        return std::nullopt;
    }
    FamilyMessage<T> out;
    std::memcpy(&out.header, message.payload.data(), sizeof(T));
    const std::size_t aligned = (sizeof(T) + 3) & ~std::size_t{3}; // NLMSG_ALIGN
    out.attributes = message.payload.subspan(std::min(aligned, message.payload.size()));
    return out;
}

} // namespace nswatch
