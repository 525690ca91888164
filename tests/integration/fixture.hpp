#pragma once
// One private bus, one daemon, one signal recorder and one caller per test.
#include "harness.hpp"

#include <catch2/catch.hpp>

namespace nswatch::test {

struct DaemonFixture {
    explicit DaemonFixture(std::vector<std::string> args = {})
        : daemon(bus, std::move(args)), recorder(bus.address()), caller(bus.address())
    {
    }

    struct Added {
        std::string name;
        std::string path;
    };
    // `ip netns add` of a fresh name (removed again at the end); waits for
    // NamespaceAdded.
    Added add_namespace(const std::string& prefix)
    {
        Added ns{unique_name(prefix), ""};
        cleanup.push_back(ns.name);
        daemon.sh("ip netns add " + ns.name);
        ns.path = wait_added(ns.name);
        return ns;
    }

    // Waits for NamespaceAdded(name); returns its object path.
    std::string wait_added(const std::string& name)
    {
        return recorder
            .wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceAdded" && s.name == name; })
            .object;
    }
    void wait_removed(const std::string& name)
    {
        recorder.wait_for([&](const ReceivedSignal& s) { return s.member == "NamespaceRemoved" && s.name == name; });
    }
    // Waits for an event of `type` (link-*) in namespace `ns` whose link is named `link`.
    DbusEvent wait_event(const std::string& ns, const std::string& type, const std::string& link,
                         const std::function<bool(const Attributes&)>& also = nullptr)
    {
        DbusEvent found;
        recorder.wait_for([&](const ReceivedSignal& s) {
            if (s.member != "Events" || s.name != ns) {
                return false;
            }
            for (const auto& e : s.events) {
                if (e.get<2>() == type && e.get<4>().count("name") != 0 &&
                    e.get<4>().at("name").get<std::string>() == link && (!also || also(e.get<4>()))) {
                    found = e;
                    return true;
                }
            }
            return false;
        });
        return found;
    }
    // Removes namespaces this test made, whatever happened.
    ~DaemonFixture()
    {
        for (const auto& ns : cleanup) {
            daemon.try_sh("ip netns del " + ns);
        }
    }

    PrivateBus bus;
    DaemonProcess daemon;
    SignalRecorder recorder;
    Caller caller;
    std::vector<std::string> cleanup;
};

} // namespace nswatch::test
