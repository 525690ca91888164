// The attribute walker and its policy rules, on attribute streams laid out
// by hand (little endian: nla_len u16, nla_type u16, payload, padding).
#include "netlink/nla_policy.hpp"

#include "rtnl_mutations.hpp"

#include <catch2/catch.hpp>

#include <vector>

using namespace nswatch;
using nswatch::test::Bytes;

namespace {

constexpr auto kRules = make_nla_rules<8>({
    {1, {NlaKind::U8, 0, "A_U8"}},
    {2, {NlaKind::U16, 0, "A_U16"}},
    {3, {NlaKind::U32, 0, "A_U32"}},
    {4, {NlaKind::U64, 0, "A_U64"}},
    {5, {NlaKind::String, 3, "A_STRING"}},
    {6, {NlaKind::Binary, 6, "A_BINARY"}},
    {7, {NlaKind::Nested, 0, "A_NESTED"}},
});
constexpr NlaPolicy kPolicy{"test attributes", kRules};

Bytes stream(std::initializer_list<int> values)
{
    Bytes out;
    for (int v : values) {
        out.push_back(static_cast<std::byte>(v));
    }
    return out;
}

std::optional<NlaAttributes> parse(const Bytes& bytes, ParseError& error)
{
    error = {};
    return parse_attributes(bytes, kPolicy, error);
}

} // namespace

TEST_CASE("each rule reads its type from an attribute stream", "[unit][parser]")
{
    // Byte 1 of the buffer is skipped, so the u64 payload is not even
    // 4-byte aligned in memory: reads must not assume alignment.
    const Bytes buffer =
        stream({0xee, 5, 0, 1,    0,    0x2a, 0,    0,    0,            // A_U8 42, 3 bytes padding
                6,    0, 2, 0,    0x34, 0x12, 0,    0,                  // A_U16 0x1234
                8,    0, 3, 0,    0x78, 0x56, 0x34, 0x12,               // A_U32 0x12345678
                12,   0, 4, 0,    1,    0,    0,    0,    2, 0, 0, 0,   // A_U64 0x200000001
                7,    0, 5, 0,    'a',  'b',  0,    0,                  // A_STRING "ab"
                10,   0, 6, 0,    1,    2,    3,    4,    5, 6, 0, 0,   // A_BINARY, 6 bytes
                12,   0, 7, 0x80, 8,    0,    3,    0,    9, 0, 0, 0}); // A_NESTED, flagged, { A_U32 9 }
    const Bytes bytes(buffer.begin() + 1, buffer.end());
    ParseError error;
    const auto attrs = parse(bytes, error);
    INFO(to_string(error));
    REQUIRE(attrs);
    CHECK(attrs->u8(1) == 42);
    CHECK(attrs->u16(2) == 0x1234);
    CHECK(attrs->u32(3) == 0x12345678U);
    CHECK(attrs->u64(4) == 0x200000001ULL);
    CHECK(attrs->string(5) == "ab");
    CHECK(attrs->payload(6).size() == 6);
    const auto inner = parse_nested(*attrs, 7, kPolicy, error);
    REQUIRE(inner);
    CHECK(inner->u32(3) == 9U);
    // A getter of another size gives nothing rather than stray bytes.
    CHECK_FALSE(attrs->u32(1));
    CHECK_FALSE(attrs->has(0));
    CHECK_FALSE(parse_nested(*attrs, 0, kPolicy, error));
    CHECK_FALSE(error);
}

TEST_CASE("the last attribute may lack its padding; the last of a repeated type counts", "[unit][parser]")
{
    ParseError error;
    const Bytes bytes = stream({5, 0, 1, 0, 1, 0, 0, 0, 5, 0, 1, 0, 2}); // outlives the views into it
    const auto attrs = parse(bytes, error);
    REQUIRE(attrs);
    CHECK(attrs->u8(1) == 2);
}

TEST_CASE("unlisted attribute types are skipped, whatever their size", "[unit][parser]")
{
    ParseError error;
    const Bytes bytes = stream({5, 0, 0,    0, 9, 0, 0, 0, // type 0: Ignore
                                6, 0, 200,  0, 1, 2, 0, 0, // beyond the table
                                5, 0, 0x3f, 0, 1, 0, 0, 0, // 63: beyond the table
                                8, 0, 3,    0, 1, 0, 0, 0});
    const auto attrs = parse(bytes, error);
    REQUIRE(attrs);
    CHECK(attrs->u32(3) == 1U);
    CHECK_FALSE(attrs->has(0));
}

TEST_CASE("a stream whose lengths lie is rejected", "[unit][parser]")
{
    ParseError error;
    CHECK_FALSE(parse(stream({8, 0, 3, 0, 1, 0, 0}), error)); // nla_len beyond the stream
    CHECK(error.problem == "attribute length beyond its container");
    CHECK(error.where == "test attributes");
    CHECK_FALSE(parse(stream({2, 0, 3, 0}), error)); // nla_len shorter than its header
    CHECK(error.problem == "attribute length shorter than its header");
    CHECK_FALSE(parse(stream({8, 0, 3, 0, 1, 0, 0, 0, 4, 0}), error)); // 2 stray bytes
    CHECK(error.problem == "bytes left over after the last attribute");
    // The nest says 12, its attribute 9 + padding would need 16.
    CHECK_FALSE(parse(stream({12, 0, 7, 0, 12, 0, 3, 0, 9, 0, 0, 0}), error));
    CHECK(error.where == "A_NESTED");
    CHECK(error.problem == "attribute length beyond its container");
    CHECK(parse(Bytes{}, error)); // an empty stream is a stream
}

TEST_CASE("an attribute that breaks its rule is rejected, named", "[unit][parser]")
{
    ParseError error;
    CHECK_FALSE(parse(stream({6, 0, 3, 0, 1, 0, 0, 0}), error)); // a u32 of 2 bytes
    CHECK(error.where == "A_U32");
    CHECK(error.problem == "wrong length for its type");
    CHECK_FALSE(parse(stream({12, 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0}), error)); // a u32 of 8 bytes
    CHECK(error.where == "A_U32");
    CHECK_FALSE(parse(stream({7, 0, 5, 0, 'a', 'b', 'c', 0}), error)); // no NUL within nla_len
    CHECK(error.where == "A_STRING");
    CHECK(error.problem == "string not NUL-terminated within its length");
    CHECK_FALSE(parse(stream({9, 0, 5, 0, 'a', 'b', 'c', 'd', 0, 0, 0, 0}), error)); // 4 > 3 characters
    CHECK(error.problem == "string longer than its limit");
    CHECK_FALSE(parse(stream({9, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, 0}), error)); // 5 < 6 bytes
    CHECK(error.where == "A_BINARY");
    CHECK(error.problem == "shorter than its struct");
    CHECK(to_string(error) == "A_BINARY: shorter than its struct");
}

TEST_CASE("netlink framing: nlmsg_len is checked against the bytes", "[unit][parser]")
{
    ParseError error;
    Bytes m(20);
    test::put(m, 0, std::uint32_t{20});
    test::put(m, 4, std::uint16_t{36});
    const auto message = split_netlink_message(m, error);
    REQUIRE(message);
    CHECK(message->type == 36);
    CHECK(message->payload.size() == 4);
    CHECK_FALSE(split_family_header<std::uint64_t>(*message, "u64 header", error));
    CHECK(error.where == "u64 header");
    CHECK_FALSE(split_netlink_message(std::span(m).first(15), error));
    CHECK(error.problem == "message shorter than its header");
}
