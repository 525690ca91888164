#include "netlink/netlink_socket.hpp"

#include "util/unique_fd.hpp"

#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

namespace nswatch {

NetlinkError::NetlinkError(const std::string& what, int nl_error)
    : std::runtime_error(what + ": " + nl_geterror(nl_error)), nl_error_(nl_error)
{
}

void NetlinkSocket::Free::operator()(nl_sock* sock) const noexcept
{
    nl_socket_free(sock); // closes the fd
}

int NetlinkSocket::fd() const noexcept
{
    return nl_socket_get_fd(sock_.get());
}

namespace {

constexpr std::size_t kReceiveBufferBytes = std::size_t{64} * 1024;
#ifdef SO_NETNS_COOKIE
constexpr int kSoNetnsCookie = SO_NETNS_COOKIE;
#else
constexpr int kSoNetnsCookie = 71; // <asm-generic/socket.h> since Linux 5.14; glibc 2.36 lacks it
#endif

void check(int rc, const char* what)
{
    if (rc < 0) {
        throw NetlinkError(what, -rc);
    }
}

// Returns the calling thread to its original namespace when it leaves scope.
// Failing to return would leave the thread in a foreign namespace: fatal.
class NamespaceReturn {
public:
    NamespaceReturn() : home_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC))
    {
        if (!home_) {
            throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
        }
    }
    NamespaceReturn(const NamespaceReturn&) = delete;
    NamespaceReturn& operator=(const NamespaceReturn&) = delete;
    ~NamespaceReturn()
    {
        if (entered_ && ::setns(home_.get(), CLONE_NEWNET) != 0) {
            spdlog::critical("cannot return a worker thread to its network namespace: {}",
                             std::generic_category().message(errno));
            std::abort();
        }
    }
    void enter(int netns_fd)
    {
        if (::setns(netns_fd, CLONE_NEWNET) != 0) {
            throw std::system_error(errno, std::generic_category(), "setns");
        }
        entered_ = true;
    }

private:
    UniqueFd home_;
    bool entered_ = false;
};

void raise_receive_buffer(int fd, int bytes)
{
    // nl_connect leaves a 32 KiB buffer: far too small for a burst.
    // SO_RCVBUFFORCE needs CAP_NET_ADMIN; fall back to SO_RCVBUF (capped by
    // net.core.rmem_max) so an unprivileged test still runs.
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) {
        return;
    }
    const int err = errno;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0) {
        throw std::system_error(errno, std::generic_category(), "setsockopt SO_RCVBUF");
    }
    spdlog::warn("SO_RCVBUFFORCE failed ({}), receive buffer capped by net.core.rmem_max",
                 std::generic_category().message(err));
}

} // namespace

NetlinkSocket NetlinkSocket::open_in_namespace(int netns_fd, const NetlinkOptions& options)
{
    // The socket's callback set is the one its session uses (callbacks()),
    // made here with libnl's defaults whatever NLCB says in the environment.
    nl_cb* cb = nl_cb_alloc(NL_CB_DEFAULT);
    if (cb == nullptr) {
        throw NetlinkError("nl_cb_alloc", NLE_NOMEM);
    }
    nl_sock* raw = nl_socket_alloc_cb(cb); // takes a reference of its own
    nl_cb_put(cb);
    if (raw == nullptr) {
        throw NetlinkError("nl_socket_alloc", NLE_NOMEM);
    }
    NetlinkSocket socket(raw, options.fail_after_first_dump);
    // The groups are joined by nl_connect's bind(), not by a later
    // nl_socket_add_memberships(): each membership change makes the kernel
    // walk every subscribed rtnetlink socket of the host under a global
    // lock (netlink_update_listeners), so with 10,000 namespaces two
    // setsockopt calls per socket were O(N²) work, most of start-up's
    // worker time. bind() walks once.
    nl_join_groups(raw, RTMGRP_LINK | RTMGRP_TC);
    {
        NamespaceReturn guard;
        guard.enter(netns_fd);
        if (const int rc = nl_connect(raw, NETLINK_ROUTE); rc < 0) {
            // libnl turns EMFILE into "Unspecific failure": keep the errno.
            if (errno == EMFILE || errno == ENFILE) {
                throw std::system_error(errno, std::generic_category(), "netlink socket");
            }
            check(rc, "nl_connect");
        }
    } // back home: the socket stays bound to the namespace it was made in
    raise_receive_buffer(socket.fd(), options.receive_buffer_bytes);
    nl_socket_disable_auto_ack(raw); // dumps end with NLMSG_DONE; no ACKs wanted
    // No MSG_PEEK: with a dump running and the buffer full, each peek makes
    // the kernel retry the dump, fail with ENOBUFS and fail the following
    // read, which consumes nothing — a livelock. A fixed buffer is enough:
    // the kernel caps dump datagrams at 32 KiB.
    nl_socket_disable_msg_peek(raw);
    check(nl_socket_set_msg_buf_size(raw, kReceiveBufferBytes), "nl_socket_set_msg_buf_size");
    check(nl_socket_set_nonblocking(raw), "nl_socket_set_nonblocking");
    return socket;
}

std::uint32_t NetlinkSocket::request_dump(int type, std::int32_t ifindex, std::uint32_t parent)
{
    std::unique_ptr<nl_msg, decltype(&nlmsg_free)> msg(nlmsg_alloc_simple(type, NLM_F_DUMP), &nlmsg_free);
    if (!msg) {
        throw NetlinkError("nlmsg_alloc", NLE_NOMEM);
    }
    if (type == RTM_GETLINK) {
        ifinfomsg ifi{};
        ifi.ifi_family = AF_UNSPEC;
        check(nlmsg_append(msg.get(), &ifi, sizeof ifi, NLMSG_ALIGNTO), "nlmsg_append");
    } else {
        tcmsg tcm{};
        tcm.tcm_family = AF_UNSPEC;
        tcm.tcm_ifindex = ifindex;
        tcm.tcm_parent = parent;
        check(nlmsg_append(msg.get(), &tcm, sizeof tcm, NLMSG_ALIGNTO), "nlmsg_append");
    }
    nl_complete_msg(sock_.get(), msg.get());
    const std::uint32_t seq = nlmsg_hdr(msg.get())->nlmsg_seq;
    check(nl_send(sock_.get(), msg.get()), "dump request");
    return seq;
}

nl_cb* NetlinkSocket::callbacks() const noexcept
{
    return nl_socket_get_cb(sock_.get());
}

int NetlinkSocket::receive(nl_cb* cb)
{
    if (test_failure_ == TestFailure::Armed) {
        test_failure_ = TestFailure::None;
        throw NetlinkError("injected failure (NSWATCH_TEST_FAIL_NAMESPACE)", NLE_FAILURE);
    }
    return nl_recvmsgs_report(sock_.get(), cb);
}

void NetlinkSocket::dump_completed() noexcept
{
    if (test_failure_ == TestFailure::AfterDump) {
        test_failure_ = TestFailure::Armed;
    }
}

std::uint64_t NetlinkSocket::netns_cookie() const noexcept
{
    std::uint64_t cookie = 0;
    socklen_t size = sizeof cookie;
    if (::getsockopt(fd(), SOL_SOCKET, kSoNetnsCookie, &cookie, &size) != 0) {
        return 0; // kernels before 5.14
    }
    return cookie;
}

std::uint32_t NetlinkSocket::local_port() const noexcept
{
    return nl_socket_get_local_port(sock_.get());
}

} // namespace nswatch
