#include "bus/attributes.hpp"

namespace nswatch {

namespace {
void add_params(Attributes& attrs, const TcParams& p)
{
    auto put = [&](const char* name, const auto& value) {
        if (value) {
            attrs.emplace(name, sdbus::Variant(*value));
        }
    };
    put("rate", p.rate);
    put("ceil", p.ceil);
    put("peakrate", p.peakrate);
    put("burst", p.burst);
    put("cburst", p.cburst);
    put("limit", p.limit);
    put("mtu", p.mtu);
    put("prio", p.prio);
    put("quantum", p.quantum);
    put("default", p.default_class);
    put("r2q", p.r2q);
    put("direct_qlen", p.direct_qlen);
    put("bands", p.bands);
}

template <typename QdiscOrClass>
Attributes tc_node_attributes(const QdiscOrClass& node)
{
    Attributes attrs{
        {"kind", sdbus::Variant(node.kind)},
        {"handle", sdbus::Variant(node.handle)},
        {"parent", sdbus::Variant(node.parent)},
    };
    add_params(attrs, node.params);
    return attrs;
}

struct ToAttributes {
    Attributes operator()(const Qdisc& qdisc) const { return tc_node_attributes(qdisc); }
    Attributes operator()(const TcClass& tc_class) const { return tc_node_attributes(tc_class); }
    Attributes operator()(const Filter& filter) const
    {
        Attributes attrs{
            {"kind", sdbus::Variant(filter.kind)},
            {"handle", sdbus::Variant(filter.handle)},
            {"parent", sdbus::Variant(filter.parent)},
            {"priority", sdbus::Variant(filter.priority)},
            {"protocol", sdbus::Variant(filter.protocol)},
            {"chain", sdbus::Variant(filter.chain)},
        };
        if (filter.classid) {
            attrs.emplace("classid", sdbus::Variant(*filter.classid));
        }
        return attrs;
    }
    Attributes operator()(const Link& link) const
    {
        return {
            {"name", sdbus::Variant(link.name)},
            {"kind", sdbus::Variant(link.kind)},
            {"mtu", sdbus::Variant(link.mtu)},
            {"flags", sdbus::Variant(link.flags)},
            {"up", sdbus::Variant(link.up())},
            {"operstate", sdbus::Variant(std::string(operstate_name(link.operstate)))},
            {"address", sdbus::Variant(link.address)},
            {"master", sdbus::Variant(link.master)},
            {"link_netnsid", sdbus::Variant(link.link_netnsid)},
        };
    }
};
} // namespace

Attributes to_attributes(const KernelObject& object)
{
    return std::visit(ToAttributes{}, object);
}

DbusEvent to_dbus(const SequencedEvent& event)
{
    return DbusEvent(event.seq, event.event.time_usec, event_type_name(event.event), object_ifindex(event.event.object),
                     to_attributes(event.event.object));
}

DbusObject to_dbus(const KernelObject& object)
{
    return DbusObject(std::string(object_type_name(object)), object_ifindex(object), to_attributes(object));
}

} // namespace nswatch
