// Link changes inside a namespace reach clients as Events with gapless seq,
// and GetState plus the events after its seq rebuild the kernel's view.
#include "fixture.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

using namespace nswatch;
using namespace nswatch::test;

namespace {

// What `ip` says of the links of `ns`, as rows comparable with link_row().
std::set<std::string> ip_link_rows(const DaemonProcess& daemon, const std::string& ns)
{
    const auto out = daemon.sh(
        "ip -n " + ns +
        " -d -j link show | jq -r '.[] | \"\\(.ifindex) \\(.ifname) \\(.linkinfo.info_kind // \"\") "
        "\\(.mtu) \\(.address // \"\") \\(.operstate | ascii_downcase) \\(if (.flags | index(\"UP\")) then \"up\" "
        "else \"down\" end)\"'");
    std::set<std::string> rows;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);) {
        rows.insert(line);
    }
    return rows;
}

std::set<std::string> rows_of(const std::map<std::int32_t, Attributes>& links)
{
    std::set<std::string> rows;
    for (const auto& [ifindex, attrs] : links) {
        rows.insert(link_row(ifindex, attrs));
    }
    return rows;
}

} // namespace

TEST_CASE("a veth created, changed and deleted in a namespace yields the right events in order", "[integration][links]")
{
    DaemonFixture f;
    const auto [ns, path] = f.add_namespace("nsl");

    f.daemon.sh("ip -n " + ns + " link add va type veth peer name vb");
    f.wait_event(ns, "link-added", "va");
    f.daemon.sh("ip -n " + ns + " link set va mtu 1400");
    f.wait_event(ns, "link-changed", "va",
                 [](const Attributes& a) { return a.at("mtu").get<std::uint32_t>() == 1400; });
    f.daemon.sh("ip -n " + ns + " link set va up");
    f.wait_event(ns, "link-changed", "va", [](const Attributes& a) { return a.at("up").get<bool>(); });
    f.daemon.sh("ip -n " + ns + " link set va down");
    f.wait_event(ns, "link-changed", "va", [](const Attributes& a) { return !a.at("up").get<bool>(); });
    f.daemon.sh("ip -n " + ns + " link del va");
    const auto removed = f.wait_event(ns, "link-removed", "va");
    f.wait_event(ns, "link-removed", "vb");
    CHECK(removed.get<4>().at("mtu").get<std::uint32_t>() == 1400); // last known attributes
    CHECK(removed.get<4>().at("kind").get<std::string>() == "veth");

    const auto events = f.recorder.events_of(ns); // links, and the qdisc a link gets when up
    for (std::size_t i = 0; i < events.size(); ++i) {
        INFO("event " << i);
        CHECK(events[i].get<0>() == i + 1); // seq starts at 1 and has no gaps
        CHECK(events[i].get<1>() > 0);      // time_usec is set
    }
    // The namespace name and object path on every Events signal are this namespace's.
    for (const auto& s : f.recorder.all()) {
        if (s.member == "Events" && s.path == path) {
            CHECK(s.name == ns);
        }
    }
    // The ordered story of va: added, mtu, up, down, removed; nothing else.
    std::vector<std::string> story;
    for (const auto& e : events) {
        if (e.get<2>().starts_with("link-") && e.get<4>().at("name").get<std::string>() == "va") {
            story.push_back(e.get<2>());
        }
    }
    REQUIRE(story.size() >= 5);
    CHECK(story.front() == "link-added");
    CHECK(story.back() == "link-removed");
    CHECK(std::count(story.begin(), story.end(), "link-added") == 1);
    CHECK(f.caller.namespace_property(path, "Seq").get<std::uint64_t>() == events.size());
}

