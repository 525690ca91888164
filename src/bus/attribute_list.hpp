#pragma once
// The contract's a{sv} attributes of each kind of kernel object, in the
// order they are written (dbus/org.nswatch1.Namespace.xml lists them). The
// one place that says which attribute has which name and D-Bus type: the
// sd-bus writer of snapshots (message_writer.cpp) and the wire writer of
// `Events` (events_message.cpp) both take them from here.
//
// `put(key, value)` is called once per attribute present, with value one of
// std::string_view ('s'), bool ('b'), std::uint16_t ('q'), std::int32_t
// ('i'), std::uint32_t ('u'), std::uint64_t ('t'); absent optionals are
// left out. Threading: none.
#include "events/event.hpp"

#include <optional>
#include <string_view>
#include <variant>

namespace nswatch {

namespace attribute_list_detail {

template <typename Put, typename T>
void put_optional(Put& put, const char* key, const std::optional<T>& value)
{
    if (value) {
        put(key, *value);
    }
}

template <typename Put>
void put_params(Put& put, const TcParams& p)
{
    put_optional(put, "rate", p.rate);
    put_optional(put, "ceil", p.ceil);
    put_optional(put, "peakrate", p.peakrate);
    put_optional(put, "burst", p.burst);
    put_optional(put, "cburst", p.cburst);
    put_optional(put, "limit", p.limit);
    put_optional(put, "mtu", p.mtu);
    put_optional(put, "prio", p.prio);
    put_optional(put, "quantum", p.quantum);
    put_optional(put, "default", p.default_class);
    put_optional(put, "r2q", p.r2q);
    put_optional(put, "direct_qlen", p.direct_qlen);
    put_optional(put, "bands", p.bands);
}

template <typename Put>
struct Visit {
    Put& put;

    template <typename QdiscOrClass>
    void tc_node(const QdiscOrClass& node) const
    {
        put("kind", std::string_view(node.kind));
        put("handle", node.handle);
        put("parent", node.parent);
        put_params(put, node.params);
    }
    void operator()(const Qdisc& qdisc) const { tc_node(qdisc); }
    void operator()(const TcClass& tc_class) const { tc_node(tc_class); }
    void operator()(const Filter& filter) const
    {
        put("kind", std::string_view(filter.kind));
        put("handle", filter.handle);
        put("parent", filter.parent);
        put("priority", filter.priority);
        put("protocol", filter.protocol);
        put("chain", filter.chain);
        put_optional(put, "classid", filter.classid);
    }
    void operator()(const Link& link) const
    {
        put("name", std::string_view(link.name));
        put("kind", std::string_view(link.kind));
        put("mtu", link.mtu);
        put("flags", link.flags);
        put("up", link.up());
        put("operstate", operstate_name(link.operstate));
        put("address", std::string_view(link.address));
        put("master", link.master);
        put("link_netnsid", link.link_netnsid);
    }
};

} // namespace attribute_list_detail

template <typename Put>
void for_each_attribute(const KernelObject& object, Put&& put)
{
    std::visit(attribute_list_detail::Visit<Put>{put}, object);
}

} // namespace nswatch
