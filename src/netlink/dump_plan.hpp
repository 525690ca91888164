#pragma once
// What a (re)dump asks the kernel, phase by phase. Pure.
//
// The kernel allows one dump at a time per socket and scopes them
// differently: links and qdiscs are dumped for the whole namespace, classes
// per link, filters per (link, parent). So a dump runs in phases, each
// planned from what the previous phases found.
#include "events/namespace_state.hpp"
#include "events/refresh_scope.hpp"

#include <cstdint>
#include <vector>

namespace nswatch {

struct DumpRequest {
    int type = 0; // RTM_GETLINK, RTM_GETQDISC, RTM_GETTCLASS, RTM_GETTFILTER
    std::int32_t ifindex = 0;
    std::uint32_t parent = 0;

    bool operator==(const DumpRequest&) const = default;
};

enum class DumpPhase { Links, Qdiscs, Classes, Filters, Done };

// A full dump (scope == nullptr) starts with links; a refresh with qdiscs if
// it covers whole links, else with filters.
DumpPhase first_phase(const RefreshScope* scope) noexcept;
DumpPhase next_phase(DumpPhase phase) noexcept;

// The requests of `phase`, given `found`: what the dump has found so far
// (for a refresh: only objects within its scope).
std::vector<DumpRequest> plan_phase(DumpPhase phase, const NamespaceState& found, const RefreshScope* scope);

} // namespace nswatch
