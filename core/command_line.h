// Command-line conventions shared by strads, strads-scheduler and strads-worker: numeric flag
// checks whose messages name the flag and the bound ("--tol must be >= 0, got -1"), and parse
// errors reported as one line with exit code 2, bad usage (CLI11's own codes, 105-109, are not
// documented exit codes).
#pragma once

#include <iostream>
#include <optional>
#include <string>
#include <type_traits>

#include "CLI/CLI.hpp"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace strads::core {

namespace command_line_internal {

// Reads a flag value as T; a message when it is not one.
template <typename T>
std::optional<std::string> Read(const std::string& text, T* value) {
  if constexpr (std::is_integral_v<T>) {
    if (!absl::SimpleAtoi(text, value)) return absl::StrCat("must be an integer, got '", text, "'");
  } else {
    if (!absl::SimpleAtod(text, value)) return absl::StrCat("must be a number, got '", text, "'");
  }
  return std::nullopt;
}

// A CLI11 check of a numeric flag: `accept` says whether a value is allowed, `requirement` what
// is required ("must be >= 0").
template <typename T, typename Accept>
CLI::Validator NumberCheck(std::string description, std::string requirement, Accept accept) {
  return CLI::Validator(
      [requirement, accept](std::string& text) -> std::string {
        T value{};
        if (std::optional<std::string> problem = Read(text, &value)) return *problem;
        if (accept(value)) return "";
        return absl::StrCat(requirement, ", got ", text);
      },
      std::move(description));
}

}  // namespace command_line_internal

// Numeric flag checks; T is the flag's type (integral types also refuse "1.5").
template <typename T>
CLI::Validator AtLeast(T min) {
  return command_line_internal::NumberCheck<T>(absl::StrCat(">= ", min),
                                               absl::StrCat("must be >= ", min),
                                               [min](T value) { return value >= min; });
}

template <typename T>
CLI::Validator GreaterThan(T bound) {
  return command_line_internal::NumberCheck<T>(absl::StrCat("> ", bound),
                                               absl::StrCat("must be > ", bound),
                                               [bound](T value) { return value > bound; });
}

template <typename T>
CLI::Validator Between(T low, T high) {
  return command_line_internal::NumberCheck<T>(
      absl::StrCat("in [", low, ", ", high, "]"),
      absl::StrCat("must be between ", low, " and ", high),
      [low, high](T value) { return value >= low && value <= high; });
}

// The exit code of a command line that cannot be parsed (a bad flag or value), as in most Unix
// tools.
inline constexpr int kUsageExitCode = 2;

// Parses the command line (running the chosen subcommand's callback, if any). Returns the exit
// code when the program should stop here: 0 after --help or --version (printed), 2 after a parse
// error, printed to stderr as one line "<program>: <problem> (see: <command> --help)".
inline std::optional<int> ParseCommandLine(CLI::App& cli, int argc, char** argv,
                                           absl::string_view program) {
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return cli.exit(error);
    // CLI11 says "--tol: must be >= 0"; the checks above are written to read without the colon.
    std::string problem = absl::StrReplaceAll(error.what(), {{": must be", " must be"}});
    // CLI11's "The following argument was not expected" continues the "<program>: " line.
    if (problem.size() > 1 && absl::ascii_isupper(problem[0]) &&
        (absl::ascii_islower(problem[1]) || problem[1] == ' ')) {
      problem[0] = absl::ascii_tolower(problem[0]);
    }
    std::string command(program);
    for (const CLI::App* app = &cli; !app->get_subcommands().empty();) {
      app = app->get_subcommands().front();
      absl::StrAppend(&command, " ", app->get_name());
    }
    std::cerr << program << ": " << problem << " (see: " << command << " --help)\n";
    return kUsageExitCode;
  }
  return std::nullopt;
}

}  // namespace strads::core
