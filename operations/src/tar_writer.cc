#include "certvault/operations/tar_writer.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "certvault/base/error.h"

namespace certvault {
namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kUstarMaxSize = (uint64_t{1} << 33) - 1;  // 11 octal digits
constexpr size_t kUstarNameBytes = 100;

using Block = std::array<uint8_t, kBlock>;

void put_text(Block& block, size_t offset, size_t width, std::string_view text) {
  std::memcpy(block.data() + offset, text.data(), std::min(width, text.size()));
}

// Octal digits, zero-padded to width - 1, then NUL (as ustar writers do).
void put_octal(Block& block, size_t offset, size_t width, uint64_t value) {
  const std::string digits = fmt::format("{:0{}o}", value, width - 1);
  put_text(block, offset, width - 1, digits.substr(digits.size() - (width - 1)));
}

// A pax record "LEN key=value\n", where LEN counts the whole record itself.
std::string pax_record(std::string_view key, std::string_view value) {
  const size_t body = 1 + key.size() + 1 + value.size() + 1;  // " key=value\n"
  size_t length = body + 1;
  while (std::to_string(length).size() + body != length) length = std::to_string(length).size() + body;
  return fmt::format("{} {}={}\n", length, key, value);
}

}  // namespace

TarWriter::TarWriter(Sink sink, int64_t mtime_unix)
    : sink_(std::move(sink)), mtime_(std::max<int64_t>(0, mtime_unix)) {}

void TarWriter::emit(std::span<const uint8_t> bytes) {
  sink_(bytes);
  written_ += bytes.size();
}

void TarWriter::pad_to_block() {
  static const Block kZeros{};
  const size_t rest = written_ % kBlock;
  if (rest != 0) emit(std::span(kZeros.data(), kBlock - rest));
}

void TarWriter::header(std::string_view path, uint64_t size, char type) {
  const bool long_name = path.size() > kUstarNameBytes;
  const bool big = size > kUstarMaxSize;
  if (long_name || big) pax_header(path, size, long_name, big);
  Block block{};
  put_text(block, 0, kUstarNameBytes, path.substr(0, kUstarNameBytes));
  put_octal(block, 100, 8, type == '5' ? 0755 : 0644);
  put_octal(block, 108, 8, 0);
  put_octal(block, 116, 8, 0);
  put_octal(block, 124, 12, big ? 0 : size);
  put_octal(block, 136, 12, static_cast<uint64_t>(mtime_));
  block[156] = static_cast<uint8_t>(type);
  put_text(block, 257, 6, std::string_view("ustar\0", 6));
  put_text(block, 263, 2, "00");
  put_text(block, 265, 32, "root");
  put_text(block, 297, 32, "root");
  // The checksum is computed with its own field as eight spaces.
  std::memset(block.data() + 148, ' ', 8);
  uint32_t sum = 0;
  for (uint8_t byte : block) sum += byte;
  const std::string checksum = fmt::format("{:06o}", sum);
  put_text(block, 148, 6, checksum);
  block[154] = 0;
  block[155] = ' ';
  emit(block);
}

void TarWriter::pax_header(std::string_view path, uint64_t size, bool need_path, bool need_size) {
  std::string records;
  if (need_path) records += pax_record("path", path);
  if (need_size) records += pax_record("size", std::to_string(size));
  // The extended header's own name is informational; keep it short and unique enough.
  std::string name = "PaxHeaders/" + std::string(path.substr(path.size() > 80 ? path.size() - 80 : 0));
  Block block{};
  put_text(block, 0, kUstarNameBytes, name.substr(0, kUstarNameBytes));
  put_octal(block, 100, 8, 0644);
  put_octal(block, 108, 8, 0);
  put_octal(block, 116, 8, 0);
  put_octal(block, 124, 12, records.size());
  put_octal(block, 136, 12, static_cast<uint64_t>(mtime_));
  block[156] = 'x';
  put_text(block, 257, 6, std::string_view("ustar\0", 6));
  put_text(block, 263, 2, "00");
  std::memset(block.data() + 148, ' ', 8);
  uint32_t sum = 0;
  for (uint8_t byte : block) sum += byte;
  put_text(block, 148, 6, fmt::format("{:06o}", sum));
  block[154] = 0;
  block[155] = ' ';
  emit(block);
  emit(std::span(reinterpret_cast<const uint8_t*>(records.data()), records.size()));
  pad_to_block();
}

void TarWriter::add_directory(std::string_view path) {
  if (in_file_) throw Error(ErrorKind::kFailure, "tar: add_directory inside a file entry");
  std::string name(path);
  if (!name.ends_with('/')) name += '/';
  header(name, 0, '5');
}

void TarWriter::begin_file(std::string_view path, uint64_t size) {
  if (in_file_) throw Error(ErrorKind::kFailure, fmt::format("tar: '{}' begun inside another file entry", path));
  header(path, size, '0');
  announced_ = size;
  file_written_ = 0;
  in_file_ = true;
}

void TarWriter::write(std::span<const uint8_t> bytes) {
  if (file_written_ + bytes.size() > announced_) {
    throw Error(ErrorKind::kFailure, fmt::format("tar: {} bytes written to an entry announced with {}",
                                                 file_written_ + bytes.size(), announced_));
  }
  file_written_ += bytes.size();
  emit(bytes);
}

void TarWriter::end_file() {
  if (file_written_ != announced_) {
    throw Error(ErrorKind::kFailure,
                fmt::format("tar: entry ended after {} bytes, but {} were announced", file_written_, announced_));
  }
  in_file_ = false;
  pad_to_block();
}

void TarWriter::finish() {
  if (in_file_) throw Error(ErrorKind::kFailure, "tar: archive finished inside a file entry");
  static const Block kZeros{};
  emit(kZeros);
  emit(kZeros);
}

}  // namespace certvault
