#include "bus/output_gate.hpp"

#include "util/unique_fd.hpp"

#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace {
// A connected pair of stream sockets, as the bus connection is one.
struct Pair {
    Pair()
    {
        int fds[2];
        REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
        ours = nswatch::UniqueFd(fds[0]);
        bus = nswatch::UniqueFd(fds[1]);
    }
    nswatch::UniqueFd ours;
    nswatch::UniqueFd bus;
};
} // namespace

TEST_CASE("the gate closes while the peer has not read what was written", "[unit][gate]")
{
    Pair pair;
    nswatch::OutputGate gate(pair.ours.get(), 1000);
    CHECK(gate.unread() == 0);
    CHECK(gate.open());

    const std::vector<char> reply(5000, 'r'); // a big reply, as GetState's
    REQUIRE(::write(pair.ours.get(), reply.data(), reply.size()) == 5000);
    CHECK(gate.unread() >= 5000); // the kernel counts its buffers' overhead too
    CHECK_FALSE(gate.open());

    std::vector<char> buffer(5000);
    REQUIRE(::read(pair.bus.get(), buffer.data(), buffer.size()) == 5000);
    CHECK(gate.unread() == 0);
    CHECK(gate.open()); // the bus read it: the next call may be served
}

TEST_CASE("without a socket to ask, the gate stays open", "[unit][gate]")
{
    nswatch::OutputGate gate(-1, 0);
    CHECK(gate.unread() == 0);
    CHECK(gate.open());
}
