// contrib/grafana/nswatch.json queries only metrics the daemon exports: every
// metric name in the dashboard's PromQL (panel targets and template
// variables) is a sample name in the exposition of a populated DaemonMetrics
// (histograms as _bucket, _sum or _count). The dashboard's path comes from
// the environment (NSWATCH_CONTRIB_DIR, set by tests/meson.build).
#include "metrics_fixture.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <string_view>

using nlohmann::json;

namespace {

bool word_char(char c)
{
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
}

std::size_t skip_spaces(std::string_view expr, std::size_t at)
{
    while (at < expr.size() && std::isspace(static_cast<unsigned char>(expr[at])) != 0)
        ++at;
    return at;
}

// The index after the bracket that closes the one at `at`.
std::size_t skip_group(std::string_view expr, std::size_t at, char open, char close)
{
    int depth = 0;
    for (; at < expr.size(); ++at) {
        if (expr[at] == open)
            ++depth;
        else if (expr[at] == close && --depth == 0)
            return at + 1;
    }
    return at;
}

// The metric names a PromQL expression selects: identifiers that are not
// functions, keywords, label lists (by/without/on/ignoring/group_*),
// matchers ({…}), ranges ([…]), strings, numbers or Grafana variables.
std::set<std::string> metric_names(std::string_view expr)
{
    // Aggregation operators may put their `by (…)` before the parenthesis.
    static const std::set<std::string_view> kKeywords{
        "and",        "or",          "unless", "bool",         "offset",  "by",   "without", "on",  "ignoring",
        "group_left", "group_right", "inf",    "nan",          "sum",     "min",  "max",     "avg", "group",
        "stddev",     "stdvar",      "count",  "count_values", "bottomk", "topk", "quantile"};
    static const std::set<std::string_view> kLabelLists{"by", "without", "on", "ignoring", "group_left", "group_right"};
    std::set<std::string> names;
    std::size_t at = 0;
    while (at < expr.size()) {
        const char c = expr[at];
        if (c == '"' || c == '\'' || c == '`') {
            const std::size_t end = expr.find(c, at + 1);
            at = end == std::string_view::npos ? expr.size() : end + 1;
        } else if (c == '{') {
            at = skip_group(expr, at, '{', '}');
        } else if (c == '[') {
            at = skip_group(expr, at, '[', ']');
        } else if (c == '$') {
            at = skip_group(expr, at, '{', '}'); // ${var}
            while (at < expr.size() && word_char(expr[at]))
                ++at;
        } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
            while (at < expr.size() && (word_char(expr[at]) || expr[at] == '.'))
                ++at;
        } else if (word_char(c)) {
            const std::size_t start = at;
            while (at < expr.size() && word_char(expr[at]))
                ++at;
            const std::string_view word = expr.substr(start, at - start);
            const std::size_t next = skip_spaces(expr, at);
            const bool call = next < expr.size() && expr[next] == '(';
            if (call && word == "label_values") { // Grafana: label_values(metric, label)
                const std::size_t comma = expr.find(',', next);
                names.insert(std::string(expr.substr(next + 1, comma - next - 1)));
                at = skip_group(expr, next, '(', ')');
            } else if (call && kLabelLists.contains(word)) {
                at = skip_group(expr, next, '(', ')');
            } else if (!call && !kKeywords.contains(word)) {
                names.insert(std::string(word));
            }
        } else {
            ++at;
        }
    }
    return names;
}

// Every PromQL string of the dashboard: targets' "expr", templating queries.
void collect_queries(const json& node, std::set<std::string>& queries)
{
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            // "query" strings without a call are not PromQL (a datasource variable's plugin type).
            const bool promql =
                value.is_string() &&
                (key == "expr" || (key == "query" && value.get<std::string>().find('(') != std::string::npos));
            if (promql)
                queries.insert(value.get<std::string>());
            else if (key == "query" && value.is_object() && value.contains("query"))
                queries.insert(value["query"].get<std::string>());
            else
                collect_queries(value, queries);
        }
    } else if (node.is_array()) {
        for (const auto& item : node)
            collect_queries(item, queries);
    }
}

} // namespace

TEST_CASE("the PromQL reader finds metric names only", "[unit][dashboard]")
{
    CHECK(
        metric_names(R"(histogram_quantile(0.99, sum by (le) (rate(a_bucket{job="x",le!="1"}[$__rate_interval]))))") ==
        std::set<std::string>{"a_bucket"});
    CHECK(metric_names("rate(a_sum[5m]) / ignoring(x) rate(a_count[5m]) > 0 and on (instance) b") ==
          std::set<std::string>{"a_sum", "a_count", "b"});
    CHECK(metric_names("label_values(nswatch_build_info, instance)") == std::set<std::string>{"nswatch_build_info"});
    CHECK(metric_names(R"(c{instance=~"$instance"} * 1e3 offset 1h)") == std::set<std::string>{"c"});
}

TEST_CASE("the Grafana dashboard queries only exported metrics", "[unit][dashboard]")
{
    const char* contrib = std::getenv("NSWATCH_CONTRIB_DIR");
    REQUIRE(contrib != nullptr);
    std::ifstream file(std::string(contrib) + "/grafana/nswatch.json");
    REQUIRE(file);
    const json dashboard = json::parse(file);

    std::set<std::string> queries;
    collect_queries(dashboard, queries);
    REQUIRE(queries.size() >= 10);

    nswatch::DaemonMetrics metrics(true);
    nswatch::test::populate(metrics);
    const std::set<std::string> exported = nswatch::test::sample_names(metrics.render());
    std::set<std::string> used;
    for (const std::string& query : queries) {
        for (const std::string& name : metric_names(query)) {
            INFO("query: " << query);
            CHECK(exported.contains(name));
            used.insert(name);
        }
    }
    // The dashboard shows the figures the issue asks for.
    for (const char* name : {"nswatch_events_published_total", "nswatch_events_dropped_total", "nswatch_resyncs_total",
                             "nswatch_queue_depth", "nswatch_queue_high_water", "nswatch_event_latency_seconds_bucket",
                             "nswatch_discovery_latency_seconds_bucket", "nswatch_namespaces",
                             "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds"}) {
        INFO(name);
        CHECK(used.contains(name));
    }
}
