// The /proc parsers behind the process_* metrics, on captured and damaged
// bytes.
#include "metrics/proc_self.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <vector>

using namespace nswatch;

namespace {

// /proc/self/stat of a Linux 6.18 process (cat), fields 1..52.
constexpr const char* kStat =
    "4242 (cat) R 4200 4242 4200 34816 4242 4194304 95 0 0 0 7 3 0 0 20 0 1 0 123456 8765440 224 "
    "18446744073709551615 94000000000000 94000000020000 140000000000000 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
    "94000000030000 94000000031000 94000000040000 140000000001000 140000000001100 140000000001100 "
    "140000000004000 0\n";

} // namespace

TEST_CASE("proc stat gives CPU ticks, start, virtual and resident size", "[unit][metrics]")
{
    const auto stat = parse_proc_stat(kStat);
    REQUIRE(stat);
    CHECK(stat->utime_ticks == 7);
    CHECK(stat->stime_ticks == 3);
    CHECK(stat->start_ticks == 123456);
    CHECK(stat->vsize_bytes == 8765440);
    CHECK(stat->rss_pages == 224);
}

TEST_CASE("proc stat: a command with spaces and parentheses", "[unit][metrics]")
{
    const auto stat = parse_proc_stat("77 (a) b (c)) S 1 77 77 0 -1 4194560 1 0 0 0 11 12 0 0 20 0 1 0 "
                                      "99 4096 3 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0");
    REQUIRE(stat);
    CHECK(stat->utime_ticks == 11);
    CHECK(stat->stime_ticks == 12);
    CHECK(stat->start_ticks == 99);
    CHECK(stat->vsize_bytes == 4096);
    CHECK(stat->rss_pages == 3);
}

TEST_CASE("proc stat: the line exactly up to rss is enough", "[unit][metrics]")
{
    const auto stat = parse_proc_stat("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 5 6 0 0 20 0 1 0 8 9 10");
    REQUIRE(stat);
    CHECK(stat->rss_pages == 10);
}

TEST_CASE("proc stat: truncated or damaged text is refused", "[unit][metrics]")
{
    const std::string full = kStat;
    // Cut anywhere before the end of field 24 (rss): never a made-up value.
    const std::size_t rss_end = full.find(" 224 ") + 4;
    for (std::size_t length = 0; length < rss_end; ++length) {
        INFO("length " << length);
        const auto stat = parse_proc_stat(std::string_view(full).substr(0, length));
        // A cut inside the rss digits leaves a shorter number; that is the
        // only cut that still parses, and only at its last field.
        if (length > rss_end - 3 && stat) {
            CHECK(stat->utime_ticks == 7);
            continue;
        }
        CHECK_FALSE(stat);
    }
    CHECK_FALSE(parse_proc_stat(""));
    CHECK_FALSE(parse_proc_stat("4242 (cat"));
    CHECK_FALSE(parse_proc_stat("4242 (cat)"));
    CHECK_FALSE(parse_proc_stat("4242 (cat) R 1 2 3 4 5 6 7 8 9 10 x 3 0 0 20 0 1 0 123456 8765440 224"));
    CHECK_FALSE(parse_proc_stat("4242 (cat) R 1 2 3 4 5 6 7 8 9 10 7  3 0 0 20 0 1 0 123456 8765440 224"));
}

TEST_CASE("proc stat: btime is the boot time", "[unit][metrics]")
{
    CHECK(parse_boot_time("cpu  1 2 3\ncpu0 1 2 3\nintr 5 0\nctxt 99\nbtime 1764460800\nprocesses 12\n") ==
          std::optional<std::uint64_t>(1764460800));
    CHECK(parse_boot_time("btime 17") == std::optional<std::uint64_t>(17));
    CHECK_FALSE(parse_boot_time("cpu  1 2 3\nctxt 99\n"));
    CHECK_FALSE(parse_boot_time("btime \n"));
    CHECK_FALSE(parse_boot_time("btime 17x\n"));
    CHECK_FALSE(parse_boot_time("xbtime 17\n"));
}

TEST_CASE("open fds are counted the same by stat and by listing", "[unit][metrics]")
{
    const auto before = count_open_fds();
    REQUIRE(before);
    CHECK(count_open_fds_by_listing() == before);
    std::vector<int> fds;
    fds.reserve(10);
    for (int i = 0; i < 10; ++i)
        fds.push_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    CHECK(count_open_fds() == *before + 10);
    CHECK(count_open_fds_by_listing() == *before + 10);
    for (const int fd : fds)
        ::close(fd);
    CHECK(count_open_fds() == before);
}
