// MetricsServer's answers over real loopback sockets: an ephemeral port on
// 127.0.0.1, fake sources, raw HTTP/1.1 requests (http_client.hpp).
#include "http/metrics_server.hpp"
#include "http/listener.hpp"
#include "http_client.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <stdexcept>

using namespace nswatch;
using namespace nswatch::test;

namespace {

const std::string kMetrics = "# HELP nswatch_events_published_total Events published.\n"
                             "# TYPE nswatch_events_published_total counter\n"
                             "nswatch_events_published_total{type=\"link\"} 42\n";

http::ListenAddress any_port()
{
    return {AF_INET, "127.0.0.1", 0};
}

// A server whose /health is failing while `failing` is set.
struct Fixture {
    std::atomic<bool> failing{false};
    http::MetricsServer server{http::open_listener(any_port()), [] { return kMetrics; },
                               [this] {
                                   return failing ? http::HealthDocument{true, R"({"health":"failing"})"}
                                                  : http::HealthDocument{false, R"({"health":"ok"})"};
                               }};
};

} // namespace

TEST_CASE("GET /metrics answers the text exposition with Prometheus' content type", "[unit][http]")
{
    Fixture f;
    CHECK(f.server.port() != 0);
    CHECK(f.server.address() == "127.0.0.1:" + std::to_string(f.server.port()));
    const auto r = fetch(f.server.port(), "GET", "/metrics");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(r->body == kMetrics);
    // A query string is not part of the path.
    CHECK(fetch(f.server.port(), "GET", "/metrics?x=1")->status == 200);
}

TEST_CASE("GET /health is 200 with JSON while not failing, 503 when failing", "[unit][http]")
{
    Fixture f;
    auto r = fetch(f.server.port(), "GET", "/health");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Content-Type") == "application/json");
    CHECK(r->body == R"({"health":"ok"})");
    f.failing = true;
    r = fetch(f.server.port(), "GET", "/health");
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(r->body == R"({"health":"failing"})");
}

TEST_CASE("HEAD sends the headers of GET without the body", "[unit][http]")
{
    Fixture f;
    const auto r = fetch(f.server.port(), "HEAD", "/metrics");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->header("Content-Length") == std::to_string(kMetrics.size()));
    CHECK(r->body.empty());
    f.failing = true;
    CHECK(fetch(f.server.port(), "HEAD", "/health")->status == 503);
}

TEST_CASE("other paths are 404, other methods 405 with Allow", "[unit][http]")
{
    Fixture f;
    CHECK(fetch(f.server.port(), "GET", "/")->status == 404);
    CHECK(fetch(f.server.port(), "GET", "/metrics/")->status == 404);
    CHECK(fetch(f.server.port(), "GET", "/../metrics")->status == 404);
    for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
        const auto r = fetch(f.server.port(), method, "/metrics");
        REQUIRE(r);
        CHECK(r->status == 405);
        CHECK(r->header("Allow") == "GET, HEAD");
    }
    // A POST with a body: refused, and the server goes on.
    const UniqueFd fd = connect_from(f.server.port());
    const auto r = exchange(fd.get(), "POST /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                                      "Content-Length: 5\r\n\r\nhello");
    REQUIRE(r);
    CHECK(r->status == 405);
    CHECK(fetch(f.server.port(), "GET", "/metrics")->status == 200);
}

TEST_CASE("a source that throws gives 500 and the server goes on", "[unit][http]")
{
    std::atomic<bool> fail{true};
    http::MetricsServer server(
        http::open_listener(any_port()),
        [&] {
            if (fail) {
                throw std::runtime_error("registry gone");
            }
            return kMetrics;
        },
        []() -> http::HealthDocument { throw 42; }); // not even a std::exception
    CHECK(fetch(server.port(), "GET", "/metrics")->status == 500);
    CHECK(fetch(server.port(), "GET", "/health")->status == 500);
    fail = false;
    CHECK(fetch(server.port(), "GET", "/metrics")->body == kMetrics);
}

TEST_CASE("keep-alive: Prometheus' next scrape may reuse the connection", "[unit][http]")
{
    Fixture f;
    const UniqueFd fd = connect_from(f.server.port());
    REQUIRE(send_all(fd.get(), "GET /health HTTP/1.1\r\nHost: t\r\n\r\n"));
    // Read the first reply whole (it ends with its body), then ask again.
    std::string first;
    const std::string body = R"({"health":"ok"})";
    const auto deadline = Clock::now() + kNeverReached;
    while (first.size() < body.size() || first.compare(first.size() - body.size(), body.size(), body) != 0) {
        REQUIRE(Clock::now() < deadline);
        pollfd p{fd.get(), POLLIN, 0};
        if (::poll(&p, 1, 1000) > 0) {
            char buffer[1024];
            const auto n = ::recv(fd.get(), buffer, sizeof buffer, 0);
            REQUIRE(n > 0);
            first.append(buffer, static_cast<std::size_t>(n));
        }
    }
    CHECK(first.find("Connection: close") == std::string::npos);
    const auto r = exchange(fd.get(), "GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == kMetrics);
}

TEST_CASE("the listener binds IPv6 loopback too", "[unit][http]")
{
    http::MetricsServer server(
        http::open_listener({AF_INET6, "::1", 0}), [] { return kMetrics; }, [] { return http::HealthDocument{}; });
    CHECK(server.address() == "[::1]:" + std::to_string(server.port()));
    // A port already taken is an error naming the address.
    const auto taken = http::ListenAddress{AF_INET6, "::1", server.port()};
    CHECK_THROWS_WITH(http::open_listener(taken), Catch::Contains("[::1]:" + std::to_string(server.port())) &&
                                                      Catch::Contains("Address already in use"));
}
