// GetState of a namespace larger than one slice (SnapshotReplies writes 512
// objects per bus-loop round) is the namespace at one seq, also while the
// namespace changes between slices.
#include "fixture.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <map>
#include <thread>

using namespace nswatch;
using namespace nswatch::test;

TEST_CASE("GetState of 1,500 filters taken while a link changes is the state at its seq", "[integration][tc]")
{
    constexpr int kFilters = 1500;
    constexpr std::uint32_t kFirstMtu = 1300;
    constexpr int kChanges = 40;
    DaemonFixture f;
    const auto [ns, path] = f.add_namespace("nss");
    f.daemon.sh("ip -n " + ns + " link add sa type veth peer name sb && tc -n " + ns +
                " qdisc add dev sa root handle 1: htb && tc -n " + ns +
                " class add dev sa parent 1: classid 1:1 htb rate 1mbit");
    TempDirectory dir;
    const auto batch = dir.path() + "/filters.batch";
    {
        std::ofstream out(batch);
        for (int i = 0; i < kFilters; ++i) {
            out << "filter add dev sa parent 1: prio " << i % 50 + 1 << " protocol ip u32 match ip dst 10." << i / 250
                << "." << i % 250 << ".1/32 flowid 1:1\n";
        }
    }
    f.daemon.sh("tc -n " + ns + " -batch " + shell_quote(batch));
    const auto filters_of = [](const std::vector<DbusObject>& objects) {
        return std::count_if(objects.begin(), objects.end(),
                             [](const DbusObject& o) { return o.get<0>() == "filter"; });
    };
    const auto expected = std::stol(f.daemon.sh("tc -n " + ns + " filter show dev sa | grep -c '^filter'"));
    REQUIRE(expected > kFilters); // and the per-priority entries
    for (const auto deadline = Clock::now() + 60s; filters_of(f.caller.get_state(path).second) != expected;) {
        REQUIRE(Clock::now() < deadline);
        std::this_thread::sleep_for(100ms);
    }

    // A link made after the filters has a higher ifindex: GetState lists it
    // after them, in its last slice. Its mtu in each snapshot taken while it
    // changes, by the snapshot's seq.
    f.daemon.sh("ip -n " + ns + " link add ya type veth peer name yb");
    f.wait_event(ns, "link-added", "ya");
    // (Catch2 assertions only on this thread.)
    std::vector<std::pair<std::uint64_t, std::uint32_t>> snapshots;
    std::vector<long> filter_counts;
    std::atomic<bool> done = false;
    std::jthread reader([&, &path = path] {
        Caller caller(f.bus.address());
        while (!done || snapshots.size() < 2) { // at least 2, however slow the machine
            const auto [seq, objects] = caller.get_state(path);
            filter_counts.push_back(filters_of(objects));
            for (const auto& o : objects) {
                if (o.get<0>() == "link" && o.get<2>().at("name").get<std::string>() == "ya") {
                    snapshots.emplace_back(seq, o.get<2>().at("mtu").get<std::uint32_t>());
                }
            }
        }
    });
    for (int i = 0; i < kChanges; ++i) {
        f.daemon.sh("ip -n " + ns + " link set ya mtu " + std::to_string(kFirstMtu + static_cast<std::uint32_t>(i)));
    }
    const auto last_mtu = kFirstMtu + kChanges - 1;
    f.wait_event(ns, "link-changed", "ya",
                 [&](const Attributes& a) { return a.at("mtu").get<std::uint32_t>() == last_mtu; });
    done = true;
    reader.join();

    // The mtu after each event of ya, by seq.
    std::map<std::uint64_t, std::uint32_t> mtu_at;
    std::uint32_t initial = 0;
    for (const auto& e : f.recorder.events_of(ns)) {
        const auto& attrs = e.get<4>();
        if (e.get<2>() == "link-added" && attrs.at("name").get<std::string>() == "ya") {
            initial = attrs.at("mtu").get<std::uint32_t>();
        }
        if (e.get<2>() == "link-changed" && attrs.at("name").get<std::string>() == "ya") {
            mtu_at[e.get<0>()] = attrs.at("mtu").get<std::uint32_t>();
        }
    }
    REQUIRE(snapshots.size() >= 2);
    CHECK(std::count(filter_counts.begin(), filter_counts.end(), expected) ==
          static_cast<std::ptrdiff_t>(filter_counts.size()));
    for (const auto& [seq, mtu] : snapshots) {
        const auto after = mtu_at.upper_bound(seq);
        const auto want = after == mtu_at.begin() ? initial : std::prev(after)->second;
        INFO("snapshot at seq " << seq);
        CHECK(mtu == want);
    }
}
