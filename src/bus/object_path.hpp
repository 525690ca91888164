#pragma once
#include <string>

namespace nswatch {

// "/org/nswatch1/netns/" + name escaped by sd_bus_path_encode rules
// ("default" → …/default, "ns-1" → …/ns_2d1).
std::string namespace_object_path(const std::string& name);

} // namespace nswatch
