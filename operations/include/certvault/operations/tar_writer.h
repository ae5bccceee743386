// A POSIX tar (ustar with pax extended headers) writer that streams.
//
// Contract: entries are written strictly in order to `sink`; nothing is
// buffered beyond one 512-byte header block, so an archive of any size needs
// no temporary file. A name longer than ustar's 100 bytes, or a file of 8 GiB
// or more (ustar's 11 octal digits), gets a pax 'x' header carrying `path` /
// `size`; the ustar fields then hold a truncated name / zero, as POSIX allows.
// end_file() throws Error(kFailure) when the bytes written differ from the
// size announced in begin_file() (a tar stream cannot be patched afterwards).
// Paths are written as given ('/'-separated, relative); callers validate them.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace certvault {

class TarWriter {
 public:
  using Sink = std::function<void(std::span<const uint8_t>)>;
  TarWriter(Sink sink, int64_t mtime_unix);

  void add_directory(std::string_view path);              // mode 0755; a trailing '/' is added
  void begin_file(std::string_view path, uint64_t size);  // mode 0644
  void write(std::span<const uint8_t> bytes);
  void end_file();
  void finish();  // the two zero blocks that end the archive

  uint64_t bytes_written() const { return written_; }

 private:
  void emit(std::span<const uint8_t> bytes);
  void header(std::string_view path, uint64_t size, char type);
  void pax_header(std::string_view path, uint64_t size, bool need_path, bool need_size);
  void pad_to_block();

  Sink sink_;
  int64_t mtime_;
  uint64_t announced_ = 0;
  uint64_t file_written_ = 0;
  bool in_file_ = false;
  uint64_t written_ = 0;
};

}  // namespace certvault
