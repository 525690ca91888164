#pragma once
// Traffic-control objects as the daemon reports them: plain values, no libnl.
// Handles and parents are the raw 32-bit tc values the kernel reports
// (major << 16 | minor; a root's parent is 0xffffffff).
#include <cstdint>
#include <optional>
#include <string>

namespace nswatch {

inline constexpr std::uint32_t kTcRoot = 0xffffffffU;
inline constexpr std::uint32_t kTcIngressParent = 0xfffffff2U; // clsact/ingress: ingress hook
inline constexpr std::uint32_t kTcEgressParent = 0xfffffff3U;  // clsact: egress hook

constexpr std::uint32_t tc_major(std::uint32_t handle) noexcept
{
    return handle & 0xffff0000U;
}

// "1:10", "1:", "root", "ffff:fff2" — tc's notation.
std::string format_tc_handle(std::uint32_t handle);

// The main parameters of a qdisc or class kind, in the kernel's units, each
// present only where the kernel reports it for that kind.
struct TcParams {
    std::optional<std::uint64_t> rate;          // bytes/s (htb, tbf)
    std::optional<std::uint64_t> ceil;          // bytes/s (htb class)
    std::optional<std::uint64_t> peakrate;      // bytes/s (tbf, when set)
    std::optional<std::uint32_t> burst;         // bytes (htb class, tbf)
    std::optional<std::uint32_t> cburst;        // bytes (htb class)
    std::optional<std::uint32_t> limit;         // tbf: bytes; pfifo: packets; bfifo: bytes
    std::optional<std::uint32_t> mtu;           // bytes (tbf with peakrate)
    std::optional<std::uint32_t> prio;          // htb class
    std::optional<std::uint32_t> quantum;       // htb class
    std::optional<std::uint32_t> default_class; // htb qdisc "default" (minor id)
    std::optional<std::uint32_t> r2q;           // htb qdisc
    std::optional<std::uint32_t> direct_qlen;   // htb qdisc
    std::optional<std::uint32_t> bands;         // pfifo_fast

    bool operator==(const TcParams&) const = default;
};

struct Qdisc {
    std::int32_t ifindex = 0;
    std::uint32_t handle = 0;
    std::uint32_t parent = 0;
    std::string kind;
    TcParams params;

    bool operator==(const Qdisc&) const = default;
};

struct TcClass {
    std::int32_t ifindex = 0;
    std::uint32_t handle = 0;
    std::uint32_t parent = 0;
    std::string kind;
    TcParams params;

    bool operator==(const TcClass&) const = default;
};

struct Filter {
    std::int32_t ifindex = 0;
    std::uint32_t handle = 0; // 0: the filter protocol entry itself (tcf_proto)
    std::uint32_t parent = 0;
    std::uint32_t priority = 0;
    std::uint16_t protocol = 0; // host byte order, as tc shows it (0x0800 = ip)
    std::uint32_t chain = 0;
    std::string kind;
    std::optional<std::uint32_t> classid; // the class it sends to, where the kind has one

    bool operator==(const Filter&) const = default;
};

} // namespace nswatch
