#include "netns/mount_records.hpp"

#include <cstring>
#include <string_view>

namespace nswatch {

namespace {

template <typename T>
T load(std::span<const std::byte> bytes, std::size_t offset)
{
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

// The NUL-terminated string at `offset` within the strings area; nullopt
// when it starts or runs past the area.
std::optional<std::string_view> string_at(std::span<const std::byte> strings, std::uint32_t offset)
{
    if (offset >= strings.size()) {
        return std::nullopt;
    }
    const char* begin = reinterpret_cast<const char*>(strings.data()) + offset;
    const void* nul = std::memchr(begin, '\0', strings.size() - offset);
    if (nul == nullptr) {
        return std::nullopt;
    }
    return std::string_view(begin, static_cast<std::size_t>(static_cast<const char*>(nul) - begin));
}

} // namespace

std::vector<MountNotification> parse_mount_notifications(std::span<const std::byte> bytes)
{
    using namespace mount_abi;
    std::vector<MountNotification> out;
    while (!bytes.empty()) {
        if (bytes.size() < kMetadataSize) {
            out.push_back({MountChange::Overflow, 0});
            return out;
        }
        const auto event_len = load<std::uint32_t>(bytes, 0);
        const auto version = load<std::uint8_t>(bytes, 4);
        const auto metadata_len = load<std::uint16_t>(bytes, 6);
        const auto mask = load<std::uint64_t>(bytes, 8);
        if (event_len < kMetadataSize || event_len > bytes.size() || version != kMetadataVersion ||
            metadata_len < kMetadataSize || metadata_len > event_len) {
            out.push_back({MountChange::Overflow, 0});
            return out;
        }
        const auto event = bytes.first(event_len);
        bytes = bytes.subspan(event_len);
        if ((mask & kQueueOverflow) != 0) {
            out.push_back({MountChange::Overflow, 0});
            continue;
        }
        if ((mask & (kMntAttach | kMntDetach)) == 0) {
            continue; // not ours
        }
        // Info records: {u8 type, u8 pad, u16 len} each, then the body.
        std::optional<std::uint64_t> mount_id;
        for (auto info = event.subspan(metadata_len); info.size() >= 4;) {
            const auto type = load<std::uint8_t>(info, 0);
            const auto len = load<std::uint16_t>(info, 2);
            if (len < 4 || len > info.size()) {
                break;
            }
            if (type == kInfoTypeMnt && len >= kInfoMntSize) {
                mount_id = load<std::uint64_t>(info, 8);
            }
            info = info.subspan(len);
        }
        if (!mount_id || *mount_id == 0) {
            out.push_back({MountChange::Overflow, 0});
            return out;
        }
        // Detach first: a move may come as one event with both bits.
        if ((mask & kMntDetach) != 0) {
            out.push_back({MountChange::Detached, *mount_id});
        }
        if ((mask & kMntAttach) != 0) {
            out.push_back({MountChange::Attached, *mount_id});
        }
    }
    return out;
}

std::optional<MountRecord> parse_statmount(std::span<const std::byte> bytes)
{
    using namespace mount_abi;
    if (bytes.size() < kStatHeader) {
        return std::nullopt;
    }
    const auto size = load<std::uint32_t>(bytes, kStatSize);
    const auto mask = load<std::uint64_t>(bytes, kStatMask);
    if (size < kStatHeader || size > bytes.size() || (mask & kStatWanted) != kStatWanted) {
        return std::nullopt;
    }
    const auto strings = bytes.subspan(kStatHeader, size - kStatHeader);
    const auto type = string_at(strings, load<std::uint32_t>(bytes, kStatFsTypeStr));
    const auto root = string_at(strings, load<std::uint32_t>(bytes, kStatRootStr));
    const auto point = string_at(strings, load<std::uint32_t>(bytes, kStatPointStr));
    if (!type || !root || !point || !point->starts_with('/')) {
        return std::nullopt;
    }
    const auto inode = net_namespace_inode(*type, *root);
    if (!inode) {
        return std::nullopt;
    }
    return MountRecord{load<std::uint64_t>(bytes, kStatMntId), load<std::uint64_t>(bytes, kStatParentId),
                       std::string(*point), *inode};
}

} // namespace nswatch
