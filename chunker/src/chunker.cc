#include "certvault/chunker/chunker.h"

#include <algorithm>
#include <bit>

namespace certvault::chunker {
namespace {

// The `ones` highest bits: they mix the last 64 bytes, whereas bit k of the gear hash only
// depends on the last k + 1 bytes.
constexpr uint64_t top_bits_mask(int ones) { return ~uint64_t{0} << (64 - ones); }

constexpr size_t kNoCut = ~size_t{0};

// Rolls the gear hash over bytes[0, count) and returns the index just past the first byte after
// which (hash & mask) == 0, or kNoCut with `hash` updated (after a cut the caller resets it, so it
// is left as is). Unrolled by hand because it measured fastest of the variants in docs/chunker.md.
inline size_t scan_for_cut(const uint8_t* bytes, size_t count, uint64_t mask, const uint64_t* gear, uint64_t& hash) {
  uint64_t h = hash;
  size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    h = (h << 1) + gear[bytes[i]];
    if ((h & mask) == 0) return i + 1;
    h = (h << 1) + gear[bytes[i + 1]];
    if ((h & mask) == 0) return i + 2;
    h = (h << 1) + gear[bytes[i + 2]];
    if ((h & mask) == 0) return i + 3;
    h = (h << 1) + gear[bytes[i + 3]];
    if ((h & mask) == 0) return i + 4;
  }
  for (; i < count; ++i) {
    h = (h << 1) + gear[bytes[i]];
    if ((h & mask) == 0) return i + 1;
  }
  hash = h;
  return kNoCut;
}

}  // namespace

Chunker::Chunker(const Params& params, const Key& key) : params_(params), gear_(derive_gear_table(key)) {
  params_.validate();
  const int avg_bits = std::countr_zero(params_.avg_size);
  mask_before_avg_ = top_bits_mask(avg_bits + 1);
  mask_after_avg_ = top_bits_mask(avg_bits - 1);
}

void Chunker::reset() {
  hash_ = 0;
  pending_ = 0;
}

std::optional<size_t> Chunker::next_cut(std::span<const uint8_t> data) {
  const uint8_t* bytes = data.data();
  const size_t size = data.size();
  size_t offset = 0;

  // Phases by chunk length so far: [0, min) skipped, [min, avg) harder mask, [avg, max) easier
  // mask, and a forced cut at max. Each phase resumes where the previous call stopped.
  if (pending_ < params_.min_size) {
    const size_t skip = std::min<uint64_t>(params_.min_size - pending_, size);
    pending_ += skip;
    offset += skip;
    if (offset == size) return std::nullopt;
  }

  const auto run_phase = [&](uint64_t phase_end, uint64_t mask) -> size_t {
    if (pending_ >= phase_end) return kNoCut;
    const size_t count = std::min<uint64_t>(phase_end - pending_, size - offset);
    const size_t found = scan_for_cut(bytes + offset, count, mask, gear_.data(), hash_);
    if (found != kNoCut) return offset + found;
    pending_ += count;
    offset += count;
    return kNoCut;
  };

  size_t cut = run_phase(params_.avg_size, mask_before_avg_);
  if (cut == kNoCut && offset < size) cut = run_phase(params_.max_size, mask_after_avg_);
  if (cut == kNoCut && pending_ == params_.max_size) cut = offset;
  if (cut == kNoCut) return std::nullopt;
  reset();
  return cut;
}

}  // namespace certvault::chunker
