#include "netlink/dump_scheduler.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

#include <linux/rtnetlink.h>

#include <cerrno>
#include <ostream>
#include <vector>

namespace nswatch {
// For Catch's messages.
std::ostream& operator<<(std::ostream& out, const DumpAction& action)
{
    switch (action.kind) {
    case DumpAction::Kind::BeginFull: return out << "BeginFull(" << static_cast<int>(action.reason) << ")";
    case DumpAction::Kind::BeginRefresh:
        return out << "BeginRefresh(" << action.scope.links.size() << " links, " << action.scope.filter_parents.size()
                   << " filter parents)";
    case DumpAction::Kind::Send:
        return out << "Send(" << action.request.type << ", " << action.request.ifindex << ", " << std::hex
                   << action.request.parent << std::dec << ")";
    case DumpAction::Kind::EndFull: return out << "EndFull(" << static_cast<int>(action.reason) << ")";
    case DumpAction::Kind::EndRefresh: return out << "EndRefresh";
    }
    return out;
}
} // namespace nswatch

using namespace nswatch;
using Actions = std::vector<DumpAction>;

namespace {

DumpAction begin_full(ResyncReason reason)
{
    return {DumpAction::Kind::BeginFull, reason, {}, {}};
}
DumpAction begin_refresh(RefreshScope scope)
{
    return {DumpAction::Kind::BeginRefresh, {}, std::move(scope), {}};
}
DumpAction send(int type, std::int32_t ifindex = 0, std::uint32_t parent = 0)
{
    return {DumpAction::Kind::Send, {}, {}, {type, ifindex, parent}};
}
DumpAction end_full(ResyncReason reason)
{
    return {DumpAction::Kind::EndFull, reason, {}, {}};
}
DumpAction end_refresh()
{
    return {DumpAction::Kind::EndRefresh, {}, {}, {}};
}

RefreshScope links(std::set<std::int32_t> ifindexes)
{
    RefreshScope scope;
    scope.links = std::move(ifindexes);
    return scope;
}
RefreshScope filters(std::int32_t ifindex, std::uint32_t parent)
{
    RefreshScope scope;
    scope.filter_parents = {{ifindex, parent}};
    return scope;
}

// The session's side, scripted: after each receive it takes actions until
// the scheduler waits for the kernel; each request sent gets the next seq.
// `found` stands for the tracker's view of the running job.
struct Session {
    DumpScheduler scheduler;
    NamespaceState found;
    std::uint32_t seq = 100;

    Actions act()
    {
        Actions actions;
        while (auto action = scheduler.next(found)) {
            if (action->kind == DumpAction::Kind::BeginFull || action->kind == DumpAction::Kind::BeginRefresh) {
                found = {};
            } else if (action->kind == DumpAction::Kind::Send) {
                scheduler.sent(++seq);
            }
            actions.push_back(*action);
        }
        return actions;
    }
    // NLMSG_DONE of the request in flight, then the session acts.
    Actions done()
    {
        scheduler.on_reply_done(seq);
        return act();
    }
    // The rest of a full dump of a namespace without links, its links requested.
    void finish_empty_full_dump()
    {
        REQUIRE(done() == Actions{send(RTM_GETQDISC)});
        REQUIRE(done().back().kind == DumpAction::Kind::EndFull);
    }
};

} // namespace

