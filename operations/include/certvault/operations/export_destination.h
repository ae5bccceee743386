// Where an export goes: a folder (atomically) or a tar stream.
//
// Contract:
// - Files are written one at a time: begin_file(path, size), write()s,
//   end_file(); `path` is relative and '/'-separated and is checked with
//   check_relative_path() before anything is created.
// - Folder: the target must be absent, an empty folder, or (with `force`) a
//   folder that is replaced as a whole. Everything is written into a hidden
//   temporary folder beside the target (same file system), every file and
//   folder fsynced, then renamed into place and the parent fsynced by finish().
//   The replaced folder is moved aside first and removed last; if removing it
//   fails, finish() throws saying the new export is in place and naming the
//   folder left to delete.
//   Destroyed without finish() (error, interruption), the temporary folder is
//   removed; a crash leaves only a ".<name>.certvault-partial-*" folder, never
//   something that looks like a complete export. Its name is recorded in
//   REPO/exports/ while the export runs (locked; removed when it ends), so the
//   next export or `prune` finds and removes what a killed export left
//   (remove_abandoned_exports).
// - Tar: a POSIX tar stream (tar_writer.h) sent to `sink` in order; no
//   temporary files. finish() writes the end-of-archive blocks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace certvault {

class ExportDestination {
 public:
  virtual ~ExportDestination() = default;
  virtual void begin_file(const std::string& path, uint64_t size) = 0;
  virtual void write(std::span<const uint8_t> bytes) = 0;
  virtual void end_file() = 0;
  virtual void finish() = 0;
  // Where the export lands, for messages ("standard output" for a tar stream).
  virtual std::string description() const = 0;
};

// Refuses (Error(kRefused)) a target that is not a folder, a non-empty one without `force`, one
// that overlaps `repository` (inside it or holding it), or one that holds the current folder.
std::unique_ptr<ExportDestination> make_folder_destination(const std::filesystem::path& target, bool force,
                                                           const std::filesystem::path& repository);

// `tar_path` "-" streams to standard output; otherwise a file written under a
// temporary name and renamed on finish(), like the folder.
// A tar file target obeys the same placement rules as a folder.
std::unique_ptr<ExportDestination> make_tar_destination(const std::string& tar_path, bool force, int64_t mtime_unix,
                                                        const std::filesystem::path& repository);

// Streams a tar to `sink` (tests, benchmarks).
std::unique_ptr<ExportDestination> make_tar_stream(std::function<void(std::span<const uint8_t>)> sink,
                                                   int64_t mtime_unix);

// Removes the temporary folder or tar file of every export that was killed (its record in
// REPO/exports/ is no longer locked by a running export) and the record; returns what it removed.
std::vector<std::filesystem::path> remove_abandoned_exports(const std::filesystem::path& repository);

}  // namespace certvault
