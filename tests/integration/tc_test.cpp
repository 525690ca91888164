// Traffic control in a namespace: qdisc, class and filter events, changes of
// parameters, removal with the link, and GetState against tc's own view.
#include "ctl/format.hpp"
#include "fixture.hpp"

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace nswatch;
using namespace nswatch::test;

namespace {

std::string handle_text(std::uint32_t h)
{
    return format_tc_handle(h);
}

// tc's notation for filter handles ("800::800") and protocols ("ip").
std::string u32_handle_text(std::uint32_t h)
{
    return h == 0 ? "-" : ctl::filter_handle_text("u32", h);
}

struct TcView {
    std::set<std::string> qdiscs;
    std::set<std::string> classes;
    std::set<std::string> filters;
    bool operator==(const TcView&) const = default;
};

std::set<std::string> lines(const std::string& text)
{
    std::set<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            out.insert(line);
        }
    }
    return out;
}

} // namespace

namespace Catch {
template <>
struct StringMaker<TcView> {
    static std::string convert(const TcView& v)
    {
        std::string out = "\n";
        for (const auto* set : {&v.qdiscs, &v.classes, &v.filters}) {
            for (const auto& row : *set) {
                out += "  " + row + "\n";
            }
            out += "  --\n";
        }
        return out;
    }
};
} // namespace Catch

