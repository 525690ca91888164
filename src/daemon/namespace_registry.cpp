#include "daemon/namespace_registry.hpp"

#include "bus/object_path.hpp"
#include "netns/nsfs.hpp"
#include "nswatch/dbus_names.hpp"

#include <spdlog/spdlog.h>

namespace nswatch {

struct NamespaceRegistry::Entry {
    NamespaceIdentity identity;
    std::string path; // D-Bus object path
    std::shared_ptr<WorkerChannel> channel;
    NamespaceMirror mirror;
    std::string state = dbus::kStateMonitoring;
    std::unique_ptr<NamespaceObject> object; // null until the worker reported
    std::unique_ptr<NamespaceWorker> worker; // destroyed (joined) first
};

NamespaceRegistry::NamespaceRegistry(sdbus::IConnection& connection, EventHub& hub, RegistryOptions options)
    : connection_(connection), hub_(hub), options_(options), manager_(connection, *this)
{
}

NamespaceRegistry::~NamespaceRegistry()
{
    for (auto& [name, entry] : entries_) {
        entry->worker.reset(); // join every worker before any channel goes
    }
}

void NamespaceRegistry::apply(const ReconcilePlan& plan)
{
    for (const auto& name : plan.remove) {
        remove(name);
    }
    for (const auto& identity : plan.add) {
        add(identity);
    }
}

void NamespaceRegistry::add(const NamespaceIdentity& identity)
{
    const std::pair rejection_key(identity.path, identity.inode);
    if (rejected_.contains(rejection_key)) {
        return;
    }
    std::uint64_t inode = 0;
    try {
        inode = open_net_namespace(identity.path).inode; // checks it is a network namespace; closes again
    } catch (const NamespaceFileError& e) {
        spdlog::warn("not monitoring {}: {}", identity.path, e.what());
        rejected_.insert(rejection_key);
        return;
    }
    if (inode != identity.inode) {
        // Replaced between scan and open: the next rescan sees the new one.
        spdlog::debug("{} changed while opening it; waiting for the next scan", identity.path);
        return;
    }
    auto entry = std::make_unique<Entry>();
    entry->identity = identity;
    entry->path = namespace_object_path(identity.name);
    entry->channel = std::make_shared<WorkerChannel>(options_.queue_capacity);
    WorkerOptions worker_options = options_.worker;
    worker_options.inject_failure_once = identity.name == options_.inject_failure_in;
    entry->worker = std::make_unique<NamespaceWorker>(identity, entry->channel, hub_, worker_options);
    spdlog::info("monitoring network namespace {} ({}, inode {})", identity.name, identity.path, identity.inode);
    identities_[identity.name] = identity;
    entries_[identity.name] = std::move(entry);
}

void NamespaceRegistry::remove(const std::string& name)
{
    auto it = entries_.find(name);
    if (it == entries_.end()) {
        return;
    }
    Entry& entry = *it->second;
    entry.worker.reset(); // closes the namespace's sockets before we announce anything
    events_dropped_removed_ += entry.channel->dropped.load();
    if (entry.object) {
        entry.object->withdraw();
        entry.object.reset();
        --exported_;
        manager_.publish_namespace_removed(name, entry.path);
    }
    spdlog::info("stopped monitoring network namespace {}", name);
    identities_.erase(name);
    entries_.erase(it);
}

bool NamespaceRegistry::drain()
{
    bool more = false;
    for (auto& [name, entry] : entries_) {
        more = drain_entry(*entry) || more;
    }
    return more;
}

bool NamespaceRegistry::has_pending() const
{
    for (const auto& [name, entry] : entries_) {
        if (!entry->channel->ring.empty()) {
            return true;
        }
    }
    return false;
}

bool NamespaceRegistry::drain_entry(Entry& entry)
{
    // Bounded per call so one busy namespace cannot starve the others or the bus.
    const std::size_t budget = options_.max_batch * 4;
    std::vector<SequencedEvent> batch;
    std::size_t popped = 0;
    while (popped < budget) {
        auto message = entry.channel->ring.try_pop();
        if (!message) {
            break;
        }
        ++popped;
        if (auto* event = std::get_if<ObjectEvent>(&*message)) {
            batch.push_back(entry.mirror.record(std::move(*event)));
            if (batch.size() >= options_.max_batch) {
                flush(entry, batch);
            }
        } else if (auto* snapshot = std::get_if<StateSnapshot>(&*message)) {
            on_snapshot(entry, *snapshot, batch);
        } else {
            on_status(entry, std::get<WorkerStatus>(*message), batch);
        }
    }
    flush(entry, batch);
    if (popped > 0) {
        entry.channel->after_pop();
    }
    return popped == budget;
}

void NamespaceRegistry::flush(Entry& entry, std::vector<SequencedEvent>& batch)
{
    if (batch.empty()) {
        return;
    }
    spdlog::trace("[{}] emitting {} events, seq {}..{}", entry.identity.name, batch.size(), batch.front().seq,
                  batch.back().seq);
    if (entry.object) {
        entry.object->publish_events(batch);
    }
    events_published_ += batch.size();
    batch.clear();
}

void NamespaceRegistry::on_snapshot(Entry& entry, const StateSnapshot& snapshot, std::vector<SequencedEvent>& batch)
{
    flush(entry, batch);
    if (!entry.object) {
        entry.mirror.reset(*snapshot.state); // the snapshot at seq 0
        export_entry(entry);
        return;
    }
    // A first snapshot after an initial failure repairs like a restart.
    const std::string reason = snapshot.reason.empty() ? "restart" : snapshot.reason;
    for (auto& event : entry.mirror.resync_to(*snapshot.state, realtime_usec())) {
        batch.push_back(std::move(event));
        if (batch.size() >= options_.max_batch) {
            flush(entry, batch);
        }
    }
    flush(entry, batch);
    set_state(entry, dbus::kStateMonitoring);
    ++resyncs_;
    spdlog::info("[{}] resynced ({}), seq {}", entry.identity.name, reason, entry.mirror.seq());
    entry.object->publish_resynced(reason);
}

void NamespaceRegistry::on_status(Entry& entry, const WorkerStatus& status, std::vector<SequencedEvent>& batch)
{
    flush(entry, batch);
    set_state(entry, status.healthy ? dbus::kStateMonitoring : dbus::kStateFailed);
    if (!entry.object) {
        export_entry(entry); // a failing namespace is shown failed, never hidden
    }
}

void NamespaceRegistry::set_state(Entry& entry, std::string state)
{
    if (entry.state == state) {
        return;
    }
    entry.state = std::move(state);
    if (entry.object) {
        entry.object->publish_state_changed();
    }
}

void NamespaceRegistry::export_entry(Entry& entry)
{
    entry.object = std::make_unique<NamespaceObject>(connection_, entry.identity, entry.mirror, entry.state);
    ++exported_;
    entry.object->announce();
    manager_.publish_namespace_added(entry.identity.name, entry.path);
}

std::vector<NamespaceListing> NamespaceRegistry::list_namespaces() const
{
    std::vector<NamespaceListing> out;
    for (const auto& [name, entry] : entries_) {
        if (entry->object) {
            out.push_back({name, entry->path, entry->identity.source, entry->identity.inode});
        }
    }
    return out;
}

std::optional<std::string> NamespaceRegistry::namespace_path(const std::string& name) const
{
    auto it = entries_.find(name);
    if (it == entries_.end() || !it->second->object) {
        return std::nullopt;
    }
    return it->second->path;
}

DaemonCounters NamespaceRegistry::counters() const
{
    DaemonCounters counters{events_published_, events_dropped_removed_, resyncs_};
    for (const auto& [name, entry] : entries_) {
        counters.events_dropped += entry->channel->dropped.load(std::memory_order_relaxed);
    }
    return counters;
}

} // namespace nswatch
