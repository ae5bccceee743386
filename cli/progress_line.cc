#include "progress_line.h"

#include <fmt/format.h>

#include <cstdio>

#include "certvault/base/byte_count_text.h"
#include "console.h"

namespace certvault::cli {

std::string format_bytes(uint64_t bytes) { return byte_count_text(bytes); }

namespace {

// Characters, not bytes: UTF-8 continuation bytes take no column.
size_t display_width(const std::string& text) {
  size_t width = 0;
  for (const char c : text) width += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return width;
}

}  // namespace

ProgressLine::ProgressLine() : enabled_(console::stderr_is_terminal()) {}

void ProgressLine::update(const BackupProgress& progress) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double rate = progress.elapsed_seconds > 0 ? progress.total_done / progress.elapsed_seconds : 0;
  const double dedup =
      progress.total_done > 0
          ? 100.0 * (1.0 - static_cast<double>(progress.new_bytes_stored) / static_cast<double>(progress.total_done))
          : 0;
  std::string eta = "--";
  if (rate > 0 && progress.total_expected > progress.total_done) {
    const auto seconds = static_cast<uint64_t>((progress.total_expected - progress.total_done) / rate);
    eta = fmt::format("{}:{:02}", seconds / 60, seconds % 60);
  }
  std::string name = progress.file;
  if (name.size() > 40) name = "…" + name.substr(name.size() - 39);
  const std::string line = fmt::format("{:<40} {:>10} / {:<10} {:>7.1f} MiB/s  saved {:>5.1f}%  ETA {}", name,
                                       format_bytes(progress.total_done), format_bytes(progress.total_expected),
                                       rate / (1024 * 1024), dedup, eta);
  // \r and padding over the previous line, no escape sequences: the same bytes
  // work in a Linux terminal, cmd and PowerShell.
  const size_t width = display_width(line);
  const size_t padding = width < last_width_ ? last_width_ - width : 0;
  std::fprintf(stderr, "\r%s%*s", line.c_str(), static_cast<int>(padding), "");
  last_width_ = width;
  std::fflush(stderr);
  shown_ = true;
}

void ProgressLine::finish() {
  if (!shown_) return;
  std::fprintf(stderr, "\r%*s\r", static_cast<int>(last_width_), "");
  last_width_ = 0;
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace certvault::cli
