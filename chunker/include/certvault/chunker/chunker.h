// Streaming content-defined chunker (FastCDC family: gear rolling hash, normalized chunking).
//
// Contract:
// - Boundaries depend only on the bytes of the stream, the Params and the Key: feeding the same
//   stream in buffers of any sizes (down to one byte) yields the same boundaries.
// - Every chunk but the last of a stream is longer than min_size and at most max_size bytes.
// - The gear table is derived from the Key (docs/chunker.md gives the derivation byte for byte; it
//   is part of the repository format), so two repositories with different keys cut differently.
// - No allocation happens while scanning or per chunk; StreamChunker allocates its carry buffer
//   (max_size bytes) once, at construction.
// - Not thread-safe: one instance per stream.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>

namespace certvault::chunker {

struct Params {
  uint32_t min_size;  // bytes of a chunk that are skipped without hashing; no cut at or before it
  uint32_t avg_size;  // power of two; where the harder mask gives way to the easier one
  uint32_t max_size;  // a cut is forced when a chunk reaches this length

  static constexpr uint32_t kSmallestMinSize = 64;
  static constexpr uint32_t kLargestMaxSize = 16u << 20;  // 16 MiB
  static constexpr uint32_t kDefaultAverage = 8192;

  // min_size = avg / 8, max_size = avg * 4 (docs/chunker.md says why). Throws
  // certvault::Error(kUsage) if avg is not a power of two in [512, 4 MiB] (the range where those
  // defaults satisfy validate()).
  static Params from_average(uint32_t avg);

  // Throws certvault::Error(kUsage) naming the parameter, its value and the rule it breaks unless:
  // min_size >= 64, max_size <= 16 MiB, avg_size is a power of two, min_size < avg_size < max_size.
  void validate() const;

  friend bool operator==(const Params&, const Params&) = default;
};

using Key = std::array<uint8_t, 32>;
using GearTable = std::array<uint64_t, 256>;

// The gear table derived from `key` (see docs/chunker.md). Exposed for other implementations'
// conformance tests and for documentation; Chunker calls it itself.
GearTable derive_gear_table(const Key& key);

// Boundary finder: carries the rolling state across calls, never copies or keeps the data.
class Chunker {
 public:
  // Throws certvault::Error(kUsage) if params.validate() does.
  Chunker(const Params& params, const Key& key);

  // Scans `data` as the continuation of the stream. Returns the offset within `data` just past
  // the next cut point, or std::nullopt when the current chunk goes on past the end of `data`
  // (all of `data` then belongs to the pending chunk). After a cut the caller passes the rest of
  // the buffer (data.subspan(offset)) to find the following cut. An empty `data` returns nullopt.
  std::optional<size_t> next_cut(std::span<const uint8_t> data);

  // Bytes of the current, not yet cut chunk (0 right after a cut).
  uint64_t pending() const { return pending_; }

  // Starts a new stream (forgets the pending chunk).
  void reset();

  const Params& params() const { return params_; }

 private:
  Params params_;
  uint64_t mask_before_avg_;  // avg_bits + 1 ones: cuts rarer before the average point
  uint64_t mask_after_avg_;   // avg_bits - 1 ones: cuts likelier after it
  GearTable gear_;
  uint64_t hash_ = 0;
  uint64_t pending_ = 0;
};

// Assembles whole chunks for a consumer.
class StreamChunker {
 public:
  using ChunkCallback = std::function<void(std::span<const uint8_t>)>;

  // Throws certvault::Error(kUsage) if params.validate() does.
  StreamChunker(const Params& params, const Key& key);

  // Feeds bytes; calls on_chunk(span) once per complete chunk, in order. The span points into
  // `data` when the chunk lies wholly inside it (zero copy), else into an internal buffer of
  // capacity max_size that is reused (no allocation per chunk). The span is valid only during
  // the callback. If on_chunk throws, the exception propagates and the stream position is
  // unspecified: call reset() before reusing this object.
  void feed(std::span<const uint8_t> data, const ChunkCallback& on_chunk);

  // End of stream: emits the final (possibly short) chunk, if any, then resets.
  void finish(const ChunkCallback& on_chunk);

  // Starts a new stream, dropping any buffered bytes.
  void reset();

  // Bytes buffered for the current, not yet emitted chunk.
  uint64_t pending() const { return chunker_.pending(); }

  const Params& params() const { return chunker_.params(); }

 private:
  Chunker chunker_;
  std::unique_ptr<uint8_t[]> carry_;  // max_size bytes: the head of a chunk that spans feeds
  size_t carry_size_ = 0;
};

}  // namespace certvault::chunker
