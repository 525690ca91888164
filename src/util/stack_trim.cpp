#include "util/stack_trim.hpp"

#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

namespace nswatch {

namespace {

// Left below the caller's frame: what the wait itself needs (the ppoll
// wrapper and the kernel entry use far less).
constexpr std::uintptr_t kMargin = 1024;

} // namespace

StackTrim::StackTrim() noexcept
{
    pthread_attr_t attr;
    if (::pthread_getattr_np(::pthread_self(), &attr) != 0) {
        return;
    }
    void* address = nullptr;
    std::size_t size = 0;
    if (::pthread_attr_getstack(&attr, &address, &size) == 0) {
        low_ = reinterpret_cast<std::uintptr_t>(address);
    }
    ::pthread_attr_destroy(&attr);
}

void StackTrim::trim() noexcept
{
    if (low_ == 0) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (trimmed_once_ && now - last_ < kMinInterval) {
        return;
    }
    trimmed_once_ = true;
    last_ = now;
    const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
    const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    const std::uintptr_t high = (here - kMargin) & ~(page - 1); // pages wholly below
    if (high > low_) {
        // An address computed from the frame address: the cast is the point.
        ::madvise(reinterpret_cast<void*>(low_), high - low_, MADV_DONTNEED); // NOLINT(performance-no-int-to-ptr)
    }
}

} // namespace nswatch
