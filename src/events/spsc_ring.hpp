#pragma once
// Bounded single-producer/single-consumer ring, lock-free.
//
// Threading: exactly one thread calls try_push (a namespace worker), exactly
// one thread calls try_pop / empty (the bus thread). Elements are moved in
// and out; a slot is reused only after the consumer has moved out of it.
#include <atomic>
#include <cstddef>
#include <new>
#include <optional>
#include <vector>

namespace nswatch {

template <typename T>
class SpscRing {
public:
    explicit SpscRing(std::size_t capacity) : slots_(capacity + 1) {}

    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return slots_.size() - 1; }

    // Producer only. False when full; the value is left untouched then.
    bool try_push(T& value)
    {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        const std::size_t next = advance(tail);
        if (next == head_cache_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (next == head_cache_) {
                return false;
            }
        }
        slots_[tail] = std::move(value);
        // seq_cst pairs with EventHub's sleep flag: see EventHub::notify.
        tail_.store(next, std::memory_order_seq_cst);
        return true;
    }

    // Consumer only.
    std::optional<T> try_pop()
    {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        if (head == tail_cache_) {
            tail_cache_ = tail_.load(std::memory_order_acquire);
            if (head == tail_cache_) {
                return std::nullopt;
            }
        }
        std::optional<T> out(std::move(slots_[head]));
        slots_[head] = T{};
        head_.store(advance(head), std::memory_order_release);
        return out;
    }

    // Consumer only: nothing is waiting (seq_cst load, for the sleep check).
    [[nodiscard]] bool empty() const noexcept
    {
        return head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_seq_cst);
    }

private:
    [[nodiscard]] std::size_t advance(std::size_t i) const noexcept { return i + 1 == slots_.size() ? 0 : i + 1; }

    static constexpr std::size_t kLine = 64;
    std::vector<T> slots_;
    alignas(kLine) std::atomic<std::size_t> head_{0}; // written by the consumer
    std::size_t tail_cache_ = 0;                      // consumer's view of tail_
    alignas(kLine) std::atomic<std::size_t> tail_{0}; // written by the producer
    std::size_t head_cache_ = 0;                      // producer's view of head_
};

} // namespace nswatch
