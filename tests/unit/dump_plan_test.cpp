#include "netlink/dump_plan.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

#include <linux/rtnetlink.h>

using namespace nswatch;

TEST_CASE("a full dump reads links, then all qdiscs, then classes per link, then filters per parent", "[unit][plan]")
{
    NamespaceState found;
    CHECK(first_phase(nullptr) == DumpPhase::Links);
    CHECK(plan_phase(DumpPhase::Links, found, nullptr) == std::vector<DumpRequest>{{RTM_GETLINK, 0, 0}});
    found.upsert(test::make_link(1, "lo"), 0);
    found.upsert(test::make_link(2, "a"), 0);
    CHECK(plan_phase(DumpPhase::Qdiscs, found, nullptr) == std::vector<DumpRequest>{{RTM_GETQDISC, 0, 0}});
    found.upsert(Qdisc{2, 0x10000, kTcRoot, "htb", {}}, 0);
    found.upsert(Qdisc{2, 0xffff0000, 0xfffffff1, "clsact", {}}, 0);
    found.upsert(Qdisc{1, 0, kTcRoot, "noqueue", {}}, 0);
    CHECK(plan_phase(DumpPhase::Classes, found, nullptr) ==
          std::vector<DumpRequest>{{RTM_GETTCLASS, 1, 0}, {RTM_GETTCLASS, 2, 0}});
    found.upsert(TcClass{2, 0x10010, kTcRoot, "htb", {}}, 0);
    CHECK(plan_phase(DumpPhase::Filters, found, nullptr) ==
          std::vector<DumpRequest>{{RTM_GETTFILTER, 2, 0x10000},
                                   {RTM_GETTFILTER, 2, 0x10010},
                                   {RTM_GETTFILTER, 2, kTcIngressParent},
                                   {RTM_GETTFILTER, 2, kTcEgressParent}});
    CHECK(next_phase(DumpPhase::Filters) == DumpPhase::Done);
}

TEST_CASE("a refresh reads only what its scope covers", "[unit][plan]")
{
    RefreshScope filters_only;
    filters_only.filter_parents = {{4, 0x10000}};
    CHECK(first_phase(&filters_only) == DumpPhase::Filters);
    NamespaceState nothing;
    CHECK(plan_phase(DumpPhase::Filters, nothing, &filters_only) ==
          std::vector<DumpRequest>{{RTM_GETTFILTER, 4, 0x10000}});

    RefreshScope link;
    link.links = {3};
    CHECK(first_phase(&link) == DumpPhase::Qdiscs);
    CHECK(plan_phase(DumpPhase::Links, nothing, &link).empty());
    CHECK(plan_phase(DumpPhase::Classes, nothing, &link) == std::vector<DumpRequest>{{RTM_GETTCLASS, 3, 0}});
}
