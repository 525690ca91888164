#pragma once
// What the daemon knows about one monitored namespace besides its kernel
// objects: identity, monitoring state, cookie and who holds it. Plain values;
// the registry owns one per namespace and its D-Bus object reads it.
#include "netns/namespace_identity.hpp"
#include "netns/proc_info.hpp"

#include <cstdint>
#include <string>

namespace nswatch {

enum class MonitorState : std::uint8_t {
    Starting,   // its worker has not reported yet (no object on the bus)
    Monitoring, // events flow
    Failed,     // the worker's socket failed; it retries with backoff
};

struct NamespaceStatus {
    NamespaceIdentity identity;
    MonitorState state = MonitorState::Starting;
    std::string state_reason; // why state is not Monitoring; empty otherwise
    std::uint64_t cookie = 0; // SO_NETNS_COOKIE, once the worker has its socket
    HolderInfo holder;        // a process in the namespace (pid 0: none known)
    std::string container;    // from the holder's cgroup, else from the mount path
};

} // namespace nswatch
