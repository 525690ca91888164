#include "netns/proc_events.hpp"
#include "netns/proc_connector.hpp"

#include <catch2/catch.hpp>

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <initializer_list>
#include <random>
#include <vector>

using namespace nswatch;
using Kind = ProcEvent::Kind;

namespace {

// Fixtures laid out by hand (x86_64, little endian), independent of the
// kernel headers the parser uses:
//   0 nlmsghdr: len u32, type u16, flags u16, seq u32, pid u32
//  16 cn_msg:   idx u32, val u32, seq u32, ack u32, len u16, flags u16
//  36 proc_event: what u32, cpu u32, timestamp u64, then the union (24 bytes)
using Bytes = std::vector<std::byte>;
constexpr std::uint32_t kFork = 0x1, kExec = 0x2, kExit = 0x80000000, kComm = 0x200, kNone = 0;
constexpr std::uint16_t kTypeDone = 3; // what the connector sends

template <class T>
void put(Bytes& out, std::size_t offset, T value)
{
    std::memcpy(out.data() + offset, &value, sizeof value);
}

// A proc_event body: header, then the union's 32-bit words; 40 bytes as
// the kernel sends unless `size` says otherwise.
Bytes event(std::uint32_t what, std::initializer_list<std::uint32_t> words, std::size_t size = 40)
{
    Bytes body(std::max<std::size_t>(size, 16 + 4 * words.size()));
    put(body, 0, what);
    put(body, 4, std::uint32_t{1});         // cpu
    put(body, 8, std::uint64_t{123456789}); // timestamp_ns
    std::size_t at = 16;
    for (std::uint32_t word : words) {
        put(body, at, word);
        at += 4;
    }
    body.resize(size);
    return body;
}

struct Header {
    std::uint16_t type = kTypeDone;
    std::uint32_t idx = 1, val = 1; // CN_IDX_PROC, CN_VAL_PROC
    std::uint32_t ack = 0;
    int cn_len_delta = 0; // lie in cn_msg.len
    int nl_len_delta = 0; // lie in nlmsg_len
};

Bytes message(const Bytes& body, Header h = {})
{
    Bytes out(36 + body.size());
    put(out, 0, static_cast<std::uint32_t>(static_cast<int>(out.size()) + h.nl_len_delta));
    put(out, 4, h.type);
    put(out, 16, h.idx);
    put(out, 20, h.val);
    put(out, 28, h.ack);
    put(out, 32, static_cast<std::uint16_t>(static_cast<int>(body.size()) + h.cn_len_delta));
    std::copy(body.begin(), body.end(), out.begin() + 36);
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts)
{
    Bytes out;
    for (const Bytes& part : parts) {
        out.insert(out.end(), part.begin(), part.end());
        out.resize((out.size() + 3) & ~std::size_t{3}); // NLMSG_ALIGN
    }
    return out;
}

const Bytes kForkMsg = message(event(kFork, {100, 100, 201, 200}));
const Bytes kExecMsg = message(event(kExec, {300, 300}));
const Bytes kExitMsg = message(event(kExit, {401, 400, 0, 17, 1, 1}));

// Captured from Linux 6.18 (6.18.44): the exec of /bin/true, PID 18525.
// nlmsg_type 3 (NLMSG_DONE), nlmsg_len 76, cn_msg.len 40.
constexpr std::array<unsigned char, 76> kCapturedExec = {
    0x4c, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x8c, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x00, 0x00, 0x8c, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6d, 0x7f, 0x13, 0x43, 0x9c, 0x00, 0x00, 0x00, 0x5d, 0x48, 0x00, 0x00, 0x5d,
    0x48, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

std::vector<ProcEvent> parse(const Bytes& bytes)
{
    return parse_proc_events(bytes);
}

} // namespace

TEST_CASE("fork, exec and exit events name the right process", "[unit][procevents]")
{
    CHECK(parse(kForkMsg) == std::vector<ProcEvent>{{Kind::Fork, 201, 200}}); // the child
    CHECK(parse(kExecMsg) == std::vector<ProcEvent>{{Kind::Exec, 300, 300}});
    CHECK(parse(kExitMsg) == std::vector<ProcEvent>{{Kind::Exit, 401, 400}});
}

TEST_CASE("a datagram captured from the kernel parses as the exec it was", "[unit][procevents]")
{
    const auto events = parse_proc_events(std::as_bytes(std::span(kCapturedExec)));
    CHECK(events == std::vector<ProcEvent>{{Kind::Exec, 18525, 18525}});
}

TEST_CASE("all messages of a datagram are parsed, padding included", "[unit][procevents]")
{
    CHECK(parse(concat({kForkMsg, kExecMsg, kExitMsg})) ==
          std::vector<ProcEvent>{{Kind::Fork, 201, 200}, {Kind::Exec, 300, 300}, {Kind::Exit, 401, 400}});
    // A first message whose length is not a multiple of 4 is followed by
    // padding; the last message may go without.
    Bytes odd = message(event(kExec, {7, 7}, 41));
    odd = concat({odd, kExecMsg});
    CHECK(parse(odd) == std::vector<ProcEvent>{{Kind::Exec, 7, 7}, {Kind::Exec, 300, 300}});
}

TEST_CASE("lengths that cannot be trusted end the walk without reading past the buffer", "[unit][procevents]")
{
    SECTION("a truncated netlink header")
    {
        CHECK(parse(Bytes(10)).empty());
        Bytes tail = kExecMsg;
        tail.resize(tail.size() + 10);
        CHECK(parse(tail).size() == 1);
    }
    SECTION("nlmsg_len larger than the datagram")
    {
        CHECK(parse(message(event(kExec, {1, 1}), {.nl_len_delta = 1})).empty());
        CHECK(parse(concat({kExecMsg, message(event(kExec, {1, 1}), {.nl_len_delta = 100})})) ==
              std::vector<ProcEvent>{{Kind::Exec, 300, 300}});
    }
    SECTION("nlmsg_len smaller than its header, even 0")
    {
        for (int len : {0, 8, 15}) {
            CHECK(parse(message(event(kExec, {1, 1}), {.nl_len_delta = len - 76})).empty());
        }
    }
    SECTION("every prefix of a real datagram")
    {
        for (std::size_t n = 0; n < kCapturedExec.size(); ++n) {
            const auto prefix = std::as_bytes(std::span(kCapturedExec.data(), n));
            CHECK(parse_proc_events(prefix).empty());
        }
    }
}

TEST_CASE("a message with inconsistent inner lengths is skipped, the next still counts", "[unit][procevents]")
{
    SECTION("cn_msg.len larger than what is left")
    {
        CHECK(parse(concat({message(event(kExec, {1, 1}), {.cn_len_delta = 1}), kExecMsg})) ==
              std::vector<ProcEvent>{{Kind::Exec, 300, 300}});
    }
    SECTION("a proc_event shorter than its type needs")
    {
        const Bytes short_fork = message(event(kFork, {1, 1}, 24)); // no child fields
        const Bytes short_exit = message(event(kExit, {2, 2}, 32)); // no parent fields
        const Bytes no_header = message(event(kExec, {}, 12));
        CHECK(parse(concat({short_fork, short_exit, no_header, kExecMsg})) ==
              std::vector<ProcEvent>{{Kind::Exec, 300, 300}});
    }
    SECTION("an exec event of exactly its size is enough")
    {
        CHECK(parse(message(event(kExec, {5, 6}, 24))) == std::vector<ProcEvent>{{Kind::Exec, 5, 6}});
    }
}

TEST_CASE("other event types, other connectors and control messages", "[unit][procevents]")
{
    CHECK(parse(message(event(0x400, {9, 9}))) == std::vector<ProcEvent>{{Kind::Other, 0, 0}}); // unknown
    CHECK(parse(message(event(kComm, {9, 8}))) == std::vector<ProcEvent>{{Kind::Other, 9, 8}});
    CHECK(parse(message(event(kExec, {1, 1}), {.idx = 2})).empty()); // CN_IDX_CIFS
    CHECK(parse(message(event(kExec, {1, 1}), {.val = 2})).empty());
    for (std::uint16_t type : {1, 2, 4}) { // NLMSG_NOOP, NLMSG_ERROR, NLMSG_OVERRUN
        CHECK(parse(concat({message(event(kExec, {1, 1}), {.type = type}), kExecMsg})).size() == 1);
    }
}

TEST_CASE("the kernel's answer to a subscription is recognised by its ack", "[unit][procevents]")
{
    const Bytes ok = message(event(kNone, {0}), {.ack = 1001});
    CHECK(parse_proc_ack(ok, 1000) == std::optional<std::uint32_t>(0));
    CHECK_FALSE(parse_proc_ack(ok, 7)); // another listener's answer
    CHECK(parse_proc_ack(message(event(kNone, {22}), {.ack = 8}), 7) == std::optional<std::uint32_t>(22));
    CHECK_FALSE(parse_proc_ack(message(event(kExec, {1, 1}), {.ack = 1001}), 1000));
    CHECK(parse(ok) == std::vector<ProcEvent>{{Kind::Other, 0, 0}});
}

TEST_CASE("random corruption of datagrams never reads out of bounds", "[unit][procevents]")
{
    // Meaningful under -fsanitize=address; otherwise a smoke test.
    std::mt19937 rng(42);
    const Bytes base = concat({kForkMsg, kExecMsg, kExitMsg});
    for (int round = 0; round < 20000; ++round) {
        Bytes bytes = base;
        bytes.resize(rng() % (base.size() + 1));
        for (auto flips = static_cast<int>(rng() % 4); flips >= 0 && !bytes.empty(); --flips) {
            bytes[rng() % bytes.size()] = static_cast<std::byte>(rng());
        }
        CHECK(parse_proc_events(bytes).size() <= 3);
        (void)parse_proc_ack(bytes, 0);
    }
}

// The live tests below need the connector, which exists only in the initial
// network namespace (and answers only the initial PID and user namespaces):
// elsewhere they say why and pass.
namespace {

pid_t spawn_true()
{
    const pid_t child = ::fork();
    if (child == 0) {
        ::execl("/bin/true", "true", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    return child;
}

// Reads until `done(events)` or a 5 s timeout; returns the events read.
template <class Done>
std::vector<ProcEvent> read_until(ProcConnector& connector, Done done)
{
    std::vector<ProcEvent> events;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done(events) && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{connector.fd(), POLLIN, 0};
        ::poll(&pfd, 1, 100);
        connector.read(events);
    }
    return events;
}

bool has(const std::vector<ProcEvent>& events, ProcEvent wanted)
{
    return std::find(events.begin(), events.end(), wanted) != events.end();
}

} // namespace

TEST_CASE("the connector reports the fork, exec and exit of a child", "[unit][procevents]")
{
    std::string why_not;
    auto connector = ProcConnector::open(why_not);
    if (!connector) {
        WARN("skipped: " << why_not);
        return;
    }
    const pid_t child = spawn_true();
    const auto events = read_until(*connector, [child](const auto& seen) {
        return has(seen, {Kind::Exit, child, child});
    });
    CHECK(has(events, {Kind::Fork, child, child}));
    CHECK(has(events, {Kind::Exec, child, child}));
    CHECK(has(events, {Kind::Exit, child, child}));
}

TEST_CASE("an overrun is reported once and reading goes on", "[unit][procevents]")
{
    std::string why_not;
    auto connector = ProcConnector::open(why_not);
    if (!connector) {
        WARN("skipped: " << why_not);
        return;
    }
    std::vector<ProcEvent> events;
    connector->read(events);
    const int tiny = 1; // the kernel rounds it up to its minimum, a few datagrams
    REQUIRE(::setsockopt(connector->fd(), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny) == 0);
    for (int i = 0; i < 100; ++i) {
        spawn_true();
    }
    CHECK_FALSE(connector->read(events));
    // Room again, or a busy machine keeps overrunning and the child's
    // events below are lost too.
    const int normal = ProcConnector::kReceiveBufferBytes;
    REQUIRE(::setsockopt(connector->fd(), SOL_SOCKET, SO_RCVBUF, &normal, sizeof normal) == 0);
    const pid_t child = spawn_true();
    events = read_until(*connector, [child](const auto& seen) { return has(seen, {Kind::Exit, child, child}); });
    CHECK(has(events, {Kind::Exec, child, child}));
}

TEST_CASE("datagrams from other processes are not taken for kernel events", "[unit][procevents]")
{
    std::string why_not;
    auto connector = ProcConnector::open(why_not);
    if (!connector) {
        WARN("skipped: " << why_not);
        return;
    }
    sockaddr_nl target{};
    socklen_t len = sizeof target;
    REQUIRE(::getsockname(connector->fd(), reinterpret_cast<sockaddr*>(&target), &len) == 0);
    const int sender = ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_CONNECTOR);
    REQUIRE(sender >= 0);
    const Bytes forged = message(event(kExec, {424242, 424242}));
    const ssize_t sent =
        ::sendto(sender, forged.data(), forged.size(), 0, reinterpret_cast<sockaddr*>(&target), sizeof target);
    const int err = errno;
    ::close(sender);
    if (sent < 0 && err == EPERM) {
        WARN("skipped: only a privileged process can send on NETLINK_CONNECTOR");
        return;
    }
    REQUIRE(sent == static_cast<ssize_t>(forged.size())); // the kernel delivers it
    const pid_t child = spawn_true();
    const auto events = read_until(*connector, [child](const auto& seen) {
        return has(seen, {Kind::Exit, child, child});
    });
    CHECK(has(events, {Kind::Exit, child, child}));
    CHECK_FALSE(has(events, {Kind::Exec, 424242, 424242}));
}
