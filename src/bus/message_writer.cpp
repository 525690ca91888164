#include "bus/message_writer.hpp"

#include <string>

namespace nswatch {

namespace {

// D-Bus type codes of the attribute values (see the XML). sdbus-c++ takes
// signatures as std::string: built once here, not twice per attribute.
const std::string kString = "s";
const std::string kBool = "b";
const std::string kU16 = "q";
const std::string kI32 = "i";
const std::string kU32 = "u";
const std::string kU64 = "t";
const std::string kEntry = "sv";
const std::string kAttributes = "{sv}";
const std::string kEventStruct = "ttsia{sv}";
const std::string kSnapshotStruct = "sia{sv}";

const std::string& code(const std::string&)
{
    return kString;
}
const std::string& code(bool)
{
    return kBool;
}
const std::string& code(std::uint16_t)
{
    return kU16;
}
const std::string& code(std::int32_t)
{
    return kI32;
}
const std::string& code(std::uint32_t)
{
    return kU32;
}
const std::string& code(std::uint64_t)
{
    return kU64;
}

template <typename T>
void put(sdbus::Message& m, const char* key, const T& value)
{
    m.openDictEntry(kEntry);
    m << key;
    m.openVariant(code(value));
    m << value;
    m.closeVariant();
    m.closeDictEntry();
}

template <typename T>
void put(sdbus::Message& m, const char* key, const std::optional<T>& value)
{
    if (value) {
        put(m, key, *value);
    }
}

void put_params(sdbus::Message& m, const TcParams& p)
{
    put(m, "rate", p.rate);
    put(m, "ceil", p.ceil);
    put(m, "peakrate", p.peakrate);
    put(m, "burst", p.burst);
    put(m, "cburst", p.cburst);
    put(m, "limit", p.limit);
    put(m, "mtu", p.mtu);
    put(m, "prio", p.prio);
    put(m, "quantum", p.quantum);
    put(m, "default", p.default_class);
    put(m, "r2q", p.r2q);
    put(m, "direct_qlen", p.direct_qlen);
    put(m, "bands", p.bands);
}

struct WriteAttributes {
    sdbus::Message& m;

    template <typename QdiscOrClass>
    void tc_node(const QdiscOrClass& node) const
    {
        put(m, "kind", node.kind);
        put(m, "handle", node.handle);
        put(m, "parent", node.parent);
        put_params(m, node.params);
    }
    void operator()(const Qdisc& qdisc) const { tc_node(qdisc); }
    void operator()(const TcClass& tc_class) const { tc_node(tc_class); }
    void operator()(const Filter& filter) const
    {
        put(m, "kind", filter.kind);
        put(m, "handle", filter.handle);
        put(m, "parent", filter.parent);
        put(m, "priority", filter.priority);
        put(m, "protocol", filter.protocol);
        put(m, "chain", filter.chain);
        put(m, "classid", filter.classid);
    }
    void operator()(const Link& link) const
    {
        put(m, "name", link.name);
        put(m, "kind", link.kind);
        put(m, "mtu", link.mtu);
        put(m, "flags", link.flags);
        put(m, "up", link.up());
        put(m, "operstate", std::string(operstate_name(link.operstate)));
        put(m, "address", link.address);
        put(m, "master", link.master);
        put(m, "link_netnsid", link.link_netnsid);
    }
};

} // namespace

void write_attributes(sdbus::Message& message, const KernelObject& object)
{
    message.openContainer(kAttributes);
    std::visit(WriteAttributes{message}, object);
    message.closeContainer();
}

void write_event(sdbus::Message& message, const SequencedEvent& event)
{
    message.openStruct(kEventStruct);
    message << event.seq << event.event.time_usec << event_type_name(event.event) << object_ifindex(event.event.object);
    write_attributes(message, event.event.object);
    message.closeStruct();
}

void write_snapshot_object(sdbus::Message& message, const KernelObject& object)
{
    message.openStruct(kSnapshotStruct);
    message << std::string(object_type_name(object)) << object_ifindex(object);
    write_attributes(message, object);
    message.closeStruct();
}

} // namespace nswatch
