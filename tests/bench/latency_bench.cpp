// End-to-end latency at a D-Bus client, against the real daemon on a
// private bus (needs root):
//   - `ip netns add X`  → NamespaceAdded(X)
//   - `ip link set ...` → Events carrying the change
// For each it prints p50, p99 (nearest rank, as discovery-bench: with 200
// rounds p99 is the third-largest sample) and the maximum, measured two
// ways: from just before the command starts, and from the moment the command
// exited (negative: the signal had arrived before `ip` even returned). The
// issue's target for NamespaceAdded is p99 <= 1 ms from the command's exit.
// Run: sudo build/tests/latency-bench [ROUNDS]
#include "integration/harness.hpp"
#include "percentiles.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <string>
#include <vector>

using namespace nswatch::test;

namespace {

struct Sample {
    double from_start_ms;
    double from_exit_ms;
};

double ms(Clock::duration d)
{
    return std::chrono::duration<double, std::milli>(d).count();
}

using nswatch::bench::Stats;
using nswatch::bench::stats;

void report(const char* what, const std::vector<Sample>& samples)
{
    auto column = [&](auto pick) {
        std::vector<double> v;
        v.reserve(samples.size());
        for (const auto& s : samples) {
            v.push_back(pick(s));
        }
        return stats(v);
    };
    const auto start = column([](const Sample& s) { return s.from_start_ms; });
    const auto exit = column([](const Sample& s) { return s.from_exit_ms; });
    std::printf("%-31s n=%-4zu from command start: p50 %6.2f p99 %6.2f max %6.2f ms | from command exit: p50 %6.2f "
                "p99 %6.2f max %6.2f ms\n",
                what, samples.size(), start.p50, start.p99, start.max, exit.p50, exit.p99, exit.max);
}

template <typename Match>
Sample measure(DaemonProcess& daemon, SignalRecorder& recorder, const std::string& command, Match match)
{
    const auto start = Clock::now();
    daemon.sh(command);
    const auto exited = Clock::now();
    const auto signal = recorder.wait_for(match);
    return Sample{ms(signal.received - start), ms(signal.received - exited)};
}

} // namespace

int main(int argc, char** argv)
{
    const int rounds = argc > 1 ? std::stoi(argv[1]) : 30;
    PrivateBus bus;
    DaemonProcess daemon(bus, {"--log-level=warn"});
    SignalRecorder recorder(bus.address());
    try {
        std::vector<Sample> added;
        std::vector<Sample> changed;
        std::vector<std::string> names;
        for (int i = 0; i < rounds; ++i) {
            const auto ns = unique_name("lat");
            names.push_back(ns);
            added.push_back(measure(daemon, recorder, "ip netns add " + ns, [&](const ReceivedSignal& s) {
                return s.member == "NamespaceAdded" && s.name == ns;
            }));
            daemon.sh("ip -n " + ns + " link add la type veth peer name lb");
            recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "Events" && s.name == ns; });
            const std::uint32_t mtu = 1300 + static_cast<std::uint32_t>(i);
            changed.push_back(measure(daemon, recorder, "ip -n " + ns + " link set la mtu " + std::to_string(mtu),
                                      [&](const ReceivedSignal& s) {
                                          if (s.member != "Events" || s.name != ns) {
                                              return false;
                                          }
                                          return std::any_of(s.events.begin(), s.events.end(), [&](const auto& e) {
                                              return e.template get<4>().at("mtu").template get<std::uint32_t>() == mtu;
                                          });
                                      }));
        }
        report("ip netns add -> NamespaceAdded", added);
        report("ip link set mtu -> Events", changed);
        for (const auto& ns : names) {
            daemon.try_sh("ip netns del " + ns);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "latency-bench: %s\n", e.what());
        for (const auto& s : recorder.all()) {
            std::fprintf(stderr, "  %s %s %zu\n", s.member.c_str(), s.name.c_str(), s.events.size());
        }
        std::fprintf(stderr, "daemon log:\n%s\n", daemon.log().c_str());
        return 1;
    }
    return 0;
}
