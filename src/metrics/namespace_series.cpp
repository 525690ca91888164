#include "metrics/namespace_series.hpp"

#include "bus/enum_strings.hpp"

namespace nswatch {

NamespaceSeries::NamespaceSeries(prometheus::Registry& registry)
    : published_(prometheus::BuildCounter()
                     .Name("nswatch_namespace_events_published_total")
                     .Help("Events published in Events signals, per namespace (--metrics-per-namespace).")
                     .Register(registry)),
      resyncs_(prometheus::BuildCounter()
                   .Name("nswatch_namespace_resyncs_total")
                   .Help("Resynced signals by reason, per namespace (--metrics-per-namespace).")
                   .Register(registry))
{
}

NamespaceSeries::Children& NamespaceSeries::children(const NamespaceStatus& ns)
{
    const auto found = by_name_.find(ns.identity.name);
    if (found != by_name_.end())
        return found->second;
    Children made;
    // The label is the name itself: names are unique, so one label never
    // serves two namespaces (removing one would free the other's counters),
    // and UTF-8 (mount_naming.cpp escapes file names that are not).
    const std::string& label = ns.identity.name;
    made.published = &published_.Add({{"namespace", label}});
    for (const ResyncReason reason : {ResyncReason::Overrun, ResyncReason::QueueFull, ResyncReason::Restart})
        made.resyncs[static_cast<std::size_t>(reason)] =
            &resyncs_.Add({{"namespace", label}, {"reason", resync_reason_string(reason)}});
    return by_name_.emplace(ns.identity.name, made).first->second;
}

void NamespaceSeries::add(const NamespaceStatus& ns)
{
    children(ns);
}

void NamespaceSeries::remove(const NamespaceStatus& ns)
{
    const auto found = by_name_.find(ns.identity.name);
    if (found == by_name_.end())
        return;
    published_.Remove(found->second.published);
    for (prometheus::Counter* counter : found->second.resyncs) {
        if (counter != nullptr)
            resyncs_.Remove(counter);
    }
    by_name_.erase(found);
}

void NamespaceSeries::events_published(const NamespaceStatus& ns, std::size_t count)
{
    children(ns).published->Increment(static_cast<double>(count));
}

void NamespaceSeries::resynced(const NamespaceStatus& ns, ResyncReason reason)
{
    if (prometheus::Counter* counter = children(ns).resyncs[static_cast<std::size_t>(reason)])
        counter->Increment();
}

} // namespace nswatch
