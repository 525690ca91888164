#include "events/namespace_state.hpp"

#include <iterator>

namespace nswatch {

namespace {

struct KeyOf {
    ObjectKey operator()(const Link& link) const noexcept { return ObjectKey{.ifindex = link.ifindex}; }
    ObjectKey operator()(const Qdisc& q) const noexcept
    {
        return ObjectKey{.ifindex = q.ifindex, .handle = q.handle, .parent = q.parent};
    }
    ObjectKey operator()(const TcClass& c) const noexcept
    {
        return ObjectKey{.ifindex = c.ifindex, .handle = c.handle, .parent = c.parent};
    }
    ObjectKey operator()(const Filter& f) const noexcept
    {
        return ObjectKey{.ifindex = f.ifindex,
                         .handle = f.handle,
                         .parent = f.parent,
                         .priority = f.priority,
                         .protocol = f.protocol,
                         .chain = f.chain};
    }
};

// Appends removals for `keys` in reverse key order: children (filters,
// classes) before the qdiscs and links they hang from.
void remove_keys(std::map<ObjectKey, KernelObject>& objects, const std::set<ObjectKey>& keys, std::uint64_t time_usec,
                 std::vector<ObjectEvent>& out)
{
    for (auto key = keys.rbegin(); key != keys.rend(); ++key) {
        auto it = objects.find(*key);
        if (it != objects.end()) {
            out.push_back(ObjectEvent{Change::Removed, time_usec, std::move(it->second)});
            objects.erase(it);
        }
    }
}

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

void NamespaceState::collect_subtree(const KernelObject& object, std::set<ObjectKey>& keys) const
{
    const ObjectKey self = key_of(object);
    keys.insert(self);
    std::vector<KernelObject> nested; // qdiscs below this object: their subtrees go too
    for_each_on_link(self.ifindex, [&](const ObjectKey& key, const KernelObject& candidate) {
        bool below = false;
        if (std::holds_alternative<Link>(object)) {
            below = true;
        } else if (const auto* q = std::get_if<Qdisc>(&object)) {
            // A default qdisc such as noqueue 0: (major 0) has nothing below it.
            const auto major = tc_major(q->handle);
            if (major == 0) {
                below = false;
            } else if (const auto* c = std::get_if<TcClass>(&candidate)) {
                below = tc_major(c->handle) == major;
            } else if (const auto* f = std::get_if<Filter>(&candidate)) {
                below = tc_major(f->parent) == major;
            } else if (const auto* child = std::get_if<Qdisc>(&candidate)) {
                below = child->parent != kTcRoot && tc_major(child->parent) == major && key != self;
            }
        } else if (const auto* c = std::get_if<TcClass>(&object)) {
            if (const auto* f = std::get_if<Filter>(&candidate)) {
                below = f->parent == c->handle;
            } else if (const auto* child = std::get_if<Qdisc>(&candidate)) {
                below = child->parent == c->handle;
            }
        } else if (const auto* f = std::get_if<Filter>(&object); f != nullptr && f->handle == 0) {
            if (const auto* other = std::get_if<Filter>(&candidate)) {
                below = other->parent == f->parent && other->chain == f->chain &&
                        (f->priority == 0 || other->priority == f->priority) &&
                        (f->protocol == 0 || other->protocol == f->protocol);
            }
        }
        if (below && keys.insert(key).second && std::holds_alternative<Qdisc>(candidate) &&
            !std::holds_alternative<Link>(object)) {
            nested.push_back(candidate);
        }
    });
    for (const auto& child : nested) {
        collect_subtree(child, keys);
    }
}

std::vector<ObjectEvent> NamespaceState::erase(const KernelObject& object, std::uint64_t time_usec)
{
    std::set<ObjectKey> keys;
    collect_subtree(object, keys);
    std::vector<ObjectEvent> events;
    remove_keys(objects_, keys, time_usec, events);
    return events;
}

std::vector<ObjectEvent> NamespaceState::replace_scope(const RefreshScope& scope, const NamespaceState& fresh,
                                                       std::uint64_t time_usec)
{
    std::set<ObjectKey> gone;
    for (const auto& [key, object] : objects_) {
        if (scope.contains(object) && !fresh.objects_.contains(key)) {
            gone.insert(key);
        }
    }
    std::vector<ObjectEvent> events;
    remove_keys(objects_, gone, time_usec, events);
    for (const auto& [key, object] : fresh.objects_) {
        if (auto event = upsert(object, time_usec)) {
            events.push_back(std::move(*event));
        }
    }
    return events;
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
    for (auto it = objects_.rbegin(); it != objects_.rend(); ++it) {
        if (!target.objects_.contains(it->first)) {
            events.push_back(ObjectEvent{Change::Removed, time_usec, it->second});
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

const KernelObject* NamespaceState::find(const ObjectKey& key) const
{
    auto it = objects_.find(key);
    return it == objects_.end() ? nullptr : &it->second;
}

} // namespace nswatch
