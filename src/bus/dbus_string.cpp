#include "bus/dbus_string.hpp"

#include <cstdint>

namespace nswatch {

namespace {

// What sd-bus accepts (its unichar_is_valid), so a string it would take is
// written unchanged: no surrogates, nothing past U+10FFFF, none of the
// noncharacters U+FDD0..U+FDEF and U+xFFFE/U+xFFFF.
bool is_valid_code_point(std::uint32_t c) noexcept
{
    return c < 0x110000 && (c & 0xFFFFF800U) != 0xD800 && (c < 0xFDD0 || c > 0xFDEF) && (c & 0xFFFEU) != 0xFFFE;
}

// The length of the valid UTF-8 sequence at text[at], or 0 if there is none
// (a NUL counts as invalid: D-Bus strings cannot hold one).
std::size_t sequence_length(std::string_view text, std::size_t at) noexcept
{
    const auto lead = static_cast<unsigned char>(text[at]);
    if (lead != 0 && lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    std::uint32_t c = 0;
    if ((lead & 0xE0U) == 0xC0) {
        length = 2;
        c = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0) {
        length = 3;
        c = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0) {
        length = 4;
        c = lead & 0x07U;
    } else {
        return 0;
    }
    if (text.size() - at < length) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text[at + i]);
        if ((next & 0xC0U) != 0x80) {
            return 0;
        }
        c = (c << 6U) | (next & 0x3FU);
    }
    constexpr std::uint32_t kShortest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < kShortest[length] || !is_valid_code_point(c)) { // overlong or not allowed
        return 0;
    }
    return length;
}

// `text` with `bad(out, byte)` in place of each byte that starts no valid
// sequence (and, with `backslash_too`, of each backslash).
template <typename Bad>
std::string rewrite(std::string_view text, bool backslash_too, const Bad& bad)
{
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t at = 0; at < text.size();) {
        const std::size_t length = sequence_length(text, at);
        if (length == 0 || (backslash_too && text[at] == '\\')) {
            bad(out, static_cast<unsigned char>(text[at]));
            ++at;
        } else {
            out.append(text.substr(at, length));
            at += length;
        }
    }
    return out;
}

} // namespace

bool is_dbus_string(std::string_view text) noexcept
{
    std::size_t at = 0;
    while (at < text.size() && static_cast<unsigned char>(text[at]) - 1U < 0x7FU) { // ASCII but NUL: most names
        ++at;
    }
    while (at < text.size()) {
        const std::size_t length = sequence_length(text, at);
        if (length == 0) {
            return false;
        }
        at += length;
    }
    return true;
}

std::string to_dbus_string(std::string_view text)
{
    return rewrite(text, false, [](std::string& out, unsigned char /*byte*/) { out.append(kReplacementCharacter); });
}

std::string escape_name(std::string_view raw)
{
    if (is_dbus_string(raw) && raw.find('\\') == std::string_view::npos) {
        return std::string(raw);
    }
    return rewrite(raw, true, [](std::string& out, unsigned char byte) {
        constexpr std::string_view kHex = "0123456789abcdef";
        out.append("\\x");
        out.push_back(kHex[byte >> 4U]);
        out.push_back(kHex[byte & 0xFU]);
    });
}

} // namespace nswatch
