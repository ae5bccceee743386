// Certadm name lists: NUL-terminated UTF-16LE entries ended by one more NUL.
#include <fmt/format.h>

#include "certvault/base/error.h"
#include "certvault/base/little_endian.h"
#include "certvault/certadm/strings.h"

namespace certvault::certadm {
namespace {

[[noreturn]] void reject(size_t byte_offset, const std::string& why) {
  throw Error(ErrorKind::kIntegrity, fmt::format("malformed Certadm name list at byte {}: {}", byte_offset, why));
}

char16_t unit_at(std::span<const uint8_t> bytes, size_t index) {
  return static_cast<char16_t>(le::load<uint16_t>(bytes, 2 * index));
}

}  // namespace

NameList parse_multistring(std::span<const uint8_t> bytes, bool has_type_codes) {
  NameList list;
  list.raw.assign(bytes.begin(), bytes.end());
  if (bytes.size() % 2 != 0)
    reject(bytes.size() - 1, fmt::format("odd byte count {} (UTF-16 needs pairs)", bytes.size()));
  const size_t units = bytes.size() / 2;
  size_t index = 0;
  bool terminated = units == 0;  // a NULL list of 0 bytes is empty
  while (index < units) {
    const size_t start = index;
    while (index < units && unit_at(bytes, index) != 0) ++index;
    if (index == units) {
      reject(2 * start,
             fmt::format("the entry starting here has no terminating NUL ({} bytes to the end)", 2 * (units - start)));
    }
    const size_t length = index - start;
    ++index;  // past the entry's NUL
    if (length == 0) {
      terminated = true;
      break;
    }
    std::u16string text;
    text.reserve(length);
    for (size_t k = start; k < start + length; ++k) text.push_back(unit_at(bytes, k));
    NameEntry entry;
    if (has_type_codes) {
      if (length == 1) reject(2 * start, fmt::format("entry with type code 0x{:02X} has no path", uint16_t{text[0]}));
      entry.type_code = text[0];
      text.erase(0, 1);
    }
    try {
      entry.path_utf8 = utf16_to_utf8(text);
    } catch (const Error& error) {
      reject(2 * start, fmt::format("entry is not valid UTF-16: {}", error.what()));
    }
    entry.path_utf16 = std::move(text);
    list.entries.push_back(std::move(entry));
  }
  if (!terminated) reject(bytes.size(), "the list ends without its final NUL terminator");
  for (; index < units; ++index) {
    if (unit_at(bytes, index) != 0) reject(2 * index, "text after the list's final NUL terminator");
  }
  return list;
}

}  // namespace certvault::certadm
