#include "certvault/operations/snapshot_export.h"

#include <fmt/format.h>

#include <chrono>

#include "certvault/base/error.h"
#include "certvault/base/hex.h"
#include "certvault/base/safe_path.h"
#include "certvault/operations/export_destination.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_contents.h"
#include "certvault/repository/snapshot_reader.h"
#include "plain_digest.h"

namespace certvault {

std::string export_file(Repository& repository, const std::string& snapshot_id, const catalog::FileRecord& file,
                        const std::string& path, ExportDestination& destination) {
  destination.begin_file(path, file.size);
  PlainDigest digest;
  read_file_contents(repository, snapshot_id, file, [&](std::span<const uint8_t> bytes) {
    digest.update(bytes);
    destination.write(bytes);
  });
  destination.end_file();
  return digest.hex();
}

std::string export_bytes(std::span<const uint8_t> bytes, const std::string& path, ExportDestination& destination) {
  destination.begin_file(path, bytes.size());
  destination.write(bytes);
  destination.end_file();
  return PlainDigest::of(bytes);
}

std::string plain_digest_hex(std::span<const uint8_t> bytes) { return PlainDigest::of(bytes); }

ExportResult export_snapshot(Repository& repository, const std::string& snapshot_id, const ExportOptions& options,
                             const std::string& tar) {
  const auto started = std::chrono::steady_clock::now();
  // The files as the manifest says: a catalog that disagrees is an integrity error naming the field.
  const auto contents = read_snapshot_contents(repository, snapshot_id);
  const auto* snapshot = &contents.snapshot;
  const auto& files = contents.files;
  // Validate every path before writing anything.
  std::vector<std::string> paths;
  for (const auto& file : files) paths.push_back(file.path);
  check_exportable_paths(paths, fmt::format("snapshot {}", snapshot_id.substr(0, 12)));
  auto destination = tar.empty() ? make_folder_destination(options.target, options.force, repository.root())
                                 : make_tar_destination(tar, options.force, snapshot->created_unix, repository.root());
  ExportResult result;
  for (const auto& file : files) {
    export_file(repository, snapshot_id, file, file.path, *destination);
    ++result.files;
    result.bytes += file.size;
  }
  destination->finish();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace certvault
