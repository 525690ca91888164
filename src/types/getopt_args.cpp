#include "types/getopt_args.hpp"

#include <cstring>
#include <utility>

namespace nswatch {

namespace {

std::string long_name(const option* long_options, int val)
{
    for (const option* o = long_options; o->name != nullptr; ++o) {
        if (o->flag == nullptr && o->val == val) {
            return std::string("--") + o->name;
        }
    }
    return "?";
}

// getopt_long reports an unknown and an ambiguous long option alike
// (optopt 0): tell them apart as glibc's own message does.
std::string unknown_long(const option* long_options, const std::string& word)
{
    const auto name = word.substr(2, word.find('=') - 2);
    int matches = 0;
    for (const option* o = long_options; o->name != nullptr; ++o) {
        matches += std::strncmp(o->name, name.c_str(), name.size()) == 0 ? 1 : 0;
    }
    if (matches > 1) {
        return "option '--" + name + "' is ambiguous";
    }
    return "unrecognized option '" + word + "'";
}

} // namespace

ParsedArguments parse_arguments(const std::vector<std::string>& args, const char* short_options,
                                const option* long_options)
{
    // getopt_long wants a mutable argv with a program name first.
    std::vector<std::string> storage;
    storage.reserve(args.size() + 1);
    storage.emplace_back("nswatch");
    storage.insert(storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    argv.reserve(storage.size() + 1);
    for (auto& s : storage) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);
    const int argc = static_cast<int>(storage.size());
    // "-": operands come back in order as 1; ":": ':' for a missing argument.
    const std::string optstring = std::string("-:") + short_options;

    ParsedArguments parsed;
    optind = 0; // glibc: start afresh (also resets its internal state)
    opterr = 0; // pure: the caller prints
    for (;;) {
        const int c = getopt_long(argc, argv.data(), optstring.c_str(), long_options, nullptr);
        if (c == -1) {
            break;
        }
        // After an error about a long option, argv[optind - 1] is that word.
        const std::string word = optind > 0 && optind <= argc ? storage[static_cast<std::size_t>(optind - 1)] : "";
        if (c == '?' || c == ':') {
            if (optopt == 0) {
                parsed.error = unknown_long(long_options, word);
            } else if (optopt >= 256) {
                // Appended, not `"…" + std::string&&`: GCC 12 -O3 -Wrestrict.
                std::string error = "option '";
                error += long_name(long_options, optopt);
                error += c == ':' ? "' requires an argument" : "' doesn't allow an argument";
                parsed.error = std::move(error);
            } else {
                parsed.error = std::string(c == ':' ? "option requires an argument -- '" : "invalid option -- '") +
                               static_cast<char>(optopt) + "'";
            }
            return parsed;
        }
        parsed.arguments.push_back({c, optarg != nullptr ? optarg : ""});
    }
    // Words after "--".
    for (int i = optind; i < argc; ++i) {
        parsed.arguments.push_back({kOperand, storage[static_cast<std::size_t>(i)]});
    }
    return parsed;
}

} // namespace nswatch
