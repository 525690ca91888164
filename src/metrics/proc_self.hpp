#pragma once
// The daemon's own figures from /proc, for the standard process_* metrics
// (process_collector.hpp). The parsers are pure functions of a file's bytes
// (unit-tested with fixtures, truncated ones included); the readers are the
// only code here that touches the file system. Stateless: callable from any
// thread.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nswatch {

// The fields of /proc/<pid>/stat (proc(5)) the process_* metrics need.
struct ProcStat {
    std::uint64_t utime_ticks = 0; // field 14, user CPU time in clock ticks
    std::uint64_t stime_ticks = 0; // field 15, system CPU time in clock ticks
    std::uint64_t start_ticks = 0; // field 22, start time after boot in clock ticks
    std::uint64_t vsize_bytes = 0; // field 23, virtual memory size
    std::int64_t rss_pages = 0;    // field 24, resident set size in pages
};

// Parses the one line of /proc/<pid>/stat. The command (field 2) may hold
// spaces and parentheses: fields are counted from its last ')'. nullopt if
// the text is cut short of field 24 or a field is not a number.
std::optional<ProcStat> parse_proc_stat(std::string_view text) noexcept;

// The "btime" line of /proc/stat: boot time in seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) noexcept;

// The whole of a small /proc file; nullopt if it cannot be read.
std::optional<std::string> read_proc_file(const char* path);

// The process's open file descriptors. Linux >= 6.2 reports the count as
// the st_size of /proc/self/fd (one stat(): no fd opened, no listing, cost
// independent of the count); older kernels report 0 there, and then the
// directory is listed (minus the listing's own fd).
std::optional<std::size_t> count_open_fds(const char* fd_dir = "/proc/self/fd");
// The listing alone (the fallback above; exposed for the benchmark).
std::optional<std::size_t> count_open_fds_by_listing(const char* fd_dir = "/proc/self/fd");

} // namespace nswatch
