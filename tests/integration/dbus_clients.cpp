// The D-Bus side of the test harness: a signal recorder and a caller, each
// on a connection of its own.
#include "harness.hpp"

#include "nswatch/dbus_names.hpp"

#include <stdexcept>

namespace nswatch::test {

SignalRecorder::SignalRecorder(const std::string& address)
    : connection_(sdbus::createSessionBusConnectionWithAddress(address))
{
    match_ = connection_->addMatch("type='signal',path_namespace='/org/nswatch1'", [this](sdbus::Message& msg) {
        ReceivedSignal s;
        s.received = Clock::now();
        s.path = msg.getPath();
        s.interface = msg.getInterfaceName();
        s.member = msg.getMemberName();
        if (s.member == "Events") {
            msg >> s.name >> s.events;
        } else if (s.member == "NamespaceAdded" || s.member == "NamespaceRemoved") {
            sdbus::ObjectPath path;
            msg >> s.name >> path;
            s.object = path;
        } else if (s.member == "Resynced") {
            msg >> s.name >> s.seq >> s.reason;
        } else if (s.member == "PropertiesChanged") {
            msg >> s.name >> s.changed;
        }
        std::lock_guard lock(mutex_);
        signals_.push_back(std::move(s));
        changed_.notify_all();
    });
    connection_->enterEventLoopAsync();
}

SignalRecorder::~SignalRecorder()
{
    connection_->leaveEventLoop();
    match_.reset();
}

ReceivedSignal SignalRecorder::wait_for(const std::function<bool(const ReceivedSignal&)>& match,
                                        std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    std::size_t checked = 0;
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        for (; checked < signals_.size(); ++checked) {
            if (match(signals_[checked])) {
                return signals_[checked];
            }
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && checked == signals_.size()) {
            throw std::runtime_error("timed out waiting for a signal (" + std::to_string(signals_.size()) +
                                     " received)");
        }
    }
}

ReceivedSignal SignalRecorder::wait_for_progressing(const std::function<bool(const ReceivedSignal&)>& match,
                                                    std::chrono::milliseconds quiet)
{
    std::unique_lock lock(mutex_);
    std::size_t checked = 0;
    auto deadline = Clock::now() + quiet;
    for (;;) {
        if (checked < signals_.size()) {
            deadline = Clock::now() + quiet; // still arriving: the backlog moves
        }
        for (; checked < signals_.size(); ++checked) {
            if (match(signals_[checked])) {
                return signals_[checked];
            }
        }
        if (changed_.wait_until(lock, deadline) == std::cv_status::timeout && checked == signals_.size()) {
            throw std::runtime_error("no signal for " + std::to_string(quiet.count()) + " ms while waiting for one (" +
                                     std::to_string(signals_.size()) + " received)");
        }
    }
}

std::size_t SignalRecorder::count()
{
    std::lock_guard lock(mutex_);
    return signals_.size();
}

bool SignalRecorder::wait_for_more(std::size_t seen, std::chrono::milliseconds timeout)
{
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return signals_.size() > seen; });
}

std::vector<ReceivedSignal> SignalRecorder::all()
{
    std::lock_guard lock(mutex_);
    return signals_;
}

std::vector<DbusEvent> SignalRecorder::events_of(const std::string& name)
{
    std::vector<DbusEvent> out;
    for (const auto& s : all()) {
        if (s.member == "Events" && s.name == name) {
            out.insert(out.end(), s.events.begin(), s.events.end());
        }
    }
    return out;
}

Caller::Caller(const std::string& address) : connection_(sdbus::createSessionBusConnectionWithAddress(address)) {}

std::vector<NamespaceRow> Caller::list_namespaces()
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, dbus::kManagerPath);
    std::vector<sdbus::Struct<std::string, sdbus::ObjectPath, std::string, std::uint64_t>> rows;
    proxy->callMethod("ListNamespaces").onInterface(dbus::kManagerInterface).storeResultsTo(rows);
    std::vector<NamespaceRow> out;
    out.reserve(rows.size());
    for (auto& r : rows) {
        out.push_back({r.get<0>(), r.get<1>(), r.get<2>(), r.get<3>()});
    }
    return out;
}

std::string Caller::get_namespace(const std::string& name)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, dbus::kManagerPath);
    sdbus::ObjectPath path;
    proxy->callMethod("GetNamespace").onInterface(dbus::kManagerInterface).withArguments(name).storeResultsTo(path);
    return path;
}

std::pair<std::uint64_t, std::vector<DbusObject>> Caller::get_state(const std::string& path)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, path);
    std::uint64_t seq = 0;
    std::vector<DbusObject> objects;
    proxy->callMethod("GetState").onInterface(dbus::kNamespaceInterface).storeResultsTo(seq, objects);
    return {seq, objects};
}

sdbus::Variant Caller::manager_property(const std::string& property)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, dbus::kManagerPath);
    return proxy->getProperty(property).onInterface(dbus::kManagerInterface);
}

sdbus::Variant Caller::namespace_property(const std::string& path, const std::string& property)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, path);
    return proxy->getProperty(property).onInterface(dbus::kNamespaceInterface);
}

std::string Caller::manager_call_error(const std::string& method, const std::string& argument)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, dbus::kManagerPath);
    try {
        proxy->callMethod(method).onInterface(dbus::kManagerInterface).withArguments(argument);
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
    return "";
}

std::pair<std::string, std::string> Caller::watch(const std::string& path)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, dbus::kManagerPath);
    std::string name;
    sdbus::ObjectPath object;
    proxy->callMethod("Watch").onInterface(dbus::kManagerInterface).withArguments(path).storeResultsTo(name, object);
    return {name, object};
}

std::pair<std::string, std::string> Caller::manager_call_failure(const std::string& method, const std::string& argument)
{
    auto proxy = sdbus::createProxy(*connection_, dbus::kServiceName, dbus::kManagerPath);
    try {
        proxy->callMethod(method).onInterface(dbus::kManagerInterface).withArguments(argument);
    } catch (const sdbus::Error& e) {
        return {e.getName(), e.getMessage()};
    }
    return {};
}

std::string link_row(std::int32_t ifindex, const Attributes& attrs)
{
    return std::to_string(ifindex) + " " + attrs.at("name").get<std::string>() + " " +
           attrs.at("kind").get<std::string>() + " " + std::to_string(attrs.at("mtu").get<std::uint32_t>()) + " " +
           attrs.at("address").get<std::string>() + " " + attrs.at("operstate").get<std::string>() + " " +
           (attrs.at("up").get<bool>() ? "up" : "down");
}

} // namespace nswatch::test
