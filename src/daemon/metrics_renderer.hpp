#pragma once
// Renders the metrics text off the bus thread, for D-Bus GetMetrics. With
// --metrics-per-namespace the exposition grows with the namespaces: 35 ms
// at 3,000, an estimated 120-150 ms at 10,000 (BENCHMARKS.md, "Metrics on
// the hot path"), time in which the bus thread would emit no signal and
// answer no call. HTTP scrapes render on the HTTP server's own thread.
//
// Threading: request() and the reply callbacks run on the bus thread; the
// render function runs on the renderer's thread (DaemonMetrics::render() is
// thread-safe) and must be. The thread is started at the first request and
// then waits for the next one; the finished text is handed back through an
// eventfd the bus loop watches, so the bus thread never waits for it.
// Ownership: owns its thread (joined by the destructor, at shutdown: a
// render in progress is finished first), the eventfd and its watch; replies
// not yet given when it is destroyed are dropped.
#include "util/event_fd.hpp"
#include "util/event_loop.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace nswatch {

class MetricsRenderer {
public:
    using Render = std::function<std::string()>;
    // The text, or nullopt and why rendering failed.
    using Reply = std::function<void(std::optional<std::string> text, const std::string& error)>;

    MetricsRenderer(EventLoop& loop, Render render);
    MetricsRenderer(const MetricsRenderer&) = delete;
    MetricsRenderer& operator=(const MetricsRenderer&) = delete;
    ~MetricsRenderer();

    // Bus thread: `reply` gets the text of a render that begins after this
    // call, later, on the bus thread.
    void request(Reply reply);

private:
    void run(const std::stop_token& stop);
    void deliver();

    Render render_;
    EventFd done_;
    FdWatch done_watch_;
    std::vector<Reply> waiting_; // bus thread: for the render in progress
    std::vector<Reply> next_;    // bus thread: came during it, for the next
    std::mutex mutex_;           // guards the three below
    std::condition_variable_any wanted_cv_;
    bool wanted_ = false; // a render is asked for
    std::optional<std::string> text_;
    std::string error_;
    std::jthread thread_; // last: stopped and joined first
};

} // namespace nswatch
