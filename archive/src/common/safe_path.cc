#include "certvault/archive/safe_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

#include "certvault/archive/error.h"

namespace certvault {
namespace {

// Control characters (a NUL would end what()) are shown as \xNN.
std::string printable(std::string_view path) {
  std::string text;
  for (unsigned char c : path) text += (c < 0x20 || c == 0x7F) ? fmt::format("\\x{:02X}", c) : std::string(1, c);
  return text;
}

[[noreturn]] void refuse(std::string_view path, std::string_view why) {
  throw Error(ErrorKind::kRefused, fmt::format("unsafe path '{}' refused: {}", printable(path), why));
}

bool is_reserved_device_name(std::string_view segment) {
  std::string base(segment.substr(0, segment.find('.')));
  // Windows also ignores trailing spaces before the extension ("NUL .txt").
  while (!base.empty() && base.back() == ' ') base.pop_back();
  std::transform(base.begin(), base.end(), base.begin(), [](unsigned char c) { return std::toupper(c); });
  static constexpr std::array<std::string_view, 6> kPlain = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"};
  if (std::find(kPlain.begin(), kPlain.end(), base) != kPlain.end()) return true;
  return base.size() == 4 && (base.starts_with("COM") || base.starts_with("LPT")) && base[3] >= '1' && base[3] <= '9';
}

// The rules every segment of every path obeys, relative or absolute.
void check_segment(std::string_view whole, std::string_view segment) {
  if (segment.empty()) refuse(whole, "empty path segment");
  if (segment == "." || segment == "..") refuse(whole, "'.' or '..' segment");
  if (segment.back() == '.' || segment.back() == ' ') refuse(whole, "segment ends in a dot or a space");
  if (is_reserved_device_name(segment)) refuse(whole, "reserved Windows device name");
}

[[maybe_unused]] bool is_drive_letter(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

}  // namespace

void check_relative_path(std::string_view relative) {
  if (relative.empty()) refuse(relative, "empty path");
  if (relative.front() == '/' || relative.front() == '\\') refuse(relative, "absolute path");
  if (relative.size() >= 2 && relative[1] == ':') refuse(relative, "drive letter");
  for (unsigned char c : relative) {
    if (c < 0x20 || c == 0x7F) refuse(relative, "control character");
    if (c == '\\') refuse(relative, "backslash (Windows separator or UNC prefix)");
    if (c == ':') refuse(relative, "':' (drive or alternate data stream)");
  }
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t end = std::min(relative.find('/', start), relative.size());
    check_segment(relative, relative.substr(start, end - start));
    start = end + 1;
  }
}

std::filesystem::path safe_join(const std::filesystem::path& target, std::string_view relative) {
  check_relative_path(relative);
  std::filesystem::path result = target;
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t end = std::min(relative.find('/', start), relative.size());
    result /= std::string(relative.substr(start, end - start));
    start = end + 1;
  }
  return result;
}

std::filesystem::path check_restore_location(std::string_view absolute, std::string_view what) {
  auto refuse_location = [&](std::string_view why) {
    throw Error(ErrorKind::kRefused,
                fmt::format("{}: unsafe restore location '{}' refused: {}", what, printable(absolute), why));
  };
  if (absolute.empty()) refuse_location("empty path");
  std::string_view rest;
  std::filesystem::path result;
  if (absolute.size() >= 2 && (absolute[0] == '\\' || absolute[0] == '/') &&
      (absolute[1] == '\\' || absolute[1] == '/')) {
    refuse_location("UNC or device prefix (a CA restores onto its own disks)");
  }
#ifdef _WIN32
  else if (absolute.size() >= 3 && is_drive_letter(absolute[0]) && absolute[1] == ':' &&
           (absolute[2] == '\\' || absolute[2] == '/')) {
    result = std::filesystem::path(std::string(absolute.substr(0, 2)) + "\\");
    rest = absolute.substr(3);
  }
#else
  else if (absolute.front() == '/') {
    result = std::filesystem::path("/");
    rest = absolute.substr(1);
  }
#endif
  else {
    refuse_location("not an absolute path of the target system");
  }
  for (unsigned char c : rest) {
    if (c < 0x20 || c == 0x7F) refuse_location("control character");
    if (c == ':') refuse_location("':' after the drive (alternate data stream)");
  }
  size_t start = 0;
  while (start < rest.size()) {
    size_t end = rest.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view segment = rest.substr(start, end - start);
    // A trailing separator ("C:\CA\CertLog\") is usual for folders in the map.
    if (segment.empty() && end == rest.size()) break;
    try {
      check_segment(absolute, segment);
    } catch (const Error& e) {
      refuse_location(std::string(e.what()).substr(std::string(e.what()).rfind(": ") + 2));
    }
    result /= std::string(segment);
    start = end + 1;
  }
  return result;
}

}  // namespace certvault