namespace {

// What tc says, as "dev kind handle parent [rate burst]" rows.
TcView tc_view(const DaemonProcess& daemon, const std::string& ns, const std::set<std::string>& devs)
{
    TcView view;
    view.qdiscs =
        lines(daemon.sh("tc -n " + ns +
                        " -j qdisc show | jq -r '.[] | \"\\(.dev) \\(.kind) \\(.handle) \\(if .root then \"root\" else "
                        ".parent end) \\(.options.rate // \"-\") \\(.options.burst // \"-\")\"'"));
    for (const auto& dev : devs) {
        // tc 6.1 prints classes as text even with -j.
        std::istringstream in(daemon.sh("tc -n " + ns + " class show dev " + dev));
        static const std::regex row(R"(^class (\S+) (\S+) (root|parent (\S+)))");
        std::vector<std::string> parents = {"", "ingress", "egress"}; // "": the root qdisc
        for (std::string line; std::getline(in, line);) {
            std::smatch m;
            if (std::regex_search(line, m, row)) {
                view.classes.insert(dev + " " + m[1].str() + " " + m[2].str() + " " +
                                    (m[3] == "root" ? std::string("root") : m[4].str()));
                parents.push_back(m[2].str()); // filters can hang from classes too
            }
        }
        for (const auto& q : view.qdiscs) { // and from qdiscs below the root
            std::istringstream fields(q);
            std::string qdev, kind, handle, parent;
            fields >> qdev >> kind >> handle >> parent;
            if (qdev == dev && parent != "root" && kind != "clsact" && kind != "ingress") {
                parents.push_back(handle);
            }
        }
        for (const auto& parent : parents) {
            // Without a parent tc names it in its JSON; with one it does not.
            const bool hook = parent == "ingress" || parent == "egress";
            const std::string selector = parent.empty() || hook ? parent : "parent " + parent;
            view.filters.merge(
                lines(daemon.sh("tc -n " + ns + " -j filter show dev " + dev + " " + selector + " | jq -r '.[] | \"" +
                                dev + " \\(.parent // \"" + parent +
                                "\") \\(.chain) \\(.pref) \\(.protocol) \\(.kind) \\(.options.fh // \"-\")\"'")));
        }
    }
    return view;
}

// What GetState says, in the same rows.
TcView state_view(Caller& caller, const std::string& path, std::set<std::string>* devs = nullptr)
{
    const auto [seq, objects] = caller.get_state(path);
    std::map<std::int32_t, std::string> names;
    for (const auto& o : objects) {
        if (o.get<0>() == "link") {
            names[o.get<1>()] = o.get<2>().at("name").get<std::string>();
        }
    }
    TcView view;
    for (const auto& o : objects) {
        const auto& a = o.get<2>();
        const std::string dev = names[o.get<1>()];
        auto u32 = [&](const char* key) { return a.at(key).get<std::uint32_t>(); };
        auto opt = [&](const char* key) -> std::string {
            if (a.count(key) == 0) {
                return "-";
            }
            return a.at(key).peekValueType() == "t" ? std::to_string(a.at(key).get<std::uint64_t>())
                                                    : std::to_string(a.at(key).get<std::uint32_t>());
        };
        const std::string kind = a.count("kind") != 0 ? a.at("kind").get<std::string>() : "";
        if (o.get<0>() == "qdisc") {
            const bool tbf = kind == "tbf"; // tc -j shows rate and burst for tbf
            view.qdiscs.insert(dev + " " + kind + " " + handle_text(u32("handle")) + " " + handle_text(u32("parent")) +
                               " " + (tbf ? opt("rate") : "-") + " " + (tbf ? opt("burst") : "-"));
        } else if (o.get<0>() == "class") {
            view.classes.insert(dev + " " + kind + " " + handle_text(u32("handle")) + " " + handle_text(u32("parent")));
        } else if (o.get<0>() == "filter") {
            const auto parent = u32("parent");
            const std::string parent_text = parent == kTcIngressParent  ? "ingress"
                                            : parent == kTcEgressParent ? "egress"
                                                                        : handle_text(parent);
            view.filters.insert(dev + " " + parent_text + " " + std::to_string(u32("chain")) + " " +
                                std::to_string(u32("priority")) + " " +
                                ctl::protocol_name(a.at("protocol").get<std::uint16_t>()) + " " + kind + " " +
                                u32_handle_text(u32("handle")));
        }
        if (devs != nullptr && o.get<0>() == "link") {
            devs->insert(dev);
        }
    }
    return view;
}

// The last event of `type` in namespace `ns` satisfying `match`.
// Waits for an event of `type` matching `match`, with a seq after `after_seq`
// (the recorder keeps every signal: an older match would otherwise count).
DbusEvent wait_tc(DaemonFixture& f, const std::string& ns, const std::string& type,
                  const std::function<bool(const Attributes&)>& match, std::uint64_t after_seq = 0)
{
    DbusEvent found;
    f.recorder.wait_for([&](const ReceivedSignal& s) {
        if (s.member != "Events" || s.name != ns) {
            return false;
        }
        for (const auto& e : s.events) {
            if (e.get<2>() == type && e.get<0>() > after_seq && match(e.get<4>())) {
                found = e;
                return true;
            }
        }
        return false;
    });
    return found;
}

bool has(const Attributes& a, const char* key, std::uint64_t value)
{
    if (a.count(key) == 0) {
        return false;
    }
    return a.at(key).peekValueType() == "t" ? a.at(key).get<std::uint64_t>() == value
                                            : a.at(key).get<std::uint32_t>() == value;
}

struct TcFixture : DaemonFixture {
    TcFixture()
    {
        const auto added = add_namespace("tcn");
        ns = added.name;
        path = added.path;
        daemon.sh("ip -n " + ns + " link add ta type veth peer name tb && ip -n " + ns + " link set ta up && ip -n " +
                  ns + " link set tb up");
        // Up links get their default qdisc without a notification.
        wait_tc(*this, ns, "qdisc-added",
                [](const Attributes& a) { return a.at("kind").get<std::string>() == "noqueue"; });
    }
    void tc(const std::string& args) { daemon.sh("tc -n " + ns + " " + args); }
    std::string ns;
    std::string path;
};

} // namespace

