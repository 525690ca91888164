#include "util/event_fd.hpp"

#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace nswatch {

EventFd::EventFd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC))
{
    if (!fd_) {
        throw std::system_error(errno, std::generic_category(), "eventfd");
    }
}

void EventFd::signal() const noexcept
{
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow, which still leaves it readable.
    [[maybe_unused]] auto n = ::write(fd_.get(), &one, sizeof one);
}

void EventFd::drain() const noexcept
{
    std::uint64_t value = 0;
    [[maybe_unused]] auto n = ::read(fd_.get(), &value, sizeof value);
}

} // namespace nswatch
