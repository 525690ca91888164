#include "bus/snapshot_replies.hpp"

#include "bus/message_writer.hpp"

#include <sdbus-c++/Error.h>

#include <algorithm>

namespace nswatch {

void SnapshotReplies::begin(Reply& r)
{
    r.reply = r.call.createReply();
    r.seq = r.mirror->seq();
    r.written = 0;
    r.reply << r.seq;
    r.reply.openContainer(kSnapshotObjectSignature);
}

void SnapshotReplies::start(const sdbus::MethodCall& call, const NamespaceMirror& mirror, const void* owner)
{
    Reply r{.call = call, .reply = {}, .mirror = &mirror, .owner = owner};
    begin(r);
    replies_.push_back(std::move(r));
}

bool SnapshotReplies::step(std::size_t objects)
{
    if (replies_.empty()) {
        return false;
    }
    Reply& r = replies_.front();
    if (r.mirror->seq() != r.seq) {
        begin(r); // the mirror moved on: the slices written so far are stale
        r.whole = true;
    }
    const auto& state = r.mirror->state();
    const std::size_t end = r.whole ? state.size() : std::min(state.size(), r.written + objects);
    // The state has no iterator to resume from: each slice walks the map
    // from its start, which costs little next to writing the objects (a
    // pointer step per object skipped, no serialization).
    std::size_t index = 0;
    state.for_each([&](const KernelObject& object) {
        if (index >= r.written && index < end) {
            write_snapshot_object(r.reply, object);
        }
        ++index;
    });
    r.written = end;
    if (r.written == state.size()) {
        r.reply.closeContainer();
        r.reply.send();
        replies_.pop_front();
    }
    return !replies_.empty();
}

void SnapshotReplies::cancel(const void* owner)
{
    for (auto it = replies_.begin(); it != replies_.end();) {
        if (it->owner == owner) {
            try {
                it->call
                    .createErrorReply(sdbus::Error("org.freedesktop.DBus.Error.UnknownObject",
                                                   "the network namespace is no longer monitored"))
                    .send();
            } catch (const sdbus::Error&) {
                // The bus has gone: nobody waits for this answer any more.
            }
            it = replies_.erase(it);
        } else {
            ++it;
        }
    }
}

SnapshotReplies& snapshot_replies()
{
    static SnapshotReplies replies;
    return replies;
}

} // namespace nswatch
