#pragma once
// A recording Publisher and PumpObserver for the EventPump's unit tests
// (pump_test.cpp). Both append to one Journal, so a test sees what a D-Bus
// client would have seen, in order, and what metrics and health were told.
#include "daemon/publisher.hpp"
#include "daemon/pump_observer.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace nswatch::test {

struct Journal {
    // Every call, in order: "pub:events", "obs:events", "pub:resynced", ...
    std::vector<std::string> calls;

    // What the publisher sent (a D-Bus client's view).
    std::vector<std::vector<std::uint64_t>> signals;                 // seqs of each Events signal
    std::vector<std::pair<ResyncReason, std::uint64_t>> resynced;    // reason, Seq at that moment
    std::vector<std::pair<MonitorState, std::string>> state_signals; // State, StateReason at PropertiesChanged
    std::vector<MonitorState> exported_in_state;                     // the State an object was made with
    std::vector<std::string> exported;
    std::vector<std::string> removed;
    int holder_signals = 0;

    // What the observers were told.
    std::vector<std::vector<std::uint64_t>> observed_signals;
    std::vector<std::uint64_t> observed_now;
    std::vector<ResyncReason> observed_resyncs;
    std::vector<std::pair<MonitorState, MonitorState>> observed_states; // before, after
    std::vector<std::string> observed_failures;                         // state_reason
    std::vector<std::string> observed_exported;
    std::vector<std::string> observed_removed;
};

inline std::vector<std::uint64_t> seqs_of(std::span<const SequencedEvent> events)
{
    std::vector<std::uint64_t> out;
    for (const auto& event : events) {
        out.push_back(event.seq);
    }
    return out;
}

class FakeSink final : public NamespaceSink {
public:
    FakeSink(Journal& journal, const NamespaceStatus& status, const NamespaceMirror& mirror)
        : journal_(journal), status_(status), mirror_(mirror)
    {
    }
    void publish_events(std::span<const SequencedEvent> events) override
    {
        journal_.calls.emplace_back("pub:events");
        journal_.signals.push_back(seqs_of(events));
    }
    void publish_resynced(ResyncReason reason) override
    {
        journal_.calls.emplace_back("pub:resynced");
        journal_.resynced.emplace_back(reason, mirror_.seq());
    }
    void publish_state_changed() override
    {
        journal_.calls.emplace_back("pub:state");
        journal_.state_signals.emplace_back(status_.state, status_.state_reason);
    }
    void publish_holder_changed() override
    {
        journal_.calls.emplace_back("pub:holder");
        ++journal_.holder_signals;
    }
    void withdraw() override { journal_.calls.emplace_back("pub:withdraw"); }

private:
    Journal& journal_;
    const NamespaceStatus& status_;
    const NamespaceMirror& mirror_;
};

class FakePublisher final : public Publisher {
public:
    explicit FakePublisher(Journal& journal) : journal_(journal) {}
    std::unique_ptr<NamespaceSink> export_namespace(const std::string& /*object_path*/, const NamespaceStatus& status,
                                                    const NamespaceMirror& mirror) override
    {
        journal_.calls.emplace_back("pub:added");
        journal_.exported.push_back(status.identity.name);
        journal_.exported_in_state.push_back(status.state);
        return std::make_unique<FakeSink>(journal_, status, mirror);
    }
    void namespace_removed(const std::string& name, const std::string& /*object_path*/) override
    {
        journal_.calls.emplace_back("pub:removed");
        journal_.removed.push_back(name);
    }

private:
    Journal& journal_;
};

class FakeObserver final : public PumpObserver {
public:
    explicit FakeObserver(Journal& journal) : journal_(journal) {}
    void namespace_exported(const NamespaceStatus& ns, std::chrono::steady_clock::duration /*since_seen*/) override
    {
        journal_.calls.emplace_back("obs:exported");
        journal_.observed_exported.push_back(ns.identity.name);
    }
    void namespace_removed(const NamespaceStatus& ns) override
    {
        journal_.calls.emplace_back("obs:removed");
        journal_.observed_removed.push_back(ns.identity.name);
    }
    void events_emitted(const NamespaceStatus& /*ns*/, std::span<const SequencedEvent> events,
                        std::uint64_t now_usec) override
    {
        journal_.calls.emplace_back("obs:events");
        journal_.observed_signals.push_back(seqs_of(events));
        journal_.observed_now.push_back(now_usec);
    }
    void resynced(const NamespaceStatus& /*ns*/, ResyncReason reason) override
    {
        journal_.calls.emplace_back("obs:resynced");
        journal_.observed_resyncs.push_back(reason);
    }
    void state_changed(const NamespaceStatus& ns, MonitorState before) override
    {
        journal_.calls.emplace_back("obs:state");
        journal_.observed_states.emplace_back(before, ns.state);
    }
    void worker_failed(const NamespaceStatus& ns) override
    {
        journal_.calls.emplace_back("obs:failed");
        journal_.observed_failures.push_back(ns.state_reason);
    }
    void sampled(const RegistrySample& sample) override { samples.push_back(sample); }

    std::vector<RegistrySample> samples;

private:
    Journal& journal_;
};

} // namespace nswatch::test
