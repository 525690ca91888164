#include "netns/proc_connector.hpp"

#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstring>
#include <utility>

namespace nswatch {

namespace {

// nlmsghdr + cn_msg + proc_cn_mcast_op, as the kernel expects it.
constexpr std::size_t kRequestPayload = sizeof(cn_msg) + sizeof(std::uint32_t);
using Request = std::array<std::byte, NLMSG_SPACE(kRequestPayload)>;

Request make_request(proc_cn_mcast_op op, std::uint32_t port)
{
    Request buf{};
    nlmsghdr hdr{};
    hdr.nlmsg_len = NLMSG_LENGTH(kRequestPayload);
    hdr.nlmsg_type = NLMSG_DONE; // what the connector uses for its messages
    hdr.nlmsg_pid = port;
    cn_msg cn{};
    cn.id.idx = CN_IDX_PROC;
    cn.id.val = CN_VAL_PROC;
    cn.ack = port; // the kernel's acknowledgement carries port + 1
    cn.len = sizeof(std::uint32_t);
    const auto value = static_cast<std::uint32_t>(op);
    std::memcpy(buf.data(), &hdr, sizeof hdr);
    std::memcpy(buf.data() + NLMSG_HDRLEN, &cn, sizeof cn);
    std::memcpy(buf.data() + NLMSG_HDRLEN + sizeof cn, &value, sizeof value);
    return buf;
}

int send_request(int fd, proc_cn_mcast_op op, std::uint32_t port)
{
    const Request buf = make_request(op, port);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    const ssize_t sent = ::sendto(fd, buf.data(), NLMSG_LENGTH(kRequestPayload), MSG_DONTWAIT,
                                  reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    return sent < 0 ? errno : 0;
}

std::string failure(const std::string& step, int err)
{
    return "process events unavailable: " + step + ": " + std::strerror(err);
}

} // namespace

std::optional<ProcConnector> ProcConnector::open(std::string& why_not)
{
    UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR));
    if (!fd) {
        why_not = failure("NETLINK_CONNECTOR socket", errno); // EPROTONOSUPPORT: no CONFIG_CONNECTOR
        return std::nullopt;
    }
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    local.nl_groups = CN_IDX_PROC;
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0) {
        why_not = failure("joining the process-events group", errno);
        return std::nullopt;
    }
    socklen_t len = sizeof local;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&local), &len) != 0) {
        why_not = failure("getsockname", errno);
        return std::nullopt;
    }
    // A fork storm fills the default buffer at once. SO_RCVBUFFORCE needs
    // CAP_NET_ADMIN; SO_RCVBUF is capped by net.core.rmem_max.
    const int bytes = kReceiveBufferBytes;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0 &&
        ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) {
        why_not = failure("setsockopt SO_RCVBUF", errno);
        return std::nullopt;
    }
    ProcConnector connector(std::move(fd), local.nl_pid);
    if (const int err = send_request(connector.fd(), PROC_CN_MCAST_LISTEN, connector.port_); err != 0) {
        why_not = err == ECONNREFUSED ? failure("the connector exists only in the initial network namespace "
                                                "(is nswatchd in a container?)",
                                                err)
                                      : failure("subscribing", err);
        connector.fd_.reset(); // never subscribed: nothing to undo
        return std::nullopt;
    }
    // The kernel handles the request inside sendto(), so its answer is
    // normally queued already; the wait is for safety only. Other events read
    // meanwhile are kept for the first read().
    std::optional<std::uint32_t> ack;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
    while (!ack) {
        connector.lost_ |= !connector.drain(connector.pending_, &ack);
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (ack || left.count() <= 0) {
            break;
        }
        pollfd pfd{connector.fd(), POLLIN, 0};
        ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
    if (!ack) {
        // Subscriptions from a non-initial PID or user namespace are ignored
        // without an answer. Our IGNORE would be ignored too.
        why_not = "process events unavailable: the kernel did not acknowledge the subscription "
                  "(it accepts it only from the initial PID and user namespaces)";
        connector.fd_.reset();
        return std::nullopt;
    }
    if (*ack != 0) {
        why_not = failure("the kernel refused the subscription", static_cast<int>(*ack));
        connector.fd_.reset();
        return std::nullopt;
    }
    return connector;
}

ProcConnector& ProcConnector::operator=(ProcConnector&& other) noexcept
{
    if (this != &other) {
        unsubscribe();
        fd_ = std::move(other.fd_);
        port_ = other.port_;
        lost_ = other.lost_;
        pending_ = std::move(other.pending_);
    }
    return *this;
}

ProcConnector::~ProcConnector()
{
    unsubscribe();
}

void ProcConnector::unsubscribe() noexcept
{
    // The kernel produces events for everyone while its count of listeners
    // is above zero, and closing the socket does not lower it: say so.
    if (fd_) {
        send_request(fd_.get(), PROC_CN_MCAST_IGNORE, port_);
        fd_.reset();
    }
}

bool ProcConnector::read(std::vector<ProcEvent>& out)
{
    out.insert(out.end(), pending_.begin(), pending_.end());
    pending_.clear();
    const bool complete = !std::exchange(lost_, false);
    return drain(out, nullptr) && complete;
}

bool ProcConnector::drain(std::vector<ProcEvent>& out, std::optional<std::uint32_t>* ack)
{
    // Kernel datagrams are one 76-byte message each; a larger one is not
    // the kernel's, and MSG_TRUNC reveals it.
    alignas(nlmsghdr) std::array<std::byte, 4096> buf{};
    bool complete = true;
    for (int i = 0; i < kMaxDatagramsPerRead; ++i) {
        sockaddr_nl from{};
        socklen_t from_len = sizeof from;
        const ssize_t n =
            ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&from), &from_len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == ENOBUFS) {
                complete = false; // the kernel dropped events; more may follow
                continue;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                complete = false; // unexpected: let the caller rescan
            }
            break;
        }
        if (from.nl_pid != 0 || static_cast<std::size_t>(n) > buf.size()) {
            continue; // not from the kernel, or truncated
        }
        const std::span<const std::byte> datagram(buf.data(), static_cast<std::size_t>(n));
        if (ack != nullptr && !*ack) {
            *ack = parse_proc_ack(datagram, port_);
        }
        const auto events = parse_proc_events(datagram);
        out.insert(out.end(), events.begin(), events.end());
    }
    return complete;
}

} // namespace nswatch
