#include "bus/object_path.hpp"
#include "nswatch/link.hpp"

#include <catch2/catch.hpp>

using namespace nswatch;

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
