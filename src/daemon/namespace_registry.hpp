#pragma once
// The set of monitored namespaces and their workers.
//
// Threading: bus thread only. It starts, retries and stops workers, keeps
// identities, holders and Watch completions, and answers the Manager's
// read-only questions (ManagerBackend). What comes out of the rings is the
// EventPump's business (ring -> mirror -> Publisher, PumpObservers); the
// registry only says which rings to drain and when.
// Ownership: owns its Publisher (made by the factory it is given), the pump,
// and one Entry per namespace: the pump's PumpEntry (status, channel,
// mirror, sink) and the worker. Removing an entry hands its worker to the
// WorkerReaper, which stops and joins it off the bus thread (a worker
// mid-dump needs a moment): the socket closes within milliseconds of
// NamespaceRemoved, and the bus thread never waits.
#include "bus/manager_object.hpp" // ManagerBackend only: no sdbus-c++ object is made here
#include "daemon/event_pump.hpp"
#include "daemon/namespace_control.hpp"
#include "daemon/namespace_status.hpp"
#include "daemon/publisher.hpp"
#include "daemon/pump_observer.hpp"
#include "daemon/worker_reaper.hpp"
#include "events/event_hub.hpp"
#include "netlink/namespace_worker.hpp"
#include "netns/reconcile.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace nswatch {

struct RegistryOptions {
    WorkerOptions worker;
    std::size_t queue_capacity = 4096; // messages per worker ring
    std::size_t max_batch = 256;       // events per Events signal
    std::string inject_failure_in;     // test hook: NSWATCH_TEST_FAIL_NAMESPACE
};

// Makes the registry's publisher; it is given the registry as the Manager's
// backend (the D-Bus publisher owns the Manager object, which answers from it).
using PublisherFactory = std::function<std::unique_ptr<Publisher>(const ManagerBackend& backend)>;

class NamespaceRegistry final : public ManagerBackend {
public:
    NamespaceRegistry(EventHub& hub, RegistryOptions options, const PublisherFactory& make_publisher);
    NamespaceRegistry(const NamespaceRegistry&) = delete;
    NamespaceRegistry& operator=(const NamespaceRegistry&) = delete;
    ~NamespaceRegistry() override;

    // `observer` is told what the pump publishes and, at sample_and_notify(),
    // the levels. It outlives the registry. Add observers before events flow.
    void add_observer(PumpObserver& observer) { pump_.add_observer(observer); }

    // Monitored identities by name (including ones not yet exported).
    [[nodiscard]] const std::map<std::string, NamespaceIdentity>& identities() const noexcept { return identities_; }

    // Removals first (a name may be reused for a new inode), then additions,
    // then path updates (in place: same object, same seq).
    void apply(const ReconcilePlan& plan);

    // Sets who holds each namespace (from the process source); publishes
    // PropertiesChanged for the ones that changed.
    void update_holders(const std::function<HolderInfo(std::uint64_t inode)>& holder_of);

    // Pops the rings that have data (the hub's ready-list, and the ones the
    // last call left at their budget; a bounded amount per ring per call,
    // for fairness) and publishes. Returns whether messages are still
    // waiting. O(rings with data), not O(namespaces).
    bool drain();
    // Some ring has data (seq_cst: call it after hub.prepare_sleep()).
    [[nodiscard]] bool has_pending() const;

    // Namespaces whose worker has not reported yet (no object yet).
    [[nodiscard]] std::size_t unreported() const noexcept { return entries_.size() - pump_.exported(); }
    // Namespaces with an object on the bus (what ListNamespaces lists).
    [[nodiscard]] std::size_t exported() const noexcept { return pump_.exported(); }
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

    // The levels now (registry_sample.cpp): one walk over the namespaces and
    // the rings, so about a millisecond at 10,000; meant for a timer (each
    // second or so) or a scrape, not for every loop round.
    [[nodiscard]] RegistrySample sample() const;
    // Takes sample() and hands it to every observer's sampled().
    void sample_and_notify();

    // ManagerBackend
    [[nodiscard]] std::vector<NamespaceListing> list_namespaces() const override;
    [[nodiscard]] std::optional<std::string> namespace_path(const std::string& name) const override;
    [[nodiscard]] std::size_t namespace_count() const override { return pump_.exported(); }
    [[nodiscard]] DaemonCounters counters() const override;

private:
    struct Entry {
        PumpEntry ns;
        std::unique_ptr<NamespaceWorker> worker;   // destroyed (joined) first
        std::size_t draining_index = kNotDraining; // its place in draining_

        static constexpr std::size_t kNotDraining = static_cast<std::size_t>(-1);
    };

    void add(const NamespaceIdentity& identity);
    // `opened`: the namespace fd for the worker's first open, if any.
    void start_worker(Entry& entry, UniqueFd opened = {});
    void remove(const std::string& name);

    EventHub& hub_;
    RegistryOptions options_;
    WorkerReaper reaper_; // destroyed after entries_: joins the workers removed last
    std::unique_ptr<Publisher> publisher_;
    EventPump pump_;
    std::map<std::string, std::unique_ptr<Entry>> entries_;
    // The entries with a channel, contiguous: sample() and counters() walk
    // them (a std::map of 10,000 nodes costs more than the rings' loads).
    std::vector<Entry*> draining_;
    // drain()'s view of the ready-list: the entry of each live channel
    // (removed channels are absent, so a stale listing is skipped).
    std::unordered_map<const WorkerChannel*, Entry*> by_channel_;
    // Channels drain() stopped at their budget: owned again by the bus
    // thread (`ready` set), drained first next round.
    std::vector<WorkerChannel*> carried_;
    std::vector<WorkerChannel*> round_; // drain()'s work list, kept for its capacity
    // Removed channels that may still be linked in the hub's stack (or in
    // carried_): kept alive until the next drain() has taken the stack.
    std::vector<std::shared_ptr<WorkerChannel>> retired_;
    std::map<std::string, NamespaceIdentity> identities_;
    std::map<std::uint64_t, std::string> names_by_inode_;
    // What removed namespaces' channels counted: totals stay totals.
    std::uint64_t events_dropped_removed_ = 0;
    std::uint64_t overruns_removed_ = 0;
    std::size_t high_water_removed_ = 0;
    std::size_t unstarted_ = 0; // entries without a worker
};

} // namespace nswatch
