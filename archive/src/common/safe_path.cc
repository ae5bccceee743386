#include "certvault/archive/safe_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "certvault/archive/error.h"
#include "certvault/archive/os_file.h"

namespace certvault {
namespace {

[[noreturn]] void refuse(std::string_view path, std::string_view why) {
  throw Error(ErrorKind::kRefused, fmt::format("unsafe path '{}' refused: {}", path, why));
}

bool is_reserved_device_name(std::string_view segment) {
  std::string base(segment.substr(0, segment.find('.')));
  std::transform(base.begin(), base.end(), base.begin(), [](unsigned char c) { return std::toupper(c); });
  static constexpr std::array<std::string_view, 4> kPlain = {"CON", "PRN", "AUX", "NUL"};
  if (std::find(kPlain.begin(), kPlain.end(), base) != kPlain.end()) return true;
  return base.size() == 4 && (base.starts_with("COM") || base.starts_with("LPT")) && base[3] >= '1' && base[3] <= '9';
}

}  // namespace

std::filesystem::path safe_join(const std::filesystem::path& target, std::string_view relative) {
  if (relative.empty()) refuse(relative, "empty path");
  if (relative.front() == '/' || relative.front() == '\\') refuse(relative, "absolute path");
  if (relative.size() >= 2 && relative[1] == ':') refuse(relative, "drive letter");
  for (unsigned char c : relative) {
    if (c < 0x20 || c == 0x7F) refuse(relative, "control character");
    if (c == '\\') refuse(relative, "backslash (Windows separator or UNC prefix)");
    if (c == ':') refuse(relative, "':' (drive or alternate data stream)");
  }
  std::filesystem::path result = target;
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t end = std::min(relative.find('/', start), relative.size());
    const std::string_view segment = relative.substr(start, end - start);
    if (segment.empty()) refuse(relative, "empty path segment");
    if (segment == "." || segment == "..") refuse(relative, "'.' or '..' segment");
    if (segment.back() == '.' || segment.back() == ' ') refuse(relative, "segment ends in a dot or a space");
    if (is_reserved_device_name(segment)) refuse(relative, "reserved Windows device name");
    result /= os::path_from_utf8(segment);
    start = end + 1;
  }
  return result;
}

}  // namespace certvault
