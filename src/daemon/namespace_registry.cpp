#include "daemon/namespace_registry.hpp"

#include "bus/enum_strings.hpp"
#include "bus/object_path.hpp"
#include "netns/mount_naming.hpp"
#include "netns/nsfs.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstddef>
#include <system_error>
#include <utility>

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
            by_channel_.emplace(entry.ns.channel.get(), &entry);
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
        by_channel_.erase(channel.get());
        // Never listed again (its worker may push until the reaper stops
        // it). If it was listed, the hub's stack (or carried_) may still
        // point at it: keep it alive until drain() has taken the stack.
        if (channel->ready.exchange(true)) {
            retired_.push_back(channel);
        }
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
    // Released at the end: the take below unlinks whatever they were.
    const auto retired = std::exchange(retired_, {});
    round_.clear();
    round_.swap(carried_); // the ones left at their budget first: they waited longest
    const auto carried = round_.size();
    for (WorkerChannel* channel = hub_.take_ready(); channel != nullptr; channel = channel->ready_next) {
        round_.push_back(channel);
    }
    std::reverse(round_.begin() + static_cast<std::ptrdiff_t>(carried), round_.end()); // in listing order
    bool more = false;
    for (WorkerChannel* channel : round_) {
        const auto found = by_channel_.find(channel);
        if (found == by_channel_.end()) {
            continue; // removed since it was listed
        }
        // Cleared before the pops: a push from now on lists it again. A
        // producer that found it still listed pushed before this clear (all
        // seq_cst: the ring's tail store, EventHub::notify's exchange, this
        // store, empty()'s load), so its element is seen here: none is lost.
        channel->ready.store(false, std::memory_order_seq_cst);
        if (channel->ring.empty()) {
            continue; // listed again after a drain took what its push added
        }
        if (!pump_.drain(found->second->ns)) {
            continue;
        }
        more = true; // stopped at its budget
        if (!channel->ready.exchange(true, std::memory_order_seq_cst)) {
            carried_.push_back(channel); // not listed again meanwhile: ours for the next round
        }
    }
    return more;
}

bool NamespaceRegistry::has_pending() const
{
    return !carried_.empty() || hub_.has_ready();
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
