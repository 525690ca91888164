// libFuzzer target: the parsers of fanotify mount notifications and of
// statmount records take any bytes without crashing or reading past them,
// and what they return is well-formed (attach/detach name a mount ID, an
// Overflow ends a malformed parse; records have absolute mount points).
#include "netns/mount_records.hpp"

#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // An exact-size copy, so ASan sees any read past the end.
    std::vector<std::byte> bytes(size);
    if (size != 0) {
        std::memcpy(bytes.data(), data, size);
    }
    for (const auto& note : nswatch::parse_mount_notifications(bytes)) {
        if (note.change != nswatch::MountChange::Overflow && note.mount_id == 0) {
            std::abort();
        }
    }
    if (const auto record = nswatch::parse_statmount(bytes)) {
        if (record->point.empty() || record->point[0] != '/') {
            std::abort();
        }
    }
    return 0;
}
