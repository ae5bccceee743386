#include "certvault/base/hex.h"

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

namespace certvault {

std::string to_hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (uint8_t byte : bytes) {
    text.push_back(kDigits[byte >> 4]);
    text.push_back(kDigits[byte & 15]);
  }
  return text;
}

namespace {
int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::vector<uint8_t> from_hex(std::string_view text, const std::string& what) {
  if (text.size() % 2 != 0) throw Error(ErrorKind::kIntegrity, what + ": odd number of hex digits");
  std::vector<uint8_t> bytes(text.size() / 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int high = digit_value(text[2 * i]);
    const int low = digit_value(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      throw Error(ErrorKind::kIntegrity, what + ": not a hex digit at position " + std::to_string(2 * i));
    }
    bytes[i] = static_cast<uint8_t>(high * 16 + low);
  }
  return bytes;
}

void from_hex_exact(std::string_view text, std::span<uint8_t> out, const std::string& what) {
  if (text.size() != out.size() * 2) {
    throw Error(ErrorKind::kIntegrity, what + ": expected " + std::to_string(out.size() * 2) + " hex digits, found " +
                                           std::to_string(text.size()));
  }
  const auto bytes = from_hex(text, what);
  std::copy(bytes.begin(), bytes.end(), out.begin());
}

void fill_random(std::span<uint8_t> out) { os::random_bytes(out); }

}  // namespace certvault
