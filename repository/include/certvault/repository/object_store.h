// The repository's storage: a set of immutable named objects.
//
// Contract:
// - Names are '/'-separated relative paths of [A-Za-z0-9._-] segments, e.g.
//   "packs/ab/ab12...pack". An object is never modified after it is committed.
// - create() returns a writer; the object becomes visible, complete and durable
//   only when commit() returns (local folder: temp name in the same folder,
//   write, fsync, rename, fsync the folder). A writer destroyed without commit
//   leaves no visible object (a local temp file may remain: list() never shows
//   temp files; remove_temporaries() deletes them).
// - read() returns exactly `length` bytes or throws Error naming the object,
//   offset and cause (a short object is an integrity error).
// - Every failure throws certvault::Error.
// - Implementations: LocalObjectStore (a folder), FaultInjectingStore (tests),
//   later S3.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace certvault {

class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual void append(std::span<const uint8_t> bytes) = 0;
  virtual uint64_t size() const = 0;  // bytes appended so far
  virtual void commit() = 0;          // durable and visible when it returns
  // Forgets the object as a killed process would: no cleanup of what was
  // written so far (tests model crashes with it). Destroying an uncommitted
  // writer instead removes its temp file.
  virtual void abandon() {}
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

  // Convenience: create + append + commit.
  void put(const std::string& name, std::span<const uint8_t> bytes);
  std::vector<uint8_t> read_all(const std::string& name) const { return read(name, 0, size(name)); }
};

// Throws Error(kRefused) unless `name` is a valid object name: relative, no empty,
// "." or ".." segments, only [A-Za-z0-9._-/], and no segment starting with
// ".tmp-" (reserved for temp files of uncommitted writers).
void validate_object_name(const std::string& name);

std::unique_ptr<ObjectStore> open_local_object_store(const std::filesystem::path& root);

// Test support: makes the Nth mutating step (create, append, commit, remove;
// counted from 1 across the store's life) fail. kThrow throws an Error as a
// failing disk would (ENOSPC, EIO); kCrash throws CrashInjected after doing
// nothing more, modelling a process killed at that point: whatever a real
// crash would leave (temp files, committed objects) stays as it is.
struct CrashInjected : std::exception {
  const char* what() const noexcept override { return "crash injected by FaultInjectingStore"; }
};
enum class FaultMode { kThrow, kCrash };
struct FaultPlan {
  uint64_t fail_at_step = 0;  // 0: never
  FaultMode mode = FaultMode::kThrow;
  std::string only_prefix;  // count only steps on names with this prefix ("" = all)
};
std::unique_ptr<ObjectStore> make_fault_injecting_store(std::unique_ptr<ObjectStore> inner, FaultPlan plan,
                                                        std::shared_ptr<uint64_t> step_counter = nullptr);

}  // namespace certvault
