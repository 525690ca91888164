// Integration tests need root (namespaces, mounts, setns). Without it they
// are skipped (exit 77, which meson reports as SKIP) rather than failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv)
{
    if (::geteuid() != 0) {
        std::fprintf(stderr, "integration tests need root: skipped\n");
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
