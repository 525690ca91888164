#pragma once
// Network-namespace files: identity (nsfs inode) and safe opening.
#include "util/unique_fd.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace nswatch {

// The namespace could not be opened, or the file is not a network namespace.
// code() is the errno when a system call failed (EMFILE: the worker names the
// fd limit in StateReason), else 0; what() is `what` plus the errno's text.
class NamespaceFileError : public std::system_error {
public:
    explicit NamespaceFileError(const std::string& what, int error = 0)
        : std::system_error(error, std::generic_category(), what),
          what_(error == 0 ? what : what + ": " + std::system_category().message(error))
    {
    }
    [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }

private:
    std::string what_;
};

// The nsfs inode behind `path` if it currently is an nsfs file (for
// /run/netns/X: once `ip netns add` has bind-mounted it), else nothing.
// Never opens the file, so it cannot block and pins nothing.
std::optional<std::uint64_t> nsfs_inode(const std::string& path);

struct OpenedNamespace {
    UniqueFd fd;             // O_RDONLY fd of the namespace: setns() target
    std::uint64_t inode = 0; // nsfs inode: the namespace's identity
};

// Opens the network namespace behind `path`. The path is resolved with
// O_PATH first (no open of the target itself, so a FIFO or device cannot
// block), checked to be nsfs and of type network, and only then reopened for
// setns. Throws NamespaceFileError with a message a user can act on.
OpenedNamespace open_net_namespace(const std::string& path);

} // namespace nswatch
