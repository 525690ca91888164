#pragma once
// The kernel's mount API of 6.8+ (statmount(2), listmount(2)) and the
// mount notifications of fanotify (6.15+: FAN_MNT_ATTACH / FAN_MNT_DETACH),
// as bytes: the ABI (Debian 12's headers predate it, so it is spelled out
// here from include/uapi/linux/{mount,fanotify}.h and checked against this
// machine's 6.18 kernel) and pure parsers for what the kernel writes.
//
// Why: mountinfo must be re-read whole after every change (O(mounts) per
// change); a notification names the one mount that changed and statmount
// reads just that one.
#include "netns/mountinfo.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace nswatch {

namespace mount_abi {

// fanotify_init() flag and fanotify_mark() type and mask bits.
inline constexpr unsigned kReportMnt = 0x00004000;      // FAN_REPORT_MNT
inline constexpr unsigned kMarkMntns = 0x00000110;      // FAN_MARK_MNTNS: the fd is a mount namespace
inline constexpr std::uint64_t kMntAttach = 0x01000000; // FAN_MNT_ATTACH
inline constexpr std::uint64_t kMntDetach = 0x02000000; // FAN_MNT_DETACH
inline constexpr std::uint64_t kQueueOverflow = 0x4000; // FAN_Q_OVERFLOW
inline constexpr std::uint8_t kInfoTypeMnt = 7;         // FAN_EVENT_INFO_TYPE_MNT
inline constexpr std::uint8_t kMetadataVersion = 3;     // FANOTIFY_METADATA_VERSION
inline constexpr std::size_t kMetadataSize = 24;        // struct fanotify_event_metadata
inline constexpr std::size_t kInfoMntSize = 16;         // struct fanotify_event_info_mnt

// listmount(2) / statmount(2) (x86_64 and the generic table agree).
inline constexpr long kSysStatmount = 457;
inline constexpr long kSysListmount = 458;
inline constexpr std::uint64_t kListmountRoot = ~std::uint64_t{0}; // LSMT_ROOT
inline constexpr std::uint32_t kMntIdReqSize = 24;                 // MNT_ID_REQ_SIZE_VER0

// struct mnt_id_req (version 0).
struct MntIdReq {
    std::uint32_t size = kMntIdReqSize;
    std::uint32_t spare = 0;
    std::uint64_t mnt_id = 0;
    std::uint64_t param = 0; // statmount: the mask; listmount: the last ID seen
};
static_assert(sizeof(MntIdReq) == kMntIdReqSize);

// statmount mask bits this code asks for.
inline constexpr std::uint64_t kStatMntBasic = 0x02; // STATMOUNT_MNT_BASIC: IDs
inline constexpr std::uint64_t kStatMntRoot = 0x08;  // STATMOUNT_MNT_ROOT
inline constexpr std::uint64_t kStatMntPoint = 0x10; // STATMOUNT_MNT_POINT
inline constexpr std::uint64_t kStatFsType = 0x20;   // STATMOUNT_FS_TYPE
inline constexpr std::uint64_t kStatWanted = kStatMntBasic | kStatMntRoot | kStatMntPoint | kStatFsType;

// Offsets in struct statmount; its strings follow the 512-byte header.
inline constexpr std::size_t kStatSize = 0;       // __u32 size (header and strings)
inline constexpr std::size_t kStatMask = 8;       // __u64 mask (what was written)
inline constexpr std::size_t kStatFsTypeStr = 36; // __u32 fs_type
inline constexpr std::size_t kStatMntId = 40;     // __u64 mnt_id
inline constexpr std::size_t kStatParentId = 48;  // __u64 mnt_parent_id
inline constexpr std::size_t kStatRootStr = 104;  // __u32 mnt_root
inline constexpr std::size_t kStatPointStr = 108; // __u32 mnt_point
inline constexpr std::size_t kStatHeader = 512;   // sizeof(struct statmount)

} // namespace mount_abi

enum class MountChange : std::uint8_t {
    Attached, // a mount appeared (or moved: detached then attached)
    Detached, // a mount went
    Overflow, // events were lost: the whole table must be read again
};

struct MountNotification {
    MountChange change = MountChange::Attached;
    std::uint64_t mount_id = 0; // unique 64-bit mount ID; 0 for Overflow

    bool operator==(const MountNotification&) const = default;
};

// The mount notifications in `bytes` (what one read() of a FAN_REPORT_MNT
// fanotify fd returned), in order. Events of other kinds are skipped; a
// malformed event (a length below its header or past the bytes, another
// metadata version, an attach/detach without its mount ID) ends the parse
// with an Overflow entry appended, so that the caller re-reads the table
// rather than trust the rest. Pure; any input is safe.
std::vector<MountNotification> parse_mount_notifications(std::span<const std::byte> bytes);

// The mount statmount(2) wrote into `bytes` (the buffer, at least as long as
// the size the kernel reports), as a MountRecord with the 64-bit IDs.
// nullopt when the size lies, a wanted part is missing from the mask, a
// string offset is out of range or its string unterminated, the mount point
// is not absolute, or an nsfs "net:" root is malformed. Pure.
std::optional<MountRecord> parse_statmount(std::span<const std::byte> bytes);

} // namespace nswatch
