#include "daemon/namespace_registry.hpp"

#include "bus/enum_strings.hpp"
#include "bus/object_path.hpp"
#include "netns/mount_naming.hpp"
#include "netns/nsfs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>

namespace nswatch {

NamespaceRegistry::NamespaceRegistry(EventHub& hub, RegistryOptions options, const PublisherFactory& make_publisher)
    : hub_(hub), options_(std::move(options)), publisher_(make_publisher(*this)), pump_(*publisher_, options_.max_batch)
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
        entry.ns.status.identity = identity;
        identities_[identity.name] = identity;
        if (entry.ns.channel) {
            entry.ns.channel->set_open_path(identity.path);
        }
        pump_.holder_changed(entry.ns);
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
    entry->ns.status.identity = identity;
    entry->ns.object_path = namespace_object_path(identity.name);
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
    const auto& identity = entry.ns.status.identity;
    try {
        if (!entry.ns.channel) {
            entry.ns.channel = std::make_shared<WorkerChannel>(options_.queue_capacity, identity.path);
            entry.ns.channel->set_opened(std::move(opened));
            entry.draining_index = draining_.size();
            draining_.push_back(&entry);
        }
        WorkerOptions worker_options = options_.worker;
        worker_options.inject_failure_once = identity.name == options_.inject_failure_in;
        entry.worker = std::make_unique<NamespaceWorker>(identity, entry.ns.channel, hub_, worker_options);
        --unstarted_;
    } catch (const std::system_error& e) {
        // Out of threads or memory (a worker opens its fds itself and
        // reports failing to): shown failed, retried later.
        const std::string why = e.code().value() == EMFILE
                                    ? "the daemon's file descriptor limit (RLIMIT_NOFILE) is exhausted"
                                    : std::string("cannot start its worker: ") + e.what();
        spdlog::warn("[{}] {}; retrying", identity.name, why);
        pump_.start_failed(entry.ns, why); // shown failed, never hidden
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
    if (const auto& channel = entry.ns.channel) {
        events_dropped_removed_ += channel->dropped.load();
        overruns_removed_ += channel->overruns.load();
        high_water_removed_ = std::max(high_water_removed_, channel->queue_high_water.load());
    }
    if (entry.draining_index != Entry::kNotDraining) {
        // Swap with the last; drain() never runs during apply().
        Entry* last = draining_.back();
        draining_[entry.draining_index] = last;
        last->draining_index = entry.draining_index;
        draining_.pop_back();
    }
    pump_.remove(entry.ns); // NamespaceRemoved; waiting Watch calls fail
    spdlog::info("stopped monitoring network namespace {}", name);
    if (auto by_inode = names_by_inode_.find(entry.ns.status.identity.inode);
        by_inode != names_by_inode_.end() && by_inode->second == name) {
        names_by_inode_.erase(by_inode);
    }
    identities_.erase(name);
    entries_.erase(it);
}

void NamespaceRegistry::update_holders(const std::function<HolderInfo(std::uint64_t inode)>& holder_of)
{
    for (auto& [name, entry] : entries_) {
        auto& status = entry->ns.status;
        HolderInfo holder = holder_of(status.identity.inode);
        std::string container =
            !holder.container.empty() ? holder.container : container_from_mount_point(status.identity.path);
        if (holder == status.holder && container == status.container) {
            continue;
        }
        status.holder = std::move(holder);
        status.container = std::move(container);
        pump_.holder_changed(entry->ns);
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
    return it == entries_.end() ? nullptr : &it->second->ns.status;
}

void NamespaceRegistry::when_exported(const std::string& name, WatchCompletion done)
{
    auto it = entries_.find(name);
    if (it == entries_.end()) {
        done(ControlError{ControlError::Kind::Failed, "network namespace " + name + " is not monitored"});
    } else if (it->second->ns.sink) {
        done(WatchResult{name, it->second->ns.object_path});
    } else {
        it->second->ns.on_export.push_back(std::move(done));
    }
}

bool NamespaceRegistry::drain()
{
    bool more = false;
    for (Entry* entry : draining_) {
        if (!entry->ns.channel->ring.empty()) {
            more = pump_.drain(entry->ns) || more;
        }
    }
    return more;
}

bool NamespaceRegistry::has_pending() const
{
    return std::any_of(draining_.begin(), draining_.end(),
                       [](const Entry* entry) { return !entry->ns.channel->ring.empty(); });
}

std::vector<NamespaceListing> NamespaceRegistry::list_namespaces() const
{
    std::vector<NamespaceListing> out;
    out.reserve(pump_.exported());
    for (const auto& [name, entry] : entries_) {
        if (entry->ns.sink) {
            const auto& id = entry->ns.status.identity;
            out.push_back({name, entry->ns.object_path, id.source, id.inode});
        }
    }
    return out;
}

std::optional<std::string> NamespaceRegistry::namespace_path(const std::string& name) const
{
    auto it = entries_.find(name);
    if (it == entries_.end() || !it->second->ns.sink) {
        return std::nullopt;
    }
    return it->second->ns.object_path;
}

} // namespace nswatch
