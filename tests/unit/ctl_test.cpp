#include "ctl/ctl_options.hpp"
#include "ctl/format.hpp"
#include "ctl/status.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace nswatch;
using namespace nswatch::ctl;

namespace {
CtlOptions ok(const std::vector<std::string>& args)
{
    auto parsed = parse_ctl_options(args);
    REQUIRE(std::holds_alternative<CtlOptions>(parsed));
    return std::get<CtlOptions>(parsed);
}
CtlExit early(const std::vector<std::string>& args)
{
    auto parsed = parse_ctl_options(args);
    REQUIRE(std::holds_alternative<CtlExit>(parsed));
    return std::get<CtlExit>(parsed);
}
} // namespace

TEST_CASE("nswatchctl lists by default on the system bus", "[unit][ctl]")
{
    auto o = ok({});
    CHECK(o.command == Command::List);
    CHECK_FALSE(o.session_bus);
    CHECK_FALSE(o.json);
}

TEST_CASE("nswatchctl commands take their arguments; options go anywhere", "[unit][ctl]")
{
    auto show = ok({"show", "ns1", "--json"});
    CHECK(show.command == Command::Show);
    CHECK(show.args == std::vector<std::string>{"ns1"});
    CHECK(show.json);
    auto monitor = ok({"--session", "monitor", "a", "b"});
    CHECK(monitor.command == Command::Monitor);
    CHECK(monitor.session_bus);
    CHECK(monitor.args.size() == 2);
    CHECK(ok({"watch", "/proc/1/ns/net"}).command == Command::Watch);
    CHECK(ok({"unwatch", "x"}).command == Command::Unwatch);
    CHECK(ok({"status"}).command == Command::Status);
    CHECK(ok({"show", "--", "-odd-name"}).args == std::vector<std::string>{"-odd-name"});
}

TEST_CASE("nswatchctl refuses bad input with exit 2 and says why", "[unit][ctl]")
{
    CHECK(early({"frobnicate"}).status == 2);
    CHECK(early({"frobnicate"}).text.find("unknown command 'frobnicate'") != std::string::npos);
    CHECK(early({"show"}).text.find("usage: nswatchctl show NAME") != std::string::npos);
    CHECK(early({"show", "a", "b"}).status == 2);
    CHECK(early({"status", "x"}).text.find("takes no arguments") != std::string::npos);
    CHECK(early({"--bogus"}).status == 2);
    CHECK(early({"watch", ""}).status == 2);
    CHECK(early({"--help"}).status == 0);
    CHECK(early({"--version"}).text.rfind("nswatchctl ", 0) == 0);
    // getopt_long's (glibc's) wording, one line naming the option.
    CHECK(early({"--bogus"}).text.rfind("nswatchctl: unrecognized option '--bogus'\n", 0) == 0);
    CHECK(early({"--json=yes"}).text.find("option '--json' doesn't allow an argument") != std::string::npos);
    CHECK(early({"--s"}).text.find("option '--s' is ambiguous") != std::string::npos);
    CHECK(early({"-x", "list"}).text.find("invalid option -- 'x'") != std::string::npos);
    CHECK(early({"show", "-q", "a"}).text.find("--quiet applies to 'list' only") != std::string::npos);
}

TEST_CASE("nswatchctl list -q asks for names only; short and abbreviated options work", "[unit][ctl]")
{
    auto quiet = ok({"list", "-q"});
    CHECK(quiet.command == Command::List);
    CHECK(quiet.quiet);
    CHECK(ok({"--quiet"}).quiet);
    CHECK(ok({"--ses", "status"}).session_bus);
    CHECK(ok({"--session", "--system"}).session_bus == false);
    CHECK(early({"-h"}).text.find("--quiet") != std::string::npos);
    CHECK_FALSE(ok({"list"}).quiet); // parsing again starts afresh
}

TEST_CASE("rates print as tc prints them", "[unit][ctl]")
{
    CHECK(format_rate(125000) == "1Mbit");
    CHECK(format_rate(250000) == "2Mbit");
    CHECK(format_rate(1250000000) == "10Gbit");
    CHECK(format_rate(12500) == "100Kbit");
    CHECK(format_rate(100) == "800bit");
}

