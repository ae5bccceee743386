#include "certvault/chunker/page_chunker.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "certvault/base/error.h"

namespace certvault::chunker {

PageChunker::PageChunker(uint32_t page_size) : page_size_(page_size) {
  if (page_size < kSmallestPageSize || page_size > Params::kLargestMaxSize) {
    // The chunking decision only picks page sizes it has checked: anything else is its bug.
    throw Error(ErrorKind::kInternal, "page size " + std::to_string(page_size) + " is outside " +
                                          std::to_string(kSmallestPageSize) + ".." +
                                          std::to_string(Params::kLargestMaxSize));
  }
  carry_ = std::make_unique_for_overwrite<uint8_t[]>(page_size);
}

void PageChunker::feed(std::span<const uint8_t> data, const ChunkCallback& on_chunk) {
  if (data.empty()) return;  // memcpy must not see the null pointer of an empty span
  if (carry_size_ != 0) {
    const size_t take = std::min(page_size_ - carry_size_, data.size());
    std::memcpy(carry_.get() + carry_size_, data.data(), take);
    carry_size_ += take;
    data = data.subspan(take);
    if (carry_size_ < page_size_) return;
    carry_size_ = 0;
    on_chunk(std::span<const uint8_t>(carry_.get(), page_size_));
  }
  while (data.size() >= page_size_) {
    on_chunk(data.first(page_size_));
    data = data.subspan(page_size_);
  }
  if (!data.empty()) std::memcpy(carry_.get(), data.data(), data.size());
  carry_size_ = data.size();
}

void PageChunker::finish(const ChunkCallback& on_chunk) {
  const size_t tail = carry_size_;
  reset();
  if (tail != 0) on_chunk(std::span<const uint8_t>(carry_.get(), tail));
}

}  // namespace certvault::chunker
