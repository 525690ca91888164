// GetMetrics' renderer: the bus thread asks and goes on; the text comes back
// on the bus thread once the (slow) render is done.
#include "daemon/metrics_renderer.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <vector>

using namespace nswatch;

namespace {

struct Answer {
    std::optional<std::string> text;
    std::string error;
};

// Runs the loop until `done` holds (bounded: Catch fails the test on timeout).
template <typename Done>
bool run_until(EventLoop& loop, Done done)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        loop.run_once(100);
    }
    return true;
}

} // namespace

TEST_CASE("a slow render does not hold the caller: the text is handed back later, on the loop's thread",
          "[unit][renderer]")
{
    EventLoop loop;
    std::promise<void> release;
    auto released = release.get_future().share();
    int renders = 0;
    MetricsRenderer renderer(loop, [&] {
        released.wait(); // as long as 10,000 namespaces take
        return "x_total " + std::to_string(++renders) + "\n";
    });
    std::vector<Answer> answers;
    const auto caller = std::this_thread::get_id();
    std::thread::id answered_on;
    renderer.request([&](std::optional<std::string> text, const std::string& error) {
        answered_on = std::this_thread::get_id();
        answers.push_back({std::move(text), error});
    });
    // request() returned while the render waits; the loop is free.
    loop.run_once(0);
    CHECK(answers.empty());
    release.set_value();
    REQUIRE(run_until(loop, [&] { return !answers.empty(); }));
    CHECK(answers.front().text == "x_total 1\n");
    CHECK(answered_on == caller);
}

TEST_CASE("a request during a render gets the next render; a failing render answers with why", "[unit][renderer]")
{
    EventLoop loop;
    std::promise<void> release;
    auto released = release.get_future().share();
    int renders = 0;
    MetricsRenderer renderer(loop, [&]() -> std::string {
        released.wait();
        if (++renders == 3) {
            throw std::runtime_error("registry gone");
        }
        return "render " + std::to_string(renders);
    });
    std::vector<std::string> got;
    auto reply = [&](std::optional<std::string> text, const std::string& error) {
        got.push_back(text ? *text : "error: " + error);
    };
    renderer.request(reply);
    renderer.request(reply); // during the first render
    release.set_value();
    REQUIRE(run_until(loop, [&] { return got.size() == 2; }));
    CHECK(got == std::vector<std::string>{"render 1", "render 2"});
    renderer.request(reply);
    REQUIRE(run_until(loop, [&] { return got.size() == 3; }));
    CHECK(got.back() == "error: registry gone");
}
