// Prints the exposition of a DaemonMetrics fed one of every observer call
// (per-namespace series included), for `promtool check metrics`
// (tests/metrics/promtool_check.sh).
#include "../unit/metrics_fixture.hpp"

#include <iostream>

int main()
{
    nswatch::DaemonMetrics metrics(true);
    nswatch::test::populate(metrics);
    std::cout << metrics.render();
    return std::cout ? 0 : 1;
}
