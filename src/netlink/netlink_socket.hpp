#pragma once
// An rtnetlink socket that lives in one network namespace.
//
// Ownership: owns the nl_sock and its fd; destroying it closes the socket,
// which is what lets the kernel free a deleted namespace. One per thread
// (libnl sockets are not thread-safe).
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

struct nl_cb;
struct nl_sock;

namespace nswatch {

class NetlinkError : public std::runtime_error {
public:
    NetlinkError(const std::string& what, int nl_error);
    [[nodiscard]] int nl_error() const noexcept { return nl_error_; }

private:
    int nl_error_;
};

struct NetlinkOptions {
    int receive_buffer_bytes = 8 * 1024 * 1024; // SO_RCVBUFFORCE
    // Test hook (NSWATCH_TEST_FAIL_NAMESPACE): the first receive() after the
    // first dump_completed() throws, as a broken socket would.
    bool fail_after_first_dump = false;
};

class NetlinkSocket {
public:
    // Enters the namespace behind netns_fd on the calling thread, creates a
    // non-blocking socket subscribed to link and tc notifications there,
    // and returns the thread to its own namespace before returning or
    // throwing. Throws NetlinkError or std::system_error.
    static NetlinkSocket open_in_namespace(int netns_fd, const NetlinkOptions& options);

    [[nodiscard]] nl_sock* get() const noexcept { return sock_.get(); }
    [[nodiscard]] int fd() const noexcept;

    // Sends a dump request: RTM_GETLINK, RTM_GETQDISC (whole namespace),
    // RTM_GETTCLASS (one link), RTM_GETTFILTER (one link and parent).
    // Returns the request's sequence number, which its replies carry.
    std::uint32_t request_dump(int type, std::int32_t ifindex = 0, std::uint32_t parent = 0);
    // The socket's own callback set (a new reference: nl_cb_put it). libnl
    // allocates one per socket; the session sets its callbacks there rather
    // than allocating a second (~0.3 KiB per namespace). Nothing else reads
    // it: dumps are sent with nl_send (no ACK wanted) and read by receive().
    [[nodiscard]] nl_cb* callbacks() const noexcept;
    // Reads what is queued and runs cb's callbacks on it (nl_recvmsgs_report):
    // the number of messages read, or a negative libnl error. Throws only the
    // test hook's NetlinkError.
    int receive(nl_cb* cb);
    // The owner finished a full dump: arms the test hook, if set.
    void dump_completed() noexcept;
    [[nodiscard]] std::uint32_t local_port() const noexcept;
    // The kernel's cookie of the socket's network namespace (SO_NETNS_COOKIE):
    // unlike the nsfs inode, never reused while the system runs. 0 if unknown.
    [[nodiscard]] std::uint64_t netns_cookie() const noexcept;

private:
    struct Free {
        void operator()(nl_sock* sock) const noexcept;
    };
    enum class TestFailure : std::uint8_t { None, AfterDump, Armed };
    NetlinkSocket(nl_sock* sock, bool fail_after_first_dump)
        : sock_(sock), test_failure_(fail_after_first_dump ? TestFailure::AfterDump : TestFailure::None)
    {
    }
    std::unique_ptr<nl_sock, Free> sock_;
    TestFailure test_failure_;
};

} // namespace nswatch
