#pragma once
// D-Bus marshalling (little-endian, protocol version 1) into a byte buffer,
// for the one message whose cost matters: the `Events` signal.
//
// Why not sd-bus: sd_bus_message_open_container() strdup()s and re-checks
// the container's signature and every append re-checks its type; a link
// event is 20 containers and 22 values, and writing them was ≈ 30,000 of
// the ≈ 40,000 instructions nswatchd spent per event (callgrind, issue 9).
// This writer knows the layout in advance and only appends bytes. The
// result is checked against sd-bus's own marshalling byte for byte
// (tests/unit/wire_writer_test.cpp) and fuzzed (tests/fuzz/).
//
// Alignment is counted from the buffer's start, so a buffer is either a
// whole message or a body (the header is padded to 8).
// Threading: none (a value type).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace nswatch {

class WireWriter {
public:
    explicit WireWriter(std::string& out) : out_(out) {}

    // Inline: these run for every value of every event.
    void align(std::size_t alignment)
    {
        const std::size_t misaligned = out_.size() & (alignment - 1); // alignment: 1, 2, 4 or 8
        if (misaligned != 0) {
            out_.append(alignment - misaligned, '\0');
        }
    }
    void byte(std::uint8_t value) { out_.push_back(static_cast<char>(value)); }
    void u16(std::uint16_t value) { little_endian<2>(value); }
    void u32(std::uint32_t value) { little_endian<4>(value); }
    void u64(std::uint64_t value) { little_endian<8>(value); }
    void i32(std::int32_t value) { u32(static_cast<std::uint32_t>(value)); }
    void boolean(bool value) { u32(value ? 1U : 0U); }
    // 's' and 'o'. A string that is not valid UTF-8, or holds a NUL, is
    // written with each bad byte replaced by U+FFFD: D-Bus requires valid
    // UTF-8, and dbus-daemon disconnects a peer that sends anything else.
    void string(std::string_view value);
    // 'g': a signature (ASCII type codes, at most 255).
    void signature(std::string_view value);
    // The start of one a{sv} entry: {sv} aligned to 8, `key` (the
    // program's own ASCII, not checked) and the variant's one-code
    // signature, in one append; the value follows.
    void dict_entry_key(std::string_view key, char code);

    // 'a': begin() writes the length's place and the padding to the
    // element's alignment; end() fills in the length (the elements' bytes,
    // not the padding before the first).
    struct Array {
        std::size_t length_at;
        std::size_t start;
    };
    Array begin_array(std::size_t element_alignment);
    void end_array(const Array& array);

    [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
    void patch_u32(std::size_t at, std::uint32_t value);

private:
    // Appends `size` bytes and returns where they start.
    char* grow(std::size_t size)
    {
        const std::size_t at = out_.size();
        out_.resize(at + size);
        return out_.data() + at;
    }
    static void put_u32(char* at, std::uint32_t value)
    {
        for (std::size_t i = 0; i < 4; ++i) {
            at[i] = static_cast<char>(static_cast<std::uint8_t>(value >> (8 * i)));
        }
    }
    // An aligned u32 length, the bytes, a NUL.
    void counted(std::string_view value);

    // `value`'s low N bytes, least significant first, aligned to N.
    template <std::size_t N>
    void little_endian(std::uint64_t value)
    {
        align(N);
        char bytes[N];
        for (std::size_t i = 0; i < N; ++i) {
            bytes[i] = static_cast<char>(static_cast<std::uint8_t>(value >> (8 * i)));
        }
        out_.append(bytes, N);
    }

    std::string& out_;
};

// Whether `text` is valid UTF-8 with no NUL (what D-Bus accepts in 's').
bool is_dbus_string(std::string_view text) noexcept;
// `text` with every byte that is not part of a valid UTF-8 sequence, and
// every NUL, replaced by U+FFFD.
std::string to_dbus_string(std::string_view text);

} // namespace nswatch
