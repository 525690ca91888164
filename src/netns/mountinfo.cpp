#include "netns/mountinfo.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace nswatch {

namespace {

// Before the optional fields: mount ID, parent ID, major:minor, root, mount
// point, mount options. After the lone "-": type, source, super options.
constexpr std::size_t kFixedFields = 6;
constexpr std::size_t kTrailingFields = 3;

// Fields are separated by exactly one space; an empty source is an empty
// field, so spaces are not collapsed.
void split_fields(std::string_view line, std::vector<std::string_view>& fields)
{
    fields.clear();
    for (std::size_t start = 0;;) {
        const std::size_t space = line.find(' ', start);
        fields.push_back(line.substr(start, space == std::string_view::npos ? std::string_view::npos : space - start));
        if (space == std::string_view::npos) {
            return;
        }
        start = space + 1;
    }
}

std::optional<std::uint64_t> parse_decimal(std::string_view text)
{
    if (text.empty()) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

bool is_device(std::string_view text) // "major:minor"
{
    const std::size_t colon = text.find(':');
    return colon != std::string_view::npos && parse_decimal(text.substr(0, colon)) &&
           parse_decimal(text.substr(colon + 1));
}

// The kernel prints ' ', '\t', '\n' and '\\' in paths as a backslash and
// three octal digits; any such escape (but \000) is undone, any other
// backslash makes the line malformed.
std::optional<std::string> unescape(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\') {
            out.push_back(text[i]);
            continue;
        }
        if (text.size() - i < 4) {
            return std::nullopt;
        }
        unsigned value = 0;
        for (std::size_t k = i + 1; k <= i + 3; ++k) {
            if (text[k] < '0' || text[k] > '7') {
                return std::nullopt;
            }
            value = value * 8 + static_cast<unsigned>(text[k] - '0');
        }
        if (value == 0 || value > 0377) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(value));
        i += 3;
    }
    return out;
}

std::optional<MountRecord> parse_line(std::string_view line, std::vector<std::string_view>& fields)
{
    split_fields(line, fields);
    std::size_t sep = kFixedFields; // the optional fields end at the first lone "-"
    while (sep < fields.size() && fields[sep] != "-") {
        ++sep;
    }
    if (sep >= fields.size() || fields.size() - sep - 1 < kTrailingFields) {
        return std::nullopt;
    }
    const std::string_view type = fields[sep + 1];
    const auto id = parse_decimal(fields[0]);
    const auto parent = parse_decimal(fields[1]);
    if (!id || !parent || !is_device(fields[2]) || fields[3].empty() || fields[5].empty() || type.empty() ||
        fields[sep + 3].empty()) {
        return std::nullopt;
    }
    auto point = unescape(fields[4]);
    if (!point || !point->starts_with('/')) {
        return std::nullopt;
    }
    const auto inode = net_namespace_inode(type, fields[3]);
    if (!inode) {
        return std::nullopt;
    }
    return MountRecord{*id, *parent, std::move(*point), *inode};
}

// "/", "/a", "/a/b" for "/a/b".
std::vector<std::string_view> path_prefixes(std::string_view point)
{
    std::vector<std::string_view> out{point.substr(0, 1)};
    for (std::size_t i = 1; i < point.size(); ++i) {
        if (point[i] == '/') {
            out.push_back(point.substr(0, i));
        }
    }
    if (point.size() > 1) {
        out.push_back(point);
    }
    return out;
}

// Whether the mount table makes mounts[index] reachable by its path, as path
// resolution would: nothing stacked on it, and on every link of its chain
// up to the root (child A in parent B) no other mount of B on A's path (a
// proper prefix, or A's own point when listed after A: two mounts of one
// parent at one point only occur in hand-made tables, and the last wins).
// A parent missing from the table ends the chain (a chroot, a fixture).
class Visibility {
public:
    explicit Visibility(const std::vector<MountRecord>& mounts) : mounts_(mounts)
    {
        for (std::size_t i = 0; i < mounts.size(); ++i) {
            by_id_[mounts[i].id] = i;
            children_[{mounts[i].parent, mounts[i].point}].push_back(i);
        }
    }