TEST_CASE("an htb tree with a u32 filter yields added, changed and removed events", "[integration][tc]")
{
    TcFixture f;
    f.tc("qdisc add dev ta root handle 1: htb default 10");
    auto htb = wait_tc(f, f.ns, "qdisc-added", [](const Attributes& a) { return has(a, "handle", 0x10000); });
    CHECK(htb.get<4>().at("kind").get<std::string>() == "htb");
    CHECK(has(htb.get<4>(), "parent", kTcRoot));
    CHECK(has(htb.get<4>(), "default", 0x10));

    f.tc("class add dev ta parent 1: classid 1:10 htb rate 1mbit ceil 2mbit");
    auto added = wait_tc(f, f.ns, "class-added", [](const Attributes& a) { return has(a, "handle", 0x10010); });
    CHECK(has(added.get<4>(), "rate", 125000));
    CHECK(has(added.get<4>(), "ceil", 250000));
    CHECK(has(added.get<4>(), "burst", 1600));

    f.tc("class change dev ta parent 1: classid 1:10 htb rate 3mbit ceil 4mbit");
    auto changed = wait_tc(f, f.ns, "class-changed", [](const Attributes& a) { return has(a, "rate", 375000); });
    CHECK(has(changed.get<4>(), "ceil", 500000));

    f.tc("filter add dev ta parent 1: protocol ip prio 5 u32 match ip dst 10.0.0.1/32 flowid 1:10");
    auto filter = wait_tc(f, f.ns, "filter-added", [](const Attributes& a) { return a.count("classid") != 0; });
    CHECK(has(filter.get<4>(), "classid", 0x10010));
    CHECK(has(filter.get<4>(), "priority", 5));
    CHECK(filter.get<4>().at("protocol").get<std::uint16_t>() == 0x0800);
    CHECK(has(filter.get<4>(), "parent", 0x10000));

    f.tc("filter del dev ta parent 1: prio 5");
    wait_tc(f, f.ns, "filter-removed", [](const Attributes& a) { return a.count("classid") != 0; });
    f.tc("class del dev ta classid 1:10");
    wait_tc(f, f.ns, "class-removed", [](const Attributes& a) { return has(a, "handle", 0x10010); });
    f.tc("qdisc del dev ta root");
    const auto removed =
        wait_tc(f, f.ns, "qdisc-removed", [](const Attributes& a) { return has(a, "handle", 0x10000); });
    // The kernel puts the default qdisc back without saying so; nswatch does.
    wait_tc(
        f, f.ns, "qdisc-added", [](const Attributes& a) { return a.at("kind").get<std::string>() == "noqueue"; },
        removed.get<0>());

    std::set<std::string> devs;
    const auto state = state_view(f.caller, f.path, &devs);
    CHECK(state == tc_view(f.daemon, f.ns, devs));
    const auto events = f.recorder.events_of(f.ns);
    for (std::size_t i = 0; i < events.size(); ++i) {
        CHECK(events[i].get<0>() == i + 1);
    }
}

TEST_CASE("tc qdisc change and replace of an existing qdisc are qdisc-changed", "[integration][tc]")
{
    TcFixture f;
    f.tc("qdisc add dev ta root handle 1: tbf rate 1mbit burst 10kb limit 20kb");
    wait_tc(f, f.ns, "qdisc-added", [](const Attributes& a) { return has(a, "rate", 125000); });
    f.tc("qdisc change dev ta root handle 1: tbf rate 2mbit burst 10kb limit 20kb");
    auto changed = wait_tc(f, f.ns, "qdisc-changed", [](const Attributes& a) { return has(a, "rate", 250000); });
    CHECK(has(changed.get<4>(), "burst", 10240));
    CHECK(has(changed.get<4>(), "limit", 20480));
    f.tc("qdisc replace dev ta root handle 1: tbf rate 2mbit burst 20kb limit 40kb");
    auto replaced = wait_tc(f, f.ns, "qdisc-changed", [](const Attributes& a) { return has(a, "limit", 40960); });
    CHECK(has(replaced.get<4>(), "burst", 20480));
    CHECK(has(replaced.get<4>(), "handle", 0x10000));

    f.tc("qdisc replace dev tb root handle 2: pfifo limit 100");
    wait_tc(f, f.ns, "qdisc-added", [](const Attributes& a) { return has(a, "limit", 100); });
    f.tc("qdisc replace dev tb root handle 2: pfifo limit 50");
    wait_tc(f, f.ns, "qdisc-changed", [](const Attributes& a) { return has(a, "limit", 50); });
}

