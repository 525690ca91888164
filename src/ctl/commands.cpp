#include "ctl/commands.hpp"

#include "ctl/format.hpp"
#include "ctl/proxies.hpp"
#include "ctl/status.hpp"
#include "ctl/table.hpp"
#include "nswatch/tc.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <map>

namespace nswatch::ctl {

namespace {
void print_json(const Json& line)
{
    std::printf("%s\n", json_text(line).c_str());
}
} // namespace

void run_list(sdbus::IConnection& connection, bool json, bool quiet)
{
    ManagerProxy manager(connection);
    if (quiet) { // one call, as fast as the bus allows: shell completion asks this
        for (const auto& row : manager.ListNamespaces()) {
            std::printf("%s\n", row.get<0>().c_str());
        }
        return;
    }
    Table table({"NAME", "SOURCE", "INODE", "STATE", "PATH", "HOLDER", "UNIT", "CONTAINER"});
    for (const auto& row : manager.ListNamespaces()) {
        NamespaceProxy ns(connection, row.get<1>());
        const auto state = ns.State();
        const auto path = ns.Path();
        const auto pid = ns.HolderPid();
        const auto command = ns.HolderCommand();
        const auto unit = ns.Unit();
        const auto container = ns.Container();
        if (json) {
            print_json(Json{{"name", row.get<0>()},
                            {"object", row.get<1>()},
                            {"source", row.get<2>()},
                            {"inode", row.get<3>()},
                            {"cookie", ns.Cookie()},
                            {"state", state},
                            {"state_reason", ns.StateReason()},
                            {"path", path},
                            {"holder_pid", pid},
                            {"holder_command", command},
                            {"unit", unit},
                            {"container", container}});
        } else {
            table.add({row.get<0>(), row.get<2>(), std::to_string(row.get<3>()), state, path,
                       pid == 0 ? "-" : std::to_string(pid) + "/" + command, unit.empty() ? "-" : unit,
                       container.empty() ? "-" : container.substr(0, 12)});
        }
    }
    if (!json) {
        table.print();
        std::printf("\n%zu namespace%s listed.\n", table.size(), table.size() == 1 ? "" : "s");
    }
}

void run_show(sdbus::IConnection& connection, const std::string& name, bool json)
{
    ManagerProxy manager(connection);
    NamespaceProxy ns(connection, manager.GetNamespace(name));
    const auto [seq, objects] = ns.GetState();
    if (json) {
        for (const auto& o : objects) {
            print_json(Json{{"namespace", name},
                            {"seq", seq},
                            {"type", o.get<0>()},
                            {"ifindex", o.get<1>()},
                            {"attrs", attributes_json(o.get<2>())}});
        }
        return;
    }
    std::map<std::int32_t, std::string> dev;
    for (const auto& o : objects) {
        if (o.get<0>() == "link") {
            dev[o.get<1>()] = attr_text(o.get<2>(), "name");
        }
    }
    auto dev_name = [&](std::int32_t ifindex) {
        auto it = dev.find(ifindex);
        return it == dev.end() ? std::to_string(ifindex) : it->second;
    };
    Table links({"IFINDEX", "NAME", "KIND", "MTU", "STATE", "OPERSTATE", "ADDRESS", "MASTER"});
    Table qdiscs({"DEV", "KIND", "HANDLE", "PARENT", "PARAMETERS"});
    Table classes({"DEV", "KIND", "CLASSID", "PARENT", "PARAMETERS"});
    Table filters({"DEV", "PARENT", "PRIO", "PROTOCOL", "CHAIN", "KIND", "HANDLE", "FLOWID"});
    for (const auto& o : objects) {
        const auto& type = o.get<0>();
        const auto& a = o.get<2>();
        if (type == "link") {
            const auto master = a.count("master") != 0 ? a.at("master").get<std::int32_t>() : 0;
            links.add({std::to_string(o.get<1>()), attr_text(a, "name"), attr_text(a, "kind"),
                       std::to_string(attr_u32(a, "mtu")), a.at("up").get<bool>() ? "up" : "down",
                       attr_text(a, "operstate"), attr_text(a, "address"), master != 0 ? dev_name(master) : ""});
        } else if (type == "qdisc" || type == "class") {
            const auto parent = attr_u32(a, "parent");
            (type == "qdisc" ? qdiscs : classes)
                .add({dev_name(o.get<1>()), attr_text(a, "kind"), format_tc_handle(attr_u32(a, "handle")),
                      parent == kTcRoot ? "root" : format_tc_handle(parent), tc_parameters_text(a)});
        } else if (type == "filter") {
            const auto handle = attr_u32(a, "handle");
            const auto protocol = a.count("protocol") != 0 ? a.at("protocol").get<std::uint16_t>() : 0;
            filters.add({dev_name(o.get<1>()), filter_parent_text(attr_u32(a, "parent")),
                         std::to_string(attr_u32(a, "priority")), protocol_name(protocol),
                         std::to_string(attr_u32(a, "chain")), attr_text(a, "kind"),
                         handle == 0 ? "-" : filter_handle_text(attr_text(a, "kind"), handle),
                         a.count("classid") != 0 ? format_tc_handle(attr_u32(a, "classid")) : "-"});
        }
    }
    std::printf("Namespace %s: state %s, seq %llu, %s, inode %llu\n\n", name.c_str(), ns.State().c_str(),
                static_cast<unsigned long long>(seq), ns.Path().c_str(), static_cast<unsigned long long>(ns.Inode()));
    links.print();
    const std::pair<const char*, const Table*> sections[] = {
        {"Qdiscs", &qdiscs}, {"Classes", &classes}, {"Filters", &filters}};
    for (const auto& [title, table] : sections) {
        if (table->size() != 0) {
            std::printf("\n%s:\n", title);
            table->print();
        }
    }
}

int run_status(sdbus::IConnection& connection, bool json)
{
    ManagerProxy manager(connection);
    StatusFigures figures;
    figures.version = manager.Version();
    figures.health = manager.Health();
    figures.health_reasons = manager.HealthReasons();
    figures.namespaces = manager.NamespaceCount();
    figures.events_published = manager.EventsPublished();
    figures.events_dropped = manager.EventsDropped();
    figures.resyncs = manager.Resyncs();
    if (json) {
        print_json(status_json(figures));
    } else {
        std::fputs(status_text(figures).c_str(), stdout);
    }
    return status_exit_code(figures.health);
}

void run_watch(sdbus::IConnection& connection, const std::string& path)
{
    ManagerProxy manager(connection);
    const auto [name, object] = manager.Watch(path);
    std::printf("%s %s\n", name.c_str(), object.c_str());
}

void run_unwatch(sdbus::IConnection& connection, const std::string& name)
{
    ManagerProxy manager(connection);
    manager.Unwatch(name);
}

} // namespace nswatch::ctl
