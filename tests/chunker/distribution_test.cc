#include <catch2/catch.hpp>

#include "certvault/chunker/chunker.h"
#include "chunk_testing.h"

using namespace certvault::chunker;
using namespace certvault::chunker::testing;

namespace {

// Chunks `total` bytes of random data, generated one block at a time so as not to hold it all.
std::pair<uint64_t, uint64_t> count_chunks(const Params& params, uint64_t total, uint64_t seed) {
  Chunker chunker(params, key_from_seed(seed));
  SplitMix rng(seed);
  std::vector<uint8_t> block(1u << 20);
  uint64_t cuts = 0;
  uint64_t cut_bytes = 0;
  uint64_t stream_offset = 0;
  for (uint64_t produced = 0; produced < total; produced += block.size()) {
    rng.fill(block);
    std::span<const uint8_t> rest(block);
    while (const std::optional<size_t> cut = chunker.next_cut(rest)) {
      stream_offset += *cut;
      ++cuts;
      cut_bytes = stream_offset;
      rest = rest.subspan(*cut);
    }
    stream_offset += rest.size();
  }
  return {cuts, cut_bytes};
}

}  // namespace

TEST_CASE("mean chunk size on 256 MiB of random data is within 20% of avg_size") {
  const Params params = Params::from_average(8192);
  const auto [cuts, cut_bytes] = count_chunks(params, 256u << 20, 21);
  REQUIRE(cuts > 0);
  const double mean = static_cast<double>(cut_bytes) / static_cast<double>(cuts);
  INFO("mean chunk " << mean << " bytes over " << cuts << " chunks");
  CHECK(mean >= 0.8 * params.avg_size);
  CHECK(mean <= 1.2 * params.avg_size);
}

TEST_CASE("mean chunk size follows avg_size for other averages") {
  for (const uint32_t avg : {1024u, 65536u}) {
    const Params params = Params::from_average(avg);
    const auto [cuts, cut_bytes] = count_chunks(params, 128u << 20, avg);
    REQUIRE(cuts > 0);
    const double mean = static_cast<double>(cut_bytes) / static_cast<double>(cuts);
    INFO("avg " << avg << ": mean chunk " << mean << " bytes over " << cuts << " chunks");
    CHECK(mean >= 0.8 * avg);
    CHECK(mean <= 1.2 * avg);
  }
}
