#include "metrics/daemon_metrics.hpp"

#include "bus/enum_strings.hpp"
#include "nswatch_config.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <utility>

namespace nswatch {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

template <std::size_t... I>
std::array<KernelObject, sizeof...(I)> one_of_each(std::index_sequence<I...> /*kinds*/)
{
    return {KernelObject(std::in_place_index<I>)...};
}

constexpr std::size_t type_index(const ObjectEvent& event, std::size_t changes) noexcept
{
    return event.object.index() * changes + static_cast<std::size_t>(event.change);
}

prometheus::Histogram::BucketBoundaries latency_bounds_seconds()
{
    prometheus::Histogram::BucketBoundaries bounds;
    for (const std::uint64_t usec : DaemonMetrics::kLatencyBoundsUsec)
        bounds.push_back(static_cast<double>(usec) / 1e6);
    return bounds;
}

} // namespace

DaemonMetrics::DaemonMetrics(bool per_namespace)
{
    auto& published = BuildCounter()
                          .Name("nswatch_events_published_total")
                          .Help("Events published in Events signals, by type (link-added, qdisc-changed, ...).")
                          .Register(registry_);
    const auto objects = one_of_each(std::make_index_sequence<kObjectKinds>());
    for (const KernelObject& object : objects) {
        for (const Change change : {Change::Added, Change::Changed, Change::Removed}) {
            const ObjectEvent event{change, 0, object};
            published_[type_index(event, kChanges)] = &published.Add({{"type", event_type_name(event)}});
        }
    }

    auto& resyncs = BuildCounter()
                        .Name("nswatch_resyncs_total")
                        .Help("Resynced signals by reason: overrun (the kernel dropped notifications), queue-full "
                              "(a worker's ring was full), restart (a worker recovered).")
                        .Register(registry_);
    for (const ResyncReason reason : {ResyncReason::Overrun, ResyncReason::QueueFull, ResyncReason::Restart})
        resyncs_[static_cast<std::size_t>(reason)] = &resyncs.Add({{"reason", resync_reason_string(reason)}});

    auto& signals = BuildCounter()
                        .Name("nswatch_signals_emitted_total")
                        .Help("D-Bus signals emitted, by member.")
                        .Register(registry_);
    signals_[SignalEvents] = &signals.Add({{"signal", "Events"}});
    signals_[SignalResynced] = &signals.Add({{"signal", "Resynced"}});
    signals_[SignalAdded] = &signals.Add({{"signal", "NamespaceAdded"}});
    signals_[SignalRemoved] = &signals.Add({{"signal", "NamespaceRemoved"}});

    auto counter = [this](const char* name, const char* help) {
        return &BuildCounter().Name(name).Help(help).Register(registry_).Add({});
    };
    dropped_ = counter("nswatch_events_dropped_total",
                       "Events dropped because a worker's ring was full (each is followed by a resync).");
    overruns_ = counter("nswatch_netlink_overruns_total",
                        "Netlink receive buffer overruns (ENOBUFS) read by workers (each is followed by a resync).");
    worker_failures_ = counter("nswatch_worker_failures_total",
                               "Failed attempts of workers to monitor their namespace (each retries with backoff).");
    worker_restarts_ = counter("nswatch_worker_restarts_total", "Workers that recovered from a failure.");
    namespaces_added_ = counter("nswatch_namespaces_added_total", "Namespaces exported (NamespaceAdded signals).");
    namespaces_removed_ =
        counter("nswatch_namespaces_removed_total", "Exported namespaces removed (NamespaceRemoved signals).");

    auto& namespaces = BuildGauge()
                           .Name("nswatch_namespaces")
                           .Help("Monitored namespaces by source and monitoring state.")
                           .Register(registry_);
    for (std::size_t source = 0; source < kSources; ++source) {
        for (std::size_t state = 0; state < kStates; ++state) {
            namespaces_[source * kStates + state] =
                &namespaces.Add({{"source", source_string(static_cast<SourceKind>(source))},
                                 {"state", state_string(static_cast<MonitorState>(state))}});
        }
    }
    auto gauge = [this](const char* name, const char* help) {
        return &BuildGauge().Name(name).Help(help).Register(registry_).Add({});
    };
    exported_gauge_ = gauge("nswatch_namespaces_exported", "Namespaces with an object on the bus.");
    queue_depth_ = gauge("nswatch_queue_depth", "Messages waiting in all workers' rings.");
    queue_deepest_ = gauge("nswatch_queue_deepest", "Messages waiting in the fullest ring.");
    queue_capacity_ = gauge("nswatch_queue_capacity", "Messages one worker's ring holds (--queue-size).");
    queue_high_water_ = gauge("nswatch_queue_high_water", "The most messages any ring has held since start.");
    BuildGauge()
        .Name("nswatch_build_info")
        .Help("Always 1; the version of nswatchd in a label.")
        .Register(registry_)
        .Add({{"version", NSWATCH_VERSION}})
        .Set(1);

    event_latency_ = &BuildHistogram()
                          .Name("nswatch_event_latency_seconds")
                          .Help("Time from a worker reading an event from the kernel to its Events signal.")
                          .Register(registry_)
                          .Add({}, latency_bounds_seconds());
    events_per_signal_ =
        &BuildHistogram()
             .Name("nswatch_events_per_signal")
             .Help("Events carried by one Events signal.")
             .Register(registry_)
             .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    discovery_latency_ = &BuildHistogram()
                              .Name("nswatch_discovery_latency_seconds")
                              .Help("Time from the daemon learning of a namespace to its NamespaceAdded signal.")
                              .Register(registry_)
                              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                               0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30});
    latency_scratch_.assign(kLatencyBoundsUsec.size() + 1, 0.0);
    if (per_namespace)
        per_namespace_.emplace(registry_);
}

