#pragma once
// Parser of process-events connector datagrams (NETLINK_CONNECTOR,
// CN_IDX_PROC): which processes forked, exec'd and exited.
//
// Pure functions over bytes, no state and no I/O: safe from any thread, and
// tested with fixtures (tests/unit/proc_events_test.cpp). The socket that
// receives these datagrams is ProcConnector (proc_connector.hpp).
//
// Every length in a datagram is checked before it is used, and structs are
// copied out with memcpy (the kernel's proc_event starts 36 bytes into the
// datagram: not 8-byte aligned). A message whose lengths do not add up is
// skipped; one whose nlmsg_len cannot be trusted ends the walk, since the
// next message cannot be found (the messages before it still count).
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace nswatch {

struct ProcEvent {
    enum class Kind : std::uint8_t { Fork, Exec, Exit, Other };
    Kind kind = Kind::Other;
    // Fork: the child's. Exec and Exit: the process's. Other: the process's
    // when that event type has one (uid, gid, sid, ptrace, comm, coredump),
    // else 0. PIDs of the initial PID namespace. `pid` is the thread, `tgid`
    // the process: threads fork and exit too (pid != tgid).
    pid_t pid = 0;
    pid_t tgid = 0;
    bool operator==(const ProcEvent&) const = default;
};

// The events in one datagram, in order. Messages of other connectors
// (cn_msg id other than CN_IDX_PROC/CN_VAL_PROC) and netlink control
// messages (NLMSG_NOOP, NLMSG_ERROR, NLMSG_OVERRUN) are ignored. Note that
// the connector sends its messages with type NLMSG_DONE (not NLMSG_MIN_TYPE):
// here DONE is data, not the end of a dump.
std::vector<ProcEvent> parse_proc_events(std::span<const std::byte> datagram);

// The kernel answers PROC_CN_MCAST_LISTEN/IGNORE with a PROC_EVENT_NONE
// event whose cn_msg.ack is the request's ack + 1, sent to every listener.
// Returns the error it carries (0: accepted) if the datagram holds the answer
// to the request sent with ack `request_ack`, else nothing.
std::optional<std::uint32_t> parse_proc_ack(std::span<const std::byte> datagram, std::uint32_t request_ack);

} // namespace nswatch
