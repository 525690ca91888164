#pragma once
// getopt_long(3) for a vector of arguments, as a pure function: the options
// and operands in command-line order, or glibc's wording of the first error.
// Used by nswatchd (daemon/options.cpp) and nswatchctl (ctl/ctl_options.cpp);
// only libc and the standard library, so it lives in nswatch-types.
//
// Threading: getopt_long keeps its state in globals (optind, optarg, …);
// call only from one thread at a time (both programs parse in main, before
// any thread exists). Each call starts afresh (optind = 0), so tests can
// parse repeatedly.
#include <getopt.h>

#include <optional>
#include <string>
#include <vector>

namespace nswatch {

// The val of an operand (a word that is not an option, or any word after
// "--"). Long options should use vals of at least 256 so that an error can
// name them; short-only options use their character.
inline constexpr int kOperand = 1;

struct ParsedArgument {
    int option = kOperand; // the option's val, or kOperand
    std::string value;     // its argument, or the operand
};

struct ParsedArguments {
    std::vector<ParsedArgument> arguments;
    // "unrecognized option '--x'", "option '--y' requires an argument", …
    std::optional<std::string> error;
};

// `short_options` without the leading "-:" (added here: operands in order,
// whatever POSIXLY_CORRECT says, and ':' for a missing argument).
// `long_options` ends with a zero entry, as getopt_long wants.
ParsedArguments parse_arguments(const std::vector<std::string>& args, const char* short_options,
                                const option* long_options);

} // namespace nswatch
