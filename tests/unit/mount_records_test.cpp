#include "netns/mount_records.hpp"

#include "fixtures/hex_bytes.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <vector>

using namespace nswatch;
using nswatch::fixtures::hex_bytes;

namespace {

// Captured on the development VM (kernel 6.18) by a throwaway program with a
// fanotify fd (FAN_REPORT_MNT, FAN_MARK_MNTNS on its own mount namespace,
// FAN_MNT_ATTACH | FAN_MNT_DETACH) in a private mount namespace:
// `mount -t tmpfs tmpfs /tmp/capx; touch /tmp/capx/ns1;
// unshare --net=/tmp/capx/ns1 true` gives two attach events (mount IDs
// 0x800f07a6 and 0x800f07af) ...
constexpr auto kAttachTwo =
    hex_bytes("28000000030018000000000100000000ffffffffe22000000700100000000000a6070f80000000002800000003001800"
              "0000000100000000ffffffffe42000000700100000000000af070f8000000000");
// ... statmount(0x800f07af, MNT_BASIC | MNT_ROOT | MNT_POINT | FS_TYPE)
// gives nsfs, root "net:[4026601592]", point "/tmp/capx/ns1" ...
constexpr auto kStatNsfs =
    hex_bytes("25020000000000003a00000000000000000000000000000000000000000000000000000001000000af070f8000000000"
              "a6070f800000000086040000830400002000000000000000000004000000000000000000000000000000000000000000"
              "000000000000000006000000170000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
              "0000000000000000000000000000000000000000000000000000000000000000006e736673006e65743a5b3430323636"
              "30313539325d002f746d702f636170782f6e733100");
// ... and `umount /tmp/capx/ns1; umount /tmp/capx` two detach events.
constexpr auto kDetachTwo =
    hex_bytes("28000000030018000000000200000000ffffffffed2000000700100000000000af070f80000000002800000003001800"
              "0000000200000000ffffffffee2000000700100000000000a6070f8000000000");

template <std::size_t N>
std::vector<std::byte> copy_of(const std::array<std::byte, N>& bytes)
{
    return {bytes.begin(), bytes.end()};
}

} // namespace

TEST_CASE("mount notifications name each attached and detached mount", "[unit][mountinfo]")
{
    CHECK(parse_mount_notifications(kAttachTwo) ==
          std::vector<MountNotification>{{MountChange::Attached, 0x800f07a6}, {MountChange::Attached, 0x800f07af}});
    CHECK(parse_mount_notifications(kDetachTwo) ==
          std::vector<MountNotification>{{MountChange::Detached, 0x800f07af}, {MountChange::Detached, 0x800f07a6}});
    CHECK(parse_mount_notifications({}).empty());
}

TEST_CASE("malformed mount notifications end in an overflow, so the table is read again", "[unit][mountinfo]")
{
    const std::vector<MountNotification> overflow{{MountChange::Overflow, 0}};
    auto bytes = copy_of(kAttachTwo);
    SECTION("a length past the bytes")
    {
        bytes.pop_back(); // the second event lost a byte
        CHECK(parse_mount_notifications(bytes) ==
              std::vector<MountNotification>{{MountChange::Attached, 0x800f07a6}, {MountChange::Overflow, 0}});
    }
    SECTION("a length below the header")
    {
        bytes[0] = std::byte{8};
        CHECK(parse_mount_notifications(bytes) == overflow);
    }
    SECTION("another metadata version")
    {
        bytes[4] = std::byte{2};
        CHECK(parse_mount_notifications(bytes) == overflow);
    }
    SECTION("an attach without its mount record")
    {
        bytes[24] = std::byte{1}; // info type FID, not MNT
        CHECK(parse_mount_notifications(std::span(bytes).first(40)) == overflow);
    }
    SECTION("the kernel's own overflow event")
    {
        bytes[10] = std::byte{0};   // mask: not attach
        bytes[9] = std::byte{0x40}; // FAN_Q_OVERFLOW (0x4000)
        CHECK(parse_mount_notifications(std::span(bytes).first(40)) == overflow);
    }
}

TEST_CASE("statmount of an nsfs mount gives its point, IDs and namespace inode", "[unit][mountinfo]")
{
    const auto record = parse_statmount(kStatNsfs);
    REQUIRE(record);
    CHECK(record->id == 0x800f07af);
    CHECK(record->parent == 0x800f07a6);
    CHECK(record->point == "/tmp/capx/ns1");
    CHECK(record->net_inode == 4026601592);
}

TEST_CASE("a statmount record that lies is rejected", "[unit][mountinfo]")
{
    auto bytes = copy_of(kStatNsfs);
    SECTION("shorter than the size it states")
    {
        CHECK_FALSE(parse_statmount(std::span(bytes).first(bytes.size() - 1)));
    }
    SECTION("a string offset past the strings")
    {
        bytes[108] = std::byte{0xff};
        CHECK_FALSE(parse_statmount(bytes));
    }
    SECTION("an unterminated last string")
    {
        bytes.back() = std::byte{'x'};
        CHECK_FALSE(parse_statmount(bytes));
    }
    SECTION("the mount point missing from the mask")
    {
        bytes[8] = std::byte{0x2a};
        CHECK_FALSE(parse_statmount(bytes));
    }
    SECTION("a malformed net root")
    {
        const std::uint32_t root = 512 + 6;
        bytes[root + 4] = std::byte{'x'}; // "net:x4026601592]"
        CHECK_FALSE(parse_statmount(bytes));
    }
}
