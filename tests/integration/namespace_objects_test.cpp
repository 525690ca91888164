// The namespace objects as a generic D-Bus client sees them: Introspect says
// what dbus/org.nswatch1.Namespace.xml says, ObjectManager lists every one,
// and a namespace no longer monitored is an unknown object. (The daemon
// serves them from one sd-bus fallback vtable, written by hand: these
// tests hold it to the XML.)
#include "fixture.hpp"
#include "nswatch/dbus_names.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace nswatch;
using namespace nswatch::test;

namespace {

using Attrs = std::map<std::string, std::string>;

// The tags of an XML text, in order, as (name, attributes); "/name" for a
// closing tag. Comments and the DOCTYPE are skipped. Enough for
// introspection data (no CDATA, no '>' inside attribute values).
std::vector<std::pair<std::string, Attrs>> xml_tags(const std::string& xml)
{
    std::vector<std::pair<std::string, Attrs>> tags;
    std::size_t at = 0;
    while ((at = xml.find('<', at)) != std::string::npos) {
        if (xml.compare(at, 4, "<!--") == 0) {
            at = xml.find("-->", at);
            continue;
        }
        const auto end = xml.find('>', at);
        const auto tag = xml.substr(at + 1, end - at - 1);
        at = end;
        if (tag.empty() || tag[0] == '!' || tag[0] == '?') {
            continue;
        }
        std::istringstream in(tag);
        std::string name;
        in >> name;
        Attrs attrs;
        std::string rest((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::size_t p = 0;
        while ((p = rest.find('=', p)) != std::string::npos) {
            auto key_start = rest.find_last_of(" \t\n", p);
            const auto key = rest.substr(key_start + 1, p - key_start - 1);
            const auto open = p + 1;
            const auto close = rest.find('"', open + 1);
            attrs[key] = rest.substr(open + 1, close - open - 1);
            p = close;
        }
        tags.emplace_back(name, attrs);
    }
    return tags;
}

// org.nswatch1.Namespace's members, one line each with their args and
// EmitsChangedSignal, sorted (the XML file and introspection order them
// differently). Other annotations (Method.Async) are the daemon's own
// business and never introspected.
std::vector<std::string> namespace_members(const std::string& xml)
{
    std::vector<std::string> members;
    bool inside = false;
    for (const auto& [tag, attrs] : xml_tags(xml)) {
        if (tag == "interface") {
            inside = attrs.at("name") == dbus::kNamespaceInterface;
        } else if (tag == "/interface") {
            inside = false;
        } else if (inside && (tag == "method" || tag == "signal" || tag == "property")) {
            auto line = tag + " " + attrs.at("name");
            if (tag == "property") {
                line += " " + attrs.at("type") + " " + attrs.at("access");
            }
            members.push_back(line);
        } else if (inside && tag == "arg") {
            const auto direction = attrs.count("direction") != 0 ? attrs.at("direction") : "";
            members.back() += " (" + attrs.at("name") + " " + attrs.at("type") + " " + direction + ")";
        } else if (inside && tag == "annotation" &&
                   attrs.at("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal") {
            members.back() += " emits=" + attrs.at("value");
        }
    }
    std::sort(members.begin(), members.end());
    return members;
}

std::string read_file(const std::string& path)
{
    std::ifstream in(path);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string introspect(sdbus::IConnection& connection, const std::string& path)
{
    auto proxy = sdbus::createProxy(connection, dbus::kServiceName, path);
    std::string xml;
    proxy->callMethod("Introspect").onInterface("org.freedesktop.DBus.Introspectable").storeResultsTo(xml);
    return xml;
}

using ManagedObjects = std::map<sdbus::ObjectPath, std::map<std::string, std::map<std::string, sdbus::Variant>>>;

ManagedObjects managed_objects(sdbus::IConnection& connection)
{
    auto proxy = sdbus::createProxy(connection, dbus::kServiceName, dbus::kManagerPath);
    ManagedObjects objects;
    proxy->callMethod("GetManagedObjects").onInterface("org.freedesktop.DBus.ObjectManager").storeResultsTo(objects);
    return objects;
}

// The error name of calling `method` (no arguments) of `interface` at `path`; "" on success.
std::string call_error(sdbus::IConnection& connection, const std::string& path, const std::string& interface,
                       const std::string& method)
{
    auto proxy = sdbus::createProxy(connection, dbus::kServiceName, path);
    try {
        proxy->callMethod(method).onInterface(interface);
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
    return "";
}

std::string property_error(sdbus::IConnection& connection, const std::string& path, const std::string& property)
{
    auto proxy = sdbus::createProxy(connection, dbus::kServiceName, path);
    try {
        proxy->getProperty(property).onInterface(dbus::kNamespaceInterface);
    } catch (const sdbus::Error& e) {
        return e.getName();
    }
    return "";
}

} // namespace

TEST_CASE("a namespace object introspects as dbus/org.nswatch1.Namespace.xml says", "[integration][bus]")
{
    const char* dir = std::getenv("NSWATCH_DBUS_DIR");
    REQUIRE(dir != nullptr);
    DaemonFixture f;
    const auto ns = f.add_namespace("nsi");
    auto connection = sdbus::createSessionBusConnectionWithAddress(f.bus.address());

    const auto expected = namespace_members(read_file(std::string(dir) + "/org.nswatch1.Namespace.xml"));
    REQUIRE(expected.size() == 15); // 1 method, 2 signals, 12 properties
    CHECK(namespace_members(introspect(*connection, ns.path)) == expected);
    CHECK(namespace_members(introspect(*connection, dbus::kManagerPath + std::string("/netns/default"))) == expected);
    // The parent lists both as child nodes.
    const auto parent = introspect(*connection, dbus::kNamespacePathPrefix);
    const auto leaf = ns.path.substr(ns.path.rfind('/') + 1);
    CHECK(parent.find("<node name=\"" + leaf + "\"/>") != std::string::npos);
    CHECK(parent.find("<node name=\"default\"/>") != std::string::npos);
}

TEST_CASE("GetManagedObjects lists every namespace with its properties, and no longer one that is gone",
          "[integration][bus]")
{
    DaemonFixture f;
    const auto first = f.add_namespace("nso");
    const auto second = f.add_namespace("nso");
    auto connection = sdbus::createSessionBusConnectionWithAddress(f.bus.address());

    auto objects = managed_objects(*connection);
    for (const auto& ns : {first, second}) {
        REQUIRE(objects.count(sdbus::ObjectPath(ns.path)) == 1);
        auto& properties = objects.at(sdbus::ObjectPath(ns.path)).at(dbus::kNamespaceInterface);
        CHECK(properties.size() == 12);
        CHECK(properties.at("Name").get<std::string>() == ns.name);
        CHECK(properties.at("Source").get<std::string>() == "named");
        CHECK(properties.at("State").get<std::string>() == "monitoring");
        CHECK(properties.at("Path").get<std::string>() == "/run/netns/" + ns.name);
    }
    CHECK(objects.count(sdbus::ObjectPath(dbus::kNamespacePathPrefix + std::string("/default"))) == 1);

    f.daemon.sh("ip netns del " + first.name);
    f.wait_removed(first.name);
    objects = managed_objects(*connection);
    CHECK(objects.count(sdbus::ObjectPath(first.path)) == 0);
    CHECK(objects.count(sdbus::ObjectPath(second.path)) == 1);
}

TEST_CASE("a namespace no longer monitored is an unknown object; a wrong member of a live one is unknown",
          "[integration][bus]")
{
    DaemonFixture f;
    const auto gone = f.add_namespace("nsu");
    const auto live = f.add_namespace("nsu");
    auto connection = sdbus::createSessionBusConnectionWithAddress(f.bus.address());
    CHECK(call_error(*connection, gone.path, dbus::kNamespaceInterface, "GetState").empty());

    f.daemon.sh("ip netns del " + gone.name);
    f.wait_removed(gone.name);
    const std::string unknown_object = "org.freedesktop.DBus.Error.UnknownObject";
    CHECK(call_error(*connection, gone.path, dbus::kNamespaceInterface, "GetState") == unknown_object);
    CHECK(property_error(*connection, gone.path, "Name") == unknown_object);
    CHECK(call_error(*connection, gone.path, "org.freedesktop.DBus.Introspectable", "Introspect") == unknown_object);
    CHECK(call_error(*connection, dbus::kNamespacePathPrefix + std::string("/never_2dthere"), dbus::kNamespaceInterface,
                     "GetState") == unknown_object);

    CHECK(call_error(*connection, live.path, dbus::kNamespaceInterface, "Nope") ==
          "org.freedesktop.DBus.Error.UnknownMethod");
    CHECK(property_error(*connection, live.path, "Nope") == "org.freedesktop.DBus.Error.UnknownProperty");
    CHECK(f.caller.namespace_property(live.path, "Name").get<std::string>() == live.name);
}
