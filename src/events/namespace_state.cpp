#include "events/namespace_state.hpp"

namespace nswatch {

namespace {
struct KeyOf {
    ObjectKey operator()(const Link& link) const noexcept
    {
        return ObjectKey{.ifindex = link.ifindex, .type = 0};
    }
};
} // namespace

ObjectKey key_of(const KernelObject& object) noexcept
{
    ObjectKey key = std::visit(KeyOf{}, object);
    key.type = static_cast<std::uint8_t>(object.index());
    return key;
}

std::optional<ObjectEvent> NamespaceState::upsert(const KernelObject& object, std::uint64_t time_usec)
{
    auto [it, inserted] = objects_.try_emplace(key_of(object), object);
    if (inserted) {
        return ObjectEvent{Change::Added, time_usec, object};
    }
    if (it->second == object) {
        return std::nullopt;
    }
    it->second = object;
    return ObjectEvent{Change::Changed, time_usec, object};
}

std::optional<ObjectEvent> NamespaceState::erase(const KernelObject& object, std::uint64_t time_usec)
{
    auto it = objects_.find(key_of(object));
    if (it == objects_.end()) {
        return std::nullopt;
    }
    ObjectEvent event{Change::Removed, time_usec, std::move(it->second)};
    objects_.erase(it);
    return event;
}

void NamespaceState::apply(const ObjectEvent& event)
{
    if (event.change == Change::Removed) {
        objects_.erase(key_of(event.object));
    } else {
        objects_.insert_or_assign(key_of(event.object), event.object);
    }
}

std::vector<ObjectEvent> NamespaceState::diff_to(const NamespaceState& target, std::uint64_t time_usec) const
{
    std::vector<ObjectEvent> events;
    for (const auto& [key, object] : objects_) {
        if (!target.objects_.contains(key)) {
            events.push_back(ObjectEvent{Change::Removed, time_usec, object});
        }
    }
    for (const auto& [key, object] : target.objects_) {
        auto it = objects_.find(key);
        if (it == objects_.end()) {
            events.push_back(ObjectEvent{Change::Added, time_usec, object});
        } else if (!(it->second == object)) {
            events.push_back(ObjectEvent{Change::Changed, time_usec, object});
        }
    }
    return events;
}

std::vector<KernelObject> NamespaceState::objects() const
{
    std::vector<KernelObject> out;
    out.reserve(objects_.size());
    for (const auto& entry : objects_) {
        out.push_back(entry.second);
    }
    return out;
}

const KernelObject* NamespaceState::find(const ObjectKey& key) const
{
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

} // namespace nswatch
