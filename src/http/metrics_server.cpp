#include "http/metrics_server.hpp"

#include "http/listener.hpp"

#include <fcntl.h>
#include <microhttpd.h>
#include <spdlog/spdlog.h>

#include <array>
#include <cstdarg>
#include <cstdio>
#include <stdexcept>

namespace nswatch::http {

namespace {

constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";
constexpr const char* kJsonType = "application/json";
constexpr const char* kTextType = "text/plain; charset=utf-8";

// libmicrohttpd's messages: at debug level, since a hostile client can make
// many of them ("Server reached connection limit", timeouts, …).
void log_mhd(void* /*cls*/, const char* format, va_list args)
{
    std::array<char, 512> text{};
    std::vsnprintf(text.data(), text.size(), format, args);
    try {
        std::string line(text.data());
        while (!line.empty() && line.back() == '\n') {
            line.pop_back();
        }
        spdlog::debug("metrics http: {}", line);
    } catch (...) { // NOLINT(bugprone-empty-catch): nothing may reach C code
    }
}

// One response per request; libmicrohttpd copies the body
// (MHD_RESPMEM_MUST_COPY) and, for HEAD, sends only the headers (with the
// body's Content-Length).
MHD_Result queue(MHD_Connection* connection, const MetricsServer::Reply& reply)
{
    MHD_Response* response =
        MHD_create_response_from_buffer(reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
    if (response == nullptr) {
        return MHD_NO; // out of memory: libmicrohttpd closes the connection
    }
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (reply.allow_header) {
        MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    }
    const MHD_Result result = MHD_queue_response(connection, reply.status, response);
    MHD_destroy_response(response);
    return result;
}

// The access handler: called on libmicrohttpd's thread once the request
// line and headers are in, then once per piece of body, then once more
// with none. GET and HEAD are answered at that last call: answered at the
// first one, libmicrohttpd 0.9.75 cannot tell whether a body follows and
// closes the connection ("Connection: close"), which would cost Prometheus
// a new connection per scrape. A body sent with them is read and dropped
// (constant memory). Every other method is refused at the first call,
// which also closes the connection: nothing of its body is read.
MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* /*version*/, const char* /*upload_data*/, size_t* upload_data_size, void** con_cls)
{
    try {
        const std::string verb(method);
        const bool readable = verb == MHD_HTTP_METHOD_GET || verb == MHD_HTTP_METHOD_HEAD;
        if (readable && *con_cls == nullptr) {
            *con_cls = cls; // any non-null marker: "headers seen"
            return MHD_YES;
        }
        if (readable && *upload_data_size != 0) {
            *upload_data_size = 0; // drop the body
            return MHD_YES;
        }
        const auto* server = static_cast<const MetricsServer*>(cls);
        return queue(connection, server->answer(verb, url));
    } catch (...) { // an exception must not unwind through C frames
        try {
            spdlog::warn("metrics http: answering {} {} failed", method, url);
            return queue(connection, {500, kTextType, "internal error\n", false});
        } catch (...) {
            return MHD_NO; // closes the connection
        }
    }
}

} // namespace

MetricsServer::Reply MetricsServer::answer(const std::string& method, const std::string& path) const
{
    const bool is_metrics = path == "/metrics";
    const bool is_health = path == "/health";
    if (!is_metrics && !is_health) {
        return {404, kTextType, "not found: nswatchd serves /metrics and /health\n", false};
    }
    if (method != MHD_HTTP_METHOD_GET && method != MHD_HTTP_METHOD_HEAD) {
        return {405, kTextType, "method not allowed: use GET or HEAD\n", true};
    }
    try {
        if (is_metrics) {
            return {200, kMetricsType, metrics_(), false};
        }
        HealthDocument health = health_();
        return {health.failing ? 503U : 200U, kJsonType, std::move(health.json), false};
    } catch (const std::exception& e) {
        spdlog::warn("metrics http: {} failed: {}", path, e.what());
    } catch (...) {
        spdlog::warn("metrics http: {} failed", path);
    }
    return {500, kTextType, "internal error\n", false};
}

MetricsServer::MetricsServer(UniqueFd listener, MetricsSource metrics, HealthSource health, ServerLimits limits)
    : metrics_(std::move(metrics)), health_(std::move(health)), address_(local_address(listener.get())),
      port_(bound_port(listener.get()))
{
    // libmicrohttpd gets its own descriptor and closes it at MHD_stop_daemon.
    // Ours is closed here whatever happens, so a failed start cannot close
    // one descriptor twice (whether libmicrohttpd closes its copy on a
    // failed start is not documented; at worst that copy leaks once).
    const int served = ::fcntl(listener.get(), F_DUPFD_CLOEXEC, 0);
    if (served < 0) {
        throw std::runtime_error("metrics listener " + address_ + ": cannot duplicate the socket");
    }
    listener.reset();
    // Internal polling thread with epoll (never select: no FD_SETSIZE
    // limit); ITC so that MHD_stop_daemon wakes that thread at once.
    const unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &on_request, this, MHD_OPTION_LISTEN_SOCKET, served,
                               MHD_OPTION_CONNECTION_LIMIT, limits.connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                               limits.connections_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                               static_cast<unsigned>(limits.idle_timeout.count()), MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                               limits.connection_memory, MHD_OPTION_EXTERNAL_LOGGER, &log_mhd, nullptr, MHD_OPTION_END);
    if (daemon_ == nullptr) {
        throw std::runtime_error("metrics listener " + address_ +
                                 ": libmicrohttpd did not start (--log-level=debug shows its reason)");
    }
}

MetricsServer::~MetricsServer()
{
    MHD_stop_daemon(daemon_); // joins its thread; closes connections and the socket
}

} // namespace nswatch::http
