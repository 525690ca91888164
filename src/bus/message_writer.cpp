#include "bus/message_writer.hpp"

#include "bus/attribute_list.hpp"
#include "bus/dbus_string.hpp"
#include "bus/sd_bus_access.hpp"

#include <sdbus-c++/Error.h>

#include <string>
#include <string_view>

namespace nswatch {

namespace {

// One a{sv} entry per call, with sd-bus's append calls, which return a
// negative errno; the first failure stops the rest (`result` keeps it).
struct SdBusAppender {
    sd_bus_message* m;
    int& result;

    void step(int r) const
    {
        if (result >= 0 && r < 0) {
            result = r;
        }
    }
    template <typename T>
    void entry(const char* key, const char* code, char type, const T* value) const
    {
        step(sd_bus_message_open_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv"));
        step(sd_bus_message_append_basic(m, SD_BUS_TYPE_STRING, key));
        step(sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, code));
        step(sd_bus_message_append_basic(m, type, value));
        step(sd_bus_message_close_container(m));
        step(sd_bus_message_close_container(m));
    }
    // Kernel strings (a link's name) need not be UTF-8: bad bytes are
    // replaced (dbus_string.hpp), as the wire writer does, not refused.
    void operator()(const char* key, std::string_view value) const
    {
        const std::string text = dbus_string(value);
        entry(key, "s", SD_BUS_TYPE_STRING, text.c_str());
    }
    void operator()(const char* key, bool value) const
    {
        const int b = value ? 1 : 0; // 'b' is passed as an int
        entry(key, "b", SD_BUS_TYPE_BOOLEAN, &b);
    }
    void operator()(const char* key, std::uint16_t value) const { entry(key, "q", SD_BUS_TYPE_UINT16, &value); }
    void operator()(const char* key, std::int32_t value) const { entry(key, "i", SD_BUS_TYPE_INT32, &value); }
    void operator()(const char* key, std::uint32_t value) const { entry(key, "u", SD_BUS_TYPE_UINT32, &value); }
    void operator()(const char* key, std::uint64_t value) const { entry(key, "t", SD_BUS_TYPE_UINT64, &value); }
};

} // namespace

int append_attributes(sd_bus_message* message, const KernelObject& object)
{
    int result = 0;
    SdBusAppender put{message, result};
    put.step(sd_bus_message_open_container(message, SD_BUS_TYPE_ARRAY, "{sv}"));
    for_each_attribute(object, put);
    put.step(sd_bus_message_close_container(message));
    return result;
}

void write_snapshot_object(sdbus::Message& message, const KernelObject& object)
{
    sd_bus_message* m = SdBusAccess::message(message);
    const std::string type(object_type_name(object));
    int r = sd_bus_message_open_container(m, SD_BUS_TYPE_STRUCT, "sia{sv}");
    if (r >= 0) {
        r = sd_bus_message_append(m, "si", type.c_str(), object_ifindex(object));
    }
    if (r >= 0) {
        r = append_attributes(m, object);
    }
    if (r >= 0) {
        r = sd_bus_message_close_container(m);
    }
    if (r < 0) {
        throw sdbus::createError(-r, "Failed to write a snapshot object");
    }
}

} // namespace nswatch
