// Page-aligned chunker: cuts a stream at every multiple of a fixed page size.
//
// Why: an ESE database changes by rewriting whole pages in place, so chunks that are exactly its
// pages make each changed page exactly one new chunk (docs/design.md, "Chunking").
//
// Contract (the streaming contract of StreamChunker):
// - Boundaries lie at multiples of page_size from the start of the stream: feeding the same stream
//   in buffers of any sizes (down to one byte) yields the same chunks.
// - Every chunk but the last is exactly page_size bytes; the last is the short tail (never empty)
//   when the stream is not a whole number of pages.
// - A chunk that lies wholly inside one feed is passed without copying; one that spans feeds is
//   assembled in a carry buffer of page_size bytes, allocated once at construction.
// - Not thread-safe: one instance per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "certvault/chunker/chunker.h"

namespace certvault::chunker {

class PageChunker {
 public:
  using ChunkCallback = StreamChunker::ChunkCallback;

  // Pages of fewer bytes would make more chunk-index rows than data; ESE's pages are 4-32 KiB.
  static constexpr uint32_t kSmallestPageSize = 512;

  // Throws certvault::Error(kInternal) naming the size unless kSmallestPageSize <= page_size <=
  // Params::kLargestMaxSize.
  explicit PageChunker(uint32_t page_size);

  // Feeds bytes; calls on_chunk(span) once per complete page, in order. The span is valid only
  // during the callback. If on_chunk throws, call reset() before reusing this object.
  void feed(std::span<const uint8_t> data, const ChunkCallback& on_chunk);

  // End of stream: emits the short tail, if any, then resets.
  void finish(const ChunkCallback& on_chunk);

  // Starts a new stream, dropping any buffered bytes.
  void reset() { carry_size_ = 0; }

  // Bytes buffered for the current, not yet emitted page.
  uint64_t pending() const { return carry_size_; }

  uint32_t page_size() const { return page_size_; }

 private:
  uint32_t page_size_;
  std::unique_ptr<uint8_t[]> carry_;  // page_size bytes: the head of a page that spans feeds
  size_t carry_size_ = 0;
};

}  // namespace certvault::chunker
