// Multi-strings and UTF-16 from the Certadm API (name lists, restore map).
#include <span>

#include "certvault/base/error.h"
#include "certvault/certadm/strings.h"
#include "fuzz_target.h"

namespace {
std::vector<std::vector<uint8_t>> multistring_seeds() {
  const std::u16string list =
      u"\x44"
      u"C:\\CertLog\\ca.edb"
      u"\0"
      u"\x21"
      u"C:\\CertLog\\edb0000A.log"
      u"\0"
      u"\0";
  std::vector<uint8_t> bytes(list.size() * 2);
  for (size_t i = 0; i < list.size(); ++i) {
    bytes[2 * i] = static_cast<uint8_t>(list[i]);
    bytes[2 * i + 1] = static_cast<uint8_t>(list[i] >> 8);
  }
  return {bytes, {0, 0, 0, 0}, {0x3D, 0xD8, 0x00, 0xDE, 0, 0, 0, 0}};
}

void parse_multistring(const uint8_t* data, size_t size) {
  using namespace certvault;
  const std::span<const uint8_t> bytes(data, size);
  for (bool typed : {true, false}) {
    try {
      (void)certadm::parse_multistring(bytes, typed);
    } catch (const Error&) {
    }
  }
  try {
    (void)certadm::utf8_to_utf16(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const Error&) {
  }
}
}  // namespace

CERTVAULT_FUZZ_TARGET(multistring, multistring_seeds, parse_multistring);
