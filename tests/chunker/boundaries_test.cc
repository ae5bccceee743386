#include <catch2/catch.hpp>

#include "certvault/chunker/chunker.h"
#include "chunk_testing.h"

using namespace certvault::chunker;
using namespace certvault::chunker::testing;

namespace {

// Random bytes with long runs of zeros and of a repeated short pattern, so that forced cuts at
// max_size, cuts in each mask phase and chunks spanning many feeds all occur.
std::vector<uint8_t> mixed_content(size_t size, uint64_t seed) {
  std::vector<uint8_t> bytes = random_bytes(size, seed);
  SplitMix rng(seed + 1);
  for (int run = 0; run < 20; ++run) {
    const size_t start = rng.below(size);
    const size_t length = std::min<size_t>(rng.below(200000), size - start);
    const uint8_t pattern = static_cast<uint8_t>(run % 2 == 0 ? 0 : rng.next());
    for (size_t i = 0; i < length; ++i)
      bytes[start + i] = run % 4 == 1 ? static_cast<uint8_t>(pattern + i % 3) : pattern;
  }
  return bytes;
}

void check_split_invariance(const Params& params, size_t size, uint64_t seed) {
  const std::vector<uint8_t> data = mixed_content(size, seed);
  const Key key = key_from_seed(seed);
  const std::vector<uint64_t> whole = chunk_ends(params, key, data);
  REQUIRE(whole.size() > 10);
  REQUIRE(whole.back() == data.size());

  Chunker chunker(params, key);
  CHECK(first_difference(chunk_ends(chunker, data, [] { return size_t{1}; }), whole) == "");
  SplitMix rng(seed + 7);
  CHECK(first_difference(chunk_ends(chunker, data, [&] { return 1 + rng.below(7); }), whole) == "");
  CHECK(first_difference(chunk_ends(chunker, data, [&] { return 1 + rng.below(params.max_size * 3); }), whole) == "");
  CHECK(first_difference(chunk_ends(chunker, data, [&] { return static_cast<size_t>(params.min_size); }), whole) == "");
  CHECK(first_difference(chunk_ends(chunker, data, [&] { return static_cast<size_t>(params.avg_size); }), whole) == "");
  CHECK(first_difference(chunk_ends(chunker, data, [&] { return static_cast<size_t>(params.max_size) + 1; }), whole) ==
        "");
  CHECK(first_difference(
            chunk_ends(chunker, data, [&] { return rng.below(3) == 0 ? size_t{1} : 1 + rng.below(100000); }), whole) ==
        "");
}

void check_sizes(const std::vector<uint64_t>& ends, const Params& params) {
  uint64_t start = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    const uint64_t length = ends[i] - start;
    INFO("chunk " << i << " at offset " << start << " has length " << length);
    REQUIRE(length <= params.max_size);
    REQUIRE(length > 0);
    if (i + 1 < ends.size()) REQUIRE(length > params.min_size);
    start = ends[i];
  }
}

}  // namespace

TEST_CASE("boundaries do not depend on how the stream is split into feeds") {
  check_split_invariance(Params::from_average(8192), 4u << 20, 1);
  check_split_invariance(Params{64, 128, 200}, 1u << 20, 2);
  check_split_invariance(Params{100, 1024, 1500}, 2u << 20, 3);
  check_split_invariance(Params::from_average(64 * 1024), 8u << 20, 4);
}

TEST_CASE("every chunk but the last is longer than min_size and at most max_size") {
  const Params param_sets[] = {Params::from_average(8192), Params{64, 128, 200}, Params{1000, 1024, 1025},
                               Params{64, 4096, 65536}};
  for (const Params& params : param_sets) {
    INFO("min " << params.min_size << " avg " << params.avg_size << " max " << params.max_size);
    const std::vector<uint8_t> data = mixed_content(4u << 20, params.avg_size);
    const std::vector<uint64_t> ends = chunk_ends(params, key_from_seed(9), data);
    REQUIRE(ends.back() == data.size());
    check_sizes(ends, params);
  }
}

TEST_CASE("data without content cuts is cut at max_size") {
  const Params params = Params::from_average(4096);
  const std::vector<uint8_t> zeros(1000000, 0);
  const std::vector<uint64_t> ends = chunk_ends(params, key_from_seed(5), zeros);
  REQUIRE(ends.size() == zeros.size() / params.max_size + 1);
  for (size_t i = 0; i + 1 < ends.size(); ++i) CHECK(ends[i] == (i + 1) * params.max_size);
  CHECK(ends.back() == zeros.size());
}

TEST_CASE("next_cut reports pending bytes and reset starts a new stream") {
  const Params params = Params::from_average(1024);
  Chunker chunker(params, key_from_seed(3));
  const std::vector<uint8_t> data = random_bytes(100000, 8);
  CHECK(chunker.next_cut({}) == std::nullopt);
  CHECK(chunker.next_cut(std::span(data).first(100)) == std::nullopt);
  CHECK(chunker.pending() == 100);
  chunker.reset();
  CHECK(chunker.pending() == 0);
  const std::optional<size_t> first_cut = chunker.next_cut(data);
  REQUIRE(first_cut.has_value());
  CHECK(*first_cut > params.min_size);
  CHECK(*first_cut <= params.max_size);
  CHECK(chunker.pending() == 0);
  CHECK(chunk_ends(params, key_from_seed(3), data).front() == *first_cut);
}