    [[nodiscard]] bool visible(std::size_t index) const
    {
        const MountRecord& self = mounts_[index];
        if (any_other(self.id, self.point, index, false)) {
            return false; // something is stacked on it
        }
        std::size_t child = index;
        for (std::size_t steps = 0; steps < mounts_.size(); ++steps) { // bounded: a cycle ends it
            const MountRecord& a = mounts_[child];
            const auto parent = by_id_.find(a.parent);
            if (parent == by_id_.end() || parent->second == child) {
                return true;
            }
            for (std::string_view prefix : path_prefixes(a.point)) {
                if (any_other(a.parent, prefix, child, prefix == a.point)) {
                    return false;
                }
            }
            child = parent->second;
        }
        return true;
    }

private:
    [[nodiscard]] bool any_other(std::uint64_t parent, std::string_view point, std::size_t not_index,
                                 bool only_after) const
    {
        const auto found = children_.find({parent, point});
        if (found == children_.end()) {
            return false;
        }
        for (std::size_t other : found->second) {
            if (other != not_index && (!only_after || other > not_index)) {
                return true;
            }
        }
        return false;
    }

    const std::vector<MountRecord>& mounts_;
    std::unordered_map<std::uint64_t, std::size_t> by_id_;
    std::map<std::pair<std::uint64_t, std::string_view>, std::vector<std::size_t>> children_;
};

} // namespace

std::optional<std::uint64_t> net_namespace_inode(std::string_view type, std::string_view root)
{
    if (type != "nsfs" || !root.starts_with("net:")) {
        return 0;
    }
    if (!root.starts_with("net:[") || !root.ends_with(']')) {
        return std::nullopt;
    }
    root.remove_prefix(5);
    root.remove_suffix(1);
    const auto inode = parse_decimal(root);
    if (!inode || *inode == 0) {
        return std::nullopt;
    }
    return inode;
}

std::vector<NsfsMount> parse_nsfs_mounts(std::string_view mountinfo)
{
    std::vector<MountRecord> mounts;
    std::vector<std::string_view> fields;
    while (!mountinfo.empty()) {
        const std::size_t newline = mountinfo.find('\n');
        if (auto mount = parse_line(mountinfo.substr(0, newline), fields)) {
            mounts.push_back(std::move(*mount));
        }
        mountinfo.remove_prefix(newline == std::string_view::npos ? mountinfo.size() : newline + 1);
    }
    return visible_nsfs_mounts(mounts);
}

std::vector<NsfsMount> visible_nsfs_mounts(const std::vector<MountRecord>& mounts)
{

    // Only the points an nsfs mount is on matter; at each, the last visible
    // mount wins (for tables whose parent IDs do not decide).
    std::set<std::string_view> nsfs_points;
    for (const MountRecord& mount : mounts) {
        if (mount.net_inode != 0) {
            nsfs_points.insert(mount.point);
        }
    }
    const Visibility visibility(mounts);
    std::map<std::string_view, std::size_t> winner;
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        if (nsfs_points.contains(mounts[i].point) && visibility.visible(i)) {
            winner[mounts[i].point] = i;
        }
    }
    std::vector<std::size_t> chosen;
    for (const auto& [point, index] : winner) {
        if (mounts[index].net_inode != 0) {
            chosen.push_back(index);
        }
    }
    std::sort(chosen.begin(), chosen.end()); // input order
    std::vector<NsfsMount> out;
    out.reserve(chosen.size());
    for (std::size_t index : chosen) {
        out.push_back({mounts[index].point, mounts[index].net_inode});
    }
    return out;
}

std::string read_mountinfo(int fd)
{
    // seq_file: each pread at the end of the previous one continues the
    // listing; offset 0 starts a fresh one. A table that changes between
    // reads may come out torn; the caller re-reads on the next POLLPRI.
    std::string out;
    constexpr std::size_t kChunk = std::size_t{64} * 1024;
    for (;;) {
        const std::size_t used = out.size();
        out.resize(used + kChunk);
        const ssize_t got = ::pread(fd, out.data() + used, kChunk, static_cast<off_t>(used));
        if (got < 0) {
            out.resize(used);
            if (errno == EINTR) {
                continue;
            }
            throw std::system_error(errno, std::generic_category(), "reading mountinfo");
        }
        out.resize(used + static_cast<std::size_t>(got));
        if (got == 0) {
            return out;
        }
    }
}

} // namespace nswatch
