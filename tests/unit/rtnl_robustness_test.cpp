// Malformed rtnetlink messages made from real ones (fixtures/*.hpp):
// truncated, with lying lengths at every level, unterminated strings,
// unknown attributes. Each test copies into a buffer of exactly the
// message's size, so a read past it is caught under -fsanitize=address.
#include "netlink/route_parser.hpp"

#include "fixtures/rtnl_link_fixtures.hpp"
#include "fixtures/rtnl_tc_fixtures.hpp"
#include "rtnl_mutations.hpp"

#include <catch2/catch.hpp>

#include <linux/if_link.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <random>
#include <string>

using namespace nswatch;
using namespace nswatch::fixtures;
using namespace nswatch::test;

namespace {

const PschedUnits kUnits{};

struct Fixture {
    std::string name;
    Bytes bytes;
};

#define NSWATCH_FIXTURE(x)                                                                                             \
    Fixture                                                                                                            \
    {                                                                                                                  \
#x, bytes_of(x)                                                                                                \
    }

std::vector<Fixture> all_fixtures()
{
    return {NSWATCH_FIXTURE(kVethNewLink),    NSWATCH_FIXTURE(kBridgeNewLink),     NSWATCH_FIXTURE(kLoopbackUp),
            NSWATCH_FIXTURE(kVethEnslavedUp), NSWATCH_FIXTURE(kBridgePortNewLink), NSWATCH_FIXTURE(kBridgePortDelLink),
            NSWATCH_FIXTURE(kBridgeDelLink),  NSWATCH_FIXTURE(kHtbQdisc),          NSWATCH_FIXTURE(kNoqueueDelQdisc),
            NSWATCH_FIXTURE(kHtbClass),       NSWATCH_FIXTURE(kHtbClass64),        NSWATCH_FIXTURE(kTbfQdisc),
            NSWATCH_FIXTURE(kTbfPeakQdisc),   NSWATCH_FIXTURE(kPfifoQdisc),        NSWATCH_FIXTURE(kPfifoFastQdisc),
            NSWATCH_FIXTURE(kIngressQdisc),   NSWATCH_FIXTURE(kClsactQdisc),       NSWATCH_FIXTURE(kNewChain),
            NSWATCH_FIXTURE(kU32Filter),      NSWATCH_FIXTURE(kU32ProtoEntry),     NSWATCH_FIXTURE(kU32HashTable),
            NSWATCH_FIXTURE(kU32FilterDel),   NSWATCH_FIXTURE(kU32PrioDel),        NSWATCH_FIXTURE(kHtbClassDel),
            NSWATCH_FIXTURE(kHtbQdiscDel)};
}

// The fixtures nswatch turns into an object (not the AF_BRIDGE ones, not RTM_NEWCHAIN).
std::vector<Fixture> followed_fixtures()
{
    std::vector<Fixture> out;
    for (auto& f : all_fixtures()) {
        if (parse_route_message(f.bytes, kUnits)) {
            out.push_back(std::move(f));
        }
    }
    return out;
}

std::optional<KernelUpdate> parse(const Bytes& message, ParseError& error)
{
    error = {};
    return parse_route_message(message, kUnits, &error);
}

// Rejected, and for the reason expected.
void check_rejected(const Bytes& message, std::string_view where, std::string_view problem_part)
{
    ParseError error;
    CHECK_FALSE(parse(message, error));
    CHECK(error.where == where);
    CHECK_THAT(std::string(error.problem), Catch::Contains(std::string(problem_part)));
}

// Parsed, to the same value as `original`.
void check_same(const Bytes& message, const Bytes& original)
{
    ParseError error;
    const auto update = parse(message, error);
    INFO(to_string(error));
    REQUIRE(update);
    const auto expected = parse_route_message(original, kUnits);
    REQUIRE(expected);
    CHECK(update->removed == expected->removed);
    CHECK(update->object == expected->object);
}

void fill(Bytes& m, std::size_t from, std::size_t to, char c)
{
    for (std::size_t i = from; i < to; ++i) {
        m[i] = static_cast<std::byte>(c);
    }
}

} // namespace

TEST_CASE("every truncation of every fixture is rejected or parsed within its bytes", "[unit][parser]")
{
    for (const auto& f : all_fixtures()) {
        INFO(f.name);
        const bool followed = parse_route_message(f.bytes, kUnits).has_value();
        for (std::size_t n = 0; n < f.bytes.size(); ++n) {
            INFO("cut at " << n);
            Bytes cut(f.bytes.begin(), f.bytes.begin() + static_cast<std::ptrdiff_t>(n));
            ParseError error;
            // nlmsg_len still announces the whole message.
            if (parse(cut, error) || !error) {
                FAIL_CHECK("a truncated message was not rejected");
            }
            if (n < 16) {
                continue;
            }
            // nlmsg_len fitted to the cut: the attribute walk meets the cut.
            put(cut, 0, static_cast<std::uint32_t>(n));
            const auto update = parse(cut, error);
            if (!followed) {
                continue;
            }
            bool inside_attribute = n < attributes_begin(f.bytes);
            for (const Attr& attr : top_attributes(f.bytes)) {
                inside_attribute = inside_attribute || (n > attr.offset && n < attr.end());
            }
            if (inside_attribute && (update || !error)) {
                FAIL_CHECK("a message cut inside an attribute or header was not rejected");
            }
        }
    }
}

