#include "daemon/observability.hpp"

#include "bus/enum_strings.hpp"
#include "bus/manager_object.hpp"
#include "daemon/namespace_registry.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace nswatch {

namespace {

// While rings are drained, levels are looked at no more often than this.
constexpr auto kBusySampleInterval = std::chrono::seconds(1);
// With a listener: how fresh the gauges a scrape sees are. Prometheus
// scrapes every 15 s or more; a tighter period would only cost wake-ups.
constexpr auto kListenerSampleInterval = std::chrono::seconds(5);

std::chrono::milliseconds until(std::chrono::steady_clock::time_point when)
{
    const auto left = when - std::chrono::steady_clock::now();
    return std::max(std::chrono::ceil<std::chrono::milliseconds>(left), std::chrono::milliseconds(0));
}

} // namespace

Observability::Observability(EventLoop& loop, NamespaceRegistry& registry, ManagerObject& manager, bool per_namespace,
                             std::chrono::steady_clock::duration health_window, std::optional<UniqueFd> listener)
    : registry_(registry), manager_(manager), metrics_(per_namespace), monitor_(&Clock::now, health_window),
      renderer_(loop, [this] { return metrics_.render(); })
{
    registry_.add_observer(metrics_);
    registry_.add_observer(monitor_);
    registry_.add_observer(*this);
    manager_.set_health_source(this);
    manager_.set_metrics_source([this](ManagerObject::MetricsReply reply) {
        sample(); // on the bus thread: the gauges as of this call
        renderer_.request(std::move(reply));
    });
    health_timer_ = loop.add_timer([this] { health_due_ = true; });
    document_ = health_document();
    if (listener) {
        server_ = std::make_unique<http::MetricsServer>(
            std::move(*listener), [this] { return metrics_.render(); },
            [this] {
                const std::lock_guard lock(document_mutex_);
                return document_;
            });
        sample_timer_ = loop.add_timer([this] { sample_due_ = true; });
        sample_timer_.arm_every(kListenerSampleInterval);
        spdlog::info("serving /metrics and /health on http://{}", server_->address());
    }
}

Observability::~Observability()
{
    server_.reset(); // its thread reads metrics_ and document_
    manager_.set_metrics_source({});
    manager_.set_health_source(nullptr);
}

void Observability::after_round(bool draining)
{
    const auto now = Clock::now();
    if (sample_due_ || (draining && now - last_sample_ >= kBusySampleInterval)) {
        sample();
    }
    if (health_due_) {
        publish_health();
    }
}

void Observability::sample()
{
    sample_due_ = false;
    last_sample_ = Clock::now();
    registry_.sample_and_notify(); // the metrics' gauges, the monitor's levels; sets health_due_
}

void Observability::publish_health()
{
    health_due_ = false;
    HealthReport report = monitor_.health();
    if (const auto next = monitor_.next_change()) {
        health_timer_.arm_after(until(*next));
    } else {
        health_timer_.disarm();
    }
    if (report == published_) {
        return;
    }
    if (report.state != published_.state) {
        const auto level = report.state == HealthState::Ok ? spdlog::level::info : spdlog::level::warn;
        std::string text = "health: " + health_string(report.state);
        for (std::size_t i = 0; i < report.reasons.size(); ++i) {
            text += (i == 0 ? ": " : "; ") + report.reasons[i];
        }
        spdlog::log(level, "{}", text); // not fmt::join: GCC 12 -O3 warns inside it (-Wstringop-overflow)
    }
    published_ = std::move(report);
    {
        auto document = health_document();
        const std::lock_guard lock(document_mutex_);
        document_ = std::move(document);
    }
    manager_.publish_health_changed();
}

// The same keys as `nswatchctl status --json`, so the two agree.
http::HealthDocument Observability::health_document() const
{
    const nlohmann::json body{{"health", health_string(published_.state)}, {"health_reasons", published_.reasons}};
    return {published_.state == HealthState::Failing, body.dump() + "\n"};
}

} // namespace nswatch
