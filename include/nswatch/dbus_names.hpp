#pragma once
// Names of the nswatch D-Bus API, version 1 (see dbus/*.xml and README.md).
namespace nswatch::dbus {

inline constexpr const char* kServiceName = "org.nswatch1";
inline constexpr const char* kManagerPath = "/org/nswatch1";
inline constexpr const char* kNamespacePathPrefix = "/org/nswatch1/netns";
inline constexpr const char* kManagerInterface = "org.nswatch1.Manager";
inline constexpr const char* kNamespaceInterface = "org.nswatch1.Namespace";

inline constexpr const char* kErrorNoSuchNamespace = "org.nswatch1.Error.NoSuchNamespace";
inline constexpr const char* kErrorInvalidArgs = "org.freedesktop.DBus.Error.InvalidArgs";
inline constexpr const char* kErrorAccessDenied = "org.freedesktop.DBus.Error.AccessDenied";
inline constexpr const char* kErrorFailed = "org.freedesktop.DBus.Error.Failed";

} // namespace nswatch::dbus
