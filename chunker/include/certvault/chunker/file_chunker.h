// How one file is cut into chunks, and the chunker a snapshot writer feeds without knowing which
// kind it has.
//
// Contract:
// - Chunking names one of the chunkers: content-defined (StreamChunker, with the repository's
//   Params and Key), page-aligned (PageChunker with the file's page size) or fixed blocks (the same
//   cuts at every multiple of a large block size, for logs: docs/design.md, "Chunking"). Who decides which a
//   file gets is not this module's business (certvault/operations/file_chunking.h decides).
// - FileChunker keeps the streaming contract of both: between start() and finish(), any split of
//   the file's bytes into feed() calls gives the same chunks; finish() emits the short last chunk.
// - start() with a page size PageChunker refuses throws certvault::Error(kInternal) and leaves the
//   previous choice in place.
// - Not thread-safe: one instance per writer, one file at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "certvault/chunker/chunker.h"
#include "certvault/chunker/page_chunker.h"

namespace certvault::chunker {

struct Chunking {
  enum class Kind : uint8_t { kContentDefined, kPageAligned, kFixedBlocks };
  Kind kind = Kind::kContentDefined;
  uint32_t page_size = 0;  // kPageAligned: the page size; kFixedBlocks: the block size

  static Chunking content_defined() { return {}; }
  static Chunking page_aligned(uint32_t page_size) { return {Kind::kPageAligned, page_size}; }
  static Chunking fixed_blocks(uint32_t block_size) { return {Kind::kFixedBlocks, block_size}; }
  bool is_page_aligned() const { return kind == Kind::kPageAligned; }
  bool is_fixed_blocks() const { return kind == Kind::kFixedBlocks; }
  // Cut at every multiple of page_size (pages or blocks): PageChunker.
  bool cuts_at_multiples() const { return kind != Kind::kContentDefined; }
  friend bool operator==(const Chunking&, const Chunking&) = default;
};

// "content-defined" or "page-aligned (8192-byte pages)": for messages and test output.
std::string describe(const Chunking& chunking);

class FileChunker {
 public:
  using ChunkCallback = StreamChunker::ChunkCallback;

  // Throws certvault::Error(kUsage) if params.validate() does.
  FileChunker(const Params& params, const Key& key);

  // Starts a new file cut as `chunking` says, dropping anything still pending.
  void start(const Chunking& chunking);

  // Feeds the file's next bytes; on_chunk(span) once per complete chunk, in order (see
  // StreamChunker::feed and PageChunker::feed for the lifetime of the span).
  void feed(std::span<const uint8_t> data, const ChunkCallback& on_chunk);

  // End of the file: emits the last (possibly short) chunk, if any.
  void finish(const ChunkCallback& on_chunk);

  const Chunking& chunking() const { return chunking_; }

 private:
  Chunking chunking_;
  StreamChunker content_defined_;
  std::optional<PageChunker> pages_;  // for chunking_.page_size; kept while files share a page size
};

}  // namespace certvault::chunker