TEST_CASE("a full dump sends one request at a time, phase by phase, then hands its view over", "[unit][scheduler]")
{
    Session s;
    CHECK(s.act().empty());
    s.scheduler.want_full(ResyncReason::Initial);
    CHECK(s.act() == Actions{begin_full(ResyncReason::Initial), send(RTM_GETLINK)});
    CHECK(s.scheduler.is_reply(s.seq));
    CHECK_FALSE(s.scheduler.is_reply(0)); // a notification
    CHECK(s.act().empty());               // nothing more until the kernel answers

    s.found.upsert(test::make_link(1, "lo"), 0);
    s.found.upsert(test::make_link(2, "a"), 0);
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
    s.found.upsert(Qdisc{2, 0x10000, kTcRoot, "htb", {}}, 0);
    CHECK(s.done() == Actions{send(RTM_GETTCLASS, 1)});
    CHECK(s.done() == Actions{send(RTM_GETTCLASS, 2)});
    s.found.upsert(TcClass{2, 0x10010, 0x10000, "htb", {}}, 0);
    CHECK(s.done() == Actions{send(RTM_GETTFILTER, 2, 0x10000)});
    CHECK(s.done() == Actions{send(RTM_GETTFILTER, 2, 0x10010)});
    CHECK(s.done() == Actions{end_full(ResyncReason::Initial)});
    CHECK_FALSE(s.scheduler.is_reply(s.seq));
    CHECK(s.scheduler.idle());
    CHECK(s.act().empty());
}

TEST_CASE("EBUSY: the refused request is sent again after the running dump's DONE", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_full(ResyncReason::Initial);
    s.act();
    const auto refused = s.seq;
    CHECK(s.scheduler.on_reply_error(refused, -EBUSY) == ReplyError::Busy);
    CHECK(s.act().empty());
    s.scheduler.on_reply_done(7); // the DONE of the dump that was running
    CHECK(s.act() == Actions{send(RTM_GETLINK)});
    CHECK(s.seq != refused);
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
}

TEST_CASE("NLMSG_ERROR(ENOBUFS) to a dump request does not end the dump: its DONE does", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_full(ResyncReason::Initial);
    s.act();
    CHECK(s.scheduler.on_reply_error(s.seq, -ENOBUFS) == ReplyError::Delayed);
    CHECK(s.act().empty());
    CHECK(s.scheduler.is_reply(s.seq)); // its parts still come
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
}

TEST_CASE("a request the kernel refuses ends its step; errors and DONEs not about it change nothing",
          "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_refresh(links({3}));
    CHECK(s.act() == Actions{begin_refresh(links({3})), send(RTM_GETQDISC)});
    CHECK(s.scheduler.on_reply_error(s.seq + 1, -ENODEV) == ReplyError::NotOurs);
    s.scheduler.on_reply_done(s.seq - 1);
    CHECK(s.act().empty());
    CHECK(s.done() == Actions{send(RTM_GETTCLASS, 3)});
    CHECK(s.scheduler.on_reply_error(s.seq, -ENODEV) == ReplyError::Refused); // link 3 just vanished
    CHECK(s.act() == Actions{end_refresh()});
    CHECK(s.scheduler.on_reply_error(s.seq, -ENODEV) == ReplyError::NotOurs); // between jobs
}

TEST_CASE("NLM_F_DUMP_INTR: a full dump starts over after the step in flight, with its reason", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_full(ResyncReason::Restart);
    s.act();
    s.found.upsert(test::make_link(1, "lo"), 0);
    s.scheduler.on_interrupted();
    CHECK(s.act().empty()); // one dump at a time: wait for this one's DONE
    CHECK(s.done() == Actions{begin_full(ResyncReason::Restart), send(RTM_GETLINK)});
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
    CHECK(s.done() == Actions{end_full(ResyncReason::Restart)});
}

TEST_CASE("NLM_F_DUMP_INTR in a refresh: it runs again, merged with what was asked for meanwhile", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_refresh(filters(4, 0x10000));
    CHECK(s.act() == Actions{begin_refresh(filters(4, 0x10000)), send(RTM_GETTFILTER, 4, 0x10000)});
    s.scheduler.on_interrupted();
    s.scheduler.want_refresh(filters(5, 0x20000));
    RefreshScope both = filters(4, 0x10000);
    both.merge(filters(5, 0x20000));
    CHECK(s.done() == Actions{begin_refresh(both), send(RTM_GETTFILTER, 4, 0x10000)});
    CHECK(s.done() == Actions{send(RTM_GETTFILTER, 5, 0x20000)});
    CHECK(s.done() == Actions{end_refresh()});
    CHECK(s.scheduler.idle());
}

