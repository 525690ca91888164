#pragma once
// A D-Bus client's view of a namespace's links, and the bursts and kernel
// listings the fault and hostile-client tests compare it with.
#include "harness.hpp"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace nswatch::test {

// An `ip -batch` file of `pairs` veth pairs, one end of each up (the kernel
// gives it a default qdisc): the stress test's burst.
inline std::string write_burst(const TempDirectory& dir, int pairs, const std::string& prefix)
{
    auto path = dir.path() + "/burst-" + prefix;
    std::ofstream batch(path);
    for (int i = 0; i < pairs; ++i) {
        batch << "link add " << prefix << i << "a type veth peer name " << prefix << i << "b\n";
        batch << "link set " << prefix << i << "a up\n";
    }
    return path;
}

// A client's links ("name mtu") after GetState plus the Events after it, by seq.
struct LinkView {
    std::uint64_t seq = 0;
    std::map<std::int32_t, std::string> rows;
    bool gapless = true;
    std::size_t applied = 0;

    static std::string row(const Attributes& a)
    {
        return a.at("name").get<std::string>() + " " + std::to_string(a.at("mtu").get<std::uint32_t>());
    }
    void snapshot(const std::pair<std::uint64_t, std::vector<DbusObject>>& state)
    {
        seq = state.first;
        for (const auto& o : state.second) {
            if (o.get<0>() == "link") {
                rows[o.get<1>()] = row(o.get<2>());
            }
        }
    }
    // `events`: every Events entry of the namespace so far, in order.
    void apply(const std::vector<DbusEvent>& events)
    {
        for (; applied < events.size(); ++applied) {
            const auto& e = events[applied];
            if (e.get<0>() <= seq) {
                continue; // in the snapshot already
            }
            gapless = gapless && e.get<0>() == seq + 1;
            seq = e.get<0>();
            if (e.get<2>() == "link-removed") {
                rows.erase(e.get<3>());
            } else if (e.get<2>().starts_with("link-")) {
                rows[e.get<3>()] = row(e.get<4>());
            }
        }
    }
    [[nodiscard]] std::set<std::string> set() const
    {
        std::set<std::string> out;
        for (const auto& [index, text] : rows) {
            out.insert(text);
        }
        return out;
    }
};

inline std::set<std::string> kernel_links(const DaemonProcess& daemon, const std::string& ns)
{
    std::set<std::string> out;
    std::istringstream in(daemon.sh("ip -n " + ns + " -j link show | jq -r '.[] | \"\\(.ifname) \\(.mtu)\"'"));
    for (std::string line; std::getline(in, line);) {
        out.insert(line);
    }
    return out;
}

} // namespace nswatch::test
