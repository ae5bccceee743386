// Strict UTF-16 <-> UTF-8 conversion: Certadm paths must survive the round
// trip byte for byte, so nothing is ever replaced by U+FFFD.
#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/certadm/strings.h"

namespace certvault::certadm {
namespace {

constexpr bool is_high_surrogate(uint32_t unit) { return unit >= 0xD800 && unit <= 0xDBFF; }
constexpr bool is_low_surrogate(uint32_t unit) { return unit >= 0xDC00 && unit <= 0xDFFF; }

void append_utf8(std::string& out, uint32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
    return;
  }
  if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
  }
  out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
}

[[noreturn]] void reject_utf16(size_t unit_index, uint32_t unit, const char* why) {
  throw Error(ErrorKind::kIntegrity,
              fmt::format("invalid UTF-16 text: {} 0x{:04X} at code unit {}", why, unit, unit_index));
}

[[noreturn]] void reject_utf8(size_t byte_index, const std::string& why) {
  throw Error(ErrorKind::kIntegrity, fmt::format("invalid UTF-8 text at byte {}: {}", byte_index, why));
}

// Length of the sequence a lead byte starts, or 0 when the byte cannot lead.
size_t sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;  // 0xC0/0xC1 could only start overlong forms
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;  // above 0xF4 lies beyond U+10FFFF
  return 0;
}

}  // namespace

std::string utf16_to_utf8(std::u16string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const uint32_t unit = text[i];
    if (is_low_surrogate(unit)) reject_utf16(i, unit, "low surrogate without a high surrogate before it");
    if (!is_high_surrogate(unit)) {
      append_utf8(out, unit);
      continue;
    }
    if (i + 1 == text.size()) reject_utf16(i, unit, "high surrogate at the end of the text");
    const uint32_t next = text[i + 1];
    if (!is_low_surrogate(next)) reject_utf16(i, unit, "high surrogate not followed by a low surrogate");
    append_utf8(out, 0x10000 + ((unit - 0xD800) << 10) + (next - 0xDC00));
    ++i;
  }
  return out;
}

std::u16string utf8_to_utf16(std::string_view text) {
  std::u16string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<uint8_t>(text[i]);
    const size_t length = sequence_length(lead);
    if (length == 0) {
      reject_utf8(i, fmt::format("0x{:02X} cannot start a sequence{}", lead,
                                 lead == 0xC0 || lead == 0xC1 ? " (overlong form)" : ""));
    }
    if (length > text.size() - i) reject_utf8(i, fmt::format("a {}-byte sequence is cut short", length));
    uint32_t code_point = length == 1 ? lead : lead & (0x7F >> length);
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<uint8_t>(text[i + k]);
      if ((next & 0xC0) != 0x80) {
        reject_utf8(i + k, fmt::format("0x{:02X} is not a continuation byte", next));
      }
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kSmallestOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallestOfLength[length]) {
      reject_utf8(i, fmt::format("overlong {}-byte form of U+{:04X}", length, code_point));
    }
    if (code_point > 0x10FFFF) reject_utf8(i, fmt::format("code point 0x{:X} is above U+10FFFF", code_point));
    if (is_high_surrogate(code_point) || is_low_surrogate(code_point)) {
      reject_utf8(i, fmt::format("U+{:04X} is a surrogate, not a character", code_point));
    }
    if (code_point >= 0x10000) {
      const uint32_t offset = code_point - 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (offset >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (offset & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(code_point));
    }
    i += length;
  }
  return out;
}

}  // namespace certvault::certadm
