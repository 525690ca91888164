#pragma once
// Edits of copies of captured rtnetlink messages, to make malformed ones
// from real ones. Written from the wire layout (x86_64, little endian),
// independent of the parser and of libnl:
//   0 nlmsghdr: nlmsg_len u32, nlmsg_type u16, flags u16, seq u32, pid u32
//  16 family header: ifinfomsg (16 bytes) for links, tcmsg (20) for tc
//     then attributes: nla_len u16 (header included), nla_type u16, payload,
//     padding to 4 bytes; a nest's nla_len covers its inner padding.
#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace nswatch::test {

using Bytes = std::vector<std::byte>;

template <std::size_t N>
Bytes bytes_of(const std::array<std::byte, N>& fixture)
{
    return Bytes(fixture.begin(), fixture.end());
}

inline Bytes bytes_of(std::string_view text)
{
    Bytes out(text.size());
    std::memcpy(out.data(), text.data(), text.size());
    return out;
}

template <class T>
T get(const Bytes& m, std::size_t offset)
{
    T value{};
    REQUIRE(offset + sizeof value <= m.size());
    std::memcpy(&value, m.data() + offset, sizeof value);
    return value;
}

template <class T>
void put(Bytes& m, std::size_t offset, T value)
{
    REQUIRE(offset + sizeof value <= m.size());
    std::memcpy(m.data() + offset, &value, sizeof value);
}

inline constexpr std::size_t align4(std::size_t n)
{
    return (n + 3) & ~std::size_t{3};
}

// Where the top-level attributes start: after the family header.
inline std::size_t attributes_begin(const Bytes& m)
{
    const auto type = get<std::uint16_t>(m, 4);
    const bool link = type == 16 || type == 17; // RTM_NEWLINK, RTM_DELLINK
    return 16 + (link ? 16 : 20);
}

// One attribute of a message: its header's offset, and its nla_len.
struct Attr {
    std::size_t offset = 0;
    std::uint16_t len = 0;
    [[nodiscard]] std::size_t payload() const { return offset + 4; }
    [[nodiscard]] std::size_t end() const { return offset + len; }
};

inline Attr find_in(const Bytes& m, std::size_t begin, std::size_t end, std::uint16_t type)
{
    for (std::size_t at = begin; at + 4 <= end;) {
        const Attr attr{at, get<std::uint16_t>(m, at)};
        REQUIRE(attr.len >= 4);
        if ((get<std::uint16_t>(m, at + 2) & 0x3fff) == type) {
            return attr;
        }
        at += align4(attr.len);
    }
    FAIL("attribute " << type << " not in the fixture");
    return {};
}

inline Attr top(const Bytes& m, std::uint16_t type)
{
    return find_in(m, attributes_begin(m), get<std::uint32_t>(m, 0), type);
}

inline Attr nested(const Bytes& m, const Attr& outer, std::uint16_t type)
{
    return find_in(m, outer.payload(), outer.end(), type);
}

// Offsets of every top-level attribute, in order.
inline std::vector<Attr> top_attributes(const Bytes& m)
{
    std::vector<Attr> out;
    const std::size_t end = get<std::uint32_t>(m, 0);
    for (std::size_t at = attributes_begin(m); at + 4 <= end; at += align4(out.back().len)) {
        out.push_back({at, get<std::uint16_t>(m, at)});
    }
    return out;
}

// Replaces m[at, at + remove) with `insert`; nlmsg_len and the nla_len of
// every enclosing attribute (which must start before `at`) follow.
inline Bytes splice(const Bytes& m, std::size_t at, std::size_t remove, const Bytes& insert,
                    std::initializer_list<Attr> enclosing = {})
{
    Bytes out(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(at));
    out.insert(out.end(), insert.begin(), insert.end());
    out.insert(out.end(), m.begin() + static_cast<std::ptrdiff_t>(at + remove), m.end());
    const auto delta = static_cast<std::int64_t>(insert.size()) - static_cast<std::int64_t>(remove);
    put(out, 0, static_cast<std::uint32_t>(get<std::uint32_t>(out, 0) + delta));
    for (const Attr& outer : enclosing) {
        put(out, outer.offset, static_cast<std::uint16_t>(get<std::uint16_t>(out, outer.offset) + delta));
    }
    return out;
}

// A well-formed attribute: header, payload, zero padding.
inline Bytes attribute(std::uint16_t type, const Bytes& payload)
{
    Bytes out(align4(4 + payload.size()));
    put(out, 0, static_cast<std::uint16_t>(4 + payload.size()));
    put(out, 2, type);
    std::copy(payload.begin(), payload.end(), out.begin() + 4);
    return out;
}

// The message with `attr` (padding included) replaced by a well-formed one
// of the same type and the given payload.
inline Bytes with_payload(const Bytes& m, const Attr& attr, const Bytes& payload,
                          std::initializer_list<Attr> enclosing = {})
{
    const auto type = get<std::uint16_t>(m, attr.offset + 2);
    return splice(m, attr.offset, align4(attr.len), attribute(type, payload), enclosing);
}

inline Bytes without(const Bytes& m, const Attr& attr, std::initializer_list<Attr> enclosing = {})
{
    return splice(m, attr.offset, align4(attr.len), {}, enclosing);
}

} // namespace nswatch::test