TEST_CASE("GetState plus the events after its seq equals what ip shows", "[integration][links]")
{
    DaemonFixture f;
    const auto [ns, path] = f.add_namespace("nss");
    f.daemon.sh("ip -n " + ns + " link add ga type veth peer name gb && ip -n " + ns + " link set ga up");
    f.wait_event(ns, "link-changed", "ga", [](const Attributes& a) { return a.at("up").get<bool>(); });

    // A client starts here: it already listens (recorder), takes a snapshot...
    auto [seq, objects] = f.caller.get_state(path);
    std::map<std::int32_t, Attributes> links;
    for (const auto& o : objects) {
        if (o.get<0>() == "link") {
            links[o.get<1>()] = o.get<2>();
        }
    }
    CHECK(rows_of(links) == ip_link_rows(f.daemon, ns));

    // ...more happens...
    f.daemon.sh("ip -n " + ns + " link add br0 type bridge && ip -n " + ns + " link set gb master br0 && ip -n " + ns +
                " link set gb mtu 1300 && ip -n " + ns + " link set br0 up && ip -n " + ns + " link del ga");
    // Deleting ga deletes its peer gb too, possibly announced in a later signal.
    f.wait_event(ns, "link-removed", "ga");
    f.wait_event(ns, "link-removed", "gb");

    // ...and applying the events with a greater seq reproduces the kernel.
    // Some changes are the kernel's own, after the commands returned (a
    // bridge's operstate follows its ports through linkwatch): apply what
    // arrives until the client agrees with ip, or nothing more comes.
    auto applied = seq;
    auto kernel = ip_link_rows(f.daemon, ns);
    for (;;) {
        const auto seen = f.recorder.count();
        for (const auto& e : f.recorder.events_of(ns)) {
            if (e.get<0>() <= applied) {
                continue;
            }
            applied = e.get<0>();
            if (!e.get<2>().starts_with("link-")) {
                continue;
            }
            if (e.get<2>() == "link-removed") {
                links.erase(e.get<3>());
            } else {
                links[e.get<3>()] = e.get<4>();
            }
        }
        if (rows_of(links) == kernel || !f.recorder.wait_for_more(seen, 2s)) {
            break;
        }
        kernel = ip_link_rows(f.daemon, ns);
    }
    const auto [final_seq, final_objects] = f.caller.get_state(path);
    CHECK(final_seq == f.recorder.events_of(ns).back().get<0>());
    CHECK(rows_of(links) == kernel);
    CHECK(std::count_if(final_objects.begin(), final_objects.end(), [](const auto& o) {
              return o.template get<0>() == "link";
          }) == static_cast<long>(links.size()));
    for (const auto& [ifindex, attrs] : links) {
        if (attrs.at("name").get<std::string>() == "gb") {
            CHECK(attrs.at("master").get<std::int32_t>() != 0); // enslaved to br0
        }
    }
}

TEST_CASE("an unchanged link produces no event", "[integration][links]")
{
    DaemonFixture f;
    const auto ns = f.add_namespace("nsu").name;
    f.daemon.sh("ip -n " + ns + " link add ua type veth peer name ub");
    // The kernel announces ub before ua, and the daemon may publish them in
    // separate Events signals: count only once both ends are there.
    f.wait_event(ns, "link-added", "ua");
    f.wait_event(ns, "link-added", "ub");
    const auto before = f.recorder.events_of(ns).size(); // both ends are down: no qdisc events either
    // An alias and a queue length make the kernel send RTM_NEWLINK, but
    // nothing of the contract changed. The later rename is the barrier.
    f.daemon.sh("ip -n " + ns + " link set ua alias hello && ip -n " + ns + " link set ua txqueuelen 2000 && ip -n " +
                ns + " link set ub name uc");
    f.wait_event(ns, "link-changed", "uc");
    const auto events = f.recorder.events_of(ns);
    REQUIRE(events.size() == before + 1);
    CHECK(events.back().get<4>().at("name").get<std::string>() == "uc");
}

TEST_CASE("a link whose name is not UTF-8 is published with U+FFFD for each bad byte", "[integration][links]")
{
    // The kernel takes any bytes but '/', ':' and white space in a name;
    // D-Bus takes only UTF-8 (dbus-daemon drops a peer that sends other).
    DaemonFixture f;
    const auto [ns, path] = f.add_namespace("nsb");
    const std::string shell_name = "\"$(printf 'v\\377\\376')\"";
    const std::string published = "v\xef\xbf\xbd\xef\xbf\xbd";
    f.daemon.sh("ip -n " + ns + " link add " + shell_name + " type veth peer name wb");
    f.wait_event(ns, "link-added", published);
    f.daemon.sh("ip -n " + ns + " link set " + shell_name + " mtu 1400");
    f.wait_event(ns, "link-changed", published,
                 [](const Attributes& a) { return a.at("mtu").get<std::uint32_t>() == 1400; });

    const auto [seq, objects] = f.caller.get_state(path);
    CHECK(std::count_if(objects.begin(), objects.end(), [&](const auto& o) {
              return o.template get<0>() == "link" &&
                     o.template get<2>().at("name").template get<std::string>() == published;
          }) == 1);
    CHECK(seq == f.recorder.events_of(ns).back().get<0>());
}
