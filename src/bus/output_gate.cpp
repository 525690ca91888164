#include "bus/output_gate.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

namespace nswatch {

std::size_t OutputGate::unread() const noexcept
{
    int bytes = 0;
    if (::ioctl(fd_, SIOCOUTQ, &bytes) != 0 || bytes < 0) {
        return 0; // not a socket: nothing to wait for
    }
    return static_cast<std::size_t>(bytes);
}

} // namespace nswatch