TEST_CASE("deleting a link reports its qdiscs, classes and filters removed", "[integration][tc]")
{
    TcFixture f;
    f.tc("qdisc add dev ta root handle 1: htb");
    f.tc("class add dev ta parent 1: classid 1:20 htb rate 5mbit");
    f.tc("qdisc add dev ta parent 1:20 handle 30: pfifo limit 10");
    f.tc("filter add dev ta parent 1: protocol ip prio 3 u32 match ip src 10.1.0.0/16 flowid 1:20");
    f.tc("qdisc add dev ta clsact");
    f.tc("filter add dev ta ingress protocol all prio 1 u32 match u32 0 0 flowid 1:1");
    wait_tc(f, f.ns, "filter-added", [](const Attributes& a) { return has(a, "parent", kTcIngressParent); });
    const auto before = state_view(f.caller, f.path);
    CHECK(before.qdiscs.size() >= 4); // htb, pfifo, clsact, tb's noqueue
    CHECK(before.classes.size() == 1);

    const auto removed_from = f.recorder.events_of(f.ns).size();
    f.daemon.sh("ip -n " + f.ns + " link del ta");
    f.wait_event(f.ns, "link-removed", "ta");
    f.wait_event(f.ns, "link-removed", "tb");
    const auto events = f.recorder.events_of(f.ns);
    std::multiset<std::string> removed;
    for (std::size_t i = removed_from; i < events.size(); ++i) {
        removed.insert(events[i].get<2>());
    }
    CHECK(removed.count("link-removed") == 2);
    CHECK(removed.count("class-removed") == 1);
    CHECK(removed.count("qdisc-removed") == 4); // htb, pfifo, clsact, tb's noqueue
    CHECK(removed.count("filter-removed") >= 2);
    const auto after = state_view(f.caller, f.path);
    CHECK(after.qdiscs.empty());
    CHECK(after.classes.empty());
    CHECK(after.filters.empty());
}

TEST_CASE("filters are told apart by parent, priority, protocol, chain and handle", "[integration][tc]")
{
    TcFixture f;
    f.tc("qdisc add dev ta root handle 1: htb");
    f.tc("class add dev ta parent 1: classid 1:1 htb rate 1mbit");
    // Same parent, priority and handles; other protocol and chain (the kernel
    // allows one protocol per priority within a chain).
    f.tc("filter add dev ta parent 1: protocol ip prio 1 u32 match ip dst 10.0.0.1/32 flowid 1:1");
    f.tc("filter add dev ta parent 1: chain 1 protocol ipv6 prio 1 u32 match ip6 dst ::1/128 flowid 1:1");
    f.tc("filter add dev ta parent 1: protocol ip prio 2 u32 match ip dst 10.0.0.2/32 flowid 1:1");
    f.tc("filter add dev ta parent 1:1 protocol ip prio 1 u32 match ip dst 10.0.0.3/32 flowid 1:1");
    wait_tc(f, f.ns, "filter-added", [](const Attributes& a) { return has(a, "parent", 0x10001); });
    // The filter re-reads that follow each addition (hash tables) settle;
    // each brings signals, so wait for the next one until the views agree.
    std::set<std::string> devs;
    auto settle = [&] {
        for (;;) {
            const auto seen = f.recorder.count();
            const auto ours = state_view(f.caller, f.path, &devs); // fills devs first
            if (ours == tc_view(f.daemon, f.ns, devs) || !f.recorder.wait_for_more(seen, 5s)) {
                return;
            }
        }
    };
    settle();
    const auto view = state_view(f.caller, f.path);
    CHECK(view == tc_view(f.daemon, f.ns, devs));
    // Each filter protocol lists its entry and, since u32 shares hash tables
    // within a qdisc, every table (and key) of its priority: 3 tables for
    // priority 1, listed under 3 protocols, plus priority 2's own.
    CHECK(view.filters.size() == 3 * 7 + 3);

    f.tc("filter del dev ta parent 1: chain 1 protocol ipv6 prio 1");
    wait_tc(f, f.ns, "filter-removed",
            [](const Attributes& a) { return a.at("protocol").get<std::uint16_t>() == 0x86dd; });
    settle();
    const auto later = state_view(f.caller, f.path);
    CHECK(later.filters.size() == 2 * 5 + 3); // two tables left for priority 1
    CHECK(later == tc_view(f.daemon, f.ns, devs));
}
