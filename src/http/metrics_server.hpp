#pragma once
// The HTTP side of metrics and health: GET/HEAD /metrics (Prometheus text
// exposition 0.0.4) and GET/HEAD /health (JSON; 200 when ok or degraded,
// 503 when failing), served by libmicrohttpd (Debian's 0.9.75; never a
// parser of our own) on a listening socket it is given: bound from
// --metrics-listen (open_listener) or passed by systemd (take_activated_
// listener). Other paths: 404; other methods: 405 with "Allow: GET, HEAD".
//
// Threading: libmicrohttpd runs ONE internal thread (epoll) that accepts,
// reads, calls the two sources and writes. The sources are called on that
// thread, so they must be thread-safe against the rest of the daemon and
// should not take long (a slow source delays other HTTP clients, never the
// bus thread or the workers, which never wait for this thread). A source
// that throws gets a 500; no exception reaches libmicrohttpd's C code.
// Construct and destroy from one thread (main); the destructor stops the
// thread, closes every connection and the listening socket.
//
// Hostile clients (limits in ServerLimits, defaults below):
// - at most `connections` (32) connections at once; at the limit
//   libmicrohttpd stops accepting and new clients wait in the kernel's
//   backlog (128, then SYNs are dropped and retried) until a slot frees;
// - at most `connections_per_ip` (8) per client address: more are accepted
//   and closed at once, so one host (e.g. one opening 2,000 sockets) cannot
//   take the slots another host's Prometheus needs;
// - a connection idle for `idle_timeout` (5 s) is closed: a client that
//   sends half a request line and stalls (slowloris) or stops reading its
//   response holds a slot for 5 s at most. libmicrohttpd's timeout is one of
//   inactivity: a client trickling a byte every few seconds keeps its slot
//   (bounded by the per-IP and total limits above, and by the memory limit:
//   such a request is refused once it fills its buffer);
// - each connection has a `connection_memory` (32 KiB) pool for the
//   request line and headers: a longer request (a 1 MB request line) gets
//   an error status (414/431) and is closed; memory does not grow with it.
//   Response bodies are copies of the source's string (one per connection
//   being answered), so memory is bounded by connections x metrics size.
// The listener is meant for a loopback or management address; there is no
// TLS and no authentication (put a reverse proxy in front for those).
#include "util/unique_fd.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

struct MHD_Daemon;

namespace nswatch::http {

// What /health answers: the JSON body (made by the health rules) and
// whether the state is failing (HTTP 503) rather than ok or degraded (200).
struct HealthDocument {
    bool failing = false;
    std::string json;
};

struct ServerLimits {
    unsigned connections = 32;
    unsigned connections_per_ip = 8;
    std::chrono::seconds idle_timeout{5}; // libmicrohttpd counts whole seconds
    std::size_t connection_memory = std::size_t{32} * 1024;
};

class MetricsServer {
public:
    using MetricsSource = std::function<std::string()>;
    using HealthSource = std::function<HealthDocument()>;

    // Starts serving `listener` (listening; from open_listener or
    // take_activated_listener). Throws std::runtime_error if libmicrohttpd
    // cannot start.
    MetricsServer(UniqueFd listener, MetricsSource metrics, HealthSource health, ServerLimits limits = {});
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;
    MetricsServer(MetricsServer&&) = delete;
    MetricsServer& operator=(MetricsServer&&) = delete;

    // Where it listens ("127.0.0.1:19110"), for the log; port for tests
    // that bind port 0.
    [[nodiscard]] const std::string& address() const { return address_; }
    [[nodiscard]] std::uint16_t port() const { return port_; }

    // Called on libmicrohttpd's thread (metrics_server.cpp's C callbacks).
    struct Reply {
        unsigned status = 200;
        std::string content_type;
        std::string body;
        bool allow_header = false; // "Allow: GET, HEAD" (405)
    };
    Reply answer(const std::string& method, const std::string& path) const;

private:
    MetricsSource metrics_;
    HealthSource health_;
    std::string address_;
    std::uint16_t port_ = 0;
    MHD_Daemon* daemon_ = nullptr;
};

} // namespace nswatch::http
