// Which chunking a backed-up file gets, decided in one place for API and folder backups, and the
// stream that holds a file's head back until the decision is made.
//
// Contract:
// - A file that may be an ESE database (role "database" from the Certadm API, or "file" from a
//   folder backup, where any file may be a copied database) and whose head parses as a database
//   header is cut page-aligned with the header's page size (docs/design.md, "Chunking"). A log
//   (role "log", or a folder backup's file whose head is an ESE log header) is cut into fixed
//   blocks of kLogBlockBytes at deterministic offsets: a log shares no content with other files,
//   and the same log read by two backups gives the same blocks. Every other file — checkpoints,
//   patch and dynamic files, anything whose head does not parse — is cut content-defined.
// - The decision reads kChunkingHeadBytes of the head (ese::kHeaderPrefixBytes), or the whole file
//   when it is shorter. BackupFileStream buffers that much before it begins the file in the
//   snapshot, so the choice never depends on how the caller's reads split the bytes.
// - The stream also keeps the file's first kKeptHeadBytes (a database's whole header page, whatever
//   its page size) for the header checks made before the commit (ese::verify_database_header_page).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "certvault/chunker/file_chunker.h"
#include "certvault/operations/ese_headers.h"
#include "certvault/repository/snapshot_writer.h"

namespace certvault {

inline constexpr size_t kChunkingHeadBytes = ese::kHeaderPrefixBytes;
inline constexpr size_t kKeptHeadBytes = ese::kMaxPageBytes;
// Block size of logs (docs/benchmarks.md, "Log blocks": ratio against block size).
inline constexpr uint32_t kLogBlockBytes = 1u << 20;

// `head`: the file's first kChunkingHeadBytes bytes, or all of a shorter file.
chunker::Chunking choose_chunking(std::string_view role, std::span<const uint8_t> head);

// Streams one file into a SnapshotWriter: write() any number of reads of any size, then finish().
// The file is begun once kChunkingHeadBytes have arrived, or at finish() for a shorter file, with
// header.chunking set from choose_chunking(header.role, head) whatever the caller put there. If
// the stream is destroyed unfinished, the file may be begun but is never ended: the caller
// abandons the snapshot.
class BackupFileStream {
 public:
  BackupFileStream(SnapshotWriter& writer, FileHeader header);
  BackupFileStream(const BackupFileStream&) = delete;
  BackupFileStream& operator=(const BackupFileStream&) = delete;

  void write(std::span<const uint8_t> bytes);
  FileResult finish();

  // The file's first min(size, kKeptHeadBytes) bytes seen so far: for header checks.
  std::span<const uint8_t> head() const { return head_; }
  // The chunking chosen; content-defined until the file is begun.
  const chunker::Chunking& chunking() const { return header_.chunking; }

 private:
  void begin();

  SnapshotWriter& writer_;
  FileHeader header_;
  std::vector<uint8_t> held_;  // bytes received before the file was begun (the head, and more)
  std::vector<uint8_t> head_;  // the first kKeptHeadBytes of the file
  bool begun_ = false;
};

}  // namespace certvault
