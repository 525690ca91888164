#include "metrics/proc_self.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace nswatch {

namespace {

template <typename T>
bool parse_number(std::string_view field, T& out) noexcept
{
    const char* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data(), end, out);
    return ec == std::errc() && ptr == end;
}

// Splits `text` at single spaces into fields [0, N); false if it has fewer.
template <std::size_t N>
bool split_fields(std::string_view text, std::array<std::string_view, N>& fields) noexcept
{
    for (std::size_t i = 0; i < N; ++i) {
        const std::size_t space = text.find(' ');
        fields[i] = text.substr(0, space);
        if (fields[i].empty())
            return false;
        if (space == std::string_view::npos) {
            text = {};
            if (i + 1 < N)
                return false;
        } else {
            text.remove_prefix(space + 1);
        }
    }
    return true;
}

} // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) noexcept
{
    // "pid (comm) state ppid …": field 3 (state) starts two bytes after the
    // last ')'. Fields 3..24 are 22 fields; the last may end in '\n'.
    const std::size_t paren = text.rfind(')');
    if (paren == std::string_view::npos || paren + 2 > text.size() || text.substr(paren + 1, 1) != " ")
        return std::nullopt;
    text.remove_prefix(paren + 2);
    std::array<std::string_view, 22> fields{};
    if (!split_fields(text, fields))
        return std::nullopt;
    if (!fields[21].empty() && fields[21].back() == '\n')
        fields[21].remove_suffix(1);
    ProcStat stat;
    // Field N of proc(5) is fields[N - 3].
    if (!parse_number(fields[11], stat.utime_ticks) || !parse_number(fields[12], stat.stime_ticks) ||
        !parse_number(fields[19], stat.start_ticks) || !parse_number(fields[20], stat.vsize_bytes) ||
        !parse_number(fields[21], stat.rss_pages))
        return std::nullopt;
    return stat;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) noexcept
{
    constexpr std::string_view kKey = "btime ";
    std::size_t at = 0;
    while (at < proc_stat.size()) {
        std::size_t eol = proc_stat.find('\n', at);
        if (eol == std::string_view::npos)
            eol = proc_stat.size();
        const std::string_view line = proc_stat.substr(at, eol - at);
        if (line.starts_with(kKey)) {
            std::uint64_t seconds = 0;
            if (parse_number(line.substr(kKey.size()), seconds))
                return seconds;
            return std::nullopt;
        }
        at = eol + 1;
    }
    return std::nullopt;
}

std::optional<std::string> read_proc_file(const char* path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad())
        return std::nullopt;
    return std::move(text).str();
}

std::optional<std::size_t> count_open_fds(const char* fd_dir)
{
    struct stat st {};
    if (::stat(fd_dir, &st) == 0 && st.st_size > 0)
        return static_cast<std::size_t>(st.st_size);
    return count_open_fds_by_listing(fd_dir);
}

std::optional<std::size_t> count_open_fds_by_listing(const char* fd_dir)
{
    DIR* dir = ::opendir(fd_dir);
    if (dir == nullptr)
        return std::nullopt;
    std::size_t count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.')
            ++count;
    }
    ::closedir(dir);
    // The listing's own fd is among the entries.
    return count > 0 ? count - 1 : 0;
}

} // namespace nswatch
