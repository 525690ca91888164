#include "bus/attributes.hpp"

namespace nswatch {

namespace {
struct ToAttributes {
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
