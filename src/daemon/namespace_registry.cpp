#include "daemon/namespace_registry.hpp"

#include "bus/enum_strings.hpp"
#include "bus/object_path.hpp"
#include "netns/mount_naming.hpp"
#include "netns/nsfs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

namespace nswatch {

struct NamespaceRegistry::Entry {
    NamespaceStatus status;
    std::string object_path;
    std::shared_ptr<WorkerChannel> channel; // null until the worker started
    NamespaceMirror mirror;
    std::vector<WatchCompletion> on_export;    // Watch replies waiting for the object
    std::unique_ptr<NamespaceObject> object;   // null until the worker reported
    std::unique_ptr<NamespaceWorker> worker;   // destroyed (joined) first
    std::size_t draining_index = kNotDraining; // its place in draining_

    static constexpr std::size_t kNotDraining = static_cast<std::size_t>(-1);
};

NamespaceRegistry::NamespaceRegistry(sdbus::IConnection& connection, EventHub& hub, NamespaceControl& control,
                                     RegistryOptions options)
    : connection_(connection), hub_(hub), options_(std::move(options)), manager_(connection, *this, control)
{
}

NamespaceRegistry::~NamespaceRegistry()
{
    // The reaper stops and joins them in order; wait for the last.
    for (auto& [name, entry] : entries_) {
        if (entry->worker) {
            reaper_.dispose(std::move(entry->worker));
        }
    }
    reaper_.drain();
}

void NamespaceRegistry::apply(const ReconcilePlan& plan)
{
    for (const auto& name : plan.remove) {
        remove(name);
    }
    for (const auto& identity : plan.add) {
        add(identity);
    }
    for (const auto& identity : plan.update) {
        auto it = entries_.find(identity.name);
        if (it == entries_.end()) {
            continue;
        }
        Entry& entry = *it->second;
        spdlog::debug("[{}] now reached through {}", identity.name, identity.path);
        entry.status.identity = identity;
        identities_[identity.name] = identity;
        if (entry.channel) {
            entry.channel->set_open_path(identity.path);
        }
        if (entry.object) {
            entry.object->publish_holder_changed();
        }
    }
}

void NamespaceRegistry::add(const NamespaceIdentity& identity)
{
    // A mount is not opened here: the worker opens it once, briefly, to make
    // its socket (an open file would pin the mount: umount fails). A /proc
    // path is opened now: its process may leave or exit before the worker
    // runs (a namespace seen for a moment, e.g. `ip netns add` between its
    // unshare and its mount), and then there is nothing to monitor.
    UniqueFd opened;
    if (identity.source == SourceKind::Process ||
        (identity.source == SourceKind::Watch && identity.path.starts_with("/proc/"))) {
        try {
            auto ns = open_net_namespace(identity.path);
            if (ns.inode != identity.inode) {
                throw NamespaceFileError(identity.path + " left the namespace");
            }
            opened = std::move(ns.fd);
        } catch (const NamespaceFileError& e) {
            spdlog::debug("not monitoring {}: {} (its holder is gone)", identity.name, e.what());
            return; // the process source learns of it at its next look
        }
    }
    auto entry = std::make_unique<Entry>();
    entry->status.identity = identity;
    entry->object_path = namespace_object_path(identity.name);
    spdlog::info("monitoring network namespace {} ({}, {}, inode {})", identity.name, source_string(identity.source),
                 identity.path, identity.inode);
    identities_[identity.name] = identity;
    names_by_inode_[identity.inode] = identity.name;
    Entry& added = *entry;
    entries_[identity.name] = std::move(entry);
    ++unstarted_;
    start_worker(added, std::move(opened));
}

void NamespaceRegistry::start_worker(Entry& entry, UniqueFd opened)
{
    const auto& identity = entry.status.identity;
    try {
        if (!entry.channel) {
            entry.channel = std::make_shared<WorkerChannel>(options_.queue_capacity, identity.path);
            entry.channel->set_opened(std::move(opened));
            entry.draining_index = draining_.size();
            draining_.push_back(&entry);
        }
        WorkerOptions worker_options = options_.worker;
        worker_options.inject_failure_once = identity.name == options_.inject_failure_in;
        entry.worker = std::make_unique<NamespaceWorker>(identity, entry.channel, hub_, worker_options);
        --unstarted_;
    } catch (const std::system_error& e) {
        // Out of threads or memory (a worker opens its fds itself and
        // reports failing to): shown failed, retried later.
        const std::string why = e.code().value() == EMFILE
                                    ? "the daemon's file descriptor limit (RLIMIT_NOFILE) is exhausted"
                                    : std::string("cannot start its worker: ") + e.what();
        spdlog::warn("[{}] {}; retrying", identity.name, why);
        set_state(entry, MonitorState::Failed, why);
        if (!entry.object) {
            export_entry(entry); // a failing namespace is shown failed, never hidden
        }
    }
}

void NamespaceRegistry::retry_starts()
{
    for (auto& [name, entry] : entries_) {
        if (!entry->worker) {
            start_worker(*entry);
        }
    }
}

void NamespaceRegistry::remove(const std::string& name)
{
    auto it = entries_.find(name);
    if (it == entries_.end()) {
        return;
    }
    Entry& entry = *it->second;
    if (entry.worker) {
        reaper_.dispose(std::move(entry.worker)); // stopped and joined off the bus thread
    } else {
        --unstarted_;
    }
    if (entry.channel) {
        events_dropped_removed_ += entry.channel->dropped.load();
    }
    if (entry.draining_index != Entry::kNotDraining) {
        // Swap with the last; drain() never runs during apply().
        Entry* last = draining_.back();
        draining_[entry.draining_index] = last;
        last->draining_index = entry.draining_index;
        draining_.pop_back();
    }
    if (entry.object) {
        entry.object->withdraw();
        entry.object.reset();
        --exported_;
        manager_.publish_namespace_removed(name, entry.object_path);
    }
    for (auto& done : entry.on_export) {
        done(ControlError{ControlError::Kind::Failed,
                          "network namespace " + name + " went away before it was monitored"});
    }
    spdlog::info("stopped monitoring network namespace {}", name);
    if (auto by_inode = names_by_inode_.find(entry.status.identity.inode);
        by_inode != names_by_inode_.end() && by_inode->second == name) {
        names_by_inode_.erase(by_inode);
    }
    identities_.erase(name);
    entries_.erase(it);
}

void NamespaceRegistry::update_holders(const std::function<HolderInfo(std::uint64_t inode)>& holder_of)
{
    for (auto& [name, entry] : entries_) {
        auto& status = entry->status;
        HolderInfo holder = holder_of(status.identity.inode);
        std::string container =
            !holder.container.empty() ? holder.container : container_from_mount_point(status.identity.path);
        if (holder == status.holder && container == status.container) {
            continue;
        }
        status.holder = std::move(holder);
        status.container = std::move(container);
        if (entry->object) {
            entry->object->publish_holder_changed();
        }
    }
}

const NamespaceStatus* NamespaceRegistry::find_inode(std::uint64_t inode) const
{
    auto it = names_by_inode_.find(inode);
    return it == names_by_inode_.end() ? nullptr : find(it->second);
}

const NamespaceStatus* NamespaceRegistry::find(const std::string& name) const
{
    auto it = entries_.find(name);
    return it == entries_.end() ? nullptr : &it->second->status;
}

void NamespaceRegistry::when_exported(const std::string& name, WatchCompletion done)
{
    auto it = entries_.find(name);
    if (it == entries_.end()) {
        done(ControlError{ControlError::Kind::Failed, "network namespace " + name + " is not monitored"});
    } else if (it->second->object) {
        done(WatchResult{name, it->second->object_path});
    } else {
        it->second->on_export.push_back(std::move(done));
    }
}

bool NamespaceRegistry::drain()
{
    bool more = false;
    for (Entry* entry : draining_) {
        if (!entry->channel->ring.empty()) {
            more = drain_entry(*entry) || more;
        }
    }
    return more;
}

bool NamespaceRegistry::has_pending() const
{
    return std::any_of(draining_.begin(), draining_.end(),
                       [](const Entry* entry) { return !entry->channel->ring.empty(); });
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
    spdlog::trace("[{}] emitting {} events, seq {}..{}", entry.status.identity.name, batch.size(), batch.front().seq,
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
    // The worker stored the cookie before pushing; the pop made it visible.
    entry.status.cookie = entry.channel->cookie.load(std::memory_order_relaxed);
    if (!entry.object) {
        entry.mirror.reset(*snapshot.state); // the snapshot at seq 0
        set_state(entry, MonitorState::Monitoring, "");
        export_entry(entry);
        return;
    }
    // A first snapshot after an initial failure repairs like a restart.
    const ResyncReason reason = snapshot.reason == ResyncReason::Initial ? ResyncReason::Restart : snapshot.reason;
    for (auto& event : entry.mirror.resync_to(*snapshot.state, realtime_usec())) {
        batch.push_back(std::move(event));
        if (batch.size() >= options_.max_batch) {
            flush(entry, batch);
        }
    }
    flush(entry, batch);
    set_state(entry, MonitorState::Monitoring, "");
    ++resyncs_;
    spdlog::info("[{}] resynced ({}), seq {}", entry.status.identity.name, resync_reason_string(reason),
                 entry.mirror.seq());
    entry.object->publish_resynced(reason);
}

void NamespaceRegistry::on_status(Entry& entry, const WorkerStatus& status, std::vector<SequencedEvent>& batch)
{
    flush(entry, batch);
    if (status.healthy) {
        set_state(entry, MonitorState::Monitoring, "");
    } else {
        set_state(entry, MonitorState::Failed, status.error);
    }
    if (!entry.object) {
        export_entry(entry); // a failing namespace is shown failed, never hidden
    }
}

void NamespaceRegistry::set_state(Entry& entry, MonitorState state, std::string reason)
{
    if (entry.status.state == state && entry.status.state_reason == reason) {
        return;
    }
    entry.status.state = state;
    entry.status.state_reason = std::move(reason);
    if (entry.object) {
        entry.object->publish_state_changed();
    }
}

void NamespaceRegistry::export_entry(Entry& entry)
{
    entry.object = std::make_unique<NamespaceObject>(connection_, entry.object_path, entry.status, entry.mirror);
    ++exported_;
    entry.object->announce();
    manager_.publish_namespace_added(entry.status.identity.name, entry.object_path);
    for (auto& done : std::exchange(entry.on_export, {})) {
        done(WatchResult{entry.status.identity.name, entry.object_path});
    }
}

std::vector<NamespaceListing> NamespaceRegistry::list_namespaces() const
{
    std::vector<NamespaceListing> out;
    out.reserve(exported_);
    for (const auto& [name, entry] : entries_) {
        if (entry->object) {
            const auto& id = entry->status.identity;
            out.push_back({name, entry->object_path, id.source, id.inode});
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
    return it->second->object_path;
}

DaemonCounters NamespaceRegistry::counters() const
{
    DaemonCounters counters{events_published_, events_dropped_removed_, resyncs_};
    for (const auto& [name, entry] : entries_) {
        if (entry->channel) {
            counters.events_dropped += entry->channel->dropped.load(std::memory_order_relaxed);
        }
    }
    return counters;
}

} // namespace nswatch
