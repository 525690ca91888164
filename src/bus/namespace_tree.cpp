#include "bus/namespace_tree.hpp"

#include "bus/namespace_object.hpp"
#include "bus/sd_bus_access.hpp"
#include "nswatch/dbus_names.hpp"

#include <sdbus-c++/Error.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace nswatch {

namespace {

// Whether the objects below kNamespacePathPrefix are descendants of
// `prefix` ("/", "/org", "/org/nswatch1" or the prefix itself): an object's
// own path, or a path deeper than it, has no namespace objects below it.
bool lists_namespaces(std::string_view prefix)
{
    const std::string_view ours = dbus::kNamespacePathPrefix;
    if (prefix == "/") {
        return true;
    }
    return ours.starts_with(prefix) && (ours.size() == prefix.size() || ours[prefix.size()] == '/');
}

} // namespace

NamespaceTree::NamespaceTree(const sdbus::Message& probe)
    : bus_(SdBusAccess::bus(probe)), sdbus_(SdBusAccess::sdbus(probe))
{
    sd_bus_slot* slot = nullptr;
    int r = sd_bus_add_fallback_vtable(bus_, &slot, dbus::kNamespacePathPrefix, dbus::kNamespaceInterface,
                                       NamespaceObject::vtable(), &NamespaceTree::find, this);
    SDBUS_THROW_ERROR_IF(r < 0, "Failed to add the namespace objects' fallback vtable", -r);
    vtable_.reset(slot);
    r = sd_bus_add_node_enumerator(bus_, &slot, dbus::kNamespacePathPrefix, &NamespaceTree::enumerate, this);
    SDBUS_THROW_ERROR_IF(r < 0, "Failed to add the namespace objects' node enumerator", -r);
    enumerator_.reset(slot);
}

NamespaceTree::~NamespaceTree() = default;

void NamespaceTree::add(NamespaceObject& object)
{
    // Names are unique and an object is gone before its name comes back, so
    // a path is never taken; if it were, the newer object answers. The key
    // views the object's own path: replaced with the entry, never left
    // pointing into an object that is gone.
    if (auto [it, inserted] = objects_.emplace(object.path(), &object); !inserted) {
        objects_.erase(it);
        objects_.emplace(object.path(), &object);
    }
}

void NamespaceTree::remove(const NamespaceObject& object) noexcept
{
    if (const auto it = objects_.find(object.path()); it != objects_.end() && it->second == &object) {
        objects_.erase(it);
    }
}

int NamespaceTree::find(sd_bus* /*bus*/, const char* path, const char* /*interface*/, void* userdata, void** found,
                        sd_bus_error* /*error*/) noexcept
{
    const auto& objects = static_cast<NamespaceTree*>(userdata)->objects_;
    const auto it = objects.find(std::string_view(path));
    if (it == objects.end()) {
        return 0; // not monitored (or the prefix itself): UnknownObject
    }
    *found = it->second;
    return 1;
}

int NamespaceTree::enumerate(sd_bus* /*bus*/, const char* prefix, void* userdata, char*** nodes,
                             sd_bus_error* /*error*/) noexcept
{
    // sd-bus takes the array and its strings (malloc'd) and keeps those below
    // `prefix`. It asks for every Introspect and GetManagedObjects; the
    // object of one namespace has no children, so it gets none.
    *nodes = nullptr;
    const auto& objects = static_cast<NamespaceTree*>(userdata)->objects_;
    if (!lists_namespaces(prefix)) {
        return 0;
    }
    auto* paths = static_cast<char**>(std::calloc(objects.size() + 1, sizeof(char*)));
    if (paths == nullptr) {
        return -ENOMEM;
    }
    std::size_t n = 0;
    for (const auto& entry : objects) {
        paths[n] = strndup(entry.first.data(), entry.first.size());
        if (paths[n] == nullptr) {
            for (std::size_t i = 0; i < n; ++i) {
                std::free(paths[i]);
            }
            std::free(paths);
            return -ENOMEM;
        }
        ++n;
    }
    *nodes = paths;
    return 0;
}

} // namespace nswatch
