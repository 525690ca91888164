// NamespaceRegistry's figures: the Manager's counters and the sample of
// levels the observers (metrics, health) are handed. Bus thread only; each
// call walks the namespaces once, so it is for a timer or a D-Bus property
// read, never for every loop round.
#include "daemon/fd_limit.hpp"
#include "daemon/namespace_registry.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>

namespace nswatch {

namespace {

constexpr std::size_t kSources = static_cast<std::size_t>(SourceKind::Process) + 1;
constexpr std::size_t kStates = static_cast<std::size_t>(MonitorState::Failed) + 1;

std::size_t soft_fd_limit() noexcept
{
    rlimit limit{};
    return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? static_cast<std::size_t>(limit.rlim_cur) : 0;
}

} // namespace

RegistrySample NamespaceRegistry::sample() const
{
    RegistrySample out;
    std::array<std::array<std::size_t, kStates>, kSources> counts{};
    for (const auto& [name, entry] : entries_) {
        const auto& status = entry->ns.status;
        ++counts.at(static_cast<std::size_t>(status.identity.source)).at(static_cast<std::size_t>(status.state));
    }
    for (std::size_t source = 0; source < kSources; ++source) {
        for (std::size_t state = 0; state < kStates; ++state) {
            if (counts.at(source).at(state) != 0) {
                out.namespaces.push_back(
                    {static_cast<SourceKind>(source), static_cast<MonitorState>(state), counts.at(source).at(state)});
            }
        }
    }
    out.events_dropped = events_dropped_removed_;
    out.netlink_overruns = overruns_removed_;
    out.queue_high_water = high_water_removed_;
    out.queue_capacity = options_.queue_capacity;
    const Entry* deepest = nullptr;
    for (const Entry* entry : draining_) {
        const WorkerChannel& channel = *entry->ns.channel;
        out.events_dropped += channel.dropped.load(std::memory_order_relaxed);
        out.netlink_overruns += channel.overruns.load(std::memory_order_relaxed);
        out.queue_high_water = std::max(out.queue_high_water, channel.queue_high_water.load(std::memory_order_relaxed));
        const std::size_t depth = channel.ring.size();
        out.queue_depth += depth;
        if (depth > out.deepest_queue) {
            out.deepest_queue = depth;
            deepest = entry;
        }
    }
    if (deepest != nullptr) {
        out.deepest_queue_name = deepest->ns.status.identity.name;
    }
    // The daemon's fds, estimated as fd_limit.hpp counts them: its own
    // (kFdsReserved, an upper bound) plus one socket per started worker. An
    // exact count means listing /proc/self/fd: 10,000 entries a look.
    out.fds_in_use = kFdsReserved + kFdsPerNamespace * (entries_.size() - unstarted_);
    out.fd_limit = soft_fd_limit();
    return out;
}

void NamespaceRegistry::sample_and_notify()
{
    pump_.sampled(sample());
}

DaemonCounters NamespaceRegistry::counters() const
{
    DaemonCounters counters{pump_.events_published(), events_dropped_removed_, pump_.resyncs()};
    for (const Entry* entry : draining_) {
        counters.events_dropped += entry->ns.channel->dropped.load(std::memory_order_relaxed);
    }
    return counters;
}

} // namespace nswatch
