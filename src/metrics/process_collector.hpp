#pragma once
// The standard process_* metrics, as Prometheus' client libraries define
// them (client_golang's process collector: same names, types, units and
// help): process_cpu_seconds_total, process_open_fds, process_max_fds,
// process_virtual_memory_bytes, process_resident_memory_bytes,
// process_start_time_seconds.
//
// Read from /proc/self at collect time (a scrape), never in between: no
// thread, no timer. Threading: Collect() only reads /proc and members set
// in the constructor, so any thread may call it, concurrently too.
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace nswatch {

class ProcessCollector final : public prometheus::Collectable {
public:
    ProcessCollector();

    // Families whose source cannot be read are left out (never a made-up 0).
    [[nodiscard]] std::vector<prometheus::MetricFamily> Collect() const override;

private:
    double ticks_per_second_;
    double page_size_;
    std::optional<std::uint64_t> boot_time_; // /proc/stat btime: fixed while the system runs
};

} // namespace nswatch
