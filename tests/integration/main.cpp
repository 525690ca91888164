// Integration tests need root (namespaces, mounts, setns). Without it they
// are skipped (exit 77, which meson reports as SKIP) rather than failed.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <sdbus-c++/Types.h>

#include <unistd.h>

#include <cstdio>

int main(int argc, char** argv)
{
    if (::geteuid() != 0) {
        std::fprintf(stderr, "integration tests need root: skipped\n");
        return 77;
    }
    // sdbus-c++ builds every Variant's message on one process-wide pseudo
    // connection, a static made by the first thread that makes a Variant.
    // The test clients decode Variants on their own threads and on the test
    // thread; made here, before any of them starts, the static is ordered
    // before all of them (thread creation), which TSan sees. Otherwise TSan
    // reports its first use on another thread (tests/sanitizers/tsan.supp).
    [[maybe_unused]] const sdbus::Variant warm_up(std::int32_t{0});
    return Catch::Session().run(argc, argv);
}
