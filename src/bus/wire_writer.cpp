#include "bus/wire_writer.hpp"

#include "bus/dbus_string.hpp"

#include <cstring>

namespace nswatch {

void WireWriter::string(std::string_view value)
{
    if (is_dbus_string(value)) {
        counted(value);
    } else {
        counted(to_dbus_string(value));
    }
}

void WireWriter::counted(std::string_view value)
{
    align(4);
    char* at = grow(4 + value.size() + 1);
    put_u32(at, static_cast<std::uint32_t>(value.size()));
    std::memcpy(at + 4, value.data(), value.size());
    at[4 + value.size()] = '\0';
}

void WireWriter::signature(std::string_view value)
{
    char* at = grow(1 + value.size() + 1);
    at[0] = static_cast<char>(value.size());
    std::memcpy(at + 1, value.data(), value.size());
    at[1 + value.size()] = '\0';
}

void WireWriter::dict_entry_key(std::string_view key, char code)
{
    align(8);
    char* at = grow(4 + key.size() + 1 + 3);
    put_u32(at, static_cast<std::uint32_t>(key.size()));
    std::memcpy(at + 4, key.data(), key.size());
    at += 4 + key.size();
    at[0] = '\0';
    at[1] = 1; // the signature's length
    at[2] = code;
    at[3] = '\0';
}

WireWriter::Array WireWriter::begin_array(std::size_t element_alignment)
{
    u32(0);
    const std::size_t length_at = out_.size() - 4;
    align(element_alignment);
    return {length_at, out_.size()};
}

void WireWriter::end_array(const Array& array)
{
    patch_u32(array.length_at, static_cast<std::uint32_t>(out_.size() - array.start));
}

void WireWriter::patch_u32(std::size_t at, std::uint32_t value)
{
    put_u32(out_.data() + at, value);
}

} // namespace nswatch
