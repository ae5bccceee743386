#include <catch2/catch.hpp>

#include "certvault/chunker/chunker.h"
#include "chunk_testing.h"

using namespace certvault::chunker;
using namespace certvault::chunker::testing;

namespace {

std::vector<std::vector<uint8_t>> stream_chunks(StreamChunker& stream, std::span<const uint8_t> data,
                                                const std::function<size_t()>& next_piece_size) {
  std::vector<std::vector<uint8_t>> chunks;
  const auto collect = [&](std::span<const uint8_t> chunk) { chunks.emplace_back(chunk.begin(), chunk.end()); };
  while (!data.empty()) {
    const size_t piece = std::min(next_piece_size(), data.size());
    stream.feed(data.first(piece), collect);
    data = data.subspan(piece);
  }
  stream.finish(collect);
  return chunks;
}

}  // namespace

TEST_CASE("StreamChunker emits the same chunk bytes however the stream is split") {
  const Params params = Params::from_average(4096);
  const Key key = key_from_seed(11);
  const std::vector<uint8_t> data = random_bytes(3u << 20, 12);
  StreamChunker stream(params, key);
  const auto whole = stream_chunks(stream, data, [&] { return data.size(); });

  REQUIRE(whole.size() > 100);
  std::vector<uint8_t> joined;
  for (const auto& chunk : whole) joined.insert(joined.end(), chunk.begin(), chunk.end());
  REQUIRE(first_difference(joined, data) == "");

  const std::vector<uint64_t> ends = chunk_ends(params, key, data);
  REQUIRE(ends.size() == whole.size());
  uint64_t start = 0;
  for (size_t i = 0; i < ends.size(); ++i) {
    CHECK(whole[i].size() == ends[i] - start);
    start = ends[i];
  }

  SplitMix rng(13);
  CHECK(first_difference(stream_chunks(stream, data, [] { return size_t{1}; }), whole) == "");
  CHECK(first_difference(stream_chunks(stream, data, [&] { return 1 + rng.below(10); }), whole) == "");
  CHECK(first_difference(stream_chunks(stream, data, [&] { return 1 + rng.below(3 * params.max_size); }), whole) == "");
  CHECK(first_difference(stream_chunks(stream, data, [&] { return size_t{65536}; }), whole) == "");
}

TEST_CASE("StreamChunker passes chunks inside one feed without copying and others from one reused buffer") {
  const Params params = Params::from_average(1024);
  const std::vector<uint8_t> data = random_bytes(1u << 20, 14);
  StreamChunker stream(params, key_from_seed(15));
  const uint8_t* data_begin = data.data();
  const uint8_t* data_end = data.data() + data.size();
  size_t zero_copy = 0;
  size_t copied = 0;
  const uint8_t* carry_buffer = nullptr;
  bool one_carry_buffer = true;
  const auto count = [&](std::span<const uint8_t> chunk) {
    if (chunk.data() >= data_begin && chunk.data() + chunk.size() <= data_end) {
      ++zero_copy;
    } else {
      ++copied;
      if (carry_buffer == nullptr) carry_buffer = chunk.data();
      one_carry_buffer = one_carry_buffer && chunk.data() == carry_buffer;
    }
  };
  // Feeds of 10 KiB: most chunks lie inside one feed, about one per feed straddles two.
  for (size_t offset = 0; offset < data.size(); offset += 10240) {
    stream.feed(std::span(data).subspan(offset, std::min<size_t>(10240, data.size() - offset)), count);
  }
  stream.finish(count);
  CHECK(zero_copy > copied);
  CHECK(copied > 0);
  CHECK(one_carry_buffer);
}

TEST_CASE("StreamChunker finish emits the short tail and an empty stream emits nothing") {
  const Params params = Params::from_average(8192);
  StreamChunker stream(params, key_from_seed(16));
  std::vector<size_t> sizes;
  const auto record = [&](std::span<const uint8_t> chunk) { sizes.push_back(chunk.size()); };
  stream.finish(record);
  CHECK(sizes.empty());

  const std::vector<uint8_t> data = random_bytes(100, 17);
  stream.feed(data, record);
  CHECK(sizes.empty());
  CHECK(stream.pending() == 100);
  stream.finish(record);
  CHECK(sizes == std::vector<size_t>{100});
  CHECK(stream.pending() == 0);

  stream.feed(data, record);
  stream.reset();
  stream.finish(record);
  CHECK(sizes == std::vector<size_t>{100});
}
