// UTF-16 (the API's WCHAR strings) <-> UTF-8 (the sim's paths and text files).
//
// Contract: conversions are strict: a lone surrogate or invalid UTF-8 throws
// SimError(kEInvalidArg) naming the position. Paths are built with path_from_utf8
// so non-ASCII CA names survive on every platform.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace casim {

std::string utf16_to_utf8(std::u16string_view text);
std::u16string utf8_to_utf16(std::string_view text);

std::filesystem::path path_from_utf8(std::string_view text);
std::string path_to_utf8(const std::filesystem::path& path);

}  // namespace casim
