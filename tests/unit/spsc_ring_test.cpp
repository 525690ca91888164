#include "events/spsc_ring.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using nswatch::SpscRing;

TEST_CASE("ring hands elements out in the order they were pushed, across wrap-around", "[unit][ring]")
{
    SpscRing<int> ring(3);
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 3; ++i) {
            int v = round * 10 + i;
            REQUIRE(ring.try_push(v));
        }
        for (int i = 0; i < 3; ++i) {
            auto v = ring.try_pop();
            REQUIRE(v);
            CHECK(*v == round * 10 + i);
        }
        CHECK(ring.empty());
    }
}

TEST_CASE("a full ring refuses a push and leaves the value with the caller", "[unit][ring]")
{
    SpscRing<std::string> ring(2);
    std::string a = "a";
    std::string b = "b";
    std::string c = "c";
    REQUIRE(ring.try_push(a));
    REQUIRE(ring.try_push(b));
    CHECK_FALSE(ring.try_push(c));
    CHECK(c == "c");
    CHECK(*ring.try_pop() == "a");
    CHECK(ring.try_push(c));
    CHECK(*ring.try_pop() == "b");
    CHECK(*ring.try_pop() == "c");
    CHECK_FALSE(ring.try_pop());
}

TEST_CASE("a producer and a consumer thread lose, duplicate and reorder nothing", "[unit][ring]")
{
    constexpr std::uint64_t kCount = 200'000;
    SpscRing<std::uint64_t> ring(64);
    std::thread producer([&] {
        for (std::uint64_t i = 1; i <= kCount; ++i) {
            std::uint64_t v = i;
            while (!ring.try_push(v)) {
                std::this_thread::yield();
            }
        }
    });
    std::uint64_t expected = 1;
    while (expected <= kCount) {
        if (auto v = ring.try_pop()) {
            REQUIRE(*v == expected);
            ++expected;
        } else {
            std::this_thread::yield();
        }
    }
    producer.join();
    CHECK(ring.empty());
}
