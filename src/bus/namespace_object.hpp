#pragma once
// org.nswatch1.Namespace: one object per monitored namespace.
//
// Threading: bus thread only (like every sdbus-c++ object here).
// Ownership: owned by its registry entry, and reads that entry's identity,
// mirror and state by reference; the entry outlives it.
#include "events/namespace_mirror.hpp"
#include "netns/namespace_identity.hpp"

#include "namespace_adaptor.h"

#include <sdbus-c++/sdbus-c++.h>

#include <string>
#include <vector>

namespace nswatch {

class NamespaceObject final
    : public sdbus::AdaptorInterfaces<org::nswatch1::Namespace_adaptor, sdbus::Properties_adaptor,
                                      sdbus::ManagedObject_adaptor> {
public:
    NamespaceObject(sdbus::IConnection& connection, const NamespaceIdentity& identity, const NamespaceMirror& mirror,
                    const std::string& state);
    NamespaceObject(const NamespaceObject&) = delete;
    NamespaceObject& operator=(const NamespaceObject&) = delete;
    ~NamespaceObject();

    // ObjectManager InterfacesAdded / InterfacesRemoved for this object.
    void announce();
    void withdraw();

    // One Events signal per call; the caller bounds the batch size.
    void publish_events(const std::vector<SequencedEvent>& events);
    void publish_resynced(const std::string& reason);
    void publish_state_changed();

private:
    std::tuple<std::uint64_t, std::vector<sdbus::Struct<std::string, std::int32_t, std::map<std::string, sdbus::Variant>>>>
    GetState() override;
    std::string Name() override { return identity_.name; }
    std::string Source() override { return identity_.source; }
    std::uint64_t Inode() override { return identity_.inode; }
    std::string Path() override { return identity_.path; }
    std::string State() override { return state_; }
    std::uint64_t Seq() override { return mirror_.seq(); }

    const NamespaceIdentity& identity_;
    const NamespaceMirror& mirror_;
    const std::string& state_;
};

} // namespace nswatch