DaemonMetrics::~DaemonMetrics() = default;

std::string DaemonMetrics::render() const
{
    auto families = registry_.Collect();
    auto process = process_.Collect();
    families.insert(families.end(), std::make_move_iterator(process.begin()), std::make_move_iterator(process.end()));
    return prometheus::TextSerializer().Serialize(families);
}

void DaemonMetrics::events_emitted(const NamespaceStatus& ns, std::span<const SequencedEvent> events,
                                   std::uint64_t now_usec)
{
    if (events.empty())
        return;
    std::array<std::uint32_t, kEventTypes> per_type{};
    std::fill(latency_scratch_.begin(), latency_scratch_.end(), 0.0);
    std::uint64_t latency_sum_usec = 0;
    std::size_t timed = 0;
    for (const SequencedEvent& sequenced : events) {
        const ObjectEvent& event = sequenced.event;
        ++per_type[type_index(event, kChanges)];
        if (event.time_usec == 0)
            continue; // no kernel read time: no latency to tell
        const std::uint64_t usec = now_usec > event.time_usec ? now_usec - event.time_usec : 0;
        const auto bucket = std::lower_bound(kLatencyBoundsUsec.begin(), kLatencyBoundsUsec.end(), usec);
        latency_scratch_[static_cast<std::size_t>(bucket - kLatencyBoundsUsec.begin())] += 1.0;
        latency_sum_usec += usec;
        ++timed;
    }
    for (std::size_t type = 0; type < kEventTypes; ++type) {
        if (per_type[type] != 0)
            published_[type]->Increment(per_type[type]);
    }
    // ObserveMultiple adds to every bucket (a compare-exchange each, ~750
    // instructions); one event is cheaper with Observe (~180).
    if (timed == 1)
        event_latency_->Observe(static_cast<double>(latency_sum_usec) / 1e6);
    else if (timed > 1)
        event_latency_->ObserveMultiple(latency_scratch_, static_cast<double>(latency_sum_usec) / 1e6);
    events_per_signal_->Observe(static_cast<double>(events.size()));
    signals_[SignalEvents]->Increment();
    if (per_namespace_)
        per_namespace_->events_published(ns, events.size());
}

void DaemonMetrics::namespace_exported(const NamespaceStatus& ns, std::chrono::steady_clock::duration since_seen)
{
    discovery_latency_->Observe(std::chrono::duration<double>(since_seen).count());
    signals_[SignalAdded]->Increment();
    namespaces_added_->Increment();
    exported_.insert(ns.identity.name);
    exported_gauge_->Set(static_cast<double>(exported_.size()));
    if (per_namespace_)
        per_namespace_->add(ns);
}

void DaemonMetrics::namespace_removed(const NamespaceStatus& ns)
{
    if (exported_.erase(ns.identity.name) != 0) {
        signals_[SignalRemoved]->Increment();
        namespaces_removed_->Increment();
        exported_gauge_->Set(static_cast<double>(exported_.size()));
    }
    if (per_namespace_)
        per_namespace_->remove(ns);
}

void DaemonMetrics::resynced(const NamespaceStatus& ns, ResyncReason reason)
{
    signals_[SignalResynced]->Increment();
    if (prometheus::Counter* counter = resyncs_[static_cast<std::size_t>(reason)])
        counter->Increment();
    if (reason == ResyncReason::Restart)
        worker_restarts_->Increment();
    if (per_namespace_)
        per_namespace_->resynced(ns, reason);
}

void DaemonMetrics::state_changed(const NamespaceStatus& /*ns*/, MonitorState /*before*/)
{
    // Levels come from sampled(); failures and restarts from worker_failed()
    // and resynced(Restart).
}

void DaemonMetrics::worker_failed(const NamespaceStatus& /*ns*/)
{
    worker_failures_->Increment();
}

void DaemonMetrics::sampled(const RegistrySample& sample)
{
    std::array<std::size_t, kSources * kStates> counts{};
    for (const RegistrySample::SourceState& level : sample.namespaces) {
        const auto source = static_cast<std::size_t>(level.source);
        const auto state = static_cast<std::size_t>(level.state);
        if (source < kSources && state < kStates)
            counts[source * kStates + state] += level.count;
    }
    for (std::size_t i = 0; i < counts.size(); ++i)
        namespaces_[i]->Set(static_cast<double>(counts[i]));
    // The totals are since start: the counters go up by the difference.
    if (sample.events_dropped > last_dropped_)
        dropped_->Increment(static_cast<double>(sample.events_dropped - last_dropped_));
    if (sample.netlink_overruns > last_overruns_)
        overruns_->Increment(static_cast<double>(sample.netlink_overruns - last_overruns_));
    last_dropped_ = std::max(last_dropped_, sample.events_dropped);
    last_overruns_ = std::max(last_overruns_, sample.netlink_overruns);
    queue_depth_->Set(static_cast<double>(sample.queue_depth));
    queue_deepest_->Set(static_cast<double>(sample.deepest_queue));
    queue_capacity_->Set(static_cast<double>(sample.queue_capacity));
    queue_high_water_->Set(static_cast<double>(sample.queue_high_water));
}

} // namespace nswatch
