// Queue benchmarks: what one event costs on its way from a worker to the
// bus thread. Run: build/tests/queue-bench
#include "events/event_hub.hpp"
#include "events/spsc_ring.hpp"
#include "events/worker_channel.hpp"
#include "netlink/worker_outbox.hpp"

#include <benchmark/benchmark.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace nswatch;

namespace {

ObjectEvent sample_event(int i)
{
    Link link;
    link.ifindex = i;
    link.name = "veth" + std::to_string(i % 1000);
    link.kind = "veth";
    link.mtu = 1500;
    link.address = "02:00:00:00:00:01";
    return ObjectEvent{Change::Changed, 1, link};
}

// The consumer as the bus thread runs it: drain, announce sleep, re-check,
// poll the hub's eventfd.
template <typename OnMessage>
void consume(WorkerChannel& channel, EventHub& hub, std::atomic<bool>& stop, OnMessage on_message)
{
    while (!stop.load(std::memory_order_relaxed)) {
        while (auto message = channel.ring.try_pop()) {
            on_message(*message);
        }
        channel.after_pop();
        hub.prepare_sleep();
        if (!channel.ring.empty()) {
            hub.woke();
            continue;
        }
        pollfd p{hub.fd(), POLLIN, 0};
        ::poll(&p, 1, 100); // the timeout only lets the benchmark end
        hub.woke();
    }
}

// Same thread: the raw cost of moving one event in and out of the ring.
void BM_RingPushPopSameThread(benchmark::State& state)
{
    SpscRing<WorkerMessage> ring(4096);
    WorkerMessage message(sample_event(1));
    for (auto _ : state) {
        WorkerMessage m = message;
        ring.try_push(m);
        benchmark::DoNotOptimize(ring.try_pop());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingPushPopSameThread);

// Two threads: a worker pushing through WorkerOutbox as fast as it can,
// the bus-thread loop consuming. Items/s is the sustained throughput.
void BM_OutboxThroughput(benchmark::State& state)
{
    EventHub hub;
    WorkerChannel channel(static_cast<std::size_t>(state.range(0)), "");
    WorkerOutbox outbox(channel, hub);
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> consumed{0};
    std::thread consumer([&] {
        consume(channel, hub, stop, [&](WorkerMessage&) { consumed.fetch_add(1, std::memory_order_relaxed); });
    });
    std::uint64_t pushed = 0;
    const ObjectEvent event = sample_event(1);
    for (auto _ : state) {
        // Push only when there is room, as the kernel would be read anyway.
        while (pushed - consumed.load(std::memory_order_acquire) >= channel.ring.capacity()) {
        }
        outbox.event(event);
        ++pushed;
    }
    while (consumed.load() < pushed - channel.dropped.load()) {
    }
    stop = true;
    hub.notify();
    consumer.join();
    state.SetItemsProcessed(state.iterations());
    state.counters["dropped"] = static_cast<double>(channel.dropped.load());
}
BENCHMARK(BM_OutboxThroughput)->Arg(4096)->Arg(256)->UseRealTime();

// Handoff latency when the bus thread is asleep in poll(): push + eventfd
// wake-up + pop, measured from before the push to after the pop.
void BM_HandoffLatencySleepingConsumer(benchmark::State& state)
{
    EventHub hub;
    WorkerChannel channel(4096, "");
    WorkerOutbox outbox(channel, hub);
    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> popped_at{0};
    std::thread consumer([&] {
        consume(channel, hub, stop, [&](WorkerMessage&) {
            popped_at.store(std::chrono::steady_clock::now().time_since_epoch().count(), std::memory_order_release);
        });
    });
    const ObjectEvent event = sample_event(1);
    for (auto _ : state) {
        popped_at.store(0);
        // Let the consumer fall asleep first: the case of an idle daemon.
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        const auto start = std::chrono::steady_clock::now();
        outbox.event(event);
        std::int64_t end = 0;
        while ((end = popped_at.load(std::memory_order_acquire)) == 0) {
        }
        const auto ns = end - start.time_since_epoch().count();
        state.SetIterationTime(static_cast<double>(ns) / 1e9);
    }
    stop = true;
    hub.notify();
    consumer.join();
}
BENCHMARK(BM_HandoffLatencySleepingConsumer)->UseManualTime()->Iterations(2000);

} // namespace

BENCHMARK_MAIN();
