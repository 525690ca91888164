#pragma once
// A non-blocking eventfd used as a wake-up bell between threads.
// signal() may be called from any thread; drain() by the owner of the poll.
#include "util/unique_fd.hpp"

namespace nswatch {

class EventFd {
public:
    EventFd();
    [[nodiscard]] int fd() const noexcept { return fd_.get(); }
    void signal() const noexcept;
    void drain() const noexcept;

private:
    UniqueFd fd_;
};

} // namespace nswatch
