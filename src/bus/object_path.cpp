#include "bus/object_path.hpp"

#include "nswatch/dbus_names.hpp"

#include <systemd/sd-bus.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace nswatch {

std::string namespace_object_path(const std::string& name)
{
    char* raw = nullptr;
    if (sd_bus_path_encode(dbus::kNamespacePathPrefix, name.c_str(), &raw) < 0) {
        throw std::bad_alloc();
    }
    std::unique_ptr<char, decltype(&std::free)> owned(raw, &std::free);
    return owned.get();
}

} // namespace nswatch
