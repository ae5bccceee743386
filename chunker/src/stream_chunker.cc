#include <cstring>

#include "certvault/chunker/chunker.h"

namespace certvault::chunker {

StreamChunker::StreamChunker(const Params& params, const Key& key)
    : chunker_(params, key), carry_(std::make_unique_for_overwrite<uint8_t[]>(params.max_size)) {}

void StreamChunker::reset() {
  chunker_.reset();
  carry_size_ = 0;
}

void StreamChunker::feed(std::span<const uint8_t> data, const ChunkCallback& on_chunk) {
  while (!data.empty()) {
    const std::optional<size_t> cut = chunker_.next_cut(data);
    const size_t taken = cut.value_or(data.size());
    // The chunker never lets a chunk grow past max_size, so the carry buffer cannot overflow.
    if (!cut || carry_size_ != 0) {
      std::memcpy(carry_.get() + carry_size_, data.data(), taken);
      carry_size_ += taken;
    }
    if (cut) {
      if (carry_size_ == 0) {
        on_chunk(data.first(taken));
      } else {
        const size_t chunk_size = carry_size_;
        carry_size_ = 0;
        on_chunk(std::span<const uint8_t>(carry_.get(), chunk_size));
      }
    }
    data = data.subspan(taken);
  }
}

void StreamChunker::finish(const ChunkCallback& on_chunk) {
  const size_t chunk_size = carry_size_;
  reset();
  if (chunk_size != 0) on_chunk(std::span<const uint8_t>(carry_.get(), chunk_size));
}

}  // namespace certvault::chunker
