// A full recipe's encoded chunk ids while its file streams in, kept in a temporary file instead of
// memory once the list is large (issue 16: memory that does not grow with the database).
//
// A file without a base recipe (a first full, a first folder backup) lists every chunk, 16 bytes a
// page: 16 MiB for an 8 GiB database, 512 MiB for a 256 GiB one. Its recipe's name is the keyed
// hash of the whole encoded list, known only at the end, so the object cannot be written as the
// ids arrive; the spool holds them on disk until commit writes the object from it. The file lives
// in the repository's local folder (a remote repository's cache folder), on the catalog's disk
// rather than in a temporary folder that may be RAM (tmpfs), created new through the file-system
// seam (0600), and is removed when the spool goes. Its name starts with ".tmp-", so a spool a crash
// left in a local repository is a temporary object to `prune`, which removes it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "certvault/base/file_system.h"

namespace certvault::recipe {

class IdSpool {
 public:
  static constexpr size_t kBufferBytes = size_t{256} << 10;  // writes and reads in this size
  // The local object store's temporary prefix (local_object_store_files.h), then what it is.
  static constexpr std::string_view kNamePrefix = ".tmp-recipe-ids-";

  explicit IdSpool(const std::filesystem::path& folder);  // creates the file there; throws Error naming it
  ~IdSpool();
  IdSpool(const IdSpool&) = delete;
  IdSpool& operator=(const IdSpool&) = delete;

  void append(std::span<const uint8_t> bytes);
  uint64_t size() const { return written_ + buffer_.size(); }
  // Hands `visit` every byte appended so far, in order, in blocks of at most kBufferBytes. May be
  // called more than once; appending after it is allowed.
  void for_each_block(const std::function<void(std::span<const uint8_t>)>& visit);
  const std::filesystem::path& path() const { return path_; }

 private:
  void flush();

  std::filesystem::path path_;
  std::unique_ptr<os::OpenFile> file_;
  std::vector<uint8_t> buffer_;
  uint64_t written_ = 0;
};

}  // namespace certvault::recipe