TEST_CASE("an overrun in the middle of a full dump starts it over once the step in flight is answered",
          "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_full(ResyncReason::Initial);
    s.act();
    s.found.upsert(test::make_link(1, "lo"), 0);
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
    s.scheduler.on_overrun();
    CHECK(s.act().empty());
    CHECK(s.scheduler.is_reply(s.seq)); // the running step's parts still come
    CHECK(s.done() == Actions{begin_full(ResyncReason::Overrun), send(RTM_GETLINK)});
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
    CHECK(s.done() == Actions{end_full(ResyncReason::Overrun)});
}

TEST_CASE("an overrun between dumps re-dumps at once; during a refresh it replaces the refresh", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_full(ResyncReason::Initial);
    s.act();
    s.finish_empty_full_dump();
    s.scheduler.on_overrun();
    CHECK(s.act() == Actions{begin_full(ResyncReason::Overrun), send(RTM_GETLINK)});
    s.finish_empty_full_dump();

    s.scheduler.want_refresh(links({2}));
    CHECK(s.act() == Actions{begin_refresh(links({2})), send(RTM_GETQDISC)});
    s.scheduler.on_overrun();
    s.scheduler.want_refresh(links({3})); // covered by the full dump that follows
    CHECK(s.done() == Actions{begin_full(ResyncReason::Overrun), send(RTM_GETLINK)});
    s.finish_empty_full_dump();
    CHECK(s.scheduler.idle());
}

TEST_CASE("an overrun while a request waits out EBUSY: it is sent again, then the full dump starts over",
          "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_refresh(filters(4, 0x10000));
    s.act();
    s.scheduler.on_reply_error(s.seq, -EBUSY);
    s.scheduler.on_overrun();
    s.scheduler.on_reply_done(7);
    CHECK(s.act() == Actions{send(RTM_GETTFILTER, 4, 0x10000)});
    CHECK(s.done() == Actions{begin_full(ResyncReason::Overrun), send(RTM_GETLINK)});
}

TEST_CASE("refreshes asked for during a full dump run after it, merged into one", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_full(ResyncReason::Initial);
    s.scheduler.want_refresh(links({9})); // before the full dump starts: it covers this
    CHECK(s.act() == Actions{begin_full(ResyncReason::Initial), send(RTM_GETLINK)});
    s.scheduler.want_refresh(links({2}));
    s.scheduler.want_refresh(filters(3, 0x10000));
    CHECK(s.done() == Actions{send(RTM_GETQDISC)});
    RefreshScope both = links({2});
    both.merge(filters(3, 0x10000));
    CHECK(s.done() == Actions{end_full(ResyncReason::Initial), begin_refresh(both), send(RTM_GETQDISC)});
    CHECK(s.done() == Actions{send(RTM_GETTCLASS, 2)});
    CHECK(s.done() == Actions{send(RTM_GETTFILTER, 3, 0x10000)});
    CHECK(s.done() == Actions{end_refresh()});
    CHECK(s.scheduler.idle());
}

TEST_CASE("refreshes asked for during a refresh follow it, merged into one", "[unit][scheduler]")
{
    Session s;
    s.scheduler.want_refresh(filters(4, 0x10000));
    s.act();
    s.scheduler.want_refresh(filters(5, 0x10000));
    s.scheduler.want_refresh(filters(6, 0x10000));
    RefreshScope next = filters(5, 0x10000);
    next.merge(filters(6, 0x10000));
    CHECK(s.done() == Actions{end_refresh(), begin_refresh(next), send(RTM_GETTFILTER, 5, 0x10000)});
    CHECK(s.done() == Actions{send(RTM_GETTFILTER, 6, 0x10000)});
    CHECK(s.done() == Actions{end_refresh()});
    CHECK(s.scheduler.idle());
}
