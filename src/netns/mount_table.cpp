#include "netns/mount_table.hpp"

#include <fcntl.h>
#include <sys/fanotify.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace nswatch {

namespace {

std::string errno_text(const char* what)
{
    return std::string(what) + ": " + std::strerror(errno);
}

} // namespace

std::optional<MountTable> MountTable::open(std::string& why)
{
    UniqueFd notify(::fanotify_init(
        FAN_CLASS_NOTIF | mount_abi::kReportMnt | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE, O_RDONLY));
    if (!notify) {
        why = errno_text("fanotify_init(FAN_REPORT_MNT)");
        return std::nullopt;
    }
    const UniqueFd mntns(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!mntns) {
        why = errno_text("open /proc/self/ns/mnt");
        return std::nullopt;
    }
    if (::fanotify_mark(notify.get(), FAN_MARK_ADD | mount_abi::kMarkMntns,
                        mount_abi::kMntAttach | mount_abi::kMntDetach, mntns.get(), nullptr) != 0) {
        why = errno_text("fanotify_mark(FAN_MARK_MNTNS)");
        return std::nullopt;
    }
    MountTable table(std::move(notify));
    if (!table.list_all()) {
        why = errno_text("listmount");
        return std::nullopt;
    }
    if (table.mounts_.empty()) {
        // Every mount namespace has a root mount: statmount itself failed
        // (a seccomp filter that knows listmount but not statmount).
        why = "statmount: " + std::string(std::strerror(table.last_stat_errno_));
        return std::nullopt;
    }
    return table;
}

bool MountTable::list_all()
{
    std::vector<std::uint64_t> ids(1024);
    std::vector<std::uint64_t> all;
    mount_abi::MntIdReq request;
    request.mnt_id = mount_abi::kListmountRoot;
    for (;;) {
        const long got = ::syscall(mount_abi::kSysListmount, &request, ids.data(), ids.size(), 0U);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        all.insert(all.end(), ids.begin(), ids.begin() + got);
        if (static_cast<std::size_t>(got) < ids.size()) {
            break;
        }
        request.param = ids.back(); // continue after the last one
    }
    mounts_.clear();
    for (const std::uint64_t id : all) {
        stat_into_table(id); // a mount gone meanwhile is skipped: its detach is queued
    }
    return true;
}

bool MountTable::stat_into_table(std::uint64_t id)
{
    mount_abi::MntIdReq request;
    request.mnt_id = id;
    request.param = mount_abi::kStatWanted;
    if (buffer_.size() < 4096) {
        buffer_.resize(4096);
    }
    for (;;) {
        if (::syscall(mount_abi::kSysStatmount, &request, buffer_.data(), buffer_.size(), 0U) == 0) {
            break;
        }
        if (errno == EOVERFLOW && buffer_.size() < (1U << 20)) {
            buffer_.resize(buffer_.size() * 2); // a very long mount point
            continue;
        }
        if (errno != EINTR) {
            last_stat_errno_ = errno;
            mounts_.erase(id); // ENOENT: detached already
            return false;
        }
    }
    auto record = parse_statmount(buffer_);
    if (!record) {
        spdlog::debug("statmount of mount {} gave an unreadable record; ignored", id);
        mounts_.erase(id);
        return false;
    }
    mounts_.insert_or_assign(id, std::move(*record));
    return true;
}

bool MountTable::read_changes()
{
    bool changed = false;
    bool relist = false;
    std::vector<std::byte> events(std::size_t{64} * 1024);
    for (;;) {
        const ssize_t got = ::read(notify_.get(), events.data(), events.size());
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                spdlog::warn("reading mount notifications failed ({}); reading the whole mount table",
                             std::strerror(errno));
                relist = true;
            }
            break;
        }
        if (got == 0) {
            break;
        }
        for (const auto& note : parse_mount_notifications(std::span(events).first(static_cast<std::size_t>(got)))) {
            switch (note.change) {
            case MountChange::Overflow: relist = true; break;
            case MountChange::Detached: changed = mounts_.erase(note.mount_id) > 0 || changed; break;
            case MountChange::Attached:
                stat_into_table(note.mount_id);
                changed = true;
                break;
            }
        }
    }
    if (relist) {
        spdlog::info("mount notifications overflowed; reading the whole mount table");
        list_all();
        changed = true;
    }
    return changed;
}

std::vector<NsfsMount> MountTable::nsfs_mounts() const
{
    std::vector<MountRecord> all;
    all.reserve(mounts_.size());
    for (const auto& [id, record] : mounts_) {
        all.push_back(record);
    }
    return visible_nsfs_mounts(all);
}

} // namespace nswatch
