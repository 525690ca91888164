#include "bus/attributes.hpp"
#include "bus/object_path.hpp"
#include "test_objects.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;

TEST_CASE("a link event carries the contract's attributes with the contract's types", "[unit][dbus]")
{
    Link link = test::make_link(4, "veth0", 1400, 0x1);
    link.operstate = 6;
    link.master = 2;
    link.link_netnsid = 0;
    auto event = to_dbus(SequencedEvent{9, ObjectEvent{Change::Added, 1234, link}});
    CHECK(event.get<0>() == 9);
    CHECK(event.get<1>() == 1234);
    CHECK(event.get<2>() == "link-added");
    CHECK(event.get<3>() == 4);
    auto& attrs = event.get<4>();
    CHECK(attrs.at("name").get<std::string>() == "veth0");
    CHECK(attrs.at("kind").get<std::string>() == "veth");
    CHECK(attrs.at("mtu").get<std::uint32_t>() == 1400);
    CHECK(attrs.at("flags").get<std::uint32_t>() == 1);
    CHECK(attrs.at("up").get<bool>());
    CHECK(attrs.at("operstate").get<std::string>() == "up");
    CHECK(attrs.at("address").get<std::string>() == "02:00:00:00:00:01");
    CHECK(attrs.at("master").get<std::int32_t>() == 2);
    CHECK(attrs.at("link_netnsid").get<std::int32_t>() == 0);
    CHECK(attrs.at("mtu").peekValueType() == "u");
    CHECK(attrs.at("master").peekValueType() == "i");
}

TEST_CASE("operstates use the lower-case RFC 2863 names", "[unit][dbus]")
{
    CHECK(operstate_name(0) == "unknown");
    CHECK(operstate_name(1) == "notpresent");
    CHECK(operstate_name(2) == "down");
    CHECK(operstate_name(3) == "lowerlayerdown");
    CHECK(operstate_name(4) == "testing");
    CHECK(operstate_name(5) == "dormant");
    CHECK(operstate_name(6) == "up");
    CHECK(operstate_name(200) == "unknown");
}

TEST_CASE("namespace object paths escape names as sd_bus_path_encode does", "[unit][dbus]")
{
    CHECK(namespace_object_path("default") == "/org/nswatch1/netns/default");
    CHECK(namespace_object_path("ns-1") == "/org/nswatch1/netns/ns_2d1");
    CHECK(namespace_object_path("docker/abc") == "/org/nswatch1/netns/docker_2fabc");
}
