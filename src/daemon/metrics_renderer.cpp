#include "daemon/metrics_renderer.hpp"

#include <exception>

namespace nswatch {

MetricsRenderer::MetricsRenderer(EventLoop& loop, Render render)
    : render_(std::move(render)), done_watch_(loop.watch_fd(done_.fd(), POLLIN, [this](short) { deliver(); }))
{
}

MetricsRenderer::~MetricsRenderer()
{
    if (thread_.joinable()) {
        thread_.request_stop(); // wakes the wait (condition_variable_any with a stop token)
        thread_.join();
    }
}

void MetricsRenderer::request(Reply reply)
{
    if (!waiting_.empty()) {
        // A render runs; it may have sampled before this call: the next one.
        next_.push_back(std::move(reply));
        return;
    }
    waiting_.push_back(std::move(reply));
    {
        const std::lock_guard lock(mutex_);
        wanted_ = true;
    }
    if (!thread_.joinable()) {
        thread_ = std::jthread([this](const std::stop_token& stop) { run(stop); });
    } else {
        wanted_cv_.notify_one();
    }
}

void MetricsRenderer::run(const std::stop_token& stop)
{
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            if (!wanted_cv_.wait(lock, stop, [this] { return wanted_; })) {
                return; // stop requested
            }
            wanted_ = false;
        }
        std::optional<std::string> text;
        std::string error;
        try {
            text = render_();
        } catch (const std::exception& e) {
            error = e.what();
        }
        {
            const std::lock_guard lock(mutex_);
            text_ = std::move(text);
            error_ = std::move(error);
        }
        done_.signal();
    }
}

void MetricsRenderer::deliver()
{
    done_.drain();
    std::optional<std::string> text;
    std::string error;
    {
        const std::lock_guard lock(mutex_);
        text = std::move(text_);
        error = std::move(error_);
        text_.reset();
    }
    for (auto& reply : std::exchange(waiting_, {})) {
        reply(text, error);
    }
    if (!next_.empty()) {
        auto next = std::exchange(next_, {});
        request(std::move(next.front()));
        for (std::size_t i = 1; i < next.size(); ++i) {
            waiting_.push_back(std::move(next[i]));
        }
    }
}

} // namespace nswatch
