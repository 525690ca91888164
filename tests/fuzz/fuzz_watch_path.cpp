// libFuzzer target: the validation of Watch's argument. Any string (the bus
// delivers any valid UTF-8 up to its message limit) gets a target or a
// reason, never a crash or a hang, and the reason stays short (it is sent
// back in a D-Bus error: a 10,000-character path must not come back whole).
#include "netns/watch_path.hpp"

#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string path(reinterpret_cast<const char*>(data), size);
    const auto checked = nswatch::check_watch_path(path);
    if (const auto* why = std::get_if<std::string>(&checked); why != nullptr && (why->empty() || why->size() > 1024)) {
        std::abort();
    }
    (void)nswatch::proc_pid_of_path(path);
    return 0;
}
