#pragma once
// Ctrl-C and SIGTERM for the benchmarks: the handler only sets a flag, the
// bench's steps call check_interrupted() and unwind, and on the way out its
// RAII guards delete the namespaces and mounts it made.
#include <csignal>
#include <stdexcept>

namespace nswatch::test {

inline volatile sig_atomic_t g_interrupted = 0;

inline void on_signal(int /*signo*/)
{
    g_interrupted = 1;
}

inline void check_interrupted()
{
    if (g_interrupted != 0) {
        throw std::runtime_error("interrupted");
    }
}

} // namespace nswatch::test
