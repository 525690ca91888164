#pragma once
// An rtnetlink socket that lives in one network namespace.
//
// Ownership: owns the nl_sock and its fd; destroying it closes the socket,
// which is what lets the kernel free a deleted namespace. One per thread
// (libnl sockets are not thread-safe).
#include <memory>
#include <stdexcept>
#include <string>

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
};

class NetlinkSocket {
public:
    // Enters the namespace behind netns_fd on the calling thread, creates a
    // non-blocking socket subscribed to link (and tc) notifications there,
    // and returns the thread to its own namespace before returning or
    // throwing. Throws NetlinkError or std::system_error.
    static NetlinkSocket open_in_namespace(int netns_fd, const NetlinkOptions& options);

    [[nodiscard]] nl_sock* get() const noexcept { return sock_.get(); }
    [[nodiscard]] int fd() const noexcept;

    // Sends an RTM_GET* dump request for message type `type` (e.g. RTM_GETLINK).
    void request_dump(int type);

private:
    struct Free {
        void operator()(nl_sock* sock) const noexcept;
    };
    explicit NetlinkSocket(nl_sock* sock) : sock_(sock) {}
    std::unique_ptr<nl_sock, Free> sock_;
};

} // namespace nswatch
