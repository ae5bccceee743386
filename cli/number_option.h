// The one parser of numeric command-line values: every numeric option checks its text with one of
// these validators, so a value is a finite number written in decimal and within the option's
// documented range, or the command exits 2 naming the range ("--full-every: 'inf' is not a
// number of days in 0..36500"). CLI::Range alone lets "nan" through (every comparison with NaN
// is false) and CLI11's own conversion accepts "inf" and "1e308" for doubles.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

namespace certvault::cli {

// A finite decimal number (no "inf", "nan", hex) in [min, max]; `unit` names what it counts.
CLI::Validator finite_number_in(double min, double max, const std::string& unit);
// A decimal integer (no sign unless min < 0, no fraction, no exponent) in [min, max].
CLI::Validator integer_in(int64_t min, int64_t max, const std::string& unit);

}  // namespace certvault::cli
