#pragma once
// Gives back the stack pages a thread touched below where it now waits.
//
// Why: every worker thread's stack keeps each page it ever touched. A
// namespace's dump and parsers reach two pages below the thread descriptor
// and TLS at the top, and an idle worker then sits in ppoll() a few hundred
// bytes from the top for hours: with thousands of namespaces those pages
// were 8 of the 26 KiB each namespace cost (scale-bench, BENCHMARKS.md).
// trim() drops (MADV_DONTNEED) the pages wholly below the caller's frame,
// minus a margin for the wait's own frames; the next deep call (or the
// wake-up signal's frame) faults fresh zeroed pages back in, a microsecond
// each, so callers trim only before an indefinite wait and at most once
// per kMinInterval.
//
// Threading: one object per thread, used by that thread only; the memory it
// drops is below its own stack pointer, which no one else may use.
#include <chrono>
#include <cstdint>

namespace nswatch {

class StackTrim {
public:
    static constexpr auto kMinInterval = std::chrono::seconds(1);

    // Records the calling thread's stack bounds (no-op if unavailable).
    StackTrim() noexcept;

    // Drops the stack pages below the caller's frame, unless it did so less
    // than kMinInterval ago. Never throws; a failure only keeps the pages.
    void trim() noexcept;

private:
    std::uintptr_t low_ = 0; // lowest usable address of this thread's stack
    std::chrono::steady_clock::time_point last_{};
    bool trimmed_once_ = false;
};

} // namespace nswatch
