#include "events/namespace_mirror.hpp"

namespace nswatch {

SequencedEvent NamespaceMirror::record(ObjectEvent event)
{
    state_.apply(event);
    return SequencedEvent{++seq_, std::move(event)};
}

std::vector<SequencedEvent> NamespaceMirror::resync_to(const NamespaceState& target, std::uint64_t time_usec)
{
    std::vector<SequencedEvent> out;
    for (auto& event : state_.diff_to(target, time_usec)) {
        out.push_back(record(std::move(event)));
    }
    return out;
}

} // namespace nswatch
