// A burst far beyond a deliberately tiny receive buffer and queue: the
// client's view (GetState, then Events applied by seq) must still end equal
// to the kernel's, repaired by resyncs. Prints what it took.
// Size: NSWATCH_STRESS_PAIRS veth pairs (default 2000).
#include "fixture.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

using namespace nswatch;
using namespace nswatch::test;

namespace {

using Key =
    std::tuple<std::string, std::int32_t, std::uint32_t, std::uint32_t, std::uint32_t, std::uint16_t, std::uint32_t>;

Key key_of(const std::string& type, std::int32_t ifindex, const Attributes& a)
{
    auto u32 = [&](const char* k) { return a.count(k) != 0 ? a.at(k).get<std::uint32_t>() : 0U; };
    const std::uint16_t protocol = a.count("protocol") != 0 ? a.at("protocol").get<std::uint16_t>() : 0;
    if (type == "link") {
        return {type, ifindex, 0, 0, 0, 0, 0};
    }
    return {type, ifindex, u32("handle"), u32("parent"), u32("priority"), protocol, u32("chain")};
}

// The client: a snapshot, then every event with a greater seq, in order.
struct ClientView {
    std::uint64_t seq = 0;
    std::map<Key, Attributes> objects;
    bool gapless = true;

    void apply(const DbusEvent& e)
    {
        if (e.get<0>() <= seq) {
            return; // already in the snapshot
        }
        gapless = gapless && e.get<0>() == seq + 1;
        seq = e.get<0>();
        const auto& type = e.get<2>();
        const auto object_type = type.substr(0, type.find('-'));
        const auto key = key_of(object_type, e.get<3>(), e.get<4>());
        if (type.ends_with("-removed")) {
            objects.erase(key);
        } else {
            objects[key] = e.get<4>();
        }
    }

    [[nodiscard]] std::set<std::string> link_rows() const
    {
        std::set<std::string> rows;
        for (const auto& [key, a] : objects) {
            if (std::get<0>(key) == "link") {
                rows.insert(std::to_string(std::get<1>(key)) + " " + a.at("name").get<std::string>() + " " +
                            (a.at("up").get<bool>() ? "up" : "down"));
            }
        }
        return rows;
    }
    [[nodiscard]] std::set<std::string> qdisc_rows() const
    {
        std::map<std::int32_t, std::string> names;
        for (const auto& [key, a] : objects) {
            if (std::get<0>(key) == "link") {
                names[std::get<1>(key)] = a.at("name").get<std::string>();
            }
        }
        std::set<std::string> rows;
        for (const auto& [key, a] : objects) {
            if (std::get<0>(key) == "qdisc") {
                rows.insert(names[std::get<1>(key)] + " " + a.at("kind").get<std::string>() + " " +
                            format_tc_handle(a.at("handle").get<std::uint32_t>()) + " " +
                            format_tc_handle(a.at("parent").get<std::uint32_t>()));
            }
        }
        return rows;
    }
};

std::set<std::string> rows(const std::string& text)
{
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.insert(line);
    }
    return out;
}

} // namespace