TEST_CASE("an nlmsg_len that lies rejects the message", "[unit][parser]")
{
    for (const auto& f : followed_fixtures()) {
        INFO(f.name);
        const auto size = static_cast<std::uint32_t>(f.bytes.size());
        for (std::uint32_t len : {0U, 15U}) {
            Bytes m = f.bytes;
            put(m, 0, len);
            check_rejected(m, "nlmsghdr", "shorter than the header");
        }
        for (std::uint32_t len : {size + 1, size + 4, 0xffffffffU}) {
            Bytes m = f.bytes;
            put(m, 0, len);
            check_rejected(m, "nlmsghdr", "beyond the bytes received");
        }
        Bytes header_only = f.bytes;
        put(header_only, 0, std::uint32_t{16});
        ParseError error;
        CHECK_FALSE(parse(header_only, error));
        CHECK_THAT(std::string(error.problem), Catch::Contains("shorter than its family header"));
    }
}

TEST_CASE("an unterminated IFLA_IFNAME or IFLA_INFO_KIND rejects the link", "[unit][parser]")
{
    for (const auto& f : {bytes_of(kVethNewLink), bytes_of(kBridgeDelLink), bytes_of(kLoopbackUp)}) {
        Bytes m = f;
        const Attr name = top(m, IFLA_IFNAME);
        fill(m, name.payload(), align4(name.end()), 'x'); // the padding too: it is not the string's
        check_rejected(m, "IFLA_IFNAME", "not NUL-terminated");
    }
    Bytes m = bytes_of(kVethNewLink);
    const Attr info = top(m, IFLA_LINKINFO);
    const Attr kind = nested(m, info, IFLA_INFO_KIND);
    fill(m, kind.payload(), align4(kind.end()), 'x');
    check_rejected(m, "IFLA_INFO_KIND", "not NUL-terminated");
}

TEST_CASE("a link name longer than IFNAMSIZ - 1 rejects the link", "[unit][parser]")
{
    const Bytes m = bytes_of(kVethNewLink);
    const Attr name = top(m, IFLA_IFNAME);
    check_rejected(with_payload(m, name, bytes_of(std::string_view("sixteen-chars-xx\0", 17))), "IFLA_IFNAME",
                   "longer than its limit");
    ParseError error;
    const auto fifteen = parse(with_payload(m, name, bytes_of(std::string_view("fifteen-chars-x\0", 16))), error);
    REQUIRE(fifteen);
    CHECK(std::get<Link>(fifteen->object).name == "fifteen-chars-x");
}

TEST_CASE("an unterminated TCA_KIND rejects the tc object", "[unit][parser]")
{
    for (const auto& f : followed_fixtures()) {
        if (attributes_begin(f.bytes) != 36) {
            continue; // a link
        }
        INFO(f.name);
        Bytes m = f.bytes;
        const Attr kind = top(m, TCA_KIND);
        fill(m, kind.payload(), align4(kind.end()), 'x');
        check_rejected(m, "TCA_KIND", "not NUL-terminated");
    }
}

TEST_CASE("unknown attributes are ignored, at the top and inside nests", "[unit][parser]")
{
    const Bytes hello = bytes_of(std::string_view("hello"));
    for (const auto& f : followed_fixtures()) {
        INFO(f.name);
        for (std::uint16_t type : {std::uint16_t{0}, std::uint16_t{63}, std::uint16_t{1000}}) {
            check_same(splice(f.bytes, attributes_begin(f.bytes), 0, attribute(type, hello)), f.bytes);
        }
    }
    const Bytes veth = bytes_of(kVethNewLink);
    const Attr info = top(veth, IFLA_LINKINFO);
    check_same(splice(veth, info.payload(), 0, attribute(1000, hello), {info}), veth);
    const Bytes htb = bytes_of(kHtbClass);
    const Attr options = top(htb, TCA_OPTIONS);
    check_same(splice(htb, options.payload(), 0, attribute(TCA_HTB_MAX + 1, hello), {options}), htb);
    // The kernel may flag a nest (NLA_F_NESTED): the type is still IFLA_LINKINFO.
    Bytes flagged = veth;
    put(flagged, info.offset + 2, static_cast<std::uint16_t>(IFLA_LINKINFO | NLA_F_NESTED));
    check_same(flagged, veth);
}

