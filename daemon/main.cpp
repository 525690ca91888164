// nswatchd: wiring only. Options, logging, signal mask, then the daemon.
#include "daemon/daemon.hpp"
#include "daemon/logging.hpp"
#include "daemon/options.hpp"
#include "http/listener.hpp"
#include "util/thread_wake.hpp"

#include <sdbus-c++/Error.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

int main(int argc, char** argv)
{
    const auto parsed = nswatch::parse_options(std::vector<std::string>(argv + 1, argv + argc));
    if (const auto* exit = std::get_if<nswatch::EarlyExit>(&parsed)) {
        std::fputs(exit->text.c_str(), exit->status == 0 ? stdout : stderr);
        return exit->status;
    }
    const auto& options = std::get<nswatch::DaemonOptions>(parsed);
    nswatch::setup_logging(options.log_level);

    // Block the stop signals before any thread exists, so every thread
    // inherits the mask and only the bus loop's signalfd receives them.
    // The workers' wake-up signal too: only a worker's wait() unblocks it.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, nswatch::ThreadWake::kSignal);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    try {
        // Before any thread: sd_listen_fds() unsets LISTEN_FDS for children.
        // A socket passed by systemd (nswatchd-metrics.socket) is served;
        // --metrics-listen binds one only without it (under the unit, the
        // service may not create TCP sockets at all).
        auto listener = nswatch::http::take_activated_listener();
        if (listener && options.metrics_listen) {
            spdlog::warn("--metrics-listen ignored: serving the socket systemd passed");
        } else if (options.metrics_listen) {
            listener = nswatch::http::open_listener(*options.metrics_listen);
        }
        nswatch::Daemon daemon(options, std::move(listener));
        const int status = daemon.run();
        spdlog::info("stopped");
        return status;
    } catch (const sdbus::Error& e) {
        spdlog::critical("D-Bus: {} ({})", e.getMessage(), e.getName());
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
    }
    return 1;
}
