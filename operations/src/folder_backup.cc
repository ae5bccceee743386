#include "certvault/operations/folder_backup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <set>
#include <system_error>

#include "certvault/base/error.h"
#include "certvault/base/os_file.h"
#include "certvault/base/safe_path.h"
#include "certvault/operations/ese_headers.h"
#include "certvault/operations/file_chunking.h"
#include "certvault/repository/repository.h"
#include "certvault/repository/snapshot_writer.h"
#include "overlapped_file_stream.h"

namespace certvault {
namespace {

std::string folded(std::string name) {
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  return name;
}

struct Entry {
  std::string relative;
  std::filesystem::path path;
};

size_t read_block(os::File& file, const Entry& entry, uint64_t offset, std::span<uint8_t> block) {
  try {
    return file.read(block);
  } catch (const Error& error) {
    throw Error(error.kind(),
                fmt::format("cannot read {} at offset {}: {}", entry.path.string(), offset, error.what()));
  }
}

void stream_file(const Entry& entry, SnapshotWriter& writer, std::vector<uint8_t>& buffer) {
  os::File file(entry.path, os::OpenFor::kReadNoFollow, "back up folder");
  const uint64_t size = file.size();
  BackupFileStream stream(writer, {entry.relative, "file", 0, "", std::nullopt, {}, size});
  // Reading the next block overlaps hashing and chunking the one before it; a file that fits in
  // one read gains nothing from a second thread.
  if (size <= buffer.size()) {
    uint64_t offset = 0;
    while (const size_t n = read_block(file, entry, offset, buffer)) {
      stream.write(std::span<const uint8_t>(buffer.data(), n));
      offset += n;
    }
  } else {
    OverlappedFileStream overlapped(stream, buffer.size());
    uint64_t offset = 0;
    while (true) {
      const size_t n = read_block(file, entry, offset, overlapped.block());
      if (n == 0) break;
      overlapped.submit(n);
      offset += n;
    }
    overlapped.drain();
  }
  stream.finish();
  // A file carrying an ESE database's signature (a copied CA database) must have a header page
  // that verifies as ESE reads it; damaged or torn, the backup stops before its commit.
  if (ese::has_database_signature(stream.head())) {
    const std::u8string path = entry.path.u8string();
    (void)ese::verify_database_header_page(stream.head(), std::string(path.begin(), path.end()));
  }
}

}  // namespace

std::string series_of_folder(const std::filesystem::path& folder) {
  std::error_code ec;
  auto absolute = std::filesystem::absolute(folder, ec);
  if (ec) absolute = folder;
  // Lexical only: "." and ".." segments and a trailing separator go, symbolic links stay as given.
  auto normal = absolute.lexically_normal();
  if (!normal.has_filename() && normal.has_parent_path() && normal != normal.root_path()) normal = normal.parent_path();
  const std::u8string text = normal.u8string();
  return {text.begin(), text.end()};
}

FolderBackupResult back_up_folder(Repository& repository, const FolderBackupOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::error_code ec;
  const auto folder = std::filesystem::canonical(options.folder, ec);
  if (ec || !std::filesystem::is_directory(folder)) {
    throw Error(ErrorKind::kUsage, fmt::format("--folder {}: not a readable folder", options.folder.string()));
  }
  if (options.source && options.source->empty()) throw Error(ErrorKind::kUsage, "--source: the name is empty");

  std::vector<Entry> regular;
  std::vector<Entry> skipped;
  auto iterator = std::filesystem::recursive_directory_iterator(folder, ec);
  if (ec) throw Error(ErrorKind::kFailure, fmt::format("cannot list {}: {}", folder.string(), ec.message()));
  for (auto it = std::filesystem::begin(iterator); it != std::filesystem::end(iterator); it.increment(ec)) {
    if (ec) throw Error(ErrorKind::kFailure, fmt::format("cannot list {}: {}", folder.string(), ec.message()));
    const auto status = it->symlink_status();
    // UTF-8 on every system (generic_string() would use a legacy code page on Windows).
    const std::u8string relative = std::filesystem::relative(it->path(), folder).generic_u8string();
    Entry entry{std::string(relative.begin(), relative.end()), it->path()};
    if (std::filesystem::is_symlink(status)) {
      skipped.push_back(std::move(entry));
    } else if (std::filesystem::is_regular_file(status)) {
      regular.push_back(std::move(entry));
    } else if (!std::filesystem::is_directory(status)) {
      skipped.push_back(std::move(entry));
    }
  }
  auto by_path = [](const Entry& a, const Entry& b) { return a.relative < b.relative; };
  std::sort(regular.begin(), regular.end(), by_path);
  // A name export could not write (check_exportable_paths(), the rule export applies) is
  // skipped and named, like a symlink: a folder snapshot that commits can be exported.
  std::vector<std::pair<Entry, std::string>> unportable;
  {
    // check_exportable_paths() over all paths at once would name only the first offender;
    // here each path is checked alone and against those kept before it (case folded, as
    // check_distinct_paths() compares them), so every offender is skipped and named.
    std::vector<Entry> kept;
    std::set<std::string> files, folders;
    for (auto& entry : regular) {
      try {
        check_exportable_paths({entry.relative}, "name export could not write");
        const std::string key = folded(entry.relative);
        if (files.contains(key) || folders.contains(key)) {
          throw Error(ErrorKind::kRefused, "another file's name differs from it only in case (one file on Windows)");
        }
        for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1)) {
          if (files.contains(key.substr(0, slash))) {
            throw Error(ErrorKind::kRefused, "a file's name differs from its folder's only in case");
          }
        }
        files.insert(key);
        for (size_t slash = key.find('/'); slash != std::string::npos; slash = key.find('/', slash + 1)) {
          folders.insert(key.substr(0, slash));
        }
        kept.push_back(std::move(entry));
      } catch (const Error& e) {
        unportable.emplace_back(std::move(entry), e.what());
      }
    }
    regular = std::move(kept);
  }
  std::sort(skipped.begin(), skipped.end(), by_path);

  SnapshotHeader header;
  header.kind = "folder";
  header.source = options.source ? *options.source : series_of_folder(options.folder);
  const std::u8string resolved = folder.u8string();
  header.source_path.assign(resolved.begin(), resolved.end());
  header.tags = options.tags;
  catalog::SnapshotFilter same_source;
  same_source.source = header.source;
  if (const auto previous = repository.catalog().latest_snapshot(same_source)) {
    header.parent = previous->id;
    header.dedup_reference = previous->id;
  }
  auto writer = repository.begin_snapshot(header);
  FolderBackupResult result;
  for (const auto& entry : skipped) {
    const std::string reason = std::filesystem::is_symlink(std::filesystem::symlink_status(entry.path))
                                   ? "symbolic link, not followed"
                                   : "not a regular file";
    if (options.on_skip) options.on_skip(entry.relative, reason);
    writer->note_missing_file(entry.relative, reason);
    ++result.skipped;
  }
  for (const auto& [entry, reason] : unportable) {
    if (options.on_skip) options.on_skip(entry.relative, reason);
    writer->note_missing_file(entry.relative, reason);
    ++result.skipped;
  }
  std::vector<uint8_t> buffer(std::max<size_t>(options.read_buffer_bytes, 1));
  for (const auto& entry : regular) {
    stream_file(entry, *writer, buffer);
    ++result.files;
  }
  result.logical_bytes = writer->bytes_written();
  const auto committed = writer->commit();
  result.snapshot_id = committed.snapshot_id();
  result.source = header.source;
  result.new_bytes_stored = writer->new_bytes_stored();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

}  // namespace certvault
