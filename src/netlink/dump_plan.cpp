#include "netlink/dump_plan.hpp"

#include <linux/rtnetlink.h>

#include <set>
#include <utility>

namespace nswatch {

DumpPhase first_phase(const RefreshScope* scope) noexcept
{
    if (scope == nullptr) {
        return DumpPhase::Links;
    }
    return scope->links.empty() ? DumpPhase::Filters : DumpPhase::Qdiscs;
}

DumpPhase next_phase(DumpPhase phase) noexcept
{
    switch (phase) {
    case DumpPhase::Links: return DumpPhase::Qdiscs;
    case DumpPhase::Qdiscs: return DumpPhase::Classes;
    case DumpPhase::Classes: return DumpPhase::Filters;
    case DumpPhase::Filters:
    case DumpPhase::Done: return DumpPhase::Done;
    }
    return DumpPhase::Done;
}

namespace {

// Where filters can hang: every qdisc and class (by handle), and the ingress
// and egress hooks of clsact/ingress qdiscs.
void filter_parents_of(const KernelObject& object, std::set<std::pair<std::int32_t, std::uint32_t>>& out)
{
    if (const auto* q = std::get_if<Qdisc>(&object)) {
        if (q->kind == "clsact" || q->kind == "ingress") {
            out.insert({q->ifindex, kTcIngressParent});
            out.insert({q->ifindex, kTcEgressParent});
        } else if (q->handle != 0) {
            out.insert({q->ifindex, q->handle});
        }
    } else if (const auto* c = std::get_if<TcClass>(&object)) {
        out.insert({c->ifindex, c->handle});
    }
}

} // namespace

std::vector<DumpRequest> plan_phase(DumpPhase phase, const NamespaceState& found, const RefreshScope* scope)
{
    std::vector<DumpRequest> requests;
    switch (phase) {
    case DumpPhase::Links:
        if (scope == nullptr) {
            requests.push_back({RTM_GETLINK});
        }
        break;
    case DumpPhase::Qdiscs:
        if (scope == nullptr || !scope->links.empty()) {
            requests.push_back({RTM_GETQDISC}); // the kernel cannot scope qdisc dumps to a link
        }
        break;
    case DumpPhase::Classes:
        if (scope == nullptr) {
            found.for_each([&](const KernelObject& object) {
                if (const auto* link = std::get_if<Link>(&object)) {
                    requests.push_back({RTM_GETTCLASS, link->ifindex});
                }
            });
        } else {
            for (const auto ifindex : scope->links) {
                requests.push_back({RTM_GETTCLASS, ifindex});
            }
        }
        break;
    case DumpPhase::Filters: {
        std::set<std::pair<std::int32_t, std::uint32_t>> parents;
        found.for_each([&](const KernelObject& object) { filter_parents_of(object, parents); });
        if (scope != nullptr) {
            parents.insert(scope->filter_parents.begin(), scope->filter_parents.end());
        }
        for (const auto& [ifindex, parent] : parents) {
            requests.push_back({RTM_GETTFILTER, ifindex, parent});
        }
        break;
    }
    case DumpPhase::Done: break;
    }
    return requests;
}

} // namespace nswatch
