#include "events/spsc_ring.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <thread>

using nswatch::SpscRing;

namespace {

// Counts live instances: what the ring constructs it must destroy.
struct Counted {
    static inline int live = 0;
    std::string value; // heap-allocated when long: a use after free shows under ASan
    Counted() { ++live; }
    explicit Counted(std::string v) : value(std::move(v)) { ++live; }
    Counted(const Counted& o) : value(o.value) { ++live; }
    Counted(Counted&& o) noexcept : value(std::move(o.value)) { ++live; }
    Counted& operator=(const Counted&) = default;
    Counted& operator=(Counted&&) noexcept = default;
    ~Counted() { --live; }
};

std::string long_text(std::uint64_t i)
{
    std::string s(40, 'x'); // past the small-string buffer
    s += std::to_string(i);
    return s;
}

} // namespace

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

TEST_CASE("ring keeps order across block boundaries at every phase of fill and drain", "[unit][ring]")
{
    // Blocks of 3 slots, capacity 7 (not a multiple): every offset of head
    // and tail within a block meets a block change on both sides.
    SpscRing<int, 3> ring(7);
    int next_in = 0;
    int next_out = 0;
    for (int round = 0; round < 50; ++round) {
        const int push = 1 + round % 7;
        for (int i = 0; i < push; ++i) {
            int v = next_in;
            if (ring.try_push(v)) {
                ++next_in;
            }
        }
        const int pop = 1 + (round * 3) % 5;
        for (int i = 0; i < pop; ++i) {
            if (auto v = ring.try_pop()) {
                REQUIRE(*v == next_out);
                ++next_out;
            }
        }
        REQUIRE(next_in - next_out <= 7);
    }
    while (auto v = ring.try_pop()) {
        REQUIRE(*v == next_out++);
    }
    CHECK(next_out == next_in);
    CHECK(next_in > 100);
    CHECK(ring.empty());
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

TEST_CASE("a ring holds exactly its capacity, spread over many blocks", "[unit][ring]")
{
    SpscRing<std::string, 4> ring(4096);
    for (int i = 0; i < 4096; ++i) {
        std::string v = std::to_string(i);
        REQUIRE(ring.try_push(v));
    }
    std::string extra = "extra";
    CHECK_FALSE(ring.try_push(extra));
    CHECK(extra == "extra");
    CHECK(*ring.try_pop() == "0");
    CHECK(ring.try_push(extra)); // one popped: room for exactly one
    std::string more = "more";
    CHECK_FALSE(ring.try_push(more));
    for (int i = 1; i < 4096; ++i) {
        REQUIRE(*ring.try_pop() == std::to_string(i));
    }
    CHECK(*ring.try_pop() == "extra");
    CHECK(ring.empty());
}

TEST_CASE("a ring destroys every element it took: popped, or left in it when it goes", "[unit][ring]")
{
    REQUIRE(Counted::live == 0);
    {
        SpscRing<Counted, 3> ring(100);
        for (int i = 0; i < 20; ++i) {
            Counted c(long_text(static_cast<std::uint64_t>(i)));
            REQUIRE(ring.try_push(c));
        }
        for (int i = 0; i < 8; ++i) {
            auto c = ring.try_pop();
            REQUIRE(c);
            CHECK(c->value == long_text(static_cast<std::uint64_t>(i)));
        }
        CHECK(Counted::live == 12 + 0); // the 8 popped ones are gone with their optionals
    }
    CHECK(Counted::live == 0);
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

TEST_CASE("blocks grown by the producer while the consumer pops and frees them lose nothing", "[unit][ring]")
{
    // Small blocks (3 slots) and heap-owning elements: a block freed too
    // early, or an element read before it was written, shows as a wrong
    // value here (or as a use after free under ASan/TSan). The consumer
    // drains in bursts, so the queue fills to capacity and empties again:
    // growth, shrinking back to one block and refused pushes all happen.
    constexpr std::uint64_t kCount = 100'000;
    constexpr std::size_t kCapacity = 100;
    SpscRing<std::string, 3> ring(kCapacity);
    std::thread producer([&] {
        for (std::uint64_t i = 0; i < kCount; ++i) {
            std::string v = long_text(i);
            while (!ring.try_push(v)) {
                std::this_thread::yield();
            }
        }
    });
    std::uint64_t expected = 0;
    std::uint64_t polls = 0;
    while (expected < kCount) {
        // Pop a burst, then leave the producer alone for a while.
        for (int i = 0; i < 1 + static_cast<int>(polls % 150); ++i) {
            auto v = ring.try_pop();
            if (!v) {
                break;
            }
            REQUIRE(*v == long_text(expected));
            ++expected;
        }
        ++polls;
        std::this_thread::yield();
    }
    producer.join();
    CHECK_FALSE(ring.try_pop());
    CHECK(ring.empty());
}