namespace {

// Runs the burst against a daemon started with `args`; returns the reasons
// of the Resynced signals seen, after checking the client converged.
std::multiset<std::string> burst(const std::vector<std::string>& args, const char* label)
{
    const char* env = std::getenv("NSWATCH_STRESS_PAIRS");
    const int pairs = env != nullptr ? std::stoi(env) : 2000;
    DaemonFixture f(args);
    const auto [ns, path] = f.add_namespace("nsz");

    ClientView client;
    auto [seq, objects] = f.caller.get_state(path); // the client starts listening, then takes a snapshot
    client.seq = seq;
    for (const auto& o : objects) {
        client.objects[key_of(o.get<0>(), o.get<1>(), o.get<2>())] = o.get<2>();
    }

    TempDirectory dir;
    {
        std::ofstream links(dir.path() + "/links");
        std::ofstream qdiscs(dir.path() + "/qdiscs");
        for (int i = 0; i < pairs; ++i) {
            links << "link add s" << i << "a type veth peer name s" << i << "b\n";
            links << "link set s" << i << "a up\n"; // each gets a default qdisc, never notified
            if (i % 10 == 0) {
                qdiscs << "qdisc add dev s" << i << "b root handle 1: pfifo limit " << 100 + i << "\n";
            }
        }
    }
    const auto started = Clock::now();
    f.daemon.sh("ip -n " + ns + " -batch " + dir.path() + "/links && tc -n " + ns + " -batch " + dir.path() +
                "/qdiscs");
    const auto burst_done = Clock::now();

    // &ns = ns: clang 14 (clang-tidy) cannot capture a structured binding.
    const auto ip_links = [&, &ns = ns] {
        return rows(f.daemon.sh("ip -n " + ns +
                                " -j link show | jq -r '.[] | \"\\(.ifindex) \\(.ifname) \\(if "
                                "(.flags | index(\"UP\")) then \"up\" else \"down\" end)\"'"));
    };
    const auto tc_qdiscs = [&, &ns = ns] {
        return rows(f.daemon.sh("tc -n " + ns +
                                " -j qdisc show | jq -r '.[] | \"\\(.dev) \\(.kind) \\(.handle) "
                                "\\(if .root then \"root\" else .parent end)\"'"));
    };
    const auto kernel_links = ip_links();
    const auto kernel_qdiscs = tc_qdiscs();
    REQUIRE(kernel_links.size() == static_cast<std::size_t>(2 * pairs + 1));

    std::size_t applied = 0;
    for (;;) {
        const auto seen = f.recorder.count();
        const auto events = f.recorder.events_of(ns);
        for (; applied < events.size(); ++applied) {
            client.apply(events[applied]);
        }
        if (client.link_rows() == kernel_links && client.qdisc_rows() == kernel_qdiscs) {
            break;
        }
        if (!f.recorder.wait_for_more(seen, 60s)) {
            FAIL("no convergence: client has " << client.link_rows().size() << " links, " << client.qdisc_rows().size()
                                               << " qdiscs; kernel " << kernel_links.size() << ", "
                                               << kernel_qdiscs.size());
        }
    }
    const auto converged = Clock::now();

    CHECK(client.gapless);
    std::multiset<std::string> reasons;
    for (const auto& s : f.recorder.all()) {
        if (s.member == "Resynced" && s.name == ns) {
            reasons.insert(s.reason);
        }
    }
    const auto resyncs = reasons.size();
    const auto dropped = f.caller.manager_property("EventsDropped").get<std::uint64_t>();
    const auto total_resyncs = f.caller.manager_property("Resyncs").get<std::uint64_t>();
    CHECK(total_resyncs >= resyncs);
    // Nothing changed after the burst, so the kernel's view then is final.
    CHECK(ip_links() == kernel_links);

    auto ms = [](Clock::duration d) { return std::chrono::duration_cast<std::chrono::milliseconds>(d).count(); };
    std::printf("stress (%s): %d veth pairs (%zu links, %zu qdiscs): burst took %lld ms; "
                "client converged %lld ms after the burst ended; %zu events, %zu Resynced signals "
                "(%zu overrun, %zu queue-full), EventsDropped %llu, Resyncs %llu\n",
                label, pairs, kernel_links.size(), kernel_qdiscs.size(),
                static_cast<long long>(ms(burst_done - started)), static_cast<long long>(ms(converged - burst_done)),
                applied, resyncs, reasons.count("overrun"), reasons.count("queue-full"),
                static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(total_resyncs));
    return reasons;
}

} // namespace

TEST_CASE("a burst overrunning a tiny receive buffer is repaired: GetState plus Events equals the kernel",
          "[integration][stress]")
{
    const auto reasons = burst({"--rcvbuf=4096", "--queue-size=8", "--log-level=info"}, "rcvbuf 4096, queue 8");
    CHECK(reasons.count("overrun") >= 1);
}

TEST_CASE("a burst overflowing a one-slot queue is repaired: GetState plus Events equals the kernel",
          "[integration][stress]")
{
    const auto reasons = burst({"--queue-size=1", "--log-level=info"}, "rcvbuf 8 MiB, queue 1");
    CHECK(reasons.count("queue-full") >= 1);
}
