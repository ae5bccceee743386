#include "certvault/base/quoted_text.h"

#include <fmt/format.h>

namespace certvault {

std::string quoted_if_needed(std::string_view value) {
  bool needs = !value.empty() && value.front() == '"';
  for (unsigned char c : value) needs = needs || c < 0x20 || c == 0x7F;
  if (!needs) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += fmt::format("\\u{:04x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace certvault
