#include "certvault/chunker/file_chunker.h"

namespace certvault::chunker {

std::string describe(const Chunking& chunking) {
  if (chunking.is_fixed_blocks()) return "fixed blocks (" + std::to_string(chunking.page_size) + " bytes)";
  if (!chunking.is_page_aligned()) return "content-defined";
  return "page-aligned (" + std::to_string(chunking.page_size) + "-byte pages)";
}

FileChunker::FileChunker(const Params& params, const Key& key) : content_defined_(params, key) {}

void FileChunker::start(const Chunking& chunking) {
  if (chunking.cuts_at_multiples()) {
    // Built before it replaces the old one: a refused size leaves this object as it was.
    if (!pages_ || pages_->page_size() != chunking.page_size) pages_ = PageChunker(chunking.page_size);
    pages_->reset();
  }
  content_defined_.reset();
  chunking_ = chunking;
}

void FileChunker::feed(std::span<const uint8_t> data, const ChunkCallback& on_chunk) {
  if (chunking_.cuts_at_multiples()) {
    pages_->feed(data, on_chunk);
  } else {
    content_defined_.feed(data, on_chunk);
  }
}

void FileChunker::finish(const ChunkCallback& on_chunk) {
  if (chunking_.cuts_at_multiples()) {
    pages_->finish(on_chunk);
  } else {
    content_defined_.finish(on_chunk);
  }
}

}  // namespace certvault::chunker
