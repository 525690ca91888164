#include "netns/process_source.hpp"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <span>

#include <spdlog/spdlog.h>

namespace nswatch {

namespace {
constexpr std::chrono::seconds kScanWithConnector{30};
constexpr std::chrono::seconds kScanWithoutConnector{2};

// A non-blocking rtnetlink socket in the daemon's namespace that receives
// RTM_NEWNSID/RTM_DELNSID; invalid if it cannot be made (then: no trigger).
UniqueFd open_nsid_socket()
{
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
    const int group = RTNLGRP_NSID;
    if (fd && ::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
        fd.reset();
    }
    return fd;
}
// Whether a datagram of rtnetlink messages holds an RTM_NEWNSID. Reads
// headers with memcpy (the buffer has no alignment) and checks each length.
bool has_new_nsid(std::span<const char> datagram)
{
    while (datagram.size() >= sizeof(nlmsghdr)) {
        nlmsghdr hdr{};
        std::memcpy(&hdr, datagram.data(), sizeof hdr);
        if (hdr.nlmsg_len < sizeof hdr || hdr.nlmsg_len > datagram.size()) {
            return false;
        }
        if (hdr.nlmsg_type == RTM_NEWNSID) {
            return true;
        }
        datagram = datagram.subspan(std::min<std::size_t>(NLMSG_ALIGN(hdr.nlmsg_len), datagram.size()));
    }
    return false;
}
} // namespace

ProcessSource::ProcessSource(EventLoop& loop, ProcessSourceOptions options, std::function<void()> changed)
    : options_(options), changed_(std::move(changed)), self_(::getpid()),
      scan_timer_(loop.add_timer([this] { rescan(); }))
{
    std::string why_not = "disabled";
    if (options_.use_connector) {
        connector_ = ProcConnector::open(why_not);
    }
    const auto interval = options_.scan_interval.value_or(connector_ ? kScanWithConnector : kScanWithoutConnector);
    if (connector_) {
        connector_watch_ = loop.watch_fd(connector_->fd(), POLLIN, [this](short) { on_connector(); });
        spdlog::info("process namespaces: found through process events (exec, fork, exit) at once; full scan {}",
                     interval.count() > 0 ? "every " + std::to_string(interval.count()) + " s" : "off");
    } else if (interval.count() > 0) {
        // Degraded: found within the scan interval instead of at once.
        spdlog::warn("process namespaces: process events unavailable ({}); scanning /proc every {} s", why_not,
                     interval.count());
    } else {
        spdlog::warn("process namespaces: process events unavailable ({}) and the scan is off: namespaces that only "
                     "processes hold are not found",
                     why_not);
    }
    if (interval.count() > 0) {
        scan_timer_.arm_every(interval);
    }
    nsid_socket_ = open_nsid_socket();
    if (nsid_socket_) {
        nsid_watch_ = loop.watch_fd(nsid_socket_.get(), POLLIN, [this](short) { on_nsid(); });
    }
    rescan();
}

void ProcessSource::on_nsid()
{
    std::array<char, 8192> buffer{};
    bool new_id = false;
    for (;;) {
        const ssize_t n = ::recv(nsid_socket_.get(), buffer.data(), buffer.size(), 0);
        if (n < 0) {
            new_id = new_id || errno == ENOBUFS; // lost some: rescan to be sure
            if (errno == EINTR || errno == ENOBUFS) {
                continue;
            }
            break; // EAGAIN: drained
        }
        // One rescan covers any number of new ids; the type is all we need.
        new_id = new_id || has_new_nsid(std::span(buffer.data(), static_cast<std::size_t>(n)));
    }
    if (new_id) {
        rescan();
    }
}

void ProcessSource::on_connector()
{
    std::vector<ProcEvent> events;
    const bool complete = connector_->read(events);
    bool holder_exited = false;
    for (const auto& event : events) {
        if (event.pid != event.tgid || event.tgid == self_) {
            continue; // a thread (its process's ns/net is what counts), or ourselves
        }
        if (event.kind == ProcEvent::Kind::Exit) {
            holder_exited = holder_exited || held_by_.contains(event.tgid);
        } else if (event.kind == ProcEvent::Kind::Exec || event.kind == ProcEvent::Kind::Fork) {
            on_process(event.tgid, event.kind == ProcEvent::Kind::Exec);
        }
    }
    if (!complete) {
        spdlog::info("process events were lost (overrun): rescanning /proc");
    }
    if (!complete || holder_exited) {
        rescan(); // find another holder before declaring a namespace released
    }
}

void ProcessSource::on_process(pid_t pid, bool exec)
{
    if (auto held = held_by_.find(pid); exec && held != held_by_.end()) {
        // A holder ran a new program: its command (and maybe cgroup) changed.
        // If it also left the namespace (setns before exec), rescan decides.
        const auto inode = held->second;
        if (process_netns_inode(pid) == inode) {
            auto info = read_holder_info(pid);
            info.pid = pid;
            if (!(info == holders_[inode])) {
                holders_[inode] = std::move(info);
                changed_();
            }
            return;
        }
    }
    const auto inode = process_netns_inode(pid);
    if (!inode || holders_.contains(*inode)) {
        return; // gone already, or a namespace whose holder we know
    }
    set_holder(*inode, pid);
    spdlog::debug("process {} ({}) is in network namespace {}", pid, holders_[*inode].command, *inode);
    changed_();
}

void ProcessSource::set_holder(std::uint64_t inode, pid_t pid)
{
    if (auto old = holders_.find(inode); old != holders_.end()) {
        held_by_.erase(old->second.pid);
    }
    holders_[inode] = read_holder_info(pid);
    holders_[inode].pid = pid;
    held_by_[pid] = inode;
}

void ProcessSource::rescan()
{
    const auto found = scan_process_namespaces("/proc", self_);
    bool changed = false;
    for (auto it = holders_.begin(); it != holders_.end();) {
        const auto inode = it->first;
        const pid_t holder = it->second.pid;
        if (process_netns_inode(holder) == inode) {
            // The holder is alive and still inside: keep it (stable HolderPid).
            // Without exec events its command may have changed unseen.
            if (!connector_) {
                auto info = read_holder_info(holder);
                info.pid = holder;
                if (!(info == it->second)) {
                    it->second = std::move(info);
                    changed = true;
                }
            }
            ++it;
            continue;
        }
        held_by_.erase(holder);
        if (auto other = found.find(inode); other != found.end()) {
            set_holder(inode, other->second);
            ++it;
        } else {
            it = holders_.erase(it); // no process left inside
        }
        changed = true;
    }
    for (const auto& [inode, pid] : found) {
        if (!holders_.contains(inode)) {
            set_holder(inode, pid);
            changed = true;
        }
    }
    if (changed) {
        changed_();
    }
}

std::vector<NamespaceIdentity> ProcessSource::identities() const
{
    std::vector<NamespaceIdentity> out;
    if (!options_.announce) {
        return out;
    }
    out.reserve(holders_.size());
    for (const auto& [inode, holder] : holders_) {
        if (inode != options_.host_inode) {
            out.push_back({std::string(name_prefix(SourceKind::Process)) + "/" + std::to_string(inode),
                           SourceKind::Process, "/proc/" + std::to_string(holder.pid) + "/ns/net", inode});
        }
    }
    return out;
}

HolderInfo ProcessSource::holder_of(std::uint64_t inode) const
{
    auto it = holders_.find(inode);
    return it == holders_.end() ? HolderInfo{} : it->second;
}

} // namespace nswatch
