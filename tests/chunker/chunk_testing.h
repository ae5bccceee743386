// Helpers shared by the chunker tests: a fast deterministic data generator and boundary collection.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "certvault/chunker/chunker.h"

namespace certvault::chunker::testing {

// splitmix64: fast enough to generate hundreds of MiB under ASan.
class SplitMix {
 public:
  explicit SplitMix(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t bound) { return next() % bound; }
  void fill(std::span<uint8_t> out) {
    size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) {
      const uint64_t word = next();
      std::memcpy(out.data() + i, &word, 8);
    }
    if (i < out.size()) {
      const uint64_t word = next();
      std::memcpy(out.data() + i, &word, out.size() - i);
    }
  }

 private:
  uint64_t state_;
};

inline std::vector<uint8_t> random_bytes(size_t size, uint64_t seed) {
  std::vector<uint8_t> bytes(size);
  SplitMix(seed).fill(bytes);
  return bytes;
}

inline Key key_from_seed(uint64_t seed) {
  Key key{};
  SplitMix(seed).fill(key);
  return key;
}

// Chunk end offsets (in the whole stream) when `data` is fed in pieces whose sizes come from
// `next_piece_size`; the end of the stream is the last entry when data does not end on a cut.
template <typename PieceSize>
std::vector<uint64_t> chunk_ends(Chunker& chunker, std::span<const uint8_t> data, PieceSize next_piece_size) {
  std::vector<uint64_t> ends;
  uint64_t stream_offset = 0;
  while (!data.empty()) {
    std::span<const uint8_t> piece = data.first(std::min<size_t>(next_piece_size(), data.size()));
    data = data.subspan(piece.size());
    while (!piece.empty()) {
      const std::optional<size_t> cut = chunker.next_cut(piece);
      const size_t taken = cut.value_or(piece.size());
      stream_offset += taken;
      if (cut) ends.push_back(stream_offset);
      piece = piece.subspan(taken);
    }
  }
  if (chunker.pending() != 0) ends.push_back(stream_offset);
  chunker.reset();
  return ends;
}

inline std::vector<uint64_t> chunk_ends(const Params& params, const Key& key, std::span<const uint8_t> data) {
  Chunker chunker(params, key);
  return chunk_ends(chunker, data, [&] { return data.size(); });
}

inline std::string describe(uint64_t value) { return std::to_string(value); }
inline std::string describe(const std::vector<uint8_t>& chunk) {
  return "a chunk of " + std::to_string(chunk.size()) + " bytes starting " +
         std::to_string(chunk.empty() ? 0 : chunk[0]);
}

// "" when equal, else where the sequences first differ. Catch's own rendering of two long vectors
// takes minutes, which would turn a failure into a timeout.
template <typename T>
std::string first_difference(const std::vector<T>& actual, const std::vector<T>& expected) {
  size_t i = 0;
  while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) ++i;
  if (i == actual.size() && i == expected.size()) return "";
  const std::string got = i < actual.size() ? describe(actual[i]) : "the end";
  const std::string wanted = i < expected.size() ? describe(expected[i]) : "the end";
  return "sizes " + std::to_string(actual.size()) + " and " + std::to_string(expected.size()) +
         "; first difference at index " + std::to_string(i) + ": got " + got + ", expected " + wanted;
}

}  // namespace certvault::chunker::testing
