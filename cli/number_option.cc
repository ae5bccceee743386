#include "number_option.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

namespace certvault::cli {
namespace {

// The text as the message quotes it: control characters and quotes escaped.
std::string quoted_value(const std::string& text) {
  std::string out = "'";
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7F || c == '\'' || c == '\\') {
      out += fmt::format("\\x{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "'";
}

std::string range_text(double min, double max) { return fmt::format("{}..{}", min, max); }

}  // namespace

CLI::Validator finite_number_in(double min, double max, const std::string& unit) {
  const std::string range = range_text(min, max);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        // Only [-]digits[.digits]: no "inf", "nan", hex or exponent reaches strtod (which would read
        // them all), and the program never changes the C locale, so '.' is the decimal point.
        size_t digits = 0, points = 0, i = input.size() > 0 && input[0] == '-' ? 1 : 0;
        bool well_formed = i < input.size();
        for (; i < input.size(); ++i) {
          if (input[i] >= '0' && input[i] <= '9') {
            ++digits;
          } else if (input[i] == '.') {
            ++points;
          } else {
            well_formed = false;
          }
        }
        if (!well_formed || digits == 0 || points > 1 || digits > 30) {
          return fmt::format("{} is not a finite decimal number of {} in {}", quoted_value(input), unit, range);
        }
        const double value = std::strtod(input.c_str(), nullptr);
        if (!std::isfinite(value)) {
          return fmt::format("{} is not a finite decimal number of {} in {}", quoted_value(input), unit, range);
        }
        if (value < min || value > max) {
          return fmt::format("{} is outside the allowed range of {}: {}", quoted_value(input), unit, range);
        }
        return std::string();
      },
      fmt::format("{} in {}", unit, range));
}

CLI::Validator integer_in(int64_t min, int64_t max, const std::string& unit) {
  const std::string range = fmt::format("{}..{}", min, max);
  return CLI::Validator(
      [=](std::string& input) -> std::string {
        int64_t value = 0;
        const char* end = input.data() + input.size();
        const auto [stop, error] = std::from_chars(input.data(), end, value, 10);
        if (input.empty() || error != std::errc() || stop != end) {
          return fmt::format("{} is not a whole number of {} in {}", quoted_value(input), unit, range);
        }
        if (value < min || value > max) {
          return fmt::format("{} is outside the allowed range of {}: {}", quoted_value(input), unit, range);
        }
        return std::string();
      },
      fmt::format("{} in {}", unit, range));
}

}  // namespace certvault::cli
