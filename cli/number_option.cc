#include "number_option.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

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
        double value = 0;
        const char* end = input.data() + input.size();
        // from_chars reads "inf" and "nan" too: refused below as not finite.
        const auto [stop, error] = std::from_chars(input.data(), end, value, std::chars_format::fixed);
        if (input.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
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
