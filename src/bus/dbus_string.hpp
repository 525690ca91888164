#pragma once
// Strings as D-Bus takes them: valid UTF-8 without NUL.
//
// Why: the kernel and the file system hand over bytes (a link's name, a
// file name in /run/netns, the command of a process any user can name).
// sd-bus refuses a string that is not UTF-8, sdbus-c++ then throws, and a
// throw while emitting ended nswatchd; dbus-daemon disconnects a peer that
// sends one. Every such string passes through dbus_string() on its way out;
// each bad byte becomes U+FFFD. Namespace names must also stay unique, so
// the names made from file names are escape_name()d where they are made
// (netns/mount_naming.cpp): bad bytes and backslashes as \xNN.
// Threading: none (pure functions).
#include <string>
#include <string_view>

namespace nswatch {

inline constexpr std::string_view kReplacementCharacter = "\xef\xbf\xbd"; // U+FFFD

// Whether `text` is valid UTF-8 with no NUL, as sd-bus checks it.
bool is_dbus_string(std::string_view text) noexcept;
// `text` with every byte that is not part of a valid UTF-8 sequence, and
// every NUL, replaced by U+FFFD.
std::string to_dbus_string(std::string_view text);
// A namespace name made of file-system bytes (a /run/netns file name, a
// mount point): `raw` itself when it is valid UTF-8 without a backslash;
// otherwise each byte that is not part of valid UTF-8, and each backslash,
// written as \xNN. Unlike U+FFFD this keeps names unique (the mapping is
// one-to-one: every backslash in the result starts an escape), as the
// contract requires of namespace names.
std::string escape_name(std::string_view raw);
// `text` itself when valid, else to_dbus_string(text).
inline std::string dbus_string(std::string_view text)
{
    return is_dbus_string(text) ? std::string(text) : to_dbus_string(text);
}

} // namespace nswatch