TEST_CASE("JSON output escapes strings and keeps D-Bus types", "[unit][ctl]")
{
    CHECK(json_text("a\"b\\c\n") == "\"a\\\"b\\\\c\\n\"");
    CHECK(json_text("\x01") == "\"\\u0001\"");
    CHECK(json_text("bad \xff byte") == "\"bad \xef\xbf\xbd byte\""); // U+FFFD, still valid JSON
    Attributes a{{"name", sdbus::Variant(std::string("v\"0"))},
                 {"mtu", sdbus::Variant(std::uint32_t{1500})},
                 {"up", sdbus::Variant(true)},
                 {"master", sdbus::Variant(std::int32_t{-1})},
                 {"rate", sdbus::Variant(std::uint64_t{125000})},
                 {"protocol", sdbus::Variant(std::uint16_t{0x0800})}};
    CHECK(json_text(attributes_json(a)) ==
          R"({"master":-1,"mtu":1500,"name":"v\"0","protocol":2048,"rate":125000,"up":true})");
    CHECK(json_text(event_json("ns1", 3, 42, "link-added", 7, {})) ==
          R"({"namespace":"ns1","seq":3,"time_usec":42,"type":"link-added","ifindex":7,"attrs":{}})");
}

TEST_CASE("objects are described in tc's notation", "[unit][ctl]")
{
    Attributes htb_class{{"kind", sdbus::Variant(std::string("htb"))},
                         {"handle", sdbus::Variant(std::uint32_t{0x10010})},
                         {"parent", sdbus::Variant(std::uint32_t{0xffffffff})},
                         {"rate", sdbus::Variant(std::uint64_t{125000})},
                         {"burst", sdbus::Variant(std::uint32_t{1600})}};
    CHECK(describe("class", htb_class) == "htb 1:10 root rate 1Mbit burst 1600b");
    Attributes filter{
        {"kind", sdbus::Variant(std::string("u32"))},          {"handle", sdbus::Variant(std::uint32_t{0x80000800})},
        {"parent", sdbus::Variant(std::uint32_t{0xfffffff2})}, {"priority", sdbus::Variant(std::uint32_t{1})},
        {"protocol", sdbus::Variant(std::uint16_t{0x0003})},   {"chain", sdbus::Variant(std::uint32_t{0})},
        {"classid", sdbus::Variant(std::uint32_t{0x10001})}};
    CHECK(describe("filter", filter) == "u32 ingress prio 1 all chain 0 handle 800::800 flowid 1:1");
    CHECK(event_line("ns1", 12, "class-changed", 3, htb_class) ==
          "ns1 #12 class-changed dev 3 htb 1:10 root rate 1Mbit burst 1600b");
}

TEST_CASE("status shows the health, each reason on its own line, then the figures", "[unit][ctl]")
{
    StatusFigures f{
        "1.2.3",
        "degraded",
        {"namespace ns1: worker failed (socket closed), retrying", "3 resyncs in the last minute (overrun: 3)"},
        3,
        1234,
        42,
        3};
    CHECK(status_text(f) == "       Version: 1.2.3\n"
                            "        Health: degraded\n"
                            "                namespace ns1: worker failed (socket closed), retrying\n"
                            "                3 resyncs in the last minute (overrun: 3)\n"
                            "    Namespaces: 3\n"
                            "     Published: 1234 events\n"
                            "       Dropped: 42 events (each repaired by a resync)\n"
                            "       Resyncs: 3\n");
    f.health = "ok";
    f.health_reasons.clear();
    CHECK(status_text(f).find("        Health: ok\n    Namespaces: 3\n") != std::string::npos);
}

TEST_CASE("status --json has the health, its reasons and the figures under documented keys", "[unit][ctl]")
{
    const StatusFigures f{"1.2.3", "failing", {"all 2 monitored namespaces failed: no events are delivered"}, 2, 7,
                          0,       1};
    CHECK(json_text(status_json(f)) ==
          R"({"version":"1.2.3","health":"failing","health_reasons":["all 2 monitored namespaces failed: no events )"
          R"(are delivered"],"namespaces":2,"events_published":7,"events_dropped":0,"resyncs":1})");
    const StatusFigures ok{"1", "ok", {}, 1, 0, 0, 0};
    CHECK(json_text(status_json(ok)).find(R"("health":"ok","health_reasons":[],)") != std::string::npos);
}

TEST_CASE("status exits 0 when the daemon is ok or degraded, 1 when failing (as /health: 200 or 503)", "[unit][ctl]")
{
    CHECK(status_exit_code("ok") == 0);
    CHECK(status_exit_code("degraded") == 0);
    CHECK(status_exit_code("failing") == 1);
    CHECK(status_exit_code("something new") == 1);
}