TEST_CASE("a nested attribute whose length lies rejects the message", "[unit][parser]")
{
    const Bytes veth = bytes_of(kVethNewLink);
    const Attr info = top(veth, IFLA_LINKINFO);
    const Attr kind = nested(veth, info, IFLA_INFO_KIND);
    Bytes m = veth; // IFLA_INFO_KIND reaches past its nest, into the next attributes
    put(m, kind.offset, static_cast<std::uint16_t>(info.len + 8));
    check_rejected(m, "IFLA_LINKINFO", "beyond its container");
    m = veth; // the nest itself reaches past the message
    put(m, info.offset, static_cast<std::uint16_t>(veth.size()));
    check_rejected(m, "ifinfomsg attributes", "beyond its container");
    m = veth; // an inner length shorter than a header
    put(m, kind.offset, std::uint16_t{2});
    check_rejected(m, "IFLA_LINKINFO", "shorter than its header");

    const Bytes htb = bytes_of(kHtbClass);
    const Attr options = top(htb, TCA_OPTIONS);
    const Attr parms = nested(htb, options, TCA_HTB_PARMS);
    m = htb;
    put(m, parms.offset, static_cast<std::uint16_t>(parms.len + 8));
    check_rejected(m, "TCA_OPTIONS (htb)", "beyond its container");
    m = htb;
    put(m, options.offset, std::uint16_t{0xfff0});
    check_rejected(m, "tcmsg attributes", "beyond its container");

    const Bytes u32 = bytes_of(kU32Filter);
    const Attr u32_options = top(u32, TCA_OPTIONS);
    m = u32;
    put(m, nested(u32, u32_options, TCA_U32_CLASSID).offset, std::uint16_t{2});
    check_rejected(m, "TCA_OPTIONS (filter)", "shorter than its header");
}

TEST_CASE("an attribute of the wrong size for its type rejects the message", "[unit][parser]")
{
    const Bytes veth = bytes_of(kVethNewLink);
    check_rejected(with_payload(veth, top(veth, IFLA_MTU), Bytes(2)), "IFLA_MTU", "wrong length");
    check_rejected(with_payload(veth, top(veth, IFLA_OPERSTATE), Bytes(4)), "IFLA_OPERSTATE", "wrong length");
    const Bytes u32 = bytes_of(kU32Filter);
    check_rejected(with_payload(u32, top(u32, TCA_CHAIN), Bytes(8)), "TCA_CHAIN", "wrong length");

    const Bytes htb = bytes_of(kHtbClass64);
    const Attr options = top(htb, TCA_OPTIONS);
    check_rejected(with_payload(htb, nested(htb, options, TCA_HTB_RATE64), Bytes(4), {options}), "TCA_HTB_RATE64",
                   "wrong length");
    const Attr parms = nested(htb, options, TCA_HTB_PARMS);
    const Bytes parms_payload(htb.begin() + static_cast<std::ptrdiff_t>(parms.payload()),
                              htb.begin() + static_cast<std::ptrdiff_t>(parms.end()));
    const Bytes short_parms(parms_payload.begin(), parms_payload.end() - 4);
    check_rejected(with_payload(htb, parms, short_parms, {options}), "TCA_HTB_PARMS", "shorter than its struct");
    // A longer struct is what a newer kernel may send: its known part counts.
    Bytes long_parms = parms_payload;
    long_parms.resize(long_parms.size() + 4);
    check_same(with_payload(htb, parms, long_parms, {options}), htb);

    const Bytes pfifo = bytes_of(kPfifoQdisc);
    check_rejected(with_payload(pfifo, top(pfifo, TCA_OPTIONS), Bytes(2)), "TCA_OPTIONS (fifo)",
                   "shorter than its struct");
}

TEST_CASE("random corruption of real messages never reads out of bounds", "[unit][parser]")
{
    // Deterministic: the same mutations every run. Correctness is checked
    // above; this looks for crashes and out-of-bounds reads (ASan, UBSan).
    std::mt19937 random(20240613);
    std::size_t accepted = 0;
    std::size_t rejected = 0;
    for (const auto& f : all_fixtures()) {
        std::uniform_int_distribution<std::size_t> position(0, f.bytes.size() - 1);
        for (int round = 0; round < 2000; ++round) {
            Bytes m = f.bytes;
            for (int flips = 1 + round % 3; flips > 0; --flips) {
                m[position(random)] = static_cast<std::byte>(random() & 0xff);
            }
            if (round % 5 == 0) {
                m.resize(position(random)); // and cut
            }
            ParseError error;
            (parse(m, error) ? accepted : rejected) += 1;
        }
    }
    CHECK(accepted > 0);
    CHECK(rejected > 0);
}
