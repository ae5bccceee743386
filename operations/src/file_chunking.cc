#include "certvault/operations/file_chunking.h"

#include <algorithm>

namespace certvault {

namespace {
// Whether the head is an ESE log's (file type 3 in its header): a folder backup's logs.
bool is_log_head(std::span<const uint8_t> head) {
  return head.size() >= ese::kHeaderPrefixBytes &&
         head[ese::kFileTypeOffset] == static_cast<uint8_t>(ese::FileType::kLog);
}
}  // namespace

chunker::Chunking choose_chunking(std::string_view role, std::span<const uint8_t> head) {
  if (role == "log" || (role == "file" && is_log_head(head))) return chunker::Chunking::fixed_blocks(kLogBlockBytes);
  if (role != "database" && role != "file") return chunker::Chunking::content_defined();
  const auto page_size = ese::database_page_size(head.first(std::min(head.size(), kChunkingHeadBytes)));
  return page_size ? chunker::Chunking::page_aligned(*page_size) : chunker::Chunking::content_defined();
}

BackupFileStream::BackupFileStream(SnapshotWriter& writer, FileHeader header)
    : writer_(writer), header_(std::move(header)) {}

void BackupFileStream::write(std::span<const uint8_t> bytes) {
  if (head_.size() < kKeptHeadBytes) {
    const size_t kept = std::min(bytes.size(), kKeptHeadBytes - head_.size());
    head_.insert(head_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(kept));
  }
  if (begun_) {
    writer_.write(bytes);  // the head is already held: begun here means it is complete
    return;
  }
  held_.insert(held_.end(), bytes.begin(), bytes.end());
  if (held_.size() >= kChunkingHeadBytes) begin();
}

void BackupFileStream::begin() {
  header_.chunking = choose_chunking(header_.role, held_);
  writer_.begin_file(header_);
  begun_ = true;
  writer_.write(held_);
  held_.clear();
  held_.shrink_to_fit();
}

FileResult BackupFileStream::finish() {
  if (!begun_) begin();
  return writer_.end_file();
}

}  // namespace certvault
