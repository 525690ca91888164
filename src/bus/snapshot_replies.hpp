#pragma once
// GetState replies, written a slice of objects at a time.
//
// Why: a GetState of a namespace with 5,000 filters writes 5,100 objects
// (0.9 MiB); on a loaded 2-vCPU machine that held the bus thread for 25-80
// ms, and every other namespace's events waited for it. The reply is now
// begun by the call and finished by the bus loop, kSliceObjects at a time,
// with the rings drained between slices.
// Consistency: a reply is the mirror at one seq. Once the object exists,
// the mirror changes only through record() (each change a new seq), so a
// reply whose mirror moved on between slices is begun again, and then
// written whole in that round: it always completes.
// Threading: bus thread only, like the connection the replies go out on.
// Ownership: holds each pending call and its reply (sd-bus messages, which
// hold their bus); borrows the mirrors, whose objects cancel() their
// replies before they go.
#include "events/namespace_mirror.hpp"

#include <sdbus-c++/Message.h>

#include <cstddef>
#include <deque>

namespace nswatch {

class SnapshotReplies {
public:
    static constexpr std::size_t kSliceObjects = 512;

    // Begins the reply to `call`: the snapshot of `mirror`, for `owner`.
    void start(const sdbus::MethodCall& call, const NamespaceMirror& mirror, const void* owner);
    // Writes up to `objects` objects of the oldest reply and sends it once
    // complete. Returns whether replies remain.
    bool step(std::size_t objects = kSliceObjects);
    [[nodiscard]] bool pending() const noexcept { return !replies_.empty(); }
    // `owner` goes away (its namespace is no longer monitored): its calls
    // are answered with UnknownObject, as a call made after would be.
    void cancel(const void* owner);

private:
    struct Reply {
        sdbus::MethodCall call;
        sdbus::MethodReply reply;
        const NamespaceMirror* mirror;
        const void* owner;
        std::uint64_t seq = 0;   // the mirror's, when the reply was begun
        std::size_t written = 0; // objects, in the state's key order
        bool whole = false;      // begun again: written in one go
    };
    static void begin(Reply& reply);

    std::deque<Reply> replies_;
};

// The daemon's (one connection, one bus thread): the objects start and
// cancel replies here, the bus loop steps them.
SnapshotReplies& snapshot_replies();

} // namespace nswatch
