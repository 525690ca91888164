#pragma once
// The set of monitored namespaces, and the bus-side half of each.
//
// Threading: bus thread only. It starts and stops workers, drains their
// rings, keeps each namespace's mirror and status and publishes on D-Bus.
// Ownership: owns one Entry per namespace: status, channel, worker, mirror
// and (once the worker reported) the D-Bus object. Removing an entry hands
// its worker to the WorkerReaper, which stops and joins it off the bus
// thread (a worker mid-dump needs a moment): the socket closes within
// milliseconds of NamespaceRemoved, and the bus thread never waits.
#include "bus/manager_object.hpp"
#include "bus/namespace_object.hpp"
#include "daemon/namespace_control.hpp"
#include "daemon/namespace_status.hpp"
#include "daemon/worker_reaper.hpp"
#include "events/event_hub.hpp"
#include "events/namespace_mirror.hpp"
#include "events/worker_channel.hpp"
#include "netlink/namespace_worker.hpp"
#include "netns/reconcile.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace sdbus {
class IConnection;
}

namespace nswatch {

struct RegistryOptions {
    WorkerOptions worker;
    std::size_t queue_capacity = 4096; // messages per worker ring
    std::size_t max_batch = 256;       // events per Events signal
    std::string inject_failure_in;     // test hook: NSWATCH_TEST_FAIL_NAMESPACE
};

class NamespaceRegistry final : public ManagerBackend {
public:
    NamespaceRegistry(sdbus::IConnection& connection, EventHub& hub, NamespaceControl& control,
                      RegistryOptions options);
    NamespaceRegistry(const NamespaceRegistry&) = delete;
    NamespaceRegistry& operator=(const NamespaceRegistry&) = delete;
    ~NamespaceRegistry() override;

    // Monitored identities by name (including ones not yet exported).
    [[nodiscard]] const std::map<std::string, NamespaceIdentity>& identities() const noexcept { return identities_; }

    // Removals first (a name may be reused for a new inode), then additions,
    // then path updates (in place: same object, same seq).
    void apply(const ReconcilePlan& plan);

    // Sets who holds each namespace (from the process source); publishes
    // PropertiesChanged for the ones that changed.
    void update_holders(const std::function<HolderInfo(std::uint64_t inode)>& holder_of);

    // Pops every worker's ring (a bounded amount per worker per call, for
    // fairness) and publishes. Returns whether messages are still waiting.
    bool drain();
    [[nodiscard]] bool has_pending() const;

    // Namespaces whose worker has not reported yet (no object yet).
    [[nodiscard]] std::size_t unreported() const noexcept { return entries_.size() - exported_; }
    // Namespaces with an object on the bus (what ListNamespaces lists).
    [[nodiscard]] std::size_t exported() const noexcept { return exported_; }
    // Namespaces whose worker could not even be started (e.g. no fd left for
    // its bell); retry_starts() tries again.
    [[nodiscard]] bool has_unstarted() const noexcept { return unstarted_ > 0; }
    void retry_starts();

    // The monitored namespace with this inode, if any.
    [[nodiscard]] const NamespaceStatus* find_inode(std::uint64_t inode) const;
    [[nodiscard]] const NamespaceStatus* find(const std::string& name) const;
    // Calls `done` once `name` has its object (at once if it has); with an
    // error if the namespace goes before that.
    void when_exported(const std::string& name, WatchCompletion done);

    // ManagerBackend
    [[nodiscard]] std::vector<NamespaceListing> list_namespaces() const override;
    [[nodiscard]] std::optional<std::string> namespace_path(const std::string& name) const override;
    [[nodiscard]] std::size_t namespace_count() const override { return exported_; }
    [[nodiscard]] DaemonCounters counters() const override;

private:
    struct Entry;

    void add(const NamespaceIdentity& identity);
    // `opened`: the namespace fd for the worker's first open, if any.
    void start_worker(Entry& entry, UniqueFd opened = {});
    void remove(const std::string& name);
    bool drain_entry(Entry& entry);
    void on_snapshot(Entry& entry, const StateSnapshot& snapshot, std::vector<SequencedEvent>& batch);
    void on_status(Entry& entry, const WorkerStatus& status, std::vector<SequencedEvent>& batch);
    void flush(Entry& entry, std::vector<SequencedEvent>& batch);
    void export_entry(Entry& entry);
    void set_state(Entry& entry, MonitorState state, std::string reason);

    sdbus::IConnection& connection_;
    EventHub& hub_;
    RegistryOptions options_;
    WorkerReaper reaper_; // destroyed after entries_: joins the workers removed last
    ManagerObject manager_;
    std::map<std::string, std::unique_ptr<Entry>> entries_;
    // The entries with a channel, contiguous: drain() and has_pending() run
    // on every loop round and look at every ring; walking a std::map of
    // 10,000 nodes for that cost more than the rings' own loads.
    std::vector<Entry*> draining_;
    std::map<std::string, NamespaceIdentity> identities_;
    std::map<std::uint64_t, std::string> names_by_inode_;
    std::uint64_t events_published_ = 0;
    std::uint64_t events_dropped_removed_ = 0; // dropped by workers since stopped
    std::uint64_t resyncs_ = 0;
    std::size_t exported_ = 0;  // entries with an object: kept, not counted per loop iteration
    std::size_t unstarted_ = 0; // entries without a worker
};

} // namespace nswatch
