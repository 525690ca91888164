#include "metrics/process_collector.hpp"

#include "metrics/proc_self.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <limits>
#include <string>

namespace nswatch {

namespace {

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type, double value)
{
    prometheus::ClientMetric metric;
    if (type == prometheus::MetricType::Counter)
        metric.counter.value = value;
    else
        metric.gauge.value = value;
    prometheus::MetricFamily result;
    result.name = std::move(name);
    result.help = std::move(help);
    result.type = type;
    result.metric.push_back(std::move(metric));
    return result;
}

prometheus::MetricFamily gauge(std::string name, std::string help, double value)
{
    return family(std::move(name), std::move(help), prometheus::MetricType::Gauge, value);
}

} // namespace

ProcessCollector::ProcessCollector()
    : ticks_per_second_(static_cast<double>(::sysconf(_SC_CLK_TCK))),
      page_size_(static_cast<double>(::sysconf(_SC_PAGESIZE)))
{
    if (const auto text = read_proc_file("/proc/stat"))
        boot_time_ = parse_boot_time(*text);
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const
{
    std::vector<prometheus::MetricFamily> families;
    const auto text = read_proc_file("/proc/self/stat");
    const auto stat = text ? parse_proc_stat(*text) : std::nullopt;
    if (stat && ticks_per_second_ > 0) {
        const auto cpu_ticks = static_cast<double>(stat->utime_ticks + stat->stime_ticks);
        families.push_back(family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                                  prometheus::MetricType::Counter, cpu_ticks / ticks_per_second_));
    }
    if (const auto fds = count_open_fds())
        families.push_back(gauge("process_open_fds", "Number of open file descriptors.", static_cast<double>(*fds)));
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
        const double max_fds = limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                                               : static_cast<double>(limit.rlim_cur);
        families.push_back(gauge("process_max_fds", "Maximum number of open file descriptors.", max_fds));
    }
    if (stat) {
        families.push_back(gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                                 static_cast<double>(stat->vsize_bytes)));
        families.push_back(gauge("process_resident_memory_bytes", "Resident memory size in bytes.",
                                 static_cast<double>(stat->rss_pages) * page_size_));
    }
    if (stat && boot_time_ && ticks_per_second_ > 0) {
        const double start =
            static_cast<double>(*boot_time_) + static_cast<double>(stat->start_ticks) / ticks_per_second_;
        families.push_back(
            gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", start));
    }
    return families;
}

} // namespace nswatch
