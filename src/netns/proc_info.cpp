#include "netns/proc_info.hpp"

#include "util/unique_fd.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <memory>
#include <vector>

namespace nswatch {

namespace {

constexpr std::size_t kContainerIdLength = 64;

bool all_digits(std::string_view s)
{
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

bool is_container_id(std::string_view s)
{
    return s.size() == kContainerIdLength && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::vector<std::string_view> split(std::string_view text, char sep)
{
    std::vector<std::string_view> out;
    while (!text.empty()) {
        const auto at = text.find(sep);
        const auto part = text.substr(0, at);
        if (!part.empty()) {
            out.push_back(part);
        }
        if (at == std::string_view::npos) {
            break;
        }
        text.remove_prefix(at + 1);
    }
    return out;
}

bool is_unit(std::string_view component)
{
    // Slices only group units; they hold no processes of their own.
    for (std::string_view suffix : {".service", ".scope", ".socket", ".mount", ".swap"}) {
        if (component.size() > suffix.size() && component.ends_with(suffix)) {
            return true;
        }
    }
    return false;
}

// The id in one path component, given the components before it.
std::string_view container_in(std::string_view component, std::string_view parent, bool under_kubepods)
{
    // Longer prefixes first: "libpod-conmon-" also starts with "libpod-".
    for (std::string_view prefix :
         {"docker-", "libpod-conmon-", "libpod-", "cri-containerd-", "crio-conmon-", "crio-"}) {
        if (component.starts_with(prefix)) {
            std::string_view id = component.substr(prefix.size());
            if (id.ends_with(".scope")) {
                id.remove_suffix(std::string_view(".scope").size());
            }
            if (is_container_id(id)) {
                return id;
            }
        }
    }
    if (is_container_id(component) && (parent == "docker" || under_kubepods)) {
        return component;
    }
    return {};
}

std::string_view container_in_path(std::string_view path)
{
    std::string_view found;
    std::string_view parent;
    bool under_kubepods = false;
    for (std::string_view component : split(path, '/')) {
        if (const auto id = container_in(component, parent, under_kubepods); !id.empty()) {
            found = id; // the innermost wins
        }
        under_kubepods = under_kubepods || component.starts_with("kubepods");
        parent = component;
    }
    return found;
}

std::optional<std::string> read_small_file(const std::string& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return std::nullopt;
    }
    std::string out;
    std::array<char, 4096> buf{};
    while (out.size() < std::size_t{64} * 1024) { // a cgroup file is a few lines
        const ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            break;
        }
        out.append(buf.data(), static_cast<std::size_t>(n));
    }
    return out;
}

std::optional<std::uint64_t> read_ns_link(int dir_fd, const std::string& path)
{
    std::array<char, 64> buf{}; // "net:[18446744073709551615]" is 26
    const ssize_t n = ::readlinkat(dir_fd, path.c_str(), buf.data(), buf.size());
    if (n <= 0 || static_cast<std::size_t>(n) >= buf.size()) {
        return std::nullopt;
    }
    return parse_ns_link(std::string_view(buf.data(), static_cast<std::size_t>(n)));
}

} // namespace

std::optional<std::uint64_t> parse_ns_link(std::string_view link, std::string_view type)
{
    // "<type>:[" then digits then "]": the checks imply size >= type + 3.
    if (!link.starts_with(type) || !link.substr(type.size()).starts_with(":[") || !link.ends_with("]")) {
        return std::nullopt;
    }
    const std::string_view digits = link.substr(type.size() + 2, link.size() - type.size() - 3);
    if (!all_digits(digits)) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size()) {
        return std::nullopt; // overflow
    }
    return value;
}

CgroupInfo parse_cgroup(std::string_view text)
{
    std::optional<std::string_view> v2;
    std::optional<std::string_view> systemd;
    std::vector<std::string_view> all_paths;
    for (std::string_view line : split(text, '\n')) {
        // hierarchy-ID:controllers:path; the path itself may contain ':'.
        const auto first = line.find(':');
        const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) {
            continue;
        }
        const std::string_view hierarchy = line.substr(0, first);
        const std::string_view controllers = line.substr(first + 1, second - first - 1);
        const std::string_view path = line.substr(second + 1);
        all_paths.push_back(path);
        if (hierarchy == "0" && controllers.empty()) {
            v2 = v2.value_or(path);
        }
        for (std::string_view controller : split(controllers, ',')) {
            if (controller == "name=systemd" && !systemd) {
                systemd = path;
            }
        }
    }
    // In hybrid mode, or in a container with its own cgroup namespace, the
    // v2 path may be just "/" while name=systemd says more.
    std::optional<std::string_view> chosen = v2;
    if (!chosen || (*chosen == "/" && systemd)) {
        chosen = systemd;
    }

    CgroupInfo out;
    if (chosen) {
        for (std::string_view component : split(*chosen, '/')) {
            if (is_unit(component)) {
                out.unit = std::string(component);
            }
        }
        out.container = std::string(container_in_path(*chosen));
    }
    for (auto it = all_paths.begin(); out.container.empty() && it != all_paths.end(); ++it) {
        out.container = std::string(container_in_path(*it));
    }
    return out;
}

std::string trim_comm(std::string_view comm)
{
    if (comm.ends_with('\n')) {
        comm.remove_suffix(1);
    }
    return std::string(comm);
}

std::optional<std::uint64_t> process_netns_inode(pid_t pid)
{
    return read_ns_link(AT_FDCWD, "/proc/" + std::to_string(pid) + "/ns/net");
}

HolderInfo read_holder_info(pid_t pid)
{
    const std::string dir = "/proc/" + std::to_string(pid);
    HolderInfo out;
    out.pid = pid;
    if (auto comm = read_small_file(dir + "/comm")) {
        out.command = trim_comm(*comm);
    }
    if (auto cgroup = read_small_file(dir + "/cgroup")) {
        CgroupInfo info = parse_cgroup(*cgroup);
        out.unit = std::move(info.unit);
        out.container = std::move(info.container);
    }
    return out;
}

std::map<std::uint64_t, pid_t> scan_process_namespaces(const std::string& proc_root, pid_t skip_pid)
{
    std::map<std::uint64_t, pid_t> out;
    // Owns the directory stream and, through it, the fd readlinkat uses.
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(proc_root.c_str()), &::closedir);
    if (!dir) {
        return out;
    }
    const int dir_fd = ::dirfd(dir.get());
    while (const dirent* entry = ::readdir(dir.get())) {
        const std::string_view name = entry->d_name;
        pid_t pid = 0;
        if (!all_digits(name) || std::from_chars(name.data(), name.data() + name.size(), pid).ec != std::errc{} ||
            pid <= 0 || pid == skip_pid) {
            continue;
        }
        const auto inode = read_ns_link(dir_fd, std::string(name) + "/ns/net");
        if (!inode) {
            continue; // exited, a zombie, or not ours to read
        }
        auto [it, added] = out.try_emplace(*inode, pid);
        if (!added && pid < it->second) {
            it->second = pid;
        }
    }
    return out;
}

} // namespace nswatch
