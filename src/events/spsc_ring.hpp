#pragma once
// Bounded single-producer/single-consumer queue, lock-free, that grows and
// shrinks with its contents.
//
// Threading: exactly one thread calls try_push (a namespace worker), exactly
// one thread calls try_pop / empty (the bus thread).
//
// Memory: elements live in small blocks of kSlots slots linked in a list.
// The producer allocates a block when it writes the first slot of one; the
// consumer frees a block when it moves past its last slot (lazily, at the
// pop that needs the next block: until then the producer may still be about
// to link the next block to it). So an idle queue holds exactly one block,
// about 1 KiB, and a queue of n elements about n / kSlots + 1 blocks: with
// thousands of mostly idle namespaces, no namespace pays for its capacity
// (a preallocated 4096-slot ring cost ~820 KiB each). `capacity` still
// bounds how many elements it holds: try_push refuses the one past it.
//
// Blocks are allocated by the worker and freed by the bus thread; glibc
// returns a chunk to the arena it came from, so nothing piles up in the bus
// thread's arena.
//
// Memory order: tail_ (elements pushed) and head_ (elements popped) only
// grow. The producer constructs the element (and links a new block) before
// its store to tail_; the consumer's acquire load of tail_ makes both
// visible. The tail_ store is seq_cst, not just release: it pairs with
// EventHub's seq_cst sleep flag (see EventHub::notify / prepare_sleep), and
// empty() loads tail_ seq_cst for the same reason. The consumer destroys the
// element and frees a passed block before its release store to head_; the
// producer's acquire load of head_ only decides whether it is full.
#include <atomic>
#include <cstddef>
#include <new>
#include <optional>
#include <utility>

namespace nswatch {

// Slots per block by default: ~1 KiB blocks, at least 4 slots (one
// allocation per 4 elements at worst; WorkerMessage, ~200 bytes, gets 4).
template <typename T>
inline constexpr std::size_t kDefaultBlockSlots = sizeof(T) * 4 >= 1024 ? 4 : 1024 / sizeof(T);

template <typename T, std::size_t BlockSlots = kDefaultBlockSlots<T>>
class SpscRing {
public:
    static constexpr std::size_t kSlots = BlockSlots;
    static_assert(kSlots > 0);

    explicit SpscRing(std::size_t capacity) : capacity_(capacity), head_block_(new Block), tail_block_(head_block_) {}
    ~SpscRing()
    {
        // Both threads are done: destroy what was never popped, free all blocks.
        while (try_pop()) {
        }
        delete head_block_;
    }

    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

    // Producer only. False when full (capacity elements queued) or when no
    // block could be allocated; the value is left untouched then.
    bool try_push(T& value)
    {
        const std::size_t tail = tail_.load(std::memory_order_relaxed);
        if (tail - head_cache_ >= capacity_) {
            head_cache_ = head_.load(std::memory_order_acquire);
            if (tail - head_cache_ >= capacity_) {
                return false;
            }
        }
        const std::size_t offset = tail % kSlots;
        if (offset == 0 && tail != 0) {
            // tail_block_ is full: link a fresh block. The consumer reads
            // `next` only after it saw a tail_ past this block (below).
            auto* block = new (std::nothrow) Block;
            if (block == nullptr) {
                return false; // out of memory: handled like a full queue
            }
            tail_block_->next.store(block, std::memory_order_relaxed);
            tail_block_ = block;
        }
        ::new (tail_block_->slot(offset)) T(std::move(value));
        // seq_cst pairs with EventHub's sleep flag: see EventHub::notify.
        tail_.store(tail + 1, std::memory_order_seq_cst);
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
        const std::size_t offset = head % kSlots;
        if (offset == 0 && head != 0) {
            // Every slot of head_block_ was popped and the producer wrote
            // element `head` into the next block (tail_ > head, acquired
            // above), so it has moved on: nothing refers to this block.
            Block* next = head_block_->next.load(std::memory_order_relaxed);
            delete head_block_;
            head_block_ = next;
        }
        T* element = std::launder(reinterpret_cast<T*>(head_block_->slot(offset)));
        std::optional<T> out(std::move(*element));
        element->~T();
        head_.store(head + 1, std::memory_order_release);
        return out;
    }

    // Either side: how many elements wait. The caller's own counter is
    // exact, the other side's may lag, so this is a recent value, within
    // [0, capacity]: head_ is loaded first and only ever catches up with tail_.
    [[nodiscard]] std::size_t size() const noexcept
    {
        const std::size_t head = head_.load(std::memory_order_relaxed);
        return tail_.load(std::memory_order_relaxed) - head;
    }

    // Consumer only: nothing is waiting (seq_cst load, for the sleep check).
    [[nodiscard]] bool empty() const noexcept
    {
        return head_.load(std::memory_order_relaxed) == tail_.load(std::memory_order_seq_cst);
    }

private:
    struct Block {
        // Written once by the producer (before the tail_ store that makes
        // the first element of the next block visible), read by the consumer.
        std::atomic<Block*> next{nullptr};
        alignas(T) std::byte storage[kSlots * sizeof(T)];

        void* slot(std::size_t i) noexcept { return storage + i * sizeof(T); }
    };

    static constexpr std::size_t kLine = 64;
    const std::size_t capacity_;
    // Each side's fields on a cache line of its own.
    alignas(kLine) std::atomic<std::size_t> head_{0}; // elements popped, written by the consumer
    std::size_t tail_cache_ = 0;                      // consumer's view of tail_
    Block* head_block_;                               // consumer's: holds element head_
    alignas(kLine) std::atomic<std::size_t> tail_{0}; // elements pushed, written by the producer
    std::size_t head_cache_ = 0;                      // producer's view of head_
    Block* tail_block_; // producer's: holds element tail_ - 1 (the first block at the start)
};

} // namespace nswatch
