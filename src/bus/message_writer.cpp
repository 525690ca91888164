#include "bus/message_writer.hpp"

#include "bus/attribute_list.hpp"
#include "bus/wire_writer.hpp"

#include <string>
#include <string_view>

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
const std::string kSnapshotStruct = "sia{sv}";

const std::string& code(std::string_view)
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

// Kernel strings (a link's name) need not be UTF-8: written as the wire
// writer writes them (bad bytes replaced), not refused by sd-bus.
void put_value(sdbus::Message& m, std::string_view value)
{
    m << (is_dbus_string(value) ? std::string(value) : to_dbus_string(value));
}
template <typename T>
void put_value(sdbus::Message& m, T value)
{
    m << value;
}

struct PutEntry {
    sdbus::Message& m;

    template <typename T>
    void operator()(const char* key, const T& value) const
    {
        m.openDictEntry(kEntry);
        m << key;
        m.openVariant(code(value));
        put_value(m, value);
        m.closeVariant();
        m.closeDictEntry();
    }
};

} // namespace

void write_attributes(sdbus::Message& message, const KernelObject& object)
{
    message.openContainer(kAttributes);
    for_each_attribute(object, PutEntry{message});
    message.closeContainer();
}

void write_snapshot_object(sdbus::Message& message, const KernelObject& object)
{
    message.openStruct(kSnapshotStruct);
    message << std::string(object_type_name(object)) << object_ifindex(object);
    write_attributes(message, object);
    message.closeStruct();
}

} // namespace nswatch
