#include "daemon/options.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;

namespace {
DaemonOptions ok(const std::vector<std::string>& args)
{
    auto parsed = parse_options(args);
    REQUIRE(std::holds_alternative<DaemonOptions>(parsed));
    return std::get<DaemonOptions>(parsed);
}
EarlyExit early(const std::vector<std::string>& args)
{
    auto parsed = parse_options(args);
    REQUIRE(std::holds_alternative<EarlyExit>(parsed));
    return std::get<EarlyExit>(parsed);
}
} // namespace

TEST_CASE("without arguments the daemon uses the system bus and /run/netns", "[unit][options]")
{
    auto o = ok({});
    CHECK_FALSE(o.session_bus);
    CHECK(o.netns_dir == "/run/netns");
    CHECK(o.log_level == "info");
}

TEST_CASE("options take values with = or as the next argument", "[unit][options]")
{
    auto o = ok({"--session", "--netns-dir", "/tmp/x", "--log-level=debug", "--rcvbuf=65536", "--queue-size", "8"});
    CHECK(o.session_bus);
    CHECK(o.netns_dir == "/tmp/x");
    CHECK(o.log_level == "debug");
    CHECK(o.receive_buffer_bytes == 65536);
    CHECK(o.queue_capacity == 8);
}

TEST_CASE("--help and --version exit 0 with text for stdout", "[unit][options]")
{
    auto help = early({"--help"});
    CHECK(help.status == 0);
    CHECK(help.text.find("--log-level") != std::string::npos);
    auto version = early({"--version"});
    CHECK(version.status == 0);
    CHECK(version.text.rfind("nswatchd ", 0) == 0);
}

TEST_CASE("bad input is refused with exit 2 and a message naming the problem", "[unit][options]")
{
    auto unknown = early({"--frobnicate"});
    CHECK(unknown.status == 2);
    CHECK(unknown.text.find("--frobnicate") != std::string::npos);
    CHECK(early({"--log-level=loud"}).text.find("loud") != std::string::npos);
    CHECK(early({"--rcvbuf=12x"}).status == 2);
    CHECK(early({"--queue-size=0"}).status == 2);
    CHECK(early({"--netns-dir=relative"}).status == 2);
    // getopt_long's (glibc's) wording, one line naming the option.
    CHECK(early({"--netns-dir"}).text.find("option '--netns-dir' requires an argument") != std::string::npos);
    CHECK(early({"--session=yes"}).text.find("option '--session' doesn't allow an argument") != std::string::npos);
    CHECK(early({"stray"}).text.find("unexpected argument 'stray'") != std::string::npos);
    CHECK(early({"-x"}).text.find("invalid option -- 'x'") != std::string::npos);
    CHECK(early({"--frobnicate"}).text.rfind("nswatchd: unrecognized option '--frobnicate'\n", 0) == 0);
}

TEST_CASE("long options may be abbreviated while unambiguous, as in GNU tools", "[unit][options]")
{
    CHECK(ok({"--log=debug"}).log_level == "debug");
    CHECK(ok({"--no-process"}).process_events == false);
    CHECK(early({"--s"}).text.find("option '--s' is ambiguous") != std::string::npos);
    CHECK(early({"-h"}).status == 0);
    // Parsing again starts afresh (getopt's global state is reset).
    CHECK(ok({"--queue-size=8"}).queue_capacity == 8);
    CHECK(ok({}).queue_capacity == 4096);
}

TEST_CASE("every discovery source is on by default and --sources picks some", "[unit][options]")
{
    auto o = ok({});
    CHECK(o.source_named);
    CHECK(o.source_mounts);
    CHECK(o.source_processes);
    CHECK(o.process_events);
    CHECK_FALSE(o.process_scan_interval);
    o = ok({"--sources=named", "--process-scan-interval=0", "--no-process-events"});
    CHECK(o.source_named);
    CHECK_FALSE(o.source_mounts);
    CHECK_FALSE(o.source_processes);
    CHECK_FALSE(o.process_events);
    CHECK(o.process_scan_interval == std::chrono::seconds(0));
    o = ok({"--sources", ""});
    CHECK_FALSE(o.source_named);
    CHECK(early({"--sources=named,cats"}).text.find("unknown source 'cats'") != std::string::npos);
    CHECK(early({"--process-scan-interval=-1"}).status == 2);
    CHECK(early({"--process-scan-interval=soon"}).text.find("soon") != std::string::npos);
}

TEST_CASE("--metrics-listen takes a numeric IPv4 or bracketed IPv6 address and a port", "[unit][options]")
{
    auto o = ok({});
    CHECK_FALSE(o.metrics_listen);
    CHECK_FALSE(o.metrics_per_namespace);
    o = ok({"--metrics-listen=127.0.0.1:19110", "--metrics-per-namespace"});
    REQUIRE(o.metrics_listen);
    CHECK(o.metrics_listen->family == AF_INET);
    CHECK(o.metrics_listen->host == "127.0.0.1");
    CHECK(o.metrics_listen->port == 19110);
    CHECK(http::to_string(*o.metrics_listen) == "127.0.0.1:19110");
    CHECK(o.metrics_per_namespace);
    o = ok({"--metrics-listen", "[::1]:19110"});
    REQUIRE(o.metrics_listen);
    CHECK(o.metrics_listen->family == AF_INET6);
    CHECK(o.metrics_listen->host == "::1");
    CHECK(http::to_string(*o.metrics_listen) == "[::1]:19110");
    CHECK(ok({"--metrics-listen=0.0.0.0:65535"}).metrics_listen->port == 65535);
    CHECK(ok({"--metrics-listen=127.0.0.1:0"}).metrics_listen->port == 0); // any free port, logged
    CHECK(ok({"--metrics-listen=[::]:1"}).metrics_listen->host == "::");
}

TEST_CASE("a bad --metrics-listen is refused with a message naming the bad part", "[unit][options]")
{
    auto message = [](const std::string& value) {
        auto exit = early({"--metrics-listen=" + value});
        CHECK(exit.status == 2);
        return exit.text;
    };
    CHECK(message("127.0.0.1").find("missing ':PORT'") != std::string::npos);
    CHECK(message("127.0.0.1:").find("port '' in --metrics-listen '127.0.0.1:'") != std::string::npos);
    CHECK(message("127.0.0.1:65536").find("from 0 to 65535") != std::string::npos);
    CHECK(message("127.0.0.1:80x").find("port '80x'") != std::string::npos);
    CHECK(message("127.0.0.1:-1").find("port '-1'") != std::string::npos);
    CHECK(message("localhost:19110").find("address 'localhost'") != std::string::npos);
    CHECK(message("localhost:19110").find("not resolved") != std::string::npos);
    CHECK(message("127.1:19110").find("address '127.1'") != std::string::npos);
    CHECK(message("256.0.0.1:19110").find("address '256.0.0.1'") != std::string::npos);
    CHECK(message("::1:19110").find("needs brackets") != std::string::npos);
    CHECK(message("[::1:19110").find("missing ']'") != std::string::npos);
    CHECK(message("[::1]19110").find("missing ':PORT' after ']'") != std::string::npos);
    CHECK(message("[127.0.0.1]:19110").find("not a numeric IPv6 address") != std::string::npos);
    CHECK(message("").find("missing ':PORT'") != std::string::npos);
    CHECK(early({"--metrics-per-namespace=yes"}).text.find("doesn't allow an argument") != std::string::npos);
    CHECK(early({"--metrics=1"}).text.find("is ambiguous") != std::string::npos);
    CHECK(early({"--help"}).text.find("--metrics-listen=ADDR:PORT") != std::string::npos);
}
