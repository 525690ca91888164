#pragma once
// The per-namespace series (label `namespace`), kept only when the daemon
// runs with --metrics-per-namespace: 10,000 namespaces times a handful of
// series is a cardinality no Prometheus operator wants by default.
//
// nswatch_namespace_events_published_total{namespace}
// nswatch_namespace_resyncs_total{namespace,reason}
//
// A namespace's series are made when it is exported (or at its first event)
// and removed from the exposition when it goes, so a scrape never shows a
// namespace that is no longer monitored.
//
// Ownership and threading: owned by DaemonMetrics; every call is made on the
// bus thread (the PumpObserver calls). The families' own mutexes make a
// concurrent scrape (Registry::Collect) safe against add() and remove().
// prometheus-cpp's Family::Remove is a linear scan of the family: removing
// all of 10,000 namespaces at once costs ~10^8 steps in total, acceptable
// for an opt-in mode and never paid per event.
#include "daemon/namespace_status.hpp"
#include "events/event.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <array>
#include <cstddef>
#include <string>
#include <unordered_map>

namespace nswatch {

class NamespaceSeries {
public:
    explicit NamespaceSeries(prometheus::Registry& registry);

    void add(const NamespaceStatus& ns);
    void remove(const NamespaceStatus& ns);
    void events_published(const NamespaceStatus& ns, std::size_t count);
    void resynced(const NamespaceStatus& ns, ResyncReason reason);

private:
    static constexpr std::size_t kReasons = 4; // ResyncReason values (Initial is never counted)

    struct Children {
        prometheus::Counter* published = nullptr;
        std::array<prometheus::Counter*, kReasons> resyncs{};
    };

    Children& children(const NamespaceStatus& ns);

    prometheus::Family<prometheus::Counter>& published_;
    prometheus::Family<prometheus::Counter>& resyncs_;
    std::unordered_map<std::string, Children> by_name_; // names are unique among monitored namespaces
};

} // namespace nswatch
