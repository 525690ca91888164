// nswatchctl monitor: a snapshot of each namespace, then one line per change.
//
// Order of operations per namespace, so nothing is missed or repeated:
// subscribe (create its proxy), then GetState; events that arrive before the
// snapshot is in are buffered; only events with seq greater than the
// snapshot's are printed. A gap in seq is reported, never hidden.
#include "ctl/commands.hpp"
#include "ctl/format.hpp"
#include "ctl/proxies.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>

namespace nswatch::ctl {

namespace {

class Monitor {
public:
    Monitor(sdbus::IConnection& connection, bool json) : connection_(connection), json_(json), manager_(connection) {}

    void follow_all()
    {
        manager_.on_added = [this](const std::string& name, const std::string& path) {
            line("namespace-added", name, path);
            follow(name, path);
        };
        manager_.on_removed = [this](const std::string& name, const std::string& path) {
            line("namespace-removed", name, path);
            followed_.erase(name);
        };
        for (const auto& row : manager_.ListNamespaces()) {
            follow(row.get<0>(), row.get<1>());
        }
    }

    void follow_only(const std::vector<std::string>& names)
    {
        only_.insert(names.begin(), names.end());
        manager_.on_removed = [this](const std::string& name, const std::string& path) {
            if (only_.contains(name)) {
                line("namespace-removed", name, path);
                followed_.erase(name);
            }
        };
        manager_.on_added = [this](const std::string& name, const std::string& path) {
            if (only_.contains(name)) {
                line("namespace-added", name, path);
                follow(name, path);
            }
        };
        for (const auto& name : names) {
            follow(name, manager_.GetNamespace(name));
        }
    }

private:
    struct Followed {
        std::unique_ptr<NamespaceProxy> proxy;
        bool ready = false;
        std::uint64_t seq = 0;
        DbusEvents buffered;
    };

    void follow(const std::string& name, const std::string& path)
    {
        auto& f = followed_[name];
        f = Followed{};
        f.proxy = std::make_unique<NamespaceProxy>(connection_, path); // subscribed from here on
        f.proxy->on_events = [this](const std::string& ns, const DbusEvents& events) { on_events(ns, events); };
        f.proxy->on_resynced = [this](const std::string& ns, std::uint64_t seq, const std::string& reason) {
            if (json_) {
                const Json j{{"namespace", ns}, {"seq", seq}, {"type", "resynced"}, {"reason", reason}};
                std::printf("%s\n", json_text(j).c_str());
            } else {
                std::printf("%s #%llu resynced (%s)\n", ns.c_str(), static_cast<unsigned long long>(seq),
                            reason.c_str());
            }
            std::fflush(stdout);
        };
        const auto [seq, objects] = f.proxy->GetState();
        for (const auto& o : objects) {
            print(name, seq, 0, o.get<0>() + "-present", o.get<1>(), o.get<2>());
        }
        f.seq = seq;
        f.ready = true;
        auto buffered = std::move(f.buffered);
        print_events(name, f, buffered);
    }

    void on_events(const std::string& name, const DbusEvents& events)
    {
        auto it = followed_.find(name);
        if (it == followed_.end()) {
            return;
        }
        if (!it->second.ready) {
            it->second.buffered.insert(it->second.buffered.end(), events.begin(), events.end());
            return;
        }
        print_events(name, it->second, events);
    }

    void print_events(const std::string& name, Followed& f, const DbusEvents& events)
    {
        for (const auto& e : events) {
            const auto seq = e.get<0>();
            if (seq <= f.seq) {
                continue; // already part of the snapshot
            }
            if (seq != f.seq + 1) {
                std::fprintf(stderr, "nswatchctl: %s: events %llu..%llu are missing\n", name.c_str(),
                             static_cast<unsigned long long>(f.seq) + 1, static_cast<unsigned long long>(seq) - 1);
            }
            f.seq = seq;
            print(name, seq, e.get<1>(), e.get<2>(), e.get<3>(), e.get<4>());
        }
    }

    void print(const std::string& ns, std::uint64_t seq, std::uint64_t time_usec, const std::string& type,
               std::int32_t ifindex, const Attributes& attrs)
    {
        const auto out = json_ ? json_text(event_json(ns, seq, time_usec, type, ifindex, attrs))
                               : event_line(ns, seq, type, ifindex, attrs);
        std::printf("%s\n", out.c_str());
        std::fflush(stdout);
    }

    void line(const char* type, const std::string& name, const std::string& path)
    {
        if (json_) {
            const Json j{{"namespace", name}, {"type", type}, {"object", path}};
            std::printf("%s\n", json_text(j).c_str());
        } else {
            std::printf("%s %s %s\n", name.c_str(), type, path.c_str());
        }
        std::fflush(stdout);
    }

    sdbus::IConnection& connection_;
    bool json_;
    ManagerProxy manager_;
    std::set<std::string> only_;
    std::map<std::string, Followed> followed_;
};

} // namespace

void run_monitor(sdbus::IConnection& connection, const std::vector<std::string>& names, bool json)
{
    Monitor monitor(connection, json);
    if (names.empty()) {
        monitor.follow_all();
    } else {
        monitor.follow_only(names);
    }
    connection.enterEventLoop(); // until killed
    std::exit(0);
}

} // namespace nswatch::ctl
