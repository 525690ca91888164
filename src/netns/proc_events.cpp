#include "netns/proc_events.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace nswatch {

namespace {

using Bytes = std::span<const std::byte>;

// what, cpu and timestamp_ns: present in every proc_event.
constexpr std::size_t kEventHeader = offsetof(proc_event, event_data);
// The part of each union member a kind needs. Exit needs all of its struct
// (pids, exit code and signal, parent): a shorter exit event is malformed.
constexpr std::size_t kForkSize = kEventHeader + sizeof(proc_event{}.event_data.fork);
constexpr std::size_t kExecSize = kEventHeader + sizeof(proc_event{}.event_data.exec);
constexpr std::size_t kExitSize = kEventHeader + sizeof(proc_event{}.event_data.exit);
constexpr std::size_t kPidPairSize = kEventHeader + 2 * sizeof(pid_t);
constexpr std::size_t kAckSize = kEventHeader + sizeof(proc_event{}.event_data.ack);

template <class T>
T load(Bytes bytes, std::size_t offset)
{
    T value{};
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

// One proc_event as sent: its cn_msg's ack and its `len` bytes of body.
// (cn_msg itself cannot be a member: it ends in a flexible array.)
struct ConnectorMessage {
    std::uint32_t ack = 0;
    Bytes body;
};

// Calls visit(ConnectorMessage) for every well-formed process-events message
// of the datagram, in order.
template <class Visit>
void for_each_proc_message(Bytes datagram, Visit&& visit)
{
    std::size_t offset = 0;
    while (datagram.size() - offset >= sizeof(nlmsghdr)) {
        const std::size_t left = datagram.size() - offset;
        const auto hdr = load<nlmsghdr>(datagram, offset);
        if (hdr.nlmsg_len < sizeof(nlmsghdr) || hdr.nlmsg_len > left) {
            return; // the next message's position is unknown: stop here
        }
        const Bytes message = datagram.subspan(offset, hdr.nlmsg_len);
        // The last message of a datagram may lack its alignment padding.
        offset += std::min<std::size_t>(NLMSG_ALIGN(hdr.nlmsg_len), left);

        if (hdr.nlmsg_type == NLMSG_NOOP || hdr.nlmsg_type == NLMSG_ERROR || hdr.nlmsg_type == NLMSG_OVERRUN) {
            continue;
        }
        const Bytes payload = message.subspan(std::min<std::size_t>(NLMSG_HDRLEN, message.size()));
        if (payload.size() < sizeof(cn_msg)) {
            continue;
        }
        const auto header = load<cn_msg>(payload, 0);
        if (header.id.idx != CN_IDX_PROC || header.id.val != CN_VAL_PROC) {
            continue;
        }
        if (header.len > payload.size() - sizeof(cn_msg)) {
            continue; // cn_msg.len claims more than the message holds
        }
        if (header.len < kEventHeader) {
            continue;
        }
        visit(ConnectorMessage{header.ack, payload.subspan(sizeof(cn_msg), header.len)});
    }
}

// A zeroed proc_event with as much of `body` as fits copied in; the caller
// has checked that body holds the fields it reads.
proc_event copy_event(Bytes body)
{
    proc_event event{};
    std::memcpy(&event, body.data(), std::min(body.size(), sizeof event));
    return event;
}

} // namespace

std::vector<ProcEvent> parse_proc_events(Bytes datagram)
{
    std::vector<ProcEvent> out;
    for_each_proc_message(datagram, [&out](const ConnectorMessage& cn) {
        // `what` is read as a number: the kernel may send values this
        // header does not name.
        const auto what = load<std::uint32_t>(cn.body, 0);
        const proc_event event = copy_event(cn.body);
        const std::size_t size = cn.body.size();
        switch (what) {
        case proc_event::PROC_EVENT_FORK:
            if (size >= kForkSize) {
                const auto& fork = event.event_data.fork;
                out.push_back({ProcEvent::Kind::Fork, fork.child_pid, fork.child_tgid});
            }
            return;
        case proc_event::PROC_EVENT_EXEC:
            if (size >= kExecSize) {
                const auto& exec = event.event_data.exec;
                out.push_back({ProcEvent::Kind::Exec, exec.process_pid, exec.process_tgid});
            }
            return;
        case proc_event::PROC_EVENT_EXIT:
            if (size >= kExitSize) {
                const auto& exit = event.event_data.exit;
                out.push_back({ProcEvent::Kind::Exit, exit.process_pid, exit.process_tgid});
            }
            return;
        case proc_event::PROC_EVENT_UID:
        case proc_event::PROC_EVENT_GID:
        case proc_event::PROC_EVENT_SID:
        case proc_event::PROC_EVENT_PTRACE:
        case proc_event::PROC_EVENT_COMM:
        case proc_event::PROC_EVENT_COREDUMP:
            // Each of these starts with process_pid, process_tgid.
            if (size >= kPidPairSize) {
                out.push_back(
                    {ProcEvent::Kind::Other, event.event_data.id.process_pid, event.event_data.id.process_tgid});
            }
            return;
        default: // PROC_EVENT_NONE (acknowledgements) and unknown types
            out.push_back({ProcEvent::Kind::Other, 0, 0});
            return;
        }
    });
    return out;
}

std::optional<std::uint32_t> parse_proc_ack(Bytes datagram, std::uint32_t request_ack)
{
    std::optional<std::uint32_t> err;
    for_each_proc_message(datagram, [&](const ConnectorMessage& cn) {
        if (cn.ack == request_ack + 1 && load<std::uint32_t>(cn.body, 0) == proc_event::PROC_EVENT_NONE &&
            cn.body.size() >= kAckSize) {
            err = copy_event(cn.body).event_data.ack.err;
        }
    });
    return err;
}

} // namespace nswatch
