#pragma once
// Subscription to the kernel's process-events connector: a non-blocking
// socket that reports every fork, exec and exit on the machine.
//
// Why it may be unavailable, and what it reports:
// - The connector's kernel socket exists only in the initial network
//   namespace. Elsewhere (nswatchd in a container) the subscription request
//   fails with ECONNREFUSED.
// - The kernel accepts subscriptions only from the initial PID and user
//   namespaces and ignores others silently; open() detects this by waiting
//   for the kernel's acknowledgement. So the PIDs in the events, which are
//   those of the initial PID namespace, are the ones this process sees in
//   /proc.
// - Events are multicast and the socket's buffer is finite: under a burst the
//   kernel drops some (ENOBUFS). read() reports that; the caller must then
//   rescan /proc (scan_process_namespaces in proc_info.hpp).
//
// Ownership and threading: owns its socket (UniqueFd); move-only. Not
// thread-safe: one thread polls fd() and calls read(). Destroying it
// unsubscribes (best effort) and closes the socket.
#include "netns/proc_events.hpp"
#include "util/unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nswatch {

class ProcConnector {
public:
    static constexpr int kReceiveBufferBytes = 4 * 1024 * 1024;

    // Creates the socket, joins the CN_IDX_PROC group, raises the receive
    // buffer and subscribes (PROC_CN_MCAST_LISTEN). On failure returns
    // nothing and sets why_not to a sentence for the log, with the system's
    // error text. Blocks for at most a fraction of a second (the wait for the
    // acknowledgement, which normally is already there).
    static std::optional<ProcConnector> open(std::string& why_not);

    ProcConnector(ProcConnector&& other) noexcept = default;
    ProcConnector& operator=(ProcConnector&& other) noexcept;
    ProcConnector(const ProcConnector&) = delete;
    ProcConnector& operator=(const ProcConnector&) = delete;
    ~ProcConnector();

    // Readable (POLLIN) when events are waiting.
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }

    // Appends the events waiting on the socket to `out`, reading until the
    // socket is empty (or kMaxDatagramsPerRead were read: the fd then stays
    // readable). Returns false if events were lost since the last call
    // (overrun, or a read error): the caller must rescan. Datagrams that do
    // not come from the kernel are dropped: a process with CAP_NET_ADMIN
    // could send forged events to this socket's port (others get EPERM).
    bool read(std::vector<ProcEvent>& out);

    static constexpr int kMaxDatagramsPerRead = 4096;

private:
    ProcConnector(UniqueFd fd, std::uint32_t port) : fd_(std::move(fd)), port_(port) {}
    // Reads what is waiting; fills `ack` if the answer to our request with
    // ack `port_` arrives. Returns false on overrun or a read error.
    bool drain(std::vector<ProcEvent>& out, std::optional<std::uint32_t>* ack);
    void unsubscribe() noexcept;

    UniqueFd fd_;
    std::uint32_t port_ = 0;         // our netlink port id; also the ack of our requests
    bool lost_ = false;              // an overrun while open() waited
    std::vector<ProcEvent> pending_; // events read while open() waited
};

} // namespace nswatch
