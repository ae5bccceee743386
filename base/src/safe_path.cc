#include "certvault/base/safe_path.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"

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
  if (!base.starts_with("COM") && !base.starts_with("LPT")) return false;
  const std::string_view number = std::string_view(base).substr(3);
  if (number.size() == 1) return number[0] >= '1' && number[0] <= '9';
  // Windows also reserves COM and LPT followed by a superscript 1, 2 or 3 (UTF-8 below).
  return number == "\xC2\xB9" || number == "\xC2\xB2" || number == "\xC2\xB3";
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
    if (std::string_view("<>\"|?*").find(static_cast<char>(c)) != std::string_view::npos) {
      refuse(relative, fmt::format("'{}' (a character Windows reserves in names)", static_cast<char>(c)));
    }
  }
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t end = std::min(relative.find('/', start), relative.size());
    check_segment(relative, relative.substr(start, end - start));
    start = end + 1;
  }
}

void check_distinct_paths(const std::vector<std::string>& paths, std::string_view what) {
  // Compared without ASCII case, as NTFS and a tar unpacked on Windows would.
  std::vector<std::string> folded;
  folded.reserve(paths.size());
  for (const auto& path : paths) {
    std::string key = path;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
    folded.push_back(std::move(key));
  }
  std::vector<size_t> order(paths.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return folded[a] < folded[b]; });
  for (size_t i = 1; i < order.size(); ++i) {
    const auto& previous = folded[order[i - 1]];
    const auto& current = folded[order[i]];
    if (current == previous) {
      throw Error(ErrorKind::kRefused, fmt::format("{}: '{}' and '{}' would be the same file on Windows", what,
                                                   printable(paths[order[i - 1]]), printable(paths[order[i]])));
    }
    // In sorted order a folder prefix "a" is followed, possibly not at once, by "a/..."; the
    // entries between sort below "a/" too ("a.b", "a-b"), so scan forward while they share "a".
    for (size_t j = i; j < order.size() && folded[order[j]].starts_with(previous); ++j) {
      if (folded[order[j]].size() > previous.size() && folded[order[j]][previous.size()] == '/') {
        throw Error(ErrorKind::kRefused, fmt::format("{}: '{}' is a file and also a folder of '{}'", what,
                                                     printable(paths[order[i - 1]]), printable(paths[order[j]])));
      }
    }
  }
}

void check_exportable_paths(const std::vector<std::string>& paths, std::string_view what) {
  for (const auto& path : paths) {
    try {
      check_relative_path(path);
    } catch (const Error& e) {
      throw Error(e.kind(), fmt::format("{}: {}", what, e.what()));
    }
  }
  check_distinct_paths(paths, what);
}

std::filesystem::path safe_join(const std::filesystem::path& target, std::string_view relative) {
  check_relative_path(relative);
  std::filesystem::path result = target;
  size_t start = 0;
  while (start <= relative.size()) {
    const size_t end = std::min(relative.find('/', start), relative.size());
    result /= os::path_from_utf8(relative.substr(start, end - start));
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
    result /= os::path_from_utf8(segment);
    start = end + 1;
  }
  return result;
}

}  // namespace certvault
