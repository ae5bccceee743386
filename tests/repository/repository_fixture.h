// A repository in a temporary folder, driven through the public C++ API.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "certvault/operations/folder_backup.h"
#include "certvault/operations/snapshot_export.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_reader.h"
#include "certvault/repository/snapshot_writer.h"
#include "test_support.h"

namespace certvault_test {

class RepositoryFixture {
 public:
  explicit RepositoryFixture(certvault::InitOptions options = {}) {
    options.pack_target_bytes = std::max<uint64_t>(options.pack_target_bytes >> 3, 1 << 20);
    certvault::Repository::init(repo_path(), options);
  }
  std::filesystem::path repo_path() const { return temp_.path() / "repo"; }
  std::filesystem::path scratch(const std::string& leaf) const { return temp_.path() / leaf; }

  std::unique_ptr<certvault::Repository> open(certvault::LockMode mode = certvault::LockMode::kExclusive) const {
    return certvault::Repository::open(repo_path(), mode);
  }

  std::string back_up(const std::filesystem::path& folder) const {
    auto repository = open();
    return certvault::back_up_folder(*repository, {folder, {}, {}}).snapshot_id;
  }

  // Exports `id` into a fresh folder and returns its contents.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> exported(const std::string& id) const {
    static int counter = 0;
    const auto target = scratch("export-" + std::to_string(++counter));
    auto repository = open(certvault::LockMode::kShared);
    certvault::export_snapshot(*repository, id, {target, false});
    return folder_contents(target);
  }

 private:
  TempFolder temp_{"repo"};
};

// One file written as a folder snapshot of `source` on top of `reference` (parent and dedup
// reference), in writes of `write_bytes`: the snapshot's id and the file's result.
struct WrittenFile {
  std::string id;
  certvault::FileResult result;
};
inline WrittenFile write_one_file_snapshot(certvault::Repository& repository, const certvault::FileHeader& file,
                                           const std::vector<uint8_t>& bytes,
                                           const std::optional<std::string>& reference, const std::string& source,
                                           size_t write_bytes) {
  certvault::SnapshotHeader header;
  header.kind = "folder";
  header.source = source;
  header.parent = reference;
  header.dedup_reference = reference;
  auto writer = repository.begin_snapshot(header);
  writer->begin_file(file);
  for (size_t offset = 0; offset < bytes.size(); offset += write_bytes) {
    writer->write(std::span(bytes).subspan(offset, std::min(write_bytes, bytes.size() - offset)));
  }
  const auto result = writer->end_file();
  return {writer->commit().snapshot_id(), result};
}

// The bytes of the one file snapshot `id` holds, read back through the snapshot reader.
inline std::vector<uint8_t> read_back_one_file(certvault::Repository& repository, const std::string& id) {
  const auto files = repository.catalog().files(id);
  REQUIRE(files.size() == 1);
  std::vector<uint8_t> bytes;
  certvault::read_file_contents(repository, id, files[0], [&](std::span<const uint8_t> part) {
    bytes.insert(bytes.end(), part.begin(), part.end());
  });
  return bytes;
}

}  // namespace certvault_test
