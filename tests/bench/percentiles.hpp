#pragma once
// Nearest-rank percentiles, as every benchmark here reports them: the
// smallest sample with at least p % of all samples at or below it (with
// 200 samples, p99 is the second largest). Threading: none.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace nswatch::bench {

// p in (0, 100]; NaN for no samples.
inline double percentile(std::vector<double> samples, double p)
{
    if (samples.empty()) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    std::sort(samples.begin(), samples.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(samples.size())));
    return samples[std::clamp<std::size_t>(rank, 1, samples.size()) - 1];
}

inline double maximum(const std::vector<double>& samples)
{
    return samples.empty() ? std::numeric_limits<double>::quiet_NaN()
                           : *std::max_element(samples.begin(), samples.end());
}

struct Stats {
    double p50, p99, max;
};

inline Stats stats(const std::vector<double>& samples)
{
    return {percentile(samples, 50), percentile(samples, 99), maximum(samples)};
}

} // namespace nswatch::bench
