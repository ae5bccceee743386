// The repository's storage: a set of immutable named objects.
//
// Contract:
// - Names are '/'-separated relative paths of [A-Za-z0-9._-] segments, e.g.
//   "packs/ab/ab12...pack". An object is never modified after it is committed.
// - create() returns a writer; the object becomes visible, complete and durable
//   only when commit() returns (local folder: temp name in the same folder,
//   write, fsync, rename, fsync the folder). A writer destroyed without commit
//   leaves no visible object (a local temp file may remain after a crash:
//   list() never shows temp files; remove_temporaries() deletes them).
// - read() returns exactly `length` bytes or throws Error naming the object,
//   offset and cause (a short object is an integrity error).
// - Every failure throws certvault::Error.
// - Implementations: LocalObjectStore (a folder, every call through the
//   file-system seam, certvault/base/file_system.h, where tests inject faults
//   and cut the power), and S3ObjectStore (open_s3_object_store: a bucket and
//   prefix, objects at keys "PREFIX/<name>"; a writer streams a multipart upload
//   once it passes the multipart threshold, and a writer destroyed without commit
//   aborts it; remove_temporaries() aborts abandoned multipart uploads; remove()
//   of an absent object succeeds, as S3's DELETE does).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "certvault/s3/location.h"
#include "certvault/s3/options.h"

namespace certvault {

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual void append(std::span<const uint8_t> bytes) = 0;
  virtual uint64_t size() const = 0;  // bytes appended so far
  virtual void commit() = 0;          // durable and visible when it returns
};

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;
  virtual std::unique_ptr<ObjectWriter> create(const std::string& name) = 0;
  virtual std::vector<uint8_t> read(const std::string& name, uint64_t offset, uint64_t length) const = 0;
  virtual uint64_t size(const std::string& name) const = 0;
  virtual bool exists(const std::string& name) const = 0;
  virtual std::vector<std::string> list(const std::string& prefix) const = 0;  // sorted names
  virtual void remove(const std::string& name) = 0;
  virtual size_t remove_temporaries() = 0;  // leftovers of writers that never committed

  // What this store has sent over the network since it was opened, retries included: requests,
  // and the bytes of their bodies (S3: PUT and POST). A folder sends nothing. Wrappers forward
  // their inner store's. Reports use it to show what a backup cost against what it stored.
  struct Traffic {
    uint64_t requests = 0;
    uint64_t bytes_sent = 0;
  };
  virtual Traffic traffic() const { return {}; }

  // About how many bytes a ranged read transfers in the time one more request costs: readers
  // read across gaps up to this size rather than issue another request, and wrappers keep what
  // saves a request (an object's size, a sealed object's header) only where it is non-zero.
  // A folder: 0 (a read is a system call).
  virtual uint64_t request_cost_bytes() const { return 0; }

  // Convenience: create + append + commit.
  void put(const std::string& name, std::span<const uint8_t> bytes);
  std::vector<uint8_t> read_all(const std::string& name) const { return read(name, 0, size(name)); }
};

// Throws Error(kRefused) unless `name` is a valid object name: relative, no empty,
// "." or ".." segments, only [A-Za-z0-9._-/], and no segment starting with
// ".tmp-" (reserved for temp files of uncommitted writers).
void validate_object_name(const std::string& name);

std::unique_ptr<ObjectStore> open_local_object_store(const std::filesystem::path& root);
// Objects in `location`'s bucket under its prefix. Opening sends no request; the first call that
// does reports an unreachable service or refused credentials.
std::unique_ptr<ObjectStore> open_s3_object_store(const s3::S3Location& location, const s3::S3Options& options);

}  // namespace certvault
