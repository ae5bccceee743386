// Text and name lists as the Certadm API exchanges them.
//
// Contract:
// - utf16_to_utf8 / utf8_to_utf16 convert exactly and never substitute: a lone
//   or misordered surrogate, an overlong or truncated UTF-8 sequence, a code
//   point above U+10FFFF or in the surrogate range all throw Error(kIntegrity)
//   naming the offset (code unit or byte) and the reason (a caller that knows
//   the text is the user's, such as a server name, reports it as kUsage).
// - parse_multistring reads a Certadm multi-string: UTF-16LE entries, each
//   NUL-terminated, ended by one more NUL. With has_type_codes, the first code
//   unit of each entry is a CSBFT_* type code and the rest is the path.
//   Accepted as an empty list: two NULs (4 bytes: what the sim returns and the
//   usual Windows form of an empty multi-string), a lone terminator (2 bytes)
//   and 0 bytes (a NULL list); see docs/certadm-binding.md.
//   Trailing NUL code units after the terminator are tolerated; anything else
//   is rejected with Error(kIntegrity) naming the byte offset: an odd byte
//   count, an entry without its NUL, a missing final terminator, a type-coded
//   entry with no path, text after the terminator, invalid UTF-16.
// - NameList::raw always holds exactly the bytes given (for a list returned by
//   the API: cb bytes), so the restore map can be written back byte for byte
//   as certbkxp.dat.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace certvault::certadm {

std::string utf16_to_utf8(std::u16string_view text);
std::u16string utf8_to_utf16(std::string_view text);

struct NameEntry {
  uint16_t type_code = 0;  // CSBFT_*; 0 when the list has no type codes
  std::string path_utf8;
  std::u16string path_utf16;  // the path without the type code, as the API wants it back
};

struct NameList {
  std::vector<uint8_t> raw;  // exactly the bytes the API returned, size = cb
  std::vector<NameEntry> entries;
  // The API's own buffer for a list returned by a call; CertSrvBackupFree runs
  // when the last copy of this pointer goes (it keeps the library loaded).
  // Null for lists parsed from bytes.
  std::shared_ptr<const void> api_buffer;
};

NameList parse_multistring(std::span<const uint8_t> bytes, bool has_type_codes);

}  // namespace certvault::certadm
